"""The layer IR of a module: each recurrent layer the interpreter recorded, as an
:class:`ir.RecurrentLayer`.

The interpreter (:mod:`.interpreter`) walks the module once: it finds the recurrent layer
calls, resolves their arguments when it constructs them, knows the wrappers around each
(``Bidirectional``, ``TimeDistributed``, ``RNN``, ``StackedRNNCells``) and what feeds it. This
level only says where each layer is (its location, and the span of a wrapper written around it)
and names it.
"""

from __future__ import annotations

import libcst as cst

from kerasrnnlint.frontends.source.interpreter import LayerRecord, interpret
from kerasrnnlint.frontends.source.resolver import Resolver
from kerasrnnlint.ir import RecurrentLayer, Span


def describe(resolver: Resolver, record: LayerRecord) -> RecurrentLayer:
    """One recorded layer as the IR describes it."""
    args = dict(record.args)
    name_arg = args.get("name")
    location = resolver.location(record.call)
    layer = RecurrentLayer(
        cls=record.cls,
        location=location,
        args=record.args,
        wrappers=record.wrappers,
        name=name_arg.value if name_arg and isinstance(name_arg.value, str) else None,
        open_kwargs=record.open_kwargs,
        enclosing_span=(
            _enclosing(resolver.span(record.outer), location.span) if record.wrappers else None
        ),
    )
    return layer.with_context(record.context) if record.context is not None else layer


def find_layers(module: cst.Module, resolver: Resolver) -> list[RecurrentLayer]:
    """Every recurrent layer of the module, in source order, with its training context."""
    return [describe(resolver, record) for record in interpret(module, resolver)]


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
