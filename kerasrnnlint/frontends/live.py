"""Live-model frontend: a built ``keras.Model`` (Keras 3 or tf.keras 2) turned into the IR.

The model's configuration (``model.to_json()``, else ``model.get_config()``) goes through the same
:mod:`~kerasrnnlint.frontends.model_config` code as a saved file, so a live model and its saved
file give the same layers and findings. Two things only a live model can add:

- the optimizer it was compiled with (``model.optimizer``, its current configuration);
- recurrent layers created inside custom (subclassed) layers and models, which no saved
  configuration shows: the real layer objects are walked for those.

Nothing here imports Keras: it only calls methods of the objects it is given.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

from kerasrnnlint.frontends import model_config
from kerasrnnlint.frontends.base import FrontendResult
from kerasrnnlint.ir import RECURRENT_CLASSES, Arg, Context, Optimizer, RecurrentLayer

ORIGIN = "model config"
_HOLDERS = ("Bidirectional", "TimeDistributed", "RNN", "StackedRNNCells")


@dataclass(frozen=True)
class LiveLayer:
    """One recurrent layer of a live model: its IR and the real object (a layer or a cell)."""

    layer: RecurrentLayer
    obj: Any


def model_path(model: Any) -> str:
    """What findings on a live model show as their file: ``<model my_model>``."""
    return f"<model {getattr(model, 'name', type(model).__name__)}>"


def _plain(value: Any) -> Any:
    """``json.dumps``'s fallback: numbers (numpy scalars, tf variables) as floats, else repr."""
    if hasattr(value, "__float__"):
        with contextlib.suppress(Exception):
            return float(value)
    return repr(value)


def _jsonable(value: Any) -> Any:
    """A configuration made plain JSON data (tuples to lists, numpy numbers to floats, other
    objects to their repr)."""
    return json.loads(json.dumps(value, default=_plain))


def _entry(obj: Any) -> dict[str, Any]:
    """``{"class_name", "config"}`` of a live layer, like a saved configuration entry."""
    cls = _keras_class(obj) or type(obj).__name__
    try:
        config = obj.get_config()
    except Exception:  # a custom layer without get_config: its name only
        config = {"name": getattr(obj, "name", cls)}
    return {"class_name": cls, "module": "keras.layers", "config": _jsonable(config)}


def _keras_class(obj: Any) -> str | None:
    """The recurrent Keras class ``obj`` is (or subclasses), e.g. ``LSTM`` for ``MyLSTM(LSTM)``."""
    for klass in type(obj).__mro__:
        module = getattr(klass, "__module__", "") or ""
        recurrent = klass.__name__ in RECURRENT_CLASSES or klass.__name__ in _HOLDERS
        if recurrent and module.startswith(("keras", "tf_keras", "tensorflow")):
            return klass.__name__
    return None


def _document(model: Any) -> dict[str, Any]:
    with contextlib.suppress(Exception):  # subclassed models may not serialise: fall back
        document = json.loads(model.to_json())
        if isinstance(document, dict):
            return document
    try:
        config = _jsonable(model.get_config())
        return {"class_name": type(model).__name__, "module": None, "config": config}
    except Exception:
        return {"class_name": type(model).__name__, "module": None, "registered_name": "?"}


def live_optimizer(model: Any) -> Optimizer | None:
    """The optimizer a live model is compiled with, read from the optimizer object."""
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None:
        return None
    try:
        config = _jsonable(optimizer.get_config())
    except Exception:
        config = {}
    entry = {"class_name": type(optimizer).__name__, "config": config}
    inner = getattr(optimizer, "inner_optimizer", None)
    if inner is not None:  # LossScaleOptimizer
        with contextlib.suppress(Exception):  # else keep the wrapper's own entry
            entry = {"class_name": type(inner).__name__, "config": _jsonable(inner.get_config())}
    found = model_config.optimizer_from_config(entry)
    return replace(found, origin=ORIGIN) if found is not None else None


def children(obj: Any) -> list[Any]:
    """The direct sub-layers of a layer or model (Keras 3 and tf.keras 2)."""
    flatten = getattr(obj, "_flatten_layers", None)
    if callable(flatten):
        with contextlib.suppress(Exception):  # else the public attributes
            return list(flatten(include_self=False, recursive=False))
    found: list[Any] = []
    for attr in ("layers", "cells"):
        value = getattr(obj, attr, None)
        if isinstance(value, list | tuple):
            found.extend(value)
    for attr in ("forward_layer", "backward_layer", "layer", "cell"):
        value = getattr(obj, attr, None)
        if value is not None and hasattr(value, "name"):
            found.append(value)
    return found


def find_object(root: Any, layer_path: tuple[str, ...]) -> Any | None:
    """The live layer (or cell) at a layer path of ``root``."""
    current = root
    for name in layer_path:
        subs = children(current)
        match = next((c for c in subs if getattr(c, "name", None) == name), None)
        if match is None:  # tf.keras 2 names a Bidirectional's copy `forward_<name>`
            forward = getattr(current, "forward_layer", None)
            if forward is not None and getattr(forward, "name", "") in (name, f"forward_{name}"):
                match = forward
            cell = getattr(current, "cell", None)
            if match is None and cell is not None and getattr(cell, "name", None) == name:
                match = cell
        if match is None:
            return None
        current = match
    return current


def _hidden(
    obj: Any, prefix: tuple[str, ...], path: str, context: Context, depth: int = 0
) -> Iterator[RecurrentLayer]:
    """Recurrent layers created inside a custom layer or model (not in its configuration).

    ``context`` is what is known of the layer at ``prefix`` (a custom subclass of a recurrent
    layer keeps its place in the graph); layers found deeper only keep the optimizer.
    """
    if depth > 50:
        return
    if _keras_class(obj) is not None:
        yield from model_config.recurrent_layers(_entry(obj), path, prefix[:-1], (), context)
        return
    inner = Context(optimizer=context.optimizer)
    for child in children(obj):
        name = getattr(child, "name", type(child).__name__)
        yield from _hidden(child, (*prefix, name), path, inner, depth + 1)


def analyze_model(model: Any) -> tuple[FrontendResult, list[LiveLayer]]:
    """The recurrent layers of a live model (with their real objects, for the probe).

    Raises :class:`TypeError` for an object that is not a Keras model or layer (a file name, None).
    """
    if not any(callable(getattr(model, name, None)) for name in ("to_json", "get_config")):
        hint = (
            f"; to lint a saved model file, run `kerasrnnlint {model}`"
            if isinstance(model, str | os.PathLike)
            else ""
        )
        raise TypeError(
            f"expected a keras.Model (or a Keras layer), got {type(model).__name__}{hint}"
        )
    path = model_path(model)
    document = _document(model)
    optimizer = live_optimizer(model)
    analysis = model_config.analyze(document, path, optimizer=optimizer)
    layers = list(analysis.layers)
    notes = [n for n in analysis.notes if "custom class" not in n]
    for layer_path in analysis.opaque:
        obj = find_object(model, layer_path)
        if obj is None:
            continue
        context = model_config.context_at(document, layer_path, path, optimizer)
        layers.extend(_hidden(obj, layer_path, path, context))
    objects = [find_object(model, layer.location.layer_path) for layer in layers]
    layers = [
        _unsaved_args(_live_origin(layer), obj) for layer, obj in zip(layers, objects, strict=True)
    ]
    live = [LiveLayer(layer, obj) for layer, obj in zip(layers, objects, strict=True)]
    return FrontendResult(layers=tuple(layers), notes=tuple(notes)), live


def _unsaved_args(layer: RecurrentLayer, obj: Any) -> RecurrentLayer:
    """Arguments the live object holds but its configuration does not save: Keras 3's
    ``use_cudnn`` (``True``/``False``; the default ``"auto"`` adds nothing), which KRL102 reads."""
    value = getattr(obj, "use_cudnn", None)
    if not isinstance(value, bool) or layer.has_arg("use_cudnn"):
        return layer
    return replace(layer, args=(*layer.args, ("use_cudnn", Arg(value=value, origin=ORIGIN))))


def _live_origin(layer: RecurrentLayer) -> RecurrentLayer:
    """Arguments read from a live model say so (``model config``, not ``saved config``)."""
    args = tuple(
        (key, replace(arg, origin=ORIGIN) if arg.origin == model_config.ORIGIN else arg)
        for key, arg in layer.args
    )
    return replace(layer, args=args)


def real_activations(obj: Any) -> tuple[Any, Any]:
    """The ``activation`` and ``recurrent_activation`` callables of a live recurrent layer."""
    cell = getattr(obj, "cell", None)
    holder = cell if cell is not None and hasattr(cell, "activation") else obj
    activation = getattr(holder, "activation", None)
    recurrent = getattr(holder, "recurrent_activation", None)
    return (
        activation if callable(activation) else None,
        recurrent if callable(recurrent) else None,
    )
