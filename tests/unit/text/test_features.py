import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion

from rapport.text._features import WORD_TOKEN_PATTERN, TextFeaturizer
from rapport.text._keyword import KeywordFeatures
from rapport.text._lexicon import FEATURE_NAMES as LEXICON_FEATURE_NAMES

TRAIN = [
    "The staff were lovely!",
    "the  queue was long,\tso long…",
    "Straße und Café — naïve résumé?",
    "I felt ignored. Ignored!!",
    "lovely lovely staff",
    "queue queue queue",
    "",
    "x",
] * 3
OTHER = ["Lovely café staff?", "  spaces\u00a0and\ttabs  ", "unseen words entirely", ""]


def _reference():
    words = TfidfVectorizer(
        ngram_range=(1, 2),
        min_df=2,
        max_features=30_000,
        sublinear_tf=True,
        token_pattern=WORD_TOKEN_PATTERN,
    )
    chars = TfidfVectorizer(
        analyzer="char_wb", ngram_range=(2, 5), min_df=3, max_features=60_000, sublinear_tf=True
    )
    return FeatureUnion([("w", words), ("c", chars)])


def test_matches_scikit_learn_tfidf_union():
    ours = TextFeaturizer.fit(TRAIN)
    reference = _reference().fit(TRAIN)
    assert ours.n_features == len(reference.get_feature_names_out())
    for texts in (TRAIN, OTHER):
        expected = reference.transform(texts).toarray()
        np.testing.assert_allclose(ours.transform(texts).toarray(), expected, atol=1e-6)


def test_round_trips_through_plain_arrays():
    fitted = TextFeaturizer.fit(TRAIN)
    rebuilt = TextFeaturizer.from_arrays(fitted.specs(), fitted.to_arrays())
    assert rebuilt.feature_names == fitted.feature_names
    for _ in range(2):  # second pass uses the word cache
        diff = rebuilt.transform(OTHER + TRAIN) - fitted.transform(OTHER + TRAIN)
        assert abs(diff).max() == 0


def test_lexicon_and_cue_columns_follow_the_ngrams_and_round_trip():
    keywords = KeywordFeatures({"joy": ("lovely",), "annoyance": ("ignored",)}, scale=1.0)
    fitted = TextFeaturizer.fit(TRAIN, lexicon={"lovely": 2.8, "ignored": -1.3}, keywords=keywords)
    names = fitted.feature_names
    assert names[-9:] == [f"lexicon:{n}" for n in LEXICON_FEATURE_NAMES] + [
        "keywords:joy",
        "keywords:annoyance",
    ]
    assert fitted.n_features == len(names)
    row = fitted.transform(["I felt ignored. Ignored!!"]).toarray()[0]
    assert row[-2:].tolist() == [0.0, 0.75]
    rebuilt = TextFeaturizer.from_arrays(fitted.specs(), fitted.to_arrays())
    assert rebuilt.feature_names == names
    diff = rebuilt.transform(OTHER + TRAIN) - fitted.transform(OTHER + TRAIN)
    assert abs(diff).max() < 1e-6  # the artifact stores valences as float32
