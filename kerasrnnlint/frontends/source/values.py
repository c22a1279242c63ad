"""Literal values: what a constant expression evaluates to, without running anything.

Pure helpers for :class:`~.resolver.Resolver`; names, attributes and subscripts are the resolver's
business (they need scopes).
"""

from __future__ import annotations

import math
import warnings

import libcst as cst

from kerasrnnlint.ir import ArgValue

# ``foo(x)``, ``a + b``: a short excerpt of the code in messages.
MAX_EXCERPT = 40

_NOT_LITERAL = object()


def _evaluated(node: cst.SimpleString | cst.ConcatenatedString | cst.Integer | cst.Float) -> object:
    """libcst's ``evaluated_value`` (``ast.literal_eval``), quietly: an invalid escape warns, and
    an integer of more than 4300 digits is refused by Python."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return node.evaluated_value
        except (SyntaxError, ValueError, TypeError, MemoryError, RecursionError):
            return None


def string(node: cst.BaseExpression) -> str | None:
    """The value of a plain string literal (implicit concatenation included), else None."""
    if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
        value = _evaluated(node)
        return value if isinstance(value, str) else None
    return None


def subscript_keys(
    expr: cst.BaseExpression,
) -> tuple[cst.BaseExpression, tuple[str, ...]] | None:
    """``a['x']['y']``: the subscripted expression and its keys, outermost last (``a``, ``('x',
    'y')``); no keys for an expression that is not a subscript; None when a key is not a string
    literal (a variable, a slice, several indices)."""
    keys: list[str] = []
    while isinstance(expr, cst.Subscript):
        if len(expr.slice) != 1 or not isinstance(expr.slice[0].slice, cst.Index):
            return None
        key = string(expr.slice[0].slice.value)
        if key is None:
            return None
        keys.insert(0, key)
        expr = expr.value
    return expr, tuple(keys)


def number(node: cst.BaseExpression) -> int | float | None:
    """The value of an int or float literal, with a sign; None for anything else."""
    if isinstance(node, (cst.Integer, cst.Float)):
        value = _evaluated(node)
        return value if isinstance(value, (int, float)) else None
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, (cst.Minus, cst.Plus)):
        inner = number(node.expression)
        if inner is None:
            return None
        return -inner if isinstance(node.operator, cst.Minus) else inner
    return None


KEYWORD_CONSTANTS: dict[str, ArgValue] = {"True": True, "False": False, "None": None}


def arithmetic(operator: cst.BaseBinaryOp, left: ArgValue, right: ArgValue) -> ArgValue | object:
    """``left <op> right`` for numbers (and ``+`` for strings); :data:`NOT_COMPUTED` otherwise."""
    if isinstance(left, str) and isinstance(right, str) and isinstance(operator, cst.Add):
        return left + right
    if not _is_number(left) or not _is_number(right):
        return NOT_COMPUTED
    assert isinstance(left, (int, float)) and isinstance(right, (int, float))
    try:
        if isinstance(operator, cst.Add):
            return left + right
        if isinstance(operator, cst.Subtract):
            return left - right
        if isinstance(operator, cst.Multiply):
            return left * right
        if isinstance(operator, cst.Divide):
            return left / right
        if isinstance(operator, cst.FloorDivide):
            return left // right
        if isinstance(operator, cst.Modulo):
            return left % right
        if isinstance(operator, cst.Power):
            if abs(right) > 64 or abs(left) > 1e6:
                return NOT_COMPUTED
            result = left**right
            if isinstance(result, complex) or (isinstance(result, float) and math.isinf(result)):
                return NOT_COMPUTED
            return result
    except (ZeroDivisionError, OverflowError, ValueError):
        return NOT_COMPUTED
    return NOT_COMPUTED


NOT_COMPUTED: object = _NOT_LITERAL


def _is_number(value: ArgValue) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def excerpt(code: str) -> str:
    """One line of at most :data:`MAX_EXCERPT` characters of ``code``, for messages."""
    flat = " ".join(code.split())
    return flat if len(flat) <= MAX_EXCERPT else flat[: MAX_EXCERPT - 1] + "…"
