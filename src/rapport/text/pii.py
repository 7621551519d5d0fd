"""Redact personal data from free-text comments before they are stored, shown or exported.

Rule-based and deliberately conservative about what it calls a number: a card number must
pass the Luhn check, a phone number needs a ``+``/``00`` country prefix, a trunk ``0`` or
the North-American ``(555) 123-4567`` shape, and an IBAN must have a known country length or
a valid mod-97 checksum. Prices, dates, times and 6-digit order numbers are left alone.

Person names are redacted only after an explicit cue: a title (Mr, Mrs, Ms, Miss, Dr, Prof)
or a phrase such as "my name is", "ask for", "spoke to" or "served by". A name without a cue
("Sarah was lovely") is **not** redacted: no lightweight approach does that reliably.
"""

from __future__ import annotations

import re
from collections.abc import Callable

EMAIL = "[EMAIL]"
URL = "[URL]"
CARD = "[CARD]"
IBAN = "[IBAN]"
PHONE = "[PHONE]"
NAME = "[NAME]"

_EMAIL_RE = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}\b")
# Bare domains only in lower case and only with TLDs that are not English words, so that
# "the staff.It was" is not taken for a domain.
_URL_RE = re.compile(
    r"\b(?i:https?://|www\.)[^\s<>\"']*[^\s<>\"'.,;:!?)\]]"
    r"|\b(?:[a-z0-9-]+\.)+(?:com|org|net|io|uk|de|fr|nl|eu|info|biz)"
    r"(?:/[^\s<>\"']*)?(?![\w.@-]*\w)"
)
# 13–19 digits, optionally grouped by single spaces or dashes.
_CARD_RE = re.compile(r"(?<![\w+.,/-])\d(?:[ -]?\d){12,18}(?![\w/-]|[.,]\d)")
_IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]){11,30}\b")
_PHONE_RE = re.compile(
    r"(?<![\w+/.,-])(?:"
    r"(?:\+|00)[1-9]\d{0,2}(?:[ .-]?(?:\(\d{1,4}\)|\d{1,5})){2,6}"  # +44 20 7946 0958
    r"|(?:\(\d{3}\)[ ]?|\d{3}[ .-])\d{3}[ .-]\d{4}"  # (555) 123-4567, 555-123-4567
    r"|\(?0\d{1,4}\)?(?:[ ./-]?\d{2,8}){1,4}"  # 020 7946 0958, 06 12 34 56 78
    r")(?![\w/-]|[.,:]\d)"
)
_PHONE_DIGITS = {"international": (8, 15), "national": (9, 12)}
_NAME_WORD = r"[A-Z](?:'[A-Z])?[a-z]+(?:-?[A-Z][a-z]+)?"  # Ann, O'Neil, MacDonald, Smith-Jones
# Capitalised words that follow the cues but are not names.
_NOT_NAMES = (
    "(?:Mr|Mrs|Ms|Miss|Dr|Prof|The|A|An|Customer|Support|Service|Services|Help|Reception"
    "|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|Today|Yesterday|Tomorrow)"
)
_NAME_RE = re.compile(
    r"\b(?P<cue>(?:Mr|Mrs|Ms|Miss|Dr|Prof)\.?\s+"
    r"|(?i:my\s+name\s+is|my\s+name's|ask\s+for|asked\s+for|spoke\s+(?:to|with)"
    r"|talked\s+(?:to|with)|served\s+by|helped\s+by)\s+)"
    rf"(?!{_NOT_NAMES}\b)(?P<name>{_NAME_WORD}(?:\s+(?!{_NOT_NAMES}\b){_NAME_WORD})?)"
)
# IBAN length per country for the most common European codes (ISO 13616 registry).
_IBAN_LENGTHS = {
    "AT": 20, "BE": 16, "CH": 21, "CZ": 24, "DE": 22, "DK": 18, "ES": 24, "FI": 18,
    "FR": 27, "GB": 22, "IE": 22, "IT": 27, "LU": 20, "NL": 18, "NO": 15, "PL": 28,
    "PT": 25, "SE": 24,
}  # fmt: skip


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def luhn_valid(number: str) -> bool:
    """Return True if the digits of ``number`` pass the Luhn checksum.

    >>> luhn_valid("4111 1111 1111 1111"), luhn_valid("4111 1111 1111 1112")
    (True, False)
    """
    digits = [int(ch) for ch in _digits(number)]
    total = 0
    for position, digit in enumerate(reversed(digits)):
        if position % 2 == 1:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return bool(digits) and total % 10 == 0


def _iban_checksum_valid(compact: str) -> bool:
    rearranged = compact[4:] + compact[:4]
    as_digits = "".join(str(int(ch, 36)) for ch in rearranged)
    return int(as_digits) % 97 == 1


def _is_iban(candidate: str) -> bool:
    compact = candidate.replace(" ", "")
    if len(compact) < 15 or not any(ch.isdigit() for ch in compact[4:]):
        return False
    return _IBAN_LENGTHS.get(compact[:2]) == len(compact) or _iban_checksum_valid(compact)


def _is_phone(candidate: str) -> bool:
    n_digits = len(_digits(candidate))
    if candidate.startswith(("+", "00")):
        low, high = _PHONE_DIGITS["international"]
    elif candidate.lstrip("(").startswith("0"):
        low, high = _PHONE_DIGITS["national"]
    else:
        return n_digits == 10  # North-American shape, matched exactly by the pattern
    return low <= n_digits <= high


def _replacer(tag: str, accept: Callable[[str], bool]) -> Callable[[re.Match[str]], str]:
    def replace(match: re.Match[str]) -> str:
        return tag if accept(match.group(0)) else match.group(0)

    return replace


def _replace_name(match: re.Match[str]) -> str:
    return f"{match.group('cue')}{NAME}"


def redact_pii(text: str) -> str:
    """Replace e-mails, URLs, card numbers, IBANs, phone numbers and cued names with tags.

    Tags: ``[EMAIL]``, ``[URL]``, ``[CARD]``, ``[IBAN]``, ``[PHONE]``, ``[NAME]``.

    >>> redact_pii("Mail jo.doe@example.com or call +44 20 7946 0958 about order 482913")
    'Mail [EMAIL] or call [PHONE] about order 482913'
    >>> redact_pii("Card 4111-1111-1111-1111 charged £12.99 on 03/04/2024 at 10:30")
    'Card [CARD] charged £12.99 on 03/04/2024 at 10:30'
    >>> redact_pii("Please ask for Mrs Patel, see https://shop.example.org/help")
    'Please ask for Mrs [NAME], see [URL]'
    """
    text = _EMAIL_RE.sub(EMAIL, text)
    text = _URL_RE.sub(URL, text)
    text = _IBAN_RE.sub(_replacer(IBAN, _is_iban), text)
    text = _CARD_RE.sub(_replacer(CARD, luhn_valid), text)
    text = _PHONE_RE.sub(_replacer(PHONE, _is_phone), text)
    return _NAME_RE.sub(_replace_name, text)


ERASED_ID = "[ID]"
_SEPARATORS = r"[\s().-]*"


def _phone_pattern(phone: str) -> str | None:
    """The phone's digits with any spacing, brackets, dots or dashes between them (at least
    six digits: fewer would hit ordinary numbers)."""
    digits = _digits(phone)
    if len(digits) < 6:
        return None
    return r"(?<!\d)\+?" + _SEPARATORS.join(digits) + r"(?!\d)"


def redact_identity(
    text: str,
    *,
    name: str | None = None,
    email: str | None = None,
    phone: str | None = None,
    external_id: str | None = None,
) -> str:
    """Replace one known person's identifying values in ``text`` (an erasure, where who it
    is about is known, unlike :func:`redact_pii`), whatever their case.

    The e-mail, the phone however it is spaced, the external id as a whole word, then the
    full name and each word of it (a surname alone, "Mrs Quintessa", names them too).
    Tags: ``[EMAIL]``, ``[PHONE]``, ``[ID]``, ``[NAME]``.

    >>> redact_identity(
    ...     "Called Mrs Quintessa (zq@example.net, +44 20 7946-0999) about c-77; Zelda agreed",
    ...     name="Zelda Quintessa", email="ZQ@example.net", phone="+44 20 7946 0999",
    ...     external_id="c-77")
    'Called Mrs [NAME] ([EMAIL], [PHONE]) about [ID]; [NAME] agreed'
    >>> redact_identity("Name Zq wrote", name="Name Zq")
    '[NAME] wrote'
    """
    patterns: list[tuple[str, str]] = []
    if email and email.strip():
        patterns.append((re.escape(email.strip()), EMAIL))
    if phone and (phone_pattern := _phone_pattern(phone)):
        patterns.append((phone_pattern, PHONE))
    if external_id and external_id.strip():
        patterns.append((rf"(?<![\w-]){re.escape(external_id.strip())}(?![\w-])", ERASED_ID))
    if name and name.strip():
        words = sorted({w for w in re.findall(r"\w[\w'-]*", name) if len(w) > 1}, key=len)
        for value in [" ".join(name.split()), *reversed(words)]:
            spaced = r"\s+".join(re.escape(part) for part in value.split())
            patterns.append((rf"(?<!\w){spaced}(?!\w)", NAME))
    if not patterns:
        return text
    # One pass over one alternation, so a tag written is never matched again ("[NAME]" for
    # a person called Name) and the longest value at a place wins.
    combined = re.compile(
        "|".join(f"(?P<v{i}>{pattern})" for i, (pattern, _) in enumerate(patterns)), re.IGNORECASE
    )
    return combined.sub(lambda m: patterns[int(str(m.lastgroup)[1:])][1], text)
