"""Comment counts kept in memory per data version, and themes found off the request path.

The comment explorer's counts (a grouped tally, and the response counts behind its
suppression check) scan the survey. :class:`CommentCache` (one per application, built by
``create_app``) keeps each under a key naming the filter, with the survey's
:class:`~rapport.storage.repositories.comments.DataVersion`; ``comment_counts`` keeps them
in the database too, and says when they are extended or counted again.

Finding themes (TF-IDF and NMF over every matching comment) is the costly part. Themes are
kept in the database (``comment_snapshots``) with the data version they were found at; a
page shows the latest kept themes with an "as of" note, and when they are older than the
data a :class:`ThemeFinder` thread finds them again in the background (or ``rapport
comments themes`` from cron) — unless only new responses came since, fewer than
:data:`REFIND_SHARE` of the comments they were found in, and they were found less than
:data:`REFIND_AFTER` ago (a few new comments barely move themes found in thousands, and
finding them again on every response kept a core busy on a live server). Small sets of
comments are still read on the request. An erasure deletes its surveys' snapshots in its own
transaction, and a snapshot found before an erasure is refused (``keep_snapshot``): a page
never quotes an erased comment.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections import Counter, defaultdict
from collections.abc import Callable, Hashable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from rapport.services.clock import as_utc, utcnow
from rapport.services.versioned_cache import SlotCache
from rapport.storage.repositories.comments import (
    CommentQuery,
    CommentSnapshot,
    DataVersion,
    NewSnapshot,
)
from rapport.storage.uow import Database, UnitOfWork
from rapport.text.themes import find_themes

T = TypeVar("T")
logger = logging.getLogger("rapport.comments")

#: Up to this many matching comments, themes are found on the request (about 0.2 s).
INLINE_COMMENTS = 2_000
THEMES = "themes"
#: Kept themes of a large set are found again once the comments grew by this share of those
#: they were found in (by new responses only: an erasure or a re-read comment refinds at
#: once) ...
REFIND_SHARE = 0.05
#: ... or once they are this old.
REFIND_AFTER = timedelta(hours=1)


class CommentCache(SlotCache[T]):
    """A bounded, thread-safe LRU of counts by key, each with the data version counted
    (:class:`~rapport.services.versioned_cache.SlotCache`); ``finder`` finds themes in the
    background (None: on the request).

    >>> cache: CommentCache[int] = CommentCache(size=2)
    >>> cache.get_or_extend(("survey", 1), 1, lambda: 10, lambda before, kept: None)
    10
    >>> cache.get_or_extend(("survey", 1), 2, lambda: 99, lambda before, kept: kept + 1)
    11
    """

    def __init__(self, size: int = 64, finder: ThemeFinder | None = None) -> None:
        super().__init__(size)
        self.finder = finder
        self._versions: dict[int, tuple[Hashable, DataVersion]] = {}
        self._versions_lock = threading.Lock()

    def data_version(
        self, survey_id: int, generation: Hashable, read: Callable[[], DataVersion]
    ) -> DataVersion:
        """The survey's :class:`DataVersion`, ``read()`` again only when ``generation`` (the
        engine's data generation of the survey, read before ``read`` can run) moved: it
        counts the survey's responses, two fifths of a comments page at 400 units. Every
        commit that may change the survey's comments moves the generation; one that moves
        only the newest analysis of another survey's comments does not, and the version
        kept then says less of what else was analysed, which the counts only use to find
        this survey's comments read again (:meth:`CommentRepository.only_added`).

        >>> cache: CommentCache[int] = CommentCache()
        >>> v = DataVersion(1, 1, 0, 0)
        >>> cache.data_version(1, "g1", lambda: v) is cache.data_version(1, "g1", lambda: None)
        True
        >>> cache.data_version(1, "g2", lambda: DataVersion(2, 2, 0, 0)).responses
        2
        """
        with self._versions_lock:
            kept = self._versions.get(survey_id)
        if kept is not None and kept[0] == generation:
            return kept[1]
        found = read()
        with self._versions_lock:
            self._versions[survey_id] = (generation, found)
        return found


@dataclass(frozen=True)
class ThemeRow:
    label: str
    terms: tuple[str, ...]
    examples: tuple[str, ...]
    count: int
    share: float
    emotions: dict[str, int]
    by_month: dict[str, float]


@dataclass(frozen=True)
class ShownThemes:
    """The themes a page shows, and how fresh they are: found in ``comments`` comments
    when the survey had ``responses`` responses, at ``computed_at``; ``fresh`` when no
    response came since; ``pending`` when they are being found again in the background."""

    rows: list[ThemeRow]
    months: list[str]
    comments: int = 0
    responses: int = 0
    computed_at: datetime | None = None
    fresh: bool = True
    pending: bool = False


@dataclass(frozen=True)
class ThemeJob:
    """Find the themes of ``query`` (``n_themes``; each theme's share by month with
    ``trend``) and keep them under ``key``."""

    query: CommentQuery
    n_themes: int
    trend: bool

    @property
    def key(self) -> str:
        return hashlib.sha256(repr(self).encode()).hexdigest()


class ThemeFinder:
    """Finds themes in one background thread (so they queue, never compete), each job once
    at a time; jobs of up to ``inline_limit`` comments run on the request instead."""

    def __init__(self, db: Database, inline_limit: int = INLINE_COMMENTS) -> None:
        self.db = db
        self.inline_limit = inline_limit
        self._pool: ThreadPoolExecutor | None = None
        self._running: set[tuple[int, str]] = set()
        self._lock = threading.Lock()

    def submit(self, job: ThemeJob) -> bool:
        """Find ``job``'s themes in the background; False when it is already queued."""
        mark = (job.query.survey_id, job.key)
        with self._lock:
            if mark in self._running:
                return False
            self._running.add(mark)
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="rapport-themes")
            self._pool.submit(self._run, job, mark)
        return True

    def _run(self, job: ThemeJob, mark: tuple[int, str]) -> None:
        try:
            refresh(self.db, job)
        except Exception:  # a failed job is found again on the next page asking
            logger.exception("themes of survey %s", job.query.survey_id)
        finally:
            with self._lock:
                self._running.discard(mark)

    def wait(self) -> None:
        """Let every queued job finish (tests, the CLI)."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True)

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)


def shown(
    uow: UnitOfWork,
    job: ThemeJob,
    version: DataVersion,
    matching: int,
    finder: ThemeFinder | None,
    pending: list[NewSnapshot],
) -> ShownThemes:
    """The themes a page shows for ``job``: the kept ones when found at ``version``; else
    found now (no ``finder``, or at most its ``inline_limit`` comments), added to
    ``pending`` (the snapshots the caller keeps) when a ``finder`` is given; else the latest
    kept ones (if any): as they are while they are :func:`recent_enough`, else found again
    in the background."""
    survey_id = job.query.survey_id
    kept = uow.comments.snapshot(survey_id, THEMES, job.key) if finder else None
    if kept is not None and kept.version == version:
        return _from_snapshot(kept.payload, kept.comments, kept.version, kept.computed_at)
    if finder is None or matching <= finder.inline_limit:
        texts = uow.comments.texts(job.query)
        rows, months = theme_rows(texts, job.n_themes, trend=job.trend)
        at = utcnow()
        if finder is not None:
            pending.append(NewSnapshot(THEMES, job.key, len(texts), at, _payload(rows, months)))
        return ShownThemes(rows, months, len(texts), version.responses, at)
    refind = kept is None or not recent_enough(uow, survey_id, kept, version, matching)
    if refind:
        finder.submit(job)  # False when queued already: pending all the same
    if kept is None:
        return ShownThemes([], [], fresh=False, pending=True)
    found = _from_snapshot(kept.payload, kept.comments, kept.version, kept.computed_at)
    return ShownThemes(
        found.rows, found.months, found.comments, found.responses, found.computed_at, False, refind
    )


def recent_enough(
    uow: UnitOfWork, survey_id: int, kept: CommentSnapshot, version: DataVersion, matching: int
) -> bool:
    """Whether themes ``kept`` (found at an older version) are shown as they are: only new
    responses came since (no erasure, deletion or comment read again), the ``matching``
    comments are fewer than :data:`REFIND_SHARE` more than those they were found in, and
    they were found less than :data:`REFIND_AFTER` ago."""
    grown = matching - kept.comments
    return (
        0 <= grown < REFIND_SHARE * kept.comments
        and utcnow() - as_utc(kept.computed_at) < REFIND_AFTER
        and uow.comments.only_added(survey_id, kept.version, version)
    )


def refresh(db: Database, job: ThemeJob) -> bool:
    """Find ``job``'s themes and keep them (False when the data changed in place
    meanwhile, or they were already found at the data's version)."""
    with db.unit_of_work(readonly=True) as uow:
        version = uow.comments.version(job.query.survey_id)
        kept = uow.comments.snapshot(job.query.survey_id, THEMES, job.key)
        if kept is not None and kept.version == version:
            return False
        texts = uow.comments.texts(job.query)
    rows, months = theme_rows(texts, job.n_themes, trend=job.trend)
    payload = _payload(rows, months)
    with db.unit_of_work() as uow:
        return uow.comments.keep_snapshot(
            job.query.survey_id, THEMES, job.key, version, len(texts), utcnow(), payload
        )


def _payload(rows: list[ThemeRow], months: list[str]) -> dict[str, Any]:
    return {"themes": [asdict(r) for r in rows], "months": months}


def _from_snapshot(
    payload: dict[str, Any], comments: int, version: DataVersion, at: datetime
) -> ShownThemes:
    rows = [
        ThemeRow(
            r["label"],
            tuple(r["terms"]),
            tuple(r["examples"]),
            int(r["count"]),
            float(r["share"]),
            dict(r["emotions"]),
            dict(r["by_month"]),
        )
        for r in payload["themes"]
    ]
    return ShownThemes(rows, list(payload["months"]), comments, version.responses, at)


def theme_rows(
    records: list[tuple[str, datetime, tuple[str, ...]]], n_themes: int, *, trend: bool = True
) -> tuple[list[ThemeRow], list[str]]:
    """Themes of the comments (text, submitted at, Ekman emotions); with ``trend``, each
    theme's share per month."""
    texts = [text for text, _, _ in records]
    if len(texts) < 2 * n_themes:
        return [], []
    result = find_themes(texts, n_themes=n_themes, seed=0)
    month_of = [at.strftime("%Y-%m") if trend else "" for _, at, _ in records]
    months = sorted(set(month_of)) if trend else []
    per_month = Counter(month_of)
    rows = []
    for theme in result.themes:
        members = [i for i, a in enumerate(result.assignments) if a == theme.index]
        emotions = Counter(e for i in members for e in records[i][2])
        by_month: defaultdict[str, int] = defaultdict(int)
        for i in members:
            by_month[month_of[i]] += 1
        rows.append(
            ThemeRow(
                label=theme.label,
                terms=theme.terms,
                examples=theme.examples,
                count=len(members),
                share=len(members) / len(texts),
                emotions=dict(emotions.most_common()),
                by_month={m: by_month[m] / per_month[m] for m in months},  # empty: no trend
            )
        )
    return rows, months
