"""Accepted samples for 06-save_and_restore_models: the save-and-load tutorial
of tensorflow/docs, each revision as written there, adapted only where the
course's contract (its names and its Keras-3 `.weights.h5` / `.keras` files)
or Keras 3 require. Each loses nothing.
"""

from samples_06_save_and_restore_models import LATEST_BODY

from tfgrader.instructor.authoring.samples import WHOLE_CELL, Sample

# The reference's solution text that each sample replaces.
FIT = """model.fit(train_images, train_labels, epochs=EPOCHS, batch_size=BATCH_SIZE,
          validation_data=(test_images, test_labels), callbacks=[cp_callback], verbose=2)
"""
UNTRAINED = "_, untrained_acc = new_model.evaluate(test_images, test_labels, verbose=2)\n"
RESTORED = """new_model.load_weights(checkpoint_path)
_, restored_acc = new_model.evaluate(test_images, test_labels, verbose=2)
"""

TUTORIAL_SAMPLES = [
    # tutorial_2019 -- site/en/tutorials/keras/save_and_restore_models.ipynb @ b5cb76b01 (2019-04-03).
    # Adaptations:
    #  - the import cell on top of the first solution cell; the notebook's data cell;
    #  - create_model() as written (tf.keras.activations.relu / softmax, tf.keras.optimizers.Adam(),
    #    tf.keras.losses.sparse_categorical_crossentropy);
    #  - ".ckpt" -> ".weights.h5" for both checkpoint names; the section-3 name kept apart from
    #    `checkpoint_path` (contract); `period=5` -> `save_freq=5 * math.ceil(len(train_images) / 32)`;
    #    `model.save_weights(checkpoint_path.format(epoch=0))` as written, with
    #    `os.makedirs(checkpoint_dir, exist_ok=True)` before it (TF checkpoints made the folder; Keras 3's
    #    save_weights does not); `model = create_model()` -> `model_2`; epochs -> EPOCHS / CHECKPOINT_EPOCHS;
    #  - untrained/restored evaluated on the notebook's new_model, as `loss, untrained_acc` /
    #    `loss, restored_acc`;
    #  - `latest = tf.train.latest_checkpoint(checkpoint_dir)` (reads TensorFlow's "checkpoint" index
    #    file, which .weights.h5 checkpoints lack) -> the contract's latest_checkpoint(directory),
    #    written with glob and a regular expression on the epoch number;
    #  - `saved_model_path = tf.contrib.saved_model.save_keras_model(model, "./saved_models")` (TF1
    #    contrib, gone) -> the trained `model` saved to "./saved_models/my_model.keras" under the same
    #    name saved_model_path (folder made first).
    Sample("tutorial_2019",
           "tensorflow/docs site/en/tutorials/keras/save_and_restore_models.ipynb @ b5cb76b01 (2019-04-03): "
           "tf.keras.activations.relu/softmax, tf.keras.optimizers.Adam(), a function loss, the initial "
           "weights saved as epoch 0, tf.train.latest_checkpoint, tf.contrib saved_model_path; adapted: "
           ".ckpt -> .weights.h5, period=5 -> save_freq, a latest_checkpoint() over the .weights.h5 names, "
           "contrib SavedModel -> a .keras file of the trained model",
           (("create_model", WHOLE_CELL, """import os

import tensorflow as tf
from tensorflow import keras


# Returns a short sequential model
def create_model():
  model = tf.keras.models.Sequential([
    keras.layers.Dense(512, activation=tf.keras.activations.relu, input_shape=(784,)),
    keras.layers.Dropout(0.2),
    keras.layers.Dense(10, activation=tf.keras.activations.softmax)
  ])

  model.compile(optimizer=tf.keras.optimizers.Adam(),
                loss=tf.keras.losses.sparse_categorical_crossentropy,
                metrics=['accuracy'])

  return model
"""),
            ("checkpoint_path", WHOLE_CELL, """checkpoint_path = "training_1/cp.weights.h5"
checkpoint_dir = os.path.dirname(checkpoint_path)

# Create checkpoint callback
cp_callback = tf.keras.callbacks.ModelCheckpoint(checkpoint_path,
                                                 save_weights_only=True,
                                                 verbose=1)
"""),
            ("model", FIT, """model.fit(train_images, train_labels,  epochs = EPOCHS,
          validation_data = (test_images,test_labels),
          callbacks = [cp_callback])  # pass callback to training

# This may generate warnings related to saving the state of the optimizer.
# These warnings (and similar warnings throughout this notebook)
# are in place to discourage outdated usage, and can be ignored.
"""),
            ("untrained_acc", UNTRAINED, """loss, untrained_acc = new_model.evaluate(test_images, test_labels)
print("Untrained model, accuracy: {:5.2f}%".format(100*untrained_acc))
"""),
            ("restored_acc", RESTORED, """new_model.load_weights(checkpoint_path)
loss,restored_acc = new_model.evaluate(test_images, test_labels)
print("Restored model, accuracy: {:5.2f}%".format(100*restored_acc))
"""),
            ("checkpoint_dir", WHOLE_CELL, """# include the epoch in the file name. (uses `str.format`)
epoch_checkpoint_path = "training_2/cp-{epoch:04d}.weights.h5"
checkpoint_dir = os.path.dirname(epoch_checkpoint_path)

cp_callback = tf.keras.callbacks.ModelCheckpoint(
    epoch_checkpoint_path, verbose=1, save_weights_only=True,
    # Save weights, every 5-epochs.
    save_freq=5 * math.ceil(len(train_images) / 32))

model_2 = create_model()
os.makedirs(checkpoint_dir, exist_ok=True)
model_2.save_weights(epoch_checkpoint_path.format(epoch=0))
model_2.fit(train_images, train_labels,
            epochs = CHECKPOINT_EPOCHS, callbacks = [cp_callback],
            validation_data = (test_images,test_labels),
            verbose=0)
"""),
            ("latest_checkpoint", LATEST_BODY, """    import glob

    checkpoints = glob.glob(os.path.join(directory, "cp-*.weights.h5"))
    epochs = [int(re.search(r"cp-(\\d+)\\.weights\\.h5$", cp).group(1)) for cp in checkpoints]
    if not checkpoints:
        return None
    latest = checkpoints[epochs.index(max(epochs))]
    return latest
"""),
            ("saved_model_path", WHOLE_CELL, """os.makedirs("./saved_models", exist_ok=True)
saved_model_path = "./saved_models/my_model.keras"
model.save(saved_model_path)
""")),
           frozenset()),

    # tutorial_2021 -- site/en/tutorials/keras/save_and_load.ipynb @ e886baaf1 (2021-10-25).
    # Adaptations:
    #  - the import cell on top of the first solution cell; the notebook's data cell;
    #  - create_model() as written (logits Dense(10), tf.losses.SparseCategoricalCrossentropy(
    #    from_logits=True), metrics=[tf.metrics.SparseCategoricalAccuracy()]);
    #  - ".ckpt" -> ".weights.h5"; ModelCheckpoint(filepath=..., save_weights_only=True, verbose=1) as
    #    written; fit epochs -> EPOCHS; untrained/restored on the notebook's new_model
    #    (`loss, untrained_acc` / `loss, restored_acc`);
    #  - section 3: name kept apart from checkpoint_path; `save_freq=5*batch_size` as written (with
    #    batch_size = 32 and 1,000 images an epoch is also 32 batches, so it is every 5 epochs);
    #    `model.save_weights(checkpoint_path.format(epoch=0))` with `os.makedirs(checkpoint_dir,
    #    exist_ok=True)` before it (Keras 3's save_weights makes no folder); `model_2`;
    #    epochs=50 -> CHECKPOINT_EPOCHS;
    #  - `tf.train.latest_checkpoint(checkpoint_dir)` -> latest_checkpoint(checkpoint_dir) over the
    #    .weights.h5 names with os.listdir and max(..., key=epoch);
    #  - SavedModel: `!mkdir -p saved_model` + `model.save('saved_model/my_model')` of a newly trained
    #    model -> `os.makedirs('saved_model', exist_ok=True)` (no shell magics in the sandbox) and the
    #    trained `model` saved to 'saved_model/my_model.keras' (Keras 3 saves whole models only as .keras).
    Sample("tutorial_2021",
           "tensorflow/docs site/en/tutorials/keras/save_and_load.ipynb @ e886baaf1 (2021-10-25): "
           "logits + tf.losses.SparseCategoricalCrossentropy(from_logits=True), "
           "tf.metrics.SparseCategoricalAccuracy(), save_freq=5*batch_size, tf.train.latest_checkpoint, "
           "SavedModel folder; adapted: .ckpt -> .weights.h5, makedirs before save_weights, "
           "a latest_checkpoint() over the .weights.h5 names, SavedModel -> a .keras file of the trained model",
           (("create_model", WHOLE_CELL, """import os

import tensorflow as tf
from tensorflow import keras


# Define a simple sequential model
def create_model():
  model = tf.keras.models.Sequential([
    keras.layers.Dense(512, activation='relu', input_shape=(784,)),
    keras.layers.Dropout(0.2),
    keras.layers.Dense(10)
  ])

  model.compile(optimizer='adam',
                loss=tf.losses.SparseCategoricalCrossentropy(from_logits=True),
                metrics=[tf.metrics.SparseCategoricalAccuracy()])

  return model
"""),
            ("checkpoint_path", WHOLE_CELL, """checkpoint_path = "training_1/cp.weights.h5"
checkpoint_dir = os.path.dirname(checkpoint_path)

# Create a callback that saves the model's weights
cp_callback = tf.keras.callbacks.ModelCheckpoint(filepath=checkpoint_path,
                                                 save_weights_only=True,
                                                 verbose=1)
"""),
            ("model", FIT, """# Train the model with the new callback
model.fit(train_images, 
          train_labels,  
          epochs=EPOCHS,
          validation_data=(test_images, test_labels),
          callbacks=[cp_callback])  # Pass callback to training
"""),
            ("untrained_acc", UNTRAINED, """# Evaluate the model
loss, untrained_acc = new_model.evaluate(test_images, test_labels, verbose=2)
print("Untrained model, accuracy: {:5.2f}%".format(100 * untrained_acc))
"""),
            ("restored_acc", RESTORED, """# Loads the weights
new_model.load_weights(checkpoint_path)

# Re-evaluate the model
loss, restored_acc = new_model.evaluate(test_images, test_labels, verbose=2)
print("Restored model, accuracy: {:5.2f}%".format(100 * restored_acc))
"""),
            ("checkpoint_dir", WHOLE_CELL, """# Include the epoch in the file name (uses `str.format`)
checkpoint_path_2 = "training_2/cp-{epoch:04d}.weights.h5"
checkpoint_dir = os.path.dirname(checkpoint_path_2)

batch_size = 32

# Create a callback that saves the model's weights every 5 epochs
cp_callback = tf.keras.callbacks.ModelCheckpoint(
    filepath=checkpoint_path_2, 
    verbose=1, 
    save_weights_only=True,
    save_freq=5*batch_size)

# Create a new model instance
model_2 = create_model()

# Save the weights using the `checkpoint_path` format
os.makedirs(checkpoint_dir, exist_ok=True)
model_2.save_weights(checkpoint_path_2.format(epoch=0))

# Train the model with the new callback
model_2.fit(train_images, 
            train_labels,
            epochs=CHECKPOINT_EPOCHS, 
            batch_size=batch_size, 
            callbacks=[cp_callback],
            validation_data=(test_images, test_labels),
            verbose=0)
"""),
            ("latest_checkpoint", LATEST_BODY, """    checkpoints = [f for f in os.listdir(directory)
                   if f.startswith('cp-') and f.endswith('.weights.h5')]
    if not checkpoints:
        return None
    latest = max(checkpoints, key=lambda f: int(f[len('cp-'):-len('.weights.h5')]))
    return os.path.join(directory, latest)
"""),
            ("saved_model_path", WHOLE_CELL, """# Save the entire model as a `.keras` file.
os.makedirs('saved_model', exist_ok=True)
saved_model_path = 'saved_model/my_model.keras'
model.save(saved_model_path)
""")),
           frozenset()),

    # tutorial_2024 -- site/en/tutorials/keras/save_and_load.ipynb @ 7b56abd2e (2024-09-12), already
    # written for Keras 3 (.weights.h5, save_freq from math.ceil, .keras).
    # Adaptations:
    #  - the import cell on top of the first solution cell; the notebook's data cell;
    #  - create_model() as written (tf.keras.Sequential, logits, tf.keras.losses /
    #    tf.keras.metrics.SparseCategoricalAccuracy());
    #  - fit epochs=10 -> EPOCHS (also 10); untrained/restored on the notebook's new_model
    #    (`loss, untrained_acc` / `loss, restored_acc`);
    #  - section 3: name kept apart from checkpoint_path; `os.mkdir(checkpoint_dir)`, `batch_size = 32`,
    #    `n_batches = math.ceil(...)`, `save_freq=5*n_batches` and the epoch-0 save as written;
    #    `model = create_model()` -> `model_2`; epochs=50 -> CHECKPOINT_EPOCHS;
    #  - `def load_latest_checkpoint(checkpoint_dir)` renamed latest_checkpoint and limited to the
    #    cp-*.weights.h5 files, with None for a folder without any: as written it takes max() over
    #    every file name (a ValueError on an empty folder, an IndexError on a name without '-');
    #  - `model.save('my_model.keras')` of a newly trained model -> the trained `model` saved there as
    #    the contract's saved_model_path.
    Sample("tutorial_2024",
           "tensorflow/docs site/en/tutorials/keras/save_and_load.ipynb @ 7b56abd2e (2024-09-12): "
           "tf.keras.Sequential with input_shape=(784,), logits, tf.keras.metrics.SparseCategoricalAccuracy(), "
           ".weights.h5 checkpoints with save_freq=5*n_batches, os.mkdir, load_latest_checkpoint, "
           "my_model.keras; adapted: contract names (new_model, model_2, latest_checkpoint returning None "
           "and skipping other files, saved_model_path of the trained model)",
           (("create_model", WHOLE_CELL, """import os

import tensorflow as tf
from tensorflow import keras


# Define a simple sequential model
def create_model():
  model = tf.keras.Sequential([
    keras.layers.Dense(512, activation='relu', input_shape=(784,)),
    keras.layers.Dropout(0.2),
    keras.layers.Dense(10)
  ])

  model.compile(optimizer='adam',
                loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                metrics=[tf.keras.metrics.SparseCategoricalAccuracy()])

  return model
"""),
            ("checkpoint_path", WHOLE_CELL, """checkpoint_path = "training_1/cp.weights.h5" # Since you're only saving weights, you should use the .weights.h5 extension. If you're saving the whole model, you would use the .keras extension instead
checkpoint_dir = os.path.dirname(checkpoint_path)

# Create a callback that saves the model's weights
cp_callback = tf.keras.callbacks.ModelCheckpoint(filepath=checkpoint_path,
                                                 save_weights_only=True,
                                                 verbose=1)
"""),
            ("model", FIT, """# Train the model with the new callback
model.fit(train_images,
          train_labels,
          epochs=EPOCHS,
          validation_data=(test_images, test_labels),
          callbacks=[cp_callback])  # Pass callback to training
"""),
            ("untrained_acc", UNTRAINED, """# Evaluate the model
loss, untrained_acc = new_model.evaluate(test_images, test_labels, verbose=2)
print("Untrained model, accuracy: {:5.2f}%".format(100 * untrained_acc))
"""),
            ("restored_acc", RESTORED, """# Loads the weights
new_model.load_weights(checkpoint_path)

# Re-evaluate the model
loss, restored_acc = new_model.evaluate(test_images, test_labels, verbose=2)
print("Restored model, accuracy: {:5.2f}%".format(100 * restored_acc))
"""),
            ("checkpoint_dir", WHOLE_CELL, """# Include the epoch in the file name (uses `str.format`)
checkpoint_path_2 = "training_2/cp-{epoch:04d}.weights.h5"
checkpoint_dir = os.path.dirname(checkpoint_path_2)
os.mkdir(checkpoint_dir)

batch_size = 32

# Calculate the number of batches per epoch
import math
n_batches = len(train_images) / batch_size
n_batches = math.ceil(n_batches)    # round up the number of batches to the nearest whole integer

# Create a callback that saves the model's weights every 5 epochs
cp_callback = tf.keras.callbacks.ModelCheckpoint(
    filepath=checkpoint_path_2,
    verbose=1,
    save_weights_only=True,
    save_freq=5*n_batches)

# Create a new model instance
model_2 = create_model()

# Save the weights using the `checkpoint_path` format
model_2.save_weights(checkpoint_path_2.format(epoch=0))

# Train the model with the new callback
model_2.fit(train_images,
            train_labels,
            epochs=CHECKPOINT_EPOCHS,
            batch_size=batch_size,
            callbacks=[cp_callback],
            validation_data=(test_images, test_labels),
            verbose=0)
"""),
            ("latest_checkpoint", WHOLE_CELL, """def latest_checkpoint(checkpoint_dir):
    checkpoints = [f for f in os.listdir(checkpoint_dir) if f.startswith('cp-') and f.endswith('.weights.h5')]
    if not checkpoints:
        return None
    latest = max(checkpoints, key=lambda f: int(f.split('-')[1].split('.')[0]))
    return os.path.join(checkpoint_dir, latest)
"""),
            ("saved_model_path", WHOLE_CELL, """# Save the entire model as a `.keras` zip archive.
saved_model_path = 'my_model.keras'
model.save(saved_model_path)
""")),
           frozenset()),
]
