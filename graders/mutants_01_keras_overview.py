"""Mutation testing of 01-keras-overview: what the built-in operators and
rewrites must not do here (see tfgrader.instructor.authoring.mutate)."""

SKIP = {
    ("functional_to_sequential", "build_functional_model"):
        "the functional_api check asks for keras.Model(inputs, outputs): a Sequential model there is wrong",
}
