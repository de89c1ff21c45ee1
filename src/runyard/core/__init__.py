"""The pure domain: records, statuses and transitions, the run query. No I/O."""
