"""``tfgrader.self_check()``: the public checks, run by the student before submitting.

The release ships ``public_checks.py`` beside the notebook: the checks the
instructor marked public, cut from the hidden grader (see
:mod:`tfgrader.instructor.authoring.public`). This exports the objects they read from
the notebook's namespace, exactly as grading does, and runs them in a separate
Python process (``python -I -m tfgrader.grading``). Each check then shows as
passed, failed with its message, or "checked only when graded". It never
says that everything passed while checks remain hidden: this is not the grade.
"""

from __future__ import annotations

import html
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tfgrader import wire
from tfgrader.wire.declarations import constant, declared_checks, requested
from tfgrader.wire import messages
from tfgrader.wire.messages import plural

PUBLIC_CHECKS = "public_checks.py"
HIDDEN = "checked only when graded"
NOT_RUN = "This check did not run: {}."


class SelfCheck:
    """What :func:`self_check` found: shown as a table in a notebook, as text elsewhere."""

    def __init__(self, assignment: str, checks: dict[str, dict], results: wire.Results, seconds: float) -> None:
        self.assignment, self.checks, self.results, self.seconds = assignment, checks, results, seconds

    def rows(self) -> list[tuple[str, str, float, str]]:
        """(check, status, points, message): status is passed, failed or hidden."""
        rows = []
        for name, declared in self.checks.items():
            if not declared.get("public"):
                rows.append((name, "hidden", declared["points"], HIDDEN))
                continue
            result = self.results.check(name)
            if result is None:
                rows.append((name, "failed", declared["points"], NOT_RUN.format("no result")))
            else:
                rows.append((name, "passed" if result.passed else "failed", declared["points"], result.message))
        return rows

    @property
    def passed(self) -> list[str]:
        return [name for name, status, _, _ in self.rows() if status == "passed"]

    def summary(self) -> str:
        rows = self.rows()
        public = [r for r in rows if r[1] != "hidden"]
        hidden = [r for r in rows if r[1] == "hidden"]
        text = f"{len(self.passed)} of {len(public)} public checks passed"
        if hidden:
            points = sum(r[2] for r in hidden)
            text += (f"; {plural(len(hidden), 'more check')} ({plural(points, 'point')}) "
                     f"{'are' if len(hidden) != 1 else 'is'} {HIDDEN}, so this is not your grade")
        return text + f" (took {self.seconds:.0f} s)."

    def __repr__(self) -> str:
        lines = [f"Self-check of {self.assignment}:"]
        for name, status, points, message in self.rows():
            lines.append(f"  {status.upper() if status == 'failed' else status:<7} {name} "
                         f"({plural(points, 'point')})" + (f": {message}" if message else ""))
        return "\n".join([*lines, self.summary()])

    def _repr_html_(self) -> str:
        colour = {"passed": "#1a7f37", "failed": "#cf222e", "hidden": "#57606a"}
        body = "".join(
            f'<tr><td>{html.escape(name)}</td><td style="color:{colour[status]}">{status}</td>'
            f"<td>{points:g}</td><td>{html.escape(message)}</td></tr>"
            for name, status, points, message in self.rows())
        return (f"<p><b>Self-check of {html.escape(self.assignment)}</b></p>"
                "<table><thead><tr><th>check</th><th>status</th><th>points</th><th>message</th></tr></thead>"
                f"<tbody>{body}</tbody></table><p>{html.escape(self.summary())}</p>")


_validated: dict[str, dict] = {}  # nbgrader validate's run: public_checks.py -> its results, found once


def self_check(name: str | None = None, folder: str | os.PathLike | None = None,
               timeout_s: float = 300) -> SelfCheck | None:
    """Run this assignment's public checks on your notebook's objects, in a separate process.

    Run your notebook's cells first: the checks read the objects they define.
    Without ``name``, shows every check; with it (as in a check cell), shows
    that check's result and raises :class:`~tfgrader.student.CheckFailed` if it
    failed, so that ``nbgrader validate`` reports it. ``folder`` is where
    ``public_checks.py`` is (default: the notebook's folder).
    """
    from tfgrader.student import CheckFailed, autograding

    if autograding() and not validating():
        print("Self-check does not run while the notebook is graded: the grader runs every check itself.")
        return None
    module = Path(folder or Path.cwd()) / PUBLIC_CHECKS
    if not module.is_file():
        print(f"No {PUBLIC_CHECKS} beside this notebook: fetch the assignment again, or ask your instructor.")
        return None
    if validating() and str(module) in _validated:  # nothing changes between the cells of one validation
        report = _validated[str(module)]
    else:
        report = _validated[str(module)] = _run(module, timeout_s)
    if name is None:
        return report
    for check, status, points, message in report.rows():
        if check == name:
            if status == "failed":
                raise CheckFailed(message)
            print(messages.passed(name, points, "a public check") if status == "passed"
                  else f"{name} ({plural(points, 'point')}) is {HIDDEN}.")
            return None
    raise CheckFailed(f"This assignment has no check called {name!r}.")


def validating() -> bool:
    """Is ``nbgrader validate`` running this notebook?"""
    return os.environ.get("NBGRADER_EXECUTION") == "validate"


def _run(module: Path, timeout_s: float) -> SelfCheck:
    from tfgrader.student import export_for_grading

    started = time.monotonic()
    checks = constant(module, "CHECKS") or {name: {"points": p, "public": True}
                                            for name, p in declared_checks(module).items()}
    with tempfile.TemporaryDirectory(prefix="tfgrader-self-check-") as scratch:
        export, out = Path(scratch) / "export", Path(scratch) / wire.RESULTS
        export.mkdir()
        export_for_grading(requested(module), str(export))
        try:
            proc = subprocess.run(wire.grading_command(sys.executable, str(module), str(export), str(out)),
                                  env={**os.environ, **wire.QUIET_ENV}, cwd=export, capture_output=True, text=True,
                                  timeout=timeout_s)
            missing = NOT_RUN.format(f"the checking process failed ({wire.one_line(proc.stderr, 200)})"
                                     if proc.returncode else "no result")
        except subprocess.TimeoutExpired:
            missing = NOT_RUN.format(f"checking took longer than {timeout_s:g} s")
        results = wire.Results.read(out, declared_checks(module), missing)
    return SelfCheck(module.parent.name, checks, results, time.monotonic() - started)
