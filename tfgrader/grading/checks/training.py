"""Seeded, brief retraining of a submitted architecture, and measurements."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from tfgrader.grading import figures
from tfgrader.grading.checks.architecture import output_activation
from tfgrader.grading.checks.compiling import require_compiled
from tfgrader.grading.submission import StudentError
from tfgrader.wire import one_line


def deterministic(seed: int = 0) -> None:
    """Seed Python, NumPy and TensorFlow, and make TF ops deterministic."""
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()


def fresh_copy(model: Any, seed: int = 0) -> Any:
    """The same architecture and compile settings with new, seeded weights.

    The submitted weights come from an unseeded kernel, so they are never
    reused: that keeps a submission's score identical from run to run.
    """
    import keras

    require_compiled(model)
    deterministic(seed)
    copy = keras.models.clone_model(model)
    copy.compile_from_config(model.get_compile_config())
    return copy


def normalizers(model: Any) -> list[Any]:
    """The model's Normalization layers, in order."""
    return [layer for layer in model.layers if type(layer).__name__ == "Normalization"]


def retrain(model: Any, x: np.ndarray, y: np.ndarray, *, epochs: int, batch_size: int,
            seed: int = 0, adapt_normalizers: bool = False, **fit_kwargs: Any) -> tuple[Any, dict[str, list[float]]]:
    """Train a fresh, seeded copy of ``model`` and return it with its history.

    With ``adapt_normalizers``, every Normalization layer of the copy without
    a fixed ``mean`` and ``variance`` is adapted on ``x`` first: a fresh copy
    has none of the submitted statistics, and adapting here means a mistake
    in the notebook's normaliser costs the normaliser's check only.

    Raises:
        StudentError: if training fails or the loss stops being a number.
    """
    copy = fresh_copy(model, seed)
    try:
        for layer in normalizers(copy) if adapt_normalizers else []:
            if layer.get_config().get("mean") is None:
                layer.adapt(x)
        history = copy.fit(x, y, epochs=epochs, batch_size=batch_size, verbose=0, shuffle=True, **fit_kwargs)
    except Exception as exc:  # noqa: BLE001
        raise StudentError(f"Training your model failed: {one_line(exc)}") from None
    losses = history.history.get("loss", [])
    if not losses or not all(math.isfinite(v) for v in losses):
        raise StudentError(
            "Training your model gave a loss that is not a number (NaN or infinity). "
            "Check the output activation and the loss function."
        )
    return copy, history.history


def accuracy(model: Any, x: np.ndarray, y: np.ndarray) -> float:
    """Classification accuracy, for softmax, logits or single-unit outputs."""
    scores = np.asarray(model.predict(x, batch_size=1024, verbose=0))
    if scores.ndim == 2 and scores.shape[1] > 1:
        predicted = scores.argmax(axis=1)
    else:
        # one unit: a sigmoid output is a probability, anything else a logit
        threshold = 0.5 if output_activation(model) == "sigmoid" else 0.0
        predicted = (scores.reshape(-1) > threshold).astype(int)
    return float((predicted == np.asarray(y).reshape(-1)).mean())


def expect_not_trained_on_test(model: Any, unseen: tuple[np.ndarray, np.ndarray], test: tuple[np.ndarray, np.ndarray],
                               *, margin: float, what: str = "`model`", names: str = "x_train and y_train") -> None:
    """``model`` scores no more than ``margin`` better on the test set than on
    training examples it was not trained on (``unseen``): a model trained on
    the test set scores clearly better there."""
    on_test, on_unseen = accuracy(model, *test), accuracy(model, *unseen)
    assert on_test - on_unseen <= margin, (
        f"Your trained {what} scores {on_test:.1%} on the test set but only {on_unseen:.1%} on training examples it "
        f"did not train on: it looks trained on the test set. Train it on {names} only; the test set is for "
        "measuring it.")


def expect_learns(model: Any, train: tuple[np.ndarray, np.ndarray], test: tuple[np.ndarray, np.ndarray], *,
                  epochs: int, batch_size: int, threshold: float, examples: str = "images") -> float:
    """Retrain a fresh copy of ``model`` briefly; its test accuracy must reach ``threshold``.

    Returns:
        The measured accuracy.
    """
    trained, history = retrain(model, *train, epochs=epochs, batch_size=batch_size)
    measured = accuracy(trained, *test)
    figures.learning(history, measured, threshold)
    assert measured >= threshold, (
        f"Retrained from scratch for {epochs} epochs on {len(train[1])} {examples}, your architecture reaches "
        f"{measured:.1%} test accuracy; a correct one reaches at least {threshold:.0%}.")
    return measured
