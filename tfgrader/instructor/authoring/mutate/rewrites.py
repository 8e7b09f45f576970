"""Valid rewrites: edits of the reference that a student may make and that
must keep every point. Each names a class of rewrite the contract accepts:
the same model spelled another way. A rewrite that loses points is a false
rejection, to be fixed in the graders (or the model's transport), never by
special-casing the rewrite.
"""

from __future__ import annotations

from typing import Iterator

import libcst as cst

from tfgrader.instructor.authoring.mutate.operators import compiles, scalings, loss_name
from tfgrader.instructor.authoring.mutate.syntax import (
    Edit, callee, calls, expression, is_input, keras_prefix, keyword, literal, names_used, nodes,
    quoted, sequential_layers, string, with_element_after, with_keyword, without)

# Layers Keras has for an activation of their own, beside Activation(name).
OWN_LAYERS = {"relu": "ReLU()", "softmax": "Softmax()"}
LOSS_CLASSES = {"sparse_categorical_crossentropy": "SparseCategoricalCrossentropy",
                "categorical_crossentropy": "CategoricalCrossentropy",
                "binary_crossentropy": "BinaryCrossentropy",
                "mean_squared_error": "MeanSquaredError",
                "mean_absolute_error": "MeanAbsoluteError"}
ACCURACY_CLASSES = {"sparse_categorical_crossentropy": "SparseCategoricalAccuracy",
                    "categorical_crossentropy": "CategoricalAccuracy",
                    "binary_crossentropy": "BinaryAccuracy"}
OUTPUT_ACTIVATION = {"sparse_categorical_crossentropy": "softmax", "categorical_crossentropy": "softmax",
                     "binary_crossentropy": "sigmoid"}
ALIASES = {"accuracy": "acc", "mean_absolute_error": "mae", "mean_squared_error": "mse"}


class _Many(cst.CSTTransformer):
    """Several nodes replaced at once."""

    def __init__(self, changes: dict) -> None:
        super().__init__()
        self.changes = changes

    def on_leave(self, original_node, updated_node):
        if original_node in self.changes:
            new = self.changes[original_node]
            return new(updated_node) if callable(new) else new
        return updated_node


def _all_of(module: cst.Module, rewrite: str, detail: str, changes: dict, at: cst.CSTNode) -> Edit:
    """One edit of the whole cell that makes every change of ``changes`` (node -> new node, or a function of
    the node as already rewritten inside)."""
    return Edit(rewrite, detail, module, module.visit(_Many(changes)), at=at)


def _activation_of(call: cst.Call) -> tuple[cst.Arg | None, str | None]:
    given = keyword(call, "activation")
    value = literal(given.value) if given is not None else None
    return given, value.rsplit(".", 1)[-1] if isinstance(value, str) else None


def activation_layer(module: cst.Module, names: frozenset[str] = frozenset()) -> Iterator[Edit]:
    """A layer's activation moved into a layer of its own: ``Activation(name)``, and
    ``ReLU()`` or ``Softmax()`` where Keras has one."""
    prefix = keras_prefix(module)
    for _, layers in sequential_layers(module):
        for element in layers.elements:
            call = element.value
            if not isinstance(call, cst.Call) or callee(call) != "Dense":
                continue
            given, name = _activation_of(call)
            if name in (None, "linear"):
                continue
            for layer in (f"Activation(\"{name}\")", OWN_LAYERS.get(name)):
                if layer is None:
                    continue
                bare = layers.with_changes(elements=[e.with_changes(value=without(call, given)) if e is element else e
                                                     for e in layers.elements])
                at = bare.elements[list(layers.elements).index(element)]
                yield Edit("activation_layer", f"{name} as {layer}", layers,
                           with_element_after(bare, at, expression(f"{prefix}.layers.{layer}")), at=call)
    for applied in nodes(module, cst.Call):
        layer = applied.func
        if not isinstance(layer, cst.Call) or callee(layer) != "Dense":
            continue
        given, name = _activation_of(layer)
        if name in (None, "linear"):
            continue
        wrapped = cst.Call(func=expression(f"{prefix}.layers.Activation(\"{name}\")"),
                           args=[cst.Arg(applied.with_changes(func=without(layer, given)))])
        yield Edit("activation_layer", f"{name} as Activation(\"{name}\") applied after", applied, wrapped, at=layer)


def no_input(module: cst.Module, names: frozenset[str] = frozenset()) -> Iterator[Edit]:
    """A Sequential model without its ``Input``: built when first called."""
    for _, layers in sequential_layers(module):
        inputs = [e for e in layers.elements if is_input(e.value)]
        if inputs and len(layers.elements) > 1:
            kept = [e for e in layers.elements if e is not inputs[0]]
            yield Edit("no_input", "no Input layer", layers, layers.with_changes(elements=kept), at=inputs[0].value)


def sequential_to_functional(module: cst.Module, names: frozenset[str] = frozenset()) -> Iterator[Edit]:
    """``model = Sequential([Input(...), ...])`` written with the functional API."""
    prefix, used = keras_prefix(module), names_used(module)
    if used & {"inputs", "x", "outputs"}:
        return
    for line in nodes(module, cst.SimpleStatementLine):
        statement = line.body[0]
        if not (isinstance(statement, cst.Assign) and isinstance(statement.value, cst.Call)
                and callee(statement.value) == "Sequential"):
            continue
        found = [(c, l) for c, l in sequential_layers(module) if c is statement.value]
        if not found or len(found[0][1].elements) < 2 or not is_input(found[0][1].elements[0].value):
            continue
        elements = [module.code_for_node(e.value) for e in found[0][1].elements]
        target = module.code_for_node(statement.targets[0].target)
        lines = [f"inputs = {elements[0]}", "x = inputs"]
        lines += [f"x = {layer}(x)" for layer in elements[1:-1]]
        lines += [f"outputs = {elements[-1]}(x)", f"{target} = {prefix}.Model(inputs, outputs)"]
        new = [cst.parse_statement(text + "\n") for text in lines]
        new[0] = new[0].with_changes(leading_lines=line.leading_lines)
        yield Edit("sequential_to_functional", "Sequential written as functional", line, new, at=statement.value)


def functional_to_sequential(module: cst.Module, names: frozenset[str] = frozenset()) -> Iterator[Edit]:
    """``inputs = Input(...); x = Layer(...)(inputs); ...; Model(inputs, outputs)`` written as Sequential."""
    prefix = keras_prefix(module)
    for owner in (module, *nodes(module, cst.IndentedBlock)):
        statements = list(owner.body)
        for i, line in enumerate(statements):
            first = _assigned(line)
            if first is None or not is_input(first[1]):
                continue
            layers, current, j = [module.code_for_node(first[1])], first[0], i + 1
            while j < len(statements):
                step = _assigned(statements[j])
                value = step[1] if step else None
                if (isinstance(value, cst.Call) and isinstance(value.func, cst.Call) and len(value.args) == 1
                        and isinstance(value.args[0].value, cst.Name) and value.args[0].value.value == current):
                    layers.append(module.code_for_node(value.func))
                    current, j = step[0], j + 1
                    continue
                break
            model = _assigned(statements[j]) if j < len(statements) else None
            if (model is None or not isinstance(model[1], cst.Call) or callee(model[1]) != "Model"
                    or [literal(a.value) for a in model[1].args] != [first[0], current]):
                continue
            text = f"{model[0]} = {prefix}.Sequential([{', '.join(layers)}])\n"
            new = cst.parse_statement(text).with_changes(leading_lines=line.leading_lines)
            body = statements[:i] + [new] + statements[j + 1:]
            yield Edit("functional_to_sequential", "functional written as Sequential", owner,
                       owner.with_changes(body=body), at=first[1])


def _assigned(line: cst.CSTNode) -> tuple[str, cst.BaseExpression] | None:
    """``(name, value)`` of a line ``name = value``."""
    if not isinstance(line, cst.SimpleStatementLine) or len(line.body) != 1:
        return None
    statement = line.body[0]
    if isinstance(statement, cst.Assign) and len(statement.targets) == 1 and isinstance(statement.targets[0].target,
                                                                                        cst.Name):
        return statement.targets[0].target.value, statement.value
    return None


def logits(module: cst.Module, names: frozenset[str] = frozenset()) -> Iterator[Edit]:
    """Probabilities out and a plain loss, against logits out and ``from_logits=True`` (either way), with
    the metrics kept meaning the same (and named the same)."""
    prefix = keras_prefix(module)
    dense = calls(module, "Dense")
    for compile_call in compiles(module):
        given = keyword(compile_call, "loss")
        loss = loss_name(given.value) if given is not None else None
        if loss not in OUTPUT_ACTIVATION or not dense:
            continue
        output = dense[-1]
        activation, name = _activation_of(output)
        logits_given = keyword(given.value, "from_logits") if isinstance(given.value, cst.Call) else None
        to_logits = name == OUTPUT_ACTIVATION[loss] and (logits_given is None or literal(logits_given.value) is False)
        to_probabilities = name is None and logits_given is not None and literal(logits_given.value) is True
        if not (to_logits or to_probabilities):
            continue
        changes = {}
        if to_logits:
            changes[output] = without(output, activation)
            new_loss = expression(f"{prefix}.losses.{LOSS_CLASSES[loss]}(from_logits=True)")
            detail = f"{name} output as logits, from_logits=True"
        else:
            changes[output] = with_keyword(output, "activation", string(OUTPUT_ACTIVATION[loss]))
            new_loss = string(loss)
            detail = f"logits as a {OUTPUT_ACTIVATION[loss]} output, from_logits=False"
        changes[given] = given.with_changes(value=new_loss)
        metrics_given = keyword(compile_call, "metrics")
        if to_logits and loss == "binary_crossentropy" and metrics_given is not None:
            for element in nodes(metrics_given.value, cst.Element):
                value = literal(element.value)
                if value in ("accuracy", "acc"):
                    changes[element.value] = expression(
                        f"{prefix}.metrics.BinaryAccuracy(name={element.value.value}, threshold=0.0)")
                elif value == "binary_crossentropy":
                    changes[element.value] = expression(
                        f"{prefix}.metrics.BinaryCrossentropy(name={element.value.value}, from_logits=True)")
        # the compile call and the layer may share no ancestor below the cell
        yield _all_of(module, "logits", detail, changes, at=output)


def spelled_as_objects(module: cst.Module, names: frozenset[str] = frozenset()) -> Iterator[Edit]:
    """The optimizer, the loss, the metrics or the activations given as Keras objects instead of strings,
    or as strings instead of objects."""
    prefix = keras_prefix(module)
    for call in compiles(module):
        loss_given = keyword(call, "loss")
        loss = loss_name(loss_given.value) if loss_given is not None else None
        given = keyword(call, "optimizer")
        if given is not None:
            value = given.value
            if isinstance(value, cst.SimpleString) and value.evaluated_value.lower() in ("adam", "sgd", "rmsprop"):
                cls = {"adam": "Adam", "sgd": "SGD", "rmsprop": "RMSprop"}[value.evaluated_value.lower()]
                yield Edit("objects", f"optimizer {value.value} as {cls}()", value,
                           expression(f"{prefix}.optimizers.{cls}()"))
            elif isinstance(value, cst.Call) and not value.args and callee(value) in ("Adam", "SGD", "RMSprop"):
                yield Edit("objects", f"optimizer {callee(value)}() as a string", value,
                           string(callee(value).lower()))
        if loss_given is not None and loss in LOSS_CLASSES:
            value = loss_given.value
            if isinstance(value, cst.SimpleString):
                yield Edit("objects", f"loss as {LOSS_CLASSES[loss]}()", value,
                           expression(f"{prefix}.losses.{LOSS_CLASSES[loss]}()"))
            elif isinstance(value, cst.Call) and not value.args:
                yield Edit("objects", "loss as a string", value, string(loss))
        metrics_given = keyword(call, "metrics")
        if metrics_given is not None and isinstance(metrics_given.value, cst.List):
            changes = {}
            for element in metrics_given.value.elements:
                value = literal(element.value)
                if value in ("accuracy", "acc") and loss in ACCURACY_CLASSES:
                    changes[element.value] = expression(f"{prefix}.metrics.{ACCURACY_CLASSES[loss]}(name=\"accuracy\")")
                elif value == "binary_crossentropy":
                    changes[element.value] = expression(f"{prefix}.metrics.BinaryCrossentropy(name=\"binary_crossentropy\")")
                elif isinstance(element.value, cst.Call) and not element.value.args and callee(element.value) in (
                        "SparseCategoricalAccuracy", "BinaryAccuracy", "CategoricalAccuracy"):
                    snake = "".join("_" + c.lower() if c.isupper() else c for c in callee(element.value)).lstrip("_")
                    changes[element.value] = string(snake)
            if changes:
                yield _all_of(module, "objects", "metrics as objects or strings", changes, at=metrics_given.value)
    strings = [keyword(c, "activation") for c in nodes(module, cst.Call)]
    strings = [a.value for a in strings if a is not None and isinstance(a.value, cst.SimpleString)]
    if strings:
        yield _all_of(module, "objects", "activations as keras.activations functions",
                      {s: expression(f"{prefix}.activations.{s.evaluated_value}") for s in strings}, at=strings[0])


def aliases(module: cst.Module, names: frozenset[str] = frozenset()) -> Iterator[Edit]:
    """Keras's short names: ``"acc"``, ``"mae"``, ``"mse"``."""
    for call in compiles(module):
        changes = {}
        for name in ("loss", "metrics"):
            given = keyword(call, name)
            if given is None:
                continue
            for text in nodes(given.value, cst.SimpleString):
                if text.evaluated_value in ALIASES:
                    changes[text] = quoted(text, ALIASES[text.evaluated_value])
        if changes:
            yield _all_of(module, "aliases", "short names: " + ", ".join(sorted(
                ALIASES[s.evaluated_value] for s in changes)), changes, at=call)


def float_dtypes(module: cst.Module, names: frozenset[str] = frozenset()) -> Iterator[Edit]:
    """Scaled arrays in float32 instead of float64, and float arrays of the other precision."""
    scaled = scalings(module)
    if scaled:
        yield _all_of(module, "float_dtypes", "scaled to float32", {
            op: op.with_changes(left=cst.Call(func=cst.Attribute(op.left, cst.Name("astype")),
                                              args=[cst.Arg(expression('"float32"'))])) for op in scaled},
                      at=scaled[0])
    for call in nodes(module, cst.Call):
        given = keyword(call, "dtype")
        if given is None or is_input(call):
            continue
        value = literal(given.value)
        other = {"float32": "float64", "float64": "float32", "float": "float32"}.get(
            value.rsplit(".", 1)[-1] if isinstance(value, str) else None)
        if other:
            yield Edit("float_dtypes", f"dtype {module.code_for_node(given.value)} -> {other!r}", given.value,
                       string(other))


def layer_names(module: cst.Module, names: frozenset[str] = frozenset()) -> Iterator[Edit]:
    """Every layer of a Sequential model given a name."""
    for _, layers in sequential_layers(module):
        changes, count = {}, 0
        for element in layers.elements:
            call = element.value
            if isinstance(call, cst.Call) and not is_input(call) and keyword(call, "name") is None:
                count += 1
                changes[call] = with_keyword(call, "name", string(f"{callee(call).lower()}_{count}"))
        if changes:
            yield _all_of(module, "layer_names", f"{count} layers named", changes, at=layers)


def imports(module: cst.Module, names: frozenset[str] = frozenset()) -> Iterator[Edit]:
    """Keras reached as ``tf.keras`` or ``tensorflow.keras`` instead of ``keras``."""
    attributes = [a for a in nodes(module, cst.Attribute)
                  if isinstance(a.value, cst.Name) and a.value.value == "keras"]
    if not attributes:
        return
    owner, statement = _statement_of(module, attributes[0])
    for detail, line, renamed in (("tf.keras", "import tensorflow as tf\n", True),
                                  ("from tensorflow import keras", "from tensorflow import keras\n", False)):
        changes = {a: a.with_changes(value=expression("tf.keras")) for a in attributes} if renamed else {}
        body = [s.visit(_Many(changes)) for s in owner.body]
        body.insert(list(owner.body).index(statement), cst.parse_statement(line))
        yield Edit("imports", detail, owner, owner.with_changes(body=body), at=attributes[0])


def _statement_of(module: cst.Module, target: cst.CSTNode):
    """The innermost block holding ``target``, and its statement that does."""
    for owner in reversed([module, *nodes(module, cst.IndentedBlock)]):
        for statement in owner.body:
            if any(node is target for node in nodes(statement, type(target))):
                return owner, statement
    raise ValueError("not in this cell")


# name -> (class of rewrite, rewrite), in the order the report lists them.
REWRITES = {
    "activation_layer": ("activation in a layer of its own", activation_layer),
    "sequential_to_functional": ("Sequential as functional", sequential_to_functional),
    "functional_to_sequential": ("functional as Sequential", functional_to_sequential),
    "no_input": ("no Input", no_input),
    "logits": ("logits and from_logits", logits),
    "objects": ("strings and objects", spelled_as_objects),
    "aliases": ("short names", aliases),
    "float_dtypes": ("dtypes that keep values", float_dtypes),
    "layer_names": ("layers named", layer_names),
    "imports": ("tf.keras and tensorflow.keras", imports),
}
