"""Comments are paged in the database with a keyset cursor (issue 13 item 4).

Pages read after a cursor of (submitted at, response id, answer id) concatenate to the full
newest-first list, with no comment twice and none missed, even when comments arrive between
two pages; on SQLite and PostgreSQL. Ties (one submission time for several responses, two
comments of one response) are where an offset or a cursor of the time alone would fail.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from rapport.analytics.suppression import SuppressionPolicy
from rapport.domain.org import SYSTEM, PersonKind
from rapport.errors import ValidationFailed
from rapport.services import comment_explorer, people, personal_data, responses, surveys
from rapport.services.comment_themes import CommentCache
from rapport.storage.repositories.comments import CommentCursor, CommentQuery, CommentRecord
from rapport.storage.uow import Database
from tests.integration._survey_fixtures import GOOD_ANSWERS, seed_org

START = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def _submit(db: Database, sid: int, at: datetime, words: str) -> None:
    answers: dict[str, Any] = {**GOOD_ANSWERS, "why": f"why {words}", "comment": f"note {words}"}
    with db.unit_of_work() as uow:
        published = surveys.get_published(uow, sid)
        unit = uow.units.by_code("north-1")
        assert unit is not None
        sub = responses.Submission(answers=answers, unit_id=unit.id, submitted_at=at)
        responses.submit(uow, published, sub)


def _seed(db: Database) -> int:
    sid = seed_org(db)
    for i in range(12):
        # three responses share each submission time: ties the cursor must break
        _submit(db, sid, START + timedelta(hours=i // 3), f"first {i}")
    return sid


def _key(r: CommentRecord) -> tuple[int, str]:
    return r.response_id, r.question_id


def _query(sid: int) -> CommentQuery:
    return CommentQuery(sid, ("why", "comment"))


def test_keyset_pages_concatenate_to_the_ordered_list(db: Database) -> None:
    sid = _seed(db)
    with db.unit_of_work(readonly=True) as uow:
        everything = uow.comments.page(_query(sid), limit=1000)
        pages: list[list[CommentRecord]] = []
        after = None
        while True:
            page = uow.comments.page(_query(sid), limit=5, after=after)
            if not page:
                break
            pages.append(page)
            after = CommentCursor.of(page[-1])
        old = uow.comments.for_survey(sid, ["why", "comment"])
    assert len(everything) == 24
    assert [r for p in pages for r in p] == everything
    assert [len(p) for p in pages] == [5, 5, 5, 5, 4]
    order = [(r.submitted_at, r.response_id, r.answer_id) for r in everything]
    assert order == sorted(order, reverse=True)
    assert {_key(r) for r in old} == {_key(r) for r in everything}


def test_comments_arriving_between_pages_neither_repeat_nor_go_missing(db: Database) -> None:
    sid = _seed(db)
    with db.unit_of_work(readonly=True) as uow:
        before = [_key(r) for r in uow.comments.page(_query(sid), limit=1000)]
    seen: list[tuple[int, str]] = []
    after = None
    step = 0
    while True:
        with db.unit_of_work(readonly=True) as uow:
            page = uow.comments.page(_query(sid), limit=4, after=after)
        if not page:
            break
        seen.extend(_key(r) for r in page)
        after = CommentCursor.of(page[-1])
        step += 1
        # a newer comment (lands before the cursor: on no later page) and one at the very
        # time of the cursor's response (a tie, placed by its larger ids: also before)
        _submit(db, sid, START + timedelta(days=30, minutes=step), f"new {step}")
        _submit(db, sid, page[-1].submitted_at, f"tie {step}")
    assert len(seen) == len(set(seen)), "a comment was shown twice"
    assert set(before) <= set(seen), "a comment was skipped"
    assert [k for k in seen if k in set(before)] == before  # in order


def test_explorer_pages_with_its_cursor_and_rejects_a_bad_one(db: Database) -> None:
    sid = _seed(db)
    policy = SuppressionPolicy(5, 10)
    shown: list[tuple[int, str]] = []
    after = None
    with db.unit_of_work() as uow:
        total = comment_explorer.explore(uow, SYSTEM, sid, policy, limit=1000).matching
        while True:
            view = comment_explorer.explore(uow, SYSTEM, sid, policy, limit=7, after=after)
            shown.extend(_key(c) for c in view.comments)
            assert view.matching == total  # counts are over every page
            if view.next_after is None or not view.comments:
                break
            after = comment_explorer.cursor(view.next_after.token())
    assert len(shown) == total == 24
    assert len(set(shown)) == 24
    with pytest.raises(ValidationFailed) as bad:
        comment_explorer.cursor("not-a-cursor")
    assert [e.location for e in bad.value.errors] == ["after"]


def test_cached_counts_and_themes_follow_new_comments(db: Database) -> None:
    sid = _seed(db)
    policy = SuppressionPolicy(5, 10)
    cache: CommentCache[Any] = CommentCache()
    with db.unit_of_work() as uow:
        first = comment_explorer.explore(uow, SYSTEM, sid, policy, cache=cache)
        again = comment_explorer.explore(uow, SYSTEM, sid, policy, cache=cache)
    assert cache.hits > 0 and again.matching == first.matching == 24
    _submit(db, sid, START + timedelta(days=2), "after the cache")
    with db.unit_of_work() as uow:
        later = comment_explorer.explore(uow, SYSTEM, sid, policy, cache=cache)
        fresh = comment_explorer.explore(uow, SYSTEM, sid, policy)
    assert later.matching == fresh.matching == 26  # a new data version: counted again
    assert later.themes == fresh.themes
    assert later.emotion_counts == fresh.emotion_counts


def test_an_erasure_is_a_new_data_version_for_cached_comments_and_themes(db: Database) -> None:
    """An erased person's comments keep their rows but lose their text: cached counts and
    themes (whose examples quote comments) must not outlive it."""
    sid = _seed(db)
    policy = SuppressionPolicy(5, 10)
    cache: CommentCache[Any] = CommentCache()
    csv = "external_id,kind,unit,name\nc-zorb,customer,north-1,Zorblax Quux\n"
    with db.unit_of_work() as uow:
        people.import_people(uow, SYSTEM, csv.encode(), pause_gc=False)
        for i in range(3):
            words = {"why": f"why zorblax {i}", "comment": f"zorblax quux said {i}"}
            responses.submit_as(
                uow, SYSTEM, sid, {**GOOD_ANSWERS, **words}, unit="north-1", person="c-zorb"
            )
    with db.unit_of_work() as uow:
        before = comment_explorer.explore(uow, SYSTEM, sid, policy, cache=cache)
    assert before.matching == 30 and "zorblax" in repr(before.comments)
    with db.unit_of_work() as uow:
        personal_data.erase_person(uow, SYSTEM, PersonKind.CUSTOMER, "c-zorb")
    with db.unit_of_work() as uow:
        later = comment_explorer.explore(uow, SYSTEM, sid, policy, cache=cache)
        fresh = comment_explorer.explore(uow, SYSTEM, sid, policy)
    assert later.matching == fresh.matching == 24
    assert later.themes == fresh.themes and "zorblax" not in repr(later).lower()
