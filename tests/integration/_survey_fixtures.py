"""A small survey with every question type, used by integration and browser tests."""

from __future__ import annotations

from typing import Any

from rapport.domain.org import SYSTEM, PersonKind, Role, UnitKind
from rapport.services import auth, surveys
from rapport.storage.uow import Database

PASSWORD = "a-long-enough-password"

EVERY_TYPE: dict[str, Any] = {
    "key": "every-type",
    "title": {"en": "Every question type", "es": "Todos los tipos"},
    "audience": "customer",
    "languages": ["en", "es"],
    "pages": [
        {
            "id": "scores",
            "title": {"en": "Scores", "es": "Puntuaciones"},
            "questions": [
                {
                    "id": "intro",
                    "type": "display",
                    "text": {"en": "Thanks for helping us.", "es": "Gracias por ayudarnos."},
                },
                {
                    "id": "nps",
                    "type": "nps",
                    "required": True,
                    "tags": ["loyalty.recommend"],
                    "text": {
                        "en": "How likely are you to recommend us?",
                        "es": "¿Nos recomendaría?",
                    },
                },
                {
                    "id": "csat",
                    "type": "csat",
                    "text": {"en": "How satisfied are you?", "es": "¿Está satisfecho?"},
                },
                {
                    "id": "csat_low",
                    "type": "text",
                    "show_if": {"question": "csat", "op": "<=", "value": 2},
                    "text": {
                        "en": "Sorry to hear that. What happened?",
                        "es": "Lo sentimos. ¿Qué pasó?",
                    },
                },
                {
                    "id": "ces",
                    "type": "ces",
                    "tags": ["mind.effort"],
                    "text": {"en": "It was easy.", "es": "Fue fácil."},
                },
                {
                    "id": "delight",
                    "type": "likert",
                    "tags": ["heart.delight"],
                    "scale": {"points": 5, "low": "Disagree", "high": "Agree"},
                    "text": {"en": "You delight me.", "es": "Me encanta."},
                },
                {
                    "id": "minds",
                    "type": "matrix",
                    "scale": {"points": 5, "low": "Disagree", "high": "Agree"},
                    "text": {"en": "How do we do?", "es": "¿Qué tal lo hacemos?"},
                    "rows": [
                        {
                            "id": "ease",
                            "text": {"en": "Easy", "es": "Fácil"},
                            "tags": ["mind.ease"],
                        },
                        {
                            "id": "fast",
                            "text": {"en": "Fast", "es": "Rápido"},
                            "tags": ["mind.fast"],
                        },
                    ],
                },
            ],
        },
        {
            "id": "more",
            "title": {"en": "More", "es": "Más"},
            "questions": [
                {
                    "id": "why",
                    "type": "text",
                    "show_if": {"question": "nps", "op": "<=", "value": 6},
                    "text": {"en": "What went wrong?", "es": "¿Qué salió mal?"},
                },
                {
                    "id": "channel",
                    "type": "single_choice",
                    "text": {"en": "Main channel", "es": "Canal principal"},
                    "options": [
                        {"id": "store", "text": {"en": "Store", "es": "Tienda"}},
                        {"id": "web", "text": {"en": "Web", "es": "Web"}},
                    ],
                },
                {
                    "id": "channels",
                    "type": "multi_choice",
                    "text": {"en": "All channels", "es": "Todos los canales"},
                    "options": [
                        {"id": "store", "text": {"en": "Store", "es": "Tienda"}},
                        {"id": "phone", "text": {"en": "Phone", "es": "Teléfono"}},
                        {"id": "web", "text": {"en": "Web", "es": "Web"}},
                    ],
                },
                {
                    "id": "feelings",
                    "type": "emotion_picker",
                    "emotions": ["delighted", "ignored", "frustrated"],
                    "text": {"en": "How did you feel?", "es": "¿Cómo se sintió?"},
                },
                {
                    "id": "visits",
                    "type": "number",
                    "integer": True,
                    "min": 0,
                    "max": 100,
                    "text": {"en": "Visits this year", "es": "Visitas este año"},
                },
                {"id": "when", "type": "date", "text": {"en": "Last visit", "es": "Última visita"}},
                {
                    "id": "comment",
                    "type": "text",
                    "text": {"en": "Anything else?", "es": "¿Algo más?"},
                },
            ],
        },
    ],
}

GOOD_ANSWERS: dict[str, Any] = {
    "nps": 4,
    "csat": 4,
    "ces": 6,
    "delight": 5,
    "minds": {"ease": 4, "fast": 2},
    "why": "Slow checkout",
    "channel": "web",
    "channels": ["store", "web"],
    "feelings": {"ignored": 2, "frustrated": 3},
    "visits": 12,
    "when": "2026-10-01",
    "comment": "Nice staff",
}


def seed_org(db: Database, definition: dict[str, Any] | None = None) -> int:
    """Units, a few customers, an admin user, and the survey published; returns its id."""
    with db.unit_of_work() as uow:
        root = uow.units.add("acme", "Acme Retail", UnitKind.COMPANY)
        north = uow.units.add("north", "North", UnitKind.REGION, root)
        store = uow.units.add("north-1", "North store 1", UnitKind.STORE, north)
        uow.units.add("south", "South", UnitKind.REGION, root)
        uow.people.add_many(
            {
                "kind": PersonKind.CUSTOMER.value,
                "unit_id": store.id,
                "external_id": f"c{i}",
                "name": f"Customer {i}",
                "email": f"c{i}@example.com",
                "language": "en",
                "relationship_start": None,
                "attributes": {"segment": "everyday"},
                "consent_email": True,
            }
            for i in range(3)
        )
        auth.create_user(uow, "admin@example.com", PASSWORD, Role.ADMIN)
        auth.create_user(uow, "north@example.com", PASSWORD, Role.MANAGER, "north")
        parsed = surveys.parse_definition(definition or EVERY_TYPE)
        version = surveys.save_definition(uow, SYSTEM, parsed)
        return version.survey_id
