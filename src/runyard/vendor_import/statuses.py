"""Vendor status words -> runyard statuses: the dialects' tables (``core/vendor_words``)
read backwards.

A table maps several runyard statuses to one word (Polos says ``queued`` for both
``created`` and ``queued``), so reading back picks one: the status named like the word
(or like its last dotted part: CloudCruise's ``execution.failed`` -> ``failed``), else
the first in lifecycle order that renders as it (``cancelled`` -> ``canceled``). A run
imported so renders as the same word again, which is all a vendor's run ever said.
"""

from __future__ import annotations

from collections.abc import Mapping

from runyard.core.statuses import RunStatus
from runyard.vendor_import.records import Unreadable


def inverse(table: Mapping[RunStatus, str]) -> dict[str, RunStatus]:
    found: dict[str, RunStatus] = {}
    for status in RunStatus:  # lifecycle order
        word = table[status]
        if word not in found or (_named(status, word) and not _named(found[word], word)):
            found[word] = status
    return found


def _named(status: RunStatus, word: str) -> bool:
    return status.value in (word, word.rsplit(".", 1)[-1])


class StatusWords:
    """One vendor's words, read back; ``extra`` adds words the vendor uses that no
    runyard status renders as (Polos's ``claimed``)."""

    def __init__(
        self,
        vendor: str,
        table: Mapping[RunStatus, str],
        extra: Mapping[str, RunStatus] | None = None,
    ) -> None:
        self.vendor = vendor
        self.words = {**inverse(table), **(extra or {})}

    def __call__(self, word: object) -> RunStatus:
        found = self.words.get(str(word)) if word is not None else None
        if found is None:
            known = ", ".join(sorted(self.words))
            raise Unreadable(f"status {word!r} is not one of {self.vendor}'s ({known})")
        return found
