"""Hidden graders for 02-basic_classification (Fashion-MNIST).

Run by :mod:`tfgrader.grading` in a clean process against the files the
notebook exported (see EXPORTS). One test per rubric item, points beside it.

A full run of the reference (10 epochs, all 60,000 images) reaches 0.873
test accuracy in 80 s on 2 CPU cores.

How the thresholds were chosen, measured on 2 CPU cores with seeds 0, 1, 2:
- training: the grader retrains ``build_model()``'s architecture from seeded
  weights, on the first 6,000 training images for 2 epochs, and measures
  accuracy on the first 2,000 test images. The reference scored 0.823, 0.822
  and 0.823 for seeds 0, 1 and 2, with logits or with softmax alike. Adam with
  learning rate 1.0, which collapses, scored 0.096/0.102/0.097. The threshold
  of 0.60 leaves a margin of 0.22 above and 0.47 below. A relu output layer
  still learns here (0.728/0.696/0.694), so catching it is the architecture
  check's job, not this one's. Each run takes about 1.3 s.
- probabilities, predict_one, reported_accuracy check consistency, so they
  use the test images as the notebook had them (exported) with the grader's
  own labels: a scaling mistake then costs the scaling check only.
- reported_accuracy: ``test_acc`` must lie within 0.01 of the grader's own
  evaluation of the saved ``model`` on those 10,000 test images. It is the same
  model on the same data, so 0.01 allows only for rounding. A hard-coded 0.99
  is 0.1 or more away from any model this notebook trains. The saved
  ``model`` must also be trained: in autograde mode (1 epoch on 10,000
  images) it scored 0.804/0.791/0.772, and trained and measured on unscaled
  pixels 0.656/0.693/0.644; trained on shuffled labels, or for 0 epochs, it
  guesses (about 0.1). The threshold is 0.50.
- probabilities: ``probability_model`` must give the trained model's own
  class probabilities, within 1e-3: the softmax of its logits, or, for a
  model that already ends in softmax, its outputs unchanged (the 2019
  tutorial's model; ``probability_model = model`` is then the answer). A
  Softmax layer on top of softmax outputs keeps every class but squashes the
  rows toward 0.1 each: wrong probabilities, so it loses this check, with a
  message that says so.
"""

import numpy as np
import pytest

from tfgrader import data
from tfgrader.grading.checks.architecture import (
    PROBS_OR_LOGITS, Layer, expect_input_shape, expect_layers, output_activation)
from tfgrader.grading.checks.compiling import expect_compiled
from tfgrader.grading.checks.arrays import expect_probabilities, expect_scaled
from tfgrader.grading.checks.training import expect_learns
from tfgrader.grading.plugin import check

EXPORTS = {
    "class_names": "value",
    "train_images": "array_head",
    # all rows: the consistency checks use the images the notebook used
    "test_images": {"kind": "array_head", "rows": 10000},
    "build_model": {"kind": "builder", "input_shape": [28, 28]},
    "model": "model",
    "probability_model": "model",
    "predictions": "array",
    "predict_one": {"kind": "calls", "over": "test_images", "rows": [0, 1, 7, 42, 1234, 9999]},
    "test_acc": "value",
}

PREDICT_ROWS = EXPORTS["predict_one"]["rows"]
CLASS_NAMES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
               "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
LAYERS = [Layer("Flatten"), Layer("Dense", units=128, activation="relu"),
          Layer("Dense", units=10, activation=PROBS_OR_LOGITS)]
PARAMETERS = 101_770
TRAIN_N, EVAL_N, EPOCHS, BATCH = 6000, 2000, 2, 64
MIN_RETRAINED_ACCURACY = 0.60
ACCURACY_TOLERANCE = 0.01
MIN_TRAINED_ACCURACY = 0.50
# probability_model against the model's own probabilities, computed here
# (float32 softmax against float64: differences of 1e-7).
PROBABILITY_TOLERANCE = 1e-3


def softmax(scores: np.ndarray) -> np.ndarray:
    shifted = np.exp(scores - scores.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


@pytest.fixture(scope="module")
def fashion():
    (x_train, y_train), (x_test, y_test) = data.fashion_mnist()
    return x_train / 255.0, y_train, x_test / 255.0, y_test


@check(points=1, public=True)
def test_class_names(submission):
    names = submission.value("class_names")
    assert isinstance(names, list) and len(names) == 10, "`class_names` should be a list of the 10 class names."
    for label, (have, want) in enumerate(zip(names, CLASS_NAMES)):
        assert have == want, f"`class_names[{label}]` is {have!r}, but label {label} is {want!r}."


@check(points=2, public=True)
def test_scaling(submission, fashion):
    expect_scaled(submission, "train_images", fashion[0])
    expect_scaled(submission, "test_images", fashion[2])


@check(points=3, public=True)
def test_architecture(submission):
    model = submission.model("build_model")
    expect_input_shape(model, (28, 28))
    expect_layers(model, LAYERS)
    assert model.count_params() == PARAMETERS, (
        f"Your model has {model.count_params():,} parameters; the network asked for has {PARAMETERS:,}.")
    expect_compiled(model, loss="sparse_categorical_crossentropy", optimizer="adam", metric="accuracy")


@check(points=3)
def test_training(submission, fashion):
    x_train, y_train, x_test, y_test = fashion
    expect_learns(submission.model("build_model"), (x_train[:TRAIN_N], y_train[:TRAIN_N]),
                  (x_test[:EVAL_N], y_test[:EVAL_N]), epochs=EPOCHS, batch_size=BATCH,
                  threshold=MIN_RETRAINED_ACCURACY)


@pytest.fixture(scope="module")
def own_images(submission):
    """The test images as the notebook had them. Checks of internal
    consistency use these, so a scaling mistake costs the scaling check only."""
    return submission.array_head("test_images")[1]


@pytest.fixture(scope="module")
def model_scores(submission, own_images):
    """The trained model's outputs on the notebook's test images, computed here."""
    return np.asarray(submission.model("model").predict(own_images, batch_size=1024, verbose=0))


@check(points=2)
def test_probabilities(submission, own_images, model_scores):
    probabilities = np.asarray(submission.model("probability_model").predict(own_images[:1000], verbose=0))
    expect_probabilities(probabilities, "probability_model's output", 1000)
    assert (probabilities.argmax(axis=1) == model_scores[:1000].argmax(axis=1)).all(), (
        "probability_model should predict the same classes as model; build it from the trained model.")
    scores = model_scores[:1000]
    ends_in_softmax = output_activation(submission.model("model")) == "softmax"
    expected = scores if ends_in_softmax else softmax(scores)
    if not np.allclose(probabilities, expected, atol=PROBABILITY_TOLERANCE):
        assert not (ends_in_softmax and np.allclose(probabilities, softmax(scores), atol=PROBABILITY_TOLERANCE)), (
            "Your `model` already ends in softmax, so the Softmax on top of it applies softmax twice and squashes "
            f"its probabilities (the largest in the first row is {probabilities[0].max():.3f}, where the model "
            f"gives {scores[0].max():.3f}). Use probability_model = model.")
        raise AssertionError(
            "probability_model should give the class probabilities of your trained `model`: "
            + ("those it outputs already (probability_model = model)." if ends_in_softmax else
               "a Softmax layer on top of the logits model, keras.Sequential([model, keras.layers.Softmax()])."))
    predictions = submission.array("predictions")
    expect_probabilities(predictions, "`predictions`", len(own_images))
    assert np.allclose(predictions[:1000], probabilities, atol=1e-3), (
        "`predictions` should be probability_model's output on all test images, in order.")


@check(points=2, public=True)
def test_predict_one(submission, model_scores):
    answers = submission.calls("predict_one")
    for row, answer in zip(PREDICT_ROWS, answers):
        assert isinstance(answer, int), f"predict_one(test_images[{row}]) returned {answer!r}; return an int class index."
        expected = int(model_scores[row].argmax())
        assert answer == expected, (
            f"predict_one(test_images[{row}]) returned {answer}, but your model predicts class {expected} "
            "for that image.")


@check(points=2)
def test_reported_accuracy(submission, fashion, model_scores):
    assert len(model_scores) == len(fashion[3]), "`test_images` should hold all 10,000 test images."
    measured = float((model_scores.argmax(axis=1) == fashion[3]).mean())
    assert measured >= MIN_TRAINED_ACCURACY, (
        f"Your trained `model` scores {measured:.1%} on the test images, about what guessing scores: train it "
        "with model.fit(train_images, train_labels, ...) on the training labels, in their order.")
    reported = submission.value("test_acc")
    assert isinstance(reported, (int, float)), "`test_acc` should be a number between 0 and 1."
    assert abs(reported - measured) <= ACCURACY_TOLERANCE, (
        f"`test_acc` is {reported:.4f}, but your model really scores {measured:.4f} on the test images; "
        "take it from model.evaluate(test_images, test_labels).")
