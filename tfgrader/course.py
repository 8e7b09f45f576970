"""Where things live in a course directory, and what a grader module declares.

A grader module is read here as text (with :mod:`ast`), never imported, so the
student's kernel learns which objects to export without running grader code.
"""

from __future__ import annotations

import ast
import threading
import os
from pathlib import Path

COURSE_ID = "tf-keras-week"
ASSIGNMENTS = (
    "01-keras-overview",
    "02-basic_classification",
    "03-basic_text_classification",
    "04-basic_regression",
    "05-overfit_and_underfit",
    "06-save_and_restore_models",
)
# The assignments by the time one submission takes to grade, longest first
# (measured in the demo, two at a time on 2 cores: about 100, 52, 41, 35, 35
# and 35 s). A pool that starts the longest first never waits on one alone at
# the end.
LONGEST_FIRST = (
    "05-overfit_and_underfit",
    "03-basic_text_classification",
    "04-basic_regression",
    "06-save_and_restore_models",
    "02-basic_classification",
    "01-keras-overview",
)


def longest_first(assignments) -> list[str]:
    """``assignments`` in :data:`LONGEST_FIRST` order; others (a course's own) after them."""
    return sorted(assignments, key=lambda a: LONGEST_FIRST.index(a) if a in LONGEST_FIRST else len(LONGEST_FIRST))


def find_course_dir(start: Path | None = None) -> Path:
    """Find the course directory: ``TFGRADER_COURSE_DIR``, else the nearest
    folder at or above ``start`` (default: the working directory) holding
    ``nbgrader_config.py`` and ``graders/``."""
    if os.environ.get("TFGRADER_COURSE_DIR"):
        return Path(os.environ["TFGRADER_COURSE_DIR"]).resolve()
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "nbgrader_config.py").is_file() and (folder / "graders").is_dir():
            return folder
    raise FileNotFoundError(
        f"No course directory (with nbgrader_config.py and graders/) at or above {here}; "
        "set TFGRADER_COURSE_DIR to the course's root."
    )


def grader_module(course: Path, assignment: str) -> Path:
    """The hidden grader module of ``assignment``: ``graders/test_<id>.py``."""
    return course / "graders" / f"test_{assignment.replace('-', '_')}.py"


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
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
            for deco in node.decorator_list:
                if isinstance(deco, ast.Call) and getattr(deco.func, "id", None) == "check" and any(
                        k.arg == "public" and ast.literal_eval(k.value) is True for k in deco.keywords):
                    public.add(node.name.removeprefix("test_"))
    return public


def declared_checks(module: Path) -> dict[str, int]:
    """Check name -> points, from the ``@check(points=N)`` decorators, in order."""
    checks = {}
    for node in parsed(module).body:
        if not isinstance(node, ast.FunctionDef) or not node.name.startswith("test_"):
            continue
        for deco in node.decorator_list:
            if isinstance(deco, ast.Call) and getattr(deco.func, "id", None) == "check":
                given = [*deco.args, *(k.value for k in deco.keywords if k.arg == "points")]
                checks[node.name.removeprefix("test_")] = ast.literal_eval(given[0])
    return checks
