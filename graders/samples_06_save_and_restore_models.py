"""Wrong submissions for 06-save_and_restore_models, each with the checks it must lose.

Used by the project's tests and by ``tfgrader validate``: the reference must
score full points, and each sample here exactly its ``loses`` set less.
"""

from tfgrader.instructor.authoring.samples import Sample

LATEST_BODY = '''    pattern = re.compile(r"^cp-(\\d+)\\.weights\\.h5$")
    by_epoch = {}
    for name in os.listdir(directory):
        match = pattern.match(name)
        if match:
            by_epoch[int(match.group(1))] = name
    if not by_epoch:
        return None
    return os.path.join(directory, by_epoch[max(by_epoch)])
'''
SIGMOID_MODEL = '''new_model = keras.Sequential([
    keras.Input(shape=(784,)),
    keras.layers.Dense(512, activation="sigmoid"),
    keras.layers.Dropout(0.2),
    keras.layers.Dense(10),
])
new_model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=[keras.metrics.SparseCategoricalAccuracy()])
new_model.load_weights(checkpoint_path)'''

SAMPLES = [
    Sample("untrained_checkpoint", "the checkpoint is saved by hand before training, and fit() has no callback",
           (("model", "model.fit(", "os.makedirs('training_1', exist_ok=True)\n"
                                    "model.save_weights(checkpoint_path)\nmodel.fit("),
            ("model", "callbacks=[cp_callback], ", "")),
           # restored_acc is what those (untrained) weights really score, so
           # only the checkpoint itself is wrong.
           frozenset({"trained_checkpoint"})),
    Sample("whole_model_checkpoint", "ModelCheckpoint without save_weights_only writes a whole model",
           (("checkpoint_path", "save_weights_only=True, ", ""),),
           # Keras writes a legacy whole-model HDF5 file under the weights
           # name, and the notebook's own load_weights() then fails, so
           # restored_acc is never set.
           frozenset({"trained_checkpoint", "restore"})),
    Sample("restored_into_other_architecture", "the checkpoint is restored into a model with sigmoid units",
           (("restored_acc", "new_model.load_weights(checkpoint_path)", SIGMOID_MODEL),),
           frozenset({"restore"})),
    Sample("save_freq_in_epochs", "save_freq=5, which counts batches, not epochs",
           (("checkpoint_dir", "save_freq=5 * steps_per_epoch", "save_freq=5"),),
           frozenset({"epoch_checkpoints"})),
    Sample("lexical_latest", "latest_checkpoint() returns the name that sorts last as text",
           (("latest_checkpoint", LATEST_BODY,
             "    names = sorted(os.listdir(directory))\n"
             "    return os.path.join(directory, names[-1]) if names else None\n"),),
           frozenset({"latest_checkpoint"})),
    Sample("saved_before_training", "the .keras file is saved from a new, untrained model",
           (("saved_model_path", "model.save(saved_model_path)", "create_model().save(saved_model_path)"),),
           # a file saved before training has neither the weights nor the
           # optimizer's state of the trained model
           frozenset({"saved_model", "resume_training"})),
    Sample("optimizer_dropped", "the trained weights are saved in a recompiled copy, with a fresh optimizer",
           (("saved_model_path", "model.save(saved_model_path)",
             "copy = create_model()\ncopy.set_weights(model.get_weights())\ncopy.save(saved_model_path)"),),
           frozenset({"resume_training"})),
    Sample("wrong_units", "256 hidden units instead of 512",
           (("create_model", "Dense(512", "Dense(256"),),
           # every file is saved and restored consistently with that architecture
           frozenset({"architecture"})),
    # A correct variant the contract accepts: it must keep every point.
    Sample("softmax_output", "a softmax output layer with a plain cross-entropy, built with the functional API",
           (("create_model", """    model = keras.Sequential([
        keras.Input(shape=(784,)),
        keras.layers.Dense(512, activation="relu"),
        keras.layers.Dropout(0.2),
        keras.layers.Dense(10),
    ])
    model.compile(optimizer="adam",
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),""", """    inputs = keras.Input(shape=(784,))
    hidden = keras.layers.Dropout(0.2)(keras.layers.Dense(512, activation="relu")(inputs))
    model = keras.Model(inputs, keras.layers.Dense(10, activation="softmax")(hidden))
    model.compile(optimizer="adam",
                  loss="sparse_categorical_crossentropy","""),),
           frozenset()),
    Sample("m_checkpoint_dir_train_test_swap_1", "mutant: fit(): train_images -> test_images, train_labels -> test_labels",
           (("checkpoint_dir", "model_2.fit(train_images, train_labels, epochs=CHECKPOINT_EPOCHS, batch_size=BATCH_SIZE,\n",
             "model_2.fit(test_images, test_labels, epochs=CHECKPOINT_EPOCHS, batch_size=BATCH_SIZE,\n"),),
           frozenset({"epoch_checkpoints"})),
    Sample("m_model_shuffle_labels_1", "mutant: fit() on shuffled train_labels",
           (("model", "model.fit(train_images, train_labels, epochs=EPOCHS, batch_size=BATCH_SIZE,\n",
             "model.fit(train_images, __import__('numpy').random.default_rng(0).permutation(train_labels), epochs=EPOCHS, batch_size=BATCH_SIZE,\n"),),
           frozenset({"trained_checkpoint"})),
    Sample("m_checkpoint_dir_save_order_1", "mutant: model_2.save_weights(checkpoint_template.format(epoch=0)) moved after fit()",
           (("checkpoint_dir", "model_2.save_weights(checkpoint_template.format(epoch=0))\nmodel_2.fit(train_images, train_labels, epochs=CHECKPOINT_EPOCHS, batch_size=BATCH_SIZE,\n            callbacks=[every_5_epochs], verbose=0)\n",
             "model_2.fit(train_images, train_labels, epochs=CHECKPOINT_EPOCHS, batch_size=BATCH_SIZE,\n            callbacks=[every_5_epochs], verbose=0)\nmodel_2.save_weights(checkpoint_template.format(epoch=0))\n"),),
           frozenset({"epoch_checkpoints"})),
    Sample("model_trained_on_test", "`model` trained on the test images",
           (("model", "model.fit(train_images, train_labels, epochs=EPOCHS",
             "model.fit(test_images, test_labels, epochs=EPOCHS"),),
           frozenset({"trained_checkpoint"})),
]
