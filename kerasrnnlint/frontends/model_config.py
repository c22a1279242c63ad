"""A Keras model configuration (plain JSON data) turned into the IR.

Shared by the saved-model frontend (``.keras``, ``.h5``, ``.json``) and the live-model frontend
(``model.to_json()``). Pure: dicts in, frozen dataclasses out. Nothing here imports Keras or
deserialises anything: activations, layers and optimizers are read by their *names* only.

Understood formats: Keras 3 (``module``/``class_name``/``config``/``registered_name``,
Functional ``inbound_nodes`` as ``{"args": [{"class_name": "__keras_tensor__", ...}]}``) and
Keras 2 / tf.keras (``inbound_nodes`` as ``[[["name", 0, 0, {}]]]``, ``batch_input_shape``,
``Custom>`` optimizer names).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from kerasrnnlint import activations, producers
from kerasrnnlint.ir import (
    DEFAULT_LEARNING_RATES,
    FIXED_TANH_CLASSES,
    RECURRENT_CLASSES,
    Arg,
    ArgValue,
    Context,
    KerasObject,
    Location,
    Optimizer,
    Producer,
    RecurrentLayer,
    keras_object,
    object_class,
    object_module,
)

ORIGIN = "saved config"

# Top-level classes that are models (a subclassed model has its own class name and no layers).
MODEL_CLASSES: frozenset[str] = frozenset({"Sequential", "Functional", "Model"})

# Layers whose output combines several inputs (as the source frontend's table).
MERGE_CLASSES: frozenset[str] = frozenset(
    {"Add", "Concatenate", "Multiply", "Average", "Maximum", "Minimum", "Subtract", "Dot"}
)

# Config keys that are never arguments the rules or the probe read.
_SKIPPED_KEYS: frozenset[str] = frozenset(
    {"name", "trainable", "dtype", "batch_input_shape", "batch_shape", "input_shape", "seed"}
)
_ACTIVATION_KEYS: frozenset[str] = frozenset({"activation", "recurrent_activation"})
_KERAS_MODULES: tuple[str, ...] = ("keras", "tf_keras", "tensorflow")
_INPUT = "\x00input"  # the model input of a Sequential without an InputLayer entry

_OPTIMIZER_NAMES: Mapping[str, str] = {name.lower(): name for name in DEFAULT_LEARNING_RATES}

# No model configuration creates this many JSON objects and arrays (a 12,000-layer model: about
# 400,000); more would take gigabytes of memory however few bytes the file has.
MAX_CONFIG_OBJECTS = 2_000_000


def too_many_objects(data: bytes | str, limit: int = MAX_CONFIG_OBJECTS) -> str | None:
    """Why a JSON text would create too many objects to read (48 MB of ``{},`` is 16 million
    dicts, gigabytes of memory), or None. Counted on the text before parsing: every JSON object
    and array starts with a bracket (brackets inside strings count too: an upper bound)."""
    if isinstance(data, bytes):
        count = data.count(b"{") + data.count(b"[")
    else:
        count = data.count("{") + data.count("[")
    if count > limit:
        return (
            f"model configuration with more than {limit:,} JSON objects and arrays "
            f"({count:,} brackets); not read"
        )
    return None


@dataclass(frozen=True)
class Analysis:
    """What a model configuration holds: recurrent layers, notes for people, and the layer paths
    of custom layers whose inner layers are not in the configuration (the live frontend looks
    inside those objects)."""

    layers: tuple[RecurrentLayer, ...] = ()
    notes: tuple[str, ...] = ()
    opaque: tuple[tuple[str, ...], ...] = ()


# --------------------------------------------------------------------------------------------------
# Small readers
# --------------------------------------------------------------------------------------------------


def class_name(entry: Mapping[str, Any]) -> str:
    """``"LSTM"`` for ``{"class_name": "LSTM"}``; registered names (``Custom>Nadam``) lose their
    package prefix."""
    name = entry.get("class_name")
    return name.rsplit(">", 1)[-1] if isinstance(name, str) else ""


def config_of(entry: Mapping[str, Any]) -> Mapping[str, Any]:
    cfg = entry.get("config")
    return cfg if isinstance(cfg, Mapping) else {}


def layer_name(entry: Mapping[str, Any]) -> str:
    name = config_of(entry).get("name", entry.get("name"))
    return name if isinstance(name, str) else class_name(entry).lower() or "?"


def is_custom(entry: Mapping[str, Any]) -> bool:
    """A class that is not Keras's own (its code is not in the configuration)."""
    module = entry.get("module")
    if isinstance(module, str):
        return not module.startswith(_KERAS_MODULES)
    return entry.get("registered_name") is not None or ">" in str(entry.get("class_name"))


def sublayers(entry: Mapping[str, Any]) -> list[Mapping[str, Any]] | None:
    """The layer entries of a (nested) model, or None when ``entry`` is not a model with layers."""
    raw = entry.get("config")
    if isinstance(raw, list):  # very old Keras 2 Sequential: the config is the layer list
        layers: object = raw
    elif isinstance(raw, Mapping):
        layers = raw.get("layers")
    else:
        return None
    if not isinstance(layers, list):
        return None
    return [layer for layer in layers if isinstance(layer, Mapping)]


def is_model(entry: object) -> bool:
    """Is this JSON object a Keras model configuration (possibly a subclassed model)?"""
    if not isinstance(entry, Mapping) or not isinstance(entry.get("class_name"), str):
        return False
    if sublayers(entry) is not None:
        return True
    if class_name(entry) in MODEL_CLASSES:
        return isinstance(entry.get("config"), Mapping)
    # A subclassed model saved by Keras 3: custom class with build/compile configs.
    return is_custom(entry) and ("compile_config" in entry or "build_config" in entry)


def _round(value: float) -> float:
    """Learning rates are saved as float32 (``0.0010000000474974513``): 7 significant digits."""
    return float(f"{value:.7g}")


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        return _round(float(value))
    except OverflowError:  # an integer beyond any float (JSON allows it): not a usable number
        return None


def shape_of(value: object) -> tuple[int | None, ...] | None:
    if not isinstance(value, list | tuple) or not value:
        return None
    if isinstance(value[0], list | tuple):  # several inputs: the first one
        return shape_of(value[0])
    if not all(v is None or (isinstance(v, int) and not isinstance(v, bool)) for v in value):
        return None
    return tuple(value)


# --------------------------------------------------------------------------------------------------
# Activations and arguments
# --------------------------------------------------------------------------------------------------


def activation_arg(value: object) -> Arg:
    """An activation as saved (string, None or a Keras 3 ``{"module", "class_name", "config"}``
    dict) as an :class:`Arg` with its canonical name; custom functions are unknown."""
    if value is None:
        return Arg(value="linear", origin=ORIGIN)
    if isinstance(value, str):
        name = activations.canonical(value)
        if name is None:
            return Arg.unknown(f"custom activation `{value}`")
        return Arg(value=name, origin=ORIGIN)
    if isinstance(value, Mapping):
        cfg = value.get("config")
        label = cfg if isinstance(cfg, str) else value.get("class_name")
        module = value.get("module")
        if isinstance(label, str) and isinstance(module, str) and module.startswith(_KERAS_MODULES):
            name = activations.canonical(label)
            if name is not None:
                return Arg(value=name, origin=ORIGIN)
        if isinstance(label, str) and label not in ("function", "__lambda__"):
            return Arg.unknown(f"custom activation `{label}`")
        return Arg.unknown("custom activation (a lambda or an unnamed function)")
    return Arg.unknown("activation of an unreadable form in the saved config")


_UNREADABLE = object()


def _plain(value: object) -> object:
    """A config value as an :data:`ArgValue`, or ``_UNREADABLE``."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, list | tuple) and all(
        v is None or isinstance(v, str | int | float | bool) for v in value
    ):
        return tuple(value)
    if isinstance(value, Mapping) and isinstance(value.get("class_name"), str):
        return class_name(value)  # an initializer, regularizer or constraint: its class
    return _UNREADABLE


def saved_object(module: str, value: object) -> KerasObject | None:
    """A saved constraint/regularizer/initializer (``{"class_name": "MaxNorm", "config":
    {...}}``, Keras 3 or 2) as the source frontend writes it (:data:`ir.KerasObject`); None
    when it is not one of Keras's own classes with a literal config."""
    if not isinstance(value, Mapping) or not isinstance(value.get("class_name"), str):
        return None
    if is_custom(value):
        return None
    cls = object_class(module, class_name(value))
    raw = value.get("config", {})
    if cls is None or not isinstance(raw, Mapping):
        return None
    config: dict[str, ArgValue] = {}
    for key, item in raw.items():
        plain = _plain(item)
        if not isinstance(key, str) or plain is _UNREADABLE or isinstance(item, Mapping):
            return None
        config[key] = cast(ArgValue, plain)
    return keras_object(module, cls, config)


def layer_args(cfg: Mapping[str, Any]) -> tuple[tuple[str, Arg], ...]:
    args: list[tuple[str, Arg]] = []
    for key, value in cfg.items():
        if key in _SKIPPED_KEYS:
            continue
        if key in _ACTIVATION_KEYS:
            args.append((key, activation_arg(value)))
            continue
        module = object_module(key)
        saved = saved_object(module, value) if module is not None else None
        if saved is not None:
            args.append((key, Arg(value=saved, origin=ORIGIN)))
            continue
        plain = _plain(value)
        if plain is not _UNREADABLE:
            args.append((key, Arg(value=cast(ArgValue, plain), origin=ORIGIN)))
    return tuple(args)


# --------------------------------------------------------------------------------------------------
# Recurrent layers inside one layer entry (wrappers, RNN cells)
# --------------------------------------------------------------------------------------------------


def _forward_differs(forward: Mapping[str, Any], backward: object) -> bool:
    if not isinstance(backward, Mapping):
        return False
    ignored = {"name", "go_backwards"}
    f_cfg = {k: v for k, v in config_of(forward).items() if k not in ignored}
    b_cfg = {k: v for k, v in config_of(backward).items() if k not in ignored}
    return class_name(forward) != class_name(backward) or layer_args(f_cfg) != layer_args(b_cfg)


def recurrent_layers(
    entry: Mapping[str, Any],
    path: str,
    prefix: tuple[str, ...] = (),
    wrappers: tuple[str, ...] = (),
    context: Context | None = None,
) -> Iterator[RecurrentLayer]:
    """The recurrent layers and cells in one layer entry (the entry itself, or inside
    Bidirectional / TimeDistributed / RNN / StackedRNNCells), located by layer path."""
    cls = class_name(entry)
    cfg = config_of(entry)
    here = (*prefix, layer_name(entry))
    if cls in RECURRENT_CLASSES:
        yield RecurrentLayer(
            cls=cls,
            location=Location(path=path, layer_path=here),
            args=layer_args(cfg),
            wrappers=wrappers,
            name=layer_name(entry),
            context=context or Context(),
        )
        return
    inner: list[object] = []
    if cls in ("Bidirectional", "TimeDistributed"):
        inner = [cfg.get("layer")]
        if cls == "Bidirectional" and isinstance(cfg.get("layer"), Mapping):
            backward = cfg.get("backward_layer")
            if _forward_differs(cfg["layer"], backward):
                inner.append(backward)
    elif cls == "RNN":
        cell = cfg.get("cell")
        inner = list(cell) if isinstance(cell, list) else [cell]
    elif cls == "StackedRNNCells":
        cells = cfg.get("cells")
        inner = list(cells) if isinstance(cells, list) else []
    for sub in inner:
        if isinstance(sub, Mapping):
            yield from recurrent_layers(sub, path, here, (*wrappers, cls), context)


def holds_recurrent(entry: Mapping[str, Any]) -> bool:
    cls = class_name(entry)
    return cls in RECURRENT_CLASSES or cls in ("Bidirectional", "TimeDistributed", "RNN")


# --------------------------------------------------------------------------------------------------
# The graph: producers and input shapes
# --------------------------------------------------------------------------------------------------


@dataclass
class Graph:
    """One (possibly nested) model's layers, by name."""

    entries: dict[str, Mapping[str, Any]]
    order: list[str]
    sequential: bool
    prefix: tuple[str, ...]
    outputs: list[str]
    parent: Graph | None = None
    name_in_parent: str | None = None
    input_shape: tuple[int | None, ...] | None = None
    nested: dict[str, Graph] = field(default_factory=dict)
    memo: dict[str, Producer] = field(default_factory=dict)
    # Position of each layer in ``order`` and the input shape found for each layer: without
    # them a Sequential model of n layers took n^3 steps (12,000 layers: over 10 minutes).
    position: dict[str, int] = field(default_factory=dict)
    shapes: dict[str, tuple[int | None, ...] | None] = field(default_factory=dict)


def _tensor_layers(node: object, found: list[str]) -> list[str]:
    """The layer names of the input tensors of one inbound node, in order (Keras 2 or 3 format;
    Keras 3 keyword tensors such as ``initial_state`` are not inputs here)."""
    if isinstance(node, Mapping):
        if node.get("class_name") == "__keras_tensor__":
            history = config_of(node).get("keras_history")
            if isinstance(history, list) and history and isinstance(history[0], str):
                found.append(history[0])
            return found
        for key in ("args", "config"):
            if key in node:
                _tensor_layers(node[key], found)
        return found
    if isinstance(node, list | tuple):
        if node and isinstance(node[0], str):  # Keras 2: ["conv1d", 0, 0, {}]
            found.append(node[0])
            return found
        for item in node:
            _tensor_layers(item, found)
    return found


def _first_tensor_layer(node: object) -> str | None:
    found = _tensor_layers(node, [])
    return found[0] if found else None


def _input_names(graph: Graph, name: str) -> list[str]:
    """Every layer feeding layer ``name`` (a merge's inputs), in ``graph``."""
    if graph.sequential:
        feed = _feeding_name(graph, name)
        return [feed] if feed is not None else []
    nodes = graph.entries[name].get("inbound_nodes")
    if not isinstance(nodes, list) or not nodes:
        return []
    return [n for n in _tensor_layers(nodes[0], []) if n in graph.entries]


def _feeding_name(graph: Graph, name: str) -> str | None:
    """The name of the layer whose output feeds layer ``name`` (first input), in ``graph``."""
    if graph.sequential:
        index = graph.position[name]
        return graph.order[index - 1] if index > 0 else _INPUT
    nodes = graph.entries[name].get("inbound_nodes")
    if isinstance(nodes, list) and nodes:
        found = _first_tensor_layer(nodes[0])
        if found in graph.entries:
            return found
    return None


def build_graph(
    model: Mapping[str, Any],
    prefix: tuple[str, ...],
    parent: Graph | None = None,
    name_in_parent: str | None = None,
) -> Graph:
    layers = sublayers(model) or []
    entries: dict[str, Mapping[str, Any]] = {}
    order: list[str] = []
    for entry in layers:
        name = layer_name(entry)
        if name in entries:  # names are unique in a valid config; keep the first
            continue
        entries[name] = entry
        order.append(name)
    cfg = config_of(model)
    sequential = class_name(model) == "Sequential" or isinstance(model.get("config"), list)
    if not sequential and not any("inbound_nodes" in e for e in layers):
        sequential = True
    outputs: list[str] = []
    raw_outputs = cfg.get("output_layers")
    if isinstance(raw_outputs, list):
        first = _first_tensor_layer(raw_outputs)
        if first:
            outputs.append(first)
    if not outputs and order:
        outputs.append(order[-1])
    shape = shape_of(cfg.get("build_input_shape"))
    if sequential and order:
        first_cfg = config_of(entries[order[0]])
        shape = (
            shape_of(first_cfg.get("batch_shape"))
            or shape_of(first_cfg.get("batch_input_shape"))
            or shape
        )
    graph = Graph(entries, order, sequential, prefix, outputs, parent, name_in_parent, shape)
    graph.position = {name: index for index, name in enumerate(order)}
    for name in order:
        if sublayers(entries[name]) is not None:
            graph.nested[name] = build_graph(entries[name], (*prefix, name), graph, name)
    return graph


def _feeding_names(graph: Graph, name: str) -> list[str | None]:
    """The layer feeding layer ``name`` in each of its calls: a shared layer (or a nested model)
    called on several tensors has one inbound node per call."""
    nodes = graph.entries[name].get("inbound_nodes")
    if graph.sequential or not isinstance(nodes, list) or len(nodes) < 2:
        return [_feeding_name(graph, name)]
    found = (_first_tensor_layer(node) for node in nodes)
    return [n if n in graph.entries else None for n in found]


# Riskiest first when one layer is fed in several ways (as the source frontend decides).
_KIND_RISK: Mapping[str, int] = {
    "unbounded": 4,
    "unknown": 3,
    "bounded": 2,
    "normalizing": 1,
    "input": 0,
}


def _riskiest_feed(graph: Graph, name: str, path: str) -> Producer:
    """The producer feeding layer ``name``; for a layer called several times, the riskiest."""
    found = [_producer_at(graph, feed, path, set()) for feed in _feeding_names(graph, name)]
    return max(found, key=lambda p: _KIND_RISK.get(p.kind, 3))


def _location(path: str, graph: Graph, name: str) -> Location:
    return Location(path=path, layer_path=(*graph.prefix, name))


def _model_input(graph: Graph, path: str) -> Producer:
    if graph.parent is not None and graph.name_in_parent is not None:
        return _riskiest_feed(graph.parent, graph.name_in_parent, path)
    return Producer(cls="InputLayer", kind="input", name=None, location=Location(path=path))


def _producer_at(graph: Graph, name: str | None, path: str, seen: set[tuple[int, str]]) -> Producer:
    """The producer that layer ``name`` of ``graph`` is, looking through pass-through layers
    (memoised per graph: a ladder of merges would otherwise be walked exponentially often)."""
    if name is None:
        return Producer(cls="?", kind="unknown")
    if name == _INPUT:
        return _model_input(graph, path)
    if name in graph.memo:
        return graph.memo[name]
    key = (id(graph), name)
    if key in seen:  # a cycle: not a valid model, never fatal
        return Producer(cls="?", kind="unknown")
    seen.add(key)
    producer = _compute_producer(graph, name, path, seen)
    graph.memo[name] = producer
    return producer


def _compute_producer(graph: Graph, name: str, path: str, seen: set[tuple[int, str]]) -> Producer:
    entry = graph.entries[name]
    cls = class_name(entry)
    cfg = config_of(entry)
    if cls in ("InputLayer", "Input"):
        if graph.parent is not None:
            return _model_input(graph, path)
        return Producer(cls=cls, kind="input", name=name, location=_location(path, graph, name))
    if name in graph.nested:
        inner = graph.nested[name]
        return _producer_at(inner, inner.outputs[0] if inner.outputs else None, path, seen)
    look = entry
    if cls == "TimeDistributed" and isinstance(cfg.get("layer"), Mapping):
        look = cfg["layer"]
    look_cls = class_name(look)
    if look_cls in producers.PASS_THROUGH:
        return _producer_at(graph, _feeding_name(graph, name), path, seen)
    location = _location(path, graph, name)
    if look_cls in MERGE_CLASSES:
        inputs = [_producer_at(graph, n, path, set(seen)) for n in _input_names(graph, name)]
        for producer in inputs:
            if producer.kind == "unbounded":
                return producer
        kind = producers.classify_merge(p.kind for p in inputs)
        return Producer(cls=look_cls, kind=kind, location=location, name=name)
    act_name, known = _producer_activation(look)
    if holds_recurrent(look):
        kind = producers.classify_recurrent(act_name, known)
    elif look_cls == "ReLU" and _number(config_of(look).get("max_value")) is not None:
        kind = "bounded"  # ReLU(max_value=6)
    else:
        kind = producers.classify(look_cls, act_name, known)
    return Producer(cls=look_cls, kind=kind, activation=act_name, location=location, name=name)


def _producer_activation(entry: Mapping[str, Any]) -> tuple[str | None, bool]:
    """The canonical activation of a producing layer, and whether it is known."""
    cls = class_name(entry)
    if cls in producers.ACTIVATION_LAYERS:
        return producers.ACTIVATION_LAYERS[cls], True
    if holds_recurrent(entry):  # its output is act(c): the (last) recurrent layer's activation
        found = list(recurrent_layers(entry, ""))
        if not found:
            return None, False
        arg = found[-1 if cls == "RNN" else 0].arg("activation")
        return (arg.value if isinstance(arg.value, str) else None), arg.known
    if cls == "Activation" or cls in producers.AFFINE:
        arg = activation_arg(config_of(entry).get("activation"))
        return (arg.value if isinstance(arg.value, str) else None), arg.known
    return None, True


_NO_SHAPE = "\x00none"  # in ``Graph.shapes``: the walk back ended without an input shape


def _input_shape(graph: Graph, name: str) -> tuple[int | None, ...] | None:
    """The batch shape of the model input the data of layer ``name`` flows from."""
    seen: list[str] = []
    current: str | None = name
    found: tuple[int | None, ...] | str | None = _NO_SHAPE
    while current is not None and current not in seen:
        if current in graph.shapes:  # an earlier layer's walk went on from here
            found = graph.shapes[current] if graph.shapes[current] is not None else _NO_SHAPE
            break
        seen.append(current)
        if current == _INPUT:
            break
        entry = graph.entries[current]
        if class_name(entry) in ("InputLayer", "Input"):
            cfg = config_of(entry)
            found = shape_of(cfg.get("batch_shape")) or shape_of(cfg.get("batch_input_shape"))
            found = _NO_SHAPE if found is None else found
            break
        current = _feeding_name(graph, current)
    for step in seen:
        graph.shapes[step] = None if isinstance(found, str) else found
    if not isinstance(found, str):
        return found
    if graph.input_shape is not None:
        return graph.input_shape
    if graph.parent is not None and graph.name_in_parent is not None:
        return _input_shape(graph.parent, graph.name_in_parent)
    return None


def context_for(graph: Graph, name: str, path: str, optimizer: Optimizer | None) -> Context:
    producer = _riskiest_feed(graph, name, path)
    shape = _input_shape(graph, name)
    if shape is None:
        build = graph.entries[name].get("build_config")
        shape = shape_of(build.get("input_shape")) if isinstance(build, Mapping) else None
    timesteps = shape[1] if shape is not None and len(shape) >= 3 else None
    features = shape[-1] if shape is not None and len(shape) >= 3 else None
    return Context(producer=producer, timesteps=timesteps, features=features, optimizer=optimizer)


# --------------------------------------------------------------------------------------------------
# Optimizer
# --------------------------------------------------------------------------------------------------


def _learning_rate(value: object) -> float | None:
    number = _number(value)
    if number is not None:
        return number
    if isinstance(value, Mapping):  # a schedule: its initial rate
        cfg = config_of(value)
        for key in ("initial_learning_rate", "initial_lr", "warmup_target"):
            number = _number(cfg.get(key))
            if number is not None:
                return number
        values = cfg.get("values")
        if isinstance(values, list) and values:
            return _number(values[0])
    return None


def optimizer_from_config(value: object, location: Location | None = None) -> Optimizer | None:
    """The optimizer of a ``compile_config`` / ``training_config`` entry (a name or a
    serialised optimizer); None when there is none."""
    if isinstance(value, str):
        cls = _OPTIMIZER_NAMES.get(value.lower(), value)
        return Optimizer(
            cls=cls, learning_rate=DEFAULT_LEARNING_RATES.get(cls), origin=ORIGIN, location=location
        )
    if not isinstance(value, Mapping) or not isinstance(value.get("class_name"), str):
        return None
    cls = class_name(value)
    cfg = config_of(value)
    if cls == "LossScaleOptimizer":
        inner = optimizer_from_config(cfg.get("inner_optimizer"), location)
        if inner is not None:
            return inner
    if "learning_rate" in cfg or "lr" in cfg:
        rate = _learning_rate(cfg.get("learning_rate", cfg.get("lr")))
    else:
        rate = DEFAULT_LEARNING_RATES.get(cls)
    return Optimizer(
        cls=cls,
        learning_rate=rate,
        clipnorm=_number(cfg.get("clipnorm")),
        clipvalue=_number(cfg.get("clipvalue")),
        global_clipnorm=_number(cfg.get("global_clipnorm")),
        origin=ORIGIN,
        location=location,
    )


def optimizer_of(root: Mapping[str, Any], training: object = None) -> Optimizer | None:
    """The compiled optimizer: Keras 3 ``compile_config`` or an h5 ``training_config``."""
    for holder in (root.get("compile_config"), training):
        if isinstance(holder, Mapping):
            raw = holder.get("optimizer", holder.get("optimizer_config"))
            found = optimizer_from_config(raw)
            if found is not None:
                return found
    return None


# --------------------------------------------------------------------------------------------------
# The whole model
# --------------------------------------------------------------------------------------------------


def _custom_note(entry: Mapping[str, Any], layer_path: Sequence[str]) -> str:
    where = " › ".join(layer_path) if layer_path else "the model"
    return (
        f"{where}: custom class `{class_name(entry)}`; its inner layers are not in the saved "
        "configuration and were not checked (lint its source, or the live model with "
        "kerasrnnlint.lint_model)"
    )


def _walk(
    graph: Graph, path: str, optimizer: Optimizer | None
) -> Iterator[RecurrentLayer | tuple[str, ...]]:
    """Recurrent layers of a graph (and its nested models), and the layer paths of custom ones."""
    for name in graph.order:
        entry = graph.entries[name]
        if name in graph.nested:
            yield from _walk(graph.nested[name], path, optimizer)
            continue
        if holds_recurrent(entry):
            context = context_for(graph, name, path, optimizer)
            yield from recurrent_layers(entry, path, graph.prefix, (), context)
        elif class_name(entry) not in FIXED_TANH_CLASSES and is_custom(entry):
            yield (*graph.prefix, name)


def analyze(
    root: Mapping[str, Any],
    path: str,
    training: object = None,
    optimizer: Optimizer | None = None,
) -> Analysis:
    """The recurrent layers of a model configuration ``{"class_name": ..., "config": ...}``.

    ``training`` is an h5 file's ``training_config``; ``optimizer`` (a live model's) wins over
    the optimizer in the configuration.
    """
    optimizer = optimizer or optimizer_of(root, training)
    if sublayers(root) is None:
        if holds_recurrent(root):  # a single layer saved on its own
            context = Context(optimizer=optimizer)
            return Analysis(layers=tuple(recurrent_layers(root, path, (), (), context)))
        return Analysis(notes=(_custom_note(root, ()),), opaque=((),))
    graph = build_graph(root, ())
    layers: list[RecurrentLayer] = []
    notes: list[str] = []
    opaque: list[tuple[str, ...]] = []
    for item in _walk(graph, path, optimizer):
        if isinstance(item, RecurrentLayer):
            layers.append(item)
            continue
        layer_path = item
        opaque.append(layer_path)
        entry = _entry_at(graph, layer_path)
        if entry is not None:
            notes.append(_custom_note(entry, layer_path))
    return Analysis(layers=tuple(layers), notes=tuple(notes), opaque=tuple(opaque))


def _entry_at(graph: Graph, layer_path: tuple[str, ...]) -> Mapping[str, Any] | None:
    current = graph
    for name in layer_path[:-1]:
        if name not in current.nested:
            return None
        current = current.nested[name]
    return current.entries.get(layer_path[-1]) if layer_path else None


def context_at(
    root: Mapping[str, Any], layer_path: tuple[str, ...], path: str, optimizer: Optimizer | None
) -> Context:
    """The context of the layer at ``layer_path`` in a model configuration (for a custom layer
    that the live frontend found to be recurrent)."""
    if not layer_path or sublayers(root) is None:
        return Context(optimizer=optimizer)
    graph = build_graph(root, ())
    for name in layer_path[:-1]:
        if name not in graph.nested:
            return Context(optimizer=optimizer)
        graph = graph.nested[name]
    if layer_path[-1] not in graph.entries:
        return Context(optimizer=optimizer)
    return context_for(graph, layer_path[-1], path, optimizer)


def unwrap(document: object) -> tuple[Mapping[str, Any], object] | None:
    """The model config and training config of a JSON document: a model config itself, or a
    ``{"model_config": ..., "training_config": ...}`` wrapper (values may be JSON strings)."""
    if not isinstance(document, Mapping):
        return None
    if is_model(document):
        return document, None
    if "model_config" in document:
        import json

        model = document["model_config"]
        training = document.get("training_config", document.get("compile_config"))
        for text in (model, training):
            crowded = too_many_objects(text) if isinstance(text, str | bytes) else None
            if crowded is not None:
                from kerasrnnlint.frontends.base import InputError

                raise InputError(f"model_config: {crowded}")
        try:
            if isinstance(model, str | bytes):
                model = json.loads(model)
            if isinstance(training, str | bytes):
                training = json.loads(training)
        except (ValueError, RecursionError):
            return None
        if is_model(model):
            return model, training
    return None
