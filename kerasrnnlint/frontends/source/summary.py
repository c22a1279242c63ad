"""Module summaries: what one module offers the others, computed once per module from its text.

A summary is plain data (JSON-serialisable, cached on disk by :mod:`.cache`): for every name
bound at the top of a module, an :data:`Export` saying what it is (for a function, also which of
its parameters flow into which arguments of the recurrent layers it constructs); the star-import
exports; and the calls the module makes to names it imports (so that the callers of a builder
function can be found in the whole project). A summary depends on its own module's text only:
a name the module imports is a :class:`Ref` (the dotted name as the module wrote it), resolved
later, across modules, by :mod:`.project`. That is what makes a content hash a correct cache key.

Values are computed by the single-module :class:`~.resolver.Resolver` (no project attached), so a
summary says exactly what the module itself says: a dict changed in place is :class:`Unknown`, a
name assigned twice with different values is :class:`Unknown`, never a guess.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import libcst as cst

from kerasrnnlint.frontends.source import imports, values
from kerasrnnlint.frontends.source.cache import SUMMARY_FORMAT
from kerasrnnlint.frontends.source.resolver import Resolver, bounded_activation
from kerasrnnlint.frontends.source.scopes import Definition, Import, Opaque, Param, Scope, Value
from kerasrnnlint.ir import POSITIONAL_PARAMS, RECURRENT_CLASSES, ArgValue

# The format of a summary; part of the cache key (with the tool's version), kept in :mod:`.cache`.
FORMAT = SUMMARY_FORMAT
# Bounded work per module: names exported, call sites kept, entries per dict, dict nesting.
MAX_NAMES = 4_000
MAX_CALLS = 4_000
MAX_ENTRIES = 256
MAX_NESTING = 8
# Per function: flows kept; per argument: the expressions looked through for parameters.
MAX_FLOWS = 256
MAX_FLOW_NODES = 512


@dataclass(frozen=True)
class Const:
    """A known plain value (``ACT = 'relu'``); ``origin`` as the module's resolver said it."""

    value: ArgValue
    origin: str


@dataclass(frozen=True)
class Ref:
    """A name the module binds to another dotted name (an import, ``RNN = layers.LSTM``),
    optionally followed by dict keys (``CFG = other.HPARAMS['rnn']``)."""

    name: str
    keys: tuple[str, ...] = ()


@dataclass(frozen=True)
class Unknown:
    """A value the module does not make visible; ``why`` is said to people (``--show-unknown``)."""

    why: str


@dataclass(frozen=True)
class DictOf:
    """A dict whose entries are visible; ``open`` when some may be missing (``{**x}``)."""

    entries: tuple[tuple[str, Export], ...]
    open: bool = False

    def get(self, key: str) -> Export | None:
        for name, export in self.entries:
            if name == key:
                return export
        return None


@dataclass(frozen=True)
class Function:
    """A module-level ``def``: its parameters in order and their defaults; which of its
    parameters flow into which arguments of a recurrent layer, and the recurrent layer classes
    its body constructs."""

    params: tuple[str, ...]
    defaults: tuple[tuple[str, Export], ...] = ()
    returns: Export | None = None  # the one value every ``return`` gives (a factory), if any
    # (parameter, Keras class, argument): ``LSTM(units, activation=act)`` gives
    # ("act", "LSTM", "activation") and ("units", "LSTM", "units"); a parameter that reaches the
    # argument through local names (``a = act``), expressions or a dict passed with ``**`` counts;
    # the argument is "**" for a ``**`` (``**kwargs`` passed on whole) and "*" for a ``*``.
    flows: tuple[tuple[str, str, str], ...] = ()
    constructs: tuple[str, ...] = ()  # ``("LSTM", "GRU")``: in source order, each once

    def flows_into(self, param: str, argument: str | None = None) -> bool:
        """Does ``param`` flow into a recurrent layer's argument (``argument``, if given; a
        ``**`` counts for every keyword)?"""
        return any(
            p == param and (argument is None or a in (argument, "**")) for p, _, a in self.flows
        )


@dataclass(frozen=True)
class Klass:
    """A module-level ``class``: its bases and its class attributes."""

    bases: tuple[Export, ...] = ()
    attrs: tuple[tuple[str, Export], ...] = ()
    init: CallSite | None = None  # the ``super().__init__(...)`` call of its ``__init__``
    # What its methods assign to ``self.x`` (one assignment each), e.g. ``self.act = act``.
    instance: tuple[tuple[str, Export], ...] = ()

    def get(self, key: str) -> Export | None:
        for name, export in self.attrs:
            if name == key:
                return export
        return None

    def get_instance(self, key: str) -> Export | None:
        for name, export in self.instance:
            if name == key:
                return export
        return None


Export = Const | Ref | Unknown | DictOf | Function | Klass


@dataclass(frozen=True)
class CallSite:
    """A call of an imported name: ``build_lstm(32, act='relu')`` in ``train.py`` line 8."""

    callee: str  # the dotted name as the calling module wrote it (``models.build_lstm``)
    line: int
    positional: tuple[Export, ...]  # Unknown for ``*args`` and everything after it
    keywords: tuple[tuple[str, Export], ...]
    open: bool = False  # ``*args``/``**kwargs``: positions or keywords may be more than seen


@dataclass(frozen=True)
class ModuleSummary:
    names: Mapping[str, Export] = field(default_factory=dict)
    star_imports: tuple[str, ...] = ()  # ``from x import *``: the module names as written
    all_names: tuple[str, ...] | None = None  # ``__all__`` when it is a visible list of strings
    calls: tuple[CallSite, ...] = ()
    error: str | None = None  # the module does not parse: importers see it as unknown

    def star_names(self) -> frozenset[str]:
        """The names ``from this import *`` binds (besides those of its own star imports)."""
        if self.all_names is not None:
            return frozenset(self.all_names)
        return frozenset(n for n in self.names if not n.startswith("_"))


# --------------------------------------------------------------------------------------------------
# Building a summary
# --------------------------------------------------------------------------------------------------


def summarize_text(text: str, path: str) -> ModuleSummary:
    """The summary of one module's source (never raises for bad input)."""
    from kerasrnnlint.frontends.base import InputError
    from kerasrnnlint.frontends.source import deep_recursion, parse
    from kerasrnnlint.frontends.source.scopes import index_module

    if text.startswith("\ufeff"):
        text = text[1:]
    try:
        module = parse(text)
    except InputError as exc:
        return ModuleSummary(error=exc.describe())
    try:
        with deep_recursion():
            resolver = Resolver(index_module(module), path, text=text)
            resolver.spans = False  # a summary keeps values and lines, never spans
            return summarize(resolver)
    except RecursionError:
        return ModuleSummary(error="cannot analyze: nested too deeply")


def summarize(resolver: Resolver, calls: bool = True) -> ModuleSummary:
    """The summary of a module already indexed (the linted module reuses its own index);
    without its call sites unless ``calls``."""
    scope = resolver.index.scope
    names: dict[str, Export] = {}
    flows = _recurrent_flows(resolver)
    for name, found in list(scope.bindings.items())[:MAX_NAMES]:
        names[name] = _export_bindings(resolver, name, found, scope, flows)
    return ModuleSummary(
        names=names,
        star_imports=tuple(scope.star_imports),
        all_names=_all_names(resolver, scope),
        calls=tuple(_call_sites(resolver)) if calls else (),
    )


def _all_names(resolver: Resolver, scope: Scope) -> tuple[str, ...] | None:
    found = scope.bindings.get("__all__")
    if not found or len(found) != 1 or not isinstance(found[0], Value):
        return None
    arg = resolver.value(found[0].expr, scope)
    if arg.known and isinstance(arg.value, tuple) and all(isinstance(v, str) for v in arg.value):
        return tuple(str(v) for v in arg.value)
    return None


def _export_bindings(
    resolver: Resolver, name: str, found: list[Any], scope: Scope, flows: _Flows
) -> Export:
    if len(found) != 1:
        exports = [_export_binding(resolver, name, b, scope, flows) for b in found]
        if all(e == exports[0] for e in exports):
            return exports[0]
        return Unknown(f"`{name}` is assigned more than once")
    return _export_binding(resolver, name, found[0], scope, flows)


def _export_binding(
    resolver: Resolver, name: str, binding: Any, scope: Scope, flows: _Flows
) -> Export:
    if isinstance(binding, Import):
        return Ref(binding.qualified_name)
    if isinstance(binding, Value):
        if resolver.changed_in_place(name, scope):
            return Unknown(f"`{name}` is changed in place")
        return export_expr(resolver, binding.expr, binding.scope, 0)
    if isinstance(binding, Definition):
        if isinstance(binding.node, cst.FunctionDef):
            return _function(resolver, binding.node, flows)
        return _class(resolver, binding.node)
    if isinstance(binding, Opaque):
        return Unknown(f"`{name}` is a {binding.why}")
    return Unknown(f"`{name}` is not a plain value")


def export_expr(resolver: Resolver, expr: cst.BaseExpression, scope: Scope, depth: int) -> Export:
    """What an expression of the module stands for, as plain data."""
    if depth > MAX_NESTING:
        return Unknown("nested too deeply")
    arg = resolver.value(expr, scope)
    if arg.known:
        return Const(arg.value, arg.origin)
    qualified = resolver.qualified_name(expr, scope)
    if qualified is not None:
        return Ref(qualified)
    view = resolver.dict_items(expr, scope)
    if view is not None:
        entries = tuple(
            (item.key, export_item(resolver, item, depth + 1)) for item in view.items[:MAX_ENTRIES]
        )
        return DictOf(entries, view.open or len(view.items) > MAX_ENTRIES)
    keyed = _keyed_ref(resolver, expr, scope)
    if keyed is not None:
        return keyed
    return Unknown(arg.origin)


def export_item(resolver: Resolver, item: Any, depth: int) -> Export:
    """One entry of a dict the resolver sees (written here, or reached in another module)."""
    if item.export is not None:
        return item.export  # type: ignore[no-any-return]
    return export_expr(resolver, item.value, item.scope, depth)


def _keyed_ref(resolver: Resolver, expr: cst.BaseExpression, scope: Scope) -> Ref | None:
    """``other.HPARAMS['rnn']``: a dict of another module, by key."""
    keyed = values.subscript_keys(expr)
    if keyed is None or not keyed[1]:
        return None
    base, keys = keyed
    qualified = resolver.qualified_name(base, scope)
    return Ref(qualified, keys) if qualified is not None else None


def _function(resolver: Resolver, node: cst.FunctionDef, flows: _Flows) -> Function:
    params = node.params
    ordered = [*params.posonly_params, *params.params, *params.kwonly_params]
    scope = resolver.scope_of(node)
    defaults = tuple(
        (p.name.value, export_expr(resolver, p.default, scope, 1))
        for p in ordered
        if p.default is not None
    )
    returns = None
    found = resolver.returns_of(node)
    if found:
        exports = [export_expr(resolver, expr, where, 1) for expr, where in found]
        if all(e == exports[0] for e in exports):
            returns = exports[0]
    positional = tuple(p.name.value for p in [*params.posonly_params, *params.params])
    flowing, constructs = flows.get(id(node), ((), ()))
    return Function(positional, defaults, returns, tuple(flowing), tuple(constructs))


# id of a module-level ``def`` -> (its flows, the recurrent classes it constructs).
_Flows = dict[int, tuple[list[tuple[str, str, str]], list[str]]]


def _recurrent_flows(resolver: Resolver) -> _Flows:
    """Which parameters of the module's top-level functions flow into which arguments of the
    recurrent layers it constructs (see :attr:`Function.flows`), and which classes each function
    constructs. Syntactic and cheap: a parameter flows when its name is read in the argument, or
    in what a local name read there is assigned (``a = act``, ``cfg = {"activation": act}``)."""
    found: _Flows = {}
    module_scope = resolver.index.scope
    for call in resolver.index.calls:
        func = call.func
        if not isinstance(func, (cst.Name, cst.Attribute)):
            continue
        cls = imports.keras_class(resolver.qualified_name(func))
        if cls is None or cls not in RECURRENT_CLASSES:
            continue
        top = _top_function(resolver.scope_of(call), module_scope)
        if top is not None:
            constructs = found.setdefault(id(top), ([], []))[1]
            if cls not in constructs:
                constructs.append(cls)
        names = POSITIONAL_PARAMS.get(cls, ())
        position: int | None = 0
        for arg in call.args:
            if arg.star:
                argument_name: str | None = arg.star
                position = None  # positions after a ``*args`` are unknown
            elif arg.keyword is not None:
                argument_name = arg.keyword.value
            else:
                argument_name = None
                if position is not None:
                    argument_name = names[position] if position < len(names) else None
                    position += 1
            if argument_name is None:
                continue
            for function, param in _params_read(resolver, arg.value):
                flows = found.setdefault(id(function), ([], []))[0]
                entry = (param, cls, argument_name)
                if entry not in flows and len(flows) < MAX_FLOWS:
                    flows.append(entry)
    return found


def _top_function(scope: Scope | None, module_scope: Scope) -> cst.FunctionDef | None:
    """The module-level ``def`` whose body (or a body nested in it) is ``scope``."""
    while scope is not None and scope.parent is not module_scope:
        scope = scope.parent
    if scope is None or scope.kind != "function":
        return None
    found = scope.definition
    return found if isinstance(found, cst.FunctionDef) else None


def _params_read(
    resolver: Resolver, expr: cst.BaseExpression
) -> Iterator[tuple[cst.FunctionDef, str]]:
    """The parameters of module-level functions that ``expr`` reads, directly or through the
    names it reads (bounded: :data:`MAX_FLOW_NODES` nodes)."""
    stack: list[cst.CSTNode] = [expr]
    seen: set[int] = set()
    budget = MAX_FLOW_NODES
    while stack and budget > 0:
        node = stack.pop()
        budget -= 1
        if isinstance(node, cst.Name):
            bound, holder = resolver.scope_of(node).lookup(node.value)
            for binding in bound:
                if isinstance(binding, Param):
                    function = binding.function
                    if function is not None and binding.def_scope.kind == "module":
                        yield function, binding.name
                elif isinstance(binding, Opaque):
                    star = _star_param(holder, node.value)
                    if star is not None:
                        yield star, node.value
                elif isinstance(binding, Value) and id(binding.expr) not in seen:
                    seen.add(id(binding.expr))  # a local alias: what it is assigned
                    stack.append(binding.expr)
        elif isinstance(node, cst.Attribute):
            stack.append(node.value)  # ``cfg.act`` reads ``cfg``, not a name ``act``
        elif isinstance(node, cst.Arg):
            stack.append(node.value)  # not the keyword's name
        else:
            stack.extend(node.children)


def _star_param(holder: Scope | None, name: str) -> cst.FunctionDef | None:
    """The module-level ``def`` of which ``name`` is the ``*args``/``**kwargs`` parameter."""
    if holder is None or holder.kind != "function" or holder.parent is None:
        return None
    function = holder.definition
    if not isinstance(function, cst.FunctionDef) or holder.parent.kind != "module":
        return None
    for star in (function.params.star_arg, function.params.star_kwarg):
        if isinstance(star, cst.Param) and star.name.value == name:
            return function
    return None


def _class(resolver: Resolver, node: cst.ClassDef) -> Klass:
    scope = resolver.scope_of(node)
    bases = tuple(export_expr(resolver, base.value, scope, 1) for base in node.bases)
    inner = resolver.class_scope(node)
    attrs: list[tuple[str, Export]] = []
    if inner is not None:
        for name, found in inner.bindings.items():
            if len(found) == 1 and isinstance(found[0], Value):
                attrs.append((name, export_expr(resolver, found[0].expr, inner, 1)))
    instance: list[tuple[str, Export]] = []
    if inner is not None:
        for name, assigned in inner.instance_attrs.items():
            if len(assigned) == 1:
                value = assigned[0]
                instance.append((name, export_expr(resolver, value.expr, value.scope, 1)))
            else:
                instance.append((name, Unknown(f"`self.{name}` is assigned more than once")))
    return Klass(bases, tuple(attrs), _super_init(resolver, node), tuple(instance))


def _super_init(resolver: Resolver, node: cst.ClassDef) -> CallSite | None:
    """The ``super().__init__(...)`` call in the class's own ``__init__``, as a call site."""
    body = node.body.body if isinstance(node.body, cst.IndentedBlock) else ()
    init = next(
        (s for s in body if isinstance(s, cst.FunctionDef) and s.name.value == "__init__"), None
    )
    if init is None:
        return None
    inner = resolver.index.inner_scopes.get(id(init))
    for call in resolver.index.calls:
        func = call.func
        if not (
            isinstance(func, cst.Attribute)
            and func.attr.value == "__init__"
            and isinstance(func.value, cst.Call)
            and isinstance(func.value.func, cst.Name)
            and func.value.func.value == "super"
            and resolver.scope_of(call) is inner
        ):
            continue
        return _call_site(resolver, call, "super().__init__")
    return None


# Names no project calls through: their call sites are not worth keeping.
_EXTERNAL_ROOTS = ("keras", "tensorflow", "tf_keras", "numpy", "torch", "argparse", "os", "sys")


def _call_sites(resolver: Resolver) -> Iterator[CallSite]:
    kept = 0
    for call in resolver.index.calls:
        if kept >= MAX_CALLS:
            return
        func = call.func
        if not isinstance(func, (cst.Name, cst.Attribute)):
            continue
        qualified = resolver.qualified_name(func)
        if qualified is None or qualified.split(".", 1)[0] in _EXTERNAL_ROOTS:
            continue
        if isinstance(func, cst.Name) and not resolver.is_imported(func):
            continue
        kept += 1
        yield _call_site(resolver, call, qualified)


def _call_site(resolver: Resolver, call: cst.Call, callee: str) -> CallSite:
    positional: list[Export] = []
    keywords: list[tuple[str, Export]] = []
    is_open = False
    for arg in call.args:
        if arg.star:
            is_open = True
            continue
        export = _argument_export(resolver, arg.value)
        if arg.keyword is not None:
            keywords.append((arg.keyword.value, export))
        elif not is_open:
            positional.append(export)
    line = resolver.line(call) or 0
    return CallSite(callee, line, tuple(positional), tuple(keywords), is_open)


def _argument_export(resolver: Resolver, expr: cst.BaseExpression) -> Export:
    """Only what a callee may need of an argument: a known value whose boundedness matters, or a
    reference (a class passed on); anything else stays unknown, cheaply."""
    arg = resolver.value(expr)
    if arg.known:
        if bounded_activation(arg.value) is not None or isinstance(arg.value, (int, float)):
            return Const(arg.value, arg.origin)
        return Unknown("not an activation")
    qualified = resolver.qualified_name(expr)
    if qualified is not None:
        return Ref(qualified)
    return Unknown(arg.origin)


# --------------------------------------------------------------------------------------------------
# Plain data <-> JSON
# --------------------------------------------------------------------------------------------------


def _value_out(value: Any) -> Any:
    if isinstance(value, tuple):
        return {"t": [_value_out(v) for v in value]}
    return value


def _value_in(data: Any) -> ArgValue:
    if isinstance(data, dict):
        items = data.get("t")
        if not isinstance(items, list):
            raise ValueError("bad value")
        return tuple(_value_in(v) for v in items)
    if data is None or isinstance(data, (str, int, float, bool)):
        return data
    raise ValueError("bad value")


def export_out(export: Export) -> Any:
    if isinstance(export, Const):
        return ["c", _value_out(export.value), export.origin]
    if isinstance(export, Ref):
        return ["r", export.name, list(export.keys)]
    if isinstance(export, Unknown):
        return ["u", export.why]
    if isinstance(export, DictOf):
        return ["d", [[k, export_out(v)] for k, v in export.entries], export.open]
    if isinstance(export, Function):
        returns = export_out(export.returns) if export.returns is not None else None
        return [
            "f",
            list(export.params),
            [[k, export_out(v)] for k, v in export.defaults],
            returns,
            [list(flow) for flow in export.flows],
            list(export.constructs),
        ]
    bases = [export_out(b) for b in export.bases]
    init = _call_out(export.init) if export.init is not None else None
    instance = [[k, export_out(v)] for k, v in export.instance]
    return ["k", bases, [[k, export_out(v)] for k, v in export.attrs], init, instance]


def _call_out(call: CallSite) -> Any:
    return [
        call.callee,
        call.line,
        [export_out(p) for p in call.positional],
        [[k, export_out(v)] for k, v in call.keywords],
        call.open,
    ]


def _call_in(data: Any) -> CallSite:
    return CallSite(
        _str(data[0]),
        int(data[1]),
        tuple(export_in(p) for p in data[2]),
        _pairs(data[3]),
        bool(data[4]),
    )


def _str(data: Any) -> str:
    if not isinstance(data, str):
        raise ValueError("not a string")
    return data


def _pairs(data: Any) -> tuple[tuple[str, Export], ...]:
    return tuple((_str(k), export_in(v)) for k, v in data)


def export_in(data: Any) -> Export:
    tag = data[0]
    if tag == "c":
        return Const(_value_in(data[1]), _str(data[2]))
    if tag == "r":
        return Ref(_str(data[1]), tuple(_str(k) for k in data[2]))
    if tag == "u":
        return Unknown(_str(data[1]))
    if tag == "d":
        return DictOf(_pairs(data[1]), bool(data[2]))
    if tag == "f":
        returns = export_in(data[3]) if data[3] is not None else None
        flows = tuple((_str(p), _str(c), _str(a)) for p, c, a in data[4])
        constructs = tuple(_str(c) for c in data[5])
        params = tuple(_str(p) for p in data[1])
        return Function(params, _pairs(data[2]), returns, flows, constructs)
    if tag == "k":
        init = _call_in(data[3]) if data[3] is not None else None
        bases = tuple(export_in(b) for b in data[1])
        return Klass(bases, _pairs(data[2]), init, _pairs(data[4]))
    raise ValueError(f"unknown export {tag!r}")


def dumps(summary: ModuleSummary) -> str:
    return json.dumps(
        {
            "names": [[k, export_out(v)] for k, v in summary.names.items()],
            "star": list(summary.star_imports),
            "all": list(summary.all_names) if summary.all_names is not None else None,
            "calls": [_call_out(c) for c in summary.calls],
            "error": summary.error,
        },
        separators=(",", ":"),
    )


def loads(text: str) -> ModuleSummary:
    """A summary from :func:`dumps`; raises ValueError (or KeyError/TypeError/IndexError) on
    anything else, so that a corrupt cache entry is rebuilt, never trusted."""
    data = json.loads(text)
    all_names = data["all"]
    error = data["error"]
    return ModuleSummary(
        names=dict(_pairs(data["names"])),
        star_imports=tuple(_str(s) for s in data["star"]),
        all_names=tuple(_str(n) for n in all_names) if all_names is not None else None,
        calls=tuple(_call_in(c) for c in data["calls"]),
        error=_str(error) if error is not None else None,
    )
