"""What the linter knows about the fused cuDNN kernel: which layers may use it, and which argument
values rule it out. KRL101 (the kernel is disabled) and KRL102 (``use_cudnn=True`` on a
configuration that rules it out) both ask :func:`blockers`."""

from __future__ import annotations

from collections.abc import Sequence

from kerasrnnlint.ir import Arg, ArgValue, RecurrentLayer
from kerasrnnlint.severity import canonical_activation, number

CUDNN_CLASSES: frozenset[str] = frozenset({"LSTM", "GRU"})

# The cuDNN-eligible value of every argument that can disable the kernel.
ELIGIBLE: dict[str, ArgValue] = {
    "activation": "tanh",
    "recurrent_activation": "sigmoid",
    "recurrent_dropout": 0.0,
    "unroll": False,
    "use_bias": True,
    "reset_after": True,
}


def blocks(layer: RecurrentLayer, param: str, arg: Arg) -> bool:
    """True when the known value of ``param`` keeps cuDNN from running this layer."""
    if not arg.known:
        return False
    if param in ("activation", "recurrent_activation"):
        name = canonical_activation(arg)
        return name is not None and name != ELIGIBLE[param]
    if param == "recurrent_dropout":
        rate = number(arg)
        return rate is not None and rate > 0
    if param == "reset_after" and layer.cls != "GRU":
        return False
    return isinstance(arg.value, bool | int) and bool(arg.value) != ELIGIBLE[param]


def blockers(layer: RecurrentLayer) -> list[tuple[str, Arg]]:
    """The arguments (and their values) that keep cuDNN from running this layer, in order."""
    if layer.cls not in CUDNN_CLASSES or "RNN" in layer.wrappers:
        return []
    found = []
    for param in ELIGIBLE:
        arg = layer.arg(param)
        if blocks(layer, param, arg):
            found.append((param, arg))
    return found


def describe(param: str, arg: Arg) -> str:
    if param in ("activation", "recurrent_activation"):
        name = canonical_activation(arg)
        return f"{param}={'None' if name == 'linear' and arg.value is None else repr(name)}"
    return f"{param}={arg.value!r}"


def describe_all(found: Sequence[tuple[str, Arg]]) -> str:
    """``activation='relu', recurrent_dropout=0.2``: the blockers as a message names them."""
    return ", ".join(describe(param, arg) for param, arg in found)
