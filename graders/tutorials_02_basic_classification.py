"""Accepted samples for 02-basic_classification: the Fashion-MNIST tutorial
pasted from tensorflow/docs, each revision as written there, adapted only
where the course's contract, its offline data or Keras 3 require. Each loses
nothing.
"""

from tfgrader.instructor.authoring.samples import WHOLE_CELL, Sample

# The reference's solution text that each sample replaces.
BUILD_BODY = """    model = keras.Sequential([
        keras.Input(shape=(28, 28)),
        keras.layers.Flatten(),
        keras.layers.Dense(128, activation="relu"),
        keras.layers.Dense(10),
    ])
    model.compile(optimizer="adam",
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    return model
"""
EVALUATE = "test_loss, test_acc = model.evaluate(test_images, test_labels, verbose=2)\n"
PREDICTIONS = "predictions = probability_model.predict(test_images, verbose=0)\n"
PREDICT_ONE_BODY = """    batch = np.expand_dims(image, 0)
    return int(np.argmax(probability_model.predict(batch, verbose=0)[0]))
"""
CLASS_NAMES = """class_names = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat',
               'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot']
"""

TUTORIAL_SAMPLES = [
    # tutorial_2018 -- site/en/tutorials/keras/basic_classification.ipynb @ 247b6e9af (2018-08-20).
    # Adaptations:
    #  - the tutorial's import cell (`import tensorflow as tf`, `from tensorflow import keras`) put on
    #    top of the first solution cell, class_names as written;
    #  - `keras.datasets.fashion_mnist.load_data()` -> the cell's data.fashion_mnist(); the scaling
    #    lines are the tutorial's (identical to the reference: no edit);
    #  - the model cell and the compile cell wrapped in `def build_model(): ... return model`;
    #    `optimizer=tf.train.AdamOptimizer()` (TF1, gone) -> `tf.keras.optimizers.Adam()`;
    #    tf.nn.relu / tf.nn.softmax and Flatten(input_shape=(28, 28)) as written;
    #  - `model.fit(train_images, train_labels, epochs=5)` -> the cell's FAST fit (unchanged);
    #  - evaluate as written (`test_loss, test_acc = model.evaluate(test_images, test_labels)` and its
    #    print);
    #  - probability_model (the tutorial has none: its model ends in softmax) -> `probability_model =
    #    model`; `predictions = model.predict(test_images)` as written;
    #  - predict_one (not in the tutorial) made of the tutorial's single-image cells:
    #    `img = (np.expand_dims(img,0))`, `predictions_single = model.predict(img)`,
    #    `np.argmax(predictions_single[0])`, with `image` as the argument.
    Sample("tutorial_2018",
           "tensorflow/docs site/en/tutorials/keras/basic_classification.ipynb @ 247b6e9af (2018-08-20): "
           "`from tensorflow import keras`, keras.Sequential, tf.nn.relu/tf.nn.softmax, softmax output with "
           "probability_model = model; adapted: data.fashion_mnist(), build_model()/predict_one() "
           "wrappers, tf.train.AdamOptimizer() -> tf.keras.optimizers.Adam()",
           (("class_names", WHOLE_CELL,
             "# TensorFlow and tf.keras\nimport tensorflow as tf\nfrom tensorflow import keras\n\n" + CLASS_NAMES),
            ("build_model", BUILD_BODY, """    model = keras.Sequential([
        keras.layers.Flatten(input_shape=(28, 28)),
        keras.layers.Dense(128, activation=tf.nn.relu),
        keras.layers.Dense(10, activation=tf.nn.softmax)
    ])

    model.compile(optimizer=tf.keras.optimizers.Adam(),
                  loss='sparse_categorical_crossentropy',
                  metrics=['accuracy'])
    return model
"""),
            ("evaluate", EVALUATE,
             "test_loss, test_acc = model.evaluate(test_images, test_labels)\n\nprint('Test accuracy:', test_acc)\n"),
            ("probability_model", WHOLE_CELL, "probability_model = model\n"),
            ("predictions", PREDICTIONS, "predictions = model.predict(test_images)\n"),
            ("predict_one", PREDICT_ONE_BODY, """    # Add the image to a batch where it's the only member.
    img = (np.expand_dims(image,0))

    predictions_single = model.predict(img)

    return np.argmax(predictions_single[0])
""")),
           frozenset()),

    # tutorial_2020 -- site/en/tutorials/keras/classification.ipynb @ a2ea316cf (2020-02-12).
    # Adaptations:
    #  - import cell on top of the first solution cell; data.fashion_mnist() as above;
    #  - the logits model (`keras.Sequential`, Dense(10)) and its compile
    #    (`tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)`) wrapped in
    #    `def build_model(): ... return model`;
    #  - `model.fit(train_images, train_labels, epochs=10)` -> the cell's FAST fit (unchanged);
    #  - evaluate, probability_model (`tf.keras.Sequential([model, tf.keras.layers.Softmax()])`) and
    #    `predictions = probability_model.predict(test_images)` as written;
    #  - predict_one from the single-image cells (`predictions_single = probability_model.predict(img)`).
    Sample("tutorial_2020",
           "tensorflow/docs site/en/tutorials/keras/classification.ipynb @ a2ea316cf (2020-02-12): "
           "keras.Sequential with a logits Dense(10), tf.keras.losses.SparseCategoricalCrossentropy("
           "from_logits=True), probability_model = tf.keras.Sequential([model, tf.keras.layers.Softmax()]); "
           "adapted: data.fashion_mnist(), build_model()/predict_one() wrappers",
           (("class_names", WHOLE_CELL,
             "# TensorFlow and tf.keras\nimport tensorflow as tf\nfrom tensorflow import keras\n\n" + CLASS_NAMES),
            ("build_model", BUILD_BODY, """    model = keras.Sequential([
        keras.layers.Flatten(input_shape=(28, 28)),
        keras.layers.Dense(128, activation='relu'),
        keras.layers.Dense(10)
    ])

    model.compile(optimizer='adam',
                  loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=['accuracy'])
    return model
"""),
            ("evaluate", EVALUATE,
             "test_loss, test_acc = model.evaluate(test_images,  test_labels, verbose=2)\n\n"
             "print('\\nTest accuracy:', test_acc)\n"),
            ("probability_model", WHOLE_CELL, "probability_model = tf.keras.Sequential([model, \n"
                                              "                                         tf.keras.layers.Softmax()])\n"),
            ("predictions", PREDICTIONS, "predictions = probability_model.predict(test_images)\n"),
            ("predict_one", PREDICT_ONE_BODY, """    # Add the image to a batch where it's the only member.
    img = (np.expand_dims(image,0))

    predictions_single = probability_model.predict(img)

    return np.argmax(predictions_single[0])
""")),
           frozenset()),

    # tutorial_2023 -- site/en/tutorials/keras/classification.ipynb @ 5f8a83a6f (2023-09-19).
    # Adaptations:
    #  - import cell (`import tensorflow as tf` only: this revision spells everything tf.keras) on top of
    #    the first solution cell; `tf.keras.datasets.fashion_mnist.load_data()` -> data.fashion_mnist();
    #  - the logits model (`tf.keras.Sequential`) and its compile wrapped in `def build_model(): ...`;
    #  - `model.fit(train_images, train_labels, epochs=10)` -> the cell's FAST fit (unchanged);
    #  - evaluate, probability_model and predictions as written;
    #  - predict_one from the single-image cells (`predictions_single = probability_model.predict(img)`).
    Sample("tutorial_2023",
           "tensorflow/docs site/en/tutorials/keras/classification.ipynb @ 5f8a83a6f (2023-09-19): "
           "tf.keras.Sequential / tf.keras.layers everywhere, logits + from_logits=True, "
           "probability_model with tf.keras.layers.Softmax(); adapted: data.fashion_mnist(), "
           "build_model()/predict_one() wrappers",
           (("class_names", WHOLE_CELL, "# TensorFlow and tf.keras\nimport tensorflow as tf\n\n" + CLASS_NAMES),
            ("build_model", BUILD_BODY, """    model = tf.keras.Sequential([
        tf.keras.layers.Flatten(input_shape=(28, 28)),
        tf.keras.layers.Dense(128, activation='relu'),
        tf.keras.layers.Dense(10)
    ])

    model.compile(optimizer='adam',
                  loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=['accuracy'])
    return model
"""),
            ("evaluate", EVALUATE,
             "test_loss, test_acc = model.evaluate(test_images,  test_labels, verbose=2)\n\n"
             "print('\\nTest accuracy:', test_acc)\n"),
            ("probability_model", WHOLE_CELL, "probability_model = tf.keras.Sequential([model, \n"
                                              "                                         tf.keras.layers.Softmax()])\n"),
            ("predictions", PREDICTIONS, "predictions = probability_model.predict(test_images)\n"),
            ("predict_one", PREDICT_ONE_BODY, """    # Add the image to a batch where it's the only member.
    img = (np.expand_dims(image,0))

    predictions_single = probability_model.predict(img)

    return np.argmax(predictions_single[0])
""")),
           frozenset()),
]
