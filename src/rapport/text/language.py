"""A small stopword-profile language detector, so English-only models can decline other text.

It knows English, German, French, Spanish, Italian, Dutch, Portuguese and Swedish. It is
not a general language identifier: its one job is to tell whether a survey comment is
English (or too short to say) before the English emotion model reads it. It therefore leans
towards English: another language wins only with at least two of its own function words
(one for a text of at most three words, e.g. "Merci beaucoup") and more hits than English.
Words that are also common English words ("die", "also", "men", "come", "as") are left out
of the other profiles for that reason.
"""

from __future__ import annotations

import re

UNDETERMINED = "und"
"""Returned when a text has no word from any profile (e.g. "Great!!" or "10/10")."""

SUPPORTED_LANGUAGES: tuple[str, ...] = ("en", "de", "fr", "es", "it", "nl", "pt", "sv")


def _profile(words: str) -> frozenset[str]:
    return frozenset(words.split())


_STOPWORDS: dict[str, frozenset[str]] = {
    "en": _profile(
        """the and is are was were of to it that this you your my for with have has had not but
        be been being they them their what just so at on do does did don doesn didn would
        could should there if or we our us he she him her all like about very really get got
        from an can will me who when how why out up one more some any than then too because
        which these those only even know think im dont its thats thank thanks please never
        always again nothing service staff"""
    ),
    "de": _profile(
        """der das und ist nicht ich sie es ein eine einen einem einer zu den mit sich auf für
        von dem auch wir aber wie noch nur sehr schon wurde wird habe haben bin kein keine
        mir mich uns dass wenn oder sind zum zur bei nach immer ganz wirklich danke bitte
        leider freundlich mitarbeiter warten lange"""
    ),
    "fr": _profile(
        """le la les et est un une des du de que qui je il elle nous vous ils pas ne pour dans
        sur avec ce cette mais très tout au aux sont été ai avait était en même aussi bien
        merci beaucoup personnel toujours jamais trop"""
    ),
    "es": _profile(
        """el la los las y que de en un una es por con para su al lo como más pero muy fue está
        estaba yo se del nos todo hay sin cuando también gracias siempre nunca mucho
        atención personal esperar"""
    ),
    "it": _profile(
        """il di che è un una non con sono mi ma del della nel molto anche questo questa si gli
        le al più tutto sempre ancora perché stato stata grazie personale gentile troppo mai"""
    ),
    "nl": _profile(
        """de het een en van ik te dat niet zijn voor met maar ook bij nog wel geen heb hebben
        werd naar zeer mijn jij wij deze tot uit erg dank bedankt altijd nooit personeel
        vriendelijk"""
    ),
    "pt": _profile(
        """os que da em uma para com não na por mais foi muito mas ao eu meu minha você está
        são tem também isso ele ela nao obrigado obrigada sempre nunca atendimento"""
    ),
    "sv": _profile(
        """och att det är på för med jag har inte ett så vi kan hade mycket från eller mitt sig
        när också bara väldigt tack alltid aldrig personalen"""
    ),
}

# Letters that, in these eight languages, belong to one or two of them only.
_MARKERS: dict[str, str] = {
    "ß": "de",
    "ü": "de",
    "ä": "de sv",
    "ö": "de sv",
    "å": "sv",
    "ñ": "es",
    "¿": "es",
    "¡": "es",
    "ç": "fr pt",
    "ã": "pt",
    "õ": "pt",
    "ê": "fr pt",
    "œ": "fr",
    "î": "fr",
    "û": "fr",
    "è": "fr it",
    "ì": "it",
    "ò": "it",
}

_WORD = re.compile(r"[^\W\d_]+")


def _scores(text: str) -> tuple[dict[str, float], int]:
    tokens = _WORD.findall(text.lower())
    scores = dict.fromkeys(SUPPORTED_LANGUAGES, 0.0)
    for token in tokens:
        for language, words in _STOPWORDS.items():
            if token in words:
                scores[language] += 1.0
    for marker in set(text.lower()) & _MARKERS.keys():
        for language in _MARKERS[marker].split():
            scores[language] += 0.5
    return scores, len(tokens)


def detect_language(text: str) -> str:
    """Return the ISO 639-1 code of the comment's language, or ``"und"`` when unsure.

    >>> detect_language("The staff were friendly but the queue was far too long")
    'en'
    >>> detect_language("Das Personal war sehr freundlich, aber wir mussten lange warten")
    'de'
    >>> detect_language("10/10!!")
    'und'
    """
    scores, n_words = _scores(text)
    best = max(SUPPORTED_LANGUAGES, key=lambda language: scores[language])
    if scores[best] == 0:
        return UNDETERMINED
    if best == "en" or scores[best] <= scores["en"]:
        return "en"
    needed = 1.0 if n_words <= 3 else 2.0
    if scores[best] >= needed:
        return best
    return "en" if scores["en"] > 0 else UNDETERMINED


def is_english(text: str) -> bool:
    """True unless the text is confidently in another language (undetermined counts as English).

    >>> is_english("ok"), is_english("Merci beaucoup")
    (True, False)
    """
    return detect_language(text) in ("en", UNDETERMINED)
