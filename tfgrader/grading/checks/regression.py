"""Checks for regression models: compile settings, Normalization layers,
seeded retraining and mean absolute error."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from tfgrader.grading.checks.architecture import loss_settings, require_compiled
from tfgrader.grading.submission import StudentError

# Names under which Keras reports each loss, spelled out or abbreviated.
LOSS_NAMES = {
    "mean_absolute_error": {"mean_absolute_error", "mae"},
    "mean_squared_error": {"mean_squared_error", "mse"},
}


def expect_regression_compile(model: Any, what: str, *, loss: str = "mean_absolute_error",
                              optimizer: str | None = None, learning_rate: float | None = None) -> None:
    """``model`` is compiled with ``loss`` and, when given, ``optimizer`` at
    ``learning_rate``. ``what`` names the function in messages."""
    require_compiled(model, f"`{what}`")
    name, _ = loss_settings(model)
    assert name in LOSS_NAMES.get(loss, {loss}), (
        f"The model from {what} is compiled with the loss {name}; this exercise asks for "
        f"loss='{loss}'.")
    if optimizer is None:
        return
    have = type(model.optimizer).__name__.lower()
    assert have == optimizer, f"The model from {what} uses the {have} optimizer; this exercise asks for {optimizer}."
    if learning_rate is not None:
        rate = float(np.asarray(model.optimizer.learning_rate))
        assert math.isclose(rate, learning_rate, rel_tol=1e-5), (
            f"The model from {what} uses learning rate {rate:g}; this exercise asks for {learning_rate:g}.")


def normalizer_statistics(layer: Any) -> tuple[np.ndarray, np.ndarray]:
    """The mean and variance a Normalization layer applies, one per feature."""
    mean, variance = (np.asarray(getattr(layer, part), dtype="float64") for part in ("mean", "variance"))
    return mean.reshape(-1), variance.reshape(-1)


def predict(model: Any, x: np.ndarray) -> np.ndarray:
    """The model's predictions as one flat float array."""
    return np.asarray(model.predict(np.asarray(x, dtype="float32"), batch_size=1024, verbose=0),
                      dtype="float64").reshape(-1)


def mean_absolute_error(model: Any, x: np.ndarray, y: Any) -> float:
    """The model's mean absolute error on ``x``, ``y``.

    Raises:
        StudentError: if the model cannot run on ``x`` or gives one
            prediction per row.
    """
    try:
        predicted = predict(model, x)
    except Exception as exc:  # noqa: BLE001
        raise StudentError(f"Your model could not run on {len(x)} rows of {np.shape(x)[1:] or 'single'} "
                           f"features: {type(exc).__name__}: {str(exc)[:160]}") from None
    y = np.asarray(y, dtype="float64").reshape(-1)
    if predicted.shape != y.shape:
        raise StudentError(f"Your model gives {predicted.size} numbers for {y.size} rows; "
                           "a regression model predicts one number per row (end it with Dense(1)).")
    return float(np.mean(np.abs(predicted - y)))
