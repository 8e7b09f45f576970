"""The demo's machinery, on the tiny course: it generates, grades the reference
and the first wrong sample, writes feedback and the class report, prints the
gradebook, and a second run regrades nothing. (`./run demo` runs it on the six
assignments; its wall time is in docs/benchmarks.md.)"""

import re

import pytest
from conftest import TINY

from tfgrader.instructor.authoring import demo
from tfgrader.instructor.course import copy_course, CourseLayout

pytestmark = pytest.mark.slow


def test_demo_grades_reports_and_then_has_nothing_left_to_grade(tmp_path):
    course = copy_course(TINY, tmp_path / "course")
    said = []
    assert demo.run(course, say=said.append, assignments=("tiny",)) == 0
    text = "\n".join(said)
    assert re.search(r"reference\s+tiny\s+3 / 3", text)
    assert re.search(r"wrong_answer\s+tiny\s+1 / 3", text)
    assert "- answer: `answer` is 0; it should be 6 times 7." in text
    assert "graded 2, skipped 0 as unchanged, failed 0" in text
    assert (course / "reports" / "tiny" / "index.html").is_file()
    page = (CourseLayout(course).feedback("wrong_answer", "tiny") / "tiny.html").read_text()
    assert "`answer` is 0" in page
    # the list at the top of the page names each check (nbgrader's own says "Test cell")
    assert '<a href="#check_answer">answer</a>' in page and "Test cell" not in page

    again = []
    assert demo.run(course, say=again.append, assignments=("tiny",)) == 0
    assert "graded 0, skipped 2 as unchanged, failed 0" in "\n".join(again)
