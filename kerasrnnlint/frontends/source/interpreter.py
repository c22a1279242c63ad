"""The abstract interpreter of a module: its recurrent layers, their arguments and training
context, from source alone, in one walk.

:func:`interpret` records each recurrent layer call as a :class:`LayerRecord`: its class, its
arguments (resolved once, by the value domain :mod:`.resolver`, when the walk constructs the
layer), the wrappers around it, and :class:`ir.Context`: the layer that feeds it (after looking
through pass-through layers, classified with :func:`kerasrnnlint.producers.classify` like the
saved-model frontend does), the input shape (sequence length T and features F) when it is
visible, and the optimizer of the model that contains it when that model is compiled in the same
module. What is not visible stays None: never a guess.

How: a small abstract interpreter walks the module's statements in order, once, without running
anything. It tracks a handful of symbolic values: Keras layer objects (a constructor call), symbolic
tensors (``Input(...)`` or a layer applied to a tensor), models (``Sequential``, ``Model(inputs,
outputs)``, instances of local ``keras.Model``/``Layer`` subclasses), optimizers and learning-rate
schedules, lists, local functions and classes. That covers every way real code wires a model:

- ``Sequential([...])`` lists and ``model.add(...)`` chains (a rebound receiver is a new model);
- functional chains ``x = Conv1D(...)(x); x = LSTM(...)(x)`` and ``Model(inputs, outputs)``;
- layers kept in variables and applied later, lists of layers applied in a ``for`` loop;
- subclassed models and layers (``self.rnn = ...`` in ``__init__``, used in ``call``);
- Bidirectional / TimeDistributed / RNN(cell) wrappers, models nested in models;
- builder functions (``def build(): ...; model = build(); model.compile(...)``).

Both branches of an ``if`` are followed (a name bound differently in them holds both values), loops
with an unknown iterable run their body twice (so a layer fed by the previous iteration is seen),
and every function, method and class that the module never calls is run once on its own, so a
model built in a function nobody calls in this module still gets its producers and input shape.
A layer applied more than once (a loop, a shared layer, a nested model) keeps the riskiest
producer, the longest visible sequence and the riskiest optimizer (adaptive before plain SGD, then
the highest learning rate).
Work is bounded (:data:`BUDGET` statements per module), so a pathological module cannot stall a run.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import libcst as cst

from kerasrnnlint import activations, producers
from kerasrnnlint.frontends.source import imports
from kerasrnnlint.frontends.source.resolver import Resolver, argument
from kerasrnnlint.ir import (
    DEFAULT_LEARNING_RATES,
    FIXED_TANH_CLASSES,
    POSITIONAL_PARAMS,
    RECURRENT_CLASSES,
    WRAPPER_CLASSES,
    Arg,
    ArgValue,
    Context,
    Optimizer,
    Producer,
    ProducerKind,
)

# Statements (and expressions) the interpreter may evaluate per module, and call depth.
BUDGET = 20_000
MAX_DEPTH = 12
MAX_CALLS_PER_FUNCTION = 16
MAX_ALTERNATIVES = 8

OPTIMIZERS: frozenset[str] = frozenset(DEFAULT_LEARNING_RATES) | {"LossScaleOptimizer", "Muon"}
# ``compile(optimizer="adam")``: Keras's string identifiers.
OPTIMIZER_STRINGS: dict[str, str] = {name.lower(): name for name in DEFAULT_LEARNING_RATES}
# ``compile()`` without an optimizer uses this (Keras 2 and 3).
COMPILE_DEFAULT_OPTIMIZER = "RMSprop"
SCHEDULES: frozenset[str] = frozenset(
    {
        "ExponentialDecay",
        "InverseTimeDecay",
        "PolynomialDecay",
        "CosineDecay",
        "CosineDecayRestarts",
        "PiecewiseConstantDecay",
    }
)
MODEL_CLASSES: frozenset[str] = frozenset({"Model", "Functional"})
MERGE_CLASSES: frozenset[str] = frozenset(
    {"Add", "Concatenate", "Multiply", "Average", "Maximum", "Minimum", "Subtract", "Dot"}
)
# ``keras.layers.concatenate([a, b])`` and friends: the functional forms of the merge layers.
MERGE_FUNCTIONS: dict[str, str] = {name.lower(): name for name in MERGE_CLASSES}
# Layers that keep (timesteps, features).
SHAPE_KEEPING: frozenset[str] = (
    producers.NORMALIZING
    | frozenset(producers.ACTIVATION_LAYERS)
    | frozenset(
        {
            "Activation",
            "Dropout",
            "SpatialDropout1D",
            "GaussianNoise",
            "GaussianDropout",
            "AlphaDropout",
            "ActivityRegularization",
            "Masking",
            "Identity",
        }
    )
)
POOLING_1D: frozenset[str] = frozenset(
    {"MaxPooling1D", "MaxPool1D", "AveragePooling1D", "AvgPool1D"}
)
CONV_1D: frozenset[str] = frozenset(
    {"Conv1D", "Convolution1D", "SeparableConv1D", "SeparableConvolution1D", "DepthwiseConv1D"}
)
# Position of ``activation`` among the positional parameters of the affine layers (Keras 3).
ACTIVATION_POSITION: dict[str, int] = {
    "Dense": 1,
    "Conv1D": 7,
    "Conv2D": 7,
    "Conv3D": 7,
    "Convolution1D": 7,
    "Convolution2D": 7,
    "Convolution3D": 7,
    "SeparableConv1D": 7,
    "SeparableConv2D": 7,
    "DepthwiseConv1D": 6,
    "DepthwiseConv2D": 6,
}
# Riskiest first when one layer is fed in several ways.
KIND_RISK: dict[ProducerKind, int] = {
    "unbounded": 4,
    "unknown": 3,
    "bounded": 2,
    "normalizing": 1,
    "input": 0,
}


class Exhausted(Exception):
    """The module used up the interpreter's budget."""


# --------------------------------------------------------------------------------------------------
# Symbolic values
# --------------------------------------------------------------------------------------------------


class Sym:
    """A value the interpreter tracks."""


@dataclass(eq=False)
class Unknown(Sym):
    why: str = ""


@dataclass(eq=False)
class Scalar(Sym):
    arg: Arg


@dataclass(eq=False)
class Items(Sym):
    """A list or tuple literal (or a comprehension: its element, once)."""

    items: list[Sym]


@dataclass(eq=False)
class Alternatives(Sym):
    """A name bound differently on different paths (``if``/``else``, several returns)."""

    options: list[Sym]


@dataclass(eq=False)
class Frame:
    env: dict[str, Sym]
    parent: Frame | None
    returns: list[Sym] = field(default_factory=list)


@dataclass(eq=False)
class LayerObj(Sym):
    """A Keras layer constructor call; ``inner`` holds wrapped layers and cells."""

    cls: str
    node: cst.Call
    frame: Frame
    inner: list[LayerObj] = field(default_factory=list)
    # Its arguments' values in its frame, by (name, position), once asked (:meth:`layer_arg`).
    args: dict[tuple[str, int | None], Arg | None] = field(default_factory=dict)


@dataclass(eq=False)
class InputSource:
    node: cst.Call | None  # the ``Input(...)`` call, or the first layer's call (``input_shape=``)


@dataclass(eq=False)
class Application:
    """A layer applied to input tensors: where a recurrent layer learns what feeds it."""

    layer: LayerObj
    inputs: list[Sym]
    optimizers: list[Optimizer] = field(default_factory=list)


@dataclass(eq=False)
class Tensor(Sym):
    source: InputSource | Application | None  # None: a tensor from an operation not followed
    timesteps: int | None = None
    features: int | None = None


@dataclass(eq=False)
class ModelBase(Sym):
    optimizers: list[Optimizer | None] = field(default_factory=list)
    apps: list[Application] = field(default_factory=list)  # layers applied inside the model


@dataclass(eq=False)
class SequentialModel(ModelBase):
    layers: list[Sym] = field(default_factory=list)
    start: Tensor | None = None
    output: Sym | None = None


@dataclass(eq=False)
class FunctionalModel(ModelBase):
    inputs: Sym = field(default_factory=Unknown)
    outputs: Sym = field(default_factory=Unknown)


@dataclass(eq=False)
class ClassObj(Sym):
    node: cst.ClassDef
    frame: Frame
    methods: dict[str, cst.FunctionDef] = field(default_factory=dict)
    is_model: bool = False
    # ``class Trainer:`` (no base but ``object`` and plain local classes): not a Keras class, so
    # its ``build``/``compile``/``add`` methods are its own, run as written.
    plain: bool = False


@dataclass(eq=False)
class Instance(ModelBase):
    cls: ClassObj | None = None
    attrs: dict[str, Sym] = field(default_factory=dict)
    called: bool = False
    built: bool = False


@dataclass(eq=False)
class FunctionObj(Sym):
    node: cst.FunctionDef
    frame: Frame
    owner: ClassObj | None = None


@dataclass(eq=False)
class BoundMethod(Sym):
    function: FunctionObj
    instance: Instance


@dataclass(eq=False)
class OptimizerObj(Sym):
    optimizer: Optimizer


@dataclass(eq=False)
class ScheduleObj(Sym):
    initial: Arg
    cls: str


@dataclass(frozen=True)
class LayerRecord:
    """One recurrent layer call, as the walk constructed it: its class, its arguments resolved
    once (by parameter name, :func:`layer_args`), the wrappers around it (outermost first) and
    the training context its applications gave (None: never applied where the walk saw it).

    ``outer`` is the call of its outermost wrapper (``Bidirectional(LSTM(8))``), or the layer
    call itself when it is not wrapped: the node a ``Sequential([...])`` list holds."""

    call: cst.Call
    cls: str
    args: tuple[tuple[str, Arg], ...]
    open_kwargs: bool
    outer: cst.Call
    wrappers: tuple[str, ...]
    context: Context | None


# --------------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------------


def has_star_kwargs(call: cst.Call) -> bool:
    return any(arg.star for arg in call.args)


def expand(value: Sym) -> list[Sym]:
    """The options of a value (one, unless it is :class:`Alternatives`)."""
    return list(value.options) if isinstance(value, Alternatives) else [value]


def alternatives(values: Sequence[Sym]) -> Sym:
    options: list[Sym] = []
    for value in values:
        for option in expand(value):
            if not any(option is seen for seen in options):
                options.append(option)
    if not options:
        return Unknown("no value")
    if len(options) == 1:
        return options[0]
    return Alternatives(options[:MAX_ALTERNATIVES])


def integer(arg: Arg) -> int | None:
    value = arg.value
    if arg.known and isinstance(value, int) and not isinstance(value, bool):
        return value
    return None


def number(arg: Arg) -> float | None:
    value = arg.value
    if arg.known and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value) if not isinstance(value, int) or abs(value) < 2**1023 else None
    return None


def shape_dims(arg: Arg) -> tuple[int | None, int | None]:
    """(timesteps, features) of an input ``shape`` tuple without the batch dimension."""
    value = arg.value
    if not arg.known or not isinstance(value, tuple) or not value:
        return None, None
    dims = [v if isinstance(v, int) and not isinstance(v, bool) else None for v in value]
    if len(dims) == 1:
        return None, dims[0]
    return dims[0], dims[-1]


def canonical_activation(arg: Arg, default: str | None = "linear") -> tuple[str | None, bool]:
    """(canonical name, known) of an activation argument; absent arguments take ``default``."""
    if not arg.known:
        return None, False
    if arg.value is None:
        return "linear", True
    if isinstance(arg.value, str):
        name = activations.canonical(arg.value)
        return name, name is not None
    return None, False


# --------------------------------------------------------------------------------------------------
# The interpreter
# --------------------------------------------------------------------------------------------------


class Interpreter:
    def __init__(self, resolver: Resolver) -> None:
        self.resolver = resolver
        self.budget = BUDGET
        self.module_frame = Frame({}, None)
        self.apps_by_node: dict[int, list[Application]] = {}
        self.collectors: list[list[Application]] = []
        self.models: list[ModelBase] = []
        self.functions: list[FunctionObj] = []
        self.classes: list[ClassObj] = []
        self.calls_of: dict[int, int] = {}
        self.active: list[int] = []
        self.standalone: dict[int, Instance] = {}
        # The Keras class of each callee, and the resolved arguments of each recurrent layer
        # call: computed once, whether the walk or the layer search asks first.
        self.classes_of: dict[int, str | None] = {}
        self.resolved: dict[int, tuple[dict[str, Arg], bool]] = {}

    # -- the layer graph ---------------------------------------------------------------------------

    def class_of(self, call: cst.Call) -> str | None:
        """The Keras class ``call`` constructs (``"LSTM"``, ``"Sequential"``), or None."""
        key = id(call)
        if key not in self.classes_of:
            self.classes_of[key] = self.resolver.keras_class(call.func)
        return self.classes_of[key]

    def recurrent_calls(self) -> list[tuple[cst.Call, str]]:
        """The module's recurrent layer calls, in source order (the fixed-tanh CuDNN classes
        have no argument to check)."""
        found = []
        for call in self.resolver.index.calls:
            cls = self.class_of(call)
            if cls is not None and cls in RECURRENT_CLASSES and cls not in FIXED_TANH_CLASSES:
                found.append((call, cls))
        return found

    def layer_arguments(self, call: cst.Call, cls: str) -> tuple[dict[str, Arg], bool]:
        """The resolved arguments of a layer call (see :func:`layer_args`), once per call."""
        key = id(call)
        if key not in self.resolved:
            self.resolved[key] = layer_args(self.resolver, call, cls)
        return self.resolved[key]

    def wrapper_parents(self) -> dict[int, tuple[str, cst.Call]]:
        """For each call a wrapper wraps (its layer or cell arguments, through lists and
        single-assignment names), that wrapper's class and call; the first wrapper wins."""
        parents: dict[int, tuple[str, cst.Call]] = {}
        for call in self.resolver.index.calls:
            wrapper = self.class_of(call)
            if wrapper not in WRAPPER_CLASSES:
                continue
            assert wrapper is not None
            for keyword, position in WRAPPED[wrapper]:
                expr = argument(call, keyword, position)
                if expr is None:
                    continue
                for inner in wrapped_calls(self.resolver, expr):
                    if inner is not call:
                        parents.setdefault(id(inner), (wrapper, call))
        return parents

    def records(self, recurrent: list[tuple[cst.Call, str]]) -> list[LayerRecord]:
        """The records of the recurrent layer calls (:meth:`recurrent_calls`), with what the
        walk learnt about them (call after :meth:`run`)."""
        parents = self.wrapper_parents() if recurrent else {}
        found = []
        for call, cls in recurrent:
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
            args, open_kwargs = self.layer_arguments(call, cls)
            context = self.context(outer)
            wrapped = tuple(reversed(wrappers))
            resolved = tuple(args.items())
            found.append(LayerRecord(call, cls, resolved, open_kwargs, outer, wrapped, context))
        return found

    # -- running ----------------------------------------------------------------------------------

    def run(self, module: cst.Module) -> None:
        self.exec_block(module.body, self.module_frame)
        self.run_uncalled()
        self.attach_optimizers()

    def tick(self) -> None:
        self.budget -= 1
        if self.budget < 0:
            raise Exhausted

    def run_uncalled(self) -> None:
        """Run what the module defines but never runs: functions, methods, instances' ``call``."""
        for function in list(self.functions):
            if self.calls_of.get(id(function.node), 0) == 0 and function.owner is None:
                self.invoke(function, [], {}, None)
        for cls in list(self.classes):
            instance = self.standalone_instance(cls)
            for name, node in cls.methods.items():
                if name == "__init__" or self.calls_of.get(id(node), 0):
                    continue
                if name == "call":
                    self.call_instance(instance, [self.model_input(cls)], {})
                else:
                    self.invoke(FunctionObj(node, cls.frame, cls), [], {}, instance)
        for model in list(self.models):
            if isinstance(model, Instance) and not model.called and model.cls is not None:
                self.call_instance(model, [self.model_input(model.cls)], {})

    def model_input(self, cls: ClassObj) -> Sym:
        return Tensor(InputSource(None)) if cls.is_model else Tensor(None)

    def standalone_instance(self, cls: ClassObj) -> Instance:
        key = id(cls.node)
        if key not in self.standalone:
            self.standalone[key] = self.instantiate(cls, [], {})
        return self.standalone[key]

    # -- statements -------------------------------------------------------------------------------

    def exec_block(self, body: Sequence[cst.CSTNode], frame: Frame) -> None:
        for statement in body:
            self.exec_statement(statement, frame)

    def exec_suite(self, suite: cst.BaseSuite, frame: Frame) -> None:
        if isinstance(suite, cst.IndentedBlock | cst.SimpleStatementSuite):
            self.exec_block(suite.body, frame)

    def exec_statement(self, node: cst.CSTNode, frame: Frame) -> None:
        self.tick()
        if isinstance(node, cst.SimpleStatementLine):
            self.exec_block(node.body, frame)
        elif isinstance(node, cst.Assign):
            value = self.eval(node.value, frame)
            for target in node.targets:
                self.assign(target.target, value, frame)
        elif isinstance(node, cst.AnnAssign):
            if node.value is not None:
                self.assign(node.target, self.eval(node.value, frame), frame)
        elif isinstance(node, cst.AugAssign):
            self.eval(node.value, frame)
            self.assign(node.target, Unknown("augmented assignment"), frame)
        elif isinstance(node, cst.Expr):
            self.eval(node.value, frame)
        elif isinstance(node, cst.Return):
            value = self.eval(node.value, frame) if node.value is not None else Scalar(Arg(None))
            frame.returns.append(value)
        elif isinstance(node, cst.If):
            self.exec_if(node, frame)
        elif isinstance(node, cst.Match):
            self.exec_match(node, frame)
        elif isinstance(node, cst.For):
            self.exec_for(node, frame)
        elif isinstance(node, cst.While):
            for _ in range(2):
                self.exec_suite(node.body, frame)
        elif isinstance(node, cst.With):
            for item in node.items:
                self.eval(item.item, frame)
                if item.asname is not None:
                    self.assign(item.asname.name, Unknown("`with ... as`"), frame)
            self.exec_suite(node.body, frame)
        elif isinstance(node, cst.Try | cst.TryStar):
            self.exec_suite(node.body, frame)
            if node.orelse is not None:
                self.exec_suite(node.orelse.body, frame)
            if node.finalbody is not None:
                self.exec_suite(node.finalbody.body, frame)
        elif isinstance(node, cst.FunctionDef):
            function = FunctionObj(node, frame)
            self.functions.append(function)
            frame.env[node.name.value] = function
        elif isinstance(node, cst.ClassDef):
            self.define_class(node, frame)

    def exec_if(self, node: cst.If, frame: Frame) -> None:
        self.eval(node.test, frame)
        before = dict(frame.env)
        frame.env = dict(before)
        self.exec_suite(node.body, frame)
        after_body = frame.env
        frame.env = dict(before)
        if isinstance(node.orelse, cst.If):
            self.exec_if(node.orelse, frame)
        elif isinstance(node.orelse, cst.Else):
            self.exec_suite(node.orelse.body, frame)
        after_else = frame.env
        merged: dict[str, Sym] = {}
        for name in after_body.keys() | after_else.keys():
            a = after_body.get(name, before.get(name))
            b = after_else.get(name, before.get(name))
            if a is None or b is None:
                merged[name] = a or b or Unknown()
            else:
                merged[name] = a if a is b else alternatives([a, b])
        frame.env = merged

    def exec_match(self, node: cst.Match, frame: Frame) -> None:
        """Every ``case`` is followed, like the branches of an ``if``; without a wildcard case the
        statement may also do nothing."""
        self.eval(node.subject, frame)
        before = dict(frame.env)
        outcomes: list[dict[str, Sym]] = []
        for case in node.cases:
            frame.env = dict(before)
            self.exec_suite(case.body, frame)
            outcomes.append(frame.env)
        if not any(
            isinstance(c.pattern, cst.MatchAs) and c.pattern.pattern is None for c in node.cases
        ):
            outcomes.append(before)
        merged: dict[str, Sym] = {}
        for name in set().union(*outcomes):
            options = [env.get(name, before.get(name)) for env in outcomes]
            known = [o for o in options if o is not None]
            merged[name] = alternatives(known) if known else Unknown()
        frame.env = merged

    def exec_for(self, node: cst.For, frame: Frame) -> None:
        iterable = self.eval(node.iter, frame)
        if isinstance(iterable, Items) and iterable.items:
            for item in iterable.items:
                self.assign(node.target, item, frame)
                self.exec_suite(node.body, frame)
        else:
            for _ in range(2):
                self.assign(node.target, Unknown("loop variable"), frame)
                self.exec_suite(node.body, frame)
        if node.orelse is not None:
            self.exec_suite(node.orelse.body, frame)

    def define_class(self, node: cst.ClassDef, frame: Frame) -> None:
        cls = ClassObj(node, frame, plain=True)
        for base in node.bases:
            keras = self.resolver.keras_class(base.value)
            if keras in ("Model", "Sequential", "Functional"):
                cls.is_model = True
            local = self.eval(base.value, frame)
            is_object = isinstance(base.value, cst.Name) and base.value.value == "object"
            cls.plain = cls.plain and (
                (isinstance(local, ClassObj) and local.plain) or (is_object and keras is None)
            )
            if isinstance(local, ClassObj):
                cls.is_model = cls.is_model or local.is_model
                for name, method in local.methods.items():
                    cls.methods.setdefault(name, method)
        own: dict[str, cst.FunctionDef] = {}
        if isinstance(node.body, cst.IndentedBlock):
            for statement in node.body.body:
                if isinstance(statement, cst.FunctionDef):
                    own[statement.name.value] = statement
        cls.methods.update(own)
        self.classes.append(cls)
        frame.env[node.name.value] = cls

    def assign(self, target: cst.BaseExpression, value: Sym, frame: Frame) -> None:
        if isinstance(target, cst.Name):
            frame.env[target.value] = value
        elif isinstance(target, cst.Attribute):
            for receiver in expand(self.eval(target.value, frame)):
                if isinstance(receiver, Instance):
                    receiver.attrs[target.attr.value] = value
        elif isinstance(target, cst.Tuple | cst.List):
            elements = [e.value for e in target.elements]
            if isinstance(value, Items) and len(value.items) == len(elements):
                for element, item in zip(elements, value.items, strict=True):
                    self.assign(element, item, frame)
            else:
                # ``out, h, c = LSTM(..., return_state=True)(x)``: every part comes from the layer.
                part = value if isinstance(value, Tensor) else Unknown("unpacked value")
                for element in elements:
                    self.assign(element, part, frame)
        elif isinstance(target, cst.StarredElement):
            self.assign(target.value, Unknown("starred"), frame)

    # -- expressions ------------------------------------------------------------------------------

    def lookup(self, name: str, frame: Frame) -> Sym | None:
        current: Frame | None = frame
        while current is not None:
            if name in current.env:
                return current.env[name]
            current = current.parent
        return None

    def eval(self, node: cst.BaseExpression, frame: Frame) -> Sym:
        self.tick()
        if isinstance(node, cst.Name):
            found = self.lookup(node.value, frame)
            return found if found is not None else Scalar(self.resolver.value(node))
        if isinstance(node, cst.Call):
            return self.or_reference(self.eval_call(node, frame), node)
        if isinstance(node, cst.Attribute):
            return self.or_reference(
                self.attribute(self.eval(node.value, frame), node.attr.value), node
            )
        if isinstance(node, cst.List | cst.Tuple):
            items: list[Sym] = []
            for element in node.elements:
                if isinstance(element, cst.StarredElement):
                    inner = self.eval(element.value, frame)
                    if not isinstance(inner, Items):
                        return Unknown("unpacking")
                    items.extend(inner.items)
                else:
                    items.append(self.eval(element.value, frame))
            return Items(items)
        if isinstance(node, cst.ListComp | cst.GeneratorExp):
            return Items([self.eval(node.elt, frame)])
        if isinstance(node, cst.Subscript):
            return self.subscript(node, frame)
        if isinstance(node, cst.IfExp):
            self.eval(node.test, frame)
            return alternatives([self.eval(node.body, frame), self.eval(node.orelse, frame)])
        if isinstance(node, cst.BinaryOperation):
            return self.binary(node, frame)
        if isinstance(node, cst.NamedExpr):
            value = self.eval(node.value, frame)
            self.assign(node.target, value, frame)
            return value
        if isinstance(node, cst.Await):
            return self.eval(node.expression, frame)
        return Scalar(self.resolver.value(node))

    def or_reference(self, value: Sym, node: cst.Attribute | cst.Call) -> Sym:
        """An attribute or call the interpreter does not follow may still be a value the resolver
        sees: an activation function by reference (``keras.activations.relu``, ``tf.nn.relu``,
        ``keras.activations.get("relu")``)."""
        if isinstance(value, Unknown):
            arg = self.resolver.value(node)
            if arg.known:
                return Scalar(arg)
        return value

    def binary(self, node: cst.BinaryOperation, frame: Frame) -> Sym:
        left = self.eval(node.left, frame)
        right = self.eval(node.right, frame)
        if isinstance(left, Scalar) and isinstance(right, Scalar):
            if left.arg.known and right.arg.known:
                from kerasrnnlint.frontends.source import values

                result = values.arithmetic(node.operator, left.arg.value, right.arg.value)
                if result is not values.NOT_COMPUTED:
                    return Scalar(Arg(result))  # type: ignore[arg-type]
            return Scalar(Arg.unknown("expression"))
        if (
            isinstance(left, Items)
            and isinstance(right, Items)
            and isinstance(node.operator, cst.Add)
        ):
            return Items([*left.items, *right.items])
        if isinstance(left, Tensor | Alternatives) or isinstance(right, Tensor | Alternatives):
            return Tensor(None)  # ``x + skip``: an operation the interpreter does not follow
        return Unknown("expression")

    def subscript(self, node: cst.Subscript, frame: Frame) -> Sym:
        base = self.eval(node.value, frame)
        if isinstance(base, Items) and len(node.slice) == 1:
            index = node.slice[0].slice
            if isinstance(index, cst.Index):
                position = integer(self.scalar(index.value, frame))
                if position is not None and -len(base.items) <= position < len(base.items):
                    return base.items[position]
        if isinstance(base, Tensor):
            return Tensor(None)
        if isinstance(base, Scalar):
            return Scalar(self.resolver.value(node))
        return Unknown("subscript")

    def scalar(self, node: cst.BaseExpression, frame: Frame) -> Arg:
        """The plain value of an expression (a number, string, tuple of them), or unknown."""
        return self.to_arg(self.eval(node, frame))

    def to_arg(self, value: Sym) -> Arg:
        if isinstance(value, Scalar):
            return value.arg
        if isinstance(value, Items):
            parts = [self.to_arg(item) for item in value.items]
            if all(part.known for part in parts):
                return Arg(tuple(part.value for part in parts))
        return Arg.unknown("not a plain value")

    def attribute(self, receiver: Sym, name: str) -> Sym:
        if isinstance(receiver, Instance):
            if name in receiver.attrs:
                return receiver.attrs[name]
            if receiver.cls is not None and name in receiver.cls.methods:
                function = FunctionObj(receiver.cls.methods[name], receiver.cls.frame, receiver.cls)
                return BoundMethod(function, receiver)
        if isinstance(receiver, Alternatives):
            return alternatives([self.attribute(option, name) for option in receiver.options])
        return Unknown(f"attribute `{name}`")

    # -- calls ------------------------------------------------------------------------------------

    def eval_call(self, node: cst.Call, frame: Frame) -> Sym:
        func = node.func
        keras = self.class_of(node)
        if keras is not None and not isinstance(self.local_callee(func, frame), FunctionObj):
            return self.construct(keras, node, frame)
        merge = self.merge_function(func)
        if merge is not None:
            layer = LayerObj(merge, node, frame)
            return self.apply(layer, self.call_input(node, frame))
        if isinstance(func, cst.Attribute):
            receiver = self.eval(func.value, frame)
            handled = self.method(receiver, func.attr.value, node, frame)
            if handled is not None:
                return handled
            callee = self.attribute(receiver, func.attr.value)
        else:
            callee = self.eval(func, frame)
        return self.call(callee, node, frame)

    def local_callee(self, func: cst.BaseExpression, frame: Frame) -> Sym | None:
        return self.lookup(func.value, frame) if isinstance(func, cst.Name) else None

    def merge_function(self, func: cst.BaseExpression) -> str | None:
        qualified = self.resolver.qualified_name(func)
        if not qualified:
            return None
        name = imports.normalize(qualified)
        module, _, last = name.rpartition(".")
        if module == "keras.layers" and last in MERGE_FUNCTIONS:
            return MERGE_FUNCTIONS[last]
        return None

    def call_args(self, node: cst.Call, frame: Frame) -> tuple[list[Sym], dict[str, Sym]]:
        positional: list[Sym] = []
        keywords: dict[str, Sym] = {}
        for arg in node.args:
            value = self.eval(arg.value, frame)
            if arg.keyword is not None:
                keywords[arg.keyword.value] = value
            elif arg.star == "*" and isinstance(value, Items):
                positional.extend(value.items)
            elif arg.star == "*":
                positional.append(Unknown("unpacked `*` argument"))
            elif not arg.star:
                positional.append(value)
        return positional, keywords

    def call_input(self, node: cst.Call, frame: Frame) -> Sym:
        expr = argument(node, "inputs", 0)
        return self.eval(expr, frame) if expr is not None else Unknown("no input")

    def call(self, callee: Sym, node: cst.Call, frame: Frame) -> Sym:
        if isinstance(callee, Alternatives):
            return alternatives([self.call(option, node, frame) for option in callee.options])
        if isinstance(callee, LayerObj | SequentialModel | FunctionalModel):
            return self.apply_any(callee, self.call_input(node, frame))
        positional, keywords = self.call_args(node, frame)
        if isinstance(callee, Instance):
            return self.call_instance(callee, positional, keywords)
        if isinstance(callee, ClassObj):
            return self.instantiate(callee, positional, keywords)
        if isinstance(callee, FunctionObj):
            return self.invoke(callee, positional, keywords, None)
        if isinstance(callee, BoundMethod):
            return self.invoke(callee.function, positional, keywords, callee.instance)
        if any(isinstance(v, Tensor) for v in [*positional, *keywords.values()]):
            return Tensor(None)  # ``tf.expand_dims(x, -1)``, ``ops.concatenate(...)``
        return Unknown("call")

    def apply_any(self, callee: Sym, inputs: Sym) -> Sym:
        """Apply a layer or a model to a tensor (or to a list of tensors)."""
        if isinstance(callee, LayerObj):
            return self.apply(callee, inputs)
        if isinstance(callee, SequentialModel):
            return self.chain(callee, inputs, record=False)
        if isinstance(callee, FunctionalModel):
            for collector in self.collectors:
                collector.extend(self.functional_apps(callee))
            return callee.outputs
        if isinstance(callee, Instance):
            return self.call_instance(callee, [inputs], {})
        if isinstance(callee, Alternatives):
            return alternatives([self.apply_any(option, inputs) for option in callee.options])
        return Tensor(None)

    def method(self, receiver: Sym, name: str, node: cst.Call, frame: Frame) -> Sym | None:
        """``model.add``, ``model.compile``, ``model.build``, ``layers.append``; None when not one
        of these."""
        if isinstance(receiver, Items) and name in ("append", "extend", "insert"):
            expr = argument(node, "object", 1 if name == "insert" else 0)
            value = self.eval(expr, frame) if expr is not None else Unknown()
            if name == "extend":
                receiver.items.extend(value.items if isinstance(value, Items) else [Unknown()])
            else:
                receiver.items.append(value)
            return Scalar(Arg(None))
        options = [
            option
            for option in expand(receiver)
            if isinstance(option, ModelBase)
            and not (isinstance(option, Instance) and option.cls is not None and option.cls.plain)
        ]
        if not options:
            return None
        if name == "add" and any(isinstance(o, SequentialModel) for o in options):
            expr = argument(node, "layer", 0)
            layer = self.eval(expr, frame) if expr is not None else Unknown("nothing added")
            for option in options:
                if isinstance(option, SequentialModel):
                    self.add(option, layer)
            return Scalar(Arg(None))
        if name == "compile":
            optimizer = self.compile_optimizer(node, frame)
            for option in options:
                option.optimizers.extend(optimizer)
            return Scalar(Arg(None))
        if name == "build":
            expr = argument(node, "input_shape", 0)
            shape = self.scalar(expr, frame) if expr is not None else Arg.unknown("no shape")
            dims = shape.value
            if shape.known and isinstance(dims, tuple) and len(dims) >= 2:
                timesteps, features = shape_dims(Arg(dims[1:]))
            else:
                timesteps, features = None, None
            start = Tensor(InputSource(node), timesteps, features)
            for option in options:
                if isinstance(option, SequentialModel):
                    option.start = start
                    self.chain(option, start, record=True)
                elif isinstance(option, Instance):
                    self.build_instance(option, start)
                    self.call_instance(option, [start], {})
            return Scalar(Arg(None))
        return None

    # -- constructing Keras objects ----------------------------------------------------------------

    def construct(self, cls: str, node: cst.Call, frame: Frame) -> Sym:
        if cls == "Sequential":
            return self.sequential(node, frame)
        if cls in MODEL_CLASSES:
            return self.functional(node, frame)
        if cls == "Input":
            return self.input_tensor(node, frame)
        if cls in OPTIMIZERS:
            return self.optimizer(cls, node, frame)
        if cls in SCHEDULES:
            return self.schedule(cls, node, frame)
        if cls in RECURRENT_CLASSES and cls not in FIXED_TANH_CLASSES:
            self.layer_arguments(node, cls)  # resolved once, here, for the layer's record
        layer = LayerObj(cls, node, frame)
        for keyword, position in WRAPPED.get(cls, ()):
            expr = argument(node, keyword, position)
            if expr is None:
                continue
            for value in expand(self.eval(expr, frame)):
                parts = value.items if isinstance(value, Items) else [value]
                for part in parts:
                    for option in expand(part):
                        if isinstance(option, LayerObj):
                            layer.inner.append(option)
        return layer

    def input_tensor(self, node: cst.Call, frame: Frame) -> Tensor:
        for keyword, position, drop in (
            ("shape", 0, 0),
            ("batch_shape", None, 1),
            ("batch_input_shape", None, 1),
        ):
            expr = argument(node, keyword, position)
            if expr is None:
                continue
            arg = self.scalar(expr, frame)
            if drop and arg.known and isinstance(arg.value, tuple):
                arg = Arg(arg.value[drop:])
            return Tensor(InputSource(node), *shape_dims(arg))
        return Tensor(InputSource(node))

    def sequential(self, node: cst.Call, frame: Frame) -> SequentialModel:
        model = SequentialModel()
        self.models.append(model)
        expr = argument(node, "layers", 0)
        if expr is not None:
            value = self.eval(expr, frame)
            for item in value.items if isinstance(value, Items) else [value]:
                self.add(model, item)
        return model

    def functional(self, node: cst.Call, frame: Frame) -> Sym:
        inputs = argument(node, "inputs", 0)
        outputs = argument(node, "outputs", 1)
        if inputs is None and outputs is None:
            return Unknown("model without inputs/outputs")
        model = FunctionalModel(
            inputs=self.eval(inputs, frame) if inputs is not None else Unknown(),
            outputs=self.eval(outputs, frame) if outputs is not None else Unknown(),
        )
        self.models.append(model)
        return model

    def layer_arg(self, layer: LayerObj, name: str, position: int | None = None) -> Arg | None:
        """The value of a layer's argument; None when absent (and no ``**`` could set it).
        Evaluated once per layer object (a call in one frame): shapes, producers and contexts
        ask again every time the layer is applied."""
        key = (name, position)
        if key not in layer.args:
            layer.args[key] = self.evaluate_layer_arg(layer, name, position)
        return layer.args[key]

    def evaluate_layer_arg(self, layer: LayerObj, name: str, position: int | None) -> Arg | None:
        expr = argument(layer.node, name, position)
        if expr is not None:
            return self.scalar(expr, layer.frame)
        for arg in layer.node.args:
            if arg.star == "**":
                view = self.resolver.dict_items(arg.value)
                item = view.get(name) if view is not None else None
                if item is not None:
                    return self.resolver.item_value(item)
                if view is None or view.open:
                    return Arg.unknown("may be set by `**`")
        return None

    # -- sequential models ------------------------------------------------------------------------

    def sequential_start(self, layer: LayerObj) -> Tensor | None:
        """The input a first layer declares: ``input_shape=``, ``batch_input_shape=``,
        ``input_dim=``/``input_length=`` (Keras 2), or an ``InputLayer``."""
        shape = self.layer_arg(layer, "input_shape")
        if layer.cls == "InputLayer":
            shape = shape or self.layer_arg(layer, "shape", 0)
        if shape is not None:
            return Tensor(InputSource(layer.node), *shape_dims(shape))
        batch = self.layer_arg(layer, "batch_input_shape") or self.layer_arg(layer, "batch_shape")
        if batch is not None and batch.known and isinstance(batch.value, tuple):
            return Tensor(InputSource(layer.node), *shape_dims(Arg(batch.value[1:])))
        dim = self.layer_arg(layer, "input_dim")
        length = self.layer_arg(layer, "input_length")
        if dim is not None or length is not None or layer.cls == "InputLayer":
            return Tensor(
                InputSource(layer.node),
                integer(length) if length is not None else None,
                integer(dim) if dim is not None else None,
            )
        return None

    def add(self, model: SequentialModel, item: Sym) -> None:
        """``model.add(item)`` (and each item of ``Sequential([...])``): apply it to the output."""
        for option in expand(item):
            if not model.layers and model.start is None:
                if isinstance(option, Tensor):
                    model.start = model.output = option
                    continue
                if isinstance(option, LayerObj):
                    model.start = self.sequential_start(option)
                    if option.cls == "InputLayer":
                        model.output = model.start
                        continue
            if model.start is None:
                model.start = Tensor(InputSource(None))
            if model.output is None:
                model.output = model.start
            model.layers.append(option)
            collected: list[Application] = []
            self.collectors.append(collected)
            try:
                model.output = self.apply_any(option, model.output)
            finally:
                self.collectors.pop()
            model.apps.extend(collected)
            for collector in self.collectors:
                collector.extend(collected)

    def chain(self, model: SequentialModel, start: Sym, record: bool) -> Sym:
        """Apply the model's layers in order from ``start``; returns the output."""
        collected: list[Application] = []
        self.collectors.append(collected)
        try:
            current = start
            for layer in model.layers:
                current = self.apply_any(layer, current)
        finally:
            self.collectors.pop()
        for collector in self.collectors:
            collector.extend(collected)
        if record:
            model.apps = collected
            model.output = current
        else:
            model.apps.extend(collected)
        return current

    def functional_apps(self, model: FunctionalModel) -> list[Application]:
        """Every layer application between the model's outputs and its inputs."""
        found: list[Application] = []
        seen: set[int] = set()
        stack = list(expand(model.outputs))
        while stack:
            value = stack.pop()
            if id(value) in seen:
                continue
            seen.add(id(value))
            if isinstance(value, Items):
                stack.extend(value.items)
            elif isinstance(value, Alternatives):
                stack.extend(value.options)
            elif isinstance(value, Tensor) and isinstance(value.source, Application):
                found.append(value.source)
                stack.extend(value.source.inputs)
        return found

    # -- layers applied to tensors ----------------------------------------------------------------

    def apply(self, layer: LayerObj, inputs: Sym) -> Tensor:
        parts = inputs.items if isinstance(inputs, Items) else [inputs]
        app = Application(layer, list(parts))
        for node in self.nodes_of(layer):
            self.apps_by_node.setdefault(id(node), []).append(app)
        for collector in self.collectors:
            collector.append(app)
        timesteps, features = self.propagate(layer, parts[0] if parts else Unknown())
        return Tensor(app, timesteps, features)

    def nodes_of(self, layer: LayerObj) -> Iterator[cst.Call]:
        yield layer.node
        for inner in layer.inner:
            yield from self.nodes_of(inner)

    # -- subclassed models, functions -------------------------------------------------------------

    def instantiate(
        self, cls: ClassObj, positional: list[Sym], keywords: dict[str, Sym]
    ) -> Instance:
        instance = Instance(cls=cls)
        self.models.append(instance)
        init = cls.methods.get("__init__")
        if init is not None:
            self.invoke(FunctionObj(init, cls.frame, cls), positional, keywords, instance)
        return instance

    def build_instance(self, instance: Instance, shape: Sym) -> None:
        """Run a subclass's own ``build`` once, as Keras does before the first call."""
        if instance.built or instance.cls is None:
            return
        instance.built = True
        build = instance.cls.methods.get("build")
        if build is not None:
            self.invoke(FunctionObj(build, instance.cls.frame, instance.cls), [shape], {}, instance)

    def call_instance(
        self, instance: Instance, positional: list[Sym], keywords: dict[str, Sym]
    ) -> Sym:
        if instance.cls is None or "call" not in instance.cls.methods:
            return Tensor(None)
        self.build_instance(instance, Unknown("input shape"))
        instance.called = True
        collected: list[Application] = []
        self.collectors.append(collected)
        try:
            function = FunctionObj(instance.cls.methods["call"], instance.cls.frame, instance.cls)
            result = self.invoke(function, positional, keywords, instance)
        finally:
            self.collectors.pop()
        instance.apps.extend(collected)
        for collector in self.collectors:
            collector.extend(collected)
        return result

    def invoke(
        self,
        function: FunctionObj,
        positional: list[Sym],
        keywords: dict[str, Sym],
        instance: Instance | None,
    ) -> Sym:
        key = id(function.node)
        count = self.calls_of.get(key, 0)
        if count >= MAX_CALLS_PER_FUNCTION or len(self.active) >= MAX_DEPTH or key in self.active:
            return Unknown("call not followed")
        self.calls_of[key] = count + 1
        # Methods see the module (and enclosing functions), not the class body.
        frame = Frame({}, function.frame)
        params = function.node.params
        ordered = [*params.posonly_params, *params.params]
        if instance is not None and ordered:
            frame.env[ordered[0].name.value] = instance
            ordered = ordered[1:]
        given = list(positional)
        for index, param in enumerate([*ordered, *params.kwonly_params]):
            name = param.name.value
            if given and index < len(ordered):
                frame.env[name] = given.pop(0)
            elif name in keywords:
                frame.env[name] = keywords[name]
            elif param.default is not None:
                frame.env[name] = self.eval(param.default, function.frame)
            else:
                frame.env[name] = Unknown(f"parameter `{name}`")
        if isinstance(params.star_arg, cst.Param):
            # ``def chain(*layers)``: the extra positional arguments, in order.
            frame.env[params.star_arg.name.value] = Items(given)
        if isinstance(params.star_kwarg, cst.Param):
            frame.env[params.star_kwarg.name.value] = Unknown("`**kwargs`")
        self.active.append(key)
        try:
            self.exec_suite(function.node.body, frame)
        finally:
            self.active.pop()
        return alternatives(frame.returns) if frame.returns else Scalar(Arg(None))

    # -- optimizers -------------------------------------------------------------------------------

    def compile_optimizer(self, node: cst.Call, frame: Frame) -> list[Optimizer | None]:
        expr = argument(node, "optimizer", 0)
        if expr is None:
            if has_star_kwargs(node):
                return [None]
            return [
                Optimizer(
                    COMPILE_DEFAULT_OPTIMIZER,
                    DEFAULT_LEARNING_RATES[COMPILE_DEFAULT_OPTIMIZER],
                    origin="default of compile()",
                    location=self.resolver.location(node),
                )
            ]
        found: list[Optimizer | None] = []
        for option in expand(self.eval(expr, frame)):
            found.append(self.as_optimizer(option, expr))
        return found

    def as_optimizer(self, value: Sym, expr: cst.BaseExpression) -> Optimizer | None:
        if isinstance(value, OptimizerObj):
            return value.optimizer
        if isinstance(value, Scalar) and value.arg.known and isinstance(value.arg.value, str):
            cls = OPTIMIZER_STRINGS.get(value.arg.value.lower())
            if cls is not None:
                return Optimizer(
                    cls,
                    DEFAULT_LEARNING_RATES[cls],
                    origin=f"{value.arg.value!r} (Keras default learning rate)",
                    location=self.resolver.location(expr),
                )
        return None

    def optimizer(self, cls: str, node: cst.Call, frame: Frame) -> Sym:
        if cls == "LossScaleOptimizer":
            expr = argument(node, "inner_optimizer", 0)
            inner = self.eval(expr, frame) if expr is not None else Unknown()
            return inner if isinstance(inner, OptimizerObj) else Unknown("inner optimizer")
        expr = argument(node, "learning_rate", 0) or argument(node, "lr")
        learning_rate: float | None
        if expr is None:
            learning_rate = DEFAULT_LEARNING_RATES.get(cls)
            origin = "Keras default learning rate"
        else:
            value = self.eval(expr, frame)
            if isinstance(value, ScheduleObj):
                learning_rate = number(value.initial)
                origin = f"initial rate of {value.cls}"
            else:
                learning_rate = number(self.to_arg(value))
                origin = "literal" if learning_rate is not None else "learning rate not visible"
        clip: dict[str, float | None] = {}
        for name in ("clipnorm", "clipvalue", "global_clipnorm"):
            clip_expr = argument(node, name)
            clip[name] = number(self.scalar(clip_expr, frame)) if clip_expr is not None else None
        return OptimizerObj(
            Optimizer(
                cls,
                learning_rate,
                clipnorm=clip["clipnorm"],
                clipvalue=clip["clipvalue"],
                global_clipnorm=clip["global_clipnorm"],
                origin=origin,
                location=self.resolver.location(node),
            )
        )

    def schedule(self, cls: str, node: cst.Call, frame: Frame) -> ScheduleObj:
        if cls == "PiecewiseConstantDecay":
            expr = argument(node, "values", 1)
            values = self.scalar(expr, frame) if expr is not None else Arg.unknown("no values")
            if values.known and isinstance(values.value, tuple) and values.value:
                first = values.value[0]
                if isinstance(first, int | float) and not isinstance(first, bool):
                    return ScheduleObj(Arg(first), cls)
            return ScheduleObj(Arg.unknown("values not visible"), cls)
        expr = argument(node, "initial_learning_rate", 0)
        initial = self.scalar(expr, frame) if expr is not None else Arg.unknown("not given")
        return ScheduleObj(initial, cls)

    def attach_optimizers(self) -> None:
        for model in self.models:
            known = [o for o in model.optimizers if o is not None]
            if not known:
                continue
            apps = model.apps
            if isinstance(model, FunctionalModel):
                apps = self.functional_apps(model)
            for app in apps:
                app.optimizers.extend(known)

    # -- shapes -----------------------------------------------------------------------------------

    def propagate(self, layer: LayerObj, inputs: Sym) -> tuple[int | None, int | None]:
        """(timesteps, features) of the layer's output, when the layer and its input tell."""
        shapes = [o for o in expand(inputs) if isinstance(o, Tensor)]
        if not shapes:
            return None, None
        timesteps = (
            shapes[0].timesteps if all(s.timesteps == shapes[0].timesteps for s in shapes) else None
        )
        features = (
            shapes[0].features if all(s.features == shapes[0].features for s in shapes) else None
        )
        target = layer
        if layer.cls == "TimeDistributed" and layer.inner:
            target = layer.inner[0]
            if target.cls == "Dense":
                units = self.layer_arg(target, "units", 0)
                return timesteps, integer(units) if units is not None else None
            return (timesteps, None) if target.cls not in SHAPE_KEEPING else (timesteps, features)
        cls = target.cls
        if cls in SHAPE_KEEPING:
            return timesteps, features
        if cls == "Dense":
            units = self.layer_arg(target, "units", 0)
            return timesteps, integer(units) if units is not None else None
        if cls in CONV_1D:
            return self.conv_shape(target, timesteps, features)
        if cls in POOLING_1D:
            return self.pool_shape(target, timesteps), features
        if cls == "RepeatVector":
            n = self.layer_arg(target, "n", 0)
            return (integer(n) if n is not None else None), features
        if cls == "Embedding":
            return self.embedding_shape(target, timesteps, features)
        if cls in ("ZeroPadding1D", "Cropping1D"):
            return self.pad_shape(target, timesteps), features
        if cls == "Reshape":
            shape = self.layer_arg(target, "target_shape", 0)
            value = shape.value if shape is not None and shape.known else None
            if isinstance(value, tuple) and len(value) == 2:
                return shape_dims(Arg(tuple(v if v != -1 else None for v in value)))
            return None, None
        if cls in RECURRENT_CLASSES or cls in ("Bidirectional", "RNN"):
            return self.recurrent_shape(target, timesteps)
        return None, None

    def conv_shape(
        self, layer: LayerObj, timesteps: int | None, features: int | None
    ) -> tuple[int | None, int | None]:
        depthwise = layer.cls == "DepthwiseConv1D"
        offset = -1 if depthwise else 0
        if depthwise:
            multiplier = self.layer_arg(layer, "depth_multiplier", 3)
            m = 1 if multiplier is None else integer(multiplier)
            out_features = features * m if features is not None and m is not None else None
        else:
            filters = self.layer_arg(layer, "filters", 0)
            out_features = integer(filters) if filters is not None else None
        fmt = self.layer_arg(layer, "data_format", 4 + offset)
        if fmt is not None and fmt.value != "channels_last":
            return None, None
        kernel = self.layer_arg(layer, "kernel_size", 1 + offset)
        strides = self.layer_arg(layer, "strides", 2 + offset)
        padding = self.layer_arg(layer, "padding", 3 + offset)
        dilation = self.layer_arg(layer, "dilation_rate", 5 + offset)
        k = first_int(kernel)
        s = 1 if strides is None else first_int(strides)
        d = 1 if dilation is None else first_int(dilation)
        pad = "valid" if padding is None else (padding.value if padding.known else None)
        if timesteps is None or k is None or s is None or d is None or pad is None or s < 1:
            return None, out_features
        if pad in ("same", "causal"):
            return -(-timesteps // s), out_features
        span = d * (k - 1) + 1
        return (max(0, (timesteps - span) // s + 1)), out_features

    def embedding_shape(
        self, layer: LayerObj, timesteps: int | None, features: int | None
    ) -> tuple[int | None, int | None]:
        """An Embedding maps token ids ``(T,)`` to ``(T, output_dim)``. Its input shape ``(T,)``
        reads as features here (a one-element shape), hence T is that, or Keras 2's
        ``input_length``."""
        dim = self.layer_arg(layer, "output_dim", 1)
        length = self.layer_arg(layer, "input_length")
        steps = integer(length) if length is not None else None
        if steps is None and length is None:
            steps = features if timesteps is None else None
        return steps, integer(dim) if dim is not None else None

    def pad_shape(self, layer: LayerObj, timesteps: int | None) -> int | None:
        """ZeroPadding1D adds ``padding`` (default 1 each side), Cropping1D removes ``cropping``
        (default 1 each side): an int for both sides or a (left, right) pair."""
        padding = layer.cls == "ZeroPadding1D"
        arg = self.layer_arg(layer, "padding" if padding else "cropping", 0)
        value = 1 if arg is None else (arg.value if arg.known else None)
        if isinstance(value, int) and not isinstance(value, bool):
            total: int | None = 2 * value
        elif (
            isinstance(value, tuple)
            and len(value) == 2
            and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
        ):
            total = sum(v for v in value if isinstance(v, int))
        else:
            total = None
        if timesteps is None or total is None:
            return None
        return timesteps + total if padding else max(0, timesteps - total)

    def pool_shape(self, layer: LayerObj, timesteps: int | None) -> int | None:
        size = self.layer_arg(layer, "pool_size", 0)
        strides = self.layer_arg(layer, "strides", 1)
        padding = self.layer_arg(layer, "padding", 2)
        p = 2 if size is None else first_int(size)
        s = p if strides is None or strides.value is None else first_int(strides)
        pad = "valid" if padding is None else (padding.value if padding.known else None)
        if timesteps is None or p is None or s is None or s < 1 or pad is None:
            return None
        if pad == "same":
            return -(-timesteps // s)
        return max(0, (timesteps - p) // s + 1)

    def recurrent_shape(
        self, layer: LayerObj, timesteps: int | None
    ) -> tuple[int | None, int | None]:
        outer = layer
        while layer.cls in ("Bidirectional", "RNN") and layer.inner:
            layer = layer.inner[-1] if layer.cls == "RNN" else layer.inner[0]
        sequences = self.layer_arg(outer, "return_sequences")
        if outer is not layer and outer.cls == "Bidirectional":
            sequences = self.layer_arg(layer, "return_sequences")
        units_arg = self.layer_arg(layer, "units", 0)
        units = integer(units_arg) if units_arg is not None else None
        if outer.cls == "Bidirectional" and units is not None:
            mode = self.layer_arg(outer, "merge_mode", 1)
            if mode is None or mode.value == "concat":
                units *= 2
            elif not mode.known or mode.value is None:
                units = None
        if sequences is not None and sequences.known and sequences.value is True:
            return timesteps, units
        return None, units

    # -- what feeds a layer -----------------------------------------------------------------------

    def producer(self, value: Sym, depth: int = 0) -> Producer | None:
        """The layer that feeds a tensor, looking through pass-through layers."""
        if depth > 64:
            return None
        if isinstance(value, Alternatives):
            return riskiest([self.producer(option, depth + 1) for option in value.options])
        if not isinstance(value, Tensor) or value.source is None:
            return None
        source = value.source
        if isinstance(source, InputSource):
            location = self.resolver.location(source.node) if source.node is not None else None
            return Producer("InputLayer", "input", location=location)
        layer = source.layer
        target = layer
        if layer.cls == "TimeDistributed" and layer.inner:
            target = layer.inner[0]
        cls = target.cls
        if cls in producers.PASS_THROUGH:
            return self.producer(source.inputs[0], depth + 1) if source.inputs else None
        if cls in MERGE_CLASSES:
            return self.merge_producer(target, source.inputs, depth)
        location = self.resolver.location(target.node)
        name_arg = self.layer_arg(target, "name")
        name = name_arg.value if name_arg is not None and isinstance(name_arg.value, str) else None
        activation, known = self.producer_activation(target)
        kind: ProducerKind
        if cls in RECURRENT_CLASSES or cls in ("Bidirectional", "RNN"):
            kind = producers.classify_recurrent(activation, known)
        elif cls == "ReLU" and self.bounded_relu(target):
            kind = "bounded"
        else:
            kind = producers.classify(cls, activation, known)
        return Producer(cls, kind, activation=activation, location=location, name=name)

    def producer_activation(self, layer: LayerObj) -> tuple[str | None, bool]:
        cls = layer.cls
        if cls in producers.ACTIVATION_LAYERS:
            return producers.ACTIVATION_LAYERS[cls], True
        if cls == "Activation":
            held = self.activation_layer(layer, 0)
            if held is not None:
                return held
            arg = self.layer_arg(layer, "activation", 0)
            return canonical_activation(arg) if arg is not None else (None, False)
        if cls in ("Bidirectional", "RNN") and layer.inner:
            inner = layer.inner[-1] if cls == "RNN" else layer.inner[0]
            return self.producer_activation(inner)
        if cls == "StackedRNNCells" and layer.inner:
            return self.producer_activation(layer.inner[-1])
        if cls in RECURRENT_CLASSES:
            arg = self.layer_arg(layer, "activation", POSITIONAL_PARAMS[cls].index("activation"))
            return canonical_activation(arg) if arg is not None else ("tanh", True)
        if cls in producers.AFFINE:
            held = self.activation_layer(layer, ACTIVATION_POSITION.get(cls))
            if held is not None:
                return held
            arg = self.layer_arg(layer, "activation", ACTIVATION_POSITION.get(cls))
            if arg is None and has_star_kwargs(layer.node):
                return None, False
            return canonical_activation(arg) if arg is not None else ("linear", True)
        return None, True

    def activation_layer(
        self, layer: LayerObj, position: int | None
    ) -> tuple[str | None, bool] | None:
        """``activation=LeakyReLU()``: an activation layer passed as the activation (a ``ReLU``
        with ``max_value`` is bounded, which no activation name says: not known). None when the
        argument is not an activation layer."""
        expr = argument(layer.node, "activation", position)
        value = self.eval(expr, layer.frame) if expr is not None else None
        if not isinstance(value, LayerObj) or value.cls not in producers.ACTIVATION_LAYERS:
            return None
        if value.cls == "ReLU" and self.bounded_relu(value):
            return None, False
        return producers.ACTIVATION_LAYERS[value.cls], True

    def bounded_relu(self, layer: LayerObj) -> bool:
        """``ReLU(max_value=6)`` is bounded."""
        arg = self.layer_arg(layer, "max_value", 0)
        return arg is not None and number(arg) is not None

    def merge_producer(self, layer: LayerObj, inputs: list[Sym], depth: int) -> Producer:
        """A merge is unbounded if an input is (that input is named), bounded if all are."""
        found = [self.producer(value, depth + 1) for value in inputs]
        location = self.resolver.location(layer.node)
        for producer in found:
            if producer is not None and producer.kind == "unbounded":
                return producer
        kind = producers.classify_merge(p.kind if p is not None else "unknown" for p in found)
        return Producer(layer.cls, kind, location=location)

    # -- the context of one layer -----------------------------------------------------------------

    def context(self, call: cst.Call) -> Context | None:
        apps = self.apps_by_node.get(id(call))
        if not apps:
            return None
        producer = riskiest([self.producer(value) for app in apps for value in app.inputs[:1]])
        shapes = [
            option
            for app in apps
            for value in app.inputs[:1]
            for option in expand(value)
            if isinstance(option, Tensor)
        ]
        timesteps = max((s.timesteps for s in shapes if s.timesteps is not None), default=None)
        features = max((s.features for s in shapes if s.features is not None), default=None)
        optimizers = [o for app in apps for o in app.optimizers]
        optimizer = max(optimizers, key=optimizer_risk, default=None)
        return Context(producer, timesteps, features, optimizer)


# Arguments of each wrapper that hold the wrapped layer(s) or cell(s): (keyword, position).
WRAPPED: dict[str, tuple[tuple[str, int | None], ...]] = {
    "Bidirectional": (("layer", 0), ("backward_layer", 3)),
    "TimeDistributed": (("layer", 0),),
    "RNN": (("cell", 0),),
    "StackedRNNCells": (("cells", 0),),
}


# Arguments whose value is an activation: stored as canonical names.
ACTIVATION_ARGS: frozenset[str] = frozenset({"activation", "recurrent_activation"})


def wrapped_calls(resolver: Resolver, expr: cst.BaseExpression) -> list[cst.Call]:
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
    Activations are canonical (``"swish"`` → ``"silu"``).
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


def first_int(arg: Arg | None) -> int | None:
    """An int, or the first element of a tuple of ints (``kernel_size=(3,)``)."""
    if arg is None or not arg.known:
        return None
    value: ArgValue | object = arg.value
    if isinstance(value, tuple) and value:
        value = value[0]
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return None


def optimizer_risk(optimizer: Optimizer) -> tuple[bool, float]:
    """Riskiest first: an adaptive optimizer before a plain one (SGD did not diverge even at
    lr 1.0), then the higher learning rate."""
    return optimizer.adaptive, optimizer.learning_rate or 0.0


def riskiest(found: Sequence[Producer | None]) -> Producer | None:
    best: Producer | None = None
    for producer in found:
        if producer is None:
            continue
        if best is None or KIND_RISK[producer.kind] > KIND_RISK[best.kind]:
            best = producer
    return best


def interpret(module: cst.Module, resolver: Resolver) -> list[LayerRecord]:
    """The recurrent layers of a module with their arguments and training context, from one
    walk over its statements (none when the module constructs no recurrent layer: then there is
    nothing to walk for). A walk cut short by :data:`BUDGET` keeps what it saw; layers it never
    reached keep their arguments and no context."""
    interpreter = Interpreter(resolver)
    recurrent = interpreter.recurrent_calls()
    if not recurrent:
        return []
    try:
        interpreter.run(module)
    except (Exhausted, RecursionError):
        interpreter.attach_optimizers()
    return interpreter.records(recurrent)


__all__ = ["LayerRecord", "interpret", "layer_args"]
