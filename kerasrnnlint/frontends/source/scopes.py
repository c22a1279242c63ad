"""One cheap pass over a module: its scopes, what each name is bound to, and every call.

This replaces libcst's ScopeProvider/QualifiedNameProvider (which cost several times the parse):
we only record, per scope, the bindings the resolver needs (imports, simple assignments, parameters
with their defaults, definitions) and, for every node, the scope it is evaluated in. Control flow is
ignored: a name bound twice in one scope has two bindings and the resolver decides what that means.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import libcst as cst

from kerasrnnlint.frontends.source import values

ScopeKind = Literal["module", "class", "function", "lambda", "comprehension"]


@dataclass(frozen=True)
class Import:
    """``import a.b as x`` binds ``x`` to ``a.b``; ``from a import b`` binds ``b`` to ``a.b``."""

    qualified_name: str


@dataclass(frozen=True)
class Value:
    """``name = expr`` (also ``name: T = expr``, ``(name := expr)``); evaluated in ``scope``."""

    expr: cst.BaseExpression
    scope: Scope


@dataclass(frozen=True)
class Param:
    """A function or lambda parameter; ``default`` is evaluated in ``def_scope`` (the def's).
    ``function`` is the ``def`` it belongs to (None for lambdas), so callers can be found."""

    name: str
    default: cst.BaseExpression | None
    def_scope: Scope
    function: cst.FunctionDef | None = None


@dataclass(frozen=True)
class Definition:
    """``def name`` or ``class name``: a local thing that only shares a name with a Keras one."""

    kind: Literal["function", "class"]
    node: cst.FunctionDef | cst.ClassDef


@dataclass(frozen=True)
class Opaque:
    """A binding whose value the analyzer does not follow (loop variable, ``with ... as``...)."""

    why: str
    # A ``for`` variable: what it iterates over, and where (grid searches iterate dict entries).
    iterable: cst.BaseExpression | None = None
    scope: Scope | None = None


Binding = Import | Value | Param | Definition | Opaque


@dataclass(eq=False)
class Scope:
    kind: ScopeKind
    parent: Scope | None
    node: cst.CSTNode
    bindings: dict[str, list[Binding]] = field(default_factory=dict)
    global_names: set[str] = field(default_factory=set)
    nonlocal_names: set[str] = field(default_factory=set)
    star_imports: list[str] = field(default_factory=list)
    # A function scope: the expressions its ``return`` statements give.
    returns: list[cst.BaseExpression] = field(default_factory=list)
    # A method's scope: the name of its first parameter (``self``). A class scope: what its
    # methods assign to attributes of that parameter (``self.act = act``), by attribute.
    self_name: str | None = None
    instance_attrs: dict[str, list[Value]] = field(default_factory=dict)
    # The ``def`` or ``class`` whose body this scope is.
    definition: cst.FunctionDef | cst.ClassDef | None = None

    def bind(self, name: str, binding: Binding) -> None:
        target = self.binding_scope(name)
        target.bindings.setdefault(name, []).append(binding)

    def binding_scope(self, name: str) -> Scope:
        """The scope an assignment to ``name`` here binds in (``global``/``nonlocal`` aware)."""
        if name in self.global_names:
            return self.module
        if name in self.nonlocal_names and self.parent is not None:
            scope = self.parent
            while scope.kind == "class" and scope.parent is not None:
                scope = scope.parent
            return scope.binding_scope(name)
        if self.kind == "comprehension" and self.parent is not None:
            # ``:=`` inside a comprehension binds in the enclosing scope; loop targets are bound
            # with :meth:`bind_here`.
            return self.parent.binding_scope(name)
        return self

    def bind_here(self, name: str, binding: Binding) -> None:
        self.bindings.setdefault(name, []).append(binding)

    @property
    def module(self) -> Scope:
        scope = self
        while scope.parent is not None:
            scope = scope.parent
        return scope

    def lookup(self, name: str) -> tuple[list[Binding], Scope | None]:
        """The bindings ``name`` refers to when read in this scope, and the scope holding them.

        Python's rules: this scope, then enclosing function scopes (class bodies are skipped by
        the functions nested in them), then the module; ``global`` goes straight to the module.
        An unbound name is ``([], None)`` (a builtin, or defined somewhere we cannot see).
        """
        if name in self.global_names:
            scope: Scope | None = self.module
        else:
            scope = self
        first = True
        while scope is not None:
            if (first or scope.kind != "class") and name in scope.bindings:
                return scope.bindings[name], scope
            first = False
            scope = scope.parent
        return [], None


@dataclass(eq=False)
class ModuleIndex:
    """What the pass found: the module scope, every node's scope, every call in source order,
    and the names whose value is changed in place (``kw['activation'] = 'relu'``,
    ``kw.update(...)``), each with the scopes the change is written in."""

    module: cst.Module
    scope: Scope
    scope_of: dict[int, Scope]
    calls: list[cst.Call]
    mutations: dict[str, list[Scope]] = field(default_factory=dict)
    # The scope of each ``def`` and ``class`` body, by id of the definition node.
    inner_scopes: dict[int, Scope] = field(default_factory=dict)
    # The attribute names assigned on a receiver other than a method's ``self``
    # (``trainer.act = ...``, ``obj.act += ...``, ``setattr(obj, "act", ...)``).
    attribute_writes: set[str] = field(default_factory=set)


# Methods that change a dict (or list) in place: ``kw.update(activation='relu')``.
MUTATING_METHODS: frozenset[str] = frozenset(
    {"update", "setdefault", "pop", "popitem", "clear", "__setitem__", "__delitem__", "__ior__"}
)


def _subscripted_name(expr: cst.BaseExpression) -> str | None:
    """``cfg`` for ``cfg``, ``cfg['lstm']``, ``cfg['lstm']['activation']``; ``config.PARAMS``
    for ``config.PARAMS['act']`` (a dict of another module); else None."""
    while isinstance(expr, cst.Subscript):
        expr = expr.value
    if isinstance(expr, cst.Attribute):
        base = _dotted(expr)
        return base if base and "." in base and not base.startswith(".") else None
    return expr.value if isinstance(expr, cst.Name) else None


def _dotted(node: cst.BaseExpression | cst.ImportFrom | None) -> str:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return f"{_dotted(node.value)}.{node.attr.value}"
    return ""


def _target_names(target: cst.BaseExpression) -> list[str]:
    if isinstance(target, cst.Name):
        return [target.value]
    if isinstance(target, (cst.Tuple, cst.List)):
        names: list[str] = []
        for element in target.elements:
            names.extend(_target_names(element.value))
        return names
    if isinstance(target, cst.StarredElement):
        return _target_names(target.value)
    return []


# Fields that never hold code the resolver cares about (whitespace, brackets, punctuation).
_SKIPPED_FIELDS: frozenset[str] = frozenset(
    {
        "lpar",
        "rpar",
        "lbracket",
        "rbracket",
        "lbrace",
        "rbrace",
        "leading_lines",
        "lines_after_decorators",
        "header",
        "footer",
        "indent",
        "comma",
        "semicolon",
        "equal",
        "colon",
        "dot",
        "relative",
        "operator",
        "asynchronous",
        "trailing_whitespace",
        "newline",
        "encoding",
        "default_indent",
        "default_newline",
        "has_trailing_newline",
        "posonly_ind",
        "star",
    }
)
# Source order where libcst's field order differs (decorators are written first).
_FIELD_ORDER: dict[type[cst.CSTNode], tuple[str, ...]] = {
    cst.FunctionDef: ("decorators", "name", "type_parameters", "params", "returns", "body"),
    cst.ClassDef: ("decorators", "name", "type_parameters", "bases", "keywords", "body"),
    cst.IfExp: ("body", "test", "orelse"),
    cst.Arg: ("keyword", "value"),
}
_CHILD_FIELDS: dict[type[cst.CSTNode], tuple[str, ...]] = {}


def _child_fields(kind: type[cst.CSTNode]) -> tuple[str, ...]:
    names = _CHILD_FIELDS.get(kind)
    if names is None:
        if kind in _FIELD_ORDER:
            names = _FIELD_ORDER[kind]
        else:
            names = tuple(
                f.name
                for f in dataclasses.fields(kind)
                if f.name not in _SKIPPED_FIELDS and not f.name.startswith("whitespace")
            )
        _CHILD_FIELDS[kind] = names
    return names


_LEAF, _NODE, _SEQUENCE = 0, 1, 2
# The kind of a field's value by its exact type: a node, a list/tuple of them, or neither.
_FIELD_KINDS: dict[type, int] = {}
# Nodes with nothing to walk into and nothing to record but their scope (names, numbers,
# strings): recorded where they are met, never pushed.
_LEAVES = frozenset({cst.Name, cst.Integer, cst.Float, cst.Imaginary, cst.SimpleString})


def _field_kind(value: object) -> int:
    if isinstance(value, cst.CSTNode):
        kind = _NODE
    elif isinstance(value, (list, tuple)):
        kind = _SEQUENCE
    else:
        kind = _LEAF
    _FIELD_KINDS[type(value)] = kind
    return kind


class _Builder:
    """An iterative walk (no libcst visitor: those rebuild every node and cost as much as the
    parse) that records scopes, bindings, each node's scope and every call, in source order."""

    def __init__(self, module: cst.Module) -> None:
        self.root = Scope("module", None, module)
        self.scope_of: dict[int, Scope] = {}
        self.calls: list[cst.Call] = []
        self.mutations: dict[str, list[Scope]] = {}
        self.inner_scopes: dict[int, Scope] = {}
        self.attribute_writes: set[str] = set()

    def _mutate(self, target: cst.BaseExpression, scope: Scope) -> None:
        """Record ``name[...] = ...`` (and ``del``, ``+=``, mutating calls) on ``name``."""
        name = _subscripted_name(target)
        if name is not None:
            self.mutations.setdefault(name, []).append(scope)

    def walk(self, module: cst.Module) -> None:
        # ``isinstance`` against libcst's classes goes through ``ABCMeta`` (slow when it fails,
        # as it does for most fields): a field's kind is looked up by its exact type instead.
        stack: list[tuple[cst.CSTNode, Scope]] = [(module, self.root)]
        scope_of = self.scope_of
        handlers = _HANDLERS
        kinds = _FIELD_KINDS
        leaves = _LEAVES
        while stack:
            node, scope = stack.pop()
            scope_of[id(node)] = scope
            kind = type(node)
            handler = handlers.get(kind)
            inner = handler(self, node, scope) if handler is not None else None
            children: list[tuple[cst.CSTNode, Scope]] = []
            for name in _child_fields(kind):
                value = getattr(node, name)
                field_kind = kinds.get(type(value))
                if field_kind is None:
                    field_kind = _field_kind(value)
                if field_kind == _LEAF:
                    continue
                child_scope = scope if inner is None or name not in inner[0] else inner[1]
                if field_kind == _NODE:
                    if type(value) in leaves:
                        scope_of[id(value)] = child_scope
                    else:
                        children.append((value, child_scope))
                else:
                    for item in value:
                        item_kind = kinds.get(type(item))
                        if item_kind is None:
                            item_kind = _field_kind(item)
                        if item_kind == _NODE:
                            if type(item) in leaves:
                                scope_of[id(item)] = child_scope
                            else:
                                children.append((item, child_scope))
            stack.extend(reversed(children))

    # -- scopes: a handler returns (fields evaluated in a new scope, that scope) ------------------

    def _bind_params(
        self,
        params: cst.Parameters,
        scope: Scope,
        def_scope: Scope,
        function: cst.FunctionDef | None = None,
    ) -> None:
        every = [*params.posonly_params, *params.params, *params.kwonly_params]
        for param in every:
            name = param.name.value
            scope.bind_here(name, Param(name, param.default, def_scope, function))
        for star in (params.star_arg, params.star_kwarg):
            if isinstance(star, cst.Param):
                scope.bind_here(star.name.value, Opaque("`*args`/`**kwargs` parameter"))

    def function_def(self, node: cst.FunctionDef, scope: Scope) -> _Inner:
        scope.bind(node.name.value, Definition("function", node))
        inner = Scope("function", scope, node.body, definition=node)
        self._bind_params(node.params, inner, scope, node)
        self.inner_scopes[id(node)] = inner
        if scope.kind == "class":
            first = [*node.params.posonly_params, *node.params.params]
            if first:
                inner.self_name = first[0].name.value
        return ("body",), inner

    def lambda_(self, node: cst.Lambda, scope: Scope) -> _Inner:
        inner = Scope("lambda", scope, node.body)
        self._bind_params(node.params, inner, scope)
        return ("body",), inner

    def class_def(self, node: cst.ClassDef, scope: Scope) -> _Inner:
        scope.bind(node.name.value, Definition("class", node))
        inner = Scope("class", scope, node.body, definition=node)
        self.inner_scopes[id(node)] = inner
        return ("body",), inner

    def comprehension(
        self, node: cst.ListComp | cst.SetComp | cst.DictComp | cst.GeneratorExp, scope: Scope
    ) -> _Inner:
        inner = Scope("comprehension", scope, node)
        clause: cst.CompFor | None = node.for_in
        while clause is not None:
            for name in _target_names(clause.target):
                inner.bind_here(name, Opaque("comprehension variable"))
            clause = clause.inner_for_in
        return _child_fields(type(node)), inner

    # -- bindings ---------------------------------------------------------------------------------

    def global_(self, node: cst.Global, scope: Scope) -> None:
        scope.global_names.update(item.name.value for item in node.names)

    def nonlocal_(self, node: cst.Nonlocal, scope: Scope) -> None:
        scope.nonlocal_names.update(item.name.value for item in node.names)

    def import_(self, node: cst.Import, scope: Scope) -> None:
        for alias in node.names:
            full = _dotted(alias.name)
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                scope.bind(alias.asname.name.value, Import(full))
            else:
                head = full.split(".", 1)[0]
                scope.bind(head, Import(head))

    def import_from(self, node: cst.ImportFrom, scope: Scope) -> None:
        module = "." * len(node.relative) + _dotted(node.module)
        if isinstance(node.names, cst.ImportStar):
            scope.module.star_imports.append(module)
            return
        for alias in node.names:
            name = _dotted(alias.name)
            bound = name
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                bound = alias.asname.name.value
            # ``from . import x`` is ``.x``; ``from .a import x`` is ``.a.x``.
            full = f"{module}{name}" if module and not module.strip(".") else f"{module}.{name}"
            scope.bind(bound, Import(full))

    def _assign(
        self, target: cst.BaseExpression, value: cst.BaseExpression | None, scope: Scope
    ) -> None:
        if isinstance(target, cst.Name):
            if value is None:
                scope.bind(target.value, Opaque("unpacked value"))
            else:
                scope.bind(target.value, Value(value, scope))
            return
        if isinstance(target, (cst.Tuple, cst.List)):
            elements = target.elements
            values: list[cst.BaseExpression | None] = [None] * len(elements)
            if (
                isinstance(value, (cst.Tuple, cst.List))
                and len(value.elements) == len(elements)
                and not any(isinstance(e, cst.StarredElement) for e in value.elements)
                and not any(isinstance(e, cst.StarredElement) for e in elements)
            ):
                values = [e.value for e in value.elements]
            for element, element_value in zip(elements, values, strict=True):
                self._assign(element.value, element_value, scope)
            return
        if isinstance(target, cst.StarredElement):
            self._assign(target.value, None, scope)
            return
        if isinstance(target, cst.Subscript):
            self._mutate(target, scope)
        if (
            isinstance(target, cst.Attribute)
            and isinstance(target.value, cst.Name)
            and value is not None
        ):
            method = scope
            while method.kind == "comprehension" and method.parent is not None:
                method = method.parent
            if method.self_name == target.value.value and method.parent is not None:
                attrs = method.parent.instance_attrs
                attrs.setdefault(target.attr.value, []).append(Value(value, method))
                return
        if isinstance(target, cst.Attribute):
            self.attribute_writes.add(target.attr.value)

    def return_(self, node: cst.Return, scope: Scope) -> None:
        if node.value is not None and scope.kind == "function":
            scope.returns.append(node.value)

    def assign(self, node: cst.Assign, scope: Scope) -> None:
        for target in node.targets:
            self._assign(target.target, node.value, scope)

    def ann_assign(self, node: cst.AnnAssign, scope: Scope) -> None:
        if node.value is not None:
            self._assign(node.target, node.value, scope)

    def aug_assign(self, node: cst.AugAssign, scope: Scope) -> None:
        for name in _target_names(node.target):
            scope.bind(name, Opaque("variable changed by augmented assignment"))
        if isinstance(node.target, cst.Attribute):
            self.attribute_writes.add(node.target.attr.value)
        if isinstance(node.target, cst.Subscript):
            self._mutate(node.target, scope)

    def del_(self, node: cst.Del, scope: Scope) -> None:
        targets = node.target.elements if isinstance(node.target, cst.Tuple) else ()
        for target in [e.value for e in targets] or [node.target]:
            if isinstance(target, cst.Subscript):
                self._mutate(target, scope)
            elif isinstance(target, cst.Attribute):
                self.attribute_writes.add(target.attr.value)

    def named_expr(self, node: cst.NamedExpr, scope: Scope) -> None:
        self._assign(node.target, node.value, scope)

    def _opaque(self, target: cst.BaseExpression, why: str, scope: Scope) -> None:
        for name in _target_names(target):
            scope.bind(name, Opaque(why))

    def for_(self, node: cst.For, scope: Scope) -> None:
        if isinstance(node.target, cst.Name):
            scope.bind(node.target.value, Opaque("loop variable", node.iter, scope))
            return
        self._opaque(node.target, "loop variable", scope)

    def with_item(self, node: cst.WithItem, scope: Scope) -> None:
        if node.asname is not None:
            self._opaque(node.asname.name, "`with ... as` variable", scope)

    def except_handler(self, node: cst.ExceptHandler | cst.ExceptStarHandler, scope: Scope) -> None:
        if node.name is not None:
            self._opaque(node.name.name, "exception variable", scope)

    def match_capture(self, node: cst.MatchAs | cst.MatchStar, scope: Scope) -> None:
        if node.name is not None:
            scope.bind(node.name.value, Opaque("match capture"))

    def match_mapping(self, node: cst.MatchMapping, scope: Scope) -> None:
        if node.rest is not None:
            scope.bind(node.rest.value, Opaque("match capture"))

    def call(self, node: cst.Call, scope: Scope) -> None:
        self.calls.append(node)
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value in MUTATING_METHODS:
            self._mutate(func.value, scope)
        elif isinstance(func, cst.Name) and func.value in ("setattr", "delattr"):
            # ``setattr(obj, "act", ...)``: any name it could be (a computed one: every name).
            given = node.args[1].value if len(node.args) > 1 else None
            written = values.string(given) if given is not None else None
            self.attribute_writes.add(written if written is not None else "*")


_Inner = tuple[tuple[str, ...], Scope]
_Handler = Callable[[_Builder, Any, Scope], "_Inner | None"]
_HANDLERS: dict[type[cst.CSTNode], _Handler] = {
    cst.FunctionDef: _Builder.function_def,
    cst.Lambda: _Builder.lambda_,
    cst.ClassDef: _Builder.class_def,
    cst.ListComp: _Builder.comprehension,
    cst.SetComp: _Builder.comprehension,
    cst.DictComp: _Builder.comprehension,
    cst.GeneratorExp: _Builder.comprehension,
    cst.Global: _Builder.global_,
    cst.Nonlocal: _Builder.nonlocal_,
    cst.Import: _Builder.import_,
    cst.ImportFrom: _Builder.import_from,
    cst.Assign: _Builder.assign,
    cst.AnnAssign: _Builder.ann_assign,
    cst.AugAssign: _Builder.aug_assign,
    cst.Del: _Builder.del_,
    cst.NamedExpr: _Builder.named_expr,
    cst.For: _Builder.for_,
    cst.WithItem: _Builder.with_item,
    cst.ExceptHandler: _Builder.except_handler,
    cst.ExceptStarHandler: _Builder.except_handler,
    cst.MatchAs: _Builder.match_capture,
    cst.MatchStar: _Builder.match_capture,
    cst.MatchMapping: _Builder.match_mapping,
    cst.Call: _Builder.call,
    cst.Return: _Builder.return_,
}


def index_module(module: cst.Module) -> ModuleIndex:
    """Walk ``module`` once and return its scopes, node scopes and calls."""
    builder = _Builder(module)
    builder.walk(module)
    return ModuleIndex(
        module,
        builder.root,
        builder.scope_of,
        builder.calls,
        builder.mutations,
        builder.inner_scopes,
        attribute_writes=builder.attribute_writes,
    )
