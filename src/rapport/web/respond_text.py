"""Interface words of the respondent form, per language (survey texts come from the survey)."""

from __future__ import annotations

UI: dict[str, dict[str, str]] = {
    "en": {
        "next": "Next",
        "back": "Back",
        "submit": "Submit",
        "page_of": "Page {i} of {n}",
        "problem": "There is a problem",
        "required": "Required",
        "optional": "optional",
        "thanks": "Thank you",
        "thanks_body": "Your answers have been saved.",
        "language": "Language",
        "how_strongly": "How strongly did you feel {emotion}?",
        "choose": "Choose",
        "used": "This survey link has already been used.",
    },
    "es": {
        "next": "Siguiente",
        "back": "Atrás",
        "submit": "Enviar",
        "page_of": "Página {i} de {n}",
        "problem": "Hay un problema",
        "required": "Obligatoria",
        "optional": "opcional",
        "thanks": "Gracias",
        "thanks_body": "Sus respuestas se han guardado.",
        "language": "Idioma",
        "how_strongly": "¿Con qué intensidad se sintió {emotion}?",
        "choose": "Elija",
        "used": "Este enlace de encuesta ya se ha utilizado.",
    },
    "de": {
        "next": "Weiter",
        "back": "Zurück",
        "submit": "Absenden",
        "page_of": "Seite {i} von {n}",
        "problem": "Es gibt ein Problem",
        "required": "Pflichtfrage",
        "optional": "optional",
        "thanks": "Vielen Dank",
        "thanks_body": "Ihre Antworten wurden gespeichert.",
        "language": "Sprache",
        "how_strongly": "Wie stark haben Sie sich {emotion} gefühlt?",
        "choose": "Auswählen",
        "used": "Dieser Umfragelink wurde bereits verwendet.",
    },
}
LANGUAGE_NAMES = {"en": "English", "es": "Español", "de": "Deutsch", "fr": "Français"}


def ui(lang: str) -> dict[str, str]:
    return UI.get(lang, UI["en"])
