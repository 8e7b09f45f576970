"""The wire format between the three parts: what the student's kernel hands
over, and what the grading process hands back.

- The kernel writes the objects a grader's ``EXPORTS`` asks for into an
  export folder: one file per object (``.keras``, ``.npy`` or ``.json``),
  plus :data:`MANIFEST`, which maps each name to its kind and file, or to
  the error that kept it from being exported.
- The grading process reads only that folder and writes :data:`RESULTS`:
  ``{"checks": {name: {"passed", "points", "message"}}, "duration_s": ...}``.
- The instructor side copies the export folder before grading
  (:func:`tfgrader.instructor.verdict.safe_copy`) and keeps the results
  beside the autograded notebook, in :data:`EXPORT_DIRNAME`.

Everything that crosses is plain data; nothing here imports TensorFlow.
"""

from __future__ import annotations

import base64
import json
import math
import re
from pathlib import Path
from typing import Any

EXPORT_DIRNAME = ".tfgrader"
MANIFEST = "manifest.json"
RESULTS = "results.json"
# A returned path inside a folder the grader made comes back as "<directory>/NAME".
DIRECTORY = "<directory>"
# File names a kernel may write into the export folder; anything else is dropped.
SAFE_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,120}$")

# Export kind -> the options a grader may give it in EXPORTS.
KINDS: dict[str, frozenset[str]] = {
    # a keras.Model, as a .keras file; input_shape: what the grader builds an unbuilt Sequential with
    "model": frozenset({"input_shape"}),
    # a function returning a model; args: names in the notebook to call it with
    "builder": frozenset({"args", "input_shape"}),
    "history": frozenset(),                     # a History (or its dict)
    "histories": frozenset(),                   # a dict: model name -> History
    "value": frozenset(),                       # numbers, strings, lists, dicts
    "array": frozenset(),                       # a numeric array, as .npy (no pickles)
    "array_head": frozenset({"rows"}),          # first rows of a large array, and its statistics
    "frame": frozenset(),                       # a pandas DataFrame or Series
    "file": frozenset(),                        # a path to a file the notebook wrote: a copy
    "directory": frozenset({"copy"}),           # a path to a folder: its names, copies of matching files
    "calls": frozenset({"args", "over", "rows", "dirs"}),  # a function, called on given inputs
}


class GraderError(ValueError):
    """A grader module is wrong: the instructor's mistake, not the student's."""


def parse_exports(exports: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """A grader's ``EXPORTS`` as ``{name: {"kind": ..., **options}}``.

    Raises:
        GraderError: for an unknown kind or option, or a name that is not an identifier.
    """
    parsed = {}
    for name, spec in exports.items():
        spec = {"kind": spec} if isinstance(spec, str) else dict(spec)
        kind = spec.get("kind")
        if not (isinstance(name, str) and name.isidentifier()):
            raise GraderError(f"EXPORTS: {name!r} is not a Python name.")
        if kind not in KINDS:
            raise GraderError(f"EXPORTS[{name!r}]: unknown kind {kind!r}; the kinds are {', '.join(KINDS)}.")
        unknown = set(spec) - {"kind"} - KINDS[kind]
        if unknown:
            raise GraderError(f"EXPORTS[{name!r}]: kind {kind!r} takes no option {', '.join(sorted(unknown))}.")
        if kind == "calls" and not {"args", "over", "dirs"} & set(spec):
            raise GraderError(f"EXPORTS[{name!r}]: kind 'calls' needs 'args', 'over' (with 'rows') or 'dirs'.")
        parsed[name] = spec
    return parsed


# Keras wraps a layer's error as "Exception encountered when calling X.call().
# <the reason> Arguments received by X.call(): <argument reprs>", in colour.
_KERAS_WRAPPER = re.compile(r"Exception encountered when calling [^\n]*\n+(?P<reason>.*?)\n+Arguments received by", re.S)
_KERAS_NOISE = (
    (re.compile(r"\x1b\[[0-9;]*m"), ""),  # terminal colours
    (re.compile(r'\s*Tensor\("[^"]*", shape=[^)]*\), dtype=\w+\)'), ""),  # graph tensor reprs
    (re.compile(r" with name '[^']*' and path '[^']*'"), ""),  # Keras's internal tensor names
    (re.compile(r"Invalid input shape for input.*?\. Expected", re.S), "Invalid input shape. Expected"),  # the data
)


def one_line(what: BaseException | str, limit: int = 300) -> str:
    """An exception (``Type: message``) or a text as one line of at most
    ``limit`` characters: what a student or an instructor reads. Keras's
    wrapping of a layer's error is reduced to the reason inside it."""
    if isinstance(what, BaseException):
        text = str(what)
        wrapped = _KERAS_WRAPPER.search(text)
        if wrapped:
            text = wrapped["reason"]
        for pattern, replacement in _KERAS_NOISE:
            text = pattern.sub(replacement, text)
        what = f"{type(what).__name__}: {text}" if text.strip() else type(what).__name__
    line = " ".join(str(what).split())
    return line if len(line) <= limit else line[:limit - 3] + "..."


def check_result(passed: bool, points: float, message: str = "", figure: str | None = None) -> dict[str, Any]:
    result = {"passed": bool(passed), "points": points, "message": message}
    if figure is not None:
        result["figure"] = figure
    return result


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


def all_failed(checks: dict[str, float], message: str) -> dict[str, Any]:
    """Results in which every declared check failed with ``message``."""
    return {"checks": {name: check_result(False, points, message) for name, points in checks.items()}}


def read_results(path: Path, checks: dict[str, float], missing: str) -> dict[str, Any]:
    """The results at ``path``, keeping only the declared ``checks`` (with
    their declared points); a check without a well-formed result fails with
    ``missing``."""
    try:
        stored = json.loads(path.read_text())
        found = stored["checks"] if isinstance(stored.get("checks"), dict) else {}
    except (OSError, ValueError, AttributeError):
        stored, found = {}, {}
    results = all_failed(checks, missing)
    for name, points in checks.items():
        got = found.get(name)
        if isinstance(got, dict) and isinstance(got.get("passed"), bool) and isinstance(got.get("message", ""), str):
            results["checks"][name] = check_result(got["passed"], points, got.get("message", ""),
                                                   valid_figure(got.get("figure")))
    duration = stored.get("duration_s") if isinstance(stored, dict) else None
    if isinstance(duration, (int, float)) and math.isfinite(duration):
        results["duration_s"] = duration
    return results


def write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=1))
