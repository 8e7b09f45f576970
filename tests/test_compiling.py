"""Tests for tfgrader.grading.checks.compiling: every spelling Keras accepts
for a loss, an optimizer, a learning rate or a metric means the same setting.

Each model is compiled as a student would write it, saved to a .keras file and
loaded back with safe_mode=True, as the grading process sees it.
"""

from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras")
tf = pytest.importorskip("tensorflow")

from tfgrader.grading.checks.compiling import expect_compiled, settings  # noqa: E402
from tfgrader.grading.submission import load_model  # noqa: E402


@pytest.fixture
def compiled(tmp_path):
    """Build a tiny model with ``units`` outputs, compile it with the given
    settings, and load it back from a .keras file."""
    count = iter(range(1000))

    def _compiled(*, loss, optimizer="adam", metrics=None, units=1, activation=None):
        model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(units, activation=activation)])
        model.compile(optimizer=optimizer, loss=loss, metrics=metrics)
        path = tmp_path / f"m{next(count)}.keras"
        model.save(path)
        return load_model(path, "model")

    return _compiled


MAE_SPELLINGS = {
    "mae": "mae", "MAE": "MAE", "mean_absolute_error": "mean_absolute_error",
    "MeanAbsoluteError": "MeanAbsoluteError",
    "keras-instance": lambda: keras.losses.MeanAbsoluteError(),
    "tf.keras-instance": lambda: tf.keras.losses.MeanAbsoluteError(),
    "named-instance": lambda: keras.losses.MeanAbsoluteError(name="my_loss"),
    "keras-function": lambda: keras.losses.mean_absolute_error,
    "tf.keras.losses.mae": lambda: tf.keras.losses.mae,
    "tf.keras.losses.MAE": lambda: tf.keras.losses.MAE,
    "tf.losses.mae": lambda: tf.losses.mae,
}


@pytest.mark.parametrize("spelling", MAE_SPELLINGS.values(), ids=MAE_SPELLINGS.keys())
def test_loss_spellings(compiled, spelling):
    """Is every spelling of the mean absolute error read as that loss?"""
    loss = spelling() if callable(spelling) and not isinstance(spelling, str) else spelling
    model = compiled(loss=loss)
    assert settings(model).loss == "mean_absolute_error"
    expect_compiled(model, loss="mean_absolute_error")
    expect_compiled(model, loss="mae")


CROSSENTROPY_SPELLINGS = {
    "string": (lambda: "sparse_categorical_crossentropy", "softmax", False),
    "class-instance": (lambda: keras.losses.SparseCategoricalCrossentropy(), "softmax", False),
    "function": (lambda: keras.losses.sparse_categorical_crossentropy, "softmax", False),
    "tf.keras-function": (lambda: tf.keras.losses.sparse_categorical_crossentropy, "softmax", False),
    "logits": (lambda: keras.losses.SparseCategoricalCrossentropy(from_logits=True), None, True),
    "tf.keras-logits-named": (lambda: tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True, name="xe"),
                              None, True),
}


@pytest.mark.parametrize("make, activation, logits", CROSSENTROPY_SPELLINGS.values(), ids=CROSSENTROPY_SPELLINGS.keys())
def test_crossentropy_spellings(compiled, make, activation, logits):
    """Is every spelling of the cross-entropy read as that loss, with its from_logits?"""
    model = compiled(loss=make(), units=10, activation=activation, metrics=["accuracy"])
    have = settings(model)
    assert (have.loss, have.from_logits) == ("sparse_categorical_crossentropy", logits)
    expect_compiled(model, loss="sparse_categorical_crossentropy", optimizer="adam", metric="accuracy")


ADAM_SPELLINGS = {
    "adam": lambda: "adam",
    "Adam": lambda: "Adam",
    "keras-default": lambda: keras.optimizers.Adam(),
    "positional-rate": lambda: keras.optimizers.Adam(1e-3),
    "keyword-rate": lambda: keras.optimizers.Adam(learning_rate=0.001),
    "tf.keras": lambda: tf.keras.optimizers.Adam(0.001),
    "tf.optimizers": lambda: tf.optimizers.Adam(learning_rate=0.001),
    "default-betas-spelled-out": lambda: keras.optimizers.Adam(0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7),
}


@pytest.mark.parametrize("make", ADAM_SPELLINGS.values(), ids=ADAM_SPELLINGS.keys())
def test_optimizer_spellings(compiled, make):
    """Is every spelling of Adam at 0.001 read as Adam with that learning rate, compared by value?"""
    model = compiled(loss="mae", optimizer=make())
    have = settings(model)
    assert have.optimizer == "adam"
    assert have.learning_rate == pytest.approx(0.001, rel=1e-6)
    expect_compiled(model, loss="mae", optimizer="adam", learning_rate=0.001)


@pytest.mark.parametrize("optimizer, expected", [
    (lambda: keras.optimizers.Adam(0.01), "uses learning rate 0.01; this exercise asks for 0.001."),
    (lambda: keras.optimizers.Adam(keras.optimizers.schedules.ExponentialDecay(0.001, 100, 0.9)),
     "uses learning rate from a schedule; this exercise asks for 0.001."),
    (lambda: "sgd", "uses the sgd optimizer; this exercise asks for 'adam'."),
    (lambda: tf.keras.optimizers.RMSprop(0.001), "uses the rmsprop optimizer; this exercise asks for 'adam'."),
])
def test_rejects_optimizer(compiled, optimizer, expected):
    """Is another optimizer, or another learning rate, named in the message?"""
    model = compiled(loss="mae", optimizer=optimizer())
    with pytest.raises(AssertionError) as info:
        expect_compiled(model, loss="mae", optimizer="adam", learning_rate=0.001, source="build_dnn_model(normalizer)")
    assert str(info.value) == f"The model from `build_dnn_model(normalizer)` {expected}"


@pytest.mark.parametrize("loss", ["mse", "MSE", "mean_squared_error"])
def test_rejects_other_loss(compiled, loss):
    """Is another loss rejected under its canonical name, whatever the spelling asked for?"""
    model = compiled(loss=loss)
    with pytest.raises(AssertionError, match=r"compiled with the loss mean_squared_error; this exercise asks "
                                             r"for loss='mae'\."):
        expect_compiled(model, loss="mae")


def test_binary_crossentropy_metric_spellings(compiled):
    """Is a binary cross-entropy metric reported however it is given?"""
    for metric in ("binary_crossentropy", keras.metrics.BinaryCrossentropy(), tf.keras.losses.binary_crossentropy):
        model = compiled(loss="binary_crossentropy", activation="sigmoid", metrics=["accuracy", metric])
        assert settings(model).reports("binary_crossentropy"), metric
        assert settings(model).reports("accuracy")
    model = compiled(loss="binary_crossentropy", activation="sigmoid", metrics=["accuracy"])
    assert not settings(model).reports("binary_crossentropy")


def test_learning_rate_float32(compiled):
    """Does a learning rate stored as float32 compare equal to the decimal asked for?"""
    model = compiled(loss="mae", optimizer=keras.optimizers.Adam(learning_rate=float(np.float32(0.1))))
    expect_compiled(model, loss="mae", optimizer="adam", learning_rate=0.1)


def test_compat_v1_aliases_load_as_builtins(tmp_path):
    """Do tensorflow.compat.v1 spellings (layers, tf.nn activations, optimizer) load as the Keras built-ins?"""
    from tfgrader.grading.checks.architecture import layers_of

    v1 = tf.compat.v1
    model = keras.Sequential([keras.Input((4,)), v1.keras.layers.Dense(3, activation=v1.nn.relu),
                              v1.keras.layers.Dense(2, activation=v1.nn.softmax)])
    model.compile(optimizer=v1.keras.optimizers.Adam(0.001), loss="sparse_categorical_crossentropy",
                  metrics=["acc"])
    model.save(tmp_path / "v1.keras")
    loaded = load_model(tmp_path / "v1.keras", "model")
    assert [(layer["kind"], layer["activation"]) for layer in layers_of(loaded)] == [
        ("Dense", "relu"), ("Dense", "softmax")]
    expect_compiled(loaded, loss="sparse_categorical_crossentropy", optimizer="adam", learning_rate=0.001,
                    metric="accuracy")
