"""One cheap pass over a module: its scopes, what each name is bound to, and every call.

This replaces libcst's ScopeProvider/QualifiedNameProvider (which cost several times the parse):
we only record, per scope, the bindings the resolver needs (imports, simple assignments, parameters
with their defaults, definitions) and, for every node, the scope it is evaluated in. Control flow is
ignored: a name bound twice in one scope has two bindings and the resolver decides what that means.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import libcst as cst

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
    """A function or lambda parameter; ``default`` is evaluated in ``def_scope`` (the def's)."""

    name: str
    default: cst.BaseExpression | None
    def_scope: Scope


@dataclass(frozen=True)
class Definition:
    """``def name`` or ``class name``: a local thing that only shares a name with a Keras one."""

    kind: Literal["function", "class"]
    node: cst.FunctionDef | cst.ClassDef


@dataclass(frozen=True)
class Opaque:
    """A binding whose value the analyzer does not follow (loop variable, ``with ... as``...)."""

    why: str


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
    """What the pass found: the module scope, every node's scope, every call in source order."""

    module: cst.Module
    scope: Scope
    scope_of: dict[int, Scope]
    calls: list[cst.Call]


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


class _Builder(cst.CSTVisitor):
    def __init__(self, module: cst.Module) -> None:
        self.root = Scope("module", None, module)
        self.stack: list[Scope] = [self.root]
        self.scope_of: dict[int, Scope] = {}
        self.calls: list[cst.Call] = []
        # Bodies whose scope starts when the walk reaches them (defaults/decorators stay outside).
        self.pending: dict[int, Scope] = {}

    @property
    def current(self) -> Scope:
        return self.stack[-1]

    def on_visit(self, node: cst.CSTNode) -> bool:
        opened = self.pending.pop(id(node), None)
        if opened is not None:
            self.stack.append(opened)
        self.scope_of[id(node)] = self.current
        if isinstance(node, cst.Call):
            self.calls.append(node)
        return super().on_visit(node)

    def on_leave(self, original_node: cst.CSTNode) -> None:
        super().on_leave(original_node)
        if self.current.node is original_node and len(self.stack) > 1:
            self.stack.pop()

    # -- scopes -----------------------------------------------------------------------------------

    def _open_at(self, body: cst.CSTNode, scope: Scope) -> None:
        """Start ``scope`` when the walk reaches ``body``; it ends when the walk leaves ``body``."""
        scope.node = body
        self.pending[id(body)] = scope

    def _bind_params(self, params: cst.Parameters, scope: Scope, def_scope: Scope) -> None:
        every = [*params.posonly_params, *params.params, *params.kwonly_params]
        for param in every:
            scope.bind_here(param.name.value, Param(param.name.value, param.default, def_scope))
        for star in (params.star_arg, params.star_kwarg):
            if isinstance(star, cst.Param):
                scope.bind_here(star.name.value, Opaque("`*args`/`**kwargs` parameter"))

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.current.bind(node.name.value, Definition("function", node))
        scope = Scope("function", self.current, node.body)
        self._bind_params(node.params, scope, self.current)
        self._open_at(node.body, scope)

    def visit_Lambda(self, node: cst.Lambda) -> None:
        scope = Scope("lambda", self.current, node.body)
        self._bind_params(node.params, scope, self.current)
        self._open_at(node.body, scope)

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.current.bind(node.name.value, Definition("class", node))
        self._open_at(node.body, Scope("class", self.current, node.body))

    def _comprehension(self, node: cst.CSTNode, for_in: cst.CompFor) -> None:
        scope = Scope("comprehension", self.current, node)
        clause: cst.CompFor | None = for_in
        while clause is not None:
            for name in _target_names(clause.target):
                scope.bind_here(name, Opaque("comprehension variable"))
            clause = clause.inner_for_in
        self.stack.append(scope)

    def visit_ListComp(self, node: cst.ListComp) -> None:
        self._comprehension(node, node.for_in)

    def visit_SetComp(self, node: cst.SetComp) -> None:
        self._comprehension(node, node.for_in)

    def visit_DictComp(self, node: cst.DictComp) -> None:
        self._comprehension(node, node.for_in)

    def visit_GeneratorExp(self, node: cst.GeneratorExp) -> None:
        self._comprehension(node, node.for_in)

    # -- bindings ---------------------------------------------------------------------------------

    def visit_Global(self, node: cst.Global) -> None:
        self.current.global_names.update(item.name.value for item in node.names)

    def visit_Nonlocal(self, node: cst.Nonlocal) -> None:
        self.current.nonlocal_names.update(item.name.value for item in node.names)

    def visit_Import(self, node: cst.Import) -> None:
        for alias in node.names:
            full = _dotted(alias.name)
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                self.current.bind(alias.asname.name.value, Import(full))
            else:
                head = full.split(".", 1)[0]
                self.current.bind(head, Import(head))

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        module = "." * len(node.relative) + _dotted(node.module)
        if isinstance(node.names, cst.ImportStar):
            self.current.module.star_imports.append(module)
            return
        for alias in node.names:
            name = _dotted(alias.name)
            bound = name
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                bound = alias.asname.name.value
            self.current.bind(bound, Import(f"{module}.{name}"))

    def _assign(self, target: cst.BaseExpression, value: cst.BaseExpression | None) -> None:
        if isinstance(target, cst.Name):
            if value is None:
                self.current.bind(target.value, Opaque("unpacked value"))
            else:
                self.current.bind(target.value, Value(value, self.current))
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
                self._assign(element.value, element_value)
            return
        if isinstance(target, cst.StarredElement):
            self._assign(target.value, None)

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self._assign(target.target, node.value)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None:
            self._assign(node.target, node.value)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        for name in _target_names(node.target):
            self.current.bind(name, Opaque("variable changed by augmented assignment"))

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        self._assign(node.target, node.value)

    def _opaque_targets(self, target: cst.BaseExpression, why: str) -> None:
        for name in _target_names(target):
            self.current.bind(name, Opaque(why))

    def visit_For(self, node: cst.For) -> None:
        self._opaque_targets(node.target, "loop variable")

    def visit_WithItem(self, node: cst.WithItem) -> None:
        if node.asname is not None:
            self._opaque_targets(node.asname.name, "`with ... as` variable")

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        if node.name is not None:
            self._opaque_targets(node.name.name, "exception variable")

    def visit_ExceptStarHandler(self, node: cst.ExceptStarHandler) -> None:
        if node.name is not None:
            self._opaque_targets(node.name.name, "exception variable")

    def visit_MatchAs(self, node: cst.MatchAs) -> None:
        if node.name is not None:
            self.current.bind(node.name.value, Opaque("match capture"))

    def visit_MatchStar(self, node: cst.MatchStar) -> None:
        if node.name is not None:
            self.current.bind(node.name.value, Opaque("match capture"))

    def visit_MatchMapping(self, node: cst.MatchMapping) -> None:
        if node.rest is not None:
            self.current.bind(node.rest.value, Opaque("match capture"))


def index_module(module: cst.Module) -> ModuleIndex:
    """Walk ``module`` once and return its scopes, node scopes and calls."""
    builder = _Builder(module)
    module.visit(builder)
    return ModuleIndex(module, builder.root, builder.scope_of, builder.calls)
