"""The comment explorer's kept counts and themes follow the data (issue 13, comments page).

Counts kept per data version are extended by the new responses only, and equal a count
from scratch; an erasure, a comment read again or a deleted response makes them count from
scratch. Themes of large sets are found in the background and shown with an "as of" note
until then; an erasure drops kept themes at once, so no page quotes an erased comment. On
SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from rapport.analytics.suppression import SuppressionPolicy
from rapport.domain.org import SYSTEM, PersonKind
from rapport.services import comment_explorer, comment_themes, personal_data, responses
from rapport.services.comment_explorer import CommentView
from rapport.services.comment_themes import CommentCache, ThemeFinder
from rapport.storage.uow import Database
from tests.integration._survey_fixtures import GOOD_ANSWERS, seed_org
from tests.integration.test_comment_paging import _submit

START = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
POLICY = SuppressionPolicy(5, 10)
SECRET = "quokka sandwich"  # only the erased person writes it
FILTERS: list[dict[str, Any]] = [
    {},
    {"band": "promoter"},
    {"emotion": "joy"},
    {"sentiment": "positive"},
    {"unit": "north"},
]


def _seed(db: Database, n: int = 12) -> int:
    sid = seed_org(db)
    words = ["queue was slow", "staff were lovely", "parking was full", "great coffee"]
    for i in range(n):
        _submit(db, sid, START + timedelta(hours=i), f"{words[i % 4]} {i}")
    return sid


def _counts(view: CommentView) -> tuple[Any, ...]:
    return view.matching, view.hidden, view.emotion_counts, view.not_read


def _views(db: Database, sid: int, cache: CommentCache[Any] | None) -> list[CommentView]:
    with db.unit_of_work() as uow:
        return [
            comment_explorer.explore(uow, SYSTEM, sid, POLICY, cache=cache, **f) for f in FILTERS
        ]


def _secret_answers(db: Database, sid: int, n: int) -> None:
    for i in range(n):
        with db.unit_of_work() as uow:
            answers = {**GOOD_ANSWERS, "why": f"{SECRET} today {i}", "comment": f"{SECRET} {i}"}
            responses.submit_as(uow, SYSTEM, sid, answers, unit="north-1", person="c1")


def _quoted(view: CommentView) -> str:
    return " ".join(" ".join(t.examples) + " " + t.label for t in view.themes) + " ".join(
        c.text for c in view.comments
    )


def test_kept_counts_are_extended_by_new_responses_and_equal_a_fresh_count(
    db: Database,
) -> None:
    sid = _seed(db)
    cache: CommentCache[Any] = CommentCache()
    _views(db, sid, cache)
    misses = cache.misses
    for i in range(3):
        _submit(db, sid, START + timedelta(days=2, hours=i), f"queue was slow again {i}")
    later = _views(db, sid, cache)
    assert cache.misses == misses and cache.extended > 0  # merged, not counted again
    fresh = _views(db, sid, None)
    assert [_counts(v) for v in later] == [_counts(v) for v in fresh]
    assert later[0].matching == 30  # 15 responses, two comments each


def test_an_erasure_counts_again_and_no_page_quotes_the_erased_comment(db: Database) -> None:
    sid = _seed(db)
    _secret_answers(db, sid, 8)
    cache: CommentCache[Any] = CommentCache(finder=ThemeFinder(db))  # small: found inline
    before = _views(db, sid, cache)
    assert SECRET in _quoted(before[0]) and before[0].themes
    with db.engine.connect() as conn:
        kept = conn.execute(sa.text("SELECT payload FROM comment_snapshots")).scalars().all()
    assert any(SECRET in str(p) for p in kept)  # the kept themes quote it
    with db.unit_of_work(readonly=True) as uow:
        version = uow.comments.version(sid)
    with db.unit_of_work() as uow:
        personal_data.erase_person(uow, SYSTEM, PersonKind.CUSTOMER, "c1")
    with db.engine.connect() as conn:
        kept = conn.execute(sa.text("SELECT payload FROM comment_snapshots")).scalars().all()
    assert kept == []  # dropped in the erasure's transaction
    misses, extended = cache.misses, cache.extended
    after = _views(db, sid, cache)
    assert cache.misses > misses and cache.extended == extended  # counted from scratch
    assert [_counts(v) for v in after] == [_counts(v) for v in _views(db, sid, None)]
    assert after[0].matching == before[0].matching - 16
    assert all(SECRET not in _quoted(v) for v in after)
    # Themes found from texts read before the erasure are refused, not kept.
    with db.unit_of_work() as uow:
        assert not uow.comments.keep_snapshot(sid, "themes", "k", version, 1, START, {"x": SECRET})
        assert uow.comments.snapshot(sid, "themes", "k") is None


def test_a_comment_read_again_or_a_deleted_response_counts_again(db: Database) -> None:
    sid = _seed(db)
    with db.unit_of_work(readonly=True) as uow:
        first = uow.comments.version(sid)
        old = uow.comments.page(comment_explorer.CommentQuery(sid, ("why",)), limit=100)[-1]
    _submit(db, sid, START + timedelta(days=3), "one more")
    with db.unit_of_work() as uow:
        now = uow.comments.version(sid)
        assert uow.comments.only_added(sid, first, now)
        uow.comments.replace_analyses(
            [
                {
                    "response_id": old.response_id,
                    "question_id": "why",
                    "model_version": "again",
                    "status": "ok",
                    "sentiment": "negative",
                    "labels": "anger",
                    "ekman": "anger",
                    "original_text": None,
                }
            ]
        )
    with db.unit_of_work() as uow:
        reread = uow.comments.version(sid)
        assert not uow.comments.only_added(sid, now, reread)
    with db.engine.begin() as conn:  # a response goes and a new one comes: same count
        conn.execute(sa.text("DELETE FROM answers WHERE response_id = :r"), {"r": old.response_id})
        conn.execute(
            sa.text("DELETE FROM comment_analyses WHERE response_id = :r"), {"r": old.response_id}
        )
        conn.execute(sa.text("DELETE FROM responses WHERE id = :r"), {"r": old.response_id})
    _submit(db, sid, START + timedelta(days=4), "replacing")
    with db.unit_of_work() as uow:
        swapped = uow.comments.version(sid)
        assert swapped.responses == reread.responses
        assert not uow.comments.only_added(sid, reread, swapped)


def test_large_sets_show_the_latest_themes_while_the_background_finds_new_ones(
    db: Database,
) -> None:
    sid = _seed(db, 16)
    finder = ThemeFinder(db, inline_limit=5)  # 32 comments: found in the background
    cache: CommentCache[Any] = CommentCache(finder=finder)
    with db.unit_of_work() as uow:
        first = comment_explorer.explore(uow, SYSTEM, sid, POLICY, cache=cache)
    assert first.themes == [] and first.themes_as_of is not None and first.themes_as_of.pending
    finder.wait()
    with db.unit_of_work() as uow:
        found = comment_explorer.explore(uow, SYSTEM, sid, POLICY, cache=cache)
        inline = comment_explorer.explore(uow, SYSTEM, sid, POLICY)
    assert found.themes == inline.themes and found.themes
    assert found.themes_as_of is not None and found.themes_as_of.fresh
    assert found.themes_as_of.comments == 32
    _submit(db, sid, START + timedelta(days=5), "queue was slow once more")
    with db.unit_of_work() as uow:
        stale = comment_explorer.explore(uow, SYSTEM, sid, POLICY, cache=cache)
    assert stale.themes == found.themes  # the latest found, with their date
    assert stale.themes_as_of is not None
    assert not stale.themes_as_of.fresh and stale.themes_as_of.pending
    assert stale.themes_as_of.comments == 32
    finder.wait()
    refreshed = comment_explorer.refresh_themes(db, POLICY, [sid])[sid]  # the cron command
    assert refreshed is not None and refreshed.fresh and refreshed.comments == 34


def test_kept_themes_stay_while_few_comments_came_and_are_found_again_past_the_share_or_hour(
    db: Database,
) -> None:
    """A live survey gets a response every few seconds: themes of a large set are found
    again once the comments grew by 5 % (``REFIND_SHARE``) or an hour (``REFIND_AFTER``)
    passed, not on every response (an erasure still refinds at once, above)."""
    sid = _seed(db, 48)  # 96 comments: two per response
    finder = ThemeFinder(db, inline_limit=5)
    cache: CommentCache[Any] = CommentCache(finder=finder)

    def explore() -> CommentView:
        with db.unit_of_work() as uow:
            return comment_explorer.explore(uow, SYSTEM, sid, POLICY, cache=cache)

    explore()
    finder.wait()
    found = explore()
    assert found.themes and found.themes_as_of is not None and found.themes_as_of.fresh
    assert found.themes_as_of.comments == 96
    _submit(db, sid, START + timedelta(days=5), "queue was slow once more")  # 2 more: 2 %
    kept = explore()
    assert kept.themes == found.themes and kept.themes_as_of is not None
    assert not kept.themes_as_of.fresh and not kept.themes_as_of.pending
    finder.wait()
    assert explore().themes_as_of.comments == 96  # type: ignore[union-attr]  # not refound

    with db.engine.begin() as conn:  # found an hour and a minute ago
        at = datetime.now(UTC) - comment_themes.REFIND_AFTER - timedelta(minutes=1)
        conn.execute(sa.text("UPDATE comment_snapshots SET computed_at = :at"), {"at": at})
    old = explore()
    assert old.themes_as_of is not None and old.themes_as_of.pending
    finder.wait()
    again = explore().themes_as_of
    assert again is not None and again.fresh and again.comments == 98

    for i in range(3):  # 6 more comments: 6 % of 98
        _submit(db, sid, START + timedelta(days=6, hours=i), f"parking was full again {i}")
    grown = explore().themes_as_of
    assert grown is not None and grown.pending and grown.comments == 98
    finder.wait()
    assert explore().themes_as_of.comments == 104  # type: ignore[union-attr]


def test_read_again_is_looked_for_among_the_analyses_made_since(sqlite_db: Database) -> None:
    """Whether a comment was read again is asked of the analyses made since the counts
    were (usually a few), each response found by its key: as a join SQLite walked every
    response of the survey (0.06–0.11 s at 400 units, three times a comments page)."""
    sid = _seed(sqlite_db)
    with sqlite_db.unit_of_work(readonly=True) as uow:
        first = uow.comments.version(sid)
    _submit(sqlite_db, sid, START + timedelta(days=3), "one more")
    seen: list[tuple[str, Any]] = []

    def keep(conn: Any, cursor: Any, statement: str, params: Any, *_: Any) -> None:
        if "comment_analyses" in statement and "LIMIT" in statement:
            seen.append((statement, params))

    sa.event.listen(sa.engine.Engine, "before_cursor_execute", keep)
    try:
        with sqlite_db.unit_of_work(readonly=True) as uow:
            assert uow.comments.only_added(sid, first, uow.comments.version(sid))
    finally:
        sa.event.remove(sa.engine.Engine, "before_cursor_execute", keep)
    assert len(seen) == 1
    with sqlite_db.engine.connect() as conn:
        plan = [str(r[3]) for r in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {seen[0][0]}",
                                                        seen[0][1])]  # fmt: skip
    assert plan[0].startswith("SEARCH comment_analyses USING INTEGER PRIMARY KEY (rowid>?)"), plan
    assert not any("ix_responses_survey" in step for step in plan), plan
