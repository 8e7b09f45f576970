"""Assignment 03 specifics: the decoding check's input, actionable messages,
and the text checks it is built on.

The generic pipeline checks for every assignment (reference, release copy,
each sample, including the accepted logits variant, rerun, broken notebook,
feedback) are in test_assignments.py.
"""

import pytest
from conftest import assert_says

from tfgrader.instructor.course import CourseLayout
from tfgrader.wire.declarations import requested

A = "03-basic_text_classification"
# The tutorial's decoding of the first training review starts like this.
KNOWN_START = ("<START> this film was just brilliant casting location scenery story direction everyone's "
               "really suited the part they played and you could just imagine being there robert <UNK> is")


@pytest.fixture(scope="module")
def imdb_available():
    """Skip, saying what to do, when no verified IMDB copy can be found."""
    from tfgrader import data

    try:
        return data.imdb(num_words=10_000), data.imdb_word_index()
    except data.DatasetUnavailable as exc:
        pytest.skip(f"real IMDB is needed for these tests: {exc}")


def test_decoding_check_uses_the_first_training_review(course, imdb_available):
    """Is the review the decoding check passes the real first training review, and does it read as known?"""
    ((x_train, _), _), ranks = imdb_available
    calls = requested(CourseLayout(course).grader(A))["decode_review"]["args"]
    (first,) = calls[-1]
    assert first == [int(i) for i in x_train[0]]
    words = {rank + 3: word for word, rank in ranks.items()}
    words.update({0: "<PAD>", 1: "<START>", 2: "<UNK>", 3: "<UNUSED>"})
    assert " ".join(words[i] for i in first).startswith(KNOWN_START)


def test_grader_exports_only_heads_of_large_arrays(course):
    """Does the grader ask only for heads of the large arrays, never a full 25,000 x 256 copy?"""
    exports = requested(CourseLayout(course).grader(A))
    for name in ("train_data", "test_data", "x_val", "partial_x_train"):
        assert exports[name] == "array_head"


@pytest.mark.slow
def test_messages_say_what_to_fix(graded, imdb_available):
    """Are failure messages specific enough to act on?"""
    outcomes = graded(A).outcomes
    assert_says(outcomes, [
        ("pad_at_front", "padding", "at the end of each sequence, not at the start (padding='post')"),
        ("offset_2", "decoding", "Use rank + 3 for every word"),
        ("vocab_5000", "architecture", "input_dim=5000"),
        ("vocab_5000", "training", "input_dim=5000"),
        ("softmax_one_unit", "architecture", "'softmax' activation"),
        ("softmax_one_unit", "trained_model", "use a sigmoid"),
        ("val_from_test", "validation_split", "`x_val` holds test reviews"),
        ("labels_shuffled", "validation_split", "do not shuffle them on their own"),
    ])
    assert outcomes["reference"].score == 14


class FakeSubmission:
    """Arrays as the grader sees them after an ``array_head`` export: stats and the first rows."""

    def __init__(self, head_rows=3, **arrays):
        self.arrays, self.head_rows = arrays, head_rows

    def array_head(self, name):
        array = self.arrays[name]
        stats = {"shape": list(array.shape), "dtype": str(array.dtype), "min": float(array.min()),
                 "max": float(array.max()), "mean": float(array.mean())}
        return stats, array[: self.head_rows]


SEQUENCES = [[1, 5, 7], [1, 9, 8, 7, 6, 5, 4], [1, 2], [1, 3, 3, 3, 3, 3, 3, 3, 9]]


@pytest.mark.parametrize("settings, says", [
    ({"padding": "pre"}, "at the end of each sequence, not at the start (padding='post')"),
    ({"value": 1}, "fill with 0, not 1 (value=0)"),
    ({"truncating": "post"}, "keeps its last 6 words (truncating='pre')"),
    ({"padding": "pre", "value": 7}, "not at the start (padding='post'); fill with 0, not 7"),
    ({"maxlen": 5}, "shape (4, 6)"),
])
def test_padding_check_names_the_difference(settings, says):
    """Does the padding check name the side, fill value, truncation or length that differs?"""
    from tfgrader.grading.checks.text import expect_padded, pad

    settings = {"maxlen": 6, **settings}
    sub = FakeSubmission(data=pad(SEQUENCES, settings.pop("maxlen"), **settings))
    with pytest.raises(AssertionError) as failed:
        expect_padded(sub, "data", SEQUENCES, maxlen=6)
    assert says in str(failed.value)


def test_padding_check_passes_the_lesson_padding_and_sees_every_row():
    """Does correct padding pass, and a difference after the exported head still fail?"""
    from tfgrader.grading.checks.text import expect_padded, pad, padding_settings

    right = pad(SEQUENCES, 6)
    assert (expect_padded(FakeSubmission(data=right), "data", SEQUENCES, maxlen=6) == right).all()
    late = right.copy()
    late[-1] = pad(SEQUENCES[-1:], 6, truncating="post")
    with pytest.raises(AssertionError, match="later rows"):
        expect_padded(FakeSubmission(data=late), "data", SEQUENCES, maxlen=6)
    with pytest.raises(AssertionError, match="integers"):
        expect_padded(FakeSubmission(data=right.astype("float32")), "data", SEQUENCES, maxlen=6)
    assert padding_settings(pad(SEQUENCES, 6, padding="pre"), SEQUENCES, 6) == {
        "padding": "pre", "truncating": "pre", "value": 0}
    assert padding_settings(right[::-1], SEQUENCES, 6) is None


@pytest.mark.parametrize("dims, says", [
    ((5000, 16), "only word indices below 5000"),
    ((20000, 16), "only 10000 different indices"),
    ((10000, 32), "vectors of 32 numbers"),
])
def test_embedding_check_names_the_dimension(dims, says):
    """Does the embedding check say which dimension is wrong?"""
    import keras

    from tfgrader.grading.checks.text import expect_embedding, expect_vocabulary_fits

    model = keras.Sequential([keras.Input((None,), dtype="int32"), keras.layers.Embedding(*dims)])
    with pytest.raises(AssertionError, match=says):
        expect_embedding(model, input_dim=10000, output_dim=16)
    if dims[0] < 10000:
        with pytest.raises(AssertionError, match="cannot run on them"):
            expect_vocabulary_fits(model, 9999, "the reviews")
    else:
        expect_vocabulary_fits(model, 9999, "the reviews")
