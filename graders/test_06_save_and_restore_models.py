"""Hidden graders for 06-save_and_restore_models (checkpoints and .keras files).

Run by :mod:`tfgrader.grading` in a clean process against the files the
notebook exported (see EXPORTS). The files the notebook saved cross as copies
(``file`` and ``directory`` kinds); ``latest_checkpoint`` is called in the
kernel on folders the grader describes (``calls`` with ``dirs``). Nothing is
retrained: files are compared with files, so a submission gets the same
points on every run.

Measured with Keras 3.15.1 on 2 CPU cores (data: the first 1,000 MNIST
training and test images):
- A full run of the reference (28 s) trains `model` for 10 epochs with the
  checkpoint callback: 0.860 test accuracy, 0.085 before restoring and 0.860
  after. The second model trains 50 epochs, a checkpoint every 5; restored
  from cp-0050 it scores 0.872. In autograde mode the second model trains
  10 epochs (CHECKPOINT_EPOCHS, exported), so the grader expects cp-0005 and
  cp-0010 (and cp-0000 if the student saved the initial weights).
- Restoring: a trained model's checkpoint, loaded into create_model(), gives
  predictions identical to the model's (difference 0.0); a checkpoint of the
  untrained model scores 0.172 against 0.860. Tolerance: 1e-5.
- Chance: create_model()'s network freshly built scored 0.038-0.174 (mean
  0.099) with seeds 0-99, and 0.190 in one notebook run; the limit for
  ``untrained_acc`` and for the grader's own measurement of the model
  create_model() returned is 0.30, far below any trained model (0.86).
  ``restored_acc`` must lie within 0.01 of the grader's measurement of the
  same weights: the same model on the same data gives the same number, so
  0.01 only allows for rounding. Restored into a model with sigmoid instead
  of relu units, the trained weights score 0.694 against 0.860.
- The latest epoch checkpoint (10 epochs) scores 0.861, and `model` 0.860;
  the threshold for both is 0.75. Trained on shuffled labels, `model`
  guesses.
- Trained on the test set: the network trained 10 epochs on the first 1,000
  training images scored 0.855 and 0.865 (seeds 0, 1) on the test images and
  0.922 and 0.921 on the last 1,000 training images, which it never sees;
  trained on the test images instead, 0.991 and 0.994 against 0.898 and
  0.901. `model` and the latest epoch checkpoint fail when they score more
  than 0.02 better on the test images than on those training images.
- cp-0000, when the notebook saves it, holds the weights before training:
  restored, they score at chance (at most 0.30, as above); the reference's
  cp-0000 scored 0.101 (autograde mode). Saved after training instead, it scores as the
  latest checkpoint does.
- Optimizer state: ``keras.saving.load_model`` of a trained, compiled model
  restores Adam completely: ``iterations`` and every momentum and velocity
  variable are equal to the saved model's. Keras only skips the optimizer's
  variables (the "Skipping variable loading for optimizer" warning) when the
  file was saved before the optimizer was built, i.e. before any training;
  the loaded optimizer then starts at 0 steps with zero moments. One Adam
  step on the same batch (dropout off) then gives the same loss to the last
  bit from a restored optimizer (0.01892583 vs 0.01892583 on a toy model),
  and a clearly different one from a fresh optimizer with the same weights
  (0.00483). ``model.save(path, include_optimizer=False)`` is accepted and
  ignored for .keras files: the optimizer is still saved.
- The grading process takes 5-8 s per submission (4.8-8.1 s for the
  reference, the release copy and every sample); the whole notebook under
  nbgrader about 25 s.
"""

import numpy as np
import pytest

from tfgrader import data
from tfgrader.grading.checks.architecture import (
    PROBS_OR_LOGITS, Layer, expect_input_shape, expect_layers)
from tfgrader.grading.checks.compiling import expect_compiled
from tfgrader.grading.checks.saving import (
    WEIGHTS_SUFFIX, epochs_saved, expect_suffix, expected_epoch_files,
    load_saved_model, loss_after_one_step, optimizer_steps, restore, same_predictions)
from tfgrader.grading.checks.training import accuracy, expect_not_trained_on_test
from tfgrader.wire import DIRECTORY
from tfgrader.grading.plugin import check

EXPORTS = {
    "create_model": {"kind": "builder", "input_shape": [784]},
    "model": "model",
    "checkpoint_path": "file",
    "untrained_acc": "value",
    "restored_acc": "value",
    "checkpoint_dir": {"kind": "directory", "copy": "*.weights.h5"},
    "CHECKPOINT_EPOCHS": "value",
    "latest_checkpoint": {"kind": "calls", "dirs": [
        [],
        ["cp-0010.weights.h5", "cp-0000.weights.h5", "cp-0005.weights.h5"],
        ["cp-100.weights.h5", "cp-99.weights.h5"],
        ["cp-0015.weights.h5", "cp-0005.weights.h5", "notes.txt", "my_model.keras"],
        ["notes.txt", "my_model.keras"],
    ]},
    "saved_model_path": "file",
}
# What latest_checkpoint() must return on each folder above. Files are made
# in the order listed, with modification times in that order, so the newest
# file on disk is never the answer.
LATEST_CASES = list(zip(EXPORTS["latest_checkpoint"]["dirs"], [
    None, "cp-0010.weights.h5", "cp-100.weights.h5", "cp-0015.weights.h5", None]))

LAYERS = [
    Layer("Dense", units=512, activation="relu"),
    Layer("Dropout", rate=0.2),
    Layer("Dense", units=10, activation=PROBS_OR_LOGITS),
]
N, SAVE_EVERY, STEP_BATCH = 1000, 5, 32
CHANCE_MAX = 0.30
ACCURACY_TOLERANCE = 0.01
MIN_LATEST_ACCURACY = 0.75
TEST_SET_MARGIN = 0.02
TRAINED_ON = "train_images and train_labels"


@pytest.fixture(scope="module")
def mnist():
    (x_train, y_train), (x_test, y_test) = data.mnist()
    flat = lambda x: x[:N].reshape(-1, 28 * 28).astype("float32") / 255.0  # noqa: E731
    return flat(x_train), y_train[:N], flat(x_test), y_test[:N]


@pytest.fixture(scope="module")
def unseen():
    """The last N training images: the notebook trains on the first N only."""
    (x_train, y_train), _ = data.mnist()
    return x_train[-N:].reshape(-1, 28 * 28).astype("float32") / 255.0, y_train[-N:]


@pytest.fixture(scope="module")
def restored(submission):
    """create_model() with the weights from checkpoint_path loaded, and where they came from."""
    shown, path = submission.file("checkpoint_path")
    expect_suffix(shown, WEIGHTS_SUFFIX, "Keras 3 saves weights only to files named *.weights.h5")
    return restore(submission.model("create_model"), path, shown), shown


@check(points=3, public=True)
def test_architecture(submission):
    model = submission.model("create_model")
    expect_input_shape(model, (784,))
    expect_layers(model, LAYERS)
    expect_compiled(model, loss="sparse_categorical_crossentropy", optimizer="adam", metric="accuracy")


@check(points=3)
def test_trained_checkpoint(submission, restored, mnist, unseen):
    model, shown = restored
    trained = submission.model("model")
    x_test, y_test = mnist[2:]
    assert same_predictions(model, trained, x_test), (
        f"Loaded into create_model(), the weights in '{shown}' score {accuracy(model, x_test, y_test):.1%} "
        f"on the test images, but your trained `model` scores {accuracy(trained, x_test, y_test):.1%}: "
        "they should make the very same predictions. Pass the ModelCheckpoint callback to the fit() "
        "that trains `model`.")
    measured = accuracy(trained, x_test, y_test)
    assert measured >= MIN_LATEST_ACCURACY, (
        f"Your trained `model` scores {measured:.1%} on the test images; trained for EPOCHS epochs on the "
        f"training images it should score at least {MIN_LATEST_ACCURACY:.0%}. Train it on {TRAINED_ON}.")
    expect_not_trained_on_test(trained, unseen, (x_test, y_test), margin=TEST_SET_MARGIN, names=TRAINED_ON)


@check(points=2)
def test_restore(submission, restored, mnist):
    x_test, y_test = mnist[2:]
    fresh = accuracy(submission.model("create_model"), x_test, y_test)
    assert fresh <= CHANCE_MAX, (
        f"A model straight from create_model() already scores {fresh:.1%}: create_model() should "
        "build a new, untrained model.")
    untrained, restored_acc = submission.value("untrained_acc"), submission.value("restored_acc")
    for name, value in (("untrained_acc", untrained), ("restored_acc", restored_acc)):
        assert isinstance(value, (int, float)) and 0 <= value <= 1, (
            f"`{name}` should be an accuracy between 0 and 1, from model.evaluate(...).")
    assert untrained <= CHANCE_MAX, (
        f"`untrained_acc` is {untrained:.1%}, but an untrained model guesses (about 10%). "
        "Evaluate the new model before you load any weights into it.")
    measured = accuracy(restored[0], x_test, y_test)
    assert abs(restored_acc - measured) <= ACCURACY_TOLERANCE, (
        f"`restored_acc` is {restored_acc:.1%}, but the weights in '{restored[1]}', loaded into a model "
        f"from create_model(), score {measured:.1%} on the test images. Load them into a model built "
        "by create_model() and evaluate that model.")


@check(points=3)
def test_epoch_checkpoints(submission, mnist, unseen):
    shown, names, copies = submission.directory("checkpoint_dir")
    epochs = submission.value("CHECKPOINT_EPOCHS")
    assert isinstance(epochs, int) and epochs >= SAVE_EVERY, (
        f"Keep the set-up cell's CHECKPOINT_EPOCHS as it is (it is {epochs!r}).")
    expected = expected_epoch_files(epochs, SAVE_EVERY)
    found = sorted(name for name in names if name.endswith(WEIGHTS_SUFFIX))
    missing = sorted(set(expected) - set(found))
    extra = sorted(set(found) - set(expected) - {f"cp-0000{WEIGHTS_SUFFIX}"})
    assert not missing and not extra, (
        f"After {epochs} epochs, '{shown}' should hold {', '.join(expected)} (one file every {SAVE_EVERY} "
        f"epochs, and cp-0000 if you saved the initial weights), but it holds {', '.join(found) or 'none'}. "
        "save_freq counts batches: use save_freq=5 * steps_per_epoch, and start from an empty folder.")
    latest = epochs_saved(found)[epochs]
    assert latest in copies, f"'{shown}/{latest}' is not a plain file (a link?): save the checkpoints there."
    model = restore(submission.model("create_model"), copies[latest], f"{shown}/{latest}")
    measured = accuracy(model, *mnist[2:])
    assert measured >= MIN_LATEST_ACCURACY, (
        f"Loaded into create_model(), '{shown}/{latest}' scores {measured:.1%} on the test images; "
        f"after {epochs} epochs of training it should score at least {MIN_LATEST_ACCURACY:.0%}.")
    expect_not_trained_on_test(model, unseen, mnist[2:], margin=TEST_SET_MARGIN, what=f"checkpoint '{shown}/{latest}'",
                               names=TRAINED_ON)
    initial = epochs_saved(found).get(0)
    if initial is not None and initial in copies:  # optional, but then what its name says
        start = accuracy(restore(submission.model("create_model"), copies[initial], f"{shown}/{initial}"), *mnist[2:])
        assert start <= CHANCE_MAX, (
            f"Loaded into create_model(), '{shown}/{initial}' scores {start:.1%}: epoch 0 is the untrained model. "
            "Save the initial weights before fit(), as the tutorial does.")


@check(points=2)
def test_latest_checkpoint(submission):
    results = submission.calls("latest_checkpoint")
    for (listing, answer), result in zip(LATEST_CASES, results):
        folder = f"a folder holding {', '.join(listing)}" if listing else "an empty folder"
        if answer is None:
            assert result is None, f"On {folder}, latest_checkpoint() returned {result!r}; it should return None."
            continue
        assert result == f"{DIRECTORY}/{answer}", (
            f"On {folder}, latest_checkpoint() returned {_shown(result)}; it should return the path of "
            f"{answer} in that folder: the highest epoch number compared as a number, not as text, "
            "among the *.weights.h5 files only.")


def _shown(result):
    if isinstance(result, str) and result.startswith(DIRECTORY):
        return f"the path of {result.removeprefix(DIRECTORY + '/')}"
    return repr(result)


@check(points=2)
def test_saved_model(submission, mnist):
    shown, path = submission.file("saved_model_path")
    saved, trained = load_saved_model(path, shown), submission.model("model")
    x_test, y_test = mnist[2:]
    assert same_predictions(saved, trained, x_test), (
        f"The model in '{shown}' scores {accuracy(saved, x_test, y_test):.1%} on the test images and makes "
        f"other predictions than your trained `model` ({accuracy(trained, x_test, y_test):.1%}): save "
        "`model` after training, with model.save(saved_model_path).")


@check(points=2)
def test_resume_training(submission, mnist):
    shown, path = submission.file("saved_model_path")
    saved, trained = load_saved_model(path, shown), submission.fresh_model("model")
    steps, expected_steps = optimizer_steps(saved, shown), optimizer_steps(trained, "model")
    assert steps == expected_steps, (
        f"The optimizer saved in '{shown}' has taken {steps} training steps, but your trained `model`'s has "
        f"taken {expected_steps}: save the trained `model` itself with model.save(), which keeps its "
        "optimizer's state so that training can resume where it stopped.")
    x, y = mnist[0][:STEP_BATCH], mnist[1][:STEP_BATCH]
    resumed, original = loss_after_one_step(saved, x, y), loss_after_one_step(trained, x, y)
    assert np.isclose(resumed, original, rtol=1e-5, atol=1e-7), (
        f"One more training step from '{shown}' gives loss {resumed:.5f}, but from your trained `model` "
        f"{original:.5f}: save `model` with model.save() after training, without recompiling it.")
