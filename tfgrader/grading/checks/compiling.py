"""Compile settings judged by meaning: the one normaliser of losses,
optimizers, learning rates and metrics.

Keras accepts each setting in many spellings: ``loss="mae"``, ``"MAE"``,
``"mean_absolute_error"``, ``"MeanAbsoluteError"``,
``keras.losses.MeanAbsoluteError()`` and ``tf.keras.losses.mae`` are one
loss; ``"adam"``, ``"Adam"``, ``keras.optimizers.Adam()`` and
``tf.optimizers.Adam(0.001)`` one optimizer; ``"acc"``, ``"accuracy"`` and
``keras.metrics.SparseCategoricalAccuracy()`` one metric. :func:`settings`
turns a compiled model (as it loads from its ``.keras`` file) into canonical
names, so that every grader compares meanings, never spellings.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from tfgrader.grading.checks.architecture import output_activation

# Losses whose from_logits must match the output layer.
CROSSENTROPY = frozenset({"sparse_categorical_crossentropy", "categorical_crossentropy", "binary_crossentropy"})
# Every name Keras accepts for an accuracy metric (it resolves "accuracy" and
# "acc" to the kind that fits the labels and the output).
ACCURACY = frozenset({"accuracy", "acc", "sparse_categorical_accuracy", "categorical_accuracy", "binary_accuracy"})


@dataclass(frozen=True)
class CompileSettings:
    """A compiled model's settings in canonical form.

    Attributes:
        loss: the loss's snake_case name, e.g. ``"mean_absolute_error"``.
        from_logits: whether the loss reads logits.
        optimizer: the optimizer's class name in lower case, e.g. ``"adam"``.
        learning_rate: its learning rate, or None for a schedule.
        metrics: the snake_case names of its metrics.
    """

    loss: str
    from_logits: bool
    optimizer: str
    learning_rate: float | None
    metrics: frozenset[str]

    def reports(self, metric: str) -> bool:
        """Whether training reports ``metric`` (every spelling of accuracy counts as accuracy)."""
        return bool(self.metrics & ACCURACY) if metric == "accuracy" else metric in self.metrics


def require_compiled(model: Any, what: str = "Your function") -> None:
    """The one "was it compiled" guard of every check.

    Raises:
        StudentError: naming ``what`` returned the model (e.g. "`build_model()`").
    """
    from tfgrader.grading.submission import StudentError

    if not getattr(model, "compiled", False) or not model.get_compile_config():
        raise StudentError(f"{what} returns a model that was never compiled: call model.compile(...) "
                           "inside it before returning the model, so that it can be trained.")


def settings(model: Any) -> CompileSettings:
    """The canonical compile settings of a compiled model."""
    loss, from_logits = loss_settings(model)
    return CompileSettings(loss=loss, from_logits=from_logits, optimizer=type(model.optimizer).__name__.lower(),
                           learning_rate=_learning_rate(model.optimizer), metrics=frozenset(metric_names(model)))


def loss_settings(model: Any) -> tuple[str, bool]:
    """(the loss's canonical snake_case name, from_logits) of a compiled model."""
    import keras

    loss = model.loss
    if isinstance(loss, str):
        try:  # "mae", "MAE" and "MeanAbsoluteError" all resolve to mean_absolute_error
            loss = keras.losses.get(loss)
        except (ValueError, TypeError):
            return _snake(loss), False
    if isinstance(loss, type):
        loss = loss()
    config = loss.get_config() if hasattr(loss, "get_config") else {}
    function = getattr(loss, "fn", None)  # LossFunctionWrapper: name it by its function, not its name=
    if isinstance(loss, keras.losses.Loss) and type(loss).__name__ != "LossFunctionWrapper":
        name = type(loss).__name__
    else:
        name = getattr(function, "__name__", None) or getattr(loss, "__name__", None) or type(loss).__name__
    return _snake(name), bool(config.get("from_logits", False))


def metric_names(model: Any) -> set[str]:
    """The snake_case names of the metrics a model was compiled with, however
    they were given: strings, metric classes or instances, or functions."""
    names = set()

    def visit(node: Any) -> None:
        if isinstance(node, str):
            names.add(_snake(node) if not node.islower() else node)
        elif isinstance(node, dict) and "class_name" in node:
            config = node.get("config")
            names.add(_snake(node["class_name"]) if node["class_name"] != "function" else str(config))
            if isinstance(config, dict) and isinstance(config.get("name"), str):
                names.add(config["name"])
        elif isinstance(node, (list, tuple)):
            for item in node:
                visit(item)
        elif isinstance(node, dict):
            for item in node.values():
                visit(item)

    visit(model.get_compile_config().get("metrics"))
    return names


def expect_compiled(model: Any, *, loss: str, optimizer: str | None = None, learning_rate: float | None = None,
                    metric: str | None = None, source: str | None = None) -> None:
    """The model is compiled with ``loss``, and, when given, ``optimizer`` (at
    ``learning_rate``) and a metric that reports ``metric``.

    A cross-entropy loss must also read what the output layer gives:
    ``from_logits=True`` for logits (no activation), not for softmax or
    sigmoid outputs. ``source`` names the function that built the model in
    messages, e.g. "`build_dnn_model(normalizer)`".
    """
    require_compiled(model, f"`{source}`" if source else "Your function")
    subject = f"The model from `{source}`" if source else "Your model"
    have = settings(model)
    if optimizer is not None:
        assert have.optimizer == optimizer, (
            f"{subject} uses the {have.optimizer} optimizer; this exercise asks for '{optimizer}'.")
    if learning_rate is not None:
        assert have.learning_rate is not None and math.isclose(have.learning_rate, learning_rate, rel_tol=1e-5), (
            f"{subject} uses learning rate {_rate(have.learning_rate)}; this exercise asks for {learning_rate:g}.")
    assert have.loss == _canonical_loss(loss), (
        f"{subject} is compiled with the loss {have.loss}; this exercise asks for loss='{loss}'.")
    if have.loss in CROSSENTROPY:
        activation = output_activation(model)
        if activation == "linear":
            assert have.from_logits, (
                f"{subject}'s output layer gives logits (no activation), so the loss needs from_logits=True.")
        elif activation in ("softmax", "sigmoid"):
            assert not have.from_logits, (
                f"{subject}'s output layer applies {activation}, so the loss must not use from_logits=True.")
    if metric is not None:
        assert have.reports(metric), f"Compile your model with metrics=['{metric}'] so that training reports it."


def _canonical_loss(name: str) -> str:
    import keras

    try:
        return _snake(keras.losses.get(name).__name__)
    except (ValueError, TypeError, AttributeError):
        return _snake(name)


def same_learning_rate(submission: Any, builder: str) -> float | None:
    """The learning rate of the model ``builder`` returns, for a check that
    another model must match it; None when that model has none to match (not
    compiled, a schedule, or not built): its own check says so."""
    try:
        model = submission.model(builder)
        return _learning_rate(model.optimizer) if getattr(model, "compiled", False) else None
    except Exception:  # noqa: BLE001 - whatever is wrong with it is the other check's to say
        return None


def _learning_rate(optimizer: Any) -> float | None:
    rate = optimizer.get_config().get("learning_rate")  # a schedule's is its config, a dict
    return float(np.asarray(rate)) if isinstance(rate, (int, float, np.number)) else None


def _rate(value: float | None) -> str:
    return "from a schedule" if value is None else f"{value:g}"


def _snake(name: str) -> str:
    if name.isupper():  # MAE, MSE: Keras's upper-case aliases
        return name.lower()
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()
