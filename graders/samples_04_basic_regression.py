"""Wrong submissions for 04-basic_regression, each with the checks it must lose.

Used by the project's tests and by ``tfgrader validate``: the reference must
score full points, and each sample here exactly its ``loses`` set less. The
first sample's messages depend on the data only (row counts), so a second
grading of it gives identical results.
"""

from tfgrader.instructor.authoring.samples import Sample

DNN_OUTPUT = "keras.layers.Dense(1),\n    ])\n    model.compile(loss="
DNN_FIT = "dnn_history = dnn_model.fit(\n    train_features, train_labels,"

SAMPLES = [
    Sample("na_kept", "the 6 cars without horsepower kept, their horsepower filled in with the mean",
           (("dataset", "dataset = dataset.dropna()", "dataset = dataset.fillna(dataset.mean())"),),
           frozenset({"missing_values"})),
    Sample("origin_numeric", "Origin left as the numeric codes 1, 2, 3",
           (("dataset", 'dataset["Origin"] = dataset["Origin"].map({1: "USA", 2: "Europe", 3: "Japan"})\n', ""),
            ("dataset", 'dataset = pd.get_dummies(dataset, columns=["Origin"], prefix="", prefix_sep="", dtype=float)\n',
             "")),
           # Retraining uses the notebook's 7 columns, so only one_hot is lost.
           frozenset({"one_hot"})),
    Sample("normalizer_all_rows", "normalizer adapted on all 392 rows, test rows included",
           (("normalizer", "normalizer.adapt(np.array(train_features))",
             'normalizer.adapt(np.array(dataset.drop(columns="MPG")))'),),
           frozenset({"normalizer"})),
    Sample("mse_loss", "the network compiled with mean squared error where MAE is asked",
           (("build_dnn_model", 'loss="mean_absolute_error"', 'loss="mean_squared_error"'),),
           # Measured: it still learns (1.89 to 2.00 MPG after the grader's
           # retraining), and test_results may report the MSE evaluate() gives.
           frozenset({"architecture"})),
    Sample("sigmoid_output", "a sigmoid output layer, which can never predict more than 1 MPG",
           (("build_dnn_model", DNN_OUTPUT, DNN_OUTPUT.replace("Dense(1)", 'Dense(1, activation="sigmoid")')),),
           frozenset({"dnn_training"})),
    Sample("fit_on_test", "dnn_model trained on the test rows",
           (("dnn_model", DNN_FIT, DNN_FIT.replace("train_", "test_")),),
           frozenset({"trained_models"}),
           # A sigmoid output misses the training cars as badly as the grader's
           # retraining of it does, whatever rows it was trained on.
           apart=frozenset({"sigmoid_output"})),
    Sample("other_split", "the training rows drawn with random_state=1",
           (("split", "random_state=0", "random_state=1"),),
           frozenset({"split"})),
    Sample("slow_horsepower", "the horsepower line trained with learning rate 0.001, so it never gets near",
           (("build_horsepower_model", "learning_rate=0.1", "learning_rate=0.001"),),
           frozenset({"linear_training"})),
    Sample("train_results", "test_results['dnn_model'] measured on the training rows",
           (("test_results", '"dnn_model": dnn_model.evaluate(test_features, test_labels, verbose=0)',
             '"dnn_model": dnn_model.evaluate(train_features, train_labels, verbose=0)'),),
           frozenset({"test_results"})),
    Sample("sgd_horsepower", "the horsepower line compiled with SGD where the notebook asks for Adam",
           (("build_horsepower_model", "keras.optimizers.Adam(", "keras.optimizers.SGD("),),
           # At learning rate 0.1 SGD fits the line as well (tfgrader mutate): only the compile settings tell.
           frozenset({"architecture"})),
]
