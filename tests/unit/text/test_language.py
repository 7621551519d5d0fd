import pytest

from rapport.text import detect_language, is_english

NON_ENGLISH = [
    ("de", "Das Personal war sehr freundlich, aber wir mussten lange warten."),
    ("de", "Leider wurde mein Problem nicht gelöst."),
    ("fr", "Le personnel était très gentil mais l'attente était trop longue."),
    ("fr", "Merci beaucoup"),
    ("es", "El personal fue muy amable pero la espera fue demasiado larga."),
    ("es", "No estoy contento con la atención."),
    ("it", "Il personale è stato molto gentile ma l'attesa era troppo lunga."),
    ("it", "Grazie mille"),
    ("nl", "Het personeel was erg vriendelijk maar we moesten lang wachten."),
    ("nl", "Ik ben niet tevreden over de service."),
    ("pt", "O atendimento foi muito bom mas a espera foi longa."),
    ("pt", "Não estou satisfeito com o serviço."),
    ("sv", "Personalen var väldigt trevlig men vi fick vänta länge."),
    ("sv", "Tack så mycket"),
]

ENGLISH = [
    "I felt completely ignored and taken for granted",
    "the staff made me feel really special",
    "Van was late again",  # "van" is Dutch for "of"
    "Men at the desk were rude",  # "men" is Swedish for "but"
    "Come on, fix the app",  # "come" is Italian for "how"
    "Die hard fan of this shop",  # "die" is German/Dutch for "the"
    "Also the manager was there",  # "also" is German
    "I feel so ignored",
]


@pytest.mark.parametrize(("language", "text"), NON_ENGLISH)
def test_detects_other_languages(language, text):
    assert detect_language(text) == language
    assert not is_english(text)


@pytest.mark.parametrize("text", ENGLISH)
def test_english_stays_english(text):
    assert detect_language(text) == "en"


@pytest.mark.parametrize("text", ["", "!!!", "10/10", "👍", "Great!", "I feel ya"])
def test_no_evidence_is_undetermined_and_counts_as_english(text):
    assert detect_language(text) == "und"
    assert is_english(text)


def test_goemotions_sample_is_almost_all_english(goemotions_dir):
    lines = (goemotions_dir / "test_sample.tsv").read_text(encoding="utf-8").splitlines()
    texts = [line.split("\t")[0] for line in lines]
    flagged = [t for t in texts if not is_english(t)]
    assert len(flagged) <= 2, flagged
