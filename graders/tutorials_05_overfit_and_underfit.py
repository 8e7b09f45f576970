"""Accepted samples for 05-overfit_and_underfit: the overfitting tutorial of
tensorflow/docs in its IMDB multi-hot revisions (2018-2019; from 2019-11 it
uses the Higgs dataset, elu units and a learning-rate schedule, which do not
fit this assignment), each as written there, adapted only where the course's
contract, its offline data or Keras 3 require. Each loses
nothing.
"""

from tfgrader.instructor.authoring.samples import WHOLE_CELL, Sample

# The reference's solution text that each sample replaces.
MULTI_HOT_BODY = """    results = np.zeros((len(sequences), dimension), dtype="float32")
    for i, word_indices in enumerate(sequences):
        results[i, word_indices] = 1.0
    return results
"""
ENCODE = """train_data = multi_hot_sequences(train_sequences, NUM_WORDS)
test_data = multi_hot_sequences(test_sequences, NUM_WORDS)
"""
COMPILE = """    model.compile(optimizer="adam", loss="binary_crossentropy",
                  metrics=["accuracy", "binary_crossentropy"])
    return model
"""


def ref_body(width: int) -> str:
    return f"""    model = keras.Sequential([
        keras.Input(shape=(NUM_WORDS,)),
        keras.layers.Dense({width}, activation="relu"),
        keras.layers.Dense({width}, activation="relu"),
        keras.layers.Dense(1, activation="sigmoid"),
    ])
""" + COMPILE


L2_BODY = """    model = keras.Sequential([
        keras.Input(shape=(NUM_WORDS,)),
        keras.layers.Dense(16, activation="relu", kernel_regularizer=keras.regularizers.l2(0.001)),
        keras.layers.Dense(16, activation="relu", kernel_regularizer=keras.regularizers.l2(0.001)),
        keras.layers.Dense(1, activation="sigmoid"),
    ])
""" + COMPILE
DROPOUT_BODY = """    model = keras.Sequential([
        keras.Input(shape=(NUM_WORDS,)),
        keras.layers.Dense(16, activation="relu"),
        keras.layers.Dropout(0.5),
        keras.layers.Dense(16, activation="relu"),
        keras.layers.Dropout(0.5),
        keras.layers.Dense(1, activation="sigmoid"),
    ])
""" + COMPILE

# The tutorial's multi_hot_sequences as written: float64, 2 GB per (25000, 10000) array.
T_MULTI_HOT_BODY = """    # Create an all-zero matrix of shape (len(sequences), dimension)
    results = np.zeros((len(sequences), dimension))
    for i, word_indices in enumerate(sequences):
        results[i, word_indices] = 1.0  # set specific indices of results[i] to 1s
    return results
"""


def tutorial_model(name: str, sequential: str, width: int, relu: str, sigmoid: str, metrics: str,
                   comment: bool = False, summary: bool = True) -> str:
    """One of the tutorial's size models (baseline/smaller/bigger), as a builder's body."""
    note = "        # `input_shape` is only required here so that `.summary` works.\n" if comment else ""
    pad = " " * (len(name) + len(".compile("))
    return f"""    {name} = {sequential}([
{note}        keras.layers.Dense({width}, activation={relu}, input_shape=(NUM_WORDS,)),
        keras.layers.Dense({width}, activation={relu}),
        keras.layers.Dense(1, activation={sigmoid})
    ])

    {name}.compile(optimizer='adam',
    {pad}loss='binary_crossentropy',
    {pad}metrics={metrics})
{"" if not summary else chr(10) + f"    {name}.summary()" + chr(10)}    return {name}
"""


def l2_model(relu: str, sigmoid: str) -> str:
    return f"""    l2_model = keras.models.Sequential([
        keras.layers.Dense(16, kernel_regularizer=keras.regularizers.l2(0.001),
                           activation={relu}, input_shape=(NUM_WORDS,)),
        keras.layers.Dense(16, kernel_regularizer=keras.regularizers.l2(0.001),
                           activation={relu}),
        keras.layers.Dense(1, activation={sigmoid})
    ])

    l2_model.compile(optimizer='adam',
                     loss='binary_crossentropy',
                     metrics=['accuracy', 'binary_crossentropy'])
    return l2_model
"""


def dpt_model(relu: str, sigmoid: str) -> str:
    return f"""    dpt_model = keras.models.Sequential([
        keras.layers.Dense(16, activation={relu}, input_shape=(NUM_WORDS,)),
        keras.layers.Dropout(0.5),
        keras.layers.Dense(16, activation={relu}),
        keras.layers.Dropout(0.5),
        keras.layers.Dense(1, activation={sigmoid})
    ])

    dpt_model.compile(optimizer='adam',
                      loss='binary_crossentropy',
                      metrics=['accuracy','binary_crossentropy'])
    return dpt_model
"""


def builders(relu: str, sigmoid: str, summary: bool) -> tuple:
    return (
        ("build_baseline", ref_body(16),
         tutorial_model("baseline_model", "keras.Sequential", 16, relu, sigmoid,
                        "['accuracy', 'binary_crossentropy']", comment=True, summary=summary)),
        ("build_smaller", ref_body(4),
         tutorial_model("smaller_model", "keras.Sequential", 4, relu, sigmoid,
                        "['accuracy', 'binary_crossentropy']", summary=summary)),
        ("build_bigger", ref_body(512),
         tutorial_model("bigger_model", "keras.models.Sequential", 512, relu, sigmoid,
                        "['accuracy','binary_crossentropy']", summary=summary)),
        ("build_l2_model", L2_BODY, l2_model(relu, sigmoid)),
        ("build_dropout_model", DROPOUT_BODY, dpt_model(relu, sigmoid)),
    )


def fit(history: str, model: str, x: str, y: str, val: str) -> str:
    """The tutorial's fit, with the notebook's FAST data, EPOCHS and BATCH_SIZE."""
    pad = " " * (len(history) + len(" = ") + len(model) + len(".fit("))
    return f"""{history} = {model}.fit({x},
{pad}{y},
{pad}epochs=EPOCHS,
{pad}batch_size=BATCH_SIZE,
{pad}validation_data={val},
{pad}verbose=2)
"""


def direct_fits(x: str, y: str, val: str) -> tuple:
    """histories / train_regularized cells that train as the tutorial does (unseeded), then collect."""
    sizes = "".join(
        f"{name}_model = build_{name}()\n" + fit(f"{name}_history", f"{name}_model", x, y, val) + "\n"
        for name in ("baseline", "smaller", "bigger"))
    sizes += ("histories = {'baseline': baseline_history,\n"
              "             'smaller': smaller_history,\n"
              "             'bigger': bigger_history}\n")
    regularized = ("l2_model = build_l2_model()\n" + fit("l2_model_history", "l2_model", x, y, val) + "\n"
                   "dpt_model = build_dropout_model()\n" + fit("dpt_model_history", "dpt_model", x, y, val) + "\n"
                   "histories['l2'] = l2_model_history\n"
                   "histories['dropout'] = dpt_model_history\n")
    return (("histories", WHOLE_CELL, sizes), ("train_regularized", WHOLE_CELL, regularized))


def encode(imports: str) -> tuple:
    """The tutorial's import cell on top of the first solution cell, then its multi_hot cell's lines."""
    return (("multi_hot_sequences", "def multi_hot_sequences(", imports + "def multi_hot_sequences("),
            ("multi_hot_sequences", MULTI_HOT_BODY, T_MULTI_HOT_BODY),
            ("encode", ENCODE, "train_data = multi_hot_sequences(train_sequences, dimension=NUM_WORDS)\n"
                                          "test_data = multi_hot_sequences(test_sequences, dimension=NUM_WORDS)\n"),)


# Adaptations common to all three samples:
#  - `keras.datasets.imdb.load_data(num_words=NUM_WORDS)` -> the notebook's own
#    data.imdb(num_words=NUM_WORDS) cell, which names the raw reviews train_sequences/test_sequences;
#    so `multi_hot_sequences(train_data, dimension=NUM_WORDS)` -> `multi_hot_sequences(train_sequences,
#    dimension=NUM_WORDS)` (and test); the tutorial's import cell put on top of the first solution cell
#    (multi_hot_sequences);
#  - multi_hot_sequences as written, float64: the two (25000, 10000) arrays take 4 GB, which the
#    assignment's own memory limit (LIMITS in test_05_overfit_and_underfit.py) allows;
#  - each model cell (model + compile [+ summary]) wrapped in its contract builder (build_baseline,
#    build_smaller, build_bigger, build_l2_model, build_dropout_model) returning the tutorial's
#    baseline_model / smaller_model / bigger_model / l2_model / dpt_model; input_shape=(NUM_WORDS,),
#    keras.Sequential vs keras.models.Sequential, keras.regularizers.l2(0.001) as written.
TUTORIAL_SAMPLES = [
    # tutorial_2018 -- site/en/tutorials/keras/overfit_and_underfit.ipynb @ 247b6e9af (2018-08-20).
    # Further adaptations: the tutorial's five fits kept as fits (unseeded, as the tutorial is), with
    # `train_data, train_labels` -> the notebook's x_train, y_train (its first TRAIN_REVIEWS reviews),
    # `validation_data=(test_data, test_labels)` -> (x_val, y_val) (its first VAL_REVIEWS test reviews),
    # `epochs=20` -> EPOCHS, `batch_size=512` -> BATCH_SIZE; the History objects then collected into the
    # contract's `histories` dict; tf.nn.relu / tf.nn.sigmoid and the .summary() calls as written.
    Sample("tutorial_2018",
           "tensorflow/docs site/en/tutorials/keras/overfit_and_underfit.ipynb @ 247b6e9af (2018-08-20): "
           "keras.Sequential/keras.models.Sequential with input_shape=(NUM_WORDS,), tf.nn.relu/tf.nn.sigmoid, "
           "keras.regularizers.l2(0.001), its own unseeded fit() calls; adapted: data.imdb() names, "
           "builder wrappers, the notebook's x_train/x_val subsets, "
           "EPOCHS/BATCH_SIZE, a histories dict",
           (*encode("import tensorflow as tf\nfrom tensorflow import keras\n\n"),
            *builders("tf.nn.relu", "tf.nn.sigmoid", summary=True),
            *direct_fits("x_train", "y_train", "(x_val, y_val)")),
           frozenset()),

    # tutorial_2019_06 -- site/en/tutorials/keras/overfit_and_underfit.ipynb @ 34fe611c5 (2019-06-03).
    # Further adaptations: its `!pip install tf_nightly` cell dropped (no network; imdb works here), its
    # `from __future__ import ...` kept as the first line of the first solution cell; the models trained through
    # the notebook's fit_model() helper (same data, EPOCHS, BATCH_SIZE and validation as the tutorial's
    # fits, seeded), so the histories/train_regularized cells are the reference's; tf.nn activations
    # as written, the .summary() calls left out.
    Sample("tutorial_2019_06",
           "tensorflow/docs site/en/tutorials/keras/overfit_and_underfit.ipynb @ 34fe611c5 (2019-06-03): "
           "tf.nn.relu/tf.nn.sigmoid, input_shape=(NUM_WORDS,), keras.regularizers.l2(0.001), a __future__ "
           "import; adapted: data.imdb() names, builder wrappers, "
           "training through the notebook's fit_model()",
           (*encode("from __future__ import absolute_import, division, print_function, unicode_literals\n\n"
                    "import tensorflow as tf\nfrom tensorflow import keras\n\n"),
            *builders("tf.nn.relu", "tf.nn.sigmoid", summary=False)),
           frozenset()),

    # tutorial_2019 -- site/en/tutorials/keras/overfit_and_underfit.ipynb @ ea209591f (2019-08-26), the
    # last IMDB revision. Further adaptations: the Colab `%tensorflow_version 2.x` try-block and the
    # __future__ line dropped; the tutorial's fits kept (unseeded), on the first TRAIN_REVIEWS training
    # reviews and VAL_REVIEWS test reviews sliced from train_data/test_data; their labels reshaped to
    # (N, 1), since Keras 3's binary_crossentropy metric refuses 1-D labels against a (N, 1) output
    # (measured: "Arguments `target` and `output` must have the same rank"); `epochs=20` -> EPOCHS,
    # `batch_size=512` -> BATCH_SIZE; 'relu'/'sigmoid' strings and the .summary() calls as written.
    Sample("tutorial_2019",
           "tensorflow/docs site/en/tutorials/keras/overfit_and_underfit.ipynb @ ea209591f (2019-08-26): "
           "'relu'/'sigmoid' strings, input_shape=(NUM_WORDS,), keras.regularizers.l2(0.001), its own "
           "unseeded fit() calls; adapted: data.imdb() names, builder "
           "wrappers, TRAIN_REVIEWS/VAL_REVIEWS slices, labels reshaped to (N, 1) for Keras 3, "
           "EPOCHS/BATCH_SIZE, a histories dict",
           (*encode("import tensorflow as tf\nfrom tensorflow import keras\n\n"),
            *builders("'relu'", "'sigmoid'", summary=True),
            *direct_fits("train_data[:TRAIN_REVIEWS]", "train_labels[:TRAIN_REVIEWS].reshape(-1, 1)",
                         "(test_data[:VAL_REVIEWS], test_labels[:VAL_REVIEWS].reshape(-1, 1))")),
           frozenset()),
]
