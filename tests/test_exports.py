"""Tests for tfgrader.student.exports (student side) and tfgrader.grading.submission (grader side).

Everything is built from tiny synthetic objects in tmp_path: a few Dense
layers, a one-epoch fit on 8 random samples, small arrays.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from tfgrader.student.exports import HEAD_ROWS, MANIFEST, export_all  # noqa: E402
from tfgrader.grading.submission import StudentError, Submission, root_cause  # noqa: E402


def tiny_model(*layers, compiled: bool = True):
    model = keras.Sequential([keras.Input((2,)), *(layers or [keras.layers.Dense(3, activation="softmax")])])
    if compiled:
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


@pytest.fixture
def export(tmp_path):
    """Export ``{name: (kind, obj)}``; return (manifest entries, Submission)."""

    def _export(**objects):
        out = tmp_path / "exports"
        out.mkdir(exist_ok=True)
        requested = {name: kind for name, (kind, _) in objects.items() if kind}
        namespace = {name: obj for name, (_, obj) in objects.items() if obj is not MISSING}
        manifest = export_all(requested, namespace, out, tmp_path)
        assert json.loads((out / MANIFEST).read_text()) == manifest
        return manifest, Submission(out)

    return _export


MISSING = object()


def test_model_round_trip(export):
    """Does a compiled model come back from its .keras file with its weights and compile settings?"""
    model = tiny_model()
    manifest, sub = export(model=("model", model))
    assert manifest["model"] == {"kind": "model", "file": "model.keras"}
    loaded = sub.model("model")
    x = np.random.default_rng(0).normal(size=(4, 2)).astype("float32")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)
    assert loaded.compiled and loaded.get_compile_config()["loss"] == "sparse_categorical_crossentropy"
    assert sub.model("model") is loaded  # loaded once per grading process


def test_builder_is_called(export):
    """Is a "builder" function called, and the model it returns exported?"""
    calls = []

    def build_model():
        calls.append(1)
        return tiny_model(keras.layers.Dense(7))

    manifest, sub = export(build_model=("builder", build_model))
    assert calls == [1]
    assert sub.model("build_model").layers[-1].units == 7


@pytest.mark.parametrize("obj, expected", [
    (MISSING, "`thing` is not defined"),
    ({"a": 1}, "`thing` should be a Keras model, but it is a dict"),
])
def test_model_errors(export, obj, expected):
    """Does a missing name or a non-model give an error entry that the grader raises as StudentError?"""
    manifest, sub = export(thing=("model", obj))
    assert expected in manifest["thing"]["error"] and "file" not in manifest["thing"]
    with pytest.raises(StudentError, match="^" + re.escape(expected)):
        sub.model("thing")


def test_builder_errors(export):
    """Does a failing or wrong builder give a message naming the function and the problem?"""

    def build_model():
        raise ValueError("units must be positive")

    manifest, _ = export(build_model=("builder", build_model), not_callable=("builder", 3),
                         returns_none=("builder", lambda: None))
    assert manifest["build_model"]["error"] == "Calling `build_model()` raised ValueError: units must be positive"
    assert "`not_callable` should be a function" in manifest["not_callable"]["error"]
    assert manifest["returns_none"]["error"] == (
        "`returns_none()` should return a Keras model, but it returned a NoneType.")


def test_one_failure_does_not_stop_others(export):
    """Is every other name still exported when one fails?"""
    manifest, sub = export(missing=("value", MISSING), answer=("value", 42))
    assert "error" in manifest["missing"] and sub.value("answer") == 42
    with pytest.raises(StudentError, match="was not handed to the grader"):
        sub.value("never_requested")


def test_history_from_fit(export):
    """Is a real History from fit() exported with its metrics and params?"""
    rng = np.random.default_rng(0)
    model = tiny_model()
    history = model.fit(rng.normal(size=(8, 2)), rng.integers(0, 3, size=8), epochs=1, verbose=0)
    manifest, sub = export(history=("history", history))
    record = sub.history("history")
    assert set(record) == {"loss", "accuracy"}
    assert record["loss"] == pytest.approx(history.history["loss"])
    assert sub.value("history")["params"]["epochs"] == 1


def test_history_dict_with_nan(export):
    """Does a plain dict work as a history, with NaN and infinity written as null?"""
    raw = {"loss": [1.5, float("nan"), np.float32("inf")], "val_loss": [np.float64(0.25)]}
    _, sub = export(history=("history", raw), wrong=("history", [1, 2]))
    assert sub.history("history") == {"loss": [1.5, None, None], "val_loss": [0.25]}
    with pytest.raises(StudentError, match="should be the History that fit\\(\\) returned"):
        sub.history("wrong")


def test_histories_by_model_name(export):
    """Is a dict of Histories exported by name, and is a wrong entry named?"""
    rng = np.random.default_rng(0)
    fitted = tiny_model().fit(rng.normal(size=(8, 2)), rng.integers(0, 3, size=8), epochs=2, verbose=0)
    raw = {"val_loss": [0.5, float("nan")]}
    manifest, sub = export(histories=("histories", {"fitted": fitted, "raw": raw}),
                           not_dict=("histories", [fitted]), bad_entry=("histories", {"fitted": fitted, "x": 3}))
    assert sub.histories("histories") == {"fitted": {k: pytest.approx(v) for k, v in fitted.history.items()},
                                          "raw": {"val_loss": [0.5, None]}}
    with pytest.raises(StudentError, match="should be a dict from model name"):
        sub.histories("not_dict")
    with pytest.raises(StudentError, match=re.escape("`bad_entry['x']` should be the History")):
        sub.histories("bad_entry")


@pytest.mark.parametrize("obj, expected", [
    (np.float32(0.5), 0.5),
    (np.int64(7), 7),
    ([1, np.int64(2), (np.float32(0.25), "a")], [1, 2, [0.25, "a"]]),
    ({"acc": np.float64(0.9), 3: None}, {"acc": 0.9, "3": None}),
    (np.arange(3), [0, 1, 2]),
])
def test_value_plain(export, obj, expected):
    """Are NumPy scalars and containers turned into plain JSON values of the right type?"""
    _, sub = export(v=("value", obj))
    value = sub.value("v")
    assert value == expected and type(value) is type(expected)


def test_value_numpy_bool(export):
    """Is a NumPy bool (the result of a comparison) exported as a JSON boolean?"""
    _, sub = export(v=("value", np.float64(0.7) > 0.5))
    assert sub.value("v") is True


def test_value_refuses_objects(export):
    """Is a value that is not plain data refused with a message?"""
    manifest, _ = export(v=("value", object()))
    assert "a number, string, list or dict is expected" in manifest["v"]["error"]


def test_array_round_trip(export, tmp_path):
    """Does an array come back equal, with its dtype, from a pickle-free .npy file?"""
    array = np.arange(12, dtype="float32").reshape(3, 4) / 7
    _, sub = export(a=("array", array), lst=("array", [[1, 2], [3, 4]]))
    back = sub.array("a")
    assert back.dtype == np.float32 and np.array_equal(back, array)
    assert np.array_equal(sub.array("lst"), [[1, 2], [3, 4]])
    np.load(tmp_path / "exports" / "a.npy", allow_pickle=False)  # no pickle inside


@pytest.mark.parametrize("obj, expected", [
    (np.array([1, "a", None], dtype=object), "its elements are Python objects"),
    ([[1, 2], [3]], "could not be turned into a NumPy array"),
])
def test_array_refuses_objects(export, tmp_path, obj, expected):
    """Are object and ragged arrays refused before anything is written?"""
    manifest, sub = export(a=("array", obj))
    assert expected in manifest["a"]["error"]
    assert not (tmp_path / "exports" / "a.npy").exists()
    with pytest.raises(StudentError, match=expected):
        sub.array("a")


def test_array_head(export):
    """Does array_head keep whole-array statistics and only the first rows?"""
    array = np.linspace(-2, 3, (HEAD_ROWS + 200) * 2, dtype="float32").reshape(-1, 2)
    _, sub = export(x=("array_head", array))
    stats, head = sub.array_head("x")
    assert stats["shape"] == [HEAD_ROWS + 200, 2] and stats["dtype"] == "float32"
    assert stats["min"] == pytest.approx(-2) and stats["max"] == pytest.approx(3)
    assert stats["mean"] == pytest.approx(float(array.mean())) and stats["finite"] is True
    assert head.shape == (HEAD_ROWS, 2) and np.array_equal(head, array[:HEAD_ROWS])


def test_array_head_not_finite(export):
    """Does array_head report a NaN in the array as not finite?"""
    _, sub = export(x=("array_head", np.array([[1.0, np.nan]])))
    stats, _ = sub.array_head("x")
    assert stats["finite"] is False and stats["shape"] == [1, 2]


def test_lambda_layer_refused(export):
    """Is a Lambda layer refused with a message that names it and a built-in to use, not a Keras error?"""
    model = tiny_model(keras.layers.Lambda(lambda t: t * 2, name="doubling"), keras.layers.Dense(1))
    manifest, sub = export(model=("model", model))
    assert manifest["model"]["file"] == "model.keras"  # saving works; loading safely does not
    with pytest.raises(StudentError) as info:
        sub.model("model")
    message = str(info.value)
    assert message.startswith("The grader cannot load your model `model` because it holds the Lambda layer "
                              "'doubling'") and "Activation, Softmax" in message
    assert "Traceback" not in message and "\n" not in message and "deserializ" not in message
    assert info.value.__cause__ is None and info.value.__suppress_context__


class Doubling(keras.layers.Layer):  # not registered: the grading process could not know it
    def call(self, x):
        return x * 2


def test_custom_class_refused_by_name(export):
    """Is a student's own layer class refused, named, with the built-ins to use instead?"""
    manifest, sub = export(model=("model", tiny_model(Doubling(), keras.layers.Dense(1))))
    with pytest.raises(StudentError, match=r"your own class Doubling \(build the model from built-in Keras"):
        sub.model("model")


def test_tensorflow_activation_functions_cross(export):
    """Do activations given as TensorFlow or Keras functions (tf.nn.relu, tf.nn.softmax,
    keras.activations.softmax) load as the built-ins they are?"""
    import tensorflow as tf

    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation=tf.nn.relu),
                              keras.layers.Dense(3, activation=tf.nn.log_softmax),
                              keras.layers.Dense(3, activation=keras.activations.softmax),
                              keras.layers.Dense(2, activation=tf.nn.softmax)])
    manifest, sub = export(model=("model", model))
    loaded = sub.model("model")
    assert [layer.get_config()["activation"] for layer in loaded.layers] == ["relu", "log_softmax", "softmax",
                                                                             "softmax"]
    x = np.random.default_rng(0).normal(size=(5, 4)).astype("float32")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)


@pytest.fixture
def saved_model(export, tmp_path):
    export(model=("model", tiny_model()))
    return tmp_path / "exports" / "model.keras"


@pytest.mark.parametrize("damage", ["truncate", "random"])
def test_corrupted_file(saved_model, tmp_path, damage):
    """Does a damaged .keras file give a one-line StudentError?"""
    data = saved_model.read_bytes()
    if damage == "truncate":
        saved_model.write_bytes(data[: len(data) // 2])
    else:
        saved_model.write_bytes(np.random.default_rng(0).bytes(len(data)))
    with pytest.raises(StudentError) as info:
        Submission(tmp_path / "exports").model("model")
    message = str(info.value)
    assert message.startswith("The grader could not load your saved model `model` (")
    assert "Traceback" not in message and "\n" not in message


def _chain():
    try:
        try:
            raise KeyError("innermost")
        except KeyError as inner:
            raise ValueError("middle") from inner
    except ValueError:
        raise RuntimeError("outer\n  spread over\tlines")  # implicit __context__


def test_root_cause():
    """Does root_cause follow __cause__ and __context__ to the innermost error, on one short line?"""
    with pytest.raises(RuntimeError) as info:
        _chain()
    assert root_cause(info.value) == "KeyError: 'innermost'"
    assert root_cause(RuntimeError("outer\n  spread over\tlines")) == "RuntimeError: outer spread over lines"
    long = root_cause(ValueError("x" * 1000))
    assert len(long) == 240 and long.endswith("...")


def test_calls_on_literal_arguments(export):
    """Are a function's results on the grader's literal arguments exported?"""
    _, sub = export(f=({"kind": "calls", "args": [[2], [3]]}, lambda x: x * x))
    assert sub.calls("f") == [4, 9]


def test_calls_over_rows_report_the_failing_call(export):
    """Does a call that raises give a message naming the call and the error?"""
    def first_or_fail(row):
        if row[0] > 1:
            raise ValueError("too big")
        return int(row[0])

    _, sub = export(f=({"kind": "calls", "over": "x", "rows": [0, 2]}, first_or_fail),
                    x=("value", np.arange(6).reshape(3, 2)))
    with pytest.raises(StudentError, match=r"`f\(x\[2\]\)` raised ValueError: too big"):
        sub.calls("f")


def test_builder_with_arguments(export):
    """Does {"kind": "builder", "args": [...]} call the function with those notebook objects?"""
    seen = []

    def build_model(layer, units):
        seen.append((layer, units))
        return tiny_model(layer, keras.layers.Dense(units))

    dense = keras.layers.Dense(4)
    spec = {"kind": "builder", "args": ["shared", "units"]}
    manifest, sub = export(build_model=(spec, build_model), shared=(None, dense), units=(None, 2))
    assert seen == [(dense, 2)] and manifest["build_model"]["file"] == "build_model.keras"
    assert [layer.units for layer in sub.model("build_model").layers] == [4, 2]


def test_builder_with_arguments_errors(export):
    """Do a missing argument and a failing call name the call as the notebook would write it?"""
    spec = {"kind": "builder", "args": ["normalizer"]}

    def build_model(normalizer):
        raise ValueError("no good")

    manifest, _ = export(build_model=(spec, build_model), returns_none=(spec, lambda normalizer: None),
                         normalizer=(None, 1))
    assert manifest["build_model"]["error"] == "Calling `build_model(normalizer)` raised ValueError: no good"
    assert manifest["returns_none"]["error"] == (
        "`returns_none(normalizer)` should return a Keras model, but it returned a NoneType.")
    _, sub = export(build_model=(spec, build_model))  # no `normalizer` in the namespace
    with pytest.raises(StudentError, match="^`normalizer` is not defined"):
        sub.model("build_model")


def test_frame_round_trip(export):
    """Does a DataFrame come back with its index, column names, dtypes and NaNs?"""
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"MPG": [18.0, np.nan, 31.5], "Model Year": [70, 71, 82],
                          "USA": [1.0, 0.0, 0.0], "Japan": [False, True, True],
                          "name": ["ford", "toyota", None]}, index=[3, 10, 397])
    frame["Weight"] = np.array([3504.0, 2130.25, 1e-7 / 3], dtype="float32")
    _, sub = export(df=("frame", frame))
    back = sub.frame("df")
    pd.testing.assert_frame_equal(back, frame)
    assert list(back.dtypes.astype(str)) == ["float64", "int64", "float64", "bool", frame["name"].dtype.name,
                                             "float32"]


def test_frame_series_and_errors(export):
    """Does a Series come back as a Series with its name, and is a non-frame refused?"""
    pd = pytest.importorskip("pandas")
    labels = pd.Series([18.0, 15.0], index=[7, 2], name="MPG")
    unnamed = pd.Series([1, 2])
    manifest, sub = export(labels=("frame", labels), unnamed=("frame", unnamed), arr=("frame", np.zeros(3)))
    pd.testing.assert_series_equal(sub.frame("labels"), labels)
    pd.testing.assert_series_equal(sub.frame("unnamed"), unnamed)
    assert manifest["arr"]["error"] == "`arr` should be a pandas DataFrame or Series, but it is a ndarray."
    with pytest.raises(StudentError, match="should be a pandas DataFrame"):
        sub.frame("arr")


def test_file_copy_keeps_suffixes_and_path(export, tmp_path):
    """Is a file the notebook wrote copied with its suffixes, and its path kept relative to the notebook?"""
    (tmp_path / "training_1").mkdir()
    (tmp_path / "training_1" / "cp.weights.h5").write_bytes(b"weights")
    manifest, sub = export(ckpt=("file", "training_1/cp.weights.h5"),
                           absolute=("file", tmp_path / "training_1" / "cp.weights.h5"))
    shown, copy = sub.file("ckpt")
    assert shown == "training_1/cp.weights.h5" and copy.name == "ckpt.weights.h5"
    assert copy.read_bytes() == b"weights"
    assert sub.file("absolute")[0] == "training_1/cp.weights.h5"  # inside the notebook's folder: fine


def test_file_outside_the_notebook_folder_is_refused(export, tmp_path):
    """Are missing files, non-paths and paths leaving the notebook's folder (even by a link) refused?"""
    outside = tmp_path.parent / "another_student.weights.h5"
    outside.write_bytes(b"not yours")
    (tmp_path / "link.weights.h5").symlink_to(outside)
    manifest, sub = export(missing=("file", "training_1/none.weights.h5"), number=("file", 3),
                           up=("file", "../another_student.weights.h5"), absolute=("file", str(outside)),
                           link=("file", "link.weights.h5"))
    assert manifest["missing"]["error"] == ("`missing` is 'training_1/none.weights.h5', but no file exists there: "
                                            "run the cell that writes it.")
    assert manifest["number"]["error"].startswith("`number` should be a path")
    for name in ("up", "absolute", "link"):
        assert "outside this notebook's folder" in manifest[name]["error"]
        with pytest.raises(StudentError, match="outside this notebook's folder"):
            sub.file(name)
    assert not list((tmp_path / "exports").glob("*.h5"))


def test_directory_lists_names_and_copies_matching_files(export, tmp_path):
    """Does a folder come back as its entry names, with copies of the matching files only?"""
    folder = tmp_path / "training_2"
    (folder / "sub").mkdir(parents=True)
    for name in ("cp-0005.weights.h5", "cp-0010.weights.h5", "notes.txt"):
        (folder / name).write_text(name)
    (tmp_path.parent / "elsewhere.weights.h5").write_text("not yours")
    (folder / "cp-0015.weights.h5").symlink_to(tmp_path.parent / "elsewhere.weights.h5")
    manifest, sub = export(ckpts=({"kind": "directory", "copy": "*.weights.h5"}, "training_2"),
                           nothing=({"kind": "directory"}, "training_3"))
    shown, names, copies = sub.directory("ckpts")
    assert shown == "training_2" and names == ["cp-0005.weights.h5", "cp-0010.weights.h5", "cp-0015.weights.h5",
                                               "notes.txt", "sub/"]
    assert sorted(copies) == ["cp-0005.weights.h5", "cp-0010.weights.h5"]  # the link is not followed
    assert copies["cp-0010.weights.h5"].read_text() == "cp-0010.weights.h5"
    assert manifest["nothing"]["error"].endswith("but no folder exists there: run the cell that fills it.")


def test_calls_on_folders(export, tmp_path):
    """Is a function called on folders made from file names, its paths returned by name, and the folders removed?"""
    import os
    from pathlib import Path

    seen = []

    def newest_by_time(directory):
        seen.append(directory)
        names = sorted(os.listdir(directory), key=lambda n: os.path.getmtime(os.path.join(directory, n)))
        return os.path.join(directory, names[-1]) if names else None

    spec = {"kind": "calls", "dirs": [[], ["b.txt", "a.txt"], ["c.txt"]]}
    _, sub = export(newest=(spec, newest_by_time), outside=(spec, lambda d: "/elsewhere/c.txt"),
                    broken=(spec, lambda d: 1 / len(os.listdir(d))))
    assert sub.calls("newest") == [None, "<directory>/a.txt", "<directory>/c.txt"]  # times follow the listing
    assert sub.calls("outside") == ["/elsewhere/c.txt"] * 3
    with pytest.raises(StudentError, match=r"^`broken\(<an empty folder>\)` raised ZeroDivisionError"):
        sub.calls("broken")
    assert all(Path(d).parent == tmp_path / "exports" and not Path(d).exists() for d in seen)


@pytest.mark.parametrize("content, expected", [
    (b"\x93NUMPY garbage", "could not read the array `x`"),
    (b"", "could not read the array `x`"),
])
def test_damaged_npy_is_a_student_error(tmp_path, content, expected):
    """Is a damaged or empty .npy file reported to the student instead of crashing the check?"""
    (tmp_path / "x.npy").write_bytes(content)
    (tmp_path / MANIFEST).write_text(json.dumps({"x": {"kind": "array", "file": "x.npy"}}))
    with pytest.raises(StudentError, match=re.escape(expected)):
        Submission(tmp_path).array("x")


@pytest.mark.parametrize("manifest", ["[1, 2", "[]", '{"x": {"kind": "array", "file": "../x.npy"}}'])
def test_hostile_manifest_is_a_student_error(tmp_path, manifest):
    """Is a broken manifest, or one pointing outside the export folder, a message and never a read outside?"""
    (tmp_path / MANIFEST).write_text(manifest)
    (tmp_path.parent / "x.npy").write_bytes(b"")
    with pytest.raises(StudentError):
        Submission(tmp_path).array("x")


def test_unbuilt_sequential_is_built_from_the_graders_shape(tmp_path):
    """Is a Sequential model with no Input (as the tutorials write it) built from the input_shape
    the grader gives, and left alone where it gives none?"""
    def build():
        model = keras.Sequential([keras.layers.Flatten(), keras.layers.Dense(3, activation="softmax")])
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["acc"])
        return model

    exports = {"shaped": {"kind": "builder", "input_shape": [4, 2]}, "plain": "builder"}
    export_all(exports, {"shaped": build, "plain": build}, tmp_path, tmp_path)
    from tfgrader.wire import parse_exports

    sub = Submission(tmp_path, parse_exports(exports))
    shaped = sub.model("shaped")
    assert shaped.built and shaped.input_shape == (None, 4, 2) and shaped.count_params() == 27
    assert shaped.compiled and not sub.model("plain").built


def test_one_line_reduces_a_keras_layer_error_to_its_reason():
    """Is Keras's wrapped layer error (colours, tensor names, argument dump, the data) cut to the reason?"""
    from tfgrader.wire import one_line

    model = keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(), keras.layers.Dense(10)])
    wrapped = keras.Sequential([model, keras.layers.Softmax()])
    lines = []
    for call in (lambda: wrapped.predict(np.zeros((28, 28)), verbose=0), lambda: model(np.zeros((2, 27, 28)))):
        with pytest.raises(ValueError) as info:
            call()
        lines.append(one_line(info.value))
        for noise in ("Exception encountered", "Arguments received", "keras_tensor", "\x1b", "0. 0.", "Tensor("):
            assert noise not in lines[-1]
    assert lines[0] == ("ValueError: Invalid input shape. Expected shape (None, 28, 28), but input has "
                        "incompatible shape (28, 28)")
    assert lines[1].startswith("ValueError: Input 0") and "(2, 756)" in lines[1]
    assert one_line(ValueError("plain\n  words")) == "ValueError: plain words"


@pytest.mark.parametrize("units, loss, reason", [
    # TensorFlow words the first one by the kernel it picks ("Received a label value of 9 which is
    # outside the valid range of [0, 9)", or "indices[3] = 9 is not in [0, 9)"): the reason, either way.
    (9, "sparse_categorical_crossentropy", "[0, 9)"),
    (10, "mean_squared_error", "Dimensions must be equal, but are 4 and 10"),
])
def test_one_line_cuts_tensorflow_graph_errors_to_the_reason(units, loss, reason):
    """Does a training error from TensorFlow's graph name its reason without the machine's paths or op names?"""
    from tfgrader.wire import one_line

    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(units, activation="softmax")])
    model.compile("adam", loss)
    with pytest.raises(Exception) as info:
        model.fit(np.zeros((4, 3)), np.array([0, 1, 2, 9]), batch_size=4, epochs=1, verbose=0)
    assert "File " in str(info.value) or "{{node" in str(info.value)
    line = one_line(info.value)
    assert line.startswith(f"{type(info.value).__name__}: ") and reason in line
    for noise in ("File ", "site-packages", "{{node", "[Op:", "Label values", "Graph execution error"):
        assert noise not in line, line
