"""Settings keep secrets out of logs and tracebacks."""

from __future__ import annotations

from pathlib import Path

from rapport.settings import Settings


def test_secrets_are_hidden_in_repr_and_still_usable(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path, secret_key="sk-very-secret", smtp_password="smtp-very-secret"
    )
    shown = repr(settings) + str(settings) + settings.model_dump_json()
    assert "sk-very-secret" not in shown and "smtp-very-secret" not in shown
    assert settings.resolved_secret_key() == "sk-very-secret"
    assert settings.smtp_password.get_secret_value() == "smtp-very-secret"


def test_a_generated_secret_key_is_stored_once_and_private(tmp_path: Path) -> None:
    first = Settings(data_dir=tmp_path).resolved_secret_key()
    assert Settings(data_dir=tmp_path).resolved_secret_key() == first
    assert len(first) >= 48
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0
