"""``rapport webhooks deliver`` (for cron) and ``rapport webhooks list``."""

from __future__ import annotations

import typer

from rapport.cli._common import console, friendly_errors, load_settings, open_database

webhooks_app = typer.Typer(help="Webhooks: send the outbox, list receivers.", no_args_is_help=True)


@webhooks_app.command("deliver")
def deliver() -> None:
    """Send every webhook message that is due now (retries that wait stay for later).

    Safe to run from several hosts at once, and beside the server's own deliverer: each
    message is claimed by one run."""
    from rapport.services.webhooks.deliverer import DeliveryPolicy, deliver_due

    settings = load_settings()
    with friendly_errors():
        db = open_database(settings)
        report = deliver_due(db, DeliveryPolicy.from_settings(settings))
    console.print(
        f"Delivered {report.delivered} message(s); {report.retrying} to retry later; "
        f"{report.dead} dead letter(s)."
    )


@webhooks_app.command("list")
def list_endpoints() -> None:
    """Every receiver with its events and how many messages are in each state."""
    from rapport.domain.org import SYSTEM
    from rapport.services import webhooks

    settings = load_settings()
    with friendly_errors():
        db = open_database(settings)
        with db.unit_of_work(readonly=True) as uow:
            found = webhooks.endpoints(uow, SYSTEM)
            counts = uow.webhooks.counts()
    for e in found:
        states = ", ".join(f"{n} {s}" for (i, s), n in sorted(counts.items()) if i == e.id)
        console.print(f"{e.id}  {e.url}  [{', '.join(e.events)}]  {states or 'no messages'}")
