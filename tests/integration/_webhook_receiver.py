"""A real HTTP receiver of webhooks for the tests, and a Standard Webhooks verifier written
from the specification's text, independently of :mod:`rapport.domain.webhooks`.

The specification (standardwebhooks.com, "Signature scheme"): the content to sign is the
message id, the timestamp and the payload joined by full stops; the key is the secret's
base64 part after ``whsec_``, decoded; the signature is HMAC-SHA256, base64-encoded, and
the header carries space-delimited ``<version>,<signature>`` pairs (``v1`` for this
scheme); receivers should reject timestamps too far from now (five minutes here).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

TOLERANCE_S = 300


def verify(secret: str, headers: dict[str, str], body: bytes, now: float | None = None) -> bool:
    """True when one of the ``v1`` signatures is HMAC-SHA256 of ``id.timestamp.body`` with the
    decoded secret, and the timestamp is within the tolerance."""
    msg_id = headers.get("webhook-id", "")
    stamp = headers.get("webhook-timestamp", "")
    if not msg_id or not stamp.isdigit():
        return False
    if abs((now or time.time()) - int(stamp)) > TOLERANCE_S:
        return False
    key = base64.b64decode(secret[len("whsec_") :])
    content = b".".join([msg_id.encode(), stamp.encode(), body])
    expected = base64.b64encode(hmac.new(key, content, hashlib.sha256).digest()).decode()
    for pair in headers.get("webhook-signature", "").split(" "):
        version, _, signature = pair.partition(",")
        if version == "v1" and hmac.compare_digest(signature, expected):
            return True
    return False


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    answered: int
    verified: bool

    @property
    def payload(self) -> dict[str, Any]:
        return dict(json.loads(self.body))


@dataclass
class Receiver:
    """Answers each POST with the next status of ``script`` (then ``then``), records it."""

    secret: str = ""
    script: list[int] = field(default_factory=list)
    then: int = 200
    url: str = ""
    got: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, headers: dict[str, str], body: bytes) -> int:
        with self.lock:
            status = self.script.pop(0) if self.script else self.then
            ok = verify(self.secret, headers, body) if self.secret else False
            self.got.append(Received(headers, body, status, ok))
            return status

    def accepted(self) -> list[Received]:
        with self.lock:
            return [r for r in self.got if 200 <= r.answered < 300]

    def wait_for(self, count: int, timeout: float = 15) -> list[Received]:
        """The accepted messages once there are ``count`` (fails after ``timeout``)."""
        deadline = time.monotonic() + timeout
        while len(self.accepted()) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"{len(self.accepted())} of {count} messages arrived")
            time.sleep(0.02)
        return self.accepted()


@contextmanager
def receiver(secret: str = "", script: list[int] | None = None) -> Iterator[Receiver]:
    """A threaded HTTP server on a free loopback port, for the block's duration."""
    state = Receiver(secret=secret, script=list(script or []))

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            body = self.rfile.read(length)
            if len(body) < length:
                # The sender died while sending (the fault tests SIGKILL it): the request
                # never arrived whole, so there is nobody to answer and nothing received.
                self.close_connection = True
                return
            status = state.answer({k.lower(): v for k, v in self.headers.items()}, body)
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
