"""Checks for regression models: compile settings, Normalization layers,
seeded retraining and mean absolute error."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from tfgrader.grading.checks.architecture import loss_settings
from tfgrader.grading.checks.training import fresh_copy
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
    assert getattr(model, "compiled", False) and model.get_compile_config(), (
        f"The model from {what} was never compiled: call model.compile(...) before returning it.")
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


def normalizers(model: Any) -> list[Any]:
    """The model's Normalization layers, in order."""
    return [layer for layer in model.layers if type(layer).__name__ == "Normalization"]


def normalizer_statistics(layer: Any) -> tuple[np.ndarray, np.ndarray]:
    """The mean and variance a Normalization layer applies, one per feature."""
    mean, variance = (np.asarray(getattr(layer, part), dtype="float64") for part in ("mean", "variance"))
    return mean.reshape(-1), variance.reshape(-1)


def retrain_regressor(model: Any, x: np.ndarray, y: np.ndarray, *, epochs: int, batch_size: int,
                      seed: int = 0) -> Any:
    """Train a fresh, seeded copy of ``model`` on ``x``, ``y`` and return it.

    Every Normalization layer of the copy is adapted on ``x`` first: a fresh
    copy has none of the submitted statistics, and adapting here means a
    mistake in the notebook's normaliser costs the normaliser's check only.
    Layers given a fixed ``mean`` and ``variance`` keep them.

    Raises:
        StudentError: if training fails or the loss stops being a number.
    """
    copy = fresh_copy(model, seed)
    try:
        for layer in normalizers(copy):
            if layer.get_config().get("mean") is None:
                layer.adapt(x)
        history = copy.fit(x, y, epochs=epochs, batch_size=batch_size, verbose=0, shuffle=True)
    except Exception as exc:  # noqa: BLE001
        raise StudentError(f"Training your model failed: {type(exc).__name__}: {str(exc)[:200]}") from None
    losses = history.history.get("loss", [])
    if not losses or not all(math.isfinite(v) for v in losses):
        raise StudentError("Training your model gave a loss that is not a number (NaN or infinity). "
                           "Check the output layer and the loss function.")
    return copy


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
