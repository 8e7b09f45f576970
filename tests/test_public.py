"""Do the public checks ship what students need, and nothing of the hidden grader?"""

import ast
import textwrap

import pytest
from conftest import COURSE

from tfgrader.instructor.authoring import public
from tfgrader.instructor.course import ASSIGNMENTS, CourseLayout
from tfgrader.wire.declarations import constant, declared_checks, public_checks, requested

GRADER = textwrap.dedent('''\
    """Grader docstring: SECRET_NOTES on how the thresholds were chosen."""

    import numpy as np
    import pytest
    from tfgrader.grading.plugin import check
    from somewhere import used_helper, hidden_helper

    EXPORTS = {"model": "value", "history": "value", "secret_calls": {"kind": "calls", "args": [[1, 2]]},
               "public_calls": {"kind": "calls", "args": [[3]]}}
    WIDTH = 16
    SECRET_THRESHOLD = 0.97


    def layers(width):
        return [width] * 2


    @pytest.fixture
    def data():
        return np.arange(WIDTH)


    @check(points=3, public=True)
    def test_architecture(submission, data):
        assert submission.value("model") == layers(WIDTH) and used_helper(data)
        assert submission.calls("public_calls")


    @check(points=2)
    def test_training(submission):
        assert submission.value("history")[-1] > SECRET_THRESHOLD and hidden_helper()
        assert submission.calls("secret_calls")
    ''')


@pytest.fixture
def course(tmp_path):
    (tmp_path / "graders").mkdir()
    (tmp_path / "source" / "toy").mkdir(parents=True)
    (tmp_path / "graders" / "test_toy.py").write_text(GRADER)
    return tmp_path


def test_public_module_keeps_exactly_what_public_checks_use(course):
    """Are the public check, its helper, fixture, constant and imports kept, and the hidden check's not?"""
    text = public.public_module(course, "toy")
    tree = ast.parse(text)
    defined = {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}
    assert defined == {"layers", "data", "test_architecture"}
    for secret in ("test_training", "SECRET_THRESHOLD", "0.97", "hidden_helper", "SECRET_NOTES", "secret_calls"):
        assert secret not in text
    assert "from somewhere import used_helper\n" in text
    module = course / "source" / "toy" / "public_checks.py"
    module.write_text(text)
    assert requested(module) == {"model": "value", "history": "value",
                                 "public_calls": {"kind": "calls", "args": [[3]]}}
    assert constant(module, "CHECKS") == {"architecture": {"points": 3, "public": True},
                                          "training": {"points": 2, "public": False}}
    assert declared_checks(module) == {"architecture": 3} and public_checks(module) == {"architecture"}


def test_no_public_check_writes_no_module(course):
    """Does an assignment without public checks ship no public_checks.py (and lose a stale one)?"""
    grader = course / "graders" / "test_toy.py"
    grader.write_text(GRADER.replace(", public=True", ""))
    target = public.path(course, "toy")
    target.write_text("stale")
    assert public.write(course, "toy") is None and not target.exists()


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_ships_public_checks_and_no_hidden_code(assignment):
    """Does release/ hold the public checks, and none of the hidden checks' code, helpers or notes?"""
    module = CourseLayout(COURSE).grader(assignment)
    shipped = (COURSE / "release" / assignment / public.FILENAME).read_text()
    grader = ast.parse(module.read_text())
    hidden = set(declared_checks(module)) - public_checks(module)
    assert public_checks(module) and hidden, "each assignment has public checks and hidden ones"
    assert set(constant(COURSE / "release" / assignment / public.FILENAME, "CHECKS")) == set(declared_checks(module))
    kept = {node.name for node in ast.parse(shipped).body if isinstance(node, ast.FunctionDef)}
    assert kept >= {f"test_{name}" for name in public_checks(module)}
    hidden_code = [node for node in grader.body if isinstance(node, ast.FunctionDef) and node.name not in kept]
    assert {f"test_{name}" for name in hidden} <= {node.name for node in hidden_code}
    for node in hidden_code:
        body = ast.get_source_segment(module.read_text(), node)
        assert f"def {node.name}(" not in shipped and body not in shipped
    assert ast.get_docstring(grader) not in shipped
