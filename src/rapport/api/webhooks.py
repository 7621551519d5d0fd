"""Webhooks (admins): ``/api/v1/webhooks``, their deliveries and replays; and the payloads
Rapport sends, declared in the OpenAPI document's ``webhooks`` section (:func:`document`).

Messages follow the Standard Webhooks specification: headers ``webhook-id``,
``webhook-timestamp`` and ``webhook-signature`` (``v1,`` + base64 HMAC-SHA256 of
``{id}.{timestamp}.{body}`` keyed by the base64-decoded secret after ``whsec_``).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, get_args

from fastapi import APIRouter, FastAPI, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field, create_model

from rapport.api.deps import MAX_ID, PrincipalDep, ReadUowDep, UowDep
from rapport.api.types import UtcDateTime
from rapport.domain.webhooks import DeliveryStatus, EventType
from rapport.services import webhooks
from rapport.storage.repositories.webhooks import EndpointRecord

router = APIRouter(prefix="/api/v1", tags=["webhooks"])
WebhookId = Annotated[int, Path(ge=1, le=MAX_ID)]
DeliveryId = Annotated[int, Path(ge=1, le=MAX_ID)]
EventName = Literal[
    "response.created", "case.created", "case.updated", "case.escalated", "case.closed"
]
StatusName = Literal["pending", "sending", "delivered", "dead"]
assert set(get_args(EventName)) == set(EventType)  # noqa: S101 - one vocabulary
assert set(get_args(StatusName)) == set(DeliveryStatus)  # noqa: S101


class WebhookIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: str = Field(min_length=1, max_length=2000, examples=["https://hooks.example.com/rapport"])
    events: list[EventName] = Field(min_length=1, max_length=5, examples=[["case.created"]])
    secret: str | None = Field(
        None,
        max_length=200,
        pattern=r"^whsec_[A-Za-z0-9+/=]+$",
        description="whsec_ and base64 of 24-64 bytes; generated when not given",
    )
    description: str = Field("", max_length=500)


class WebhookOut(BaseModel):
    id: int
    url: str
    events: list[str]
    description: str
    created_by: str
    created_at: UtcDateTime

    @classmethod
    def of(cls, e: EndpointRecord) -> WebhookOut:
        return cls(
            id=e.id,
            url=e.url,
            events=list(e.events),
            description=e.description,
            created_by=e.created_by,
            created_at=e.created_at,
        )


class WebhookCreatedOut(WebhookOut):
    secret: str = Field(description="The signing secret; shown this once")


class AttemptOut(BaseModel):
    at: UtcDateTime
    status_code: int | None = Field(description="The receiver's HTTP status; null if none")
    error: str | None
    duration_ms: int


class DeliveryOut(BaseModel):
    id: int
    endpoint_id: int
    msg_id: str = Field(description="The webhook-id header: the same on every attempt")
    event_type: str
    status: StatusName
    attempts: int
    next_at: UtcDateTime = Field(description="When a pending message is tried next")
    created_at: UtcDateTime
    delivered_at: UtcDateTime | None
    last_status: int | None
    last_error: str | None
    log: list[AttemptOut]


@router.post(
    "/webhooks",
    response_model=WebhookCreatedOut,
    status_code=201,
    summary="Subscribe a receiver to events (admins)",
)
def create_webhook(body: WebhookIn, principal: PrincipalDep, uow: UowDep) -> WebhookCreatedOut:
    """The answer carries the signing secret; it is not shown again."""
    given = webhooks.EndpointInput(
        url=body.url, events=body.events, secret=body.secret, description=body.description
    )
    made = webhooks.create(uow, principal, given)
    return WebhookCreatedOut(**WebhookOut.of(made).model_dump(), secret=made.secret)


@router.get("/webhooks", response_model=list[WebhookOut], summary="The webhook receivers")
def list_webhooks(principal: PrincipalDep, uow: ReadUowDep) -> list[WebhookOut]:
    return [WebhookOut.of(e) for e in webhooks.endpoints(uow, principal)]


@router.delete(
    "/webhooks/{webhook_id}",
    status_code=204,
    response_class=Response,
    summary="Remove a receiver with its outbox and log",
)
def delete_webhook(webhook_id: WebhookId, principal: PrincipalDep, uow: UowDep) -> Response:
    webhooks.delete(uow, principal, webhook_id)
    return Response(status_code=204)


@router.get(
    "/webhooks/{webhook_id}/deliveries",
    response_model=list[DeliveryOut],
    summary="A receiver's deliveries, newest first, with each attempt",
)
def list_deliveries(
    webhook_id: WebhookId,
    principal: PrincipalDep,
    uow: ReadUowDep,
    status: Annotated[StatusName | None, Query(description="'dead': the dead letters")] = None,
    before: Annotated[int | None, Query(ge=1, le=MAX_ID, description="Older than this id")] = None,
    limit: Annotated[int, Query(ge=1, le=webhooks.MAX_PAGE)] = 100,
) -> list[DeliveryOut]:
    found = webhooks.deliveries(
        uow, principal, webhook_id, status=status, before=before, limit=limit
    )
    return [DeliveryOut(**d) for d in found]


@router.post(
    "/webhooks/{webhook_id}/deliveries/{delivery_id}/replay",
    response_model=DeliveryOut,
    status_code=202,
    summary="Send a dead letter (or a delivered message) again",
)
def replay_delivery(
    webhook_id: WebhookId, delivery_id: DeliveryId, principal: PrincipalDep, uow: UowDep
) -> DeliveryOut:
    """Same webhook-id and body, a fresh round of attempts from now (409 while it waits)."""
    webhooks.replay(uow, principal, webhook_id, delivery_id)
    [found] = [
        d
        for d in webhooks.deliveries(uow, principal, webhook_id, before=delivery_id + 1, limit=1)
        if d["id"] == delivery_id
    ]
    return DeliveryOut(**found)


# -- what is sent: the OpenAPI "webhooks" section -------------------------------------------


class ResponseData(BaseModel):
    id: int
    survey: str = Field(description="The survey's key")
    survey_version: int
    unit: str = Field(description="The unit's code")
    audience: Literal["customer"] = Field(description="Employee responses are never sent")
    channel: str
    language: str
    submitted_at: UtcDateTime
    person: str | None = Field(description="The customer's external id; null if anonymous")
    answers: dict[str, Any] = Field(
        description="By question id; comments as stored (personal data redacted)"
    )


class CaseData(BaseModel):
    id: int
    title: str
    unit: str
    audience: Literal["customer", "employee"]
    rule_id: int | None
    response_id: int | None = Field(description="Null for employee cases (who answered)")
    owner: str | None = Field(description="The owner's e-mail")
    status: Literal["open", "in_progress", "resolved", "closed"]
    priority: Literal["urgent", "high", "normal", "low"]
    opened_at: UtcDateTime = Field(description="Employee cases: the day only (00:00 UTC)")
    due_at: UtcDateTime
    first_contact_at: UtcDateTime | None
    resolved_at: UtcDateTime | None
    resolution_code: str | None
    escalation_level: int


class ResponseCreated(BaseModel):
    type: Literal["response.created"]
    timestamp: UtcDateTime
    data: ResponseData


def _case_event(name: str) -> type[BaseModel]:
    """The payload model of a case event (``case.closed`` → ``CaseClosed``)."""
    title = "Case" + "".join(p.title() for p in name.split(".")[1:])
    return create_model(
        title,
        type=(Literal[name], ...),  # type: ignore[arg-type]
        timestamp=(UtcDateTime, ...),
        data=(CaseData, ...),
    )


HEADERS_DOC = (
    "Headers: webhook-id (the same on every attempt: deduplicate by it), webhook-timestamp "
    "(Unix seconds), webhook-signature (v1, + base64 HMAC-SHA256 of {id}.{timestamp}.{body} "
    "with the base64-decoded secret after whsec_). Answer 2xx within the timeout; anything "
    "else is retried with exponential backoff, then kept as a dead letter."
)


def document(app: FastAPI) -> None:
    """Declare every event Rapport sends in the ``webhooks`` section of ``/openapi.json``."""
    payloads: dict[str, type[BaseModel]] = {"response.created": ResponseCreated}
    for event in EventType:
        if event is not EventType.RESPONSE_CREATED:
            payloads[event.value] = _case_event(event.value)
    for name, model in payloads.items():

        def receiver(body: Any) -> None:  # documents the request; never called
            """Rapport POSTs this to every receiver subscribed to the event."""

        receiver.__annotations__ = {"body": model, "return": None}
        operation = "webhook_" + name.replace(".", "_")
        app.webhooks.post(name, summary=name, description=HEADERS_DOC, operation_id=operation)(
            receiver
        )
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        schema = generate()
        for operations in schema.get("webhooks", {}).values():
            for operation in operations.values():  # what Rapport expects back, not FastAPI's 422
                operation["responses"] = {"2XX": {"description": "Received (any 2xx answer)"}}
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
