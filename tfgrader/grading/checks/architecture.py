"""Checks on a model's layers (its compile settings: :mod:`.compiling`)."""

from __future__ import annotations

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
    """The model's layers as plain dicts, with a separate Activation, Softmax
    or plain ReLU layer folded into the Dense layer before it (every spelling
    is fine)."""
    summary: list[dict] = []
    for layer in model.layers:
        kind = type(layer).__name__
        config = layer.get_config()
        if kind == "InputLayer":
            continue
        activation = {"Softmax": "softmax", "ReLU": "relu" if _plain_relu(config) else None}.get(
            kind, config.get("activation"))
        if (kind in ("Activation", "Softmax") or activation == "relu" and kind == "ReLU") and summary \
                and summary[-1]["activation"] == "linear":
            summary[-1]["activation"] = activation
            continue
        summary.append({"kind": kind, "units": config.get("units"), "activation": activation,
                        "rate": config.get("rate"), "name": layer.name})
    return summary


def _plain_relu(config: dict) -> bool:
    """A ReLU layer that is max(x, 0): no cap, no slope, no threshold."""
    return (config.get("max_value") is None and not config.get("negative_slope")
            and not config.get("threshold"))


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
