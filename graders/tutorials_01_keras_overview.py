"""Accepted samples for 01-keras-overview: the TensorFlow quickstart (and the
Keras guide's functional-API example) pasted from tensorflow/docs, each
revision as written there, adapted only where the course's contract, its
offline data or Keras 3 require. Each loses nothing.
"""

from tfgrader.instructor.authoring.samples import Sample

# The reference's text that each sample replaces (solution lines only; the
# cell's def line, docstring and prints stay as the release has them).
LOAD = "(x_train, y_train), (x_test, y_test) = data.mnist()\n"
BUILD_BODY = """    model = keras.Sequential([
        keras.Input(shape=(28, 28)),
        keras.layers.Flatten(),
        keras.layers.Dense(512, activation="relu"),
        keras.layers.Dropout(0.2),
        keras.layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model
"""
FUNCTIONAL_BODY = """    inputs = keras.Input(shape=(28, 28))
    x = keras.layers.Flatten()(inputs)
    x = keras.layers.Dense(512, activation="relu")(x)
    x = keras.layers.Dropout(0.2)(x)
    outputs = keras.layers.Dense(10, activation="softmax")(x)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model
"""
EVALUATE = "test_loss, test_accuracy = model.evaluate(x_test, y_test, verbose=2)\n"

TUTORIAL_SAMPLES = [
    # tutorial_2018 -- quickstart site/en/tutorials/_index.ipynb @ 247b6e9af (2018-08-20),
    # functional API from site/en/guide/keras.ipynb @ ec6e3f9dd (2018-10-19).
    # Adaptations:
    #  - `mnist = tf.keras.datasets.mnist; mnist.load_data()` -> the cell's data.mnist() (kept);
    #    the tutorial's imports (`import tensorflow as tf`, the guide's `from tensorflow import keras`)
    #    put on top of the first cell;
    #  - the quickstart's model and compile wrapped in `def build_model(): ... return model`
    #    (Flatten() without input_shape, tf.nn activations: as written);
    #  - the guide's functional example (Input(shape=(32,)), Dense(64) x2, softmax, RMSprop,
    #    categorical_crossentropy) given the quickstart's network so that it is "the same network":
    #    Input (28, 28) + Flatten, Dense(512)/Dropout(0.2)/Dense(10, softmax); the guide's
    #    `tf.train.AdamOptimizer(0.001)` (TF1, gone) -> `tf.keras.optimizers.Adam(0.001)`, and its
    #    categorical loss -> the quickstart's sparse_categorical_crossentropy (integer labels);
    #    wrapped in `def build_functional_model(): ... return model`;
    #  - `model.fit(x_train, y_train, epochs=5)` -> the cell's FAST fit (unchanged cell);
    #  - `model.evaluate(x_test, y_test)` -> `test_loss, test_accuracy = model.evaluate(x_test, y_test)`.
    Sample("tutorial_2018",
           "tensorflow/docs site/en/tutorials/_index.ipynb @ 247b6e9af (2018-08-20) quickstart, with the "
           "functional model of site/en/guide/keras.ipynb @ ec6e3f9dd (2018-10-19): tf.keras.models.Sequential, "
           "Flatten() without input_shape, tf.nn.relu/tf.nn.softmax, `from tensorflow import keras`, "
           "keras.Model(inputs=..., outputs=...); adapted: data.mnist(), contract function names, "
           "tf.train.AdamOptimizer(0.001) -> tf.keras.optimizers.Adam(0.001)",
           (("load_data", LOAD, "import tensorflow as tf\nfrom tensorflow import keras\n\n" + LOAD),
            ("build_model", BUILD_BODY, """    model = tf.keras.models.Sequential([
      tf.keras.layers.Flatten(),
      tf.keras.layers.Dense(512, activation=tf.nn.relu),
      tf.keras.layers.Dropout(0.2),
      tf.keras.layers.Dense(10, activation=tf.nn.softmax)
    ])

    model.compile(optimizer='adam',
                  loss='sparse_categorical_crossentropy',
                  metrics=['accuracy'])
    return model
"""),
            ("build_functional_model", FUNCTIONAL_BODY, """    inputs = keras.Input(shape=(28, 28))  # Returns a placeholder tensor

    # A layer instance is callable on a tensor, and returns a tensor.
    x = keras.layers.Flatten()(inputs)
    x = keras.layers.Dense(512, activation='relu')(x)
    x = keras.layers.Dropout(0.2)(x)
    predictions = keras.layers.Dense(10, activation='softmax')(x)

    # Instantiate the model given inputs and outputs.
    model = keras.Model(inputs=inputs, outputs=predictions)

    # The compile step specifies the training configuration.
    model.compile(optimizer=tf.keras.optimizers.Adam(0.001),
                  loss='sparse_categorical_crossentropy',
                  metrics=['accuracy'])
    return model
"""),
            ("evaluate", EVALUATE, "test_loss, test_accuracy = model.evaluate(x_test, y_test)\n")),
           frozenset()),

    # tutorial_2019 -- quickstart site/en/tutorials/quickstart/beginner.ipynb @ ea209591f (2019-08-26),
    # functional API from site/en/guide/keras/overview.ipynb @ 6e5e5a55c (2019-10-19).
    # Adaptations:
    #  - `mnist.load_data()` -> the cell's data.mnist(); the Colab `%tensorflow_version 2.x` try-block
    #    and `from __future__ import ...` dropped (a __future__ import must open a cell; nothing to
    #    switch outside Colab); `import tensorflow as tf` and the guide's
    #    `from tensorflow.keras import layers` put on top of the first cell;
    #  - the quickstart's model (Flatten(input_shape=(28, 28)), Dense(128, 'relu'), 'softmax') wrapped
    #    in `def build_model(): ... return model`; hidden width 128 as written (contract: 128-1024);
    #  - the guide's functional example given the quickstart's network (Input (28, 28) + Flatten,
    #    Dense(128)/Dropout(0.2)/Dense(10, softmax)); its compile (RMSprop(0.001),
    #    categorical_crossentropy) -> the quickstart's compile ('adam', sparse_categorical_crossentropy),
    #    which the contract asks for; wrapped in `def build_functional_model(): ... return model`;
    #  - `model.fit(x_train, y_train, epochs=5)` -> `history = model.fit(x_train[:TRAIN_SAMPLES],
    #    y_train[:TRAIN_SAMPLES], epochs=EPOCHS)` (the cell's own line, unchanged);
    #  - `model.evaluate(x_test,  y_test, verbose=2)` -> `test_loss, test_accuracy = ...`.
    Sample("tutorial_2019",
           "tensorflow/docs site/en/tutorials/quickstart/beginner.ipynb @ ea209591f (2019-08-26), with the "
           "functional model of site/en/guide/keras/overview.ipynb @ 6e5e5a55c (2019-10-19): "
           "Flatten(input_shape=(28, 28)), Dense(128, activation='relu'), 'softmax' strings, "
           "`from tensorflow.keras import layers`, tf.keras.Input/tf.keras.Model; adapted: data.mnist(), "
           "contract function names, the guide's RMSprop/categorical loss -> the quickstart's compile",
           (("load_data", LOAD, "import tensorflow as tf\n\nfrom tensorflow.keras import layers\n\n" + LOAD),
            ("build_model", BUILD_BODY, """    model = tf.keras.models.Sequential([
      tf.keras.layers.Flatten(input_shape=(28, 28)),
      tf.keras.layers.Dense(128, activation='relu'),
      tf.keras.layers.Dropout(0.2),
      tf.keras.layers.Dense(10, activation='softmax')
    ])

    model.compile(optimizer='adam',
                  loss='sparse_categorical_crossentropy',
                  metrics=['accuracy'])
    return model
"""),
            ("build_functional_model", FUNCTIONAL_BODY, """    inputs = tf.keras.Input(shape=(28, 28))  # Returns an input placeholder

    # A layer instance is callable on a tensor, and returns a tensor.
    x = layers.Flatten()(inputs)
    x = layers.Dense(128, activation='relu')(x)
    x = layers.Dropout(0.2)(x)
    predictions = layers.Dense(10, activation='softmax')(x)

    model = tf.keras.Model(inputs=inputs, outputs=predictions)

    # The compile step specifies the training configuration.
    model.compile(optimizer='adam',
                  loss='sparse_categorical_crossentropy',
                  metrics=['accuracy'])
    return model
"""),
            ("evaluate", EVALUATE, "test_loss, test_accuracy = model.evaluate(x_test,  y_test, verbose=2)\n")),
           frozenset()),

    # tutorial_2023 -- quickstart site/en/tutorials/quickstart/beginner.ipynb @ e865955a3 (2023-11-14),
    # functional API from site/en/guide/keras/functional.ipynb @ 34ec89159 (2020-04-01).
    # Adaptations:
    #  - `mnist.load_data()` -> the cell's data.mnist(); `import tensorflow as tf` on top of the first
    #    cell, and the functional guide's `from tensorflow import keras` / `from tensorflow.keras import
    #    layers` with it;
    #  - the quickstart's logits model and its `loss_fn = tf.keras.losses.SparseCategoricalCrossentropy(
    #    from_logits=True)` (kept at module level, as in the tutorial) with its compile, wrapped in
    #    `def build_model(): ... return model`; the exploratory `model(x_train[:1])` /
    #    `tf.nn.softmax(predictions)` / `loss_fn(...)` cells and the trailing probability_model cells
    #    left out (no matching solution cell);
    #  - the functional guide's MNIST model (Input(shape=(784,)), Dense(64, 'relu') x2, Dense(10) logits,
    #    name='mnist_model') given the quickstart's network: Input (28, 28) + Flatten, Dense(128,
    #    'relu'), Dropout(0.2), Dense(10); its `keras.optimizers.RMSprop()` -> `keras.optimizers.Adam()`
    #    (the contract asks for Adam); loss `keras.losses.SparseCategoricalCrossentropy(from_logits=True)`
    #    and metrics=['accuracy'] as written; wrapped in `def build_functional_model(): ... return model`;
    #  - `model.fit(x_train, y_train, epochs=5)` -> the cell's FAST fit (unchanged);
    #  - `model.evaluate(x_test,  y_test, verbose=2)` -> `test_loss, test_accuracy = ...`.
    Sample("tutorial_2023",
           "tensorflow/docs site/en/tutorials/quickstart/beginner.ipynb @ e865955a3 (2023-11-14), with the "
           "functional model of site/en/guide/keras/functional.ipynb @ 34ec89159 (2020-04-01): logits "
           "Dense(10), loss_fn = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True), "
           "keras.Model(..., name='mnist_model'); adapted: data.mnist(), contract function names, the "
           "guide's RMSprop -> Adam and its 784-input MLP -> the quickstart's network",
           (("load_data", LOAD, "import tensorflow as tf\n\nfrom tensorflow import keras\n"
                                "from tensorflow.keras import layers\n\n" + LOAD),
            ("build_model", "def build_model():\n",
             "loss_fn = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)\n\n\ndef build_model():\n"),
            ("build_model", BUILD_BODY, """    model = tf.keras.models.Sequential([
      tf.keras.layers.Flatten(input_shape=(28, 28)),
      tf.keras.layers.Dense(128, activation='relu'),
      tf.keras.layers.Dropout(0.2),
      tf.keras.layers.Dense(10)
    ])

    model.compile(optimizer='adam',
                  loss=loss_fn,
                  metrics=['accuracy'])
    return model
"""),
            ("build_functional_model", FUNCTIONAL_BODY, """    inputs = keras.Input(shape=(28, 28))
    x = layers.Flatten()(inputs)
    dense = layers.Dense(128, activation='relu')
    x = dense(x)
    x = layers.Dropout(0.2)(x)
    outputs = layers.Dense(10)(x)
    model = keras.Model(inputs=inputs, outputs=outputs, name='mnist_model')

    model.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  optimizer=keras.optimizers.Adam(),
                  metrics=['accuracy'])
    return model
"""),
            ("evaluate", EVALUATE, "test_loss, test_accuracy = model.evaluate(x_test,  y_test, verbose=2)\n")),
           frozenset()),
]
