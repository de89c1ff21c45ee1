"""Which stretches of a search term the trigram index should be asked for.

SQLite's FTS5 answers a phrase by walking the document list of every trigram in it, and
PostgreSQL's GIN index a ``LIKE`` by walking every trigram's posting list, so a term
made partly of trigrams that most runs contain (``cust-012345``: ``cus``, ``ust``,
``st-`` are in every customer id) costs a walk of millions of entries, whatever its few
matches. Asking for the stretches of the term whose trigrams are rare (``-012345``),
then keeping the runs that contain the whole term, reads a few short lists instead.
Which trigrams are rare is estimated from a sample of the newest runs of the project
(``probes.trigram_shares``). Pure: no SQL here.
"""

from __future__ import annotations


def trigrams(text: str) -> list[str]:
    return [text[i : i + 3] for i in range(len(text) - 2)]


def rare_stretches(term: str, share: dict[str, float], rare: float) -> list[str] | None:
    """Every longest stretch of ``term`` made only of trigrams in fewer than ``rare`` of
    the sampled runs (a run holding the term holds each of them), when together they
    leave some trigram out; None: ask for the whole term (no trigram is rare, or none is
    common)."""
    grams = trigrams(term)
    stretches: list[str] = []
    start = None
    for i, gram in enumerate([*grams, None]):
        is_rare = gram is not None and share.get(gram, 0.0) < rare
        if is_rare and start is None:
            start = i
        elif not is_rare and start is not None:
            stretches.append(term[start : i + 2])
            start = None
    if not stretches or stretches == [term]:
        return None
    return stretches
