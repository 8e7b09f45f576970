"""Checks on pandas tables a notebook prepared: its DataFrames, their rows, a
train/test split, per-column statistics. Runs in the clean grading process.

The split helpers follow the TensorFlow tutorials' names: ``dataset`` is split
into ``train_dataset`` and ``test_dataset``, and each ``<part>_dataset`` into
``<part>_features`` and ``<part>_labels``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd

from tfgrader.grading.submission import StudentError

PARTS = ("train", "test")


def dataframe(submission: Any, name: str) -> pd.DataFrame:
    """The notebook's DataFrame ``name``.

    Raises:
        StudentError: if ``name`` is a Series.
    """
    value = submission.frame(name)
    if not isinstance(value, pd.DataFrame):
        raise StudentError(f"`{name}` should be a pandas DataFrame, but it is a Series.")
    return value


def same(a: pd.DataFrame | pd.Series, b: pd.DataFrame | pd.Series) -> bool:
    """Whether ``a`` and ``b`` have the same index (in order), columns and
    values, NaN equal to NaN; integers equal to the same floats."""
    if a.shape != b.shape or not a.index.equals(b.index):
        return False
    if isinstance(a, pd.DataFrame) and list(a.columns) != list(b.columns):
        return False
    try:
        return np.array_equal(np.asarray(a, dtype="float64"), np.asarray(b, dtype="float64"), equal_nan=True)
    except (TypeError, ValueError):
        return a.equals(b)


def source_rows(dataset: pd.DataFrame, table: pd.DataFrame) -> Iterator[pd.DataFrame]:
    """The rows of ``table`` that ``dataset``'s rows may come from, one
    candidate at a time: matched by row label, else by position among the
    complete rows or among all rows (when the counts agree)."""
    index = dataset.index
    if index.is_unique and index.isin(table.index).all():
        yield table.loc[index]
    for rows in (table.dropna(), table):
        if len(dataset) == len(rows):
            yield rows


def features_and_labels(submission: Any, part: str, column: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The notebook's ``<part>_features`` (float32; only ``column`` if given)
    and ``<part>_labels`` (flat float64).

    Raises:
        StudentError: if ``column`` is missing or the tables hold anything but numbers.
    """
    features = dataframe(submission, f"{part}_features")
    labels = submission.frame(f"{part}_labels")
    if column is not None:
        if column not in features.columns:
            raise StudentError(f"`{part}_features` has no {column} column.")
        features = features[[column]]
    try:
        return features.to_numpy("float32"), np.asarray(labels, dtype="float64").reshape(-1)
    except (TypeError, ValueError):
        raise StudentError(f"`{part}_features` and `{part}_labels` should hold numbers only.") from None


def expect_sample_split(submission: Any, *, frac: float, random_state: int, label: str) -> None:
    """``train_dataset`` is ``dataset.sample(frac, random_state)``, ``test_dataset``
    the rest, and each part's features and labels are its table without and
    with only the ``label`` column."""
    dataset = dataframe(submission, "dataset")
    train, test = dataframe(submission, "train_dataset"), dataframe(submission, "test_dataset")
    expected = dataset.sample(frac=frac, random_state=random_state)
    call = f"dataset.sample(frac={frac}, random_state={random_state})"
    assert len(train) == len(expected), f"`train_dataset` has {len(train)} rows; {call} gives {len(expected)}."
    assert same(train, expected), (
        f"`train_dataset` is not {call}; use exactly that call on `dataset`, so that your rows are the ones "
        "everybody gets.")
    rest = dataset.drop(expected.index)
    assert not test.index.isin(train.index).any(), (
        "`test_dataset` shares rows with `train_dataset`; the test rows must be the ones left over: "
        "dataset.drop(train_dataset.index).")
    assert len(test) == len(rest) and same(test.sort_index(), rest.sort_index()), (
        f"`test_dataset` has {len(test)} rows; it should hold the {len(rest)} rows of `dataset` that are not in "
        "`train_dataset`: dataset.drop(train_dataset.index).")
    for part, table in zip(PARTS, (train, test)):
        expect_features_and_labels(submission, part, table, label)


def expect_features_and_labels(submission: Any, part: str, table: pd.DataFrame, label: str) -> None:
    """``<part>_features`` is ``table`` without its ``label`` column, and
    ``<part>_labels`` that column (a Series, or a one-column DataFrame)."""
    features = dataframe(submission, f"{part}_features")
    labels = submission.frame(f"{part}_labels")
    assert label not in features.columns, (
        f"`{part}_features` still has the {label} column: the model would see the answer. Take it out with "
        f"{part}_labels = {part}_features.pop('{label}').")
    assert same(features, table.drop(columns=label)), (
        f"`{part}_features` should be `{part}_dataset` without its {label} column, with the same rows in the "
        "same order.")
    labels = labels.iloc[:, 0] if isinstance(labels, pd.DataFrame) and labels.shape[1] == 1 else labels
    assert isinstance(labels, pd.Series) and same(labels, table[label]), (
        f"`{part}_labels` should be the {label} column of `{part}_dataset`, row for row.")


def column_statistics(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The mean and variance of each column of ``x``, as a Normalization layer adapted on ``x`` learns them."""
    return x.mean(axis=0), x.var(axis=0)


def same_statistics(have: tuple[np.ndarray, ...], want: tuple[np.ndarray, ...], rtol: float,
                    atol: float = 1e-7) -> bool:
    """Whether each array of ``have`` has the shape of its match in ``want``
    and lies within ``rtol`` (relative) or ``atol`` of it, NaN equal to NaN."""
    return all(h.shape == w.shape and np.allclose(h, w, rtol=rtol, atol=atol, equal_nan=True)
               for h, w in zip(have, want))
