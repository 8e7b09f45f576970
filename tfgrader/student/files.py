"""Files and folders the notebook wrote, handed to the grader as copies.

Paths resolve against the notebook's folder and may not leave it: no absolute paths into other students' folders, no ``..``,
no links followed. Used by :func:`tfgrader.student.exports.export_all` for the kinds
``file``, ``directory`` and ``calls`` with ``dirs``.
"""

from __future__ import annotations

import os
import shutil
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

from tfgrader.student.encode import ExportError, plain, write_json
from tfgrader.wire import DIRECTORY, MAX_FILE_BYTES, one_line

MAX_DIR_COPIES, MAX_DIR_NAMES = 30, 1000


def _notebook_path(obj: Any, name: str, workdir: Path) -> tuple[Path, str]:
    """The path held in ``name``, resolved against the notebook's folder
    ``workdir``, and as shown to the student: relative to it.
    Paths outside that folder are refused, so no other folder is read."""
    if not isinstance(obj, (str, os.PathLike)):
        raise ExportError(f"`{name}` should be a path such as 'training_1/cp.weights.h5', "
                          f"but it is a {type(obj).__name__}.")
    workdir = workdir.resolve()
    path = (workdir / os.fspath(obj)).resolve()
    if not path.is_relative_to(workdir):
        raise ExportError(f"`{name}` is {os.fspath(obj)!r}, outside this notebook's folder: write your "
                          "files under a relative path such as 'training_1/...'.")
    return path, path.relative_to(workdir).as_posix()


def _copy(path: Path, shown: str, export_dir: Path, copy_name: str) -> str:
    """Copy one file into the export folder, keeping its suffixes (Keras
    chooses the file format by them): ``cp.weights.h5`` -> ``<copy_name>.weights.h5``."""
    if path.stat().st_size > MAX_FILE_BYTES:
        raise ExportError(
            f"'{shown}' is larger than {MAX_FILE_BYTES >> 20} MB; the grader reads smaller files only.")
    copy = copy_name + "".join(path.suffixes[-2:])
    shutil.copyfile(path, export_dir / copy)
    return copy


def file(obj: Any, name: str, export_dir: Path, workdir: Path) -> str:
    """A file the notebook wrote, at the path ``name`` holds: a copy, and its path in ``<name>.json``."""
    path, shown = _notebook_path(obj, name, workdir)
    if not path.is_file():
        raise ExportError(f"`{name}` is {shown!r}, but no file exists there: run the cell that writes it.")
    return write_json({"path": shown, "copy": _copy(path, shown, export_dir, name)}, name, export_dir)


def directory(obj: Any, name: str, export_dir: Path, workdir: Path, pattern: str = "*") -> str:
    """A folder the notebook filled: its entry names (sub-folders end in
    ``/``) and copies of up to ``MAX_DIR_COPIES`` files matching ``pattern``."""
    path, shown = _notebook_path(obj, name, workdir)
    if not path.is_dir():
        raise ExportError(f"`{name}` is {shown!r}, but no folder exists there: run the cell that fills it.")
    entries = sorted(path.iterdir())[:MAX_DIR_NAMES]
    names = [entry.name + ("/" if entry.is_dir() else "") for entry in entries]
    # Links are listed but never followed: they could lead out of the notebook's folder.
    matching = [entry for entry in entries
                if entry.is_file() and not entry.is_symlink() and fnmatch(entry.name, pattern)]
    copies = {entry.name: _copy(entry, f"{shown}/{entry.name}", export_dir, f"{name}-{i}")
              for i, entry in enumerate(matching[:MAX_DIR_COPIES])}
    return write_json({"path": shown, "names": names, "copies": copies}, name, export_dir)


def calls_on_dirs(obj: Any, name: str, export_dir: Path, listings: list[list[str]]) -> str:
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
            results.append({"error": f"`{name}({shown})` raised {one_line(exc)}"})
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    return write_json(results, name, export_dir)


def _inside(value: Any, folder: Path) -> Any:
    if not isinstance(value, (str, os.PathLike)):
        return plain(value)
    path = Path(os.fspath(value)).resolve()
    if path.is_relative_to(folder.resolve()) and path != folder.resolve():
        return f"{DIRECTORY}/{path.relative_to(folder.resolve()).as_posix()}"
    return os.fspath(value)
