"""Sending messages to respondents: a Notifier protocol and its SMTP implementation."""

from __future__ import annotations

import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from rapport.settings import Settings


class Notifier(Protocol):
    """Anything that can deliver a plain-text message to an e-mail address."""

    def send(self, to: str, subject: str, body: str) -> None: ...


@dataclass(frozen=True)
class SmtpNotifier:
    """Delivers through an SMTP server (settings ``RAPPORT_SMTP_*``)."""

    host: str
    port: int
    sender: str
    starttls: bool = False
    username: str = ""
    password: str = ""
    timeout: float = 10.0

    def send(self, to: str, subject: str, body: str) -> None:
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = self.sender, to, subject
        message.set_content(body)
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            if self.starttls:
                smtp.starttls()
            if self.username:
                smtp.login(self.username, self.password)
            smtp.send_message(message)


def smtp_notifier(settings: Settings) -> SmtpNotifier:
    """The SMTP notifier the settings ``RAPPORT_SMTP_*`` describe."""
    return SmtpNotifier(
        settings.smtp_host,
        settings.smtp_port,
        settings.smtp_from,
        settings.smtp_starttls,
        settings.smtp_username,
        settings.smtp_password.get_secret_value(),
    )
