"""Wrong submissions for 03-basic_text_classification, each with the checks it must lose.

Used by the project's tests and by ``tfgrader validate``: the reference must
score full points, and each sample here exactly its ``loses`` set less.
The first sample is also graded twice (identical results) and its feedback
inspected, so it is one whose messages hold measured figures.
"""

from tfgrader.instructor.authoring.samples import Sample

SIGMOID_OUT = 'keras.layers.Dense(1, activation="sigmoid")'

SAMPLES = [
    Sample("softmax_one_unit", "softmax on the single output unit",
           (("build_model", SIGMOID_OUT, SIGMOID_OUT.replace("sigmoid", "softmax")),),
           # A softmax over one unit always gives 1: every review is called
           # positive whatever the weights, so nothing can be learnt, in the
           # grader's retraining or in the notebook (50% on the test set).
           frozenset({"architecture", "training", "trained_model"})),
    Sample("pad_at_front", "filler put before the review's words (padding='pre')",
           (("pad_data", 'padding="post"', 'padding="pre"'),),
           # Averaging the word vectors ignores their order, so the model
           # trains and scores as well; the split is compared with the data
           # padded the student's way. Only the padding check is lost.
           frozenset({"padding"})),
    Sample("offset_2", "word ranks shifted by 2 instead of 3 in word_index",
           (("word_index", "rank + 3", "rank + 2"),),
           frozenset({"decoding"})),
    Sample("vocab_5000", "an Embedding for only 5,000 words",
           (("build_model", "keras.layers.Embedding(vocab_size, 16)", "keras.layers.Embedding(5000, 16)"),),
           # The reviews hold word indices up to 9,999: TensorFlow refuses to
           # look them up, so fit() fails in the notebook (no history, no
           # test_acc) and the grader cannot retrain the architecture either.
           frozenset({"architecture", "training", "trained_model"})),
    Sample("val_from_test", "validation set taken from the test set",
           (("split", "x_val = train_data[:10000]", "x_val = test_data[:10000]"),
            ("split", "y_val = train_labels[:10000]", "y_val = test_labels[:10000]")),
           frozenset({"validation_split"})),
    Sample("labels_shuffled", "training labels shuffled on their own, apart from their reviews",
           (("split", "partial_y_train = train_labels[10000:]",
             "partial_y_train = np.random.permutation(train_labels[10000:])"),),
           # The notebook's model then learns from labels that belong to other
           # reviews and scores about 50% on the test set: it is not a trained
           # sentiment model, so trained_model is lost along with the split.
           frozenset({"validation_split", "trained_model"})),
    # A correct variant the contract accepts: it must keep every point.
    Sample("logits_output", "a logit output with from_logits=True and a matching accuracy threshold",
           (("build_model", SIGMOID_OUT, "keras.layers.Dense(1)"),
            ("build_model", 'loss="binary_crossentropy", metrics=["accuracy"]',
             "loss=keras.losses.BinaryCrossentropy(from_logits=True),\n"
             "                  metrics=[keras.metrics.BinaryAccuracy(threshold=0.0)]")),
           frozenset()),
    Sample("logits_plain_accuracy", "a logit output compiled with metrics=['accuracy'], so test_acc cuts logits at 0.5",
           (("build_model", SIGMOID_OUT, "keras.layers.Dense(1)"),
            ("build_model", 'loss="binary_crossentropy"', "loss=keras.losses.BinaryCrossentropy(from_logits=True)")),
           # The architecture is right; only the reported accuracy is wrong.
           frozenset({"trained_model"})),
]
