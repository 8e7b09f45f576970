"""What a grader module declares, read as text (with :mod:`ast`), never
imported: the objects it asks for (``EXPORTS``), its checks and their points
(``@check(points=N)``, public or not), and the limits of its assignment
(``LIMITS``). So the student's kernel learns what to export without running
grader code, and the trusted side learns what to expect of the grading process.

A check has one name, spelled three ways: ``test_NAME`` (the grader's test
function), ``check_NAME`` (the nbgrader grade id of its cell) and
``tfgrader.check("ASSIGNMENT", "NAME")`` (the cell's code).
"""

from __future__ import annotations

import ast
import re
import threading
from pathlib import Path

TEST_PREFIX = "test_"  # a check's test function in the grader
GRADE_ID_PREFIX = "check_"  # its cell's nbgrader grade id
_CHECK_CALL = re.compile(r"""^\s*tfgrader\.check\(\s*["']([^"']+)["']\s*,\s*["']([^"']+)["']\s*\)""", re.MULTILINE)


def check_of_test(function: str) -> str:
    """The check a grader's test function declares: ``test_NAME`` -> ``NAME``."""
    return function.removeprefix(TEST_PREFIX)


def check_of_grade_id(grade_id: str) -> str:
    """The check a cell's grade id names: ``check_NAME`` -> ``NAME``."""
    return str(grade_id).removeprefix(GRADE_ID_PREFIX)


def check_of_code(source: str) -> tuple[str, str] | None:
    """(assignment, check) that a check cell's code calls ``tfgrader.check`` with, or None."""
    match = _CHECK_CALL.search(source)
    return (match.group(1), match.group(2)) if match else None

def requested(module: Path) -> dict[str, str]:
    """The ``EXPORTS`` mapping (object name -> export kind) of a grader module."""
    return dict(constant(module, "EXPORTS") or {})


# CPython 3.11's ast module is not safe to use from two threads at once ("AST constructor recursion
# depth mismatch", CPython issue 106905, fixed in 3.12): a batch's threads read graders together.
_AST = threading.Lock()
_PARSED: dict[tuple, ast.Module] = {}


def parse(text: str) -> ast.Module:
    """``ast.parse(text)``, one thread at a time."""
    with _AST:
        return ast.parse(text)


def parsed(module: Path) -> ast.Module:
    """The syntax tree of ``module``, parsed once per version of the file."""
    info = module.stat()
    key = (str(module.resolve()), info.st_mtime_ns, info.st_size)
    if key not in _PARSED:
        _PARSED[key] = parse(module.read_text())
    return _PARSED[key]


def constant(module: Path, name: str):
    """The literal value of the module-level constant ``name`` in ``module``, or None."""
    for node in parsed(module).body:
        targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and any(
            isinstance(t, ast.Name) and t.id == name for t in targets
        ):
            return ast.literal_eval(node.value)
    return None


def public_checks(module: Path) -> set[str]:
    """The checks declared ``@check(points=N, public=True)``: those a student may run before submitting."""
    public = set()
    for node in parsed(module).body:
        if isinstance(node, ast.FunctionDef) and node.name.startswith(TEST_PREFIX):
            for deco in node.decorator_list:
                if isinstance(deco, ast.Call) and getattr(deco.func, "id", None) == "check" and any(
                        k.arg == "public" and ast.literal_eval(k.value) is True for k in deco.keywords):
                    public.add(check_of_test(node.name))
    return public


def declared_checks(module: Path) -> dict[str, int]:
    """Check name -> points, from the ``@check(points=N)`` decorators, in order."""
    checks = {}
    for node in parsed(module).body:
        if not isinstance(node, ast.FunctionDef) or not node.name.startswith(TEST_PREFIX):
            continue
        for deco in node.decorator_list:
            if isinstance(deco, ast.Call) and getattr(deco.func, "id", None) == "check":
                given = [*deco.args, *(k.value for k in deco.keywords if k.arg == "points")]
                checks[check_of_test(node.name)] = ast.literal_eval(given[0])
    return checks


def own_limits(module: Path | None) -> dict[str, str | int]:
    """The limits a grader module sets for its assignment (``LIMITS = {"memory": "8G"}``), or {}."""
    return dict(constant(module, "LIMITS") or {}) if module is not None and module.exists() else {}
