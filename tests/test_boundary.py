"""Is the trust boundary kept in the imports? The student's kernel and the
clean grading process must never load the instructor side (nor each other):
each side may import only what the rules below allow, read from every
module's syntax tree, function-level imports included."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import tfgrader

PACKAGE = Path(tfgrader.__file__).resolve().parent
# side (a folder of the package, or a module) -> the parts of tfgrader it may import
ALLOWED = {
    "wire": {"wire"},
    "data": {"data"},
    "student": {"student", "wire", "data"},
    "grading": {"grading", "wire", "data"},
    "instructor": {"instructor", "wire", "data", "grading", "student"},
}


def crossings(package: Path) -> list[str]:
    """Every import of ``package`` that crosses the boundary, as ``file:line: side imports target``."""
    found = []
    for path in sorted(package.rglob("*.py")):
        relative = path.relative_to(package)
        side = relative.parts[0].removesuffix(".py")
        tree = ast.parse(path.read_text())
        # the package's own __init__ may import a part lazily, in a function; nothing at its top
        for node in (tree.body if side == "__init__" else ast.walk(tree)):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                targets = [f"{node.module}.{alias.name}" for alias in node.names]
            else:
                continue
            for target in targets:
                parts = target.split(".")
                if parts[0] != "tfgrader" or len(parts) < 2:
                    continue
                if side == "__init__" or parts[1] not in ALLOWED.get(side, set()):
                    found.append(f"{relative}:{node.lineno}: {side} imports {target}")
    return found


def test_no_import_crosses_the_boundary():
    """Do student/ (wire, data), grading/ (wire, data) and wire/ (itself) keep to their own,
    and does the package's __init__ import none of its parts?"""
    assert crossings(PACKAGE) == []


def test_a_crossing_is_found_and_named(tmp_path):
    """Is an import added across the boundary reported, with its file and line? (A check that
    could not fail would prove nothing.)"""
    copy = tmp_path / "tfgrader"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    encode = copy / "student" / "encode.py"
    lines = encode.read_text().splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("import ")) + 1
    encode.write_text("\n".join([*lines[:at], "from tfgrader.instructor.confine import verdict", *lines[at:]]))
    (copy / "grading" / "figures.py").write_text(
        (copy / "grading" / "figures.py").read_text() + "\n\ndef later():\n    from tfgrader import student\n")
    assert crossings(copy) == [
        "grading/figures.py:" + str(len((copy / "grading" / "figures.py").read_text().splitlines()))
        + ": grading imports tfgrader.student",
        f"student/encode.py:{at + 1}: student imports tfgrader.instructor.confine.verdict",
    ]


def test_the_sides_load_only_what_they_may():
    """At run time: does importing tfgrader load none of its parts, the student's runtime nothing of
    the instructor or the grader, and the grading process nothing of the student or the instructor?"""
    probe = ("import sys, importlib\n"
             "for name in sys.argv[1:]: importlib.import_module(name)\n"
             "print(' '.join(sorted({'.'.join(m.split('.')[:2]) for m in sys.modules if m.startswith('tfgrader.')})))")

    def loaded(*modules: str) -> set[str]:
        proc = subprocess.run([sys.executable, "-I", "-c", probe, *modules], capture_output=True, text=True,
                              timeout=120, check=True)
        return set(proc.stdout.split())

    assert loaded("tfgrader") == set()
    assert loaded("tfgrader.student") <= {"tfgrader.student", "tfgrader.wire", "tfgrader.data"}
    assert loaded("tfgrader.grading.plugin", "tfgrader.grading.__main__") <= {
        "tfgrader.grading", "tfgrader.wire", "tfgrader.data"}
