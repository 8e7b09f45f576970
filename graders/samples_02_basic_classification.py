"""Wrong submissions for 02-basic_classification, each with the checks it must lose.

Used by the project's tests and by ``tfgrader validate``: the reference must
score full points, and each sample here exactly its ``loses`` set less.
"""

from tfgrader.instructor.authoring.samples import Sample

SCALE = "train_images = train_images / 255.0\ntest_images = test_images / 255.0\n"
OUTPUT = "keras.layers.Dense(10),\n    ])"

SAMPLES = [
    Sample("unscaled", "pixels left as integers from 0 to 255",
           (("load_data", SCALE, ""),),
           frozenset({"scaling"}),
           # raw pixels into a relu output: the notebook's own model then guesses (each alone still learns)
           apart=frozenset({"relu_output"})),
    Sample("class_order", "Shirt and T-shirt/top swapped in class_names",
           (("class_names", '["T-shirt/top", "Trouser"', '["Shirt", "Trouser"'),
            ("class_names", '"Sandal", "Shirt"', '"Sandal", "T-shirt/top"')),
           frozenset({"class_names"})),
    Sample("relu_output", "10 output units with relu, so no logits can be negative",
           (("build_model", OUTPUT, OUTPUT.replace("Dense(10)", 'Dense(10, activation="relu")')),),
           # Measured: it still learns (0.73 after the grader's retraining), so
           # only the architecture check catches it.
           frozenset({"architecture"})),
    Sample("learning_rate", "Adam with learning rate 1.0, so training collapses",
           (("build_model", 'optimizer="adam"', "optimizer=keras.optimizers.Adam(learning_rate=1.0)"),),
           # the grader's retraining collapses, and so did the notebook's own: its `model` guesses
           frozenset({"training", "reported_accuracy"})),
    Sample("no_softmax", "probability_model is the logits model itself",
           (("probability_model", "keras.Sequential([model, keras.layers.Softmax()])", "model"),),
           frozenset({"probabilities"})),
    Sample("no_batch_dim", "predict_one passes the image without a batch dimension",
           (("predict_one", "np.expand_dims(image, 0)", "image"),),
           frozenset({"predict_one"})),
    Sample("hardcoded_accuracy", "test_acc typed in as 0.99",
           (("evaluate", "test_loss, test_acc = model.evaluate(test_images, test_labels, verbose=2)\n",
             "test_loss, _ = model.evaluate(test_images, test_labels, verbose=2)\ntest_acc = 0.99\n"),),
           frozenset({"reported_accuracy"})),
    Sample("double_softmax", "a softmax model with the Softmax layer on top of it all the same",
           (("build_model", OUTPUT, OUTPUT.replace("Dense(10)", 'Dense(10, activation="softmax")')),
            ("build_model", "keras.losses.SparseCategoricalCrossentropy(from_logits=True)",
             '"sparse_categorical_crossentropy"')),
           # Softmax twice keeps the classes but squashes every row toward 0.1.
           frozenset({"probabilities"})),
    Sample("shuffled_labels", "`model` trained on shuffled labels: it guesses",
           (("train", "train_labels[:TRAIN_SAMPLES], epochs=EPOCHS",
             "np.random.default_rng(0).permutation(train_labels[:TRAIN_SAMPLES]), epochs=EPOCHS"),),
           frozenset({"reported_accuracy"})),
]
