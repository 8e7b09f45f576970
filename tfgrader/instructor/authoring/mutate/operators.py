"""The mutation operators: each makes one plausible mistake in a solution cell,
one edit of its syntax tree per mutant.

An operator is a function from a cell's tree to the edits it can make there
(:class:`~tfgrader.instructor.authoring.mutate.syntax.Edit`); it names its
edit in a few words, as a student's mistake would be described. They are
grouped as the mistakes of an ML assignment are: the layers, the compile
settings, the data and the training. An assignment may add its own in
``graders/mutants_<id>.py`` (see :mod:`tfgrader.instructor.authoring.mutate`).
"""

from __future__ import annotations

import re
from typing import Iterator

import libcst as cst

from tfgrader.instructor.authoring.mutate.syntax import (
    Edit, argument, callee, dotted, calls, expression, is_input, keras_prefix, keyword, literal, names_used,
    nodes, number, positional, quoted, sequential_layers, string, statement_calls, with_element_after, with_keyword,
    without, without_element)

ACTIVATIONS = ("relu", "sigmoid", "tanh", "linear", "softmax")
LOSSES = ("sparse_categorical_crossentropy", "categorical_crossentropy", "binary_crossentropy",
          "mean_squared_error", "mean_absolute_error")
# Other spellings Keras accepts for the same loss (strings, and classes' names).
LOSS_SPELLINGS = {
    "sparse_categorical_crossentropy": ("SparseCategoricalCrossentropy",),
    "categorical_crossentropy": ("CategoricalCrossentropy",),
    "binary_crossentropy": ("BinaryCrossentropy",),
    "mean_squared_error": ("mse", "MeanSquaredError"),
    "mean_absolute_error": ("mae", "MeanAbsoluteError"),
}
OPTIMIZERS = {"adam": "Adam", "sgd": "SGD", "rmsprop": "RMSprop"}
LAYERS_WITH_UNITS = ("Dense",)
REGULARIZERS = ("l1", "l2", "L1", "L2", "l1_l2", "L1L2")
SAVES = ("save", "save_weights")


def loss_name(node: cst.CSTNode) -> str | None:
    """The loss ``node`` spells, by its canonical string name."""
    value = literal(node.func if isinstance(node, cst.Call) else node)
    if not isinstance(value, str):
        return None
    last = value.rsplit(".", 1)[-1]
    for name, others in LOSS_SPELLINGS.items():
        if last == name or last in others:
            return name
    return None


# ---- layers and activations

def activation(module: cst.Module, names: frozenset[str] = frozenset()) -> Iterator[Edit]:
    """Another activation on a layer, or none; on a Dense layer without one, one added."""
    for call in calls(module, "Dense", "Conv2D", "Activation"):
        given = keyword(call, "activation") or (positional(call, 0) if callee(call) == "Activation" else None)
        current = literal(given.value) if given is not None else None
        current = current.rsplit(".", 1)[-1] if isinstance(current, str) else current
        if given is None and callee(call) == "Dense" and positional(call, 1) is None:
            for name in ("relu", "sigmoid", "tanh", "softmax"):
                yield Edit("activation", f"activation={name!r} added", call,
                           with_keyword(call, "activation", string(name)))
            continue
        if given is None or not isinstance(given.value, (cst.SimpleString, cst.Attribute, cst.Name)):
            continue
        for name in ACTIVATIONS:
            if name != current:
                new = (quoted(given.value, name) if isinstance(given.value, cst.SimpleString)
                       else string(name))
                yield Edit("activation", f"{current} -> {name}", given.value, new)
        if callee(call) != "Activation":
            yield Edit("activation", f"{current} -> none", call, without(call, given))


def units(module: cst.Module, names: frozenset[str] = frozenset()) -> Iterator[Edit]:
    """A layer's width halved or doubled; the output layer's one more or one fewer."""
    layers = calls(module, *LAYERS_WITH_UNITS)
    for call in layers:
        given = argument(call, 0, "units")
        if given is None or not isinstance(given.value, cst.Integer):
            continue
        n = int(given.value.evaluated_value)
        changes = (n + 1, n - 1) if call is layers[-1] else (n // 2, n * 2)
        for new in changes:
            if new >= 1 and new != n:
                yield Edit("units", f"{callee(call)}({n}) -> {callee(call)}({new})", given.value, number(new))


def _functional_steps(module: cst.Module) -> list[tuple[cst.SimpleStatementLine, cst.Call]]:
    """Statements ``x = Layer(...)(x)``: one layer applied to a tensor that it replaces."""
    found = []
    for line in nodes(module, cst.SimpleStatementLine):
        statement = line.body[0] if len(line.body) == 1 else None
        if not isinstance(statement, cst.Assign) or not isinstance(statement.value, cst.Call):
            continue
        applied = statement.value
        if isinstance(applied.func, cst.Call) and applied.args and isinstance(applied.args[0].value, cst.Name):
            target = statement.targets[0].target
            if isinstance(target, cst.Name) and target.value == applied.args[0].value.value:
                found.append((line, applied.func))
    return found


def delete_layer(module: cst.Module, names: frozenset[str] = frozenset()) -> Iterator[Edit]:
    """A layer left out (never the Input: that is a valid variant)."""
    for _, layers in sequential_layers(module):
        for element in layers.elements:
            if not is_input(element.value) and len(layers.elements) > 1:
                yield Edit("delete_layer", f"{module.code_for_node(element.value)} left out", layers,
                           without_element(layers, element))
    for line, layer in _functional_steps(module):
        yield Edit("delete_layer", f"{module.code_for_node(layer)} left out", line, None)


def duplicate_layer(module: cst.Module, names: frozenset[str] = frozenset()) -> Iterator[Edit]:
    """A hidden Dense layer written twice."""
    for _, layers in sequential_layers(module):
        dense = [e for e in layers.elements if isinstance(e.value, cst.Call) and callee(e.value) == "Dense"]
        for element in dense[:-1]:
            yield Edit("duplicate_layer", f"{module.code_for_node(element.value)} twice", layers,
                       with_element_after(layers, element, element.value))
    steps = [(line, layer) for line, layer in _functional_steps(module) if callee(layer) == "Dense"]
    for line, layer in steps:
        yield Edit("duplicate_layer", f"{module.code_for_node(layer)} twice", line, [line, line])


def dropout_rate(module: cst.Module, names: frozenset[str] = frozenset()) -> Iterator[Edit]:
    """A Dropout rate set to 0 or 0.9."""
    for call in calls(module, "Dropout"):
        given = argument(call, 0, "rate")
        if given is None:
            continue
        for rate in (0.0, 0.9):
            if literal(given.value) != rate:
                yield Edit("dropout_rate", f"Dropout({module.code_for_node(given.value)}) -> Dropout({rate})",
                           given.value, number(rate))


# ---- compile settings

def compiles(module: cst.Module) -> list[cst.Call]:
    """Keras's compile calls (not ``re.compile``)."""
    return [call for call in calls(module, "compile") if dotted(call.func) != "re.compile"]


def loss(module: cst.Module, names: frozenset[str] = frozenset()) -> Iterator[Edit]:
    """Another loss."""
    for call in compiles(module):
        given = keyword(call, "loss") or positional(call, 1)
        if given is None:
            continue
        current = loss_name(given.value)
        for name in LOSSES:
            if name != current:
                yield Edit("loss", f"loss {current or module.code_for_node(given.value)} -> {name}", given.value,
                           string(name))


def from_logits(module: cst.Module, names: frozenset[str] = frozenset()) -> Iterator[Edit]:
    """``from_logits`` flipped."""
    for call in nodes(module, cst.Call):
        given = keyword(call, "from_logits")
        if given is not None and literal(given.value) in (True, False):
            flipped = not literal(given.value)
            yield Edit("from_logits", f"from_logits={flipped}", given.value, cst.Name(str(flipped)))


def optimizer(module: cst.Module, names: frozenset[str] = frozenset()) -> Iterator[Edit]:
    """Another optimizer, its arguments kept."""
    for call in compiles(module):
        given = keyword(call, "optimizer") or positional(call, 0)
        if given is None:
            continue
        value = given.value
        if isinstance(value, cst.SimpleString):
            current = value.evaluated_value.lower()
            for name in OPTIMIZERS:
                if name != current:
                    yield Edit("optimizer", f"optimizer {current} -> {name}", value, quoted(value, name))
        elif isinstance(value, cst.Call) and callee(value) in OPTIMIZERS.values():
            for cls in OPTIMIZERS.values():
                if cls != callee(value):
                    func = value.func
                    new_func = (func.with_changes(attr=cst.Name(cls)) if isinstance(func, cst.Attribute)
                                else cst.Name(cls))
                    yield Edit("optimizer", f"optimizer {callee(value)} -> {cls}", value,
                               value.with_changes(func=new_func))


def learning_rate(module: cst.Module, names: frozenset[str] = frozenset()) -> Iterator[Edit]:
    """The learning rate multiplied by 100 (a string optimizer given its default rate times 100)."""
    for call in nodes(module, cst.Call):
        given = keyword(call, "learning_rate")
        if given is not None and isinstance(literal(given.value), (int, float)):
            rate = literal(given.value) * 100
            yield Edit("learning_rate", f"learning_rate {literal(given.value)} -> {rate:g}", given.value,
                       number(rate))
    for call in compiles(module):
        given = keyword(call, "optimizer")
        if given is not None and isinstance(given.value, cst.SimpleString):
            name = given.value.evaluated_value.lower()
            if name in OPTIMIZERS:
                default = 0.01 if name == "sgd" else 0.001
                yield Edit("learning_rate", f"learning_rate {default} -> {default * 100:g}", given.value,
                           expression(f"{keras_prefix(module)}.optimizers.{OPTIMIZERS[name]}"
                                      f"(learning_rate={default * 100:g})"))


def metrics(module: cst.Module, names: frozenset[str] = frozenset()) -> Iterator[Edit]:
    """The metrics left out of ``compile``."""
    for call in compiles(module):
        given = keyword(call, "metrics")
        if given is not None:
            yield Edit("metrics", "no metrics", call, without(call, given))


# ---- data

def scalings(module: cst.Module) -> list[cst.BinaryOperation]:
    return [op for op in nodes(module, cst.BinaryOperation)
            if isinstance(op.operator, cst.Divide) and literal(op.right) in (255, 255.0)]


def scaling(module: cst.Module, names: frozenset[str] = frozenset()) -> Iterator[Edit]:
    """Pixel scaling removed, or by the wrong factor."""
    for op in scalings(module):
        yield Edit("scaling", f"{module.code_for_node(op)} -> {module.code_for_node(op.left)}", op, op.left)
        for factor in ("1", "127.5"):
            yield Edit("scaling", f"{module.code_for_node(op)} -> / {factor}", op.right, expression(factor))


_SPLIT = re.compile(r"train|test")


def _swapped(name: str) -> str:
    return _SPLIT.sub(lambda m: "test" if m.group() == "train" else "train", name)


def _split_swaps(module: cst.Module, methods: tuple[str, ...], operator: str, known: set[str]) -> Iterator[Edit]:
    for call in calls(module, *methods):
        args = [arg for arg in call.args if arg.keyword is None]
        names = [name for arg in args for name in nodes(arg, cst.Name) if _SPLIT.search(name.value)]
        if not names or not all(_swapped(n.value) in known for n in names):
            continue
        new_args = [a.visit(_Rename()) if a.keyword is None else a for a in call.args]
        shown = ", ".join(sorted({f"{n.value} -> {_swapped(n.value)}" for n in names}))
        yield Edit(operator, f"{callee(call)}(): {shown}", call, call.with_changes(args=new_args))


class _Rename(cst.CSTTransformer):
    def leave_Name(self, original_node, updated_node):
        return updated_node.with_changes(value=_swapped(updated_node.value))


def train_test_swap(module: cst.Module, names: frozenset[str] = frozenset()) -> Iterator[Edit]:
    """Training and test arrays swapped in a call to fit, evaluate or predict."""
    yield from _split_swaps(module, ("fit", "evaluate", "predict"), "train_test_swap", names | names_used(module))


def adapt_split(module: cst.Module, names: frozenset[str] = frozenset()) -> Iterator[Edit]:
    """A normalizer or vectorizer adapted to the wrong split."""
    yield from _split_swaps(module, ("adapt",), "adapt_split", names | names_used(module))


def slice_off_by_one(module: cst.Module, names: frozenset[str] = frozenset()) -> Iterator[Edit]:
    """A slice's bound one off."""
    for subscript in nodes(module, cst.Subscript):
        for element in subscript.slice:
            piece = element.slice
            for side in ("lower", "upper") if isinstance(piece, cst.Slice) else ():
                bound = getattr(piece, side)
                if isinstance(bound, cst.Integer):
                    n = int(bound.evaluated_value)
                    for new in (n - 1, n + 1):
                        if new >= 0:
                            yield Edit("slice_off_by_one", f"{module.code_for_node(subscript)}: {n} -> {new}",
                                       bound, number(new))


def shuffle_labels(module: cst.Module, names: frozenset[str] = frozenset()) -> Iterator[Edit]:
    """The training labels shuffled, so they no longer match their examples."""
    for call in calls(module, "fit"):
        labels = positional(call, 1)
        if labels is not None:
            text = module.code_for_node(labels.value)
            yield Edit("shuffle_labels", f"fit() on shuffled {text}", labels.value,
                       expression(f"__import__('numpy').random.default_rng(0).permutation({text})"))


def dropna(module: cst.Module, names: frozenset[str] = frozenset()) -> Iterator[Edit]:
    """Rows with missing values kept: ``.dropna()`` removed."""
    for call in calls(module, "dropna"):
        if isinstance(call.func, cst.Attribute):
            yield Edit("dropna", "dropna() left out", call, call.func.value)


def dtype(module: cst.Module, names: frozenset[str] = frozenset()) -> Iterator[Edit]:
    """A float array or one-hot columns made boolean, or left to the default type."""
    for call in nodes(module, cst.Call):
        given = keyword(call, "dtype")
        if given is None or is_input(call):
            continue
        value = literal(given.value)
        if isinstance(value, str) and "float" in value.lower():
            yield Edit("dtype", f"dtype={value} -> bool", given.value, cst.Name("bool"))
            yield Edit("dtype", f"dtype={value} left out", call, without(call, given))


# ---- training

def epochs(module: cst.Module, names: frozenset[str] = frozenset()) -> Iterator[Edit]:
    """No training: ``epochs=0``."""
    for call in calls(module, "fit"):
        given = keyword(call, "epochs")
        if given is not None and literal(given.value) != 0:
            yield Edit("epochs", f"epochs={module.code_for_node(given.value)} -> 0", given.value, cst.Integer("0"))


def callback(module: cst.Module, names: frozenset[str] = frozenset()) -> Iterator[Edit]:
    """A callback left out of ``fit``."""
    for call in calls(module, "fit"):
        given = keyword(call, "callbacks")
        if given is not None and isinstance(given.value, cst.List):
            for element in given.value.elements:
                yield Edit("callback", f"callback {module.code_for_node(element.value)} left out", given.value,
                           without_element(given.value, element))


def save_order(module: cst.Module, names: frozenset[str] = frozenset()) -> Iterator[Edit]:
    """A save or checkpoint moved to the other side of the training."""
    for owner in (module, *nodes(module, cst.IndentedBlock)):
        statements = list(owner.body)
        fit = next((s for s in statements if statement_calls(s, "fit")), None)
        for save in (s for s in statements if statement_calls(s, *SAVES)):
            if fit is None:
                break
            was_before = statements.index(save) < statements.index(fit)
            order = [s for s in statements if s is not save]
            order.insert(order.index(fit) + (1 if was_before else 0), save)
            yield Edit("save_order", f"{module.code_for_node(save).strip()} moved "
                                     f"{'after' if was_before else 'before'} fit()",
                       owner, owner.with_changes(body=order), at=save)


_EPOCH_FIELD = re.compile(r"\{epoch[^}]*\}")


def checkpoint_pattern(module: cst.Module, names: frozenset[str] = frozenset()) -> Iterator[Edit]:
    """A checkpoint file pattern without its epoch: every checkpoint overwrites the last."""
    for literal_string in nodes(module, cst.SimpleString):
        text = literal_string.evaluated_value
        if isinstance(text, str) and _EPOCH_FIELD.search(text):
            new = _EPOCH_FIELD.sub("", text).replace("-.", ".")
            yield Edit("checkpoint_pattern", f"{text!r} -> {new!r}", literal_string, quoted(literal_string, new))


def regularizer(module: cst.Module, names: frozenset[str] = frozenset()) -> Iterator[Edit]:
    """A weight penalty's factor set to 0 or multiplied by 100."""
    for call in calls(module, *REGULARIZERS):
        given = argument(call, 0, "l2") or argument(call, 0, "l1")
        if given is None or not isinstance(literal(given.value), (int, float)):
            continue
        factor = literal(given.value)
        for new in (0.0, factor * 100):
            if new != factor:
                yield Edit("regularizer", f"{callee(call)}({factor:g}) -> {callee(call)}({new:g})", given.value,
                           number(new))


# name -> (group, operator), in the order the report lists them.
MUTATIONS = {
    "activation": ("layers", activation),
    "units": ("layers", units),
    "delete_layer": ("layers", delete_layer),
    "duplicate_layer": ("layers", duplicate_layer),
    "dropout_rate": ("layers", dropout_rate),
    "loss": ("compile", loss),
    "from_logits": ("compile", from_logits),
    "optimizer": ("compile", optimizer),
    "learning_rate": ("compile", learning_rate),
    "metrics": ("compile", metrics),
    "scaling": ("data", scaling),
    "train_test_swap": ("data", train_test_swap),
    "slice_off_by_one": ("data", slice_off_by_one),
    "shuffle_labels": ("data", shuffle_labels),
    "adapt_split": ("data", adapt_split),
    "dropna": ("data", dropna),
    "dtype": ("data", dtype),
    "epochs": ("training", epochs),
    "callback": ("training", callback),
    "save_order": ("training", save_order),
    "checkpoint_pattern": ("training", checkpoint_pattern),
    "regularizer": ("training", regularizer),
}
