"""Which stretches of a search term the trigram index should be asked for.

SQLite's FTS5 answers a phrase by walking the document list of every trigram in it, and
PostgreSQL's GIN index a ``LIKE`` by walking every trigram's posting list, so a term
made partly of trigrams that most runs contain (``cust-012345``: ``cus``, ``ust``,
``st-`` are in every customer id) costs a walk of millions of entries, whatever its few
matches. Asking for the stretches of the term whose trigrams are rare (``-012345``),
then keeping the runs that contain the whole term, reads a few short lists instead.
Which trigrams are rare is estimated from the newest runs of the project, sampled once
every ten minutes per connection.
"""

from __future__ import annotations

import time
from collections import Counter

from sqlalchemy import Connection, select

from runyard.store.schema import runs

SAMPLE = 500  # runs read to estimate how common each trigram is
RARE = 0.02  # a trigram in fewer than this share of the sampled runs is rare
TTL = 600.0  # seconds a sample is used
SAMPLES = "runyard_trigram_samples"  # in a connection's info: {project: (until, n, counts)}


def trigrams(text: str) -> list[str]:
    return [text[i : i + 3] for i in range(len(text) - 2)]


def rare_stretches(term: str, share: dict[str, float]) -> list[str] | None:
    """Every longest stretch of ``term`` made only of trigrams rarer than ``RARE`` (a run
    holding the term holds each of them), when together they leave some trigram out;
    None: ask for the whole term (no trigram is rare, or none is common)."""
    grams = trigrams(term)
    stretches: list[str] = []
    start = None
    for i, gram in enumerate([*grams, None]):
        rare = gram is not None and share.get(gram, 0.0) < RARE
        if rare and start is None:
            start = i
        elif not rare and start is not None:
            stretches.append(term[start : i + 2])
            start = None
    if not stretches or stretches == [term]:
        return None
    return stretches


def trigram_shares(conn: Connection, project_id: str) -> dict[str, float]:
    """How many of the project's newest runs contain each trigram, as a share of them."""
    samples: dict[str, tuple[float, dict[str, float]]] = conn.info.setdefault(SAMPLES, {})
    known = samples.get(project_id)
    if known is not None and known[0] > time.monotonic():
        return known[1]
    texts = conn.execute(
        select(runs.c.search_text)
        .where(runs.c.project_id == project_id)
        .order_by(runs.c.created_at.desc())
        .limit(SAMPLE)
    ).scalars()
    counts: Counter[str] = Counter()
    n = 0
    for text in texts:
        counts.update(set(trigrams(text)))
        n += 1
    shares = {gram: c / n for gram, c in counts.items()} if n else {}
    samples[project_id] = (time.monotonic() + TTL, shares)
    return shares
