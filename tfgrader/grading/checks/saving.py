"""Checks on files a notebook saved: weights checkpoints and whole ``.keras`` models.

Every file is read from the grader's own copy (see the ``file`` and
``directory`` export kinds); a file that cannot be read raises
:class:`~tfgrader.grading.submission.StudentError` naming the file and the cause.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from tfgrader.grading.checks.training import fresh_copy
from tfgrader.grading.submission import StudentError, load_model, root_cause

WEIGHTS_SUFFIX = ".weights.h5"
EPOCH_FILE = re.compile(r"^cp-(\d+)\.weights\.h5$")


def expect_suffix(shown: str, suffix: str, how: str) -> None:
    assert shown.endswith(suffix), f"'{shown}' should end in {suffix}: {how}."


def expect_weights_file(path: Path, shown: str) -> None:
    """``path`` is a readable Keras 3 weights file, not a whole model saved under a weights name."""
    import h5py

    try:
        with h5py.File(path, "r") as h5:
            whole_model = "model_config" in h5.attrs or "model_weights" in h5
    except Exception as exc:  # noqa: BLE001 - a damaged file is the student's to fix
        raise StudentError(f"'{shown}' is not a readable weights file ({root_cause(exc)}); "
                           "run the cell that writes it again.") from None
    assert not whole_model, (
        f"'{shown}' holds a whole model (architecture, weights and optimizer), not just the weights. "
        "Give ModelCheckpoint save_weights_only=True.")


def restore(architecture: Any, path: Path, shown: str) -> Any:
    """A seeded copy of ``architecture`` with the weights from ``path`` loaded."""
    expect_weights_file(path, shown)
    model = fresh_copy(architecture)
    try:
        with warnings.catch_warnings():
            # A weights checkpoint also holds the optimizer's variables; an
            # untrained copy has none yet, and Keras says it skips them.
            warnings.filterwarnings("ignore", message="Skipping variable loading for optimizer")
            model.load_weights(path)
    except Exception as exc:  # noqa: BLE001
        raise StudentError(f"The weights in '{shown}' do not load into a model from create_model() "
                           f"({root_cause(exc)}). Save them from a model built by create_model().") from None
    return model


def load_saved_model(path: Path, shown: str) -> Any:
    """The whole model saved at ``shown`` (the grader's copy at ``path``)."""
    expect_suffix(shown, ".keras", "save the whole model with model.save('....keras')")
    return load_model(path, shown)


def same_predictions(a: Any, b: Any, x: np.ndarray, tolerance: float = 1e-5) -> bool:
    """Whether two models give the same outputs on ``x``, to ``tolerance``."""
    first, second = np.asarray(a.predict(x, verbose=0)), np.asarray(b.predict(x, verbose=0))
    return first.shape == second.shape and bool(np.allclose(first, second, rtol=0, atol=tolerance))


def epochs_saved(names: list[str]) -> dict[int, str]:
    """Epoch -> file name, for the ``cp-<epoch>.weights.h5`` files among ``names``."""
    return {int(match.group(1)): name for name in names if (match := EPOCH_FILE.match(name))}


def expected_epoch_files(epochs: int, every: int) -> list[str]:
    return [f"cp-{epoch:04d}{WEIGHTS_SUFFIX}" for epoch in range(every, epochs + 1, every)]


def optimizer_steps(model: Any, shown: str) -> int:
    optimizer = getattr(model, "optimizer", None)
    assert optimizer is not None and getattr(model, "compiled", False), (
        f"The model in '{shown}' has no optimizer: save the compiled, trained model.")
    return int(optimizer.iterations.numpy())


def loss_after_one_step(model: Any, x: np.ndarray, y: np.ndarray) -> float:
    """Apply one optimizer step on (x, y) and return the loss after it.

    Dropout is off (``training=False``), so the step depends only on the
    weights and the optimizer's state, never on random masks.
    """
    import tensorflow as tf

    x = tf.constant(x, dtype="float32")
    with tf.GradientTape() as tape:
        loss = model.compute_loss(x=x, y=y, y_pred=model(x, training=False))
    grads = tape.gradient(loss, model.trainable_variables)
    model.optimizer.apply(grads, model.trainable_variables)
    return float(model.compute_loss(x=x, y=y, y_pred=model(x, training=False)))
