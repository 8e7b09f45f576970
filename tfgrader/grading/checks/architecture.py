"""Checks on a model's layers and compile settings."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

# Output layers may give probabilities or logits (then the loss needs from_logits=True).
PROBS_OR_LOGITS = "softmax or none"
SIGMOID_OR_LOGITS = "sigmoid or none"
_OUTPUT_CHOICES = {PROBS_OR_LOGITS: ("softmax", "linear"), SIGMOID_OR_LOGITS: ("sigmoid", "linear")}


@dataclass(frozen=True)
class Layer:
    """One expected layer. ``units`` may be an int or an inclusive ``(low, high)`` range."""

    kind: str
    units: int | tuple[int, int] | None = None
    activation: str | None = None
    rate: float | None = None


def layers_of(model: Any) -> list[dict]:
    """The model's layers as plain dicts, with a separate Activation/Softmax
    layer folded into the Dense layer before it (both spellings are fine)."""
    summary: list[dict] = []
    for layer in model.layers:
        kind = type(layer).__name__
        config = layer.get_config()
        if kind == "InputLayer":
            continue
        activation = "softmax" if kind == "Softmax" else config.get("activation")
        if kind in ("Activation", "Softmax") and summary and summary[-1]["activation"] == "linear":
            summary[-1]["activation"] = activation
            continue
        summary.append({"kind": kind, "units": config.get("units"), "activation": activation,
                        "rate": config.get("rate"), "name": layer.name})
    return summary


def expect_layers(model: Any, expected: list[Layer]) -> None:
    """Compare the model's layers with ``expected``, naming the first difference."""
    actual = layers_of(model)
    kinds = [layer["kind"] for layer in actual]
    want = [layer.kind for layer in expected]
    assert kinds == want, (
        f"Your model's layers are {', '.join(kinds) or 'none'}; this exercise asks for "
        f"{', '.join(want)}, in that order."
    )
    for position, (have, spec) in enumerate(zip(actual, expected), start=1):
        _expect_layer(position, have, spec)


def _expect_layer(position: int, have: dict, spec: Layer) -> None:
    where = f"Layer {position} ({have['kind']} '{have['name']}')"
    if isinstance(spec.units, tuple):
        low, high = spec.units
        assert low <= have["units"] <= high, (
            f"{where} has {have['units']} units; use between {low} and {high} (the lesson uses {high // 2})."
        )
    elif spec.units is not None:
        assert have["units"] == spec.units, f"{where} has {have['units']} units; this exercise asks for {spec.units}."
    if spec.activation in _OUTPUT_CHOICES:
        allowed = _OUTPUT_CHOICES[spec.activation]
        assert have["activation"] in allowed, (
            f"{where} uses the '{have['activation']}' activation. The output layer must give "
            f"'{allowed[0]}' outputs, or logits (no activation) with from_logits=True in the loss."
        )
    elif spec.activation is not None:
        assert have["activation"] == spec.activation, (
            f"{where} uses the '{have['activation']}' activation; this exercise asks for '{spec.activation}'."
        )
    if spec.rate is not None:
        assert abs(have["rate"] - spec.rate) < 1e-9, f"{where} has rate {have['rate']}; this exercise asks for {spec.rate}."


def expect_input_shape(model: Any, shape: tuple[int, ...]) -> None:
    try:
        actual = tuple(model.input_shape[1:])
    except (AttributeError, ValueError):
        actual = None
    assert actual == shape, (
        f"Your model's input shape is {actual}; it should take inputs of shape {shape}. "
        f"Start it with keras.Input(shape={shape})."
    )


def output_activation(model: Any) -> str:
    return layers_of(model)[-1]["activation"]


def loss_settings(model: Any) -> tuple[str, bool]:
    """(loss name in snake_case, from_logits) of a compiled model."""
    loss = model.loss
    if isinstance(loss, str):
        return _snake(loss), False
    config = loss.get_config() if hasattr(loss, "get_config") else {}
    name = config.get("name") or getattr(loss, "__name__", type(loss).__name__)
    return _snake(name), bool(config.get("from_logits", False))


def require_compiled(model: Any, what: str = "Your function") -> None:
    """The one "was it compiled" guard of every check.

    Raises:
        StudentError: naming ``what`` returned the model (e.g. "`build_model()`").
    """
    from tfgrader.grading.submission import StudentError

    if not getattr(model, "compiled", False) or not model.get_compile_config():
        raise StudentError(f"{what} returns a model that was never compiled: call model.compile(...) "
                           "inside it before returning the model, so that it can be trained.")


def expect_compiled(model: Any, *, loss: str, optimizer: str, metric: str) -> None:
    """The model is compiled with ``optimizer``, ``loss`` (with from_logits
    matching its output layer) and a metric that reports ``metric``."""
    require_compiled(model)
    optimizer_name = type(model.optimizer).__name__.lower()
    assert optimizer_name == optimizer, f"Your model uses the {optimizer_name} optimizer; this exercise asks for '{optimizer}'."
    loss_name, from_logits = loss_settings(model)
    assert loss_name == loss, f"Your model's loss is {loss_name}; this exercise asks for {loss}."
    activation = output_activation(model)
    if activation == "linear":
        assert from_logits, "Your output layer gives logits (no activation), so the loss needs from_logits=True."
    elif activation in ("softmax", "sigmoid"):
        assert not from_logits, f"Your output layer applies {activation}, so the loss must not use from_logits=True."
    assert metric_reported(model, metric), f"Compile your model with metrics=['{metric}'] so that training reports it."


# Every name Keras accepts for an accuracy metric (it resolves "accuracy" and
# "acc" to the kind that fits the labels and the output).
ACCURACY = frozenset({"accuracy", "acc", "sparse_categorical_accuracy", "categorical_accuracy", "binary_accuracy"})


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


def metric_reported(model: Any, metric: str) -> bool:
    """Whether training reports ``metric`` (any spelling of accuracy counts as accuracy)."""
    names = metric_names(model)
    return bool(names & ACCURACY) if metric == "accuracy" else metric in names


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()
