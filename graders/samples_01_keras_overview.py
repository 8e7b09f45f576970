"""Wrong submissions for 01-keras-overview, each with the checks it must lose.

Used by the project's tests and by ``tfgrader validate``: the reference must
score full points, and each sample here exactly its ``loses`` set less.
"""

from tfgrader.instructor.authoring.samples import Sample

SOFTMAX_OUT = 'keras.layers.Dense(10, activation="softmax"),\n    ])'

SAMPLES = [
    Sample("wrong_units", "12 output units instead of 10",
           (("build_model", SOFTMAX_OUT, SOFTMAX_OUT.replace("Dense(10", "Dense(12")),),
           frozenset({"architecture"})),
    Sample("relu_output", "relu instead of softmax on the output layer",
           (("build_model", SOFTMAX_OUT, SOFTMAX_OUT.replace("softmax", "relu")),),
           # relu outputs are not probabilities: the network cannot learn, so
           # the grader's retraining and the trained model fail too.
           frozenset({"architecture", "training", "trained_model"})),
    Sample("no_dropout", "the Dropout layer left out",
           (("build_model", '        keras.layers.Dropout(0.2),\n', ""),),
           frozenset({"architecture"})),
    Sample("functional_is_sequential", "build_functional_model() returns the Sequential model",
           (("build_functional_model", "    inputs = keras.Input(shape=(28, 28))\n", "    return build_model()\n"),),
           frozenset({"functional_api"})),
    Sample("unscaled", "pixels left as integers from 0 to 255",
           (("load_data", "x_train, x_test = x_train / 255.0, x_test / 255.0\n", ""),),
           # Measured: the model trained on raw pixels still ranks the classes
           # right on scaled ones (relu layers scale along with their input),
           # so only the scaling check is lost.
           frozenset({"scaling"})),
    # Accepted variants: each loses nothing.
    Sample("quickstart_2019", "the 2019 TensorFlow quickstart's model as written there: tf.keras, "
           "Flatten(input_shape=...), tf.nn activations, metrics=['acc']",
           (("build_model", """    model = keras.Sequential([
        keras.Input(shape=(28, 28)),
        keras.layers.Flatten(),
        keras.layers.Dense(512, activation="relu"),
        keras.layers.Dropout(0.2),
        keras.layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])""",
             """    import tensorflow as tf
    model = tf.keras.models.Sequential([
      tf.keras.layers.Flatten(input_shape=(28, 28)),
      tf.keras.layers.Dense(512, activation=tf.nn.relu),
      tf.keras.layers.Dropout(0.2),
      tf.keras.layers.Dense(10, activation=tf.nn.softmax)
    ])
    model.compile(optimizer='adam', loss='sparse_categorical_crossentropy', metrics=['acc'])"""),),
           frozenset()),
    Sample("no_input_layer", "a Sequential model with no Input, built only when trained",
           (("build_model", "        keras.Input(shape=(28, 28)),\n", ""),),
           frozenset()),
    Sample("not_compiled", "build_model() never calls compile()",
           (("build_model", "    model.compile(", "    # model.compile("),),
           # nothing can be trained, in the notebook or by the grader
           frozenset({"compiled", "training", "trained_model"})),
    Sample("m_train_train_test_swap_1", "mutant: fit(): x_train -> x_test, y_train -> y_test",
           (("train", "history = model.fit(x_train[:TRAIN_SAMPLES], y_train[:TRAIN_SAMPLES], epochs=EPOCHS)\n",
             "history = model.fit(x_test[:TRAIN_SAMPLES], y_test[:TRAIN_SAMPLES], epochs=EPOCHS)\n"),),
           frozenset({"trained_model"})),
    Sample("m_evaluate_train_test_swap_1", "mutant: evaluate(): x_test -> x_train, y_test -> y_train",
           (("evaluate", "test_loss, test_accuracy = model.evaluate(x_test, y_test, verbose=2)\n",
             "test_loss, test_accuracy = model.evaluate(x_train, y_train, verbose=2)\n"),),
           frozenset({"trained_model"})),
    Sample("m_build_functional_model_learning_rate_1", "mutant: learning_rate 0.001 -> 0.1",
           (("build_functional_model", "    model.compile(optimizer=\"adam\", loss=\"sparse_categorical_crossentropy\", metrics=[\"accuracy\"])\n",
             "    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.1), loss=\"sparse_categorical_crossentropy\", metrics=[\"accuracy\"])\n"),),
           frozenset({"functional_api"})),
]
