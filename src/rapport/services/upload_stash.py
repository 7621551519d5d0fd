"""Uploads kept on the server between an import's preview and its commit.

The import page (``/imports``) stores the files it previewed under
``<data_dir>/tool-imports/<token>/`` beside a ``meta.json`` (who uploaded them, the format,
the options and the preview's report). The browser holds only the random token: the commit
reads the files the server kept — never a file, path or report the client sends back — and
only for the person who uploaded them. The folder is removed when the import is committed
or discarded; folders older than :data:`MAX_AGE` are swept at every new upload.

>>> import tempfile
>>> from rapport.domain.org import SYSTEM
>>> root = Path(tempfile.mkdtemp())
>>> token = keep(root, SYSTEM, {"format": "surveyjs"}, b"{}", None)
>>> stash = load(root, SYSTEM, token)
>>> (stash.meta["format"], stash.definition, stash.responses)
('surveyjs', b'{}', None)
>>> discard(root, token); (root / token).exists()
False
"""

from __future__ import annotations

import json
import re
import secrets
import shutil
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, Final

from rapport.domain.org import Principal
from rapport.errors import NotFound

FOLDER: Final = "tool-imports"
TOKEN_PATTERN: Final = r"[A-Za-z0-9_-]{32}"  # noqa: S105 (a shape, not a secret)
MAX_AGE: Final = timedelta(hours=12)
_GONE = "This import preview has expired or was already used; upload the files again."


@dataclass(frozen=True)
class Stash:
    token: str
    meta: dict[str, Any]
    definition: bytes
    responses: bytes | None


def folder(data_dir: Path) -> Path:
    """Where the kept uploads live."""
    return data_dir / FOLDER


def keep(
    root: Path,
    principal: Principal,
    meta: dict[str, Any],
    definition: bytes,
    responses: bytes | None,
) -> str:
    """Store the files and ``meta`` (JSON-ready) for ``principal``; returns the token."""
    sweep(root)
    token = secrets.token_urlsafe(24)  # 32 characters of [A-Za-z0-9_-]
    where = root / token
    where.mkdir(parents=True, mode=0o700)
    (where / "definition").write_bytes(definition)
    if responses is not None:
        (where / "responses").write_bytes(responses)
    # Written last: a folder without meta.json is an upload still being written.
    record = {**meta, "owner": _owner(principal), "created": time.time()}
    (where / "meta.json").write_text(json.dumps(record), "utf-8")
    return token


def load(root: Path, principal: Principal, token: str) -> Stash:
    """The upload kept under ``token`` for ``principal``; NotFound when the token is not
    one (or not theirs, or expired or used)."""
    where = root / token
    meta_file = where / "meta.json"
    if not re.fullmatch(TOKEN_PATTERN, token) or not meta_file.is_file():
        raise NotFound(_GONE)
    meta = json.loads(meta_file.read_text("utf-8"))
    if meta.get("owner") != _owner(principal) or _expired(meta.get("created", 0), time.time()):
        raise NotFound(_GONE)
    responses = where / "responses"
    return Stash(
        token,
        meta,
        (where / "definition").read_bytes(),
        responses.read_bytes() if responses.is_file() else None,
    )


def discard(root: Path, token: str) -> None:
    """Remove an upload (committed or abandoned); a missing one is fine."""
    if re.fullmatch(TOKEN_PATTERN, token):
        shutil.rmtree(root / token, ignore_errors=True)


def sweep(root: Path, now: float | None = None) -> int:
    """Remove uploads older than :data:`MAX_AGE`; returns how many were removed."""
    if not root.is_dir():
        return 0
    now = time.time() if now is None else now
    removed = 0
    for where in root.iterdir():
        if where.is_dir() and _expired(where.stat().st_mtime, now):
            shutil.rmtree(where, ignore_errors=True)
            removed += 1
    return removed


def _expired(created: float, now: float) -> bool:
    return now - created > MAX_AGE.total_seconds()


def _owner(principal: Principal) -> str:
    return f"{principal.kind}:{principal.id}"
