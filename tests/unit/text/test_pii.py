import pytest

from rapport.text import redact_pii
from rapport.text.pii import luhn_valid, redact_identity

REDACTED = [
    ("Contact me at anna.smith+cx@mail.example.co.uk please", "Contact me at [EMAIL] please"),
    ("email: J.Doe@Example.com.", "email: [EMAIL]."),
    ("Call me on +44 20 7946 0958 tomorrow", "Call me on [PHONE] tomorrow"),
    ("my mobile is 07911 123456", "my mobile is [PHONE]"),
    ("US number (555) 123-4567 or 555.123.4567", "US number [PHONE] or [PHONE]"),
    ("Ruf mich an: 030/1234567 oder +49 (0)30 123 4567", "Ruf mich an: [PHONE] oder [PHONE]"),
    ("Appelez le 06 12 34 56 78 svp", "Appelez le [PHONE] svp"),
    ("intl 0049 30 1234567", "intl [PHONE]"),
    ("+1-202-555-0143 is my cell", "[PHONE] is my cell"),
    ("they charged 4111 1111 1111 1111 twice", "they charged [CARD] twice"),
    ("card 5500-0000-0000-0004 and amex 378282246310005", "card [CARD] and amex [CARD]"),
    ("IBAN DE89 3704 0044 0532 0130 00 please refund", "IBAN [IBAN] please refund"),
    ("GB29NWBK60161331926819 / NL91ABNA0417164300", "[IBAN] / [IBAN]"),
    ("see https://example.com/a?b=1.", "see [URL]."),
    ("(see www.example.org/help)", "(see [URL])"),
    ("the site shop.example.co.uk/returns is broken", "the site [URL] is broken"),
    (
        "My name is Sarah Jones and I spoke to Mr Patel.",
        "My name is [NAME] and I spoke to Mr [NAME].",
    ),
    ("Please ask for Mrs O'Neil at reception", "Please ask for Mrs [NAME] at reception"),
    ("I was served by Tom, and Dr. Who helped", "I was served by [NAME], and Dr. [NAME] helped"),
]

KEPT = [
    "It cost $1,234.56 or 1.234,56 € or £12.99",
    "Order #482913 and order 123456 were both late",
    "On 2024-03-15 at 10:30 - 11:45, ref 20240315",
    "Dates 15/03/2024, 15.03.2024, 03-15-2024 and 2024-03-15 2024-03-20",
    "I waited 45 minutes, 3 times, from 9:00 to 17:30 on 12 March 2024",
    "Version 2.0.1 released, 100% better, 24/7 support, call 911",
    "not a card: 1234 5678 9012 3456",
    "tracking 1Z999AA10123456784",
    "the staff.It was fine",
    "I spoke to Customer Services on Monday. Sarah was lovely.",
    "Room 1204, 2 adults, 3 nights at £89.50 per night",
]


@pytest.mark.parametrize(("text", "expected"), REDACTED)
def test_redacts(text, expected):
    assert redact_pii(text) == expected


@pytest.mark.parametrize("text", KEPT)
def test_keeps_what_is_not_personal_data(text):
    assert redact_pii(text) == text


def test_names_without_a_cue_are_not_redacted():
    # Documented limitation: no lightweight approach finds bare names reliably.
    assert redact_pii("Sarah at the till was lovely") == "Sarah at the till was lovely"


def test_redaction_is_idempotent():
    once = redact_pii(" ".join(text for text, _ in REDACTED))
    assert redact_pii(once) == once


def test_luhn():
    assert luhn_valid("4111111111111111")
    assert luhn_valid("378282246310005")
    assert not luhn_valid("4111111111111112")
    assert not luhn_valid("")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Ann Lee from Leeds, annually", "[NAME] from Leeds, annually"),  # whole words only
        ("LEE rang 0044 20 7946 0999 or 020 79460999", "[NAME] rang 0044 20 7946 0999 or [PHONE]"),
        ("ids c-7 and c-77 and xc-7", "ids [ID] and c-77 and xc-7"),
        ("write to ANN.LEE@EXAMPLE.ORG", "write to [EMAIL]"),
        ("order 7946", "order 7946"),  # part of the phone's digits is not the phone
    ],
)
def test_redact_identity_replaces_the_persons_values_only(text: str, expected: str) -> None:
    values = {"name": "Ann  Lee", "email": "ann.lee@example.org", "phone": "020 7946 0999"}
    assert redact_identity(text, **values, external_id="c-7") == expected
