"""Tests for tfgrader.grading.checks.regularization and the multi-hot encoding.

Everything is synthetic and tiny: 200 "reviews" of 50 words whose label is
whether word 0 occurs, with a network wide enough to memorize them.
"""

from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from tfgrader.grading.checks.regularization import (  # noqa: E402
    expect_l2, final_gap, kernel_norm, l2_factors, lowest_epoch, paired_curves, plain_curves, train_curves,
    without_regularization)
from tfgrader.grading.checks.text import multi_hot  # noqa: E402
from tfgrader.grading.submission import StudentError  # noqa: E402

WORDS = 50


def classifier(*, l2=None, dropout=None, functional=False, compiled=True, width=32):
    """Two hidden relu layers of ``width`` (optionally L2-penalized and
    followed by Dropout) and a sigmoid output, Sequential or functional."""
    regularizer = keras.regularizers.l2(l2) if l2 is not None else None
    layers = []
    for _ in range(2):
        layers.append(keras.layers.Dense(width, activation="relu", kernel_regularizer=regularizer))
        if dropout is not None:
            layers.append(keras.layers.Dropout(dropout))
    layers.append(keras.layers.Dense(1, activation="sigmoid"))
    if functional:
        inputs = x = keras.Input(shape=(WORDS,))
        for layer in layers:
            x = layer(x)
        model = keras.Model(inputs, x)
    else:
        model = keras.Sequential([keras.Input(shape=(WORDS,)), *layers])
    if compiled:
        model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["binary_crossentropy"])
    return model


@pytest.fixture(scope="module")
def reviews():
    rng = np.random.default_rng(0)
    sequences = [rng.choice(WORDS, size=rng.integers(1, 12)).tolist() for _ in range(400)]
    x = multi_hot(sequences, WORDS)
    y = x[:, :1].copy()  # label: does word 0 occur?
    noisy = y.copy()
    noisy[:200:7] = 1 - noisy[:200:7]  # some wrong training labels, to memorize
    return (x[:200], noisy[:200]), (x[200:], y[200:])


def test_multi_hot_marks_each_index_once():
    """Are repeats marked once, index 0 counted, and an empty sequence all zeros?"""
    rows = multi_hot([[0, 2, 2], [], [3]], 4)
    assert rows.dtype == np.float32
    assert rows.tolist() == [[1, 0, 1, 0], [0, 0, 0, 0], [0, 0, 0, 1]]


@pytest.mark.parametrize("functional", [False, True])
def test_without_regularization_strips_penalties_and_dropout(functional):
    """Does the twin keep the layers and weight shapes, with no penalty and rate 0?"""
    model = classifier(l2=0.01, dropout=0.5, functional=functional)
    twin = without_regularization(model)
    assert type(twin) is type(model)
    assert [w.shape for w in twin.get_weights()] == [w.shape for w in model.get_weights()]
    assert [factor for _, factor in l2_factors(twin)] == [None, None, None]
    assert [layer.rate for layer in twin.layers if isinstance(layer, keras.layers.Dropout)] == [0.0, 0.0]


@pytest.mark.parametrize("regularizer, expected", [
    (keras.regularizers.l2(0.001), 0.001),
    (keras.regularizers.L1L2(l2=0.001), 0.001),
    ("l2", 0.01),
])
def test_l2_factors_read_every_spelling(regularizer, expected):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, kernel_regularizer=regularizer),
                              keras.layers.Dense(1)])
    assert l2_factors(model)[0][1] == pytest.approx(expected)
    assert l2_factors(model)[1][1] is None


@pytest.mark.parametrize("model, message", [
    (classifier(), "has no weight regularizer"),
    (classifier(l2=0.01), "has an L2 factor of 0.01"),
])
def test_expect_l2_names_the_problem(model, message):
    with pytest.raises(AssertionError, match=message):
        expect_l2(model, 0.001, hidden=2)


def test_expect_l2_rejects_output_penalty():
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, kernel_regularizer="l2"),
                              keras.layers.Dense(1, kernel_regularizer="l2")])
    with pytest.raises(AssertionError, match="output layer .* carries an L2 regularizer"):
        expect_l2(model, 0.01, hidden=1)


def test_paired_runs_separate_regularized_from_plain(reviews):
    """Do L2 and dropout measurably act in the paired runs, and does a zero rate repeat the twin's run?"""
    settings = dict(epochs=30, batch_size=32)
    plain, l2 = paired_curves(classifier(l2=0.01), *reviews, name="l2", **settings)
    assert kernel_norm(l2.model) < 0.9 * kernel_norm(plain.model)
    plain_d, dropout = paired_curves(classifier(dropout=0.5), *reviews, name="d", **settings)
    assert plain_d is plain  # the same twin (Dropout at rate 0 changes nothing): trained once
    assert dropout.gap < plain.gap
    same, zero = paired_curves(classifier(dropout=0.0), *reviews, name="z", **settings)
    assert zero.val == same.val and zero.train == same.train


def test_train_curves_is_deterministic_and_measures_cross_entropy(reviews):
    first = train_curves(classifier(), *reviews, epochs=3, batch_size=32)
    again = train_curves(classifier(), *reviews, epochs=3, batch_size=32)
    assert first.val == again.val and len(first.val) == 3
    history = {"binary_crossentropy": first.train, "val_binary_crossentropy": first.val}
    assert final_gap(history, "binary_crossentropy") == pytest.approx(first.gap)
    assert lowest_epoch([0.5, 0.3, 0.4]) == 2


def test_uncompiled_or_mismatched_models_are_student_errors(reviews):
    with pytest.raises(StudentError, match="never compiled"):
        paired_curves(classifier(compiled=False), *reviews, epochs=1, batch_size=32, name="build_x")
    with pytest.raises(StudentError, match="same shapes"):
        train_curves(classifier(width=8), *reviews, epochs=1, batch_size=32,
                     weights=classifier().get_weights(), name="build_x")


def test_plain_curves_are_remembered_only_for_the_same_run(reviews):
    """Is a run reused for the same model, settings and arrays, and never for other ones?"""
    first = plain_curves(classifier(width=4), *reviews, epochs=2, batch_size=32, name="a")
    assert plain_curves(classifier(width=4), *reviews, epochs=2, batch_size=32, name="b") is first
    assert plain_curves(classifier(width=4), *reviews, epochs=3, batch_size=32, name="c") is not first
    assert plain_curves(classifier(width=5), *reviews, epochs=2, batch_size=32, name="d") is not first
    assert plain_curves(classifier(width=4), *reviews, epochs=2, batch_size=32, seed=1, name="e") is not first
    copy = tuple(np.array(a) for a in reviews[0])
    assert plain_curves(classifier(width=4), copy, reviews[1], epochs=2, batch_size=32, name="f") is not first
