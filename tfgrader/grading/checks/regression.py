"""Checks for regression models: Normalization layers and mean absolute error."""

from __future__ import annotations

from typing import Any

import numpy as np

from tfgrader.grading.submission import StudentError

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
