"""Turn the student's objects into plain files the grading process can trust.

Only plain data crosses: a Keras model as a ``.keras`` file (loaded later with
``safe_mode=True``), arrays as ``.npy`` without pickles, everything else as
JSON. A failed export is recorded with a message for the student, so each
check that needs the object can fail on its own while the others still run.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import traceback
from fnmatch import fnmatch
from pathlib import Path
from typing import Any, Callable

import numpy as np

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
    :func:`_file`, :func:`_directory`); ``{"kind": "calls", "dirs": [[file
    names], ...]}`` calls a function on folders made from those names (see
    :func:`_calls_on_dirs`).

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
                entry["file"] = _calls_on_dirs(namespace[name], name, export_dir, spec["dirs"])
            elif kind == "directory" and isinstance(spec, dict):
                entry["file"] = _directory(namespace[name], name, export_dir, spec.get("copy", "*"))
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
            entry["error"] = f"Exporting `{name}` failed: {_one_line(exc)}"
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
        raise ExportError(f"Your model `{name}` could not be saved as a .keras file: {_one_line(exc)}") from exc
    return path.name


def _builder(obj: Any, name: str, export_dir: Path, args: dict[str, Any] | None = None) -> str:
    args = args or {}
    call = f"{name}({', '.join(args)})"
    if not callable(obj):
        raise ExportError(f"`{name}` should be a function that returns a model, but it is a {type(obj).__name__}.")
    try:
        model = obj(*args.values())
    except Exception as exc:  # noqa: BLE001
        raise ExportError(f"Calling `{call}` raised {_one_line(exc)}") from exc
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
            "params": _plain(getattr(obj, "params", {}) or {})}
    return _write_json(data, name, export_dir)


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
    return _write_json(data, name, export_dir)


def _value(obj: Any, name: str, export_dir: Path) -> str:
    return _write_json(_plain(obj), name, export_dir)


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
    return _write_json(stats, name, export_dir)


def _frame(obj: Any, name: str, export_dir: Path) -> str:
    """A pandas DataFrame or Series as JSON: ``to_json(orient="split")``
    (index, columns, data) plus each column's dtype, so the grader can
    rebuild it exactly (:meth:`tfgrader.submission.Submission.frame`)."""
    import pandas as pd

    if not isinstance(obj, (pd.DataFrame, pd.Series)):
        raise ExportError(f"`{name}` should be a pandas DataFrame or Series, but it is a {type(obj).__name__}.")
    series = isinstance(obj, pd.Series)
    frame = obj.to_frame() if series else obj
    data = {"series": series, "name": _plain(obj.name) if series else None,
            "dtypes": [str(dtype) for dtype in frame.dtypes],
            "split": json.loads(frame.to_json(orient="split", double_precision=15, date_format="iso"))}
    return _write_json(data, name, export_dir)


def _as_array(obj: Any, name: str) -> np.ndarray:
    try:
        array = np.asarray(obj)
    except Exception as exc:  # noqa: BLE001
        raise ExportError(f"`{name}` could not be turned into a NumPy array: {_one_line(exc)}") from exc
    if array.dtype == object:
        raise ExportError(f"`{name}` should be a numeric array, but its elements are Python objects.")
    return array


def _write_json(data: Any, name: str, export_dir: Path) -> str:
    path = export_dir / f"{name}.json"
    path.write_text(json.dumps(data))
    return path.name


def _number(value: Any) -> float | None:
    number = float(value)
    return number if math.isfinite(number) else None


def _plain(obj: Any) -> Any:
    """Convert NumPy scalars and containers into JSON-able Python values."""
    if isinstance(obj, (str, bool)) or obj is None:
        return obj
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, (int, float, np.integer, np.floating)):
        value = obj.item() if hasattr(obj, "item") else obj
        return value if not isinstance(value, float) or math.isfinite(value) else str(value)
    if isinstance(obj, np.ndarray) and obj.size <= 10_000:
        return _plain(obj.tolist())
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    if isinstance(obj, dict):
        return {str(k): _plain(v) for k, v in obj.items()}
    if hasattr(obj, "numpy"):  # a scalar tensor
        return _plain(obj.numpy())
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
            results.append({"value": _plain(obj(*args))})
        except Exception as exc:  # noqa: BLE001 - each call's failure is feedback
            results.append({"error": f"`{name}({shown})` raised {_one_line(exc)}"})
    return _write_json(results, name, export_dir)


MAX_FILE_BYTES = 512 * 2**20
MAX_DIR_COPIES, MAX_DIR_NAMES = 30, 1000
DIRECTORY = "<directory>"


def _notebook_path(obj: Any, name: str, export_dir: Path) -> tuple[Path, str]:
    """The path held in ``name``, resolved against the notebook's folder (the
    export folder's parent), and as shown to the student: relative to it.
    Paths outside that folder are refused, so no other folder is read."""
    if not isinstance(obj, (str, os.PathLike)):
        raise ExportError(f"`{name}` should be a path such as 'training_1/cp.weights.h5', "
                          f"but it is a {type(obj).__name__}.")
    workdir = export_dir.resolve().parent
    path = (workdir / os.fspath(obj)).resolve()
    if not path.is_relative_to(workdir):
        raise ExportError(f"`{name}` is {os.fspath(obj)!r}, outside this notebook's folder: write your "
                          "files under a relative path such as 'training_1/...'.")
    return path, path.relative_to(workdir).as_posix()


def _copy(path: Path, shown: str, export_dir: Path, copy_name: str) -> str:
    """Copy one file into the export folder, keeping its suffixes (Keras
    chooses the file format by them): ``cp.weights.h5`` -> ``<copy_name>.weights.h5``."""
    if path.stat().st_size > MAX_FILE_BYTES:
        raise ExportError(f"'{shown}' is larger than {MAX_FILE_BYTES >> 20} MB; the grader reads smaller files only.")
    copy = copy_name + "".join(path.suffixes[-2:])
    shutil.copyfile(path, export_dir / copy)
    return copy


def _file(obj: Any, name: str, export_dir: Path) -> str:
    """A file the notebook wrote, at the path ``name`` holds: a copy, and its path in ``<name>.json``."""
    path, shown = _notebook_path(obj, name, export_dir)
    if not path.is_file():
        raise ExportError(f"`{name}` is {shown!r}, but no file exists there: run the cell that writes it.")
    return _write_json({"path": shown, "copy": _copy(path, shown, export_dir, name)}, name, export_dir)


def _directory(obj: Any, name: str, export_dir: Path, pattern: str = "*") -> str:
    """A folder the notebook filled: its entry names (sub-folders end in
    ``/``) and copies of up to ``MAX_DIR_COPIES`` files matching ``pattern``."""
    path, shown = _notebook_path(obj, name, export_dir)
    if not path.is_dir():
        raise ExportError(f"`{name}` is {shown!r}, but no folder exists there: run the cell that fills it.")
    entries = sorted(path.iterdir())[:MAX_DIR_NAMES]
    names = [entry.name + ("/" if entry.is_dir() else "") for entry in entries]
    # Links are listed but never followed: they could lead out of the notebook's folder.
    matching = [entry for entry in entries
                if entry.is_file() and not entry.is_symlink() and fnmatch(entry.name, pattern)]
    copies = {entry.name: _copy(entry, f"{shown}/{entry.name}", export_dir, f"{name}-{i}")
              for i, entry in enumerate(matching[:MAX_DIR_COPIES])}
    return _write_json({"path": shown, "names": names, "copies": copies}, name, export_dir)


def _calls_on_dirs(obj: Any, name: str, export_dir: Path, listings: list[list[str]]) -> str:
    """Call the student's function on folders holding the files named in each
    listing (empty files, created in listing order with modification times
    in that order, so the newest file on disk is the last listed).

    Each folder is made inside the export folder and deleted afterwards. A
    returned path inside the folder comes back as ``<directory>/NAME``, so
    results compare by name; anything else comes back as it was.
    """
    if not callable(obj):
        raise ExportError(f"`{name}` should be a function, but it is a {type(obj).__name__}.")
    results = []
    for number, listing in enumerate(listings):
        folder = export_dir / f"{name}-call-{number}"
        shown = f"<a folder holding {', '.join(listing)}>" if listing else "<an empty folder>"
        try:
            folder.mkdir()
            for age, file_name in enumerate(listing):
                (folder / file_name).write_bytes(b"")
                os.utime(folder / file_name, (1_600_000_000 + 60 * age,) * 2)
            results.append({"value": _inside(obj(str(folder)), folder)})
        except Exception as exc:  # noqa: BLE001 - each call's failure is feedback
            results.append({"error": f"`{name}({shown})` raised {_one_line(exc)}"})
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    return _write_json(results, name, export_dir)


def _inside(value: Any, folder: Path) -> Any:
    if not isinstance(value, (str, os.PathLike)):
        return _plain(value)
    path = Path(os.fspath(value)).resolve()
    if path.is_relative_to(folder.resolve()) and path != folder.resolve():
        return f"{DIRECTORY}/{path.relative_to(folder.resolve()).as_posix()}"
    return os.fspath(value)


def _one_line(exc: BaseException) -> str:
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
    "file": _file,
    "directory": _directory,
}
