import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion

from rapport.text._features import WORD_TOKEN_PATTERN, TextFeaturizer

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
