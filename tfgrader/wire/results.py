"""The results of grading: one type for a check and one for a submission.

The grading process writes them (:data:`tfgrader.wire.RESULTS`), the trusted
side reads that file back strictly (only the declared checks, with their
declared points), adds what it knows (the sandbox, the limits, the time) and
keeps the record beside the autograded notebook; the reports, ``tfgrader
grade``, Gradescope and JUnit all read that record. The JSON form::

    {"checks": {name: {"passed": bool, "points": n, "message": str, "figure"?: base64 PNG}},
     "duration_s"?: s, "sandbox"?: bool, "stopped"?: str, ...}
"""

from __future__ import annotations

import base64
import json
import math
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from tfgrader.wire.messages import DID_NOT_PASS

MAX_FIGURE_CHARS = 400_000  # a check's plot, as base64: a small PNG is about 30,000
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def valid_figure(value: Any) -> str | None:
    """``value`` if it is a bounded base64 PNG (a check's plot), else None."""
    if not isinstance(value, str) or len(value) > MAX_FIGURE_CHARS:
        return None
    try:
        data = base64.b64decode(value, validate=True)
    except ValueError:
        return None
    return value if data.startswith(PNG_SIGNATURE) else None


@dataclass(frozen=True)
class CheckResult:
    """One check of one submission: the points it gave of those it is worth,
    and why it gave fewer (``message``, empty when it gave them all)."""

    name: str
    score: float
    max_score: float
    message: str = ""
    figure: str | None = field(default=None, compare=False, repr=False)  # the check's plot, base64 PNG

    @classmethod
    def of(cls, name: str, passed: bool, points: float, message: str = "", figure: str | None = None) -> CheckResult:
        return cls(name, points if passed else 0.0, points, "" if passed else message, figure)

    @property
    def passed(self) -> bool:
        return self.score >= self.max_score

    def to_json(self) -> dict[str, Any]:
        data = {"passed": self.passed, "points": self.max_score, "message": self.message}
        return data if self.figure is None else {**data, "figure": self.figure}


# Fields of Results kept in the JSON form besides the checks, under these keys.
_KEYS = {"sandboxed": "sandbox"}


@dataclass
class Results:
    """A submission's results: every check, and how its grading went."""

    checks: list[CheckResult]
    student: str = ""
    assignment: str = ""
    duration_s: float | None = None  # the grading process's own time
    sandboxed: bool | None = None  # whether the kernel and the grader were confined
    stopped: str | None = None  # the limit that stopped the notebook, if one did
    skipped: list[str] | None = None  # exported files left behind, and why (for the instructor)
    limits_by: str | None = None  # what held the kernel's limits
    grader_limits_by: str | None = None  # what held the grading process's
    peak_memory_bytes: int | None = None  # the kernel's

    @property
    def score(self) -> float:
        return float(sum(c.score for c in self.checks))

    @property
    def max_score(self) -> float:
        return float(sum(c.max_score for c in self.checks))

    @property
    def failed(self) -> dict[str, str]:
        """Each check that lost points -> the message the student got."""
        return {c.name: c.message or DID_NOT_PASS for c in self.checks if not c.passed}

    def check(self, name: str) -> CheckResult | None:
        return next((c for c in self.checks if c.name == name), None)

    @classmethod
    def failing(cls, declared: dict[str, float], message: str, **about: Any) -> Results:
        """Results in which every declared check (name -> points) failed with ``message``."""
        return cls([CheckResult.of(name, False, points, message) for name, points in declared.items()], **about)

    # ---------------------------------------------------------------- JSON

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"checks": {c.name: c.to_json() for c in self.checks}}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name not in ("checks", "student", "assignment") and value is not None:
                data[_KEYS.get(f.name, f.name)] = value
        return data

    def write(self, path: Path) -> None:
        Path(path).write_text(json.dumps(self.to_json(), indent=1))

    @classmethod
    def load(cls, path: Path, **about: Any) -> Results | None:
        """A record the trusted side wrote (every field), or None if there is none."""
        try:
            data = json.loads(Path(path).read_text())
            checks = [CheckResult.of(name, r["passed"], r["points"], r.get("message", ""), r.get("figure"))
                      for name, r in data["checks"].items()]
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None
        known = {f.name for f in fields(cls)} - {"checks", "student", "assignment"}
        extra = {name: data[_KEYS.get(name, name)] for name in known if _KEYS.get(name, name) in data}
        return cls(checks, **about, **extra)

    @classmethod
    def read(cls, path: Path, declared: dict[str, float], missing: str) -> Results:
        """What a grading process wrote at ``path``, read as untrusted: only the
        ``declared`` checks (name -> points, with those points), each failing
        with ``missing`` where no well-formed result is found; and its time."""
        try:
            stored = json.loads(Path(path).read_text())
            found = stored["checks"] if isinstance(stored.get("checks"), dict) else {}
        except (OSError, ValueError, AttributeError):
            stored, found = {}, {}
        checks = []
        for name, points in declared.items():
            got = found.get(name)
            if isinstance(got, dict) and isinstance(got.get("passed"), bool) and isinstance(got.get("message", ""), str):
                checks.append(CheckResult.of(name, got["passed"], points, got.get("message", ""),
                                             valid_figure(got.get("figure"))))
            else:
                checks.append(CheckResult.of(name, False, points, missing))
        duration = stored.get("duration_s") if isinstance(stored, dict) else None
        finite = isinstance(duration, (int, float)) and math.isfinite(duration)
        return cls(checks, duration_s=duration if finite else None)

    # ---------------------------------------------------------------- other forms

    def gradescope(self) -> dict[str, Any]:
        """Gradescope's ``results.json``: the total, and one test per check with its message."""
        return {"score": self.score, "max_score": self.max_score,
                "tests": [{"name": c.name, "score": c.score, "max_score": c.max_score,
                           "output": c.message or "Passed.", "visibility": "visible"} for c in self.checks]}

    def junit(self) -> str:
        """JUnit XML: one testcase per check; a check that lost points is a
        failure whose message is the student's message."""
        failures = sum(1 for c in self.checks if not c.passed)
        suites = ET.Element("testsuites", name="tfgrader", tests=str(len(self.checks)), failures=str(failures))
        suite = ET.SubElement(suites, "testsuite", name=self.assignment, tests=str(len(self.checks)),
                              failures=str(failures), errors="0", skipped="0")
        for c in self.checks:
            case = ET.SubElement(suite, "testcase", classname=self.assignment,
                                 name=f"{c.name} ({c.score:g}/{c.max_score:g} points)")
            if not c.passed:
                failure = ET.SubElement(case, "failure", message=c.message, type="CheckFailed")
                failure.text = c.message
        ET.indent(suites)
        return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"


__all__ = ["CheckResult", "Results", "valid_figure"]
