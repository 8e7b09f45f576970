"""Tests for tfgrader.grading.checks.frames, on small synthetic tables.

No TensorFlow and no datasets: a fake submission hands out pandas objects by
name, as :meth:`Submission.frame` does. Each check gets a right table that
passes and wrong ones that fail with the student's message.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from tfgrader.grading.checks.frames import (
    column_statistics, dataframe, expect_sample_split, features_and_labels, same, same_statistics, source_rows)
from tfgrader.grading.submission import StudentError

SPLIT = dict(frac=0.8, random_state=0, label="y")


class FakeSubmission:
    """Hands out the given frames by name, like Submission.frame."""

    def __init__(self, **frames):
        self.frames = frames

    def frame(self, name):
        if name not in self.frames:
            raise StudentError(f"`{name}` was not handed to the grader.")
        return self.frames[name].copy()


@pytest.fixture
def table():
    """Ten rows of two features and a label, one feature missing in row 3."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"y": rng.normal(20, 5, 10), "a": rng.normal(size=10), "b": rng.integers(0, 9, 10)})
    frame.loc[3, "a"] = np.nan
    return frame


def split_as_asked(dataset, random_state=0):
    """The frames of a notebook that split ``dataset`` as the lesson asks."""
    train = dataset.sample(frac=0.8, random_state=random_state)
    test = dataset.drop(train.index)
    frames = {"dataset": dataset, "train_dataset": train, "test_dataset": test}
    for part, rows in (("train", train), ("test", test)):
        features = rows.copy()
        frames[f"{part}_labels"] = features.pop("y")
        frames[f"{part}_features"] = features
    return frames


def expect_split_fails(frames, message):
    with pytest.raises(AssertionError, match=re.escape(message)):
        expect_sample_split(FakeSubmission(**frames), **SPLIT)


# --- dataframe, same, source_rows ---------------------------------------------

def test_dataframe_refuses_a_series(table):
    """Is a Series where a DataFrame is asked for refused, naming it?"""
    submission = FakeSubmission(dataset=table, labels=table["y"])
    assert same(dataframe(submission, "dataset"), table)
    with pytest.raises(StudentError, match="`labels` should be a pandas DataFrame, but it is a Series."):
        dataframe(submission, "labels")


def test_same_compares_index_columns_and_values(table):
    """Are equal tables the same (NaN included, ints as floats), and any change in order, columns or values not?"""
    assert same(table, table.copy())
    assert same(table.astype({"b": "float64"}), table)
    assert same(table["y"], table["y"].copy())
    assert not same(table, table.iloc[::-1])
    assert not same(table, table[["a", "b", "y"]])
    assert not same(table, table.assign(b=table["b"] + 1))
    assert not same(table, table.iloc[:-1])


def test_same_compares_text_too():
    """Are tables of text compared by their values?"""
    words = pd.DataFrame({"w": ["x", "y"]})
    assert same(words, words.copy())
    assert not same(words, pd.DataFrame({"w": ["x", "z"]}))


def test_source_rows_by_label_then_by_position(table):
    """Are rows matched by their labels, else by position among the complete rows or all rows?"""
    kept = table.dropna().iloc[::2]
    assert [same(rows, kept) for rows in source_rows(kept, table)] == [True]
    renumbered = table.dropna().set_axis(range(100, 109))
    candidates = list(source_rows(renumbered, table))
    assert len(candidates) == 1 and same(candidates[0].set_axis(renumbered.index), renumbered)
    assert [len(rows) for rows in source_rows(table.set_axis(range(100, 110)), table)] == [10]
    assert list(source_rows(table.iloc[:4].set_axis(range(100, 104)), table)) == []


# --- features_and_labels --------------------------------------------------------

def test_features_and_labels_as_arrays(table):
    """Are features float32 and labels flat, with only the column asked for?"""
    frames = split_as_asked(table.fillna(0))
    x, y = features_and_labels(FakeSubmission(**frames), "train")
    assert x.dtype == np.float32 and x.shape == (8, 2) and y.shape == (8,)
    x, _ = features_and_labels(FakeSubmission(**frames), "test", "a")
    assert x.shape == (2, 1)


def test_features_and_labels_name_the_problem(table):
    """Do a missing column and a column of text fail with the student's message?"""
    frames = split_as_asked(table)
    with pytest.raises(StudentError, match="`train_features` has no c column."):
        features_and_labels(FakeSubmission(**frames), "train", "c")
    frames["train_features"] = frames["train_features"].assign(a="text")
    with pytest.raises(StudentError, match="`train_features` and `train_labels` should hold numbers only."):
        features_and_labels(FakeSubmission(**frames), "train")


# --- expect_sample_split ----------------------------------------------------------

def test_split_as_asked_passes(table):
    """Does a split made as the lesson asks pass, labels as a Series or as one column?"""
    expect_sample_split(FakeSubmission(**split_as_asked(table)), **SPLIT)
    frames = split_as_asked(table)
    frames["test_labels"] = frames["test_labels"].to_frame()
    expect_sample_split(FakeSubmission(**frames), **SPLIT)


def test_split_other_rows_fail(table):
    """Do other training rows, or too few, fail with the call to use?"""
    expect_split_fails(split_as_asked(table, random_state=1),
                       "`train_dataset` is not dataset.sample(frac=0.8, random_state=0); use exactly that call")
    frames = split_as_asked(table)
    frames["train_dataset"] = frames["train_dataset"].iloc[:5]
    expect_split_fails(frames, "`train_dataset` has 5 rows; dataset.sample(frac=0.8, random_state=0) gives 8.")


def test_split_test_rows_fail(table):
    """Do test rows that overlap the training rows, or miss some, fail?"""
    frames = split_as_asked(table)
    frames["test_dataset"] = table.iloc[:2]
    expect_split_fails(frames, "`test_dataset` shares rows with `train_dataset`")
    frames["test_dataset"] = split_as_asked(table)["test_dataset"].iloc[:1]
    expect_split_fails(frames, "`test_dataset` has 1 rows; it should hold the 2 rows of `dataset`")


def test_split_features_and_labels_fail(table):
    """Do features that keep the label, lose their order, or labels of other rows fail?"""
    frames = split_as_asked(table)
    frames["train_features"] = frames["train_dataset"]
    expect_split_fails(frames, "`train_features` still has the y column: the model would see the answer. "
                               "Take it out with train_labels = train_features.pop('y').")
    frames = split_as_asked(table)
    frames["test_features"] = frames["test_features"].iloc[::-1]
    expect_split_fails(frames, "`test_features` should be `test_dataset` without its y column")
    frames = split_as_asked(table)
    frames["train_labels"] = frames["train_labels"] + 1
    expect_split_fails(frames, "`train_labels` should be the y column of `train_dataset`, row for row.")


# --- column statistics --------------------------------------------------------------

def test_statistics_of_the_training_rows_only(table):
    """Do statistics match those of the same rows, and not those of all rows or of another width?"""
    x = table.fillna(0)[["a", "b"]].to_numpy("float64")
    have = column_statistics(x[:8])
    assert have[0].shape == (2,) and np.allclose(have[1], x[:8].var(axis=0))
    assert same_statistics(tuple(s * (1 + 1e-6) for s in have), column_statistics(x[:8]), rtol=1e-4)
    assert not same_statistics(have, column_statistics(x), rtol=1e-4)
    assert not same_statistics(have, column_statistics(x[:8, :1]), rtol=1e-4)
