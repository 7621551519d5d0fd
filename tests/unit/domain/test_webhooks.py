"""Standard Webhooks signing against the specification's published example, and the retry
schedule's bounds."""

from __future__ import annotations

import base64
import random

import pytest

from rapport.domain.webhooks import decode_secret, new_secret, retry_delay, sign

# The reference libraries' test vector (standard-webhooks, libraries/python/tests,
# test_sign_function): secret, message id, timestamp, payload and the expected header.
VECTOR = (
    "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    "msg_p5jXN8AQM9LWM0D4loKWxJek",
    1614265330,
    b'{"test": 2432232314}',
    "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
)


def test_the_signature_matches_the_specifications_example() -> None:
    secret, msg_id, timestamp, body, expected = VECTOR
    assert sign(secret, msg_id, timestamp, body) == expected
    assert sign(secret, msg_id, timestamp + 1, body) != expected
    assert sign(secret, msg_id, timestamp, body + b" ") != expected


def test_generated_secrets_are_32_random_bytes() -> None:
    made = {new_secret() for _ in range(50)}
    assert len(made) == 50
    assert all(len(base64.b64decode(s.removeprefix("whsec_"))) == 32 for s in made)


@pytest.mark.parametrize(
    ("secret", "says"),
    [("MfKQ9r8G", "whsec_"), ("whsec_***", "base64"), ("whsec_AAAA", "24 to 64 bytes")],
)
def test_bad_secrets_say_what_is_wrong(secret: str, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        decode_secret(secret)


def test_retry_delays_double_with_jitter_up_to_the_cap() -> None:
    rng = random.Random(7)
    for attempt in range(1, 12):
        full = min(3600.0, 30 * 2 ** (attempt - 1))
        waits = [retry_delay(attempt, 30, 3600, rng) for _ in range(200)]
        assert full / 2 <= min(waits) and max(waits) <= full
        assert max(waits) - min(waits) > full / 4  # jitter spreads the retries
