"""The further relationship signals computed independently in pandas from the raw tables.

Every figure of ``services/relationship_signals.py`` is recomputed here from ``responses``,
``answers``, ``comment_analyses``, ``invitations`` and ``people`` — no metrics engine, no SQL
beyond reading whole tables — with statsmodels' Wilson intervals and OLS slopes, so an
error in the SQL layer, the roll-up or the interval shows up as a mismatch.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
import statsmodels.api as sm
from sqlalchemy import text
from statsmodels.stats.proportion import proportion_confint

from rapport.domain.comment_emotions import PICKED_RELATIONSHIP_EMOTIONS, RELATIONSHIP_EMOTIONS
from rapport.storage.uow import Database

TOLERANCE = 1e-9


def _read(db: Database, sql: str) -> pd.DataFrame:
    with db.engine.connect() as conn:
        return pd.DataFrame(conn.execute(text(sql)).mappings().all())


def _month(column: pd.Series) -> pd.Series:
    return pd.to_datetime(column, utc=True, format="mixed").dt.strftime("%Y-%m-01")


class RawTables:
    """The raw rows of one survey (and the unit tree), read once; per response its month."""

    def __init__(self, db: Database, survey: str) -> None:
        self.units = _read(db, "SELECT id, code, path FROM units")
        info = _read(db, f"SELECT id, audience FROM surveys WHERE key = '{survey}'")
        self.survey_id = int(info["id"].iloc[0])
        self.audience = str(info["audience"].iloc[0])
        responses = _read(
            db,
            "SELECT id, unit_id, person_id, submitted_at FROM responses "
            f"WHERE survey_id = {self.survey_id}",
        )
        responses["time"] = pd.to_datetime(responses["submitted_at"], utc=True, format="mixed")
        responses["month"] = responses["time"].dt.strftime("%Y-%m-01")
        self.responses = responses.set_index("id")
        of_survey = f"JOIN responses r ON r.id = x.response_id WHERE r.survey_id = {self.survey_id}"
        self.answers = self._of_responses(
            _read(
                db,
                "SELECT x.response_id, x.question_id, x.item, x.value_num FROM answers x "
                f"{of_survey} AND x.question_id IN ('emotions', 'nps')",
            )
        )
        self.comments = self._of_responses(
            _read(
                db, f"SELECT x.response_id, x.status, x.labels FROM comment_analyses x {of_survey}"
            )
        )
        self.invitations = _read(
            db,
            "SELECT i.unit_id, i.sent_at, i.created_at, i.used_at FROM invitations i "
            "JOIN distributions d ON d.id = i.distribution_id "
            "JOIN survey_versions v ON v.id = d.survey_version_id "
            f"WHERE v.survey_id = {self.survey_id}",
        )
        if not self.invitations.empty:
            sent = self.invitations["sent_at"].fillna(self.invitations["created_at"])
            self.invitations["month"] = _month(sent)
        self.people = _read(db, f"SELECT id, unit_id FROM people WHERE kind = '{self.audience}'")
        self.repeats = self._repeat_flags()
        picked = self.answers["question_id"].eq("emotions") & self.answers["value_num"].notna()
        self.picks = self.answers[picked]
        for name, emotion in PICKED_RELATIONSHIP_EMOTIONS.items():
            self.picks = self.picks.assign(**{name: self.picks["item"].eq(emotion)})
        self.comments = self.comments[self.comments["status"].eq("ok")].copy()
        labels = self.comments["labels"].fillna("").str.split().map(set)
        for emotion, any_of in RELATIONSHIP_EMOTIONS.items():
            self.comments[emotion] = labels.map(lambda got, a=set(any_of): bool(got & a))
        self._subtrees: dict[str, set[int]] = {}
        self._months: dict[tuple[str, str], pd.DataFrame] = {}

    def month(self, name: str, month: str) -> pd.DataFrame:
        """The rows of table ``name`` in ``month`` (split once per table)."""
        if (name, month) not in self._months:
            frame = getattr(self, name)
            for key, part in frame.groupby("month") if not frame.empty else ():
                self._months[name, str(key)] = part
            for m in self.responses["month"].unique():
                self._months.setdefault((name, str(m)), frame.iloc[:0])
        return self._months.get((name, month), getattr(self, name).iloc[:0])

    def _of_responses(self, frame: pd.DataFrame) -> pd.DataFrame:
        if frame.empty:
            return frame.assign(unit_id=[], month=[])
        at = self.responses.loc[frame["response_id"]]
        return frame.assign(unit_id=at["unit_id"].to_numpy(), month=at["month"].to_numpy())

    def _repeat_flags(self, days: int = 90) -> pd.DataFrame:
        """Complaints (NPS 0–6) of known people, each flagged when the same person's latest
        strictly earlier complaint is less than ``days`` days before."""
        nps = self.answers[
            (self.answers["question_id"] == "nps") & (self.answers["value_num"] <= 6)
        ]
        complaints = self.responses.loc[nps["response_id"]].reset_index()
        complaints = complaints[complaints["person_id"].notna()].sort_values("time")
        if complaints.empty:
            return complaints.assign(repeat=[])
        earlier = complaints[["person_id", "time"]].rename(columns={"time": "earlier"})
        paired = pd.merge_asof(
            complaints, earlier.assign(t=earlier["earlier"]).sort_values("t"),
            left_on="time", right_on="t", by="person_id", allow_exact_matches=False,
        )  # fmt: skip
        gap = (paired["time"] - paired["earlier"]).dt.total_seconds() / 86400.0
        return paired.assign(repeat=gap < days)

    def subtree(self, code: str) -> set[int]:
        if code not in self._subtrees:
            path = self.units.loc[self.units["code"] == code, "path"].iloc[0]
            inside = (self.units["path"] == path) | self.units["path"].str.startswith(path + "/")
            self._subtrees[code] = set(self.units.loc[inside, "id"])
        return self._subtrees[code]


def _share(successes: int, n: int) -> tuple[float, float, float]:
    low, high = proportion_confint(successes, n, alpha=0.05, method="wilson")
    return 100.0 * successes / n, 100.0 * float(low), 100.0 * float(high)


def expected_shares(raw: RawTables, code: str, month: str) -> Iterator[tuple[str, int, Any]]:
    """(signal name, n, (value, lower, upper) or None) of one unit and month."""
    units = raw.subtree(code)
    comments = raw.comments
    read = comments[
        comments["unit_id"].isin(units)
        & (comments["month"] == month)
        & (comments["status"] == "ok")
    ]
    labels = read["labels"].fillna("").str.split()
    for emotion, any_of in RELATIONSHIP_EMOTIONS.items():
        shown = int(labels.map(lambda got, a=any_of: bool(set(got) & set(a))).sum())
        yield f"comment.{emotion}", len(read), _share(shown, len(read)) if len(read) else None
    answers = raw.answers
    picks = answers[
        answers["unit_id"].isin(units)
        & (answers["month"] == month)
        & (answers["question_id"] == "emotions")
        & answers["value_num"].notna()
    ]
    answered = picks["response_id"].nunique()
    for name, emotion in PICKED_RELATIONSHIP_EMOTIONS.items():
        chosen = int((picks["item"] == emotion).sum())
        yield f"picked.{name}", answered, _share(chosen, answered) if answered else None


def expected_rate(raw: RawTables, code: str, month: str) -> tuple[int, Any, str] | None:
    """The response rate of one unit and month: of invitations where there were any, else
    of the unit's people in the directory; None when neither applies."""
    units = raw.subtree(code)
    inv = raw.invitations
    if not inv.empty:
        sent = raw.month("invitations", month)
        sent = sent[sent["unit_id"].isin(units)]
        if len(sent):
            return len(sent), _share(int(sent["used_at"].notna().sum()), len(sent)), "invitations"
    people = raw.people[raw.people["unit_id"].isin(units)]
    in_month = raw.month("responses", month)
    if people.empty or in_month.empty:
        return None
    answered = in_month[in_month["person_id"].isin(set(people["id"]))]["person_id"].nunique()
    return len(people), _share(int(answered), len(people)), "people"


def expected_repeats(raw: RawTables, code: str, month: str) -> Any:
    """(n complaints of known people, (value, lower, upper) or None)."""
    flags = raw.repeats
    if flags.empty:
        return 0, None
    flags = raw.month("repeats", month)
    mine = flags[flags["unit_id"].isin(raw.subtree(code))]
    return len(mine), _share(int(mine["repeat"].sum()), len(mine)) if len(mine) else None


def expected_trend(series: pd.Series, window: int = 6) -> tuple[float, float, float, int] | None:
    """OLS slope of the last ``window`` periods of ``series`` (index: period order) with
    its 95 % t interval (statsmodels), None with fewer than 4 usable periods."""
    last = series.iloc[-window:].dropna()
    if len(last) < 4:
        return None
    x = np.array([series.index.get_loc(p) for p in last.index], dtype=float)
    fit = sm.OLS(last.to_numpy(float), sm.add_constant(x)).fit()
    low, high = fit.conf_int(0.05)[1]
    return float(fit.params[1]), float(low), float(high), len(last)


def close(a: float | None, b: float) -> bool:
    return a is not None and abs(a - b) <= TOLERANCE * max(1.0, abs(b))
