"""What the commands print and how fast they start: tables a person can read, keys never
cut, no heavy imports before a command runs, and an access log without tokens."""

from __future__ import annotations

import json
import logging
import logging.config
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from rapport.cli.serve_cmds import log_config
from rapport.storage.uow import Database
from tests.cli.test_cli import run
from tests.conftest import LiveServer
from tests.integration._survey_fixtures import EVERY_TYPE, seed_org

HEAVY = ("pandas", "numpy", "scipy", "sqlalchemy", "alembic", "pydantic_settings", "fastapi")


def test_classify_prints_a_table_of_labels_sentiment_and_ekman() -> None:
    result = run(
        {"COLUMNS": "110"},
        "text",
        "classify",
        "I love how helpful the staff were",
        "The wait was terrible and nobody cared",
        "ok",
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "EmotionPrediction(" not in out and "frozenset" not in out
    assert re.search(r"top 3 labels \(score\).*sentiment.*Ekman", out)
    assert re.search(r"✓ love 1\.00", out) and re.search(r"positive \d\.\d\d", out)
    assert re.search(r"negative \d\.\d\d", out)
    assert "not read: too short" in out  # "ok" has too few letters


def test_survey_list_shows_whole_keys_in_a_narrow_terminal(tmp_path: Path) -> None:
    key = "employee-engagement-pulse-autumn-2026-wave-two"
    definition = tmp_path / "survey.json"
    definition.write_text(json.dumps({**EVERY_TYPE, "key": key}))
    env = {"RAPPORT_DATA_DIR": str(tmp_path), "COLUMNS": "80"}
    assert run(env, "init").returncode == 0
    assert run(env, "survey", "import", str(definition)).returncode == 0
    listing = run(env, "survey", "list")
    assert listing.returncode == 0, listing.stderr
    assert key in listing.stdout, listing.stdout
    assert "…" not in listing.stdout and "published" in listing.stdout


@pytest.mark.parametrize("args", [["--help"], ["survey", "--help"], ["metrics", "show", "--help"]])
def test_help_imports_no_heavy_module(args: list[str]) -> None:
    """The command tree loads without pandas, SQLAlchemy, FastAPI...: each command imports
    what it needs when it runs (``rapport --help`` took ~5 s before)."""
    probe = (
        "import sys\n"
        f"sys.argv = ['rapport', *{args!r}]\n"
        "from rapport.cli.main import app\n"
        "try:\n    app()\nexcept SystemExit:\n    pass\n"
        f"print('HEAVY', sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r}))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert "Usage" in result.stdout
    assert result.stdout.strip().splitlines()[-1] == "HEAVY []"


def test_access_log_names_route_status_and_duration_but_no_token(
    sqlite_live_server: LiveServer, sqlite_db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    sid = seed_org(sqlite_db)
    secret = "SeCrEtToKeN1234567890"
    with caplog.at_level(logging.INFO, logger="rapport.access"):
        httpx.get(f"{sqlite_live_server.url}/s/{secret}?token={secret}&next=x")
        httpx.get(f"{sqlite_live_server.url}/api/v1/surveys/{sid}?key={secret}")
        httpx.get(f"{sqlite_live_server.url}/healthz")
        # The server thread logs a request once its answer is sent: wait for the last line.
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not any(
            "/healthz" in r.getMessage() for r in caplog.records
        ):
            time.sleep(0.05)
    lines = [r.getMessage() for r in caplog.records if r.name == "rapport.access"]
    assert any(re.fullmatch(r"GET /s/\{token\} 404 \d+\.\dms", line) for line in lines), lines
    assert any(re.fullmatch(r"GET /api/v1/surveys/\{survey_id\} 401 \d+\.\dms", x) for x in lines)
    assert any(re.fullmatch(r"GET /healthz 200 \d+\.\dms", line) for line in lines), lines
    assert not [line for line in lines if secret in line or "?" in line]


def test_serve_logging_config_writes_the_access_log_and_not_uvicorns() -> None:
    config = log_config()
    assert config["loggers"]["rapport.access"]["level"] == "INFO"
    logging.config.dictConfig(config)
    try:
        assert logging.getLogger("rapport.access").isEnabledFor(logging.INFO)
    finally:
        logging.getLogger("rapport.access").handlers.clear()
        logging.getLogger("rapport.access").propagate = True


def test_distribute_twice_invites_nobody_twice_and_links_use_the_base_url(
    tmp_path: Path,
) -> None:
    env = {"RAPPORT_DATA_DIR": str(tmp_path), "RAPPORT_SECRET_KEY": "k" * 40}
    assert run(env, "init").returncode == 0
    db = Database(f"sqlite:///{tmp_path / 'rapport.db'}")
    seed_org(db)
    db.dispose()
    out = tmp_path / "links.csv"
    args = ["survey", "distribute", "every-type", "--unit", "north", "--out", str(out)]
    preview = run(env, *args, "--to", "segment=everyday", "--dry-run")
    assert preview.returncode == 0, preview.stderr
    assert "RAPPORT_BASE_URL is not set" in preview.stderr
    assert "http://127.0.0.1:8000" in preview.stderr
    assert "Would invite 3 customers to every-type by link; skipped 0." in preview.stdout
    assert "c0  Customer 0" in preview.stdout and "Dry run: nothing was written." in preview.stdout
    assert not out.exists()

    env["RAPPORT_BASE_URL"] = "https://survey.example.com/"
    first = run(env, *args, "--to", "segment=everyday")
    assert first.returncode == 0, first.stderr
    assert "RAPPORT_BASE_URL" not in first.stderr
    assert "Invited 3 customers to every-type by link; skipped 0." in first.stdout
    links = [line.split(",")[-1] for line in out.read_text().splitlines()[1:]]
    assert len(links) == 3
    assert all(link.startswith("https://survey.example.com/s/") for link in links), links

    again = run(env, *args)
    assert again.returncode == 0, again.stderr
    assert "Invited 0 customers to every-type by link; skipped 3." in again.stdout
    assert "skipped 3: invited to this survey within the quiet period (30 days)" in again.stdout

    bad = run(env, "survey", "distribute", "every-type", "--to", "segment", "--channel", "fax")
    assert bad.returncode == 1 and "Traceback" not in bad.stderr
    assert "expected ATTRIBUTE=VALUE, got 'segment'" in bad.stderr


def test_several_workers_share_a_socket_without_nagle(monkeypatch: pytest.MonkeyPatch) -> None:
    """uvicorn binds the workers' shared socket without naming TCP, so asyncio left Nagle on
    for accepted connections: 44 ms per kept-alive request. The socket now has TCP_NODELAY,
    which accepted connections inherit."""
    import socket

    import uvicorn
    import uvicorn.supervisors

    from rapport.cli import serve_cmds

    seen: list[socket.socket] = []

    class Supervisor:
        def __init__(self, config: object, sockets: list[socket.socket]) -> None:
            seen.extend(sockets)

        def run(self) -> None:
            pass

    monkeypatch.setattr(uvicorn.supervisors, "Multiprocess", Supervisor)
    config = uvicorn.Config("rapport.app:app_from_environment", host="127.0.0.1", port=0)
    serve_cmds._serve_workers(config)
    assert len(seen) == 1
    try:
        assert seen[0].getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
        server = seen[0]
        server.listen()
        client = socket.create_connection(server.getsockname())
        accepted, _ = server.accept()
        assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
        accepted.close()
        client.close()
    finally:
        seen[0].close()
