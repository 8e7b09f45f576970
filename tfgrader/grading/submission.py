"""What the grading process knows of a submission: the files it exported.
Runs in the clean grading process.

The files were written by the student's kernel, so they are hostile input:
every accessor either returns plain data or raises :class:`StudentError`
with a message the student can act on, whatever the files hold (a malformed
manifest, a name outside the folder, broken JSON, ``.npy`` or ``.keras``).
"""

from __future__ import annotations

import json
import warnings
import zipfile
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from tfgrader.wire import MANIFEST, SAFE_NAME, one_line


class StudentError(Exception):
    """Something in the submission prevents a check; the message is for the student."""


class Submission:
    """The exported objects of one graded notebook, read from ``export_dir``."""

    def __init__(self, export_dir: Path, exports: dict[str, dict] | None = None) -> None:
        self.dir = Path(export_dir)
        self.exports = exports or {}  # the grader's EXPORTS, parsed (tfgrader.wire.parse_exports)
        self._models: dict[str, Any] = {}

    @cached_property
    def manifest(self) -> dict:
        try:
            manifest = json.loads((self.dir / MANIFEST).read_text())
        except (OSError, ValueError):
            manifest = None
        if not isinstance(manifest, dict):
            raise StudentError("The grader could not read what your notebook handed over (its list of objects "
                               "is missing or damaged). Run every cell from the top, without errors, and submit again.")
        return manifest

    def _file(self, name: str, file: str | None = None) -> Path:
        """The file of the export ``name`` (or the file named ``file`` beside it), checked."""
        entry = self.manifest.get(name)
        if not isinstance(entry, dict):
            raise StudentError(f"`{name}` was not handed to the grader.")
        if "error" in entry:
            raise StudentError(one_line(str(entry["error"]), 600))
        file = entry.get("file") if file is None else file
        if not (isinstance(file, str) and SAFE_NAME.match(file) and (self.dir / file).is_file()):
            raise StudentError(f"The grader could not read `{name}`: its file is missing or is not a plain file "
                               "in the export folder.")
        return self.dir / file

    def _json(self, name: str, file: str | None = None) -> Any:
        try:
            return json.loads(self._file(name, file).read_text())
        except ValueError:
            raise StudentError(f"The grader could not read `{name}`: its file is not valid JSON.") from None

    def _npy(self, name: str, file: str | None = None) -> np.ndarray:
        try:
            return np.load(self._file(name, file), allow_pickle=False)
        except (ValueError, OSError, EOFError) as exc:
            raise StudentError(f"The grader could not read the array `{name}` ({type(exc).__name__}).") from None

    def model(self, name: str) -> Any:
        """The saved Keras model ``name`` (or built by the function ``name``)."""
        if name not in self._models:
            self._models[name] = self.fresh_model(name)
        return self._models[name]

    def fresh_model(self, name: str) -> Any:
        """A new copy of the saved model ``name``, for checks that change it (training steps).

        A Sequential model saved before it was built (no Input, as the
        TensorFlow tutorials write them) is built from the ``input_shape``
        the grader's EXPORTS gives for it.
        """
        model = load_model(self._file(name), name)
        shape = self.exports.get(name, {}).get("input_shape")
        if not model.built and shape is not None:
            try:
                model.build((None, *shape))
            except Exception as exc:  # noqa: BLE001 - a model that cannot take the assignment's inputs
                raise StudentError(f"Your model `{name}` cannot take inputs of shape {tuple(shape)} "
                                   f"({one_line(exc, 200)}).") from None
        return model

    def value(self, name: str) -> Any:
        return self._json(name)

    def array(self, name: str) -> np.ndarray:
        return self._npy(name)

    def array_head(self, name: str) -> tuple[dict, np.ndarray]:
        """Whole-array statistics and the first rows of a large array."""
        stats = self.value(name)
        return stats, self._npy(name, stats.get("head_file") if isinstance(stats, dict) else None)

    def frame(self, name: str) -> Any:
        """The pandas DataFrame (or Series) ``name``, with its index, column
        names and dtypes as the notebook had them."""
        import pandas as pd

        stored = self.value(name)
        split = stored["split"]
        frame = pd.DataFrame(split["data"], index=split["index"], columns=split["columns"])
        for position, dtype in enumerate(stored["dtypes"]):  # by position: names may repeat
            frame.isetitem(position, frame.iloc[:, position].astype(dtype))
        if stored["series"]:
            return frame.iloc[:, 0].rename(stored["name"])
        return frame

    def history(self, name: str) -> dict[str, list]:
        return self.value(name)["history"]

    def histories(self, name: str) -> dict[str, dict[str, list]]:
        """A dict of histories, by model name (exported as ``histories``)."""
        return self.value(name)

    def file(self, name: str) -> tuple[str, Path]:
        """(the path ``name`` held, relative to the notebook's folder; the grader's copy of that file)."""
        info = self.value(name)
        return info["path"], self._file(name, info["copy"])

    def directory(self, name: str) -> tuple[str, list[str], dict[str, Path]]:
        """(the folder ``name`` held, relative to the notebook's folder; its
        entry names, sub-folders ending in ``/``; file name -> grader's copy,
        for the files the grader asked to copy)."""
        info = self.value(name)
        return info["path"], info["names"], {key: self._file(name, copy) for key, copy in info["copies"].items()}

    def calls(self, name: str) -> list[Any]:
        """The results of the calls of function ``name`` the grader asked for.

        Raises:
            StudentError: with the first call's error, if any call failed.
        """
        results = self.value(name)
        for result in results:
            if "error" in result:
                raise StudentError(result["error"])
        return [result["value"] for result in results]


def load_model(path: Path, name: str) -> Any:
    """Load a ``.keras`` file with ``safe_mode=True``, naming what is not built in when it fails."""
    import keras

    from tfgrader.grading import transport

    if Path(path).suffix == ".keras" and not zipfile.is_zipfile(path):
        # Keras reports such a file as "not found", which misleads.
        raise StudentError(f"The grader could not load your saved model `{name}` (the .keras file is "
                           "incomplete or damaged: it is not a zip archive). Save it again.")
    try:
        with warnings.catch_warnings():
            # Keras warns that optimizer slots created by training are not
            # restored into a fresh optimizer; the grader retrains anyway.
            warnings.filterwarnings("ignore", message="Skipping variable loading for optimizer")
            return keras.saving.load_model(path, safe_mode=True, custom_objects=transport.builtin_aliases())
    except Exception:  # noqa: BLE001 - every load failure is the student's to fix
        custom = transport.custom_parts(Path(path))
        if custom:
            raise StudentError(f"The grader cannot load your model `{name}` because it holds "
                               f"{'; and '.join(custom)}.") from None
        raise StudentError(f"The grader could not load your saved model `{name}`: it is damaged or "
                           "incomplete. Save it again, from a model made of built-in Keras layers.") from None


def root_cause(exc: BaseException) -> str:
    """The innermost cause of ``exc`` as one short line."""
    while exc.__cause__ is not None or exc.__context__ is not None:
        exc = exc.__cause__ or exc.__context__
    return one_line(exc, 240)
