"""The wire format between the three parts: what the student's kernel hands
over, and what the grading process hands back.

- The kernel writes the objects a grader's ``EXPORTS`` asks for into an
  export folder: one file per object (``.keras``, ``.npy`` or ``.json``),
  plus :data:`MANIFEST`, which maps each name to its kind and file, or to
  the error that kept it from being exported.
- The grading process reads only that folder and writes :data:`RESULTS`
  (:mod:`tfgrader.wire.results`).
- The instructor side copies the export folder before grading
  (:func:`tfgrader.instructor.confine.verdict.safe_copy`) and keeps the
  results beside the autograded notebook, in :data:`EXPORT_DIRNAME`.

What a grader module declares (its ``EXPORTS``, checks and points, limits)
is read as text by :mod:`tfgrader.wire.declarations`; what every side says to
a person is in :mod:`tfgrader.wire.messages`. Everything that crosses is plain
data; nothing here imports TensorFlow, and the student's kernel, the grading
process and the instructor side may all import this package.
"""

from __future__ import annotations

import re
from typing import Any

from tfgrader.wire.messages import one_line
from tfgrader.wire.results import CheckResult, Results, valid_figure

EXPORT_DIRNAME = ".tfgrader"
MANIFEST = "manifest.json"
RESULTS = "results.json"
# A returned path inside a folder the grader made comes back as "<directory>/NAME".
DIRECTORY = "<directory>"
# File names a kernel may write into the export folder; anything else is dropped.
SAFE_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,120}$")

# The largest file that crosses (an export, or a file a check reads).
MAX_FILE_BYTES = 512 * 2**20
# What every process that runs student or grader code is started with: no colours, no
# TensorFlow start-up chatter, no accelerator (the same results on every machine).
QUIET_ENV = {"PY_COLORS": "0", "TF_CPP_MIN_LOG_LEVEL": "2", "CUDA_VISIBLE_DEVICES": ""}


def grading_command(python: str, module: str, export_dir: str, out: str, wait: bool = False) -> list[str]:
    """The command line of a grading process: ``python -I -m tfgrader.grading``
    on the grader ``module`` and the ``export_dir``, writing :data:`RESULTS` to
    ``out``; with ``wait``, it imports everything, then waits for a line on its
    standard input before it grades."""
    return [python, "-I", "-m", "tfgrader.grading", module, export_dir, "--out", out, *(["--wait"] if wait else [])]


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


__all__ = ["CheckResult", "DIRECTORY", "EXPORT_DIRNAME", "GraderError", "KINDS", "MANIFEST", "MAX_FILE_BYTES", "QUIET_ENV", "RESULTS", "Results",
           "SAFE_NAME", "grading_command", "one_line", "parse_exports", "valid_figure"]
