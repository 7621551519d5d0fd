"""The comment explorer's counts, kept in memory and in the database per data version.

Counting a survey's comments (the grouped tally, and the responses per unit behind the
suppression check) scans the survey. Each count is kept under a key naming its filter, with
the survey's :class:`~rapport.storage.repositories.comments.DataVersion`: in the
application's :class:`~rapport.services.comment_themes.CommentCache`, and in
``comment_snapshots`` (kind ``counts``), so a new process reads what an earlier one counted.
When the data moved on only by new responses (``CommentRepository.only_added``), kept counts
are extended by counting the responses above the kept version's largest id; an erasure (it
also deletes the survey's snapshots), a deleted response or a comment read again makes them
count from scratch. Every count stops at the version's largest response id, so a response
stored while counting is counted once, by the next extension.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import date
from typing import Any, Generic, TypeVar

from rapport.services.clock import utcnow
from rapport.services.comment_themes import CommentCache
from rapport.storage.repositories.comments import CommentTally, DataVersion, NewSnapshot
from rapport.storage.uow import UnitOfWork

C = TypeVar("C")
COUNTS = "counts"
#: Part of every kept key: counts kept in an older shape are never read, only replaced.
FORMAT = 1


@dataclass(frozen=True)
class Codec(Generic[C]):
    """How one kind of count is merged with its increment, kept as JSON rows and read back,
    and how many responses or comments it counts (the snapshot's ``comments``).

    >>> BY_UNIT.decode(BY_UNIT.encode(Counter({3: 2, 5: 1}))) == Counter({3: 2, 5: 1})
    True
    """

    merge: Callable[[C, C], C]
    encode: Callable[[C], list[list[Any]]]
    decode: Callable[[list[list[Any]]], C]
    total: Callable[[C], int]


def merge_tallies(kept: list[CommentTally], added: list[CommentTally]) -> list[CommentTally]:
    """Two tallies of disjoint comments as one: counts of the same group added."""
    total: Counter[tuple[Any, ...]] = Counter()
    for t in (*kept, *added):
        total[(t.unit_id, t.status, t.sentiment, t.ekman, t.band, t.emotion)] += t.n
    return [
        CommentTally(unit_id, status, sentiment, ekman, band, emotion, n)
        for (unit_id, status, sentiment, ekman, band, emotion), n in total.items()
    ]


BY_UNIT: Codec[Counter[int]] = Codec(
    lambda kept, added: kept + added,
    lambda counts: [[u, n] for u, n in counts.items()],
    lambda rows: Counter({int(u): int(n) for u, n in rows}),
    lambda counts: sum(counts.values()),
)
BY_UNIT_PERIOD: Codec[Counter[tuple[int, date]]] = Codec(
    lambda kept, added: kept + added,
    lambda counts: [[u, p.isoformat(), n] for (u, p), n in counts.items()],
    lambda rows: Counter({(int(u), date.fromisoformat(p)): int(n) for u, p, n in rows}),
    lambda counts: sum(counts.values()),
)
TALLIES: Codec[list[CommentTally]] = Codec(
    merge_tallies,
    lambda tallies: [
        [t.unit_id, t.status, t.sentiment, " ".join(t.ekman), t.band, t.emotion, t.n]
        for t in tallies
    ],
    lambda rows: [
        CommentTally(int(u), s, m, tuple(e.split()), b, bool(h), int(n))
        for u, s, m, e, b, h, n in rows
    ],
    lambda tallies: sum(t.n for t in tallies),
)


def counted(
    uow: UnitOfWork,
    cache: CommentCache[Any] | None,
    survey_id: int,
    key: Hashable,
    version: DataVersion,
    count: Callable[[int], C],
    codec: Codec[C],
    pending: list[NewSnapshot],
) -> C:
    """The count ``key`` of the survey at ``version``; ``count(above)`` counts the responses
    with an id above ``above`` (0: all), up to ``version``'s largest. Without ``cache``,
    counted now; with it, kept in memory, else in the database, extended or counted again
    as the data allow, and kept in both when counted (in memory now; for the database,
    added to ``pending``, which the caller keeps in one write)."""
    if cache is None:
        return count(0)
    digest = hashlib.sha256(repr((FORMAT, key)).encode()).hexdigest()

    def keep(value: C) -> C:
        rows = {COUNTS: codec.encode(value)}
        pending.append(NewSnapshot(COUNTS, digest, codec.total(value), utcnow(), rows))
        return value

    def extend(before: DataVersion, value: C) -> C | None:
        if not uow.comments.only_added(survey_id, before, version):
            return None
        return keep(codec.merge(value, count(before.last_response_id)))

    def from_database() -> C:
        kept = uow.comments.snapshot(survey_id, COUNTS, digest)
        if kept is None:
            return keep(count(0))
        value = codec.decode(kept.payload[COUNTS])
        if kept.version == version:
            return value
        extended = extend(kept.version, value)
        return keep(count(0)) if extended is None else extended

    found: C = cache.get_or_extend(key, version, from_database, extend)
    return found
