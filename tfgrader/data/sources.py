"""Where a dataset file comes from: accepted digests, local folders, Keras's download.

Each file (Keras's cache layout) is taken from, in order: the ``data_dir``
argument, else ``$TFGRADER_DATA_DIR``; Keras's cache ``$KERAS_HOME/datasets``
(default ``~/.keras/datasets``); Keras's download, unless
``TFGRADER_NO_DOWNLOAD=1``. A local file whose sha256 we do not accept is
skipped. :func:`resolve` raises :class:`DatasetUnavailable`, saying what was
tried and why it failed, when no source works.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import os
import warnings
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Union

PathLike = Union[str, "os.PathLike[str]"]
ENV_DATA_DIR = "TFGRADER_DATA_DIR"
ENV_NO_DOWNLOAD = "TFGRADER_NO_DOWNLOAD"
_GCS = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
_UCI = "http://archive.ics.uci.edu/ml/machine-learning-databases/auto-mpg/"


@dataclass(frozen=True)
class _FileSpec:
    """One dataset file: path in a data folder, origin, accepted sha256s."""

    relpath: str
    origin: str
    sha256: frozenset[str]
    canonical: str | None = None  # handed to Keras's get_file; None: unknown
    gunzipped_sha256: frozenset[str] = frozenset()  # of the gzip's content


def _fashion(name: str, shared: str, gunzipped: str) -> _FileSpec:
    # Our copies come from Debian and are gzipped differently from the files
    # Keras downloads, whose gzip digests we do not know. Their *content* is
    # the official Fashion-MNIST (official md5s match), so we also accept any
    # gzip whose decompressed bytes hash like our copies' decompressed bytes.
    return _FileSpec(f"fashion-mnist/{name}", _GCS + name, frozenset({shared}),
                     gunzipped_sha256=frozenset({gunzipped}))


_MNIST = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"
_IMDB = "69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f"
# The shared word index and auto-mpg copies are byte-identical to the canonical
# files, so one digest is both "shared" and "canonical".
_WORD_INDEX = "027313fe9a320280f3bf0fac5baf58c4a683cf39a7ed9c3d3d3912bde4284cf6"
_AUTO_MPG = "48b830e11feee5572525f8f1691ddb9d38d3d7b7063edcd8fca672c2a5e17d8d"

_FILES: dict[str, _FileSpec] = {spec.relpath: spec for spec in (
    # The shared mnist.npz and imdb.npz are rebuilds (same arrays, other
    # bytes), hence two accepted digests each.
    _FileSpec("mnist.npz", _GCS + "mnist.npz", frozenset({_MNIST,
              "06af5dfe73b70e3bc1c36439982b18a8d76803db9b544f6fdf838a37fbb01b64"}),
              canonical=_MNIST),
    _fashion("train-labels-idx1-ubyte.gz",
             "0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056",
             "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9"),
    _fashion("train-images-idx3-ubyte.gz",
             "b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7",
             "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888"),
    _fashion("t10k-labels-idx1-ubyte.gz",
             "8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05",
             "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34"),
    _fashion("t10k-images-idx3-ubyte.gz",
             "cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa",
             "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b"),
    _FileSpec("imdb.npz", _GCS + "imdb.npz", frozenset({_IMDB,
              "6814c0beea01878740d178d45caaf84fa878f5f452bd5f6bb6b5e3add8655f32"}),
              canonical=_IMDB),
    _FileSpec("imdb_word_index.json", _GCS + "imdb_word_index.json",
              frozenset({_WORD_INDEX}), canonical=_WORD_INDEX),
    _FileSpec("auto-mpg.data", _UCI + "auto-mpg.data",
              frozenset({_AUTO_MPG}), canonical=_AUTO_MPG),
)}


class DatasetUnavailable(RuntimeError):
    """No source gave a verified copy of a dataset file.

    Attributes:
        relpath: The missing file, e.g. ``"mnist.npz"``.
        attempts: One line per source tried, saying why it failed.
    """

    def __init__(self, relpath: str, attempts: list[str]) -> None:
        self.relpath, self.attempts = relpath, attempts
        tried = "".join(f"\n  - {line}" for line in attempts)
        super().__init__(
            f"Dataset file '{relpath}' is unavailable. Tried:{tried}\n"
            f"To fix this, set {ENV_DATA_DIR}=/path/to/datasets (a folder laid "
            "out like Keras's cache: mnist.npz, fashion-mnist/*.gz, imdb.npz, "
            "imdb_word_index.json, auto-mpg.data), or pass data_dir=... to the "
            f"loader, or connect to the internet (with {ENV_NO_DOWNLOAD} unset) "
            "so Keras can download it.")


@functools.lru_cache(maxsize=64)
def _digest_cached(path: str, size: int, mtime_ns: int, ino: int,
                   gunzip: bool) -> str:
    # size, mtime and inode only key the cache, so that a rewritten or
    # replaced file is rehashed and an unchanged one (up to 26 MB) is not.
    digest = hashlib.sha256()
    with (gzip.open if gunzip else open)(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _digest(path: Path, gunzip: bool = False) -> str:
    st = path.stat()
    return _digest_cached(str(path.resolve()), st.st_size, st.st_mtime_ns,
                          st.st_ino, gunzip)


def _short(digests: frozenset[str]) -> str:
    return " or ".join(sorted(d[:12] for d in digests))


def _problem(path: Path, spec: _FileSpec) -> str | None:
    """Says why ``path`` cannot be used for ``spec``, or None if it can."""
    if not path.is_file():
        return "missing"
    actual = _digest(path)
    if actual in spec.sha256:
        return None
    why = f"sha256 mismatch: expected {_short(spec.sha256)}, got {actual[:12]}"
    if not spec.gunzipped_sha256:
        return why
    try:
        content = _digest(path, gunzip=True)
    except (OSError, EOFError, zlib.error) as exc:
        return f"{why}; not a readable gzip ({exc})"
    if content in spec.gunzipped_sha256:
        return None
    return (f"{why}; decompressed sha256 expected "
            f"{_short(spec.gunzipped_sha256)}, got {content[:12]}")


def keras_home() -> Path:
    # Read at call time, unlike Keras (which reads KERAS_HOME once at import),
    # so that changing it within a running process takes effect.
    return Path(os.environ.get("KERAS_HOME") or "~/.keras").expanduser()


def _local_dirs(data_dir: PathLike | None) -> list[tuple[Path, str]]:
    dirs = [(keras_home() / "datasets", "Keras cache")]
    if data_dir is not None:
        dirs.insert(0, (Path(data_dir).expanduser(), "data_dir argument"))
    elif os.environ.get(ENV_DATA_DIR):
        dirs.insert(0, (Path(os.environ[ENV_DATA_DIR]).expanduser(), ENV_DATA_DIR))
    return dirs


def _download(spec: _FileSpec) -> tuple[Path | None, str]:
    """Asks Keras to download ``spec``; returns (path, "") or (None, reason)."""
    if os.environ.get(ENV_NO_DOWNLOAD, "") not in ("", "0"):
        return None, f"download from {spec.origin}: disabled by {ENV_NO_DOWNLOAD}"
    import keras  # Imported late: it takes seconds and is rarely needed here.

    home = keras_home()
    # Any cached copy was rejected before we got here; without a digest Keras
    # would hand that same copy back, so make it fetch a fresh one.
    stale = (home / "datasets" / spec.relpath).exists()
    try:
        got = Path(keras.utils.get_file(
            PurePosixPath(spec.relpath).name, spec.origin,
            file_hash=spec.canonical, cache_dir=str(home), force_download=stale,
            cache_subdir=str(PurePosixPath("datasets", spec.relpath).parent)))
    except Exception as exc:  # get_file raises bare Exception on URL errors.
        return None, f"download from {spec.origin}: failed ({exc})"
    problem = _problem(got, spec)
    return (None, f"downloaded {got}: {problem}") if problem else (got, "")


def resolve(relpath: str, data_dir: PathLike | None = None) -> Path:
    """Finds a verified copy of ``relpath``, downloading it as a last resort."""
    spec = _FILES[relpath]
    attempts: list[str] = []
    for directory, label in _local_dirs(data_dir):
        problem = _problem(directory / relpath, spec)
        if problem is None:
            found = directory / relpath
            break
        attempts.append(f"{directory} ({label}): {relpath} {problem}")
    else:
        downloaded, problem = _download(spec)
        if downloaded is None:
            raise DatasetUnavailable(relpath, attempts + [problem])
        found = downloaded
    # A present-but-wrong file deserves a word even when another source works:
    # it usually means a truncated copy or a wrong folder.
    skipped = [a for a in attempts if not a.endswith(" missing")]
    if skipped:
        warnings.warn(f"using {found}; skipped " + "; ".join(skipped), stacklevel=3)
    return found


def describe_sources(data_dir: PathLike | None = None) -> str:
    """The folders tried, in order, then Keras's download, as one line."""
    folders = [f"{directory} ({label})" for directory, label in _local_dirs(data_dir)]
    return ", then ".join(folders + ["Keras's download"])


def verify(data_dir: PathLike) -> list[tuple[str, str]]:
    """Checks every known dataset file in one folder (Keras's cache layout).

    Args:
        data_dir: The folder to check.

    Returns:
        ``(relative path, status)`` per file; status is ``"ok"``, ``"missing"``
        or why the file would be skipped (``"sha256 mismatch: ..."``).
    """
    return [(rel, _problem(Path(data_dir) / rel, spec) or "ok")
            for rel, spec in _FILES.items()]
