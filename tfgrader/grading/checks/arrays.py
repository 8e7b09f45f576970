"""Checks on arrays a notebook prepared: scaling, shapes, probabilities."""

from __future__ import annotations

from typing import Any

import numpy as np


def expect_scaled(submission: Any, name: str, expected: np.ndarray) -> None:
    """``name`` holds ``expected`` (the raw pixels / 255) as floats, same shape and order."""
    stats, head = submission.array_head(name)
    assert stats["dtype"].startswith("float"), f"`{name}` holds {stats['dtype']} values; scale it to floats."
    assert tuple(stats["shape"]) == expected.shape, (
        f"`{name}` has shape {tuple(stats['shape'])}; keep the original shape {expected.shape}.")
    assert stats["min"] >= 0 and stats["max"] <= 1, (
        f"`{name}` ranges from {stats['min']:g} to {stats['max']:g}; divide the pixels by 255 so they lie in [0, 1].")
    assert np.allclose(head, expected[: len(head)], atol=1e-6), (
        f"`{name}` does not match the images divided by 255; keep the images in their original order.")


def as_the_student_scaled(submission: Any, name: str, raw: np.ndarray) -> np.ndarray:
    """``raw`` (the real data, unscaled) divided by the constant the student
    divided ``name`` by (255, 127.5, 1: whatever it was), so that a number
    the student measured on their own array can be measured again; ``raw`` /
    255 when ``name`` is not such a copy of it (its own check says so)."""
    stats, head = submission.array_head(name)
    head = np.asarray(head, dtype="float64")
    first = np.asarray(raw[: len(head)], dtype="float64")
    if tuple(stats["shape"]) == raw.shape and head.shape == first.shape and np.any(first > 0):
        factor = float(np.median(first[first > 0] / np.where(head[first > 0] == 0, np.nan, head[first > 0])))
        if np.isfinite(factor) and factor > 0 and np.allclose(head, first / factor, rtol=1e-5, atol=1e-6):
            return raw / factor
    return raw / 255.0


def expect_probabilities(scores: np.ndarray, what: str, rows: int) -> None:
    """``scores`` are ``rows`` rows of probabilities that each sum to 1."""
    assert scores.ndim == 2 and scores.shape[0] == rows, (
        f"{what} should have one row per image ({rows} rows), but its shape is {scores.shape}.")
    assert np.all(scores >= -1e-6) and np.allclose(scores.sum(axis=1), 1.0, atol=1e-3), (
        f"The rows of {what} should be probabilities that sum to 1, but they sum to values like "
        f"{scores.sum(axis=1)[:3].round(3).tolist()}. Add a softmax on top of a model that outputs logits.")
