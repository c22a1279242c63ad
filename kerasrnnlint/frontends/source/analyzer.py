"""Find the recurrent layer calls of a module and describe each as an :class:`ir.RecurrentLayer`.

Two steps over the calls the scope pass collected (source order):

1. every wrapper call (``Bidirectional``, ``TimeDistributed``, ``RNN``, ``StackedRNNCells``) records
   which calls it wraps (its layer/cell arguments, through lists and single-assignment names);
2. every call whose callee resolves to a recurrent Keras class becomes a layer, with the chain of
   wrappers around it and its resolved arguments.

The result pairs each layer with the ``cst.Call`` of its **outermost wrapper call** (the
``Bidirectional(...)`` call for ``Bidirectional(LSTM(8))``), or the layer call itself when it is not
wrapped: that is the node that appears in a ``Sequential([...])`` list or is applied to a tensor.
"""

from __future__ import annotations

from collections.abc import Mapping

import libcst as cst

from kerasrnnlint import activations
from kerasrnnlint.frontends.source.resolver import Resolver, argument
from kerasrnnlint.ir import (
    FIXED_TANH_CLASSES,
    POSITIONAL_PARAMS,
    RECURRENT_CLASSES,
    WRAPPER_CLASSES,
    Arg,
    RecurrentLayer,
    Span,
)

# The arguments of each wrapper that hold the wrapped layer(s) or cell(s): (keyword, position).
WRAPPED_ARGS: Mapping[str, tuple[tuple[str, int], ...]] = {
    "Bidirectional": (("layer", 0), ("backward_layer", 3)),
    "TimeDistributed": (("layer", 0),),
    "RNN": (("cell", 0),),
    "StackedRNNCells": (("cells", 0),),
}

# Arguments whose value is an activation: stored as canonical names.
ACTIVATION_ARGS: frozenset[str] = frozenset({"activation", "recurrent_activation"})

Found = tuple[cst.Call, RecurrentLayer]


def _wrapped_calls(resolver: Resolver, expr: cst.BaseExpression) -> list[cst.Call]:
    """The calls an argument of a wrapper stands for: ``LSTM(8)``, ``[cell_a, LSTMCell(4)]``."""
    target, _ = resolver.deref(expr)
    if isinstance(target, cst.Call):
        return [target]
    if isinstance(target, (cst.List, cst.Tuple)):
        calls = []
        for element in target.elements:
            if isinstance(element, cst.StarredElement):
                continue
            inner, _ = resolver.deref(element.value)
            if isinstance(inner, cst.Call):
                calls.append(inner)
        return calls
    return []


def activation_arg(arg: Arg) -> Arg:
    """An activation argument with its value made canonical (``"swish"`` → ``"silu"``)."""
    if not arg.known or arg.value is None:
        return arg
    if isinstance(arg.value, str):
        name = activations.canonical(arg.value)
        if name is None:
            return Arg.unknown(f"{arg.value!r} is not a known Keras activation", arg.span)
        return Arg(name, True, arg.origin, arg.span, arg.keyword)
    return Arg.unknown(f"{arg.value!r} is not an activation", arg.span)


def layer_args(resolver: Resolver, call: cst.Call, cls: str) -> tuple[dict[str, Arg], bool]:
    """The resolved arguments of a layer call, and whether an unresolved ``*``/``**`` may set more.

    Positional arguments are named per :data:`ir.POSITIONAL_PARAMS` (``keyword=False``). A
    ``**`` dict that is visible contributes its entries; their ``span`` is the value in the call
    when the dict is written there, else the ``**`` expression (``cfg`` in ``**cfg``).
    """
    names = POSITIONAL_PARAMS.get(cls, ())
    args: dict[str, Arg] = {}
    open_kwargs = False
    positional_known = True
    position = 0
    for arg in call.args:
        if arg.star == "*":
            open_kwargs = True
            positional_known = False
        elif arg.star == "**":
            view = resolver.dict_items(arg.value)
            if view is None:
                open_kwargs = True
                continue
            open_kwargs = open_kwargs or view.open
            for item in view.items:
                value = resolver.item_value(item)
                if item.via is not None:
                    via = f"`**{resolver.code(item.via)}`"
                    origin = via if value.origin == "literal" else f"{value.origin} via {via}"
                    value = Arg(value.value, value.known, origin, resolver.span(item.via))
                args.pop(item.key, None)
                args[item.key] = value
        elif arg.keyword is not None:
            args.pop(arg.keyword.value, None)
            activation = arg.keyword.value in ACTIVATION_ARGS
            args[arg.keyword.value] = resolver.value(arg.value, activation=activation)
        else:
            if positional_known and position < len(names):
                activation = names[position] in ACTIVATION_ARGS
                value = resolver.value(arg.value, activation=activation)
                args[names[position]] = Arg(
                    value.value, value.known, value.origin, value.span, keyword=False
                )
            position += 1
    for key in ACTIVATION_ARGS & args.keys():
        args[key] = activation_arg(args[key])
    return args, open_kwargs


def find_layers(resolver: Resolver) -> list[Found]:
    """Every recurrent layer call of the module, in source order (see the module docstring)."""
    classes: dict[int, str | None] = {}

    def class_of(call: cst.Call) -> str | None:
        key = id(call)
        if key not in classes:
            classes[key] = resolver.keras_class(call.func)
        return classes[key]

    calls = resolver.index.calls
    # inner call id -> (wrapper class, wrapper call)
    parents: dict[int, tuple[str, cst.Call]] = {}
    for call in calls:
        wrapper = class_of(call)
        if wrapper not in WRAPPER_CLASSES:
            continue
        assert wrapper is not None
        for keyword, position in WRAPPED_ARGS[wrapper]:
            expr = argument(call, keyword, position)
            if expr is None:
                continue
            for inner in _wrapped_calls(resolver, expr):
                if inner is not call:
                    parents.setdefault(id(inner), (wrapper, call))

    found: list[Found] = []
    for call in calls:
        cls = class_of(call)
        if cls is None or cls not in RECURRENT_CLASSES or cls in FIXED_TANH_CLASSES:
            continue
        wrappers: list[str] = []
        outer = call
        seen = {id(call)}
        while id(outer) in parents:
            name, parent = parents[id(outer)]
            if id(parent) in seen:
                break
            seen.add(id(parent))
            wrappers.append(name)
            outer = parent
        args, open_kwargs = layer_args(resolver, call, cls)
        name_arg = args.get("name")
        location = resolver.location(call)
        layer = RecurrentLayer(
            cls=cls,
            location=location,
            args=tuple(args.items()),
            wrappers=tuple(reversed(wrappers)),
            name=name_arg.value if name_arg and isinstance(name_arg.value, str) else None,
            open_kwargs=open_kwargs,
            enclosing_span=_enclosing(resolver.span(outer), location.span) if wrappers else None,
        )
        found.append((outer, layer))
    return found


def _enclosing(outer: Span | None, inner: Span | None) -> Span | None:
    """The wrapper call's span when it is written around the layer call (not, e.g., a variable
    holding the layer that is wrapped on another line)."""
    if outer is None or inner is None:
        return None
    contains = (outer.line, outer.column) <= (inner.line, inner.column) and (
        outer.end_line,
        outer.end_column,
    ) >= (inner.end_line, inner.end_column)
    return outer if contains else None
