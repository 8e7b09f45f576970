"""Choosing the wrong samples a quick test run grades: a covering set, packed
into submissions that carry several samples' faults."""

import pytest

from tfgrader.instructor.authoring.samples import carried, combined, covering, Sample, WHOLE_CELL


def wrong(name, cell, *loses):
    return Sample(name, f"{name} is wrong", ((cell, "right", "wrong"),), frozenset(loses))


def test_covering_fails_every_check_with_few_samples():
    found = [wrong("a", "c1", "x"), wrong("b", "c2", "x", "y"), wrong("c", "c3", "z"), wrong("d", "c4", "y")]
    assert [s.name for s in covering(found, {"x", "y", "z"})] == ["b", "c"]


def test_combined_packs_apart_samples_in_order_and_adds_up_their_losses():
    found = [wrong("a", "c1", "x"), wrong("b", "c2", "y"), wrong("c", "c1", "z"), wrong("d", "c3", "x"),
             wrong("e", "c4", "w")]
    packed = combined(found, most=3)
    assert [s.name for s in packed] == ["a__b__e", "c__d"]
    first = packed[0]
    assert first.loses == {"x", "y", "w"}
    assert first.edits == (("c1", "right", "wrong"), ("c2", "right", "wrong"), ("c4", "right", "wrong"))
    assert first.about == "a is wrong; b is wrong; e is wrong"
    assert [carried(s.name) for s in packed] == [["a", "b", "e"], ["c", "d"]]
    assert combined(found, most=3) == packed  # the same submissions on every run


@pytest.mark.parametrize(("one", "other"), [
    (wrong("a", "c1", "x"), wrong("b", "c1", "y")),  # the same cell
    (wrong("a", "c1", "x"), wrong("b", "c2", "x")),  # the same check
    (wrong("a", "c1", "x"), Sample("ok", "an accepted variant", (("c2", WHOLE_CELL, "pass"),))),
    (wrong("a", "c1", "x"), Sample("b", "hidden by a", (("c2", "right", "wrong"),), frozenset("y"), frozenset("a"))),
    (Sample("a", "hides b", (("c1", "right", "wrong"),), frozenset("x"), frozenset("b")), wrong("b", "c2", "y")),
])
def test_samples_that_could_hide_each_other_stay_apart(one, other):
    assert [s.name for s in combined([one, other])] == [one.name, other.name]


def test_one_sample_alone_is_itself():
    alone = wrong("a", "c1", "x")
    assert combined([alone]) == [alone]
    assert carried(alone.name) == ["a"]
