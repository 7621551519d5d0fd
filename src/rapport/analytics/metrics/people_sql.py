"""Statements over the people directory for analyses of people (the risk models)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select

from rapport.analytics.metrics.sql import table


def people_statement(kind: str) -> Select[Any]:
    """Every person of ``kind``: id, unit id, external id, relationship start, attributes."""
    p = table("people")
    return (
        select(p.c.id, p.c.unit_id, p.c.external_id, p.c.relationship_start, p.c.attributes)
        .where(p.c.kind == kind)
        .order_by(p.c.id)
    )


def person_responses_statement(survey_id: int, until: Any = None) -> Select[Any]:
    """The responses to a survey that name a person: response id, person id, submitted."""
    r = table("responses")
    where = [r.c.survey_id == survey_id, r.c.person_id.is_not(None)]
    if until is not None:
        where.append(r.c.submitted_at < until)
    return select(r.c.id, r.c.person_id, r.c.submitted_at).where(*where)
