"""CSV import of responses: mapping by id or label, encodings, all-or-nothing with a report."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from rapport.domain.org import SYSTEM
from rapport.errors import ValidationFailed
from rapport.services.response_import import import_responses
from rapport.services.surveys import parse_definition, save_definition
from rapport.storage.models import CommentAnalysisRow
from rapport.storage.uow import Database
from tests.integration._survey_fixtures import seed_org

HEADER = (
    "unit,submitted_at,How likely are you to recommend us?,csat,minds.ease,"
    "How do we do? - Fast,channels,feelings,comment,language"
)


def _csv(rows: list[str], header: str = HEADER) -> str:
    return "\n".join([header, *rows]) + "\n"


GOOD = [
    "north-1,2026-01-05T10:00:00Z,9,5,4,5,store;web,delighted:3,Très bien,fr",
    "north-1,2026-01-06,10,4,5,4,web,,Great service,en",
    "acme/south,,3,1,1,2,phone,ignored:2|frustrated:3,,en",
]


def _count(db: Database, sid: int) -> int:
    with db.unit_of_work() as uow:
        return uow.responses.count(sid)


def test_import_maps_ids_labels_and_rows(db: Database) -> None:
    sid = seed_org(db)
    with db.unit_of_work() as uow:
        result = import_responses(uow, SYSTEM, sid, _csv(GOOD).encode("utf-8"))
    assert (result.rows, result.encoding) == (3, "utf-8-sig")
    with db.unit_of_work() as uow:
        rows = uow.responses.page(sid, None, since=None, until=None, after_id=0, limit=10)
    first = {(a["question_id"], a["item"]): a for a in rows[0]["answers"]}
    assert first[("nps", "")]["value_num"] == 9
    assert first[("minds", "fast")]["value_num"] == 5
    assert first[("channels", "web")]["value_num"] == 1
    assert first[("feelings", "delighted")]["value_num"] == 3
    assert first[("comment", "")]["value_text"] == "Très bien"
    assert rows[0]["submitted_at"].day == 5
    assert rows[0]["language"] == "fr"
    third = {(a["question_id"], a["item"]) for a in rows[2]["answers"]}
    assert ("feelings", "frustrated") in third


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
def test_encodings_are_detected(sqlite_db: Database, encoding: str) -> None:
    sid = seed_org(sqlite_db)
    data = _csv(GOOD).encode(encoding)
    with sqlite_db.unit_of_work() as uow:
        result = import_responses(uow, SYSTEM, sid, data)
    expected = "cp1252" if encoding == "cp1252" else "utf-8-sig"
    assert result.encoding == expected
    with sqlite_db.unit_of_work() as uow:
        rows = uow.responses.page(sid, None, since=None, until=None, after_id=0, limit=1)
    assert any(a["value_text"] == "Très bien" for a in rows[0]["answers"])


def test_one_bad_row_in_the_middle_writes_nothing_and_is_reported(db: Database) -> None:
    sid = seed_org(db)
    rows = GOOD * 20
    rows.insert(30, "north-1,2026-01-07,11,4,4,4,web,,ok,en")  # NPS 11: out of range
    rows.insert(40, "mars,2026-01-07,9,4,9,4,fax,,ok,en")  # unknown unit, bad row, option
    with pytest.raises(ValidationFailed) as err, db.unit_of_work() as uow:
        import_responses(uow, SYSTEM, sid, _csv(rows).encode())
    assert "nothing was imported" in err.value.detail
    where = {e.location for e in err.value.errors}
    # Row numbers as a spreadsheet shows them: the header is row 1.
    assert "row 32, column nps" in where
    assert {"row 42, column unit", "row 42, column minds", "row 42, column channels"} <= where
    assert _count(db, sid) == 0


def test_unknown_columns_are_reported_before_any_row(sqlite_db: Database) -> None:
    sid = seed_org(sqlite_db)
    with pytest.raises(ValidationFailed) as err, sqlite_db.unit_of_work() as uow:
        import_responses(uow, SYSTEM, sid, _csv(GOOD, HEADER + ",shoe size").encode())
    assert err.value.errors[0].location == "column 11 (shoe size)"
    with pytest.raises(ValidationFailed) as err, sqlite_db.unit_of_work() as uow:
        import_responses(uow, SYSTEM, sid, b"nps,csat\n9,5\n")
    assert err.value.errors[0].message == "a 'unit' column is required"
    assert _count(sqlite_db, sid) == 0


def test_offsets_are_converted_to_utc_not_dropped(db: Database) -> None:
    sid = seed_org(db)
    row = "north-1,2026-01-05T10:00:00+02:00,9,5,4,5,web,,ok,en"
    with db.unit_of_work() as uow:
        import_responses(uow, SYSTEM, sid, _csv([row]).encode())
    with db.unit_of_work() as uow:
        stored = uow.responses.page(sid, None, since=None, until=None, after_id=0, limit=1)
    assert stored[0]["submitted_at"].replace(tzinfo=None).isoformat() == "2026-01-05T08:00:00"


PLAIN = {  # no display logic, only ratings, a matrix and text: the import's fast path
    "key": "plain",
    "title": "Plain",
    "audience": "customer",
    "pages": [
        {
            "id": "p",
            "questions": [
                {"id": "nps", "type": "nps", "required": True, "text": "Recommend?"},
                {
                    "id": "minds",
                    "type": "matrix",
                    "text": "The store was…",
                    "rows": [{"id": "ease", "text": "Easy"}, {"id": "fast", "text": "Fast"}],
                },
                {"id": "comment", "type": "text", "text": "Anything else?"},
            ],
        }
    ],
}


def _plain_survey(db: Database) -> int:
    seed_org(db)
    with db.unit_of_work() as uow:
        return save_definition(uow, SYSTEM, parse_definition(PLAIN)).survey_id


def test_plain_rows_and_checked_rows_are_stored_alike(db: Database) -> None:
    """Cells in plain form take the fast path, the others ("05", " +4") the checked one;
    both store the same values, comments redacted and read by the emotion model."""
    sid = _plain_survey(db)
    header = "unit,nps,minds.ease,minds.fast,comment"
    rows = [
        "north-1,9,4,5,Mail me at jo@example.com please",
        'north-1,05,"+4",5,Mail me at jo@example.com please',
        "north-1,7,,3,",
    ]
    with db.unit_of_work() as uow:
        assert import_responses(uow, SYSTEM, sid, _csv(rows, header).encode()).rows == 3
    with db.unit_of_work() as uow:
        stored = uow.responses.page(sid, None, since=None, until=None, after_id=0, limit=10)
        analysed = uow.session.scalar(select(func.count()).select_from(CommentAnalysisRow))
    values = [
        [(a["question_id"], a["item"], a["value_num"], a["value_text"]) for a in r["answers"]]
        for r in stored
    ]
    comment = ("comment", "", None, "Mail me at [EMAIL] please")
    assert values[0] == [("nps", "", 9, None), ("minds", "ease", 4, None),
                         ("minds", "fast", 5, None), comment]  # fmt: skip
    assert values[1] == [("nps", "", 5, None), ("minds", "ease", 4, None),
                         ("minds", "fast", 5, None), comment]  # fmt: skip
    assert values[2] == [("nps", "", 7, None), ("minds", "fast", 3, None)]
    assert analysed == 2  # one emotion reading per comment


def test_a_bad_row_among_plain_rows_writes_nothing(db: Database) -> None:
    sid = _plain_survey(db)
    header = "unit,nps,minds.ease,minds.fast,comment"
    rows = ["north-1,9,4,5,fine"] * 50
    rows.insert(25, "north-1,9,6,5,fine")  # a 5-point matrix row answered 6
    rows.insert(26, "north-1,,4,5,fine")  # the required NPS left out
    with pytest.raises(ValidationFailed) as err, db.unit_of_work() as uow:
        import_responses(uow, SYSTEM, sid, _csv(rows, header).encode())
    assert {e.location for e in err.value.errors} == {"row 27, column minds", "row 28, column nps"}
    assert _count(db, sid) == 0
