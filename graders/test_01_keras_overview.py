"""Hidden graders for 01-keras-overview (MNIST quickstart).

Run by :mod:`tfgrader.grading` in a clean process against the files the
notebook exported (see EXPORTS). One test per rubric item, points beside it.

This module is the template for a new grader (docs/authoring.md walks
through it). Its parts, in order:

1. ``EXPORTS``: each object the checks need from the student's notebook and
   its kind (``tfgrader.wire.KINDS``): the kernel writes only these, as
   files, and the checks read nothing else.
2. (optional) ``LIMITS``: this assignment's own limits over the course's,
   e.g. ``{"memory": "8G"}`` (see 05).
3. Constants with the thresholds, each with how it was measured (below).
4. Fixtures for the real data (``tfgrader.data``), loaded once per process.
5. One ``@check(points=N)`` test per rubric item, named ``test_<check>`` to
   match the notebook's ``tfgrader.check("<id>", "<check>")`` cell;
   ``public=True`` ships it to students for ``self_check()``. Each fails
   with ``assert ..., "message"`` or a ``StudentError`` whose message says
   what to fix; a bare assert or a grader bug gives a generic message.
6. Checks from ``tfgrader.grading.checks`` (architecture, compile settings,
   seeded retraining) rather than hand-written ones, so every spelling Keras
   accepts scores the same.

A full run of the reference (5 epochs, all 60,000 images) reaches 0.978 test
accuracy in 47 s on 2 CPU cores.

How the thresholds were chosen, measured on 2 CPU cores with seeds 0, 1, 2:
- training: the grader retrains ``build_model()``'s architecture from seeded
  weights, on the first 6,000 training images for 2 epochs, and measures
  accuracy on the first 2,000 test images. The reference (softmax or logits)
  scored 0.894/0.896/0.893, width 128 0.885/0.878/0.875, width 1024
  0.901/0.901/0.910 and no Dropout 0.892/0.890/0.901. A relu output scored
  0.131/0.144/0.088. The threshold of 0.75 sits 0.125 below the weakest
  accepted architecture and 0.6 above the relu output. Each run takes 1.5 s.
- trained_model: in autograde mode the notebook trains for 1 epoch on 10,000
  images, and the grader measures the saved ``model`` on all 10,000 test
  images. The reference scored 0.921, a model trained on unscaled pixels 0.914
  when measured on scaled ones, and a relu output 0.098. The threshold is 0.80.
  The reported ``test_accuracy`` must lie within 0.001 (10 images) of the
  model's accuracy on ``x_test`` as the notebook scaled it (so that a model
  trained and measured on unscaled pixels loses only ``scaling``): the same model on the same data gives the same number, so this
  allows only for a near-tie that another batch size breaks the other way.
  The accuracy on the training images, reported instead by mistake, was
  0.9199 against 0.9223 on the test images.
- trained_model, trained on the test set: the reference scored 0.9223 on the
  test images and 0.9240 on the last 10,000 training images (which autograde
  mode does not train on); a model trained on the first 10,000 test images
  instead scored 0.9480 and 0.9279. The check fails a model that scores more
  than 0.01 better on the test set than on those training images (a model
  trained on all 60,000 scores better on them, never worse).
"""

import pytest

from tfgrader import data
from tfgrader.grading.checks.arrays import as_the_student_scaled, expect_scaled
from tfgrader.grading.checks.architecture import (
    PROBS_OR_LOGITS, Layer, expect_input_shape, expect_layers)
from tfgrader.grading.checks.compiling import expect_compiled, same_learning_rate
from tfgrader.grading.checks.training import accuracy, expect_learns, expect_not_trained_on_test
from tfgrader.grading.plugin import check

EXPORTS = {
    "x_train": "array_head",
    "x_test": "array_head",
    # A Sequential model without an Input is built by the grader with these shapes.
    "build_model": {"kind": "builder", "input_shape": [28, 28]},
    "build_functional_model": {"kind": "builder", "input_shape": [28, 28]},
    "model": "model",
    "test_accuracy": "value",
}

LAYERS = [
    Layer("Flatten"),
    Layer("Dense", units=(128, 1024), activation="relu"),
    Layer("Dropout", rate=0.2),
    Layer("Dense", units=10, activation=PROBS_OR_LOGITS),
]
TRAIN_N, EVAL_N, EPOCHS, BATCH = 6000, 2000, 2, 64
MIN_RETRAINED_ACCURACY = 0.75
MIN_TRAINED_ACCURACY = 0.80
ACCURACY_TOLERANCE = 0.001
UNSEEN_N = 10_000  # the last training images: autograde mode trains on the first 10,000
TEST_SET_MARGIN = 0.01


@pytest.fixture(scope="module")
def mnist():
    (x_train, y_train), (x_test, y_test) = data.mnist()
    return x_train / 255.0, y_train, x_test / 255.0, y_test


@pytest.fixture(scope="module")
def raw_test_images():
    return data.mnist()[1][0]


@check(points=2, public=True)
def test_scaling(submission, mnist):
    expect_scaled(submission, "x_train", mnist[0])
    expect_scaled(submission, "x_test", mnist[2])


@check(points=3, public=True)
def test_architecture(submission):
    model = submission.model("build_model")
    expect_input_shape(model, (28, 28))
    expect_layers(model, LAYERS)


@check(points=1, public=True)
def test_compiled(submission):
    expect_compiled(submission.model("build_model"), loss="sparse_categorical_crossentropy",
                    optimizer="adam", metric="accuracy")


@check(points=2, public=True)
def test_functional_api(submission):
    model = submission.model("build_functional_model")
    assert type(model).__name__ in ("Functional", "Model"), (
        f"build_functional_model() returns a {type(model).__name__} model; build it as keras.Model(inputs, outputs).")
    expect_input_shape(model, (28, 28))
    expect_layers(model, LAYERS)
    expect_compiled(model, loss="sparse_categorical_crossentropy", optimizer="adam", metric="accuracy",
                    learning_rate=same_learning_rate(submission, "build_model"))


@check(points=3)
def test_training(submission, mnist):
    x_train, y_train, x_test, y_test = mnist
    expect_learns(submission.model("build_model"), (x_train[:TRAIN_N], y_train[:TRAIN_N]),
                  (x_test[:EVAL_N], y_test[:EVAL_N]), epochs=EPOCHS, batch_size=BATCH,
                  threshold=MIN_RETRAINED_ACCURACY)


@check(points=2)
def test_trained_model(submission, mnist, raw_test_images):
    measured = accuracy(submission.model("model"), mnist[2], mnist[3])
    assert measured >= MIN_TRAINED_ACCURACY, (
        f"Your trained `model` scores {measured:.1%} on the scaled test images; a trained model scores at least "
        f"{MIN_TRAINED_ACCURACY:.0%}. Train it on the scaled images.")
    reported = submission.value("test_accuracy")
    assert isinstance(reported, (int, float)), "`test_accuracy` should be a number between 0 and 1."
    # on x_test as the notebook has it: a scaling mistake is the scaling check's alone
    on_theirs = accuracy(submission.model("model"), as_the_student_scaled(submission, "x_test", raw_test_images),
                         mnist[3])
    assert abs(reported - on_theirs) <= ACCURACY_TOLERANCE, (
        f"`test_accuracy` is {reported:.4f}, but your model really scores {on_theirs:.4f} on x_test; "
        "take it from model.evaluate(x_test, y_test).")
    expect_not_trained_on_test(submission.model("model"), (mnist[0][-UNSEEN_N:], mnist[1][-UNSEEN_N:]),
                               (mnist[2], mnist[3]), margin=TEST_SET_MARGIN)
