"""Hidden graders for 05-overfit_and_underfit (IMDB, multi-hot).

Run by :mod:`tfgrader.grading` in a clean process against the files the
notebook exported (see EXPORTS). One test per rubric item, points beside it.
The (25000, 10000) multi-hot arrays never cross: the grader gets
``multi_hot_sequences``'s output on crafted sequences, the first rows of
``train_data`` and ``test_data`` with whole-array statistics, the five
builders' models and the recorded ``histories``.

The effect checks are the grader's own brief training on a fixed real
subset: the first 2,000 training reviews, validated on the first 2,000 test
reviews, multi-hot over 10,000 words, batches of 256, seed 0, with a binary
cross-entropy metric compiled by the grader (the ``loss`` of an L2 model
holds its penalty too, which would flatter its gap). Each regularized model
is paired with the same model stripped of its regularization (no weight
penalties, Dropout rates 0): both start from the same seeded weights and see
the same batches in the same order, so what differs between their curves is
the regularizer alone, and a mistake in ``build_baseline`` costs the sizes
check only. For a correct submission the stripped model is the baseline.

How the thresholds were chosen, measured on 2 CPU cores with seeds 0, 1, 2
(about 2 s per 10-epoch run of a 16-16-1 model, 1.3 s per epoch of the
512-512-1 one; the whole grader takes about 20 s on an idle machine, the
unregularized run being trained once for the three effect checks):
- l2_effect: after 10 epochs the Dense kernels' total norm with L2(0.001)
  was 0.756/0.750/0.748 of the unregularized twin's (15 epochs: 0.676/
  0.685/0.670). With a factor of 0 the two runs are the same: ratio 1.
  Threshold 0.85: 0.094 above the reference, 0.15 below the mutant. The gap
  between validation and training cross-entropy narrows only a little
  (0.318 to 0.300, 0.302 to 0.284, 0.296 to 0.281) but in every seed, so it
  must also be no wider than the twin's.
- dropout_effect: the final gap went from 0.318/0.302/0.296 to 0.074/0.024/
  0.034 with Dropout(0.5): ratios 0.23/0.08/0.12. A rate of 0 repeats the
  twin's run, ratio 1. Threshold 0.6: 0.37 above the reference, 0.4 below
  the mutant.
- capacity_effect: over 6 epochs the baseline's validation cross-entropy is
  still falling (lowest after epoch 6; over 15 epochs, after epoch 8 or 9),
  while the 512-512 model's is lowest after epoch 1, 2 and 2 and then
  climbs (0.37-0.40 to 0.70-0.85 by epoch 6). The bigger model must reach
  its lowest point strictly before the baseline does. A "bigger" model of
  the baseline's size repeats the baseline's run: the same epoch, so it fails.
- histories: in the notebook's own run (autograde mode: the first 1,000
  training and 1,000 test reviews, 10 epochs, each model built right after
  the same seed) the bigger model's validation cross-entropy was lowest
  after epoch 3 and the baseline's after epoch 10; the final gaps were 0.267
  (baseline), 0.263 (L2) and 0.046 (dropout). Three unseeded runs, as the
  tutorial trains: bigger lowest after epoch 3, 3, 2 against the baseline's
  10, 10, 10; dropout's gap 0.038, 0.035, 0.049 against the baseline's 0.275,
  0.266, 0.221 (at most a fifth of it). So this check holds only what an
  unseeded correct run cannot miss: the bigger model bottoms out first, and
  dropout's gap is below the baseline's. The L2 gap is within what two
  unseeded runs differ by (0.244 to 0.265 against 0.221 to 0.275), so it is
  not compared here: ``l2_effect`` measures L2 on the grader's paired, seeded
  runs. A model stored under another's name breaks these orders.
"""

import math

import numpy as np
import pytest

from tfgrader import data
from tfgrader.grading import figures
from tfgrader.grading.checks.architecture import (
    SIGMOID_OR_LOGITS, Layer, expect_input_shape, expect_layers, output_activation)
from tfgrader.grading.checks.compiling import expect_compiled
from tfgrader.grading.checks.regularization import (
    dropout_rates, expect_l2, expect_no_l2, final_gap, kernel_norm, lowest_epoch, paired_curves, plain_curves,
    train_curves)
from tfgrader.grading.checks.text import multi_hot
from tfgrader.grading.plugin import check

EXPORTS = {
    # (sequences, dimension) for each call: a plain case, a repeated index
    # and index 0, an empty review, several rows at once.
    "multi_hot_sequences": {"kind": "calls", "args": [
        [[[1, 3, 5]], 6],
        [[[0, 2, 2, 2]], 4],
        [[[]], 3],
        [[[4, 1], [], [0, 4, 4]], 5],
    ]},
    # The (25000, 10000) arrays would take 1 GB each: only their first rows
    # and whole-array statistics cross.
    "train_data": {"kind": "array_head", "rows": 20},
    "test_data": {"kind": "array_head", "rows": 20},
    "build_baseline": {"kind": "builder", "input_shape": [10000]},
    "build_smaller": {"kind": "builder", "input_shape": [10000]},
    "build_bigger": {"kind": "builder", "input_shape": [10000]},
    "build_l2_model": {"kind": "builder", "input_shape": [10000]},
    "build_dropout_model": {"kind": "builder", "input_shape": [10000]},
    "histories": "histories",
}
# The notebook's own limits, over the course's 4 GB (nbgrader_config.py). The kernel's peak memory
# (bench/peak_memory.py, 2 CPU cores, two gradings at once) was 3.52 GB for the reference (float32
# multi-hot arrays, 1 GB each) and 3.54 GB for functional_logits; the official tutorials build the
# arrays as float64, 2 GB each: 5.31 GB (tutorial_2018), 5.30 GB (tutorial_2019_06) and 5.39 GB
# (tutorial_2019). 8 GB leaves 2.6 GB above the largest; the 4 GB limit stopped all three.
LIMITS = {"memory": "8G"}
MULTI_HOT_ARGS = EXPORTS["multi_hot_sequences"]["args"]
HEAD_ROWS = EXPORTS["train_data"]["rows"]
NUM_WORDS = 10_000
HISTORY_NAMES = ("baseline", "smaller", "bigger", "l2", "dropout")
METRIC = "binary_crossentropy"

WIDTHS = {"build_baseline": 16, "build_smaller": 4, "build_bigger": 512}
L2_FACTOR, DROPOUT_RATE = 0.001, 0.5
TRAIN_N, VAL_N, BATCH, EPOCHS, CAPACITY_EPOCHS = 2000, 2000, 256, 10, 6
# optimizer="adam", as the notebook asks, trains at Adam's default rate; a schedule (the current
# tutorial's InverseTimeDecay) counts from its initial rate. At 0.1 the effects still show, so
# only this reading of the compile settings tells it apart (tfgrader mutate).
LEARNING_RATE = 0.001
MAX_NORM_RATIO = 0.85
MAX_DROPOUT_GAP_RATIO = 0.6


def stack(width: int, dropout: float | None = None) -> list[Layer]:
    hidden = [Layer("Dense", units=width, activation="relu")]
    if dropout is not None:
        hidden.append(Layer("Dropout", rate=dropout))
    return hidden * 2 + [Layer("Dense", units=1, activation=SIGMOID_OR_LOGITS)]


@pytest.fixture(scope="module")
def imdb():
    """((train reviews, labels), (test reviews, labels)), as the notebook loads them."""
    return data.imdb(num_words=NUM_WORDS)


@pytest.fixture(scope="module")
def subset(imdb):
    """The grader's fixed training and validation reviews, multi-hot, with 2-D labels."""
    (x_train, y_train), (x_test, y_test) = imdb
    return ((multi_hot(x_train[:TRAIN_N], NUM_WORDS), y_train[:TRAIN_N].reshape(-1, 1).astype("float32")),
            (multi_hot(x_test[:VAL_N], NUM_WORDS), y_test[:VAL_N].reshape(-1, 1).astype("float32")))


@check(points=3, public=True)
def test_multi_hot(submission, imdb):
    for (sequences, dimension), got in zip(MULTI_HOT_ARGS, submission.calls("multi_hot_sequences")):
        call = f"multi_hot_sequences({sequences}, {dimension})"
        want = multi_hot(sequences, dimension)
        have = np.asarray(got, dtype=object)
        assert have.shape == want.shape, (
            f"`{call}` has shape {have.shape}; it should be (number of sequences, dimension) = {want.shape}.")
        assert all(isinstance(v, float) for v in have.ravel()), (
            f"`{call}` holds integers or booleans; make it a float array (np.zeros(...) is float).")
        assert np.array_equal(have.astype(float), want), (
            f"`{call}` gives {have.astype(float).tolist()}; it should be {want.tolist()}: 1.0 at each index the "
            "sequence holds (once, however often the index repeats, and index 0 included), 0.0 elsewhere.")
    for name, (sequences, _) in zip(("train_data", "test_data"), imdb):
        _expect_encoded(submission, name, sequences)


def _expect_encoded(submission, name, sequences):
    stats, head = submission.array_head(name)
    shape = (len(sequences), NUM_WORDS)
    assert tuple(stats["shape"]) == shape, (
        f"`{name}` has shape {tuple(stats['shape'])}; the {len(sequences)} reviews over {NUM_WORDS} words make "
        f"{shape}.")
    assert np.dtype(stats["dtype"]).kind == "f", f"`{name}` holds {stats['dtype']} values; it should be a float array."
    assert np.array_equal(head, multi_hot(sequences[:HEAD_ROWS], NUM_WORDS)), (
        f"The first rows of `{name}` are not the multi-hot encoding of the first reviews: encode "
        f"multi_hot_sequences({'train' if name == 'train_data' else 'test'}_sequences, {NUM_WORDS}), in order.")
    ones = sum(len(set(review)) for review in sequences)
    assert np.isclose(stats["mean"], ones / (shape[0] * shape[1]), rtol=1e-6, atol=0), (
        f"`{name}` does not hold exactly one 1.0 for each distinct word of each review.")


@check(points=3, public=True)
def test_sizes(submission):
    for name, width in WIDTHS.items():
        model = submission.model(name)
        _expect_classifier(model, stack(width), name)
        expect_no_l2(model, f"The model of `{name}()`")


def _expect_classifier(model, layers, name):
    try:
        expect_layers(model, layers)
        expect_input_shape(model, (NUM_WORDS,))
        expect_compiled(model, loss="binary_crossentropy", optimizer="adam", metric=METRIC)
        rate = initial_learning_rate(model)
        assert rate is not None and math.isclose(rate, LEARNING_RATE, rel_tol=1e-5), (
            f"Adam is compiled with learning rate {rate if rate is None else format(rate, 'g')}; use "
            f"optimizer=\"adam\", which trains at {LEARNING_RATE:g}.")
    except AssertionError as exc:
        raise AssertionError(f"`{name}()`: {exc}") from None
    if output_activation(model) != "sigmoid":
        assert "from_logits': True" in str(model.get_compile_config()["metrics"]), (
            f"`{name}()` gives logits, so its cross-entropy metric needs from_logits=True: "
            "metrics=[keras.metrics.BinaryCrossentropy(from_logits=True)].")


def initial_learning_rate(model) -> float | None:
    """The optimizer's learning rate, or a schedule's initial one."""
    rate = model.optimizer.get_config().get("learning_rate")
    if isinstance(rate, dict):
        rate = rate.get("config", {}).get("initial_learning_rate")
    return None if rate is None else float(rate)


@check(points=3, public=True)
def test_regularizers(submission):
    l2_model = submission.model("build_l2_model")
    _expect_classifier(l2_model, stack(16), "build_l2_model")
    expect_l2(l2_model, L2_FACTOR, hidden=2)
    dropout_model = submission.model("build_dropout_model")
    rates = dropout_rates(dropout_model)
    if rates and len(rates) == 2 and rates != [DROPOUT_RATE] * 2:
        raise AssertionError(f"`build_dropout_model()` drops with rates {rates}; this exercise asks for "
                             f"Dropout({DROPOUT_RATE}) after each hidden layer.")
    _expect_classifier(dropout_model, stack(16, DROPOUT_RATE), "build_dropout_model")
    expect_no_l2(dropout_model, "The model of `build_dropout_model()`")


@check(points=3)
def test_l2_effect(submission, subset):
    baseline, l2 = paired_curves(submission.model("build_l2_model"), *subset, epochs=EPOCHS, batch_size=BATCH,
                                 name="build_l2_model")
    figures.twins(baseline, l2, what="L2")
    ratio = kernel_norm(l2.model) / kernel_norm(baseline.model)
    assert ratio <= MAX_NORM_RATIO, (
        f"Trained by the grader for {EPOCHS} epochs, your L2 model's weights end {ratio:.0%} as large as those "
        f"of the same model without L2, started from the same values; an L2 factor of {L2_FACTOR} keeps them at "
        f"most {MAX_NORM_RATIO:.0%} as large. Put kernel_regularizer=keras.regularizers.l2({L2_FACTOR}) on the "
        "hidden Dense layers.")
    assert l2.gap <= baseline.gap, (
        f"With L2 your model's validation cross-entropy ends {l2.gap:.3f} above its training cross-entropy, "
        f"more than without it ({baseline.gap:.3f}): the regularizer should narrow that gap.")


@check(points=3)
def test_dropout_effect(submission, subset):
    baseline, dropout = paired_curves(submission.model("build_dropout_model"), *subset, epochs=EPOCHS,
                                      batch_size=BATCH, name="build_dropout_model")
    figures.twins(baseline, dropout, what="dropout")
    ratio = dropout.gap / baseline.gap
    assert ratio <= MAX_DROPOUT_GAP_RATIO, (
        f"Trained by the grader for {EPOCHS} epochs, your dropout model's validation cross-entropy ends "
        f"{dropout.gap:.3f} above its training cross-entropy: {ratio:.0%} of the gap of the same model without "
        f"dropout ({baseline.gap:.3f}), started from the same values. Dropout({DROPOUT_RATE}) after each hidden "
        f"layer narrows it to at most {MAX_DROPOUT_GAP_RATIO:.0%}.")


@check(points=2)
def test_capacity_effect(submission, subset):
    # The baseline's first CAPACITY_EPOCHS epochs of its EPOCHS-epoch run:
    # the same run as the regularized models' twins, trained once.
    baseline = plain_curves(submission.model("build_baseline"), *subset, epochs=EPOCHS, batch_size=BATCH,
                            name="build_baseline")
    bigger = train_curves(submission.model("build_bigger"), *subset, epochs=CAPACITY_EPOCHS, batch_size=BATCH,
                          name="build_bigger")
    best = {"build_baseline": lowest_epoch(baseline.val[:CAPACITY_EPOCHS]), "build_bigger": bigger.best_epoch}
    assert best["build_bigger"] < best["build_baseline"], (
        f"Trained by the grader for {CAPACITY_EPOCHS} epochs, your bigger model's validation cross-entropy is lowest "
        f"after epoch {best['build_bigger']}, and the baseline's after epoch {best['build_baseline']}; a model with "
        "far more capacity starts to overfit sooner. Make `build_bigger()` much wider than the baseline "
        "(512 units per hidden layer).")


@check(points=3)
def test_histories(submission):
    histories = submission.histories("histories")
    missing = [name for name in HISTORY_NAMES if name not in histories]
    assert not missing, (
        f"`histories` lacks {', '.join(map(repr, missing))}; record the History of each model under the names "
        f"{', '.join(map(repr, HISTORY_NAMES))}.")
    for name in HISTORY_NAMES:
        curves = histories[name]
        for key in (METRIC, f"val_{METRIC}"):
            assert curves.get(key), (
                f"histories[{name!r}] has no '{key}' curve: compile with the '{METRIC}' metric and pass "
                "validation_data to fit().")
            assert all(v is not None for v in curves[key]), (
                f"histories[{name!r}]['{key}'] holds NaN or infinity: that training diverged.")
    best = {name: lowest_epoch(histories[name][f"val_{METRIC}"]) for name in ("baseline", "bigger")}
    assert best["bigger"] <= best["baseline"], (
        f"In your `histories` the bigger model's validation cross-entropy is lowest after epoch {best['bigger']}, "
        f"later than the baseline's (epoch {best['baseline']}); the model with more capacity should overfit first. "
        "Check that each History is stored under its own model's name.")
    gaps = {name: final_gap(histories[name], METRIC) for name in ("baseline", "dropout")}
    assert gaps["dropout"] < gaps["baseline"], (
        f"In your `histories` the dropout model ends with validation cross-entropy {gaps['dropout']:.3f} above its "
        f"training cross-entropy, no less than the baseline's {gaps['baseline']:.3f}; dropout should narrow that "
        "gap. Check that each History is stored under its own model's name.")
