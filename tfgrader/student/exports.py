"""Turn the student's objects into plain files the grading process can trust.

Only plain data crosses: a Keras model as a ``.keras`` file (loaded later with
``safe_mode=True``), arrays as ``.npy`` without pickles, everything else as
JSON. A failed export is recorded with a message for the student, so each
check that needs the object can fail on its own while the others still run.
"""

from __future__ import annotations

import json
import math
import traceback
from pathlib import Path
from typing import Any, Callable

import numpy as np

from tfgrader.student import files as file_exports

MANIFEST = "manifest.json"
HEAD_ROWS = 1000


class ExportError(Exception):
    """An object could not be exported; the message is for the student."""


def export_all(requested: dict[str, str], namespace: dict, export_dir: Path) -> dict:
    """Export each requested name from ``namespace`` into ``export_dir``.

    ``requested`` maps a name to its kind (see ``_EXPORTERS``), or to a dict
    with a ``"kind"`` and its options: ``{"kind": "array_head", "rows": N}``,
    ``{"kind": "calls", ...}`` (see :func:`_call_args`), or
    ``{"kind": "builder", "args": ["normalizer"]}``: call the function with
    these names of the namespace as its arguments, ``build(normalizer)``.
    Kind ``"frame"`` takes a pandas DataFrame or Series (see :func:`_frame`).
    Kinds ``"file"`` and ``"directory"`` (``{"kind": "directory", "copy":
    "*.weights.h5"}``) take a path inside the notebook's folder (see
    :mod:`tfgrader.student.files`); ``{"kind": "calls", "dirs": [[file
    names], ...]}`` calls a function on folders made from those names (see
    :func:`tfgrader.student.files.calls_on_dirs`).

    Returns:
        The manifest (name -> ``{"kind", "file"}`` or ``{"kind", "error"}``),
        also written to ``export_dir/manifest.json``.
    """
    manifest = {}
    for name, spec in requested.items():
        kind = spec if isinstance(spec, str) else spec["kind"]
        entry = {"kind": kind}
        try:
            if name not in namespace:
                raise ExportError(f"`{name}` is not defined: write it in its cell and run that cell.")
            if kind == "calls" and "dirs" in spec:
                entry["file"] = file_exports.calls_on_dirs(namespace[name], name, export_dir, spec["dirs"])
            elif kind == "directory" and isinstance(spec, dict):
                entry["file"] = file_exports.directory(namespace[name], name, export_dir, spec.get("copy", "*"))
            elif kind == "calls":
                entry["file"] = _calls(namespace[name], name, export_dir, _call_args(spec, namespace))
            elif kind == "builder" and isinstance(spec, dict):
                entry["file"] = _builder(namespace[name], name, export_dir, _builder_args(spec, namespace))
            elif kind == "array_head" and isinstance(spec, dict):
                entry["file"] = _array_head(namespace[name], name, export_dir, spec["rows"])
            else:
                entry["file"] = _EXPORTERS[kind](namespace[name], name, export_dir)
        except ExportError as exc:
            entry["error"] = str(exc)
        except Exception as exc:  # noqa: BLE001 - any student failure becomes feedback
            entry["error"] = f"Exporting `{name}` failed: {one_line(exc)}"
        manifest[name] = entry
    (export_dir / MANIFEST).write_text(json.dumps(manifest, indent=1))
    return manifest


def _model(obj: Any, name: str, export_dir: Path) -> str:
    import keras

    if not isinstance(obj, keras.Model):
        raise ExportError(f"`{name}` should be a Keras model, but it is a {type(obj).__name__}.")
    path = export_dir / f"{name}.keras"
    try:
        obj.save(path)
    except Exception as exc:  # noqa: BLE001
        raise ExportError(f"Your model `{name}` could not be saved as a .keras file: {one_line(exc)}") from exc
    return path.name


def _builder(obj: Any, name: str, export_dir: Path, args: dict[str, Any] | None = None) -> str:
    args = args or {}
    call = f"{name}({', '.join(args)})"
    if not callable(obj):
        raise ExportError(f"`{name}` should be a function that returns a model, but it is a {type(obj).__name__}.")
    try:
        model = obj(*args.values())
    except Exception as exc:  # noqa: BLE001
        raise ExportError(f"Calling `{call}` raised {one_line(exc)}") from exc
    return _model_as(model, name, export_dir, call)


def _builder_args(spec: dict, namespace: dict) -> dict[str, Any]:
    """The notebook's objects named in ``spec["args"]``, by name, in order."""
    for arg in spec.get("args", []):
        if arg not in namespace:
            raise ExportError(f"`{arg}` is not defined: write it in its cell and run that cell.")
    return {arg: namespace[arg] for arg in spec.get("args", [])}


def _model_as(model: Any, name: str, export_dir: Path, call: str | None = None) -> str:
    import keras

    if not isinstance(model, keras.Model):
        raise ExportError(f"`{call or name + '()'}` should return a Keras model, "
                          f"but it returned a {type(model).__name__}.")
    return _model(model, name, export_dir)


def _history(obj: Any, name: str, export_dir: Path) -> str:
    record = getattr(obj, "history", obj)
    if not isinstance(record, dict):
        raise ExportError(f"`{name}` should be the History that fit() returned, but it is a {type(obj).__name__}.")
    data = {"history": {k: [_number(v) for v in vals] for k, vals in record.items()},
            "params": plain(getattr(obj, "params", {}) or {})}
    return write_json(data, name, export_dir)


def _histories(obj: Any, name: str, export_dir: Path) -> str:
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
        data[str(key)] = {k: [_number(v) for v in vals] for k, vals in record.items()}
    return write_json(data, name, export_dir)


def _value(obj: Any, name: str, export_dir: Path) -> str:
    return write_json(plain(obj), name, export_dir)


def _array(obj: Any, name: str, export_dir: Path) -> str:
    array = _as_array(obj, name)
    path = export_dir / f"{name}.npy"
    np.save(path, array, allow_pickle=False)
    return path.name


def _array_head(obj: Any, name: str, export_dir: Path, rows: int = HEAD_ROWS) -> str:
    """Large arrays: the first ``rows`` rows plus whole-array statistics."""
    array = _as_array(obj, name)
    np.save(export_dir / f"{name}.head.npy", array[:rows], allow_pickle=False)
    stats = {"shape": list(array.shape), "dtype": str(array.dtype), "head_file": f"{name}.head.npy"}
    if array.size and array.dtype.kind in "biuf":
        stats.update(min=float(array.min()), max=float(array.max()), mean=float(array.mean()),
                     finite=bool(np.isfinite(array).all()))
    return write_json(stats, name, export_dir)


def _frame(obj: Any, name: str, export_dir: Path) -> str:
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
    return write_json(data, name, export_dir)


def _as_array(obj: Any, name: str) -> np.ndarray:
    try:
        array = np.asarray(obj)
    except Exception as exc:  # noqa: BLE001
        raise ExportError(f"`{name}` could not be turned into a NumPy array: {one_line(exc)}") from exc
    if array.dtype == object:
        raise ExportError(f"`{name}` should be a numeric array, but its elements are Python objects.")
    return array


def write_json(data: Any, name: str, export_dir: Path) -> str:
    """Write ``data`` to ``<name>.json`` in ``export_dir``; return the file name."""
    path = export_dir / f"{name}.json"
    path.write_text(json.dumps(data))
    return path.name


def _number(value: Any) -> float | None:
    number = float(value)
    return number if math.isfinite(number) else None


def plain(obj: Any) -> Any:
    """Convert NumPy scalars and containers into JSON-able Python values."""
    if isinstance(obj, (str, bool)) or obj is None:
        return obj
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, (int, float, np.integer, np.floating)):
        value = obj.item() if hasattr(obj, "item") else obj
        return value if not isinstance(value, float) or math.isfinite(value) else str(value)
    if isinstance(obj, np.ndarray) and obj.size <= 10_000:
        return plain(obj.tolist())
    if isinstance(obj, (list, tuple)):
        return [plain(v) for v in obj]
    if isinstance(obj, dict):
        return {str(k): plain(v) for k, v in obj.items()}
    if hasattr(obj, "numpy"):  # a scalar tensor
        return plain(obj.numpy())
    raise ExportError(f"This value is a {type(obj).__name__}; a number, string, list or dict is expected.")


def _call_args(spec: dict, namespace: dict) -> list[tuple[str, tuple]]:
    """(how to show the call, arguments) for each call a grader asked for.

    ``{"args": [[...], ...]}`` gives literal arguments; ``{"over": "x",
    "rows": [0, 5]}`` calls the function on rows of the notebook's array ``x``.
    """
    if "over" not in spec:
        return [(", ".join(map(repr, args)), tuple(args)) for args in spec["args"]]
    if spec["over"] not in namespace:
        raise ExportError(f"`{spec['over']}` is not defined: write it in its cell and run that cell.")
    array = namespace[spec["over"]]
    return [(f"{spec['over']}[{row}]", (array[row],)) for row in spec["rows"]]


def _calls(obj: Any, name: str, export_dir: Path, calls: list[tuple[str, tuple]]) -> str:
    """Call the student's function on each input; keep each result or error."""
    if not callable(obj):
        raise ExportError(f"`{name}` should be a function, but it is a {type(obj).__name__}.")
    results = []
    for shown, args in calls:
        try:
            results.append({"value": plain(obj(*args))})
        except Exception as exc:  # noqa: BLE001 - each call's failure is feedback
            results.append({"error": f"`{name}({shown})` raised {one_line(exc)}"})
    return write_json(results, name, export_dir)


def one_line(exc: BaseException) -> str:
    """The exception as its last line, at most 300 characters: what a student reads."""
    line = traceback.format_exception_only(type(exc), exc)[-1].strip()
    return line if len(line) <= 300 else line[:297] + "..."


_EXPORTERS: dict[str, Callable[[Any, str, Path], str]] = {
    "model": _model,
    "builder": _builder,
    "history": _history,
    "histories": _histories,
    "value": _value,
    "array": _array,
    "array_head": _array_head,
    "frame": _frame,
    "file": file_exports.file,
    "directory": file_exports.directory,
}
