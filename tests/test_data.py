"""Tests for tfgrader.data: real facts about the datasets, and every fallback.

The positive tests read the real files from $TFGRADER_DATA_DIR, else from
../shared/datasets next to the project; failure tests build small files under
tmp_path and never touch the network or the real ~/.keras.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from tfgrader import data


def _real_data_dir() -> Path | None:
    if os.environ.get("TFGRADER_DATA_DIR"):
        return Path(os.environ["TFGRADER_DATA_DIR"])
    default = Path(__file__).parents[1].parent / "shared" / "datasets"
    return default if default.is_dir() else None


# Read once at import, before the autouse fixture clears the variable.
REAL_DIR = _real_data_dir()
AUTO_MPG_SHA256 = "48b830e11feee5572525f8f1691ddb9d38d3d7b7063edcd8fca672c2a5e17d8d"
LABELS = "fashion-mnist/train-labels-idx1-ubyte.gz"


@pytest.fixture(autouse=True)
def hermetic(monkeypatch, tmp_path):
    """No download, an empty Keras home, no data dir unless a test sets one."""
    monkeypatch.setenv("TFGRADER_NO_DOWNLOAD", "1")
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    monkeypatch.delenv("TFGRADER_DATA_DIR", raising=False)


@pytest.fixture(scope="session")
def real_dir() -> Path:
    if REAL_DIR is None:
        pytest.skip("real datasets not found: set TFGRADER_DATA_DIR=/path/to/"
                    "datasets (Keras cache layout) or provide ../shared/datasets")
    return REAL_DIR


@pytest.fixture(scope="module")
def imdb_10k(real_dir):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TFGRADER_NO_DOWNLOAD", "1")
        return data.imdb(num_words=10000, data_dir=real_dir)


@pytest.fixture
def empty_dir(tmp_path) -> Path:
    path = tmp_path / "data"
    path.mkdir()
    return path


def _keras_cache(tmp_path: Path) -> Path:
    cache = tmp_path / "keras_home" / "datasets"
    cache.mkdir(parents=True, exist_ok=True)
    return cache


# --- Real data ---------------------------------------------------------------

def test_mnist_shapes_and_counts(real_dir):
    """Does MNIST come back as Keras returns it, with the known label counts?"""
    (x_train, y_train), (x_test, y_test) = data.mnist(data_dir=real_dir)
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert x_train.dtype == y_train.dtype == np.uint8
    assert y_test.shape == (10000,)
    counts = np.bincount(y_train)
    assert counts[0] == 5923 and counts[1] == 6742 and counts.sum() == 60000


def test_fashion_mnist_balanced(real_dir):
    """Does Fashion-MNIST have 6000 items per class in train and 1000 in test?"""
    (x_train, y_train), (x_test, y_test) = data.fashion_mnist(data_dir=real_dir)
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert x_train.dtype == np.uint8
    assert (np.bincount(y_train) == 6000).all() and len(np.bincount(y_train)) == 10
    assert (np.bincount(y_test) == 1000).all() and len(np.bincount(y_test)) == 10


def test_imdb_known_facts(imdb_10k):
    """Does IMDB come back shuffled and offset exactly as Keras returns it?"""
    (x_train, y_train), (x_test, y_test) = imdb_10k
    assert len(x_train) == len(x_test) == 25000
    assert list(y_train[:10]) == [1, 0, 0, 1, 0, 0, 1, 0, 1, 0]
    assert len(x_train[0]) == 218 and len(x_train[1]) == 189
    assert max(max(seq) for seq in x_train) <= 9999
    assert max(max(seq) for seq in x_test) <= 9999


def test_imdb_decodes_with_word_index(imdb_10k, real_dir):
    """Does the first review decode to the well-known text via the word index?"""
    word_index = data.imdb_word_index(data_dir=real_dir)
    assert len(word_index) == 88584
    reverse = {rank + 3: word for word, rank in word_index.items()}
    reverse.update({0: "<PAD>", 1: "<START>", 2: "<UNK>", 3: "<UNUSED>"})
    text = " ".join(reverse[i] for i in imdb_10k[0][0][0])
    assert text.startswith("<START> this film was just brilliant casting "
                           "location scenery story direction")


def test_imdb_refuses_keras_path(real_dir):
    """Is Keras's path= refused rather than silently ignored?"""
    with pytest.raises(TypeError, match="data_dir"):
        data.imdb(data_dir=real_dir, path="imdb.npz")


def test_auto_mpg_as_tutorial_reads_it(real_dir):
    """Does Auto MPG have 398 rows, 6 missing horsepower and the tutorial's columns?"""
    df = data.auto_mpg(data_dir=real_dir)
    assert list(df.columns) == ["MPG", "Cylinders", "Displacement", "Horsepower",
                                "Weight", "Acceleration", "Model Year", "Origin"]
    assert len(df) == 398 and df["Horsepower"].isna().sum() == 6


def test_verify_real_dir_all_ok(real_dir):
    """Does verify() accept every file in the real data folder?"""
    report = dict(data.verify(real_dir))
    assert len(report) == 8 and set(report.values()) == {"ok"}


# --- Sources and failures ----------------------------------------------------

def test_corrupt_file_skipped_with_message(empty_dir, tmp_path):
    """Does a corrupt file get skipped, with a message naming folder and hashes?"""
    (empty_dir / "auto-mpg.data").write_bytes(b"not the auto-mpg data\n")
    with pytest.raises(data.DatasetUnavailable) as info:
        data.auto_mpg(data_dir=empty_dir)
    message = str(info.value)
    actual = hashlib.sha256(b"not the auto-mpg data\n").hexdigest()
    assert str(empty_dir) in message and "sha256 mismatch" in message
    assert AUTO_MPG_SHA256[:12] in message and actual[:12] in message
    assert "TFGRADER_DATA_DIR" in message and "data_dir=" in message
    assert str(tmp_path / "keras_home" / "datasets") in message
    assert "disabled by TFGRADER_NO_DOWNLOAD" in message


def test_missing_everywhere_says_what_to_do(empty_dir):
    """When no source has the file, does the message list each try and the fix?"""
    with pytest.raises(data.DatasetUnavailable) as info:
        data.mnist(data_dir=empty_dir)
    assert info.value.relpath == "mnist.npz"
    assert len(info.value.attempts) == 3  # data_dir, Keras cache, download
    message = str(info.value)
    assert f"{empty_dir} (data_dir argument): mnist.npz missing" in message
    assert "storage.googleapis.com" in message
    assert "set TFGRADER_DATA_DIR=" in message and "connect to the internet" in message


def test_keras_cache_used(empty_dir, tmp_path, real_dir):
    """Is a valid copy in $KERAS_HOME/datasets used when data_dir has none?"""
    shutil.copy(real_dir / "auto-mpg.data", _keras_cache(tmp_path))
    assert len(data.auto_mpg(data_dir=empty_dir)) == 398


def test_corrupt_data_dir_falls_back_with_warning(empty_dir, tmp_path, real_dir):
    """Does a corrupt copy lose to a valid cached one, with a warning about it?"""
    (empty_dir / "auto-mpg.data").write_bytes(b"garbage")
    shutil.copy(real_dir / "auto-mpg.data", _keras_cache(tmp_path))
    with pytest.warns(UserWarning, match="sha256 mismatch"):
        assert len(data.auto_mpg(data_dir=empty_dir)) == 398


def test_env_var_honoured(empty_dir, monkeypatch, real_dir):
    """Is TFGRADER_DATA_DIR used when no data_dir is passed?"""
    shutil.copy(real_dir / "auto-mpg.data", empty_dir)
    monkeypatch.setenv("TFGRADER_DATA_DIR", str(empty_dir))
    assert len(data.auto_mpg()) == 398
    (empty_dir / "auto-mpg.data").unlink()
    with pytest.raises(data.DatasetUnavailable, match=r"\(TFGRADER_DATA_DIR\)"):
        data.auto_mpg()


def test_data_dir_beats_env_var(empty_dir, monkeypatch, real_dir):
    """Does an explicit data_dir replace TFGRADER_DATA_DIR rather than add to it?"""
    monkeypatch.setenv("TFGRADER_DATA_DIR", str(real_dir))
    with pytest.raises(data.DatasetUnavailable) as info:
        data.auto_mpg(data_dir=empty_dir)
    assert str(empty_dir) in str(info.value)
    assert str(real_dir) not in str(info.value)


def test_regzipped_fashion_file_accepted(empty_dir, real_dir):
    """Is a fashion .gz with other gzip bytes but the same content accepted?"""
    content = gzip.decompress((real_dir / LABELS).read_bytes())
    (empty_dir / "fashion-mnist").mkdir()
    (empty_dir / LABELS).write_bytes(gzip.compress(content, 1, mtime=0))
    assert (empty_dir / LABELS).read_bytes() != (real_dir / LABELS).read_bytes()
    for name in ("train-images-idx3", "t10k-labels-idx1", "t10k-images-idx3"):
        rel = f"fashion-mnist/{name}-ubyte.gz"
        (empty_dir / rel).symlink_to(real_dir / rel)
    assert dict(data.verify(empty_dir))[LABELS] == "ok"
    (_, y_train), _ = data.fashion_mnist(data_dir=empty_dir)
    assert (np.bincount(y_train) == 6000).all()


def test_fashion_wrong_content_rejected(empty_dir):
    """Is a fashion .gz with other content, or not gzip at all, rejected?"""
    (empty_dir / "fashion-mnist").mkdir()
    (empty_dir / LABELS).write_bytes(gzip.compress(b"\0" * 100))
    assert "decompressed sha256" in dict(data.verify(empty_dir))[LABELS]
    (empty_dir / LABELS).write_bytes(b"plain bytes, no gzip here")
    assert "not a readable gzip" in dict(data.verify(empty_dir))[LABELS]


def test_rewritten_file_rehashed(empty_dir, real_dir):
    """Does the in-process hash cache notice a file being rewritten?"""
    target = empty_dir / "auto-mpg.data"
    shutil.copy(real_dir / "auto-mpg.data", target)
    assert dict(data.verify(empty_dir))["auto-mpg.data"] == "ok"
    target.write_bytes(b"truncated")
    assert "sha256 mismatch" in dict(data.verify(empty_dir))["auto-mpg.data"]
    shutil.copy(real_dir / "auto-mpg.data", target)
    assert dict(data.verify(empty_dir))["auto-mpg.data"] == "ok"


def test_download_failure_reported(empty_dir, monkeypatch):
    """Is a failed Keras download reported in the message (no real network)?"""
    keras = pytest.importorskip("keras")
    calls = []

    def failing_get_file(fname, origin, **kwargs):
        calls.append((fname, origin, kwargs))
        raise Exception(f"URL fetch failure on {origin}: None -- offline")

    monkeypatch.delenv("TFGRADER_NO_DOWNLOAD")
    monkeypatch.setattr(keras.utils, "get_file", failing_get_file)
    with pytest.raises(data.DatasetUnavailable, match="failed .URL fetch failure"):
        data.mnist(data_dir=empty_dir)
    (fname, origin, kwargs), = calls
    assert fname == "mnist.npz" and origin.endswith("tf-keras-datasets/mnist.npz")
    assert kwargs["file_hash"].startswith("731c5ac6")
    assert kwargs["cache_subdir"] == "datasets"


def test_download_replaces_rejected_fashion_cache(empty_dir, tmp_path, real_dir,
                                                   monkeypatch):
    """Is a rejected cached fashion file re-downloaded into fashion-mnist/?"""
    keras = pytest.importorskip("keras")
    cached = _keras_cache(tmp_path) / LABELS
    cached.parent.mkdir()
    cached.write_bytes(b"stale")

    def fake_get_file(fname, origin, cache_subdir, cache_dir, force_download,
                      **kwargs):
        assert (fname, cache_subdir, force_download) == (
            "train-labels-idx1-ubyte.gz", "datasets/fashion-mnist", True)
        target = Path(cache_dir) / cache_subdir / fname
        shutil.copy(real_dir / LABELS, target)
        return str(target)

    monkeypatch.delenv("TFGRADER_NO_DOWNLOAD")
    monkeypatch.setattr(keras.utils, "get_file", fake_get_file)
    with pytest.warns(UserWarning, match="skipped"):
        assert data._resolve(LABELS, empty_dir) == cached
