"""Uploads kept between an import's preview and its commit: only for their owner, only by
a well-formed token, and swept once stale."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from rapport.domain.org import Principal, Role
from rapport.errors import NotFound
from rapport.services import upload_stash

ANA = Principal("user", 7, "ana", Role.ANALYST)
BOB = Principal("user", 8, "bob", Role.ANALYST)


def test_only_the_uploader_reads_it_back(tmp_path: Path) -> None:
    token = upload_stash.keep(tmp_path, ANA, {"format": "qualtrics"}, b"qsf", b"csv")
    assert len(token) == 32
    kept = upload_stash.load(tmp_path, ANA, token)
    assert (kept.definition, kept.responses, kept.meta["format"]) == (b"qsf", b"csv", "qualtrics")
    with pytest.raises(NotFound):
        upload_stash.load(tmp_path, BOB, token)
    for forged in ("../" + token[3:], token[:-1], "x" * 32, token.upper()[:31] + "!"):
        with pytest.raises(NotFound):
            upload_stash.load(tmp_path, ANA, forged)
    upload_stash.discard(tmp_path, token)
    with pytest.raises(NotFound):
        upload_stash.load(tmp_path, ANA, token)
    assert list(tmp_path.iterdir()) == []


def test_stale_uploads_are_swept_at_the_next_upload(tmp_path: Path) -> None:
    old = upload_stash.keep(tmp_path, ANA, {}, b"a", None)
    stale = time.time() - upload_stash.MAX_AGE.total_seconds() - 60
    os.utime(tmp_path / old, (stale, stale))
    fresh = upload_stash.keep(tmp_path, ANA, {}, b"b", None)
    assert [p.name for p in tmp_path.iterdir()] == [fresh]
    later = time.time() + upload_stash.MAX_AGE.total_seconds() + 60
    assert upload_stash.sweep(tmp_path, now=later) == 1
    assert upload_stash.sweep(tmp_path / "missing") == 0
