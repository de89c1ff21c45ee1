"""The query engine: a ``RunQuery`` planned, compiled to SQL and read."""
