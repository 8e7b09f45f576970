"""Small plots that a check hands to the student's feedback.

Where looking beats reading, a check draws what the grader measured: its own
retraining against the threshold, predictions against the truth, a
regularized run against its unregularized twin. :func:`attach` keeps the
figure as a PNG for the check that is running (the plugin knows which); the
results carry it as base64 and :mod:`tfgrader.instructor.preprocessors.verdict` shows
it under the check's verdict. A figure never decides anything, and drawing
one never fails a check.
"""

from __future__ import annotations

import base64
import io
from typing import Any

WIDTH_IN, HEIGHT_IN, DPI = 4.8, 2.8, 80
_figures: dict[str, str] = {}  # check name -> PNG, base64
current: str | None = None  # the check running now (set by the plugin)


def attach(draw) -> None:
    """Draw with ``draw(ax)`` on a small figure and keep it for the running check."""
    if current is None:
        return
    try:
        import matplotlib

        matplotlib.use("Agg")
        from matplotlib.figure import Figure

        figure = Figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI, layout="constrained")
        draw(figure.add_subplot())
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", metadata={"Software": None})
        _figures[current] = base64.b64encode(buffer.getvalue()).decode("ascii")
    except Exception:  # noqa: BLE001 - a figure is a courtesy; the verdict stands without it
        pass


def taken(name: str) -> str | None:
    """The figure kept for check ``name``, if any."""
    return _figures.get(name)


def learning(history: dict[str, list[float]], measured: float, threshold: float, *, what: str = "accuracy") -> None:
    """The grader's retraining: training ``what`` per epoch, the test result and the threshold."""
    values = history.get(what) or history.get("acc") or []

    def draw(ax: Any) -> None:
        epochs = range(1, len(values) + 1)
        ax.plot(epochs, values, marker="o", label=f"training {what}")
        ax.plot([len(values)], [measured], marker="*", markersize=12, linestyle="none",
                color="tab:green" if measured >= threshold else "tab:red", label=f"test {what}: {measured:.1%}")
        ax.axhline(threshold, color="grey", linestyle="--", label=f"needed: {threshold:.0%}")
        ax.set(xlabel="epoch of the grader's retraining", ylabel=what, title="Your architecture, retrained")
        ax.legend(fontsize="small", loc="lower right")

    attach(draw)


def predicted_vs_true(truth: Any, predicted: Any, *, unit: str, title: str) -> None:
    """Each test example's prediction against its true value, with the diagonal."""
    import numpy as np

    truth, predicted = np.asarray(truth, dtype=float).ravel(), np.asarray(predicted, dtype=float).ravel()

    def draw(ax: Any) -> None:
        ax.scatter(truth, predicted, s=8, alpha=0.7)
        low, high = float(min(truth.min(), predicted.min())), float(max(truth.max(), predicted.max()))
        ax.plot([low, high], [low, high], color="grey", linestyle="--", label="perfect")
        ax.set(xlabel=f"true {unit}", ylabel=f"predicted {unit}", title=title)
        ax.legend(fontsize="small", loc="upper left")

    attach(draw)


def twins(plain: Any, regularized: Any, *, what: str) -> None:
    """Training and validation cross-entropy of a regularized run and of its unregularized twin."""
    def draw(ax: Any) -> None:
        for curves, label, colour in ((plain, "without", "tab:blue"), (regularized, f"with {what}", "tab:orange")):
            epochs = range(1, len(curves.val) + 1)
            ax.plot(epochs, curves.val, color=colour, label=f"{label}: validation")
            ax.plot(epochs, curves.train, color=colour, linestyle=":", label=f"{label}: training")
        ax.set(xlabel="epoch of the grader's training", ylabel="cross-entropy",
               title=f"The same model with and without {what}")
        ax.legend(fontsize="x-small", loc="upper left")

    attach(draw)
