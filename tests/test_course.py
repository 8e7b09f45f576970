"""Is the course consistent: notebooks against graders, release against source?"""

import re

import nbformat
import pytest

from tfgrader.instructor.authoring import public
from tfgrader.instructor.course import copy_course, CourseLayout
from tfgrader.wire.declarations import declared_checks

from conftest import COURSE

COURSE_SOURCES = sorted(p.parent.name for p in (COURSE / "source").glob("*/*.ipynb"))
SOLUTION = re.compile(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", re.DOTALL)


def cells(path):
    return nbformat.read(path, as_version=4).cells


def nbgrader_meta(cell):
    return cell.metadata.get("nbgrader", {})


@pytest.mark.parametrize("assignment", COURSE_SOURCES)
def test_check_cells_match_graders(course, assignment):
    """Does every hidden check cell name a grader check, with the same points, and vice versa?"""
    declared = declared_checks(CourseLayout(course).grader(assignment))
    in_notebook = {}
    for cell in cells(course / "source" / assignment / f"{assignment}.ipynb"):
        meta = nbgrader_meta(cell)
        if meta.get("grade") and cell.cell_type == "code":
            name = meta["grade_id"].removeprefix("check_")
            assert f'tfgrader.check("{assignment}", "{name}")' in cell.source
            in_notebook[name] = meta["points"]
    assert in_notebook == declared


@pytest.mark.parametrize("assignment", COURSE_SOURCES)
def test_release_holds_no_solution(course, assignment):
    """Is every solution line and hidden test absent from release/?"""
    release_dir = course / "release" / assignment
    assert sorted(p.name for p in release_dir.iterdir()) == [f"{assignment}.ipynb", public.FILENAME]
    text = (release_dir / f"{assignment}.ipynb").read_text()
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "HIDDEN TESTS", "tfgrader.check("):
        assert marker not in text
    released = "\n".join(c.source for c in cells(release_dir / f"{assignment}.ipynb"))
    source = "\n".join(c.source for c in cells(course / "source" / assignment / f"{assignment}.ipynb"))
    solution_lines = {line.strip() for block in SOLUTION.findall(source)
                      for line in block.splitlines() if len(line.strip()) > 12}
    assert solution_lines, "the source notebook should have solution regions"
    # A line the instructor also wrote outside any solution (a hint in the
    # prose) is not a leak.
    hints = SOLUTION.sub("", source)
    assert [line for line in solution_lines if line in released and line not in hints] == []


@pytest.mark.parametrize("assignment", COURSE_SOURCES)
def test_release_is_generated_from_source(course, assignment, tmp_path):
    """Is the committed release/ what nbgrader generates from source/ today?"""
    scratch = copy_course(course, tmp_path / "course")
    public.generate(scratch, assignment)

    def comparable(path):
        return [(c.cell_type, c.source, nbgrader_meta(c)) for c in cells(path)]

    name = f"{assignment}/{assignment}.ipynb"
    assert comparable(scratch / "release" / name) == comparable(course / "release" / name), (
        "release/ is out of date: run `tfgrader generate ASSIGNMENT` in the course directory")
    for folder in ("source", "release"):
        checks = f"{folder}/{assignment}/{public.FILENAME}"
        assert (scratch / checks).read_text() == (course / checks).read_text(), (
            f"{checks} is out of date: run `tfgrader generate ASSIGNMENT` in the course directory")


@pytest.mark.parametrize("folder", ["source", "release"])
def test_notebooks_are_committed_without_outputs(course, folder):
    """Are the committed notebooks free of outputs and execution counts?"""
    for path in (course / folder).glob("*/*.ipynb"):
        for cell in cells(path):
            if cell.cell_type == "code":
                assert not cell.outputs and cell.execution_count is None, path


@pytest.mark.parametrize("assignment", COURSE_SOURCES)
def test_grader_exports_are_valid(course, assignment):
    """Does every grader's EXPORTS name only known kinds with known options (checked before any kernel runs)?"""
    from tfgrader import wire
    from tfgrader.wire.declarations import requested

    parsed = wire.parse_exports(requested(CourseLayout(course).grader(assignment)))
    assert parsed and all(spec["kind"] in wire.KINDS for spec in parsed.values())
