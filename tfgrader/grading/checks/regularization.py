"""Checks that regularization is in place and really works.

The effect checks train paired models briefly under fixed seeds: a
regularized model and its baseline start from the same initial weights and
see the batches in the same order, so what differs between their curves is
the regularizer alone. Gaps are measured with a binary cross-entropy metric
compiled by the grader: the training ``loss`` of an L2 model also holds the
penalty, which would make its gap look smaller than it is.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

import numpy as np

from tfgrader.grading.checks.architecture import layers_of, output_activation
from tfgrader.grading.checks.compiling import require_compiled
from tfgrader.grading.checks.training import deterministic
from tfgrader.grading.submission import StudentError
from tfgrader.wire import one_line

BCE = "bce"


@dataclass(frozen=True)
class Curves:
    """Per-epoch binary cross-entropy of one grader run, and the trained model."""

    train: list[float]
    val: list[float]
    model: Any

    @property
    def gap(self) -> float:
        """Validation minus training cross-entropy after the last epoch."""
        return self.val[-1] - self.train[-1]

    @property
    def best_epoch(self) -> int:
        """The epoch (from 1) with the lowest validation cross-entropy."""
        return lowest_epoch(self.val)


def lowest_epoch(values: list[float]) -> int:
    return int(np.argmin(values)) + 1


def final_gap(history: dict[str, list], metric: str) -> float:
    return history[f"val_{metric}"][-1] - history[metric][-1]


def initial_weights(model: Any, seed: int = 0) -> list[np.ndarray]:
    """Seeded initial weights for ``model``'s architecture."""
    import keras

    deterministic(seed)
    return keras.models.clone_model(model).get_weights()


def train_curves(model: Any, train: tuple[np.ndarray, np.ndarray], val: tuple[np.ndarray, np.ndarray], *,
                 epochs: int, batch_size: int, weights: list[np.ndarray] | None = None, seed: int = 0,
                 name: str = "model", compiled_as: Any = None) -> Curves:
    """Train a copy of ``model`` from ``weights`` (else seeded ones) with the
    optimizer and loss of ``compiled_as`` (default: its own), recording the
    binary cross-entropy per epoch.

    Raises:
        StudentError: if the model is not compiled, its weights do not fit
            ``weights``, or training fails or diverges.
    """
    import keras

    source = model if compiled_as is None else compiled_as
    require_compiled(source, f"`{name}()`")
    config = source.get_compile_config()
    deterministic(seed)
    copy = keras.models.clone_model(model)
    if weights is not None:
        shapes = [tuple(w.shape) for w in copy.get_weights()]
        if shapes != [tuple(w.shape) for w in weights]:
            raise StudentError(
                f"`{name}()` should be the baseline with regularization added, so its weights have the same "
                f"shapes as the baseline's; they are {shapes}.")
        copy.set_weights(weights)
    logits = output_activation(copy) != "sigmoid"
    copy.compile_from_config(config)  # the student's optimizer and loss, with the grader's metric
    copy.compile(optimizer=copy.optimizer, loss=copy.loss,
                 metrics=[keras.metrics.BinaryCrossentropy(from_logits=logits, name=BCE)])
    deterministic(seed)  # the same batches, in the same order, for every model of a pair
    try:
        history = copy.fit(*train, validation_data=val, epochs=epochs, batch_size=batch_size, verbose=0).history
    except Exception as exc:  # noqa: BLE001
        raise StudentError(f"Training `{name}()` failed: {one_line(exc, 240)}") from None
    curves = Curves(history[BCE], history[f"val_{BCE}"], copy)
    if not np.all(np.isfinite(curves.train + curves.val)):
        raise StudentError(f"Training `{name}()` gave a cross-entropy that is not a number (NaN or infinity).")
    return curves


def without_regularization(model: Any) -> Any:
    """The same architecture with no weight penalties and every Dropout rate
    set to 0: the baseline a regularized model is compared with. It has the
    same weights as ``model`` (Dropout layers have none), so both can start
    from the same values. Works for Sequential and functional models."""
    config = model.get_config()
    for layer in config["layers"]:
        settings = layer["config"]
        for key in ("kernel_regularizer", "bias_regularizer", "activity_regularizer"):
            if key in settings:
                settings[key] = None
        if layer["class_name"] == "Dropout":
            settings["rate"] = 0.0
    return type(model).from_config(config)


_RUNS: dict[str, Curves] = {}


def plain_curves(model: Any, train: tuple[np.ndarray, np.ndarray], val: tuple[np.ndarray, np.ndarray], *,
                 epochs: int, batch_size: int, name: str, seed: int = 0, compiled_as: Any = None) -> Curves:
    """:func:`train_curves` from seeded initial weights, remembered for this
    process: the same model trained the same way on the same arrays (for a
    correct submission, the baseline and both regularized models' twins) is
    trained once."""
    weights = initial_weights(model, seed)
    source = model if compiled_as is None else compiled_as
    # What decides the run: layer settings, optimizer and loss, not the names Keras numbers them by.
    config = source.get_compile_config() if getattr(source, "compiled", False) else None
    training = {k: (config or {}).get(k) for k in ("optimizer", "loss")}
    layers = [layer.get_config() | {"class": type(layer).__name__}
              for layer in model.layers if not (type(layer).__name__ == "Dropout" and layer.rate == 0)]
    key = hashlib.sha256(json.dumps(_unnamed([layers, training, epochs, batch_size, seed, id(train[0]), id(val[0])]),
                                    sort_keys=True, default=str).encode())
    for array in weights:
        key.update(np.ascontiguousarray(array).tobytes())
    if key.hexdigest() not in _RUNS:
        _RUNS[key.hexdigest()] = train_curves(model, train, val, epochs=epochs, batch_size=batch_size,
                                              weights=weights, seed=seed, name=name, compiled_as=compiled_as)
    return _RUNS[key.hexdigest()]


def _unnamed(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _unnamed(v) for k, v in value.items() if k != "name"}
    if isinstance(value, (list, tuple)):
        return [_unnamed(v) for v in value]
    return value


def paired_curves(model: Any, train: tuple[np.ndarray, np.ndarray], val: tuple[np.ndarray, np.ndarray], *,
                  epochs: int, batch_size: int, name: str, seed: int = 0) -> tuple[Curves, Curves]:
    """(baseline, model): ``model`` and :func:`without_regularization` of it,
    trained alike from the same seeded initial weights."""
    require_compiled(model, f"`{name}()`")
    twin = without_regularization(model)
    settings = dict(epochs=epochs, batch_size=batch_size, seed=seed, name=name, compiled_as=model)
    baseline = plain_curves(twin, train, val, **settings)
    return baseline, train_curves(model, train, val, weights=initial_weights(twin, seed), **settings)


def kernel_norm(model: Any) -> float:
    """The Euclidean norm of all the Dense kernels together."""
    squares = [np.sum(np.square(np.asarray(layer.kernel))) for layer in model.layers if hasattr(layer, "kernel")]
    return float(np.sqrt(np.sum(squares)))


def l2_factors(model: Any) -> list[tuple[str, float | None]]:
    """(layer name, L2 factor of its kernel regularizer or None) for each Dense layer.

    ``L2(f)``, ``L1L2(l1=0, l2=f)`` and the string ``"l2"`` (``L2(0.01)``)
    all count; a regularizer with an L1 part gives ``float('nan')``.
    """
    factors = []
    for layer in model.layers:
        if type(layer).__name__ != "Dense":
            continue
        regularizer = layer.kernel_regularizer
        if regularizer is None:
            factors.append((layer.name, None))
            continue
        config = regularizer.get_config()
        factor = float(config.get("l2", 0.0)) if not config.get("l1") else float("nan")
        factors.append((layer.name, factor))
    return factors


def expect_l2(model: Any, factor: float, *, hidden: int) -> None:
    """The first ``hidden`` Dense layers carry an L2 kernel regularizer of
    ``factor``; the output layer carries none."""
    factors = l2_factors(model)
    for position, (name, have) in enumerate(factors, start=1):
        is_output = position == len(factors)
        if is_output:
            assert have is None, (
                f"The output layer '{name}' carries an L2 regularizer; put it on the hidden Dense layers only.")
            continue
        assert have is not None, (
            f"Dense layer {position} ('{name}') has no weight regularizer: pass "
            f"kernel_regularizer=keras.regularizers.l2({factor}) to each hidden Dense layer.")
        assert np.isclose(have, factor, rtol=1e-6, atol=0), (
            f"Dense layer {position} ('{name}') has an L2 factor of {have:g}; this exercise asks for {factor} "
            "(note that the string 'l2' means 0.01)." if np.isfinite(have) else
            f"Dense layer {position} ('{name}') has an L1 penalty; this exercise asks for L2 only.")
    assert len(factors) == hidden + 1, (
        f"Your model has {len(factors)} Dense layers; this exercise asks for {hidden} hidden ones and the output.")


def expect_no_l2(model: Any, what: str) -> None:
    regularized = [name for name, factor in l2_factors(model) if factor is not None]
    assert not regularized, f"{what} should have no weight regularizer, but '{regularized[0]}' has one."


def dropout_rates(model: Any) -> list[float]:
    return [layer["rate"] for layer in layers_of(model) if layer["kind"] == "Dropout"]
