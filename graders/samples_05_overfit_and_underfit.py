"""Wrong submissions for 05-overfit_and_underfit, each with the checks it must lose.

Used by the project's tests and by ``tfgrader validate``: the reference must
score full points, and each sample here exactly its ``loses`` set less. The
first sample is also graded twice (identical results).
"""

from tfgrader.instructor.authoring.samples import Sample

OUTPUT = 'keras.layers.Dense(1, activation="sigmoid"),'

SAMPLES = [
    Sample("dropout_rate_0", "Dropout layers with rate 0.0, which drop nothing",
           (("build_dropout_model", "keras.layers.Dropout(0.5)", "keras.layers.Dropout(0.0)"),),
           # The model is then the baseline: the grader's paired runs are the
           # same (gap ratio 1), and so are the notebook's own curves, whose
           # gap is no smaller than the baseline's.
           frozenset({"regularizers", "dropout_effect", "histories"})),
    Sample("l2_on_output_factor_0", "the L2 regularizer on the output layer only, with factor 0",
           (("build_l2_model", ", kernel_regularizer=keras.regularizers.l2(0.001)", ""),
            ("build_l2_model", OUTPUT,
             'keras.layers.Dense(1, activation="sigmoid", kernel_regularizer=keras.regularizers.l2(0.0)),')),
           # A zero penalty changes nothing: the weights stay as large as the
           # twin's. (The notebook's L2 curve is then the baseline's, but the
           # histories check does not compare L2 gaps: see the grader.)
           frozenset({"regularizers", "l2_effect"})),
    Sample("bigger_not_bigger", "build_bigger() with the baseline's 16 units",
           (("build_bigger", "Dense(512", "Dense(16"),),
           # Its run is the baseline's, so its lowest validation loss comes no
           # sooner. (The notebook's histories then tie, which that check allows.)
           frozenset({"sizes", "capacity_effect"})),
    Sample("counts_not_ones", "multi-hot rows that count repeated words instead of marking them once",
           (("multi_hot_sequences", "results[i, word_indices] = 1.0", "np.add.at(results[i], word_indices, 1.0)"),),
           # The grader trains on its own encoding, so only the encoding check
           # is lost; the notebook's models still overfit in the same order.
           frozenset({"multi_hot"})),
    Sample("baseline_32", "a baseline of 32 units per hidden layer",
           (("build_baseline", "Dense(16", "Dense(32"),),
           # The regularized models are compared with their own unregularized
           # twins, so a wrong baseline costs the sizes check only.
           frozenset({"sizes"})),
    Sample("histories_swapped", "the baseline's and the bigger model's histories stored under each other's names",
           (("histories", '"baseline": fit_model(build_baseline),', '"baseline": fit_model(build_bigger),'),
            ("histories", '"bigger": fit_model(build_bigger),', '"bigger": fit_model(build_baseline),')),
           # (Swapping the smaller and bigger models would not show: over the
           # 10 epochs of autograde mode the smaller model's validation loss is
           # lowest near the end, as the baseline's is, and ties are allowed.)
           frozenset({"histories"})),
    Sample("l2_string", "kernel_regularizer='l2', which means a factor of 0.01",
           (("build_l2_model", "kernel_regularizer=keras.regularizers.l2(0.001)", 'kernel_regularizer="l2"'),),
           # Ten times the penalty still shrinks the weights and narrows the
           # gap: only the architecture check, which reads the factor, fails.
           frozenset({"regularizers"})),
    Sample("fast_adam", "the baseline compiled with Adam at learning rate 0.1 instead of optimizer=\"adam\"",
           (("build_baseline", 'optimizer="adam"', "optimizer=keras.optimizers.Adam(learning_rate=0.1)"),),
           # (tfgrader mutate: every effect still shows at 0.1, so only the compile settings tell.)
           frozenset({"sizes"})),
    # Correct variants the contract accepts: they must keep every point.
    Sample("functional_logits", "build_bigger() with the functional API and a logit output",
           (("build_bigger", '''    model = keras.Sequential([
        keras.Input(shape=(NUM_WORDS,)),
        keras.layers.Dense(512, activation="relu"),
        keras.layers.Dense(512, activation="relu"),
        keras.layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer="adam", loss="binary_crossentropy",
                  metrics=["accuracy", "binary_crossentropy"])''', '''    inputs = keras.Input(shape=(NUM_WORDS,))
    hidden = keras.layers.Dense(512, activation="relu")(inputs)
    hidden = keras.layers.Dense(512, activation="relu")(hidden)
    model = keras.Model(inputs, keras.layers.Dense(1)(hidden))
    model.compile(optimizer="adam", loss=keras.losses.BinaryCrossentropy(from_logits=True),
                  metrics=[keras.metrics.BinaryAccuracy(threshold=0.0),
                           keras.metrics.BinaryCrossentropy(from_logits=True)])'''),),
           frozenset()),
    Sample("inverse_time_decay", "the baseline trained with the current tutorial's schedule, from 0.001",
           (("build_baseline", 'optimizer="adam"',
             "optimizer=keras.optimizers.Adam(keras.optimizers.schedules.InverseTimeDecay(\n"
             "                      0.001, decay_steps=40_000, decay_rate=1, staircase=False))"),),
           frozenset()),
]
