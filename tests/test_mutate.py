"""tfgrader mutate: the operators and rewrites on small snippets, the choice of
mutants, the equivalents file, saving a sample, and the whole command on the
tiny course (graded, then resumed). One real assignment's full run is in the
full test run only."""

import json
import shutil

import libcst as cst
import pytest

from conftest import TINY, WORKERS
from tfgrader.instructor.authoring import mutate, samples
from tfgrader.instructor.authoring.mutate import operators, report, rewrites, run
from tfgrader.instructor.authoring.mutate.syntax import edited
from tfgrader.instructor.cli import main

MODEL = '''def build_model():
    model = keras.Sequential([
        keras.Input(shape=(28, 28)),
        keras.layers.Flatten(),
        keras.layers.Dense(512, activation="relu"),
        keras.layers.Dropout(0.2),
        keras.layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model
'''
FUNCTIONAL = '''inputs = keras.Input(shape=(28, 28))
x = keras.layers.Flatten()(inputs)
x = keras.layers.Dense(512, activation="relu")(x)
outputs = keras.layers.Dense(10, activation="softmax")(x)
model = keras.Model(inputs, outputs)
'''
TRAINING = '''x_train, x_test = x_train / 255.0, x_test / 255.0
model.fit(x_train[:1000], y_train[:1000], epochs=EPOCHS, callbacks=[checkpoint])
model.save("model.keras")
normalizer.adapt(np.array(train_features))
dataset = raw.dropna()
dummies = pd.get_dummies(dataset, dtype=float)
layer = keras.layers.Dense(16, kernel_regularizer=keras.regularizers.l2(0.001))
logits_loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
optimizer = keras.optimizers.Adam(learning_rate=0.1)
path = "training/cp-{epoch:04d}.weights.h5"
'''
NAMES = frozenset({"x_train", "x_test", "y_train", "y_test", "train_features", "test_features"})


def made(operator, source: str, names=NAMES) -> dict[str, str]:
    """detail -> the edited source, for each edit ``operator`` makes in ``source``."""
    tree = cst.parse_module(source)
    return {edit.detail: edited(tree, edit) for edit in operator(tree, names)}


def changed_lines(before: str, after: str) -> list[str]:
    return [line.strip() for line in after.splitlines() if line not in before.splitlines()]


# ---------------------------------------------------------------- mutation operators, one edit each

@pytest.mark.parametrize("name, expected", [
    ("activation", {"relu -> sigmoid": ['keras.layers.Dense(512, activation="sigmoid"),'],
                    "softmax -> none": ["keras.layers.Dense(10),"]}),
    ("units", {"Dense(512) -> Dense(256)": ['keras.layers.Dense(256, activation="relu"),'],
               "Dense(10) -> Dense(11)": ['keras.layers.Dense(11, activation="softmax"),']}),
    ("delete_layer", {"keras.layers.Dropout(0.2) left out": []}),
    ("duplicate_layer", {'keras.layers.Dense(512, activation="relu") twice': []}),
    ("dropout_rate", {"Dropout(0.2) -> Dropout(0.9)": ["keras.layers.Dropout(0.9),"]}),
    ("loss", {"loss sparse_categorical_crossentropy -> mean_absolute_error": [
        'model.compile(optimizer="adam", loss="mean_absolute_error", metrics=["accuracy"])']}),
    ("optimizer", {"optimizer adam -> sgd": [
        'model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])']}),
    ("learning_rate", {"learning_rate 0.001 -> 0.1": [
        'model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.1), '
        'loss="sparse_categorical_crossentropy", metrics=["accuracy"])']}),
    ("metrics", {"no metrics": ['model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")']}),
])
def test_layer_and_compile_operators(name, expected):
    found = made(operators.MUTATIONS[name][1], MODEL)
    for detail, lines in expected.items():
        assert detail in found, sorted(found)
        if lines:
            assert changed_lines(MODEL, found[detail]) == lines
    compile(found[detail], name, "exec")


def test_layer_operators_count_and_shape():
    deleted = made(operators.delete_layer, MODEL)
    assert len(deleted) == 4, "every layer but the Input"
    assert all(text.count("keras.layers.") == 3 for text in deleted.values())
    doubled = made(operators.duplicate_layer, MODEL)
    assert list(doubled.values())[0].count("Dense(512") == 2
    # functional chains: a step x = Layer(x) left out (a step that names a new tensor cannot be), or written twice
    assert list(made(operators.delete_layer, FUNCTIONAL)) == ['keras.layers.Dense(512, activation="relu") left out']
    assert list(made(operators.duplicate_layer, FUNCTIONAL).values())[0].count("Dense(512") == 2


@pytest.mark.parametrize("name, detail, line", [
    ("scaling", "x_train / 255.0 -> x_train", "x_train, x_test = x_train, x_test / 255.0"),
    ("scaling", "x_train / 255.0 -> / 127.5", "x_train, x_test = x_train / 127.5, x_test / 255.0"),
    ("train_test_swap", "fit(): x_train -> x_test, y_train -> y_test",
     "model.fit(x_test[:1000], y_test[:1000], epochs=EPOCHS, callbacks=[checkpoint])"),
    ("slice_off_by_one", "x_train[:1000]: 1000 -> 999",
     "model.fit(x_train[:999], y_train[:1000], epochs=EPOCHS, callbacks=[checkpoint])"),
    ("shuffle_labels", "fit() on shuffled y_train[:1000]",
     "model.fit(x_train[:1000], __import__('numpy').random.default_rng(0).permutation(y_train[:1000]), "
     "epochs=EPOCHS, callbacks=[checkpoint])"),
    ("adapt_split", "adapt(): train_features -> test_features", "normalizer.adapt(np.array(test_features))"),
    ("dropna", "dropna() left out", "dataset = raw"),
    ("dtype", "dtype=float -> bool", "dummies = pd.get_dummies(dataset, dtype=bool)"),
    ("epochs", "epochs=EPOCHS -> 0", "model.fit(x_train[:1000], y_train[:1000], epochs=0, callbacks=[checkpoint])"),
    ("callback", "callback checkpoint left out", "model.fit(x_train[:1000], y_train[:1000], epochs=EPOCHS, callbacks=[])"),
    ("regularizer", "l2(0.001) -> l2(0)", "layer = keras.layers.Dense(16, kernel_regularizer=keras.regularizers.l2(0.0))"),
    ("regularizer", "l2(0.001) -> l2(0.1)", "layer = keras.layers.Dense(16, kernel_regularizer=keras.regularizers.l2(0.1))"),
    ("from_logits", "from_logits=False", "logits_loss = keras.losses.SparseCategoricalCrossentropy(from_logits=False)"),
    ("learning_rate", "learning_rate 0.1 -> 10", "optimizer = keras.optimizers.Adam(learning_rate=10.0)"),
    ("checkpoint_pattern", "'training/cp-{epoch:04d}.weights.h5' -> 'training/cp.weights.h5'",
     'path = "training/cp.weights.h5"'),
])
def test_data_and_training_operators(name, detail, line):
    found = made(operators.MUTATIONS[name][1], TRAINING)
    assert detail in found, sorted(found)
    assert changed_lines(TRAINING, found[detail]) == [line]


def test_save_order_moves_the_save_across_fit():
    found = made(operators.save_order, TRAINING)
    (detail, text), = found.items()
    assert detail == 'model.save("model.keras") moved before fit()'
    lines = text.splitlines()
    assert lines.index('model.save("model.keras")') < lines.index(next(x for x in lines if x.startswith("model.fit")))


def test_swaps_need_the_other_split_to_exist():
    """Only names the notebook has: ``partial_x_train`` has no test twin, so nothing is made."""
    assert made(operators.train_test_swap, "model.fit(partial_x_train, partial_y_train)\n",
                frozenset({"partial_x_train"})) == {}


def test_re_compile_is_not_keras_compile():
    assert made(operators.optimizer, 'pattern = re.compile(r"^cp-(\\d+)$")\n') == {}


# ---------------------------------------------------------------- valid rewrites

def test_rewrites_of_a_sequential_model():
    found = made(lambda tree, names: (e for _, (_, r) in rewrites.REWRITES.items() for e in r(tree, names)), MODEL)
    for detail, text in found.items():
        compile(text, detail, "exec")
    assert changed_lines(MODEL, found['relu as Activation("relu")']) == [
        "keras.layers.Dense(512),", 'keras.layers.Activation("relu"),']
    assert changed_lines(MODEL, found["softmax as Softmax()"]) == ["keras.layers.Dense(10),", "keras.layers.Softmax(),"]
    assert "keras.Model(inputs, outputs)" in found["Sequential written as functional"]
    assert "keras.Input" not in found["no Input layer"]
    logits = found["softmax output as logits, from_logits=True"]
    assert "SparseCategoricalCrossentropy(from_logits=True)" in logits and 'activation="softmax"' not in logits
    assert 'metrics=["acc"]' in found["short names: acc"]
    assert "SparseCategoricalAccuracy(name=\"accuracy\")" in found["metrics as objects or strings"]
    assert "activation=keras.activations.relu" in found["activations as keras.activations functions"]
    assert found["tf.keras"].count("tf.keras.") == 6 and "import tensorflow as tf" in found["tf.keras"]
    assert "from tensorflow import keras" in found["from tensorflow import keras"]
    assert "name=\"dense_2\"" in found["4 layers named"]


def test_functional_to_sequential_and_back():
    (text,) = made(rewrites.functional_to_sequential, FUNCTIONAL).values()
    assert text.strip() == ('model = keras.Sequential([keras.Input(shape=(28, 28)), keras.layers.Flatten(), '
                            'keras.layers.Dense(512, activation="relu"), keras.layers.Dense(10, activation="softmax")])')


def test_binary_logits_keep_their_metrics_meaning():
    source = '''model = keras.Sequential([keras.layers.Dense(16, activation="relu"), keras.layers.Dense(1, activation="sigmoid")])
model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy", "binary_crossentropy"])
'''
    (text,) = made(rewrites.logits, source).values()
    assert 'keras.metrics.BinaryAccuracy(name="accuracy", threshold=0.0)' in text
    assert 'keras.metrics.BinaryCrossentropy(name="binary_crossentropy", from_logits=True)' in text
    assert "BinaryCrossentropy(from_logits=True)" in text and 'activation="sigmoid"' not in text


# ---------------------------------------------------------------- the engine

def test_edits_stay_inside_the_solution_region(tmp_path):
    """Code the release gives (outside the markers) is never mutated; the course's own operators and
    rewrites are used; names are stable from one listing to the next."""
    course = shutil.copytree(TINY, tmp_path / "course")
    notebook = course / "source" / "tiny" / "tiny.ipynb"
    data = json.loads(notebook.read_text())
    setup = next(c for c in data["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id") == "notes")
    setup["source"] = ['notes_path = "notes.txt" if 6 * 7 else None\n'] + setup["source"][1:]
    notebook.write_text(json.dumps(data))
    found = mutate.candidates(course, "tiny")
    assert {m.name for m in found} == {"m_answer_product_1", "m_answer_product_2", "m_notes_note_1",
                                       "m_notes_note_2", "r_answer_literal_answer_1"}
    assert all("6 * 7 else" in m.after for m in found if m.cell == "notes")
    assert [m.name for m in mutate.candidates(course, "tiny")] == [m.name for m in found]


def test_choose_spreads_over_operators_and_is_stable():
    def mutant(op, i):
        return mutate.Mutant(f"m_{op}_{i}", mutate.MUTANT, op, "g", "c", "", "", "")
    found = [mutant(op, i) for op in ("a", "b", "c") for i in range(5)]
    chosen = mutate.choose(found, mutate.MUTANT, 6, "seed")
    assert sorted(m.operator for m in chosen) == ["a", "a", "b", "b", "c", "c"]
    assert chosen == mutate.choose(list(found), mutate.MUTANT, 6, "seed")
    assert len(mutate.choose(found, mutate.MUTANT, None, "seed")) == 15


def test_a_mutant_as_a_sample_is_its_smallest_edit():
    before = "a = 1\nb = 2\nc = 3\nb = 2\n"
    mutant = mutate.Mutant("m", mutate.MUTANT, "op", "g", "cell", "b", before, "a = 1\nb = 5\nc = 3\nb = 2\n")
    (cell, old, new), = mutant.sample(frozenset({"x"})).edits
    assert (cell, old, new) == ("cell", "a = 1\nb = 2\nc = 3\n", "a = 1\nb = 5\nc = 3\n"), \
        "widened until the old text is unique"
    assert before.replace(old, new) == mutant.after


def test_equivalents_need_a_reason(tmp_path):
    course = shutil.copytree(TINY, tmp_path / "course")
    assert mutate.equivalents(course, "tiny") == {
        "m_answer_product_2": "7 * 6 is 42 too: the order of the factors is the student's choice"}
    (course / "graders" / "equivalent_tiny.toml").write_text('[[equivalent]]\nmutant = "m_answer_product_2"\n')
    with pytest.raises(ValueError, match="needs a mutant and a reason"):
        mutate.equivalents(course, "tiny")


def test_mutate_the_tiny_course_end_to_end_and_resume(tmp_path, capsys):
    """Graded through nbgrader: 2 killed, the append-mode note survives, 7 * 6 is the recorded equivalent,
    the literal answer is a kept rewrite. A second run grades nothing again and saves a sample."""
    course = shutil.copytree(TINY, tmp_path / "course")
    argv = ["--course", str(course), "mutate", "tiny", "--workers", str(WORKERS)]
    assert main(argv) == 1, "a survivor that is not recorded fails the command"
    first = capsys.readouterr()
    data = json.loads((course / "reports" / "tiny" / "mutation.json").read_text())
    assert data["reference"]["lost"] == {}
    assert {k: data["mutants"][k] for k in ("total", "killed", "survived", "broken", "timeout", "equivalent")} == {
        "total": 4, "killed": 2, "survived": 1, "broken": 0, "timeout": 0, "equivalent": 1}
    assert data["mutants"]["score"] == pytest.approx(2 / 3)
    assert data["rewrites"] == {"total": 1, "false_rejections": 0, "broken": 0,
                                "by_class": {"the value written out": {"kept": 1, "false_rejections": 0}},
                                "by_check": {}}
    outcomes = {g["name"]: (g["outcome"], sorted(g["lost"])) for g in data["graded"]}
    assert outcomes == {"m_answer_product_1": ("killed", ["answer"]), "m_answer_product_2": ("equivalent", []),
                        "m_notes_note_1": ("survived", []), "m_notes_note_2": ("killed", ["notes"]),
                        "r_answer_literal_answer_1": ("kept", [])}
    assert data["by_check"] == {"answer": {"kills": 1, "alone": 1}, "notes": {"kills": 1, "alone": 1}}
    assert 'SURVIVED: m_notes_note_1 (file opened to append)' in first.out
    assert '+with open(notes_path, "a") as f:' in first.out
    page = (course / "reports" / "tiny" / "mutation.html").read_text()
    assert "Mutation score 67%" in page and "m_notes_note_1" in page

    with (course / "graders" / "equivalent_tiny.toml").open("a") as recorded:
        recorded.write('[[equivalent]]\nmutant = "m_answer_gone_1"\nreason = "an operator since removed"\n'
                       '[[accepted]]\nmutant = "m_notes_note_1"\nreason = "the file is new: appending writes it"\n')
    assert main(argv + ["--save-sample", "m_notes_note_2"]) == 0, "every survivor is recorded now"
    second = capsys.readouterr()
    assert "names mutants the operators no longer make: m_answer_gone_1" in second.err
    assert "SURVIVED, accepted (the file is new: appending writes it): m_notes_note_1" in second.out
    assert second.err.count("unchanged, skipped") == 6, second.err
    assert json.loads((course / "reports" / "tiny" / "mutation.json").read_text())["mutants"] == {
        **data["mutants"], "accepted": 1}, "still a survivor, in the score too"
    saved = samples.samples(course, "tiny")[-1]
    assert (saved.name, saved.loses) == ("m_notes_note_2", frozenset({"notes"}))
    reference = samples.reference(run.workdir(course, "tiny"), "tiny")
    assert '"Hello"' in samples.apply(reference, saved).cells[3].source


@pytest.mark.full
def test_mutate_a_real_assignment(course, datasets_available, tmp_path):
    """One real assignment's whole mutation run: the reference keeps its points, no valid rewrite is refused,
    and the graders kill at least 90% of the mutants that are not recorded as equivalent."""
    assignment = "01-keras-overview"
    found = mutate.candidates(course, assignment)
    chosen = mutate.choose(found, mutate.MUTANT, 30, assignment) + mutate.choose(found, mutate.REWRITE, 12, assignment)
    reference, graded = run.grade(course, assignment, chosen, tmp_path / "mutation", WORKERS)
    data = report.summary(assignment, reference, graded, report.covered_sets(course, assignment), 0.0)
    assert reference.lost == {}
    assert data["rewrites"]["false_rejections"] == 0, report.text(data)
    assert data["mutants"]["survived"] == 0 or data["mutants"]["score"] >= 0.9, report.text(data)
    assert data["mutants"]["killed"] + data["mutants"]["survived"] >= 25



def test_an_appended_sample_takes_no_comment_along():
    """A saved sample is appended after the last one, indented like it, without the comments written above it."""
    from tfgrader.instructor.authoring.mutate.syntax import with_element_after

    module = cst.parse_module("SAMPLES = [\n    # the first\n    one,\n    # an accepted variant\n    two,\n]\n")
    listed = module.body[0].body[0].value
    appended = module.deep_replace(listed, with_element_after(listed, listed.elements[-1], cst.Name("three")))
    assert appended.code == ("SAMPLES = [\n    # the first\n    one,\n    # an accepted variant\n    two,\n"
                             "    three,\n]\n")


def test_float_dtypes_keep_the_values():
    source = 'x_train = x_train / 255.0\nresults = np.zeros((n, d), dtype="float32")\ndummies = pd.get_dummies(d, dtype=float)\n'
    found = made(rewrites.float_dtypes, source)
    assert changed_lines(source, found["scaled to float32"]) == ['x_train = x_train.astype("float32") / 255.0']
    assert changed_lines(source, found["dtype \"float32\" -> 'float64'"]) == [
        'results = np.zeros((n, d), dtype="float64")']
    assert changed_lines(source, found["dtype float -> 'float32'"]) == ['dummies = pd.get_dummies(d, dtype="float32")']
