"""``rapport alerts add | list``, ``rapport cases escalate`` and ``rapport webhooks deliver |
list`` (to a real receiver), in-process on a SQLite file."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rapport.cli._common import console
from rapport.cli.main import app
from rapport.domain.org import SYSTEM, UnitKind
from rapport.services import cases, units, webhooks
from rapport.storage.uow import Database
from tests.integration._webhook_receiver import receiver


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("RAPPORT_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("RAPPORT_DATABASE_URL", raising=False)
    monkeypatch.setattr(console, "width", 160)
    return CliRunner()


def test_add_a_rule_then_escalate_an_overdue_case(cli: CliRunner, tmp_path: Path) -> None:
    assert cli.invoke(app, ["init", "--org", "Acme"]).exit_code == 0
    rule = tmp_path / "rule.json"
    rule.write_text(
        json.dumps({"name": "Angry", "condition": {"question": "emotion:anger", "op": "answered"}})
    )
    done = cli.invoke(app, ["alerts", "add", str(rule)])
    assert done.exit_code == 0, done.output
    assert "Added alert rule 1: Angry (normal)." in done.output
    assert '"emotion:anger"' in cli.invoke(app, ["alerts", "list"]).output
    rule.write_text(
        json.dumps({"name": "Bad", "condition": {"question": "emotion:rage", "op": "answered"}})
    )
    bad = cli.invoke(app, ["alerts", "add", str(rule)])
    assert bad.exit_code != 0 and "condition.question" in bad.output
    db = Database(f"sqlite:///{tmp_path / 'rapport.db'}")
    with db.unit_of_work() as uow:
        store = units.create(uow, SYSTEM, "s1", "Store 1", UnitKind.STORE, "acme")
        past = datetime.now(UTC) - timedelta(days=2)
        cases.open_case(uow, unit=store, audience="customer", title="late", priority="high",
                        actor="t", now=past)  # fmt: skip
    db.dispose()
    done = cli.invoke(app, ["cases", "escalate", "--no-mail"])
    assert done.exit_code == 0, done.output
    assert "Escalated 1 overdue case(s); sent 0 e-mail(s)." in done.output
    assert "Escalated 0" in cli.invoke(app, ["cases", "escalate", "--no-mail"]).output


def test_deliver_sends_what_the_case_commands_wrote(cli: CliRunner, tmp_path: Path) -> None:
    """A case opened by hand and escalated sends case.created and case.escalated, once each,
    signed."""
    assert cli.invoke(app, ["init", "--org", "Acme"]).exit_code == 0
    db = Database(f"sqlite:///{tmp_path / 'rapport.db'}")
    with receiver() as hook:
        with db.unit_of_work() as uow:
            events = ["case.created", "case.escalated"]
            hook.secret = webhooks.create(
                uow, SYSTEM, webhooks.EndpointInput(hook.url, events)
            ).secret
            store = units.create(uow, SYSTEM, "s1", "Store 1", UnitKind.STORE, "acme")
            past = datetime.now(UTC) - timedelta(days=2)
            cases.open_case(uow, unit=store, audience="customer", title="late", priority="high",
                            actor="t", now=past)  # fmt: skip
        db.dispose()
        assert "Escalated 1" in cli.invoke(app, ["cases", "escalate", "--no-mail"]).output
        done = cli.invoke(app, ["webhooks", "deliver"])
        assert done.exit_code == 0, done.output
        assert "Delivered 2 message(s); 0 to retry later; 0 dead letter(s)." in done.output
        again = cli.invoke(app, ["webhooks", "deliver"])
        assert "Delivered 0 message(s)" in again.output
        listed = cli.invoke(app, ["webhooks", "list"]).output
    assert f"1  {hook.url}  (case.created, case.escalated)  2 delivered" in listed
    assert sorted(r.payload["type"] for r in hook.got) == ["case.created", "case.escalated"]
    assert all(r.verified for r in hook.got)
    [escalated] = [r.payload["data"] for r in hook.got if r.payload["type"] == "case.escalated"]
    assert (escalated["title"], escalated["escalation_level"]) == ("late", 1)
