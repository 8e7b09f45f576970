"""Accepted samples for 03-basic_text_classification: the IMDB tutorial of
tensorflow/docs in its word-index revisions (2018-2019; later revisions read
raw text through TextVectorization and do not fit this assignment), each as
written there, adapted only where the course's contract, its offline data or
Keras 3 require. Each loses nothing.
"""

from tfgrader.instructor.authoring.samples import WHOLE_CELL, Sample

# The reference's solution text that each sample replaces.
WORD_INDEX = """word_index = data.imdb_word_index()  # word -> frequency rank, 1 is the most frequent
word_index = {word: rank + 3 for word, rank in word_index.items()}
word_index["<PAD>"] = 0
word_index["<START>"] = 1
word_index["<UNK>"] = 2
word_index["<UNUSED>"] = 3
"""
DECODE_BODY = """    index_to_word = {index: word for word, index in word_index.items()}
    return " ".join(index_to_word.get(int(i), "?") for i in indices)
"""
PAD = """train_data = keras.utils.pad_sequences(train_data, maxlen=MAX_LENGTH, padding="post",
                                       value=word_index["<PAD>"])
test_data = keras.utils.pad_sequences(test_data, maxlen=MAX_LENGTH, padding="post",
                                      value=word_index["<PAD>"])
"""
BUILD_BODY = """    model = keras.Sequential([
        keras.Input(shape=(None,), dtype="int32"),
        keras.layers.Embedding(vocab_size, 16),
        keras.layers.GlobalAveragePooling1D(),
        keras.layers.Dense(16, activation="relu"),
        keras.layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    return model
"""
TRAIN = """history = model.fit(partial_x_train, partial_y_train, epochs=EPOCHS, batch_size=BATCH_SIZE,
                    validation_data=(x_val, y_val), verbose=2)
"""
EVALUATE = "test_loss, test_acc = model.evaluate(test_data, test_labels, verbose=2)\n"

# Tutorial text shared by all three revisions (only the imports, activations,
# optimizer and metric spellings differ between them).
TUTORIAL_WORD_INDEX = """# A dictionary mapping words to an integer index
word_index = data.imdb_word_index()

# The first indices are reserved
word_index = {k:(v+3) for k,v in word_index.items()}
word_index["<PAD>"] = 0
word_index["<START>"] = 1
word_index["<UNK>"] = 2  # unknown
word_index["<UNUSED>"] = 3
"""
TUTORIAL_DECODE = """reverse_word_index = dict([(value, key) for (key, value) in word_index.items()])

def decode_review(text):
    return ' '.join([reverse_word_index.get(i, '?') for i in text])
"""
TUTORIAL_PAD = """train_data = keras.preprocessing.sequence.pad_sequences(train_data,
                                                        value=word_index["<PAD>"],
                                                        padding='post',
                                                        maxlen=256)

test_data = keras.preprocessing.sequence.pad_sequences(test_data,
                                                       value=word_index["<PAD>"],
                                                       padding='post',
                                                       maxlen=256)
"""
TUTORIAL_TRAIN = """history = model.fit(partial_x_train,
                    partial_y_train,
                    epochs=EPOCHS,
                    batch_size=BATCH_SIZE,
                    validation_data=(x_val, y_val),
                    verbose=1)
"""
TUTORIAL_EVALUATE = """results = model.evaluate(test_data, test_labels)

print(results)
test_loss, test_acc = results
"""


def build(activations: tuple[str, str], optimizer: str, metric: str, summary: bool) -> str:
    """The tutorial's model cell and compile cell, wrapped in the contract's build_model()."""
    hidden, output = activations
    return f"""    # input shape is the vocabulary count used for the movie reviews (10,000 words)
    model = keras.Sequential()
    model.add(keras.layers.Embedding(vocab_size, 16))
    model.add(keras.layers.GlobalAveragePooling1D())
    model.add(keras.layers.Dense(16, activation={hidden}))
    model.add(keras.layers.Dense(1, activation={output}))
{"" if not summary else chr(10) + "    model.summary()" + chr(10)}
    model.compile(optimizer={optimizer},
                  loss='binary_crossentropy',
                  metrics=[{metric}])
    return model
"""


def edits(imports: str, build_body: str) -> tuple:
    return (
        ("word_index", WORD_INDEX, imports + TUTORIAL_WORD_INDEX),
        ("decode_review", WHOLE_CELL, TUTORIAL_DECODE),
        ("pad_data", PAD, TUTORIAL_PAD),
        ("build_model", BUILD_BODY, build_body),
        ("train", TRAIN, TUTORIAL_TRAIN),
        ("evaluate", EVALUATE, TUTORIAL_EVALUATE),
    )


# Adaptations common to all three samples:
#  - `imdb = keras.datasets.imdb; imdb.load_data(num_words=10000)` -> the notebook's own
#    data.imdb(num_words=VOCAB_SIZE) cell (unchanged); `imdb.get_word_index()` -> data.imdb_word_index();
#    the tutorial's import cell put on top of the first solution cell (word_index);
#  - the word_index lines as written; `reverse_word_index` and `def decode_review(text)` as written,
#    pasted over the decode_review cell (the tutorial defines them in the word_index cell);
#  - `keras.preprocessing.sequence.pad_sequences(..., maxlen=256)` as written: Keras 3.15 still has it
#    (keras.preprocessing.sequence and tf.keras.preprocessing.sequence both re-export
#    keras.utils.pad_sequences), so it is NOT renamed;
#  - the model cell and the compile cell wrapped in `def build_model(vocab_size=10000): ... return model`
#    (the tutorial's module-level `vocab_size = 10000` becomes the contract's default argument);
#    Sequential with model.add() and no input shape, as written;
#  - the split cell is the tutorial's (identical to the reference: no edit);
#  - fit: `epochs=40` -> EPOCHS, `batch_size=512` -> BATCH_SIZE (512 too), the rest as written;
#  - `results = model.evaluate(test_data, test_labels)` and `print(results)` as written, plus
#    `test_loss, test_acc = results` for the contract's names.
TUTORIAL_SAMPLES = [
    # tutorial_2018 -- site/en/tutorials/keras/basic_text_classification.ipynb @ 247b6e9af (2018-08-20).
    # Further adaptations: `optimizer=tf.train.AdamOptimizer()` (TF1, gone) -> `tf.keras.optimizers.Adam()`.
    # tf.nn.relu / tf.nn.sigmoid and the in-cell `model.summary()` as written.
    Sample("tutorial_2018",
           "tensorflow/docs site/en/tutorials/keras/basic_text_classification.ipynb @ 247b6e9af (2018-08-20): "
           "`from tensorflow import keras`, model.add() without an input shape, tf.nn.relu/tf.nn.sigmoid, "
           "keras.preprocessing.sequence.pad_sequences, `results = model.evaluate(...)`; adapted: "
           "data.imdb_word_index(), build_model(vocab_size=10000) wrapper, EPOCHS/BATCH_SIZE, "
           "tf.train.AdamOptimizer() -> tf.keras.optimizers.Adam(), test_loss, test_acc = results",
           edits("import tensorflow as tf\nfrom tensorflow import keras\n\n",
                 build(("tf.nn.relu", "tf.nn.sigmoid"), "tf.keras.optimizers.Adam()", "'accuracy'", True)),
           frozenset()),

    # tutorial_2019_acc -- site/en/tutorials/keras/basic_text_classification.ipynb @ d60c550bf (2019-06-03).
    # Further notes: its `from __future__ import ...` line kept as the first line of the first solution
    # cell (valid there); optimizer='adam' and metrics=['acc'] as written (history key 'acc', which the
    # notebook's plotting cell finds); tf.nn activations as written.
    Sample("tutorial_2019_acc",
           "tensorflow/docs site/en/tutorials/keras/basic_text_classification.ipynb @ d60c550bf (2019-06-03): "
           "model.add() without an input shape, tf.nn.relu/tf.nn.sigmoid, optimizer='adam', metrics=['acc']; "
           "adapted: data.imdb_word_index(), build_model(vocab_size=10000) wrapper, EPOCHS/BATCH_SIZE, "
           "test_loss, test_acc = results",
           edits("from __future__ import absolute_import, division, print_function, unicode_literals\n\n"
                 "import tensorflow as tf\nfrom tensorflow import keras\n\n",
                 build(("tf.nn.relu", "tf.nn.sigmoid"), "'adam'", "'acc'", False)),
           frozenset()),

    # tutorial_2019 -- site/en/tutorials/keras/text_classification.ipynb @ ea209591f (2019-08-26), the
    # last word-index revision. Further notes: the Colab `%tensorflow_version 2.x` try-block and the
    # __future__ line dropped; 'relu' / 'sigmoid' strings, optimizer='adam', metrics=['accuracy'] as written.
    Sample("tutorial_2019",
           "tensorflow/docs site/en/tutorials/keras/text_classification.ipynb @ ea209591f (2019-08-26): "
           "model.add() without an input shape, 'relu'/'sigmoid' strings, optimizer='adam', "
           "metrics=['accuracy']; adapted: data.imdb_word_index(), build_model(vocab_size=10000) wrapper, "
           "EPOCHS/BATCH_SIZE, test_loss, test_acc = results",
           edits("import tensorflow as tf\nfrom tensorflow import keras\n\nimport numpy as np\n\n",
                 build(("'relu'", "'sigmoid'"), "'adam'", "'accuracy'", False)),
           frozenset()),
]
