"""Rapport ids and keys from the free names other tools use."""

from __future__ import annotations

import re
import unicodedata

_MAX_ID = 64


def slug(text: str, separator: str = "_") -> str:
    """Lower-case ASCII words joined by ``separator``; empty when nothing is left.

    >>> slug("nps-score"), slug("Q1: Do you agree?"), slug("Café crème", "-")
    ('nps_score', 'q1_do_you_agree', 'cafe-creme')
    """
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    plain = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", plain)  # firstName → first_Name
    words = re.findall(r"[a-z0-9]+", plain.lower())
    return separator.join(words)


class IdMaker:
    """Unique Rapport ids (``[a-z][a-z0-9_]{0,63}``) from source names, in order.

    >>> ids = IdMaker()
    >>> ids.make("nps-score"), ids.make("nps score"), ids.make("1st"), ids.make("")
    ('nps_score', 'nps_score_2', 'q_1st', 'q')
    """

    def __init__(self, prefix: str = "q") -> None:
        self.prefix = prefix
        self.used: set[str] = set()

    def make(self, name: str, max_length: int = _MAX_ID) -> str:
        base = slug(name) or self.prefix
        if not base[0].isalpha():
            base = f"{self.prefix}_{base}"
        base = base[:max_length].rstrip("_")
        candidate, n = base, 1
        while candidate in self.used:
            n += 1
            suffix = f"_{n}"
            candidate = base[: max_length - len(suffix)] + suffix
        self.used.add(candidate)
        return candidate


def survey_key(name: str) -> str:
    """A survey key (``customer-relationship`` style, ≤ 120 characters) from a title or a
    file name; ``imported-survey`` when nothing usable is left.

    >>> survey_key("Autistica_Turing Citizen Science (Responses)")
    'autistica-turing-citizen-science-responses'
    """
    return slug(name, "-")[:120].strip("-") or "imported-survey"
