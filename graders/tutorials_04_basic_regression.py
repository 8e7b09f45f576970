"""Accepted samples for 04-basic_regression: the Auto MPG tutorial of
tensorflow/docs in its Normalization-layer revisions (2020-2024; earlier
revisions normalise by hand, train one RMSprop/MSE network and have no
horsepower or linear model, so they do not fit this assignment), each as
written there, adapted only where the course's contract, its offline data or
Keras 3 require. Each loses nothing.
"""

from tfgrader.instructor.authoring.samples import WHOLE_CELL, Sample

# The reference's solution text that each sample replaces.
RAW = "raw_dataset = data.auto_mpg()\n"
DATASET = """dataset = raw_dataset.copy()
dataset = dataset.dropna()
dataset["Origin"] = dataset["Origin"].map({1: "USA", 2: "Europe", 3: "Japan"})
dataset = pd.get_dummies(dataset, columns=["Origin"], prefix="", prefix_sep="", dtype=float)
"""
SPLIT = """train_dataset = dataset.sample(frac=0.8, random_state=0)
test_dataset = dataset.drop(train_dataset.index)
"""
FEATURES = """train_features = train_dataset.copy()
test_features = test_dataset.copy()
train_labels = train_features.pop("MPG")
test_labels = test_features.pop("MPG")
"""
NORMALIZER = """normalizer = keras.layers.Normalization(axis=-1)
normalizer.adapt(np.array(train_features))
"""
HORSEPOWER_BODY = """    model = keras.Sequential([
        keras.Input(shape=(1,)),
        horsepower_normalizer,
        keras.layers.Dense(1),
    ])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.1), loss="mean_absolute_error")
    return model
"""
HORSEPOWER_FIT = """horsepower_history = horsepower_model.fit(
    train_features["Horsepower"], train_labels,
    epochs=EPOCHS, batch_size=BATCH_SIZE, validation_split=0.2, verbose=0)
"""
LINEAR_BODY = """    model = keras.Sequential([
        keras.Input(shape=(train_features.shape[1],)),
        normalizer,
        keras.layers.Dense(1),
    ])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.1), loss="mean_absolute_error")
    return model
"""
LINEAR_FIT = """linear_history = linear_model.fit(
    train_features, train_labels,
    epochs=EPOCHS, batch_size=BATCH_SIZE, validation_split=0.2, verbose=0)
"""
DNN_FIT = """dnn_history = dnn_model.fit(
    train_features, train_labels,
    epochs=EPOCHS, batch_size=BATCH_SIZE, validation_split=0.2, verbose=0)
"""
TEST_RESULTS = """test_results = {
    "horsepower_model": horsepower_model.evaluate(test_features["Horsepower"], test_labels, verbose=0),
    "linear_model": linear_model.evaluate(test_features, test_labels, verbose=0),
    "dnn_model": dnn_model.evaluate(test_features, test_labels, verbose=0),
}
"""

# Tutorial text that all three revisions share.
T_SPLIT = """train_dataset = dataset.sample(frac=0.8, random_state=0)
test_dataset = dataset.drop(train_dataset.index)
"""
T_FEATURES = """train_features = train_dataset.copy()
test_features = test_dataset.copy()

train_labels = train_features.pop('MPG')
test_labels = test_features.pop('MPG')
"""
T_TEST_RESULTS = """test_results = {}

test_results['horsepower_model'] = horsepower_model.evaluate(
    test_features['Horsepower'],
    test_labels, verbose=0)

test_results['linear_model'] = linear_model.evaluate(
    test_features, test_labels, verbose=0)

test_results['dnn_model'] = dnn_model.evaluate(test_features, test_labels, verbose=0)
"""


def dataset(get_dummies: str) -> str:
    return f"""dataset = raw_dataset.copy()
dataset.tail()

dataset.isna().sum()

dataset = dataset.dropna()

dataset['Origin'] = dataset['Origin'].map({{1: 'USA', 2: 'Europe', 3: 'Japan'}})

{get_dummies}
"""


def horsepower_body(adam: str) -> str:
    # The tutorial gives the input shape to horsepower_normalizer
    # (`Normalization(input_shape=[1,], ...)`), which the notebook creates in its own cell without one:
    # the same shape is given here by an Input layer in front of it.
    return f"""    horsepower_model = tf.keras.Sequential([
        layers.Input(shape=[1,]),
        horsepower_normalizer,
        layers.Dense(units=1)
    ])

    horsepower_model.summary()

    horsepower_model.compile(
        optimizer={adam}(learning_rate=0.1),
        loss='mean_absolute_error')
    return horsepower_model
"""


def linear_body(adam: str) -> str:
    return f"""    linear_model = tf.keras.Sequential([
        normalizer,
        layers.Dense(units=1)
    ])

    linear_model.compile(
        optimizer={adam}(learning_rate=0.1),
        loss='mean_absolute_error')
    return linear_model
"""


# The tutorial's `def build_and_compile_model(norm):`, renamed to the contract's builder.
T_DNN = """def build_dnn_model(norm):
  model = keras.Sequential([
      norm,
      layers.Dense(64, activation='relu'),
      layers.Dense(64, activation='relu'),
      layers.Dense(1)
  ])

  model.compile(loss='mean_absolute_error',
                optimizer=tf.keras.optimizers.Adam(0.001))
  return model
"""


def fit(model: str, features: str, history: str) -> str:
    """The tutorial's fit, with the notebook's EPOCHS and BATCH_SIZE and its history name."""
    return f"""{history} = {model}.fit(
    {features},
    train_labels,
    epochs=EPOCHS,
    batch_size=BATCH_SIZE,
    # Suppress logging.
    verbose=0,
    # Calculate validation results on 20% of the training data.
    validation_split = 0.2)
"""


def edits(imports: str, get_dummies: str, normalizer: str, adam: str) -> tuple:
    return (
        ("raw_dataset", RAW, imports + RAW),
        ("dataset", DATASET, dataset(get_dummies)),
        ("split", SPLIT, T_SPLIT),
        ("features", FEATURES, T_FEATURES),
        ("normalizer", NORMALIZER, normalizer + "\nnormalizer.adapt(np.array(train_features))\n"),
        ("build_horsepower_model", HORSEPOWER_BODY, horsepower_body(adam)),
        ("horsepower_model", HORSEPOWER_FIT,
         fit("horsepower_model", "train_features['Horsepower']", "horsepower_history")),
        ("build_linear_model", LINEAR_BODY, linear_body(adam)),
        ("linear_model", LINEAR_FIT, fit("linear_model", "train_features", "linear_history")),
        ("build_dnn_model", WHOLE_CELL, T_DNN),
        ("dnn_model", DNN_FIT, """dnn_history = dnn_model.fit(
    train_features,
    train_labels,
    validation_split=0.2,
    verbose=0, epochs=EPOCHS, batch_size=BATCH_SIZE)
"""),
        ("test_results", TEST_RESULTS, T_TEST_RESULTS),
    )


# Adaptations common to all three samples:
#  - the URL + `pd.read_csv(url, names=column_names, na_values='?', ...)` -> the cell's data.auto_mpg()
#    (which returns what that read_csv returns); the tutorial's import cell (`import tensorflow as tf`,
#    `from tensorflow import keras`, `from tensorflow.keras import layers`) put on top of that cell;
#  - the cleaning cells as written (`dataset.tail()` / `dataset.isna().sum()` included), the split and
#    the feature/label cells as written;
#  - the horsepower and linear models and their compile wrapped in build_horsepower_model(
#    horsepower_normalizer) / build_linear_model(normalizer), returning the tutorial's
#    horsepower_model / linear_model; the horsepower model gets `layers.Input(shape=[1,])` first,
#    because the tutorial's `input_shape=[1,]` sits on horsepower_normalizer, which the notebook
#    creates in its own (non-solution) cell without it -- without any input shape Keras 3 would
#    build the model from 1-D batches and Dense(1) could not be built;
#  - the linear model and the DNN keep the tutorial's form with no Input: Keras 3 builds them on the
#    first fit (the exported builders are saved unbuilt, see the report);
#  - `def build_and_compile_model(norm):` renamed build_dnn_model(norm), body as written;
#  - every fit: `epochs=100` -> EPOCHS plus `batch_size=BATCH_SIZE` (the notebook's FAST settings);
#    `history = ...` -> horsepower_history / linear_history / dnn_history, the names the notebook's
#    own plot_loss(...) lines read; `%%time` dropped (it must open a cell);
#  - test_results built as in the tutorial (`test_results = {}` then one key per model).
TUTORIAL_SAMPLES = [
    # tutorial_2020 -- site/en/tutorials/keras/regression.ipynb @ e06db3175 (2020-09-23).
    # Further adaptations:
    #  - `from tensorflow.keras.layers.experimental import preprocessing` (gone in Keras 3) dropped and
    #    `preprocessing.Normalization()` -> `layers.Normalization()` (default axis=-1, as written);
    #  - `pd.get_dummies(dataset, prefix='', prefix_sep='')` + `dtype=float`: pandas >= 2 (here 3.1)
    #    makes bool columns, which the contract refuses (the tutorial's pandas gave uint8);
    #  - `tf.optimizers.Adam(learning_rate=0.1)` as written (tf.optimizers still exists in TF 2.21).
    Sample("tutorial_2020",
           "tensorflow/docs site/en/tutorials/keras/regression.ipynb @ e06db3175 (2020-09-23): "
           "pd.get_dummies without columns=, tf.optimizers.Adam(learning_rate=0.1), tf.keras.Sequential "
           "without Input, build_and_compile_model(norm); adapted: data.auto_mpg(), "
           "preprocessing.Normalization() -> layers.Normalization(), dtype=float for pandas 3, builder "
           "wrappers, Input(shape=[1,]) for the horsepower model, EPOCHS/BATCH_SIZE",
           edits("import tensorflow as tf\n\nfrom tensorflow import keras\nfrom tensorflow.keras import layers\n\n",
                 "dataset = pd.get_dummies(dataset, prefix='', prefix_sep='', dtype=float)",
                 "normalizer = layers.Normalization()\n",
                 "tf.optimizers.Adam"),
           frozenset()),

    # tutorial_2022 -- site/en/tutorials/keras/regression.ipynb @ 7833ea76e (2022-02-07).
    # Further adaptations: `pd.get_dummies(dataset, columns=['Origin'], prefix='', prefix_sep='')`
    # + `dtype=float` (pandas >= 2 makes bool columns); `tf.keras.layers.Normalization(axis=-1)` and
    # `tf.optimizers.Adam(learning_rate=0.1)` as written.
    Sample("tutorial_2022",
           "tensorflow/docs site/en/tutorials/keras/regression.ipynb @ 7833ea76e (2022-02-07): "
           "get_dummies(columns=['Origin']), tf.keras.layers.Normalization(axis=-1), "
           "tf.optimizers.Adam(learning_rate=0.1); adapted: data.auto_mpg(), dtype=float for pandas 3, "
           "builder wrappers, Input(shape=[1,]) for the horsepower model, EPOCHS/BATCH_SIZE",
           edits("import tensorflow as tf\n\nfrom tensorflow import keras\nfrom tensorflow.keras import layers\n\n",
                 "dataset = pd.get_dummies(dataset, columns=['Origin'], prefix='', prefix_sep='', dtype=float)",
                 "normalizer = tf.keras.layers.Normalization(axis=-1)\n",
                 "tf.optimizers.Adam"),
           frozenset()),

    # tutorial_2024 -- site/en/tutorials/keras/regression.ipynb @ fe0d28519 (2024-06-23).
    # Further notes: get_dummies(..., dtype=int) as written (the contract takes int one-hot columns);
    # `tf.keras.layers.Normalization(axis=-1)` and `tf.keras.optimizers.Adam(learning_rate=0.1)` as written.
    Sample("tutorial_2024",
           "tensorflow/docs site/en/tutorials/keras/regression.ipynb @ fe0d28519 (2024-06-23): "
           "get_dummies(columns=['Origin'], dtype=int), tf.keras.layers.Normalization(axis=-1), "
           "tf.keras.optimizers.Adam(learning_rate=0.1); adapted: data.auto_mpg(), builder wrappers, "
           "Input(shape=[1,]) for the horsepower model, EPOCHS/BATCH_SIZE",
           edits("import tensorflow as tf\n\nfrom tensorflow import keras\nfrom tensorflow.keras import layers\n\n",
                 "dataset = pd.get_dummies(dataset, columns=['Origin'], prefix='', prefix_sep='', dtype=int)",
                 "normalizer = tf.keras.layers.Normalization(axis=-1)\n",
                 "tf.keras.optimizers.Adam"),
           frozenset()),
]
