"""Assignment 05 specifics: what the grader asks the kernel for, and the
messages of the effect checks.

The generic pipeline checks for every assignment (reference, release copy,
each sample, rerun, broken notebook, feedback) are in test_assignments.py;
the regularization checks themselves in test_regularization.py.
"""

import pytest
from conftest import assert_says

from tfgrader.instructor.course import CourseLayout
from tfgrader.wire.declarations import requested

A = "05-overfit_and_underfit"


def test_large_arrays_never_cross_whole(course):
    """Does the grader ask only for a few rows of the (25000, 10000) arrays, never a full 1 GB copy?"""
    exports = requested(CourseLayout(course).grader(A))
    for name in ("train_data", "test_data"):
        assert exports[name]["kind"] == "array_head" and exports[name]["rows"] <= 100
    assert not [name for name, kind in exports.items() if kind in ("array", "value") or kind == {"kind": "array"}]


def test_multi_hot_inputs_cover_the_edge_cases(course):
    """Do the crafted calls include a repeated index, index 0 and an empty sequence?"""
    calls = requested(CourseLayout(course).grader(A))["multi_hot_sequences"]["args"]
    sequences = [seq for batch, _ in calls for seq in batch]
    assert [] in sequences
    assert any(0 in seq for seq in sequences)
    assert any(len(set(seq)) < len(seq) for seq in sequences)


@pytest.mark.slow
def test_effect_messages_give_the_measured_figures(graded):
    """Do the effect checks tell the student what the grader measured and what to change?"""
    outcomes = graded(A).outcomes
    assert_says(outcomes, [
        ("dropout_rate_0", "dropout_effect", "100% of the gap of the same model without dropout"),
        ("dropout_rate_0", "regularizers", "drops with rates [0.0, 0.0]"),
        ("l2_on_output_factor_0", "l2_effect", "weights end 100% as large"),
        ("l2_on_output_factor_0", "regularizers", "has no weight regularizer"),
        ("l2_string", "regularizers", "(note that the string 'l2' means 0.01)"),
        ("bigger_not_bigger", "capacity_effect", "after epoch 6, and the baseline's after epoch 6"),
        ("histories_swapped", "histories", "later than the baseline's"),
        ("counts_not_ones", "multi_hot", "once, however often the index repeats"),
    ])
    assert outcomes["reference"].score == 20
