"""Hidden graders for 03-basic_text_classification (IMDB sentiment).

Run by :mod:`tfgrader.grading` in a clean process against the files the
notebook exported (see EXPORTS). One test per rubric item, points beside it.
The grader loads its own copy of IMDB (``num_words=10000``) and pads it with
``keras.utils.pad_sequences`` to compare with what the notebook made.

Each check uses only the names it is about: ``decode_review`` gets literal
indices (the first training review among them), not the notebook's arrays,
and the split is compared with the training data padded the way the
student's own ``train_data`` is padded. A padding mistake therefore costs
the padding check only.

How the thresholds were chosen, measured on 2 CPU cores with seeds 0, 1, 2:
- training: the grader retrains ``build_model()``'s architecture from seeded
  weights on the first 5,000 padded training reviews, 5 epochs in batches of
  64, and measures accuracy on the first 5,000 test reviews. The reference
  scored 0.836/0.831/0.821, and so, to the digit, did the same network with
  logits and from_logits=True, with ``keras.Input(shape=(256,))``, with a
  float or no ``keras.Input`` and with a ``BinaryCrossentropy()`` object as
  the loss. Architectures that the architecture check rejects but that still
  learn pass this check (GlobalMaxPooling1D: 0.800/0.808/0.796; 32-number
  embeddings: 0.844/0.851/0.844). A softmax or relu on the single output unit
  scored 0.486 (every review given the same label). The threshold of 0.70 sits
  0.12 below the weakest accepted run and 0.21 above the outputs that cannot
  learn. Each retraining takes about 4 s; the whole grader about 12 s.
- trained_model: in autograde mode the notebook trains for 10 epochs
  (instead of 40) on its 15,000 training reviews, and the grader measures the
  saved ``model`` on all 25,000 test reviews. The reference scored
  0.851/0.850/0.851 (the same with logits); trained on labels shuffled apart
  from their reviews it scored 0.487/0.498/0.516, and with a softmax output
  0.500. The threshold of 0.70 sits 0.15 below the weakest reference run and
  0.18 above the best shuffled one. ``test_acc`` and ``test_loss`` must lie
  within 0.01 of the grader's measurement: the same model on the same reviews
  gives the same numbers, so 0.01 allows only for rounding (a model trained on
  reviews padded at the front instead of the end gives the same figures,
  since averaging the word vectors ignores their order). With a logit
  output the number that counts is the true accuracy, logits cut at 0 (what
  ``BinaryAccuracy(threshold=0.0)`` reports, as the tutorial compiles it);
  plain ``metrics=["accuracy"]`` cuts them at 0.5 and under-reports, and a
  ``test_acc`` that matches that cut gets a message naming the fix.
- Full run of the reference (40 epochs in batches of 512, not autograded;
  53 s for the whole notebook): test accuracy 0.877, test loss 0.316, with
  the validation loss lowest after epoch 27.
"""

from collections import Counter

import numpy as np
import pytest

from tfgrader import data
from tfgrader.grading.checks.architecture import (
    SIGMOID_OR_LOGITS, Layer, expect_layers, output_activation)
from tfgrader.grading.checks.compiling import expect_compiled
from tfgrader.grading.checks.text import expect_embedding, expect_padded, expect_vocabulary_fits, pad, padding_settings
from tfgrader.grading.checks.training import accuracy, expect_learns
from tfgrader.grading.plugin import check

EXPORTS = {
    "word_index": "value",
    # The reserved indices, an unknown index, then the first training review.
    "decode_review": {"kind": "calls", "args": [
        [[0, 1, 2, 3, 4, 14]],
        [[88587, 88588, 100000]],
        [[1, 14, 22, 16, 43, 530, 973, 1622, 1385, 65, 458, 4468, 66, 3941, 4, 173, 36, 256, 5, 25, 100, 43,
          838, 112, 50, 670, 2, 9, 35, 480, 284, 5, 150, 4, 172, 112, 167, 2, 336, 385, 39, 4, 172, 4536,
          1111, 17, 546, 38, 13, 447, 4, 192, 50, 16, 6, 147, 2025, 19, 14, 22, 4, 1920, 4613, 469, 4, 22, 71,
          87, 12, 16, 43, 530, 38, 76, 15, 13, 1247, 4, 22, 17, 515, 17, 12, 16, 626, 18, 2, 5, 62, 386, 12,
          8, 316, 8, 106, 5, 4, 2223, 5244, 16, 480, 66, 3785, 33, 4, 130, 12, 16, 38, 619, 5, 25, 124, 51,
          36, 135, 48, 25, 1415, 33, 6, 22, 12, 215, 28, 77, 52, 5, 14, 407, 16, 82, 2, 8, 4, 107, 117, 5952,
          15, 256, 4, 2, 7, 3766, 5, 723, 36, 71, 43, 530, 476, 26, 400, 317, 46, 7, 4, 2, 1029, 13, 104, 88,
          4, 381, 15, 297, 98, 32, 2071, 56, 26, 141, 6, 194, 7486, 18, 4, 226, 22, 21, 134, 476, 26, 480, 5,
          144, 30, 5535, 18, 51, 36, 28, 224, 92, 25, 104, 4, 226, 65, 16, 38, 1334, 88, 12, 16, 283, 5, 16,
          4472, 113, 103, 32, 15, 16, 5345, 19, 178, 32]],
    ]},
    "train_data": "array_head",
    "test_data": "array_head",
    "build_model": {"kind": "builder", "input_shape": [256]},
    "x_val": "array_head",
    "partial_x_train": "array_head",
    "y_val": "array",
    "partial_y_train": "array",
    "model": "model",
    "history": "history",
    "test_loss": "value",
    "test_acc": "value",
}

VOCAB, MAXLEN, PAD = 10_000, 256, 0
LESSON_PADDING = {"padding": "post", "truncating": "pre", "value": PAD}
RESERVED = {"<PAD>": 0, "<START>": 1, "<UNK>": 2, "<UNUSED>": 3}
OFFSET = 3
VAL_N = 10_000
LAYERS = [
    Layer("Embedding"),
    Layer("GlobalAveragePooling1D"),
    Layer("Dense", units=16, activation="relu"),
    Layer("Dense", units=1, activation=SIGMOID_OR_LOGITS),
]
TRAIN_N, EVAL_N, EPOCHS, BATCH = 5000, 5000, 5, 64
MIN_RETRAINED_ACCURACY = 0.70
MIN_TRAINED_ACCURACY = 0.70
TOLERANCE = 0.01


@pytest.fixture(scope="module")
def imdb():
    """(raw train, train labels, raw test, test labels), as the notebook loads them."""
    (x_train, y_train), (x_test, y_test) = data.imdb(num_words=VOCAB)
    return x_train, y_train, x_test, y_test


@pytest.fixture(scope="module")
def padded(imdb):
    """The training and test reviews padded as the lesson asks."""
    return pad(imdb[0], MAXLEN, **LESSON_PADDING), pad(imdb[2], MAXLEN, **LESSON_PADDING)


@check(points=2, public=True)
def test_decoding(submission):
    index = submission.value("word_index")
    assert isinstance(index, dict), f"`word_index` should be a dict from word to index, but it is a {type(index).__name__}."
    for token, number in RESERVED.items():
        assert index.get(token) == number, (
            f"word_index[{token!r}] is {index.get(token)!r}; it should be {number}. The indices 0 to 3 are "
            "reserved for <PAD>, <START>, <UNK> and <UNUSED>.")
    ranks = data.imdb_word_index()
    missing = [word for word in ranks if word not in index]
    assert not missing, (
        f"`word_index` lacks {len(missing)} of the dataset's words (for example {missing[0]!r}); keep every "
        "word of data.imdb_word_index(), with its index shifted.")
    shifts = Counter(index[word] - rank if isinstance(index[word], int) else None for word, rank in ranks.items())
    assert set(shifts) == {OFFSET}, (
        f"In your `word_index`, 'the' has index {index['the']!r}, but in the reviews it is {ranks['the'] + OFFSET}: "
        f"every word's rank is shifted by {OFFSET}, because 0 to 3 are reserved. Use rank + {OFFSET} for every word.")
    extra = sorted(set(index) - set(ranks) - set(RESERVED))
    assert not extra, f"`word_index` has entries that are not words of the dataset, such as {extra[0]!r}; remove them."
    reverse = {number: word for word, number in {**{w: r + OFFSET for w, r in ranks.items()}, **RESERVED}.items()}
    for (indices,), got in zip(_decode_args(), submission.calls("decode_review")):
        want = " ".join(reverse.get(i, "?") for i in indices)
        shown = f"decode_review({indices if len(indices) < 10 else 'the first training review'})"
        assert isinstance(got, str), f"`{shown}` returns a {type(got).__name__}; it should return the text as a string."
        assert got == want, f"`{shown}` gives {_clip(got)!r}; it should give {_clip(want)!r}{_first_difference(got, want)}."


def _decode_args() -> list:
    return EXPORTS["decode_review"]["args"]


def _clip(text: str, n: int = 70) -> str:
    return text if len(text) <= n else text[:n] + "..."


def _first_difference(got: str, want: str) -> str:
    if got != want and got.split() == want.split():
        return " (join the words with single spaces)"
    have, need = got.split(" "), want.split(" ")
    for position, (a, b) in enumerate(zip(have, need), start=1):
        if a != b:
            return f" (word {position} is {a!r} instead of {b!r})"
    if len(have) != len(need):
        return f" ({len(have)} words instead of {len(need)})"
    return ""


@check(points=2, public=True)
def test_padding(submission, imdb):
    expect_padded(submission, "train_data", imdb[0], maxlen=MAXLEN, value=PAD)
    expect_padded(submission, "test_data", imdb[2], maxlen=MAXLEN, value=PAD)


@check(points=3, public=True)
def test_architecture(submission):
    model = submission.model("build_model")
    expect_layers(model, LAYERS)
    expect_embedding(model, input_dim=VOCAB, output_dim=16)
    expect_compiled(model, loss="binary_crossentropy", optimizer="adam", metric="accuracy")


@check(points=2, public=True)
def test_validation_split(submission, imdb, padded):
    # Compare with the training data padded as the student's `train_data`
    # is, so that a padding mistake costs the padding check only.
    try:
        _, head = submission.array_head("train_data")
        settings = padding_settings(head, imdb[0][: len(head)], MAXLEN, value=PAD)
    except Exception:  # noqa: BLE001 - no usable train_data: use the lesson's padding
        settings = None
    if settings in (None, LESSON_PADDING):
        train, test = padded
    else:
        train, test = pad(imdb[0], MAXLEN, **settings), pad(imdb[2], MAXLEN, **settings)
    _expect_rows(submission, "x_val", train[:VAL_N], test, "the first 10,000 padded training reviews, train_data[:10000]")
    _expect_labels(submission, "y_val", imdb[1][:VAL_N], imdb[3], "train_labels[:10000]")
    _expect_rows(submission, "partial_x_train", train[VAL_N:], test,
                 "the padded training reviews after the first 10,000, train_data[10000:]")
    _expect_labels(submission, "partial_y_train", imdb[1][VAL_N:], imdb[3], "train_labels[10000:]")


def _expect_rows(submission, name, expected, test, what):
    stats, head = submission.array_head(name)
    assert tuple(stats["shape"]) == expected.shape, (
        f"`{name}` has shape {tuple(stats['shape'])}; it should hold {what}, shape {expected.shape}.")
    if head.shape == test[: len(head)].shape and np.array_equal(head, test[: len(head)]):
        raise AssertionError(
            f"`{name}` holds test reviews. Hold out validation data from the training reviews ({what}); the test "
            "set stays unseen until the final evaluation.")
    assert np.array_equal(head, expected[: len(head)]) and np.isclose(stats["mean"], expected.mean(), rtol=0, atol=1e-9), (
        f"`{name}` should hold {what}, in their original order.")


def _expect_labels(submission, name, expected, test_labels, what):
    labels = submission.array(name).reshape(-1)
    assert labels.shape == expected.shape, f"`{name}` has {labels.size} labels; it should hold {what}, {expected.size} labels."
    if np.array_equal(labels, test_labels[: labels.size]):
        raise AssertionError(f"`{name}` holds test labels; take it from the training labels ({what}).")
    if not np.array_equal(labels, expected) and np.array_equal(np.sort(labels), np.sort(expected)):
        raise AssertionError(
            f"`{name}` holds the right labels in another order, so they no longer belong to their reviews. "
            f"Take the labels from the same rows as the reviews ({what}) and do not shuffle them on their own.")
    assert np.array_equal(labels, expected), f"`{name}` should hold {what}, the labels of the same reviews."


@check(points=3)
def test_training(submission, imdb, padded):
    architecture = submission.model("build_model")
    expect_vocabulary_fits(architecture, VOCAB - 1, "the reviews")
    expect_learns(architecture, (padded[0][:TRAIN_N], imdb[1][:TRAIN_N]), (padded[1][:EVAL_N], imdb[3][:EVAL_N]),
                  epochs=EPOCHS, batch_size=BATCH, threshold=MIN_RETRAINED_ACCURACY, examples="reviews")


@check(points=2)
def test_trained_model(submission, imdb, padded):
    model = submission.model("model")
    expect_vocabulary_fits(model, VOCAB - 1, "the reviews")
    history = submission.history("history")
    assert "val_loss" in history, (
        "`history` has no validation curves: pass validation_data=(x_val, y_val) to fit().")
    reported = {name: submission.value(name) for name in ("test_loss", "test_acc")}
    for name, value in reported.items():
        assert isinstance(value, (int, float)) and not isinstance(value, bool), (
            f"`{name}` should be a number, the one model.evaluate(test_data, test_labels) returns.")
    x_test, y_test = padded[1], imdb[3]
    measured = accuracy(model, x_test, y_test)
    activation = output_activation(model)
    assert measured >= MIN_TRAINED_ACCURACY, (
        f"Your trained `model` labels {measured:.1%} of the test reviews right; a trained model scores at least "
        f"{MIN_TRAINED_ACCURACY:.0%}. " + (
            f"Its output layer uses '{activation}', which cannot tell the two classes apart: use a sigmoid."
            if activation not in ("sigmoid", "linear") else
            "Train it on partial_x_train with partial_y_train, the labels of the same reviews."))
    logits = activation != "sigmoid"
    if logits and abs(reported["test_acc"] - measured) > TOLERANCE:
        scores = np.asarray(model.predict(x_test, batch_size=1024, verbose=0)).reshape(-1)
        cut_at_half = float(((scores > 0.5) == np.asarray(y_test).reshape(-1)).mean())
        assert abs(reported["test_acc"] - cut_at_half) > TOLERANCE, (
            f"`test_acc` is {reported['test_acc']:.4f}: that is how many test reviews your logits label right when "
            "cut at 0.5, which is what metrics=['accuracy'] measures on one output unit. A logit is positive for a "
            f"positive review, so your model really labels {measured:.4f} right. Compile it with "
            "metrics=[keras.metrics.BinaryAccuracy(threshold=0.0)] and evaluate again.")
    assert abs(reported["test_acc"] - measured) <= TOLERANCE, (
        f"`test_acc` is {reported['test_acc']:.4f}, but your model really labels {measured:.4f} of the test reviews "
        "right; take it from model.evaluate(test_data, test_labels)"
        + (" and, with a logit output, use metrics=[keras.metrics.BinaryAccuracy(threshold=0.0)]." if logits else "."))
    loss = _binary_crossentropy(model, x_test, y_test, from_logits=logits)
    assert abs(reported["test_loss"] - loss) <= TOLERANCE, (
        f"`test_loss` is {reported['test_loss']:.4f}, but your model's binary cross-entropy on the test reviews is "
        f"{loss:.4f}; take it from model.evaluate(test_data, test_labels).")


def _binary_crossentropy(model, x, y, *, from_logits):
    """The mean binary cross-entropy, computed as Keras computes it."""
    import keras

    scores = np.asarray(model.predict(x, batch_size=1024, verbose=0), dtype="float32").reshape(-1, 1)
    per_review = keras.losses.binary_crossentropy(np.asarray(y, "float32").reshape(-1, 1), scores,
                                                  from_logits=from_logits)
    return float(np.mean(keras.ops.convert_to_numpy(per_review)))
