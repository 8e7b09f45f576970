"""Turn the student's objects into plain files the grading process can trust.
Runs in the student's kernel, which is untrusted: nothing here judges.

Only plain data crosses: a Keras model as a ``.keras`` file (loaded later with
``safe_mode=True``), arrays as ``.npy`` without pickles, everything else as
JSON. Each export kind of :data:`tfgrader.wire.KINDS` has one writer in
:data:`WRITERS`. A failed export is recorded with a message for the student,
so each check that needs the object fails on its own while the others run.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np

from tfgrader import wire
from tfgrader.student import files
from tfgrader.student.encode import ExportError, number, plain, write_json
from tfgrader.wire import one_line

MANIFEST = wire.MANIFEST
HEAD_ROWS = 1000


@dataclass
class Target:
    """Where an export goes: the notebook's names, the export folder, and the
    notebook's own folder (against which file paths resolve)."""

    namespace: dict
    export_dir: Path
    workdir: Path


def export_all(requested: dict[str, Any], namespace: dict, export_dir: Path, workdir: Path | None = None) -> dict:
    """Export each requested name from ``namespace`` into ``export_dir``.

    ``requested`` is a grader's ``EXPORTS`` (see :func:`tfgrader.wire.parse_exports`).
    ``workdir`` is the notebook's folder (default: the working directory).

    Returns:
        The manifest (name -> ``{"kind", "file"}`` or ``{"kind", "error"}``),
        also written to ``export_dir/manifest.json``.
    """
    target = Target(namespace, Path(export_dir), Path(workdir or Path.cwd()))
    manifest = {}
    for name, spec in wire.parse_exports(requested).items():
        entry = {"kind": spec["kind"]}
        try:
            if name not in namespace:
                raise ExportError(f"`{name}` is not defined: write it in its cell and run that cell.")
            entry["file"] = WRITERS[spec["kind"]](namespace[name], name, spec, target)
        except ExportError as exc:
            entry["error"] = str(exc)
        except Exception as exc:  # noqa: BLE001 - any student failure becomes feedback
            entry["error"] = f"Exporting `{name}` failed: {one_line(exc)}"
        manifest[name] = entry
    (target.export_dir / MANIFEST).write_text(json.dumps(manifest, indent=1))
    return manifest


def _model(obj: Any, name: str, spec: dict, target: Target, call: str | None = None) -> str:
    import keras

    if not isinstance(obj, keras.Model):
        if call:
            raise ExportError(f"`{call}` should return a Keras model, but it returned a {type(obj).__name__}.")
        raise ExportError(f"`{name}` should be a Keras model, but it is a {type(obj).__name__}.")
    path = target.export_dir / f"{name}.keras"
    try:
        obj.save(path)
    except Exception as exc:  # noqa: BLE001
        raise ExportError(f"Your model `{name}` could not be saved as a .keras file: {one_line(exc)}") from exc
    return path.name


def _builder(obj: Any, name: str, spec: dict, target: Target) -> str:
    """Call the function with the notebook's objects named in ``spec["args"]``: ``build(normalizer)``."""
    args = [_lookup(arg, target) for arg in spec.get("args", [])]
    call = f"{name}({', '.join(spec.get('args', []))})"
    if not callable(obj):
        raise ExportError(f"`{name}` should be a function that returns a model, but it is a {type(obj).__name__}.")
    try:
        model = obj(*args)
    except Exception as exc:  # noqa: BLE001
        raise ExportError(f"Calling `{call}` raised {one_line(exc)}") from exc
    return _model(model, name, spec, target, call)


def _lookup(name: str, target: Target) -> Any:
    if name not in target.namespace:
        raise ExportError(f"`{name}` is not defined: write it in its cell and run that cell.")
    return target.namespace[name]


def _history(obj: Any, name: str, spec: dict, target: Target) -> str:
    record = getattr(obj, "history", obj)
    if not isinstance(record, dict):
        raise ExportError(f"`{name}` should be the History that fit() returned, but it is a {type(obj).__name__}.")
    data = {"history": {str(k): [number(v) for v in vals] for k, vals in record.items()},
            "params": plain(getattr(obj, "params", {}) or {})}
    return write_json(data, name, target.export_dir)


def _histories(obj: Any, name: str, spec: dict, target: Target) -> str:
    """A dict from a model's name to its History (or its history dict)."""
    if not isinstance(obj, dict):
        raise ExportError(f"`{name}` should be a dict from model name to the History fit() returned, "
                          f"but it is a {type(obj).__name__}.")
    data = {}
    for key, history in obj.items():
        record = getattr(history, "history", history)
        if not isinstance(record, dict):
            raise ExportError(f"`{name}[{key!r}]` should be the History that fit() returned, "
                              f"but it is a {type(history).__name__}.")
        data[str(key)] = {str(k): [number(v) for v in vals] for k, vals in record.items()}
    return write_json(data, name, target.export_dir)


def _value(obj: Any, name: str, spec: dict, target: Target) -> str:
    try:
        return write_json(plain(obj), name, target.export_dir)
    except ExportError as exc:
        raise ExportError(f"`{name}` cannot be handed to the grader: {exc}") from None


def _array(obj: Any, name: str, spec: dict, target: Target) -> str:
    path = target.export_dir / f"{name}.npy"
    np.save(path, _as_array(obj, name), allow_pickle=False)
    return path.name


def _array_head(obj: Any, name: str, spec: dict, target: Target) -> str:
    """Large arrays: the first ``rows`` rows plus whole-array statistics."""
    array = _as_array(obj, name)
    np.save(target.export_dir / f"{name}.head.npy", array[:spec.get("rows", HEAD_ROWS)], allow_pickle=False)
    stats = {"shape": list(array.shape), "dtype": str(array.dtype), "head_file": f"{name}.head.npy"}
    if array.size and array.dtype.kind in "biuf":
        stats.update(min=float(array.min()), max=float(array.max()), mean=float(array.mean()),
                     finite=bool(np.isfinite(array).all()))
    return write_json(stats, name, target.export_dir)


def _frame(obj: Any, name: str, spec: dict, target: Target) -> str:
    """A pandas DataFrame or Series as JSON: ``to_json(orient="split")``
    (index, columns, data) plus each column's dtype, so the grader can
    rebuild it exactly (:meth:`tfgrader.grading.submission.Submission.frame`)."""
    import pandas as pd

    if not isinstance(obj, (pd.DataFrame, pd.Series)):
        raise ExportError(f"`{name}` should be a pandas DataFrame or Series, but it is a {type(obj).__name__}.")
    series = isinstance(obj, pd.Series)
    frame = obj.to_frame() if series else obj
    data = {"series": series, "name": plain(obj.name) if series else None,
            "dtypes": [str(dtype) for dtype in frame.dtypes],
            "split": json.loads(frame.to_json(orient="split", double_precision=15, date_format="iso"))}
    return write_json(data, name, target.export_dir)


def _as_array(obj: Any, name: str) -> np.ndarray:
    try:
        array = np.asarray(obj)
    except Exception as exc:  # noqa: BLE001
        raise ExportError(f"`{name}` could not be turned into a NumPy array: {one_line(exc)}") from exc
    if array.dtype == object:
        raise ExportError(f"`{name}` should be a numeric array, but its elements are Python objects.")
    return array


def _calls(obj: Any, name: str, spec: dict, target: Target) -> str:
    """Call the student's function on each input; keep each result or error.

    ``{"args": [[...], ...]}`` gives literal arguments; ``{"over": "x",
    "rows": [0, 5]}`` calls it on rows of the notebook's array ``x``;
    ``{"dirs": [[file names], ...]}`` calls it on folders holding those
    files (see :func:`tfgrader.student.files.calls_on_dirs`).
    """
    if not callable(obj):
        raise ExportError(f"`{name}` should be a function, but it is a {type(obj).__name__}.")
    if "dirs" in spec:
        return files.calls_on_dirs(obj, name, target.export_dir, spec["dirs"])
    if "over" in spec:
        array = _lookup(spec["over"], target)
        calls = [(f"{spec['over']}[{row}]", (array[row],)) for row in spec["rows"]]
    else:
        calls = [(", ".join(map(repr, args)), tuple(args)) for args in spec["args"]]
    results = []
    for shown, args in calls:
        try:
            results.append({"value": plain(obj(*args))})
        except Exception as exc:  # noqa: BLE001 - each call's failure is feedback
            results.append({"error": f"`{name}({shown})` raised {one_line(exc)}"})
    return write_json(results, name, target.export_dir)


def _file(obj: Any, name: str, spec: dict, target: Target) -> str:
    return files.file(obj, name, target.export_dir, target.workdir)


def _directory(obj: Any, name: str, spec: dict, target: Target) -> str:
    return files.directory(obj, name, target.export_dir, target.workdir, spec.get("copy", "*"))


WRITERS: dict[str, Callable[[Any, str, dict, Target], str]] = {
    "model": _model,
    "builder": _builder,
    "history": _history,
    "histories": _histories,
    "value": _value,
    "array": _array,
    "array_head": _array_head,
    "frame": _frame,
    "file": _file,
    "directory": _directory,
    "calls": _calls,
}
assert WRITERS.keys() == wire.KINDS.keys()
