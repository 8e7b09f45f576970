"""Mutation testing of 06-save_and_restore_models: what the built-in rewrites
must not do here (see tfgrader.instructor.authoring.mutate)."""

SKIP = {
    ("no_input", "create_model"):
        "the notebook saves create_model()'s initial weights before training: a model without an Input is "
        "not built yet, and Keras refuses to save its weights",
}
