"""Tests for tfgrader.grading.checks: architecture/compile checks and seeded retraining.

Models are tiny and go through a .keras round trip with safe_mode=True, as
in the grading process; the training data are 200 points in the plane whose
class is the sign of the first coordinate.
"""

from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from tfgrader.grading.checks.architecture import (  # noqa: E402
    PROBS_OR_LOGITS, Layer, expect_input_shape, expect_layers, layers_of, output_activation)
from tfgrader.grading.checks.compiling import expect_compiled, require_compiled  # noqa: E402
from tfgrader.grading.checks.training import accuracy, fresh_copy, retrain  # noqa: E402
from tfgrader.grading.submission import StudentError, load_model  # noqa: E402

# The shape of the real assignment-01 spec, on 4x4 "images".
LAYERS = [
    Layer("Flatten"),
    Layer("Dense", units=(128, 1024), activation="relu"),
    Layer("Dropout", rate=0.2),
    Layer("Dense", units=10, activation=PROBS_OR_LOGITS),
]
COMPILE = dict(loss="sparse_categorical_crossentropy", optimizer="adam", metric="accuracy")
OUTPUTS = {  # output variant -> layers after the last hidden one
    "softmax": lambda n: [keras.layers.Dense(n, activation="softmax")],
    "logits": lambda n: [keras.layers.Dense(n)],
    "relu": lambda n: [keras.layers.Dense(n, activation="relu")],
    "activation": lambda n: [keras.layers.Dense(n), keras.layers.Activation("softmax")],
    "softmax_layer": lambda n: [keras.layers.Dense(n), keras.layers.Softmax()],
}


@pytest.fixture
def make_model(tmp_path):
    """Build, compile, save and safely reload a small classifier."""
    count = iter(range(1000))

    def _make(*, hidden=256, output="softmax", units=10, dropout=0.2, functional=False,
              from_logits=None, optimizer="adam", metrics=("accuracy",), compiled=True, relu=None):
        # relu: the hidden activation as a layer of its own (ReLU(), or ReLU(**relu))
        layers = [keras.layers.Flatten(), keras.layers.Dense(hidden, activation="relu")] if relu is None else [
            keras.layers.Flatten(), keras.layers.Dense(hidden), keras.layers.ReLU(**relu)]
        layers += [keras.layers.Dropout(dropout)] if dropout is not None else []
        layers += OUTPUTS[output](units)
        if functional:
            inputs = x = keras.Input((4, 4))
            for layer in layers:
                x = layer(x)
            model = keras.Model(inputs, x)
        else:
            model = keras.Sequential([keras.Input((4, 4)), *layers])
        if compiled:
            loss = ("sparse_categorical_crossentropy" if from_logits is None
                    else keras.losses.SparseCategoricalCrossentropy(from_logits=from_logits))
            model.compile(optimizer=optimizer, loss=loss, metrics=list(metrics) or None)
        path = tmp_path / f"model{next(count)}.keras"
        model.save(path)
        return load_model(path, "model")

    return _make


@pytest.mark.parametrize("kwargs", [
    dict(),
    dict(functional=True),
    dict(output="logits", from_logits=True),
    dict(output="logits", from_logits=True, functional=True),
    dict(output="softmax", from_logits=False),
    dict(output="activation"),
    dict(output="softmax_layer"),
    dict(output="softmax_layer", functional=True),
    dict(hidden=128),
    dict(hidden=1024),
    dict(relu={}),
    dict(relu={}, functional=True),
    dict(metrics=("acc",)),
    dict(metrics=("sparse_categorical_accuracy",)),
    dict(metrics=(keras.metrics.SparseCategoricalAccuracy(),)),
    dict(metrics=(keras.metrics.SparseCategoricalAccuracy(name="acc"), "mse")),
    dict(metrics=(keras.metrics.sparse_categorical_accuracy,)),
], ids=lambda kw: "-".join(f"{k}={v}" for k, v in kw.items()) or "sequential")
def test_accepts(make_model, kwargs):
    """Is every correct spelling of the model accepted?"""
    model = make_model(**kwargs)
    expect_input_shape(model, (4, 4))
    expect_layers(model, LAYERS)
    expect_compiled(model, **COMPILE)


@pytest.mark.parametrize("output, expected", [
    ("softmax", "softmax"), ("logits", "linear"), ("activation", "softmax"), ("softmax_layer", "softmax")])
def test_layers_of_folds_activation(make_model, output, expected):
    """Does layers_of fold a separate Activation/Softmax layer into the Dense layer before it?"""
    model = make_model(output=output)
    layers = layers_of(model)
    assert [(layer["kind"], layer["units"]) for layer in layers] == [
        ("Flatten", None), ("Dense", 256), ("Dropout", None), ("Dense", 10)]
    assert layers[1]["activation"] == "relu" and layers[2]["rate"] == 0.2
    assert output_activation(model) == layers[-1]["activation"] == expected


@pytest.mark.parametrize("kwargs, expected", [
    (dict(hidden=64), "has 64 units; use between 128 and 1024"),
    (dict(hidden=2048), "has 2048 units; use between 128 and 1024"),
    (dict(units=5), "has 5 units; this exercise asks for 10."),
    (dict(output="relu"), "uses the 'relu' activation. The output layer must give 'softmax' outputs"),
    (dict(dropout=0.5), "has rate 0.5; this exercise asks for 0.2."),
    (dict(dropout=None), "Your model's layers are Flatten, Dense, Dense; this exercise asks for "
                         "Flatten, Dense, Dropout, Dense, in that order."),
])
def test_rejects_layers(make_model, kwargs, expected):
    """Is a wrong layer rejected with a message that names what differs?"""
    with pytest.raises(AssertionError, match=expected.replace("(", r"\(").replace(".", r"\.")):
        expect_layers(make_model(**kwargs), LAYERS)


def test_a_capped_relu_layer_is_not_relu(make_model):
    """ReLU(max_value=6) is another activation: the layer stays apart and the layers differ."""
    with pytest.raises(AssertionError, match="Flatten, Dense, ReLU, Dropout, Dense"):
        expect_layers(make_model(relu={"max_value": 6.0}), LAYERS)


def test_rejects_input_shape(make_model):
    """Is a wrong input shape rejected with the keras.Input to write?"""
    with pytest.raises(AssertionError, match=r"input shape is \(4, 4\).*keras\.Input\(shape=\(28, 28\)\)"):
        expect_input_shape(make_model(), (28, 28))


@pytest.mark.parametrize("kwargs, expected", [
    (dict(from_logits=True), "applies softmax, so the loss must not use from_logits=True"),
    (dict(output="activation", from_logits=True), "applies softmax, so the loss must not use from_logits=True"),
    (dict(output="logits", from_logits=False), "gives logits (no activation), so the loss needs from_logits=True"),
    (dict(output="logits"), "gives logits (no activation), so the loss needs from_logits=True"),
    (dict(compiled=False), "never compiled"),
    (dict(optimizer="sgd"), "uses the sgd optimizer; this exercise asks for 'adam'"),
    (dict(metrics=()), "Compile your model with metrics=['accuracy']"),
    (dict(metrics=("mse",)), "Compile your model with metrics=['accuracy']"),
    (dict(metrics=(keras.metrics.AUC(),)), "Compile your model with metrics=['accuracy']"),
])
def test_rejects_compile(make_model, kwargs, expected):
    """Is a wrong compile setting rejected with a message that says what to change?"""
    with pytest.raises((AssertionError, StudentError)) as info:
        expect_compiled(make_model(**kwargs), **COMPILE)
    assert expected in str(info.value)


def test_rejects_uncompiled_in_memory():
    """Is a model that was never compiled rejected before it is saved, too, by the one guard every check uses?"""
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(2, activation="softmax")])
    messages = set()
    for check in (lambda: expect_compiled(model, **COMPILE), lambda: fresh_copy(model),
                  lambda: require_compiled(model)):
        with pytest.raises(StudentError, match="never compiled") as info:
            check()
        messages.add(str(info.value))
    assert len(messages) == 1


# ---- training ----------------------------------------------------------------


@pytest.fixture(scope="module")
def plane():
    x = np.random.default_rng(1).uniform(-1, 1, size=(200, 2)).astype("float32")
    return x, (x[:, 0] > 0).astype("int64")


@pytest.fixture
def classifier():
    """A small unseeded classifier on 2 features (its initial weights differ each call)."""

    def _make(*layers, optimizer=None, loss="sparse_categorical_crossentropy", metrics=("accuracy",)):
        layers = layers or (keras.layers.Dense(8, activation="relu"), keras.layers.Dropout(0.2),
                            keras.layers.Dense(2, activation="softmax"))
        model = keras.Sequential([keras.Input((2,)), *layers])
        model.compile(optimizer=optimizer or keras.optimizers.Adam(0.05), loss=loss, metrics=list(metrics))
        return model

    return _make


def test_retrain_is_deterministic(classifier, plane):
    """Do two retrains from differently initialised submissions give bit-identical weights and histories?"""
    first, second = classifier(), classifier()
    assert not np.array_equal(first.get_weights()[0], second.get_weights()[0])
    (a, hist_a), (b, hist_b) = (retrain(m, *plane, epochs=3, batch_size=32) for m in (first, second))
    assert hist_a == hist_b and len(hist_a["loss"]) == 3
    assert all(np.array_equal(wa, wb) for wa, wb in zip(a.get_weights(), b.get_weights()))
    (c, hist_c) = retrain(first, *plane, epochs=3, batch_size=32, seed=1)
    assert not np.array_equal(a.get_weights()[0], c.get_weights()[0]) and hist_c != hist_a


def test_retrain_learns(classifier, plane):
    """Does a retrained copy learn separable data, leaving the submitted model untouched?"""
    model = classifier()
    before = [w.copy() for w in model.get_weights()]
    trained, history = retrain(model, *plane, epochs=20, batch_size=32)
    assert trained is not model and history["loss"][-1] < history["loss"][0]
    assert accuracy(trained, *plane) >= 0.95
    assert all(np.array_equal(w, v) for w, v in zip(before, model.get_weights()))


def test_retrain_nan_loss(classifier, plane):
    """Does a loss that blows up to NaN or infinity give a StudentError that says so?"""
    model = classifier(keras.layers.Dense(1), optimizer=keras.optimizers.SGD(1e10), loss="mse", metrics=())
    with pytest.raises(StudentError, match="not a number"):
        retrain(model, *plane, epochs=2, batch_size=32)


def test_retrain_failure_is_student_error(classifier, plane):
    """Does a fit() that raises become a StudentError naming the exception?"""
    with pytest.raises(StudentError, match="^Training your model failed: ValueError"):
        retrain(classifier(), np.zeros((200, 3), "float32"), plane[1], epochs=1, batch_size=32)


@pytest.mark.parametrize("layer, kernel", [
    (lambda: keras.layers.Dense(2, activation="softmax"), [[-1.0, 1.0], [0.0, 0.0]]),
    (lambda: keras.layers.Dense(2), [[-1.0, 1.0], [0.0, 0.0]]),
    (lambda: keras.layers.Dense(1, activation="sigmoid"), [[1.0], [0.0]]),
    (lambda: keras.layers.Dense(1), [[1.0], [0.0]]),
], ids=["softmax", "logits", "sigmoid", "one-logit"])
def test_accuracy_output_kinds(classifier, plane, layer, kernel):
    """Does accuracy() read softmax, logits and single-unit outputs with the right threshold?"""
    model = classifier(layer())
    units = len(kernel[0])
    model.layers[-1].set_weights([np.array(kernel, "float32"), np.zeros(units, "float32")])
    x, y = plane
    assert accuracy(model, x, y) == 1.0
    assert accuracy(model, x, y.reshape(-1, 1)) == 1.0
    assert accuracy(model, x, 1 - y) == 0.0


def test_a_model_trained_on_the_test_set_is_named(classifier, plane):
    """A model that is right on the test points and wrong on unseen training points looks trained on the test
    set; one as good on both does not."""
    from tfgrader.grading.checks.training import expect_not_trained_on_test

    model = classifier(keras.layers.Dense(2))
    model.layers[-1].set_weights([np.array([[-1.0, 1.0], [0.0, 0.0]], "float32"), np.zeros(2, "float32")])
    x, y = plane
    expect_not_trained_on_test(model, (x[:100], y[:100]), (x[100:], y[100:]), margin=0.01)
    flipped = (x[:100], 1 - y[:100])  # what it "learned" is wrong on these: 0% against 100% on the test points
    with pytest.raises(AssertionError, match="it looks trained on the test set. Train it on x_train and y_train only"):
        expect_not_trained_on_test(model, flipped, (x[100:], y[100:]), margin=0.01)


def test_same_learning_rate_reads_the_other_builder():
    """The learning rate another check must match: the model's own, or None when it has none to match."""
    from tfgrader.grading.checks.compiling import same_learning_rate

    class Exported:
        def __init__(self, models):
            self.models = models

        def model(self, name):
            if name not in self.models:
                raise StudentError(f"{name} was not exported")
            return self.models[name]

    adam = keras.Sequential([keras.Input((2,)), keras.layers.Dense(2)])
    adam.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
    plain = keras.Sequential([keras.Input((2,)), keras.layers.Dense(2)])
    exported = Exported({"build_model": adam, "uncompiled": plain})
    assert same_learning_rate(exported, "build_model") == pytest.approx(0.01)
    assert same_learning_rate(exported, "uncompiled") is None
    assert same_learning_rate(exported, "missing") is None


@pytest.mark.parametrize("divided_by, expected", [(255.0, 255.0), (1.0, 1.0), (127.5, 127.5), (None, 255.0)],
                         ids=["scaled", "unscaled", "other-factor", "not-a-copy"])
def test_the_student_s_own_scaling_is_found(divided_by, expected):
    """A number measured on the student's x_test is measured again on the real data scaled the same way."""
    from tfgrader.grading.checks.arrays import as_the_student_scaled

    raw = np.random.default_rng(0).integers(0, 256, size=(20, 4, 4)).astype("uint8")
    head = raw[:5] / divided_by if divided_by else np.ones((5, 4, 4))

    class Exported:
        def array_head(self, name):
            return {"shape": list(raw.shape), "dtype": str(head.dtype)}, head

    assert np.allclose(as_the_student_scaled(Exported(), "x_test", raw), raw / expected)
