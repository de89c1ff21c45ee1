"""The probes: what a query's side-index filters match, read before it is planned.

Each side filter (``search``, ``error_codes``, ``tag<i>``) is asked for its first
matching pks, up to the planner's dense threshold; a search term is asked for by its
stretches of rare trigrams (terms.py) when it has some, and the runs found are then
checked for the whole term. The planner turns what they found into a plan (``plan``).
"""

from __future__ import annotations

import time
from collections import Counter

from sqlalchemy import Connection

from runyard.core.query import RunQuery
from runyard.core.search_text import fold
from runyard.store.backends import MIN_INDEXED_TERM
from runyard.store.query import compiler
from runyard.store.query.planner import Planner
from runyard.store.query.plans import ListPlan, Probes
from runyard.store.query.terms import trigrams

SAMPLES = "runyard_trigram_samples"  # in a connection's info: {project: (until, shares)}
# Runs checked for the whole term per statement (a bound parameter each on SQLite).
_CHECK_BATCH = 5000


def plan(conn: Connection, planner: Planner, query: RunQuery) -> ListPlan:
    """Probe each side-index filter of the query, and plan it from what they found."""
    return planner.plan_list(query, probe(conn, planner, query))


def probe(conn: Connection, planner: Planner, query: RunQuery) -> Probes:
    """Each side filter's matches: a short list of runs, or ``dense_threshold`` of them."""
    found = {}
    for name, rows in compiler.side_filters(conn.dialect, query).items():
        pks = _search_by_stretch(conn, planner, query) if name == "search" else None
        if pks is None:
            statement = compiler.probe_statement(rows, planner.dense_threshold)
            pks = list(conn.execute(statement).scalars())
        found[name] = pks
    return Probes(found, _search_workflows(conn, query))


def _search_workflows(conn: Connection, query: RunQuery) -> tuple[str, ...]:
    if not query.search:
        return ()
    statement = compiler.parameter_match_statement(query.project_id, query.search)
    return tuple(conn.execute(statement).scalars())


def search_stretches(conn: Connection, planner: Planner, query: RunQuery) -> list[str] | None:
    """The rare stretches of the search term it is looked up by (terms.py); None: it is
    looked up whole (a term of at most ``MIN_INDEXED_TERM`` characters has no trigram)."""
    if not query.search:
        return None
    term = fold(query.search)
    if len(term) <= MIN_INDEXED_TERM:
        return None
    return planner.search_stretches(term, trigram_shares(conn, planner, query.project_id))


def _search_by_stretch(conn: Connection, planner: Planner, query: RunQuery) -> list[int] | None:
    """The search probe through the term's rare stretches, the runs found then checked for
    the whole term; None: probe with the whole term."""
    stretches = search_stretches(conn, planner, query)
    if stretches is None or not query.search:
        return None
    term = fold(query.search)
    most = planner.stretch_candidates
    statement = compiler.stretch_statement(conn.dialect, query.project_id, stretches, most + 1)
    candidates = list(conn.execute(statement).scalars())
    if len(candidates) > most:
        return None  # the stretches are common after all
    found: list[int] = []
    for first in range(0, len(candidates), _CHECK_BATCH):
        chunk = candidates[first : first + _CHECK_BATCH]
        found += conn.execute(compiler.containing_statement(conn.dialect, chunk, term)).scalars()
    return sorted(found)[: planner.dense_threshold]


def trigram_shares(conn: Connection, planner: Planner, project_id: str) -> dict[str, float]:
    """How many of the project's newest runs contain each trigram, as a share of them;
    sampled once every ``sample_seconds`` per connection."""
    samples: dict[str, tuple[float, dict[str, float]]] = conn.info.setdefault(SAMPLES, {})
    known = samples.get(project_id)
    if known is not None and known[0] > time.monotonic():
        return known[1]
    statement = compiler.trigram_sample_statement(project_id, planner.trigram_sample)
    counts: Counter[str] = Counter()
    n = 0
    for text in conn.execute(statement).scalars():
        counts.update(set(trigrams(text)))
        n += 1
    shares = {gram: c / n for gram, c in counts.items()} if n else {}
    samples[project_id] = (time.monotonic() + planner.sample_seconds, shares)
    return shares
