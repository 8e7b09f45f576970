"""Mutation testing of 02-basic_classification: what the built-in rewrites
must not do here (see tfgrader.instructor.authoring.mutate)."""

SKIP = {
    ("logits", "build_model"):
        "the notebook's probability_model puts a Softmax on top of `model`: with a softmax output that is "
        "softmax twice, which the contract refuses (docs/assignments.md, contract decisions)",
}
