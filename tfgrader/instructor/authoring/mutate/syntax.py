"""What the operators share: reading a cell's syntax tree (LibCST, so that an
edit keeps the rest of the cell exactly as written) and making one edit in it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Callable, Iterator, Sequence

import libcst as cst

# The spellings a course may use for Keras's namespace, shortest last.
KERAS_PREFIXES = ("tensorflow.keras", "tf.keras", "keras")


@dataclass(frozen=True)
class Edit:
    """One change to a cell: ``old`` (a node of its tree) becomes ``new``
    (a node, several statements, or nothing)."""

    operator: str
    detail: str
    old: cst.CSTNode
    new: cst.CSTNode | Sequence[cst.CSTNode] | None
    at: cst.CSTNode | None = None  # where the change is, when ``old`` is larger (a block reordered)


# An operator reads a cell's tree, knowing the names the whole notebook
# uses, and yields every edit it can make there.
Operator = Callable[[cst.Module, frozenset], Iterator[Edit]]


class _Replace(cst.CSTTransformer):
    def __init__(self, old: cst.CSTNode, new) -> None:
        super().__init__()
        self.old, self.new, self.done = old, new, False

    def on_leave(self, original_node, updated_node):
        if original_node is not self.old:
            return updated_node
        self.done = True
        if self.new is None:
            return cst.RemoveFromParent()
        if isinstance(self.new, (list, tuple)):
            return cst.FlattenSentinel(self.new)
        return self.new


def edited(module: cst.Module, edit: Edit) -> str:
    """The cell's source with ``edit`` made."""
    replace = _Replace(edit.old, edit.new)
    code = module.visit(replace).code
    if not replace.done:
        raise ValueError(f"{edit.operator}: the node to change is not in this cell")
    return code


def parse(source: str) -> cst.Module | None:
    """The cell's tree, or None for a cell that is not plain Python (a magic, a syntax error)."""
    try:
        return cst.parse_module(source)
    except cst.ParserSyntaxError:
        return None


def expression(text: str) -> cst.BaseExpression:
    return cst.parse_expression(text)


class _Nodes(cst.CSTVisitor):
    def __init__(self, kinds) -> None:
        super().__init__()
        self.kinds, self.found = kinds, []

    def on_visit(self, node) -> bool:
        if isinstance(node, self.kinds):
            self.found.append(node)
        return True


def nodes(tree: cst.CSTNode, *kinds: type) -> list:
    """Every node of ``kinds`` in ``tree``, in source order."""
    visitor = _Nodes(kinds)
    tree.visit(visitor)
    return visitor.found


def dotted(node: cst.CSTNode) -> str:
    """``keras.layers.Dense`` for that chain of names; "" for anything else."""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        head = dotted(node.value)
        return f"{head}.{node.attr.value}" if head else ""
    return ""


def callee(call: cst.Call) -> str:
    """The last name of what ``call`` calls: ``Dense`` for ``keras.layers.Dense(...)``,
    ``fit`` for ``model.fit(...)``; "" when it calls a call's result."""
    func = call.func
    if isinstance(func, cst.Attribute):
        return func.attr.value
    return func.value if isinstance(func, cst.Name) else ""


def calls(tree: cst.CSTNode, *names: str) -> list[cst.Call]:
    """The calls in ``tree`` of anything whose last name is one of ``names``."""
    return [call for call in nodes(tree, cst.Call) if callee(call) in names]


def keyword(call: cst.Call, name: str) -> cst.Arg | None:
    return next((arg for arg in call.args if arg.keyword is not None and arg.keyword.value == name), None)


def positional(call: cst.Call, index: int) -> cst.Arg | None:
    args = [arg for arg in call.args if arg.keyword is None and not arg.star]
    return args[index] if index < len(args) else None


def argument(call: cst.Call, index: int, name: str) -> cst.Arg | None:
    """The argument given by position ``index`` or as ``name=``."""
    return keyword(call, name) or positional(call, index)


def without(call: cst.Call, arg: cst.Arg) -> cst.Call:
    """``call`` without ``arg``, its commas tidy."""
    args = [a for a in call.args if a is not arg]
    if args and call.args[-1] is arg:
        args[-1] = args[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
    return call.with_changes(args=args)


def with_keyword(call: cst.Call, name: str, value: cst.BaseExpression) -> cst.Call:
    """``call`` with ``name=value`` set: replaced where it was given, else added last."""
    given = keyword(call, name)
    if given is not None:
        return call.with_changes(args=[a.with_changes(value=value) if a is given else a for a in call.args])
    args = list(call.args)
    if args:
        args[-1] = args[-1].with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
    return call.with_changes(args=[*args, cst.Arg(value=value, keyword=cst.Name(name),
                                                    equal=cst.AssignEqual(cst.SimpleWhitespace(""),
                                                                          cst.SimpleWhitespace("")))])


def literal(node: cst.CSTNode):
    """The value of a string, number, True, False or None; else the node's dotted
    name (``tf.nn.relu``); else None."""
    if isinstance(node, (cst.SimpleString, cst.Integer, cst.Float)):
        return node.evaluated_value
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus):
        inner = literal(node.expression)
        return -inner if isinstance(inner, (int, float)) else None
    if isinstance(node, cst.Name) and node.value in ("True", "False", "None"):
        return {"True": True, "False": False, "None": None}[node.value]
    return dotted(node) or None


def string(text: str) -> cst.SimpleString:
    """A string as code, in double quotes."""
    return cst.SimpleString(json.dumps(text))


def number(value: float) -> cst.BaseExpression:
    """A number as code: ``0.9``, ``1e-05``, ``-1``."""
    return expression(repr(value))


def quoted(node: cst.SimpleString, text: str) -> cst.SimpleString:
    """A string with ``text``, in ``node``'s quotes."""
    quote = node.quote
    return cst.SimpleString(f"{node.prefix}{quote}{text}{quote}")


def keras_prefix(module: cst.Module) -> str:
    """How this cell spells Keras's namespace (``keras`` unless it writes ``tf.keras``)."""
    names = {dotted(node) for node in nodes(module, cst.Attribute)}
    for prefix in KERAS_PREFIXES:
        if any(name.startswith(prefix + ".") for name in names):
            return prefix
    return "keras"


def names_used(module: cst.Module) -> set[str]:
    return {node.value for node in nodes(module, cst.Name)}


def statement_calls(statement: cst.CSTNode, *names: str) -> bool:
    return bool(calls(statement, *names))


def _bare(comma: cst.Comma) -> cst.Comma:
    """``comma`` with its line break and indent but without the comments and blank lines after it."""
    after = comma.whitespace_after
    if isinstance(after, cst.ParenthesizedWhitespace):
        return comma.with_changes(whitespace_after=after.with_changes(first_line=cst.TrailingWhitespace(),
                                                                      empty_lines=[]))
    return comma


def sequential_layers(module: cst.Module) -> list[tuple[cst.Call, cst.List]]:
    """Each ``Sequential([...])`` call with its list of layers."""
    found = []
    for call in calls(module, "Sequential"):
        first = positional(call, 0) or keyword(call, "layers")
        if first is not None and isinstance(first.value, cst.List):
            found.append((call, first.value))
    return found


def is_input(node: cst.CSTNode) -> bool:
    return isinstance(node, cst.Call) and callee(node) in ("Input", "InputLayer")


def without_element(lst: cst.List, element: cst.Element) -> cst.List:
    elements = [e for e in lst.elements if e is not element]
    if elements and lst.elements[-1] is element:
        elements[-1] = elements[-1].with_changes(comma=lst.elements[-1].comma)
    return lst.with_changes(elements=elements)


def with_element_after(lst: cst.List, element: cst.Element, value: cst.BaseExpression) -> cst.List:
    """``lst`` with ``value`` added right after ``element``, written as it is."""
    opening = lst.lbracket.whitespace_after  # a list written one element a line starts with a line break
    if isinstance(opening, cst.ParenthesizedWhitespace):
        opening = opening.with_changes(first_line=cst.TrailingWhitespace(), empty_lines=[])
    elements, before = [], cst.Comma(whitespace_after=opening if isinstance(opening, cst.ParenthesizedWhitespace)
                                     else cst.SimpleWhitespace(" "))
    for e in lst.elements:
        if e is element:
            # the last element's comma (if any) has no line break after it: take the one before's
            last = e is lst.elements[-1]
            comma = before if last or not isinstance(e.comma, cst.Comma) else e.comma
            elements += [e.with_changes(comma=comma), e.with_changes(value=value)]
        else:
            elements.append(e)
        if isinstance(e.comma, cst.Comma):
            before = _bare(e.comma)
    return lst.with_changes(elements=elements)
