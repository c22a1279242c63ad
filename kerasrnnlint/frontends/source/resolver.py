"""The interpreter's value domain: what a name, attribute or expression in a module stands for,
without running it.

Built once per module from :func:`.scopes.index_module` (one visitor pass). Every method takes a
libcst node of that module and, optionally, the scope it is evaluated in (by default the scope the
node was found in, :meth:`Resolver.scope_of`); values and dotted names are computed once per
(node, scope). The interpreter (:mod:`.interpreter`) asks it for the leaves of its walk and the
arguments of the layers it constructs, the module summary (:mod:`.summary`) for what a module
exports:

- :meth:`Resolver.keras_class`: the Keras class (or capitalised factory) a callee names:
  ``"LSTM"``, ``"Conv1D"``, ``"Sequential"``, ``"Input"``, ``"Adam"``; None when it is not Keras.
- :meth:`Resolver.value`: the resolved value of an expression as an :class:`~kerasrnnlint.ir.Arg`
  (known value, or unknown with the reason, and where it came from).
- :meth:`Resolver.qualified_name`: the dotted name an expression refers to
  (``tensorflow.keras.layers.LSTM``), following imports, aliases and rebindings.
- :meth:`Resolver.deref`: the expression a name was assigned (``x = Conv1D(...)`` → the call).
- :meth:`Resolver.dict_items`: the entries of a dict an expression evaluates to, when visible.
- :meth:`Resolver.span` / :meth:`Resolver.location`: where a node is (1-based rows and columns).
- :func:`argument`: the expression a call passes as ``keyword=`` or at a position.

Positions are computed lazily, on the first call to :meth:`span` (one lean codegen pass over the
module, :mod:`.positions`), so files without a recurrent layer never pay for them.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import libcst as cst

from kerasrnnlint import activations
from kerasrnnlint.frontends.source import imports, values
from kerasrnnlint.frontends.source.positions import (
    STATEMENT_SPANS,
    Positions,
    call_lines,
    python_tree,
)
from kerasrnnlint.frontends.source.scopes import (
    Binding,
    Definition,
    Import,
    ModuleIndex,
    Opaque,
    Param,
    Scope,
    Value,
)
from kerasrnnlint.ir import (
    KERAS_OBJECT_CLASSES,
    Arg,
    ArgValue,
    Location,
    Span,
    as_keras_object,
    keras_object,
)

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    from kerasrnnlint.frontends.source.project import ModuleRef, Project, Resolution
    from kerasrnnlint.frontends.source.summary import CallSite, Export, ModuleSummary

# Origins that say more than the name a value is reached through: kept as they are.
KEPT_ORIGINS = ("search space", "choices of command-line option", "command-line default")

# The methods that change a list in place (a loop over it no longer iterates what is written).
LIST_MUTATORS: frozenset[str] = frozenset(
    {"append", "extend", "insert", "remove", "pop", "clear", "sort", "reverse"}
)

# How many names/attributes/subscripts a resolution may follow (guards against ``a = b; b = a``).
MAX_DEPTH = 64


@dataclass(frozen=True)
class DictItem:
    """One ``key: value`` of a dict literal or ``dict(key=value)`` call.

    ``scope`` is where ``value`` is evaluated; ``via`` is the expression at the use site through
    which the dict was reached (``cfg`` in ``LSTM(**cfg)``), None when the dict is written there.
    An entry of a dict of another module has no expression here: ``export`` is what its module's
    summary says (:mod:`.summary`) and ``home`` where it is written (for messages).
    """

    key: str
    value: cst.BaseExpression
    scope: Scope
    via: cst.BaseExpression | None
    export: Any = None
    home: str = ""


@dataclass(frozen=True)
class DictView:
    items: tuple[DictItem, ...]
    open: bool  # some entries could not be seen (``{**unknown}``, a non-literal key)

    def get(self, key: str) -> DictItem | None:
        found = None
        for item in self.items:
            if item.key == key:
                found = item  # later entries win, as in Python
        return found


@dataclass(frozen=True)
class Candidate:
    """One value ``self.attr`` may have: an expression of this module, or an export of another
    module (a subclass there overriding a class attribute); ``label`` says which, for messages."""

    label: str
    expr: cst.BaseExpression | None = None
    scope: Scope | None = None
    remote: Any = None  # a project Resolution


class Resolver:
    """Import, alias and value resolution for one module (see the module docstring)."""

    def __init__(
        self,
        index: ModuleIndex,
        path: str,
        project: tuple[Project, ModuleRef] | None = None,
        text: str | None = None,
    ) -> None:
        self.index = index
        # The text the module was parsed from: lines of calls without a codegen (:meth:`line`).
        self.text = text
        self._call_lines: dict[int, int] | None = None
        self._tree: ast.Module | bool | None = False  # CPython's tree of the text; False: not yet
        # False: values come without spans (a module summarised for others shows none).
        self.spans = True
        self.module = index.module
        self.path = path
        # The project the module belongs to (:mod:`.project`): imports of its other modules are
        # followed through their summaries. None: this module alone.
        self.project = project
        self._positions: Positions | None = None
        # Names are resolved once per (name, scope holding it); a name met again while it is
        # being resolved (``x = x + 1``, ``tf = tf.compat.v1``) is a cycle, cut there.
        self._names: dict[tuple[str, int], str | None] = {}
        self._values: dict[tuple[str, int, bool], Arg] = {}
        self._active: set[tuple[str, int]] = set()
        self._cycles = 0  # how many cycles were cut so far
        self._active_values: set[tuple[str, int, bool]] = set()
        # Resolving an activation argument: only then are the other modules' calls of a
        # function searched for what they pass (the search costs; other arguments never need it).
        self._activation = False
        self._dicts: dict[tuple[int, int], DictView | None] = {}
        # The calls by callee name ("": ``super().__init__``), for :meth:`_calls_of`.
        self._callees: dict[str, list[tuple[int, cst.Call]]] | None = None
        # Each expression is evaluated once per (node, scope, activation search): the
        # interpreter's walk, the layer records and the summary ask for the same values.
        self._evaluated: dict[tuple[int, int, bool, bool], Arg] = {}
        self._qualified: dict[tuple[int, int], str | None] = {}

    # -- where things are -------------------------------------------------------------------------

    def scope_of(self, node: cst.CSTNode) -> Scope:
        """The scope ``node`` is evaluated in (the module scope for nodes the pass did not see)."""
        return self.index.scope_of.get(id(node), self.index.scope)

    def span(self, node: cst.CSTNode) -> Span | None:
        """The source range of ``node``: 1-based rows and columns, end column exclusive."""
        if self._positions is None:
            tree = self._python_tree() if STATEMENT_SPANS else None
            self._positions = Positions(self.module, self.text, tree, self.index.scope_of)
        return self._positions.span(node)

    def _python_tree(self) -> ast.Module | None:
        """CPython's tree of the text, parsed once (call lines and positions both use it)."""
        if self._tree is False:
            self._tree = python_tree(self.text) if self.text is not None else None
        return self._tree if isinstance(self._tree, ast.Module) else None

    def _span_if(self, node: cst.CSTNode) -> Span | None:
        return self.span(node) if self.spans else None

    def line(self, call: cst.Call) -> int | None:
        """The first line of ``call``: what ``span(call).line`` gives, without the positions
        pass when it did not run (CPython's parser of the text gives calls' lines)."""
        if self._positions is None and self.text is not None:
            if self._call_lines is None:
                self._call_lines = call_lines(self._python_tree(), self.index.calls) or {}
            found = self._call_lines.get(id(call))
            if found is not None:
                return found
        span = self.span(call)
        return span.line if span is not None else None

    def location(self, node: cst.CSTNode) -> Location:
        return Location(path=self.path, span=self.span(node))

    def code(self, node: cst.CSTNode) -> str:
        """The source text of ``node`` on one line, shortened for messages.

        Once the positions pass ran (a file whose values are resolved needs their spans),
        expressions are cut from its text, not generated again node by node."""
        if self._positions is not None and isinstance(node, cst.BaseExpression):
            found = self._positions.expression_code(node)
            if found is not None:
                return values.excerpt(found)
        return values.excerpt(self.module.code_for_node(node))

    # -- names ------------------------------------------------------------------------------------

    def bindings(self, name: str, scope: Scope) -> list[Binding]:
        """What ``name`` is bound to when read in ``scope`` (``[]`` when unbound here)."""
        return self._bindings(name, scope)[0]

    def _bindings(self, name: str, scope: Scope) -> tuple[list[Binding], tuple[str, int]]:
        """The bindings and a key naming them (the name and the scope that holds them)."""
        found, holder = scope.lookup(name)
        if found and holder is not None:
            return found, (name, id(holder))
        module = scope.module
        for star in module.star_imports:
            if imports.is_keras_module(star):
                return [Import(f"{star}.{name}")], (name, id(module))
            if self.project is not None:
                project, here = self.project
                if project.star_provides(star, name, here):
                    return [Import(f"{star}.{name}")], (name, id(module))
        return [], (name, id(module))

    # -- other modules of the project -------------------------------------------------------------

    def resolve_project(self, name: str) -> Resolution | None:
        """What a dotted name this module imports finally is, across the project (None: this
        module is analysed alone)."""
        if self.project is None:
            return None
        project, here = self.project
        return project.resolve(name, here)

    def _project_name(self, name: str | None) -> str | None:
        """A dotted name with the project's re-exports followed to the name outside the project
        they stand for (``common.layers`` → ``keras.layers``); else unchanged."""
        if name is None or self.project is None:
            return name
        from kerasrnnlint.frontends.source.project import Outside

        found = self.resolve_project(name)
        return found.name if isinstance(found, Outside) else name

    def export_arg(self, found: Resolution, dotted: str, literal: str | None = None) -> Arg | None:
        """The value a name of another module has (None: it leaves the project and is not an
        activation function)."""
        from kerasrnnlint.frontends.source.project import Missing, Outside
        from kerasrnnlint.frontends.source.summary import Const, DictOf, Function, Klass, Unknown

        if isinstance(found, Outside):
            canonical = imports.activation(found.name)
            return Arg(canonical, origin=f"`{found.name}`") if canonical is not None else None
        if isinstance(found, Missing):
            return Arg.unknown(f"`{dotted}`: {found.why}")
        export = found.export
        if isinstance(export, Const):
            origin = export.origin
            if origin == "literal":
                origin = literal or f"constant `{found.name}`"
            return Arg(export.value, origin=f"{origin} in {found.where}")
        if isinstance(export, Unknown):
            return Arg.unknown(f"`{dotted}` in {found.where}: {export.why}")
        kind = {DictOf: "dict", Function: "function", Klass: "class"}.get(type(export), "module")
        return Arg.unknown(f"`{dotted}` is a {kind} of {found.where}")

    def _export_view(self, found: Resolution, via: cst.BaseExpression) -> DictView | None:
        """The entries of a dict of another module."""
        from kerasrnnlint.frontends.source.project import Inside
        from kerasrnnlint.frontends.source.summary import DictOf

        if self.project is None or not isinstance(found, Inside):
            return None
        if not isinstance(found.export, DictOf):
            return None
        project = self.project[0]
        items = [
            DictItem(name, via, self.index.scope, via, resolution, found.where)
            for name, resolution in project.entries(found)
        ]
        return _view(items, found.export.open)

    def item_value(self, item: DictItem) -> Arg:
        """The value of one dict entry, written in this module or in another."""
        if item.export is None:
            activation = item.key in ("activation", "recurrent_activation")
            return self.value(item.value, item.scope, activation=activation)
        arg = self.export_arg(item.export, item.key, literal=f"entry {item.key!r}")
        if arg is None:
            return Arg.unknown(f"entry {item.key!r} in {item.home}", self._span_if(item.value))
        return Arg(arg.value, arg.known, arg.origin, self._span_if(item.value))

    def _unseen_entry(self, expr: cst.Subscript, scope: Scope, depth: int) -> Arg:
        """Why an entry cannot be seen; for a dict of another module, that module's reason."""
        unresolved = Arg.unknown(f"unresolved `{self.code(expr)}`")
        keyed = values.subscript_keys(expr)
        if keyed is None:
            return unresolved
        base, keys = keyed
        written = self._qualified_name(base, scope, depth + 1)
        if self.project is None or written is None:
            return unresolved
        project, here = self.project
        found = project.resolve_keys(written, keys, here)
        if found is None:
            return unresolved
        arg = self.export_arg(found, self.code(expr))
        return arg if arg is not None and not arg.known else unresolved

    def is_imported(self, name: cst.Name) -> bool:
        """Is ``name`` bound by an import (only), where it is read?"""
        found = self.bindings(name.value, self.scope_of(name))
        return bool(found) and all(isinstance(b, Import) for b in found)

    def changed_in_place(self, name: str, scope: Scope) -> bool:
        return self._changed_in_place(name, scope)

    def returns_of(self, node: cst.FunctionDef) -> list[tuple[cst.BaseExpression, Scope]]:
        """The expressions the ``return`` statements of a function give, with their scope."""
        inner = self.index.inner_scopes.get(id(node))
        if inner is None:
            return []
        return [(expr, inner) for expr in inner.returns]

    def class_scope(self, node: cst.ClassDef) -> Scope | None:
        return self.index.inner_scopes.get(id(node))

    def _scope(self, node: cst.CSTNode, scope: Scope | None) -> Scope:
        return scope if scope is not None else self.scope_of(node)

    def qualified_name(self, expr: cst.BaseExpression, scope: Scope | None = None) -> str | None:
        """The dotted name ``expr`` refers to (``tensorflow.keras.layers.LSTM``), or None.

        Follows imports (every style, aliases, try/except alternatives that agree), rebindings
        (``keras = tf.keras``, ``RNNLayer = layers.LSTM``) and parameter defaults
        (``def build(cell=LSTM)``). A local ``def``/``class`` of that name gives None.
        """
        where = self._scope(expr, scope)
        key = (id(expr), id(where))
        if key not in self._qualified:
            self._qualified[key] = self._project_name(self._qualified_name(expr, where, 0))
        return self._qualified[key]

    def _qualified_name(self, expr: cst.BaseExpression, scope: Scope, depth: int) -> str | None:
        if depth > MAX_DEPTH:
            return None
        if isinstance(expr, cst.Name):
            found, key = self._bindings(expr.value, scope)
            if key in self._names:
                return self._names[key]
            if key in self._active:
                self._cycles += 1
                return None  # ``tf = tf.compat.v1``: the other bindings decide
            self._active.add(key)
            try:
                name = self._binding_names(found, depth)
            finally:
                self._active.discard(key)
            self._names[key] = name
            return name
        if isinstance(expr, cst.Attribute):
            candidates = self._self_candidates(expr, scope)
            if candidates is not None:
                names = set()
                for candidate in candidates:
                    value, where = candidate.expr, candidate.scope
                    if candidate.remote is not None:
                        names.add(_remote_name(candidate.remote))
                    elif value is not None and where is not None:
                        if isinstance(value, cst.Name) and value.value == "None":
                            continue
                        names.add(self._qualified_name(value, where, depth + 1))
                return names.pop() if len(names) == 1 else None
            base = self._qualified_name(expr.value, scope, depth + 1)
            return f"{base}.{expr.attr.value}" if base else None
        if isinstance(expr, cst.Call):
            return self._returned_name(expr, scope, depth)
        if isinstance(expr, cst.Subscript):
            item = self._subscript_item(expr, scope, depth)
            if item is None:
                return None
            if item.export is not None:
                from kerasrnnlint.frontends.source.project import Outside

                return item.export.name if isinstance(item.export, Outside) else None
            return self._qualified_name(item.value, item.scope, depth + 1)
        return None

    def _returned_name(self, call: cst.Call, scope: Scope, depth: int) -> str | None:
        """A factory: ``make_cell()`` names what every ``return`` of ``make_cell`` names (a
        function of this module, or of another module of the project)."""
        func = call.func
        if isinstance(func, cst.Name):
            bound = self.bindings(func.value, scope)
            if len(bound) == 1 and isinstance(bound[0], Definition):
                node = bound[0].node
                if not isinstance(node, cst.FunctionDef):
                    return None
                returned = self.returns_of(node)
                names = {self._qualified_name(e, w, depth + 1) for e, w in returned}
                return names.pop() if len(names) == 1 else None
        if self.project is None:
            return None
        written = self._qualified_name(func, scope, depth + 1)
        if written is None:
            return None
        from kerasrnnlint.frontends.source.project import Outside

        project, here = self.project
        found = project.returned(written, here)
        return found.name if isinstance(found, Outside) else None

    def _self_candidates(self, expr: cst.Attribute, scope: Scope) -> list[Candidate] | None:
        """What ``self.attr`` read in a method may be: the values its class assigns to
        ``self.attr`` in its methods; else the class attribute (of the class or a base class of
        this module) followed by the overrides in its subclasses of this module. Each with a
        label for messages. None when ``expr`` is not an attribute of ``self``."""
        base = expr.value
        if not isinstance(base, cst.Name):
            return None
        found, holder = scope.lookup(base.value)
        if (
            holder is None
            or holder.self_name != base.value
            or len(found) != 1
            or not isinstance(found[0], Param)
            or holder.parent is None
            or holder.parent.kind != "class"
        ):
            return None
        cls = holder.parent
        attr = expr.attr.value
        assigned = cls.instance_attrs.get(attr)
        if assigned:
            return [Candidate(f"`self.{attr}`", value.expr, value.scope) for value in assigned]
        if any(isinstance(b, Definition) for b in cls.bindings.get(attr, ())):
            return None  # a method
        candidates: list[Candidate] = []
        subclasses = self._subclasses(cls)
        own = self._class_attribute(cls, attr, 0)
        # Subclasses elsewhere are asked only about a class attribute this class declares
        # (``activation = 'tanh'``): every ``self.method(...)`` would otherwise search.
        remote = self._remote_overrides(cls, attr) if own is not None else []
        if not subclasses and not remote and not _derived(cls.definition):
            # ``class Trainer:`` holds plain state anyone may reassign (``t.act = ...``): its
            # class attribute is the value only while nothing in the module writes that
            # attribute (no ``self.act =``, no ``t.act =``, no ``setattr``). A class derived
            # from a base (a Keras layer or model, a base of the project) or specialised by
            # subclasses declares configuration in its class attributes.
            writes = self.index.attribute_writes
            if own is None or attr in writes or "*" in writes:
                return None
        if own is not None:
            candidates.append(Candidate(f"class attribute `{attr}`", own[0], own[1]))
        else:
            candidates.extend(self._inherited_from_elsewhere(cls, attr))
        for sub in subclasses:
            bound = sub.bindings.get(attr)
            if bound and len(bound) == 1 and isinstance(bound[0], Value):
                name = sub.definition.name.value if sub.definition is not None else "?"
                label = f"class attribute `{attr}` of subclass `{name}`"
                candidates.append(Candidate(label, bound[0].expr, sub))
        candidates.extend(remote)
        return candidates or None

    def _inherited_from_elsewhere(self, cls: Scope, attr: str) -> list[Candidate]:
        """``self.attr`` a base class of another module sets (in its ``__init__``, or as a
        class attribute)."""
        from kerasrnnlint.frontends.source.project import Inside
        from kerasrnnlint.frontends.source.summary import Klass

        node = cls.definition
        if self.project is None or not isinstance(node, cst.ClassDef):
            return []
        project, here = self.project
        for base in node.bases:
            written = self._qualified_name(base.value, self.scope_of(base.value), 0)
            if written is None:
                continue
            found = project.resolve(written, here)
            if not isinstance(found, Inside) or not isinstance(found.export, Klass):
                continue
            klass = found.export
            export = klass.get_instance(attr) or klass.get(attr)
            if export is not None:
                label = f"`self.{attr}` of base class `{found.name}` in {found.where}"
                return [Candidate(label, remote=project.attribute(export, found.module, attr))]
        return []

    def _remote_overrides(self, cls: Scope, attr: str) -> list[Candidate]:
        """Class attributes ``attr`` of the subclasses of ``cls`` in other modules."""
        node = cls.definition
        if self.project is None or not isinstance(node, cst.ClassDef):
            return []
        if cls.parent is None or cls.parent.kind != "module":
            return []
        project, here = self.project
        found = []
        with self._as_linted():
            subclasses = project.subclasses(here, node.name.value)
        for name, klass, other in subclasses:
            export = klass.get(attr)
            if export is not None:
                label = f"class attribute `{attr}` of subclass `{name}` in {project.where(other)}"
                found.append(Candidate(label, remote=project.attribute(export, other, attr)))
        return found

    def _class_attribute(
        self, cls: Scope, attr: str, depth: int
    ) -> tuple[cst.BaseExpression, Scope] | None:
        bound = cls.bindings.get(attr)
        if bound:
            if len(bound) == 1 and isinstance(bound[0], Value):
                return bound[0].expr, cls
            return None
        node = cls.definition
        if not isinstance(node, cst.ClassDef) or depth > 16:
            return None
        for base in node.bases:
            parent = self._local_class(base.value)
            if parent is not None:
                found = self._class_attribute(parent, attr, depth + 1)
                if found is not None:
                    return found
        return None

    def _local_class(self, expr: cst.BaseExpression) -> Scope | None:
        if not isinstance(expr, cst.Name):
            return None
        bound = self.bindings(expr.value, self.scope_of(expr))
        if len(bound) == 1 and isinstance(bound[0], Definition):
            return self.index.inner_scopes.get(id(bound[0].node))
        return None

    def _subclasses(self, cls: Scope) -> list[Scope]:
        """The classes of this module derived from ``cls`` (directly or not), bounded."""
        found: list[Scope] = []
        frontier = [cls]
        while frontier and len(found) < 64:
            parent = frontier.pop()
            for scope in self.index.inner_scopes.values():
                node = scope.definition
                if scope.kind != "class" or not isinstance(node, cst.ClassDef):
                    continue
                derived = any(self._local_class(b.value) is parent for b in node.bases)
                if derived and scope not in found:
                    found.append(scope)
                    frontier.append(scope)
        return found

    def _binding_names(self, found: list[Binding], depth: int) -> str | None:
        """The one dotted name all bindings agree on. ``NAME = None`` (the fallback of a failed
        optional import) and a self-reference (``tf = tf.compat.v1``, cut as a cycle) do not
        count; any other binding that names nothing (``LSTM = my_factory``, a loop variable, a
        local ``def``) makes the name ambiguous: None."""
        results: list[str] = []
        for binding in found:
            if isinstance(binding, Import):
                results.append(self._project_name(binding.qualified_name) or "")
                continue
            if isinstance(binding, (Definition, Opaque)):
                return None
            if isinstance(binding, Value):
                expr, where = binding.expr, binding.scope
            elif binding.default is not None:
                expr, where = binding.default, binding.def_scope
            else:
                # A parameter without a default: what every call of this module passes for it
                # (``super().__init__(layers.LSTM)``), when they all agree.
                passed = self._passed(binding)
                names = {self._qualified_name(e, w, depth + 1) for _, e, w in passed}
                if binding.def_scope.kind == "class":
                    # A class handed to a base class by its subclasses elsewhere
                    # (``super().__init__(layers.LSTM)``). Only there: a callee that is a
                    # parameter of a plain function is not looked up project-wide (every call
                    # of the module asks, and most such parameters are callbacks).
                    names.update(self._remote_names(binding))
                if len(names) != 1 or None in names:
                    return None
                results.append(names.pop() or "")
                continue
            if isinstance(expr, cst.Name) and expr.value == "None":
                continue
            cycles = self._cycles
            result = self._qualified_name(expr, where, depth + 1)
            if result:
                results.append(result)
            elif self._cycles == cycles:
                return None
        if results and len({imports.normalize(r) for r in results}) == 1:
            return results[0]
        return None

    def keras_class(self, expr: cst.BaseExpression, scope: Scope | None = None) -> str | None:
        """The Keras class a callee expression names, canonical (``"LSTM"``, ``"Adam"``,
        ``"Sequential"``, ``"Input"``), or None when it is not reached through Keras."""
        return imports.keras_class(self.qualified_name(expr, scope))

    def deref(
        self, expr: cst.BaseExpression, scope: Scope | None = None
    ) -> tuple[cst.BaseExpression, Scope]:
        """Follow names with exactly one assignment (``x = Conv1D(8)(x)`` → that call) and
        subscripts of visible dicts to the expression that gives the value, and its scope.
        Returns ``expr`` itself when there is nothing (unambiguous) to follow."""
        current, where = expr, self._scope(expr, scope)
        for _ in range(MAX_DEPTH):
            if isinstance(current, cst.Name):
                found = self.bindings(current.value, where)
                if len(found) != 1 or not isinstance(found[0], Value):
                    break
                current, where = found[0].expr, found[0].scope
            elif isinstance(current, cst.Subscript):
                item = self._subscript_item(current, where, 0)
                if item is None or item.export is not None:
                    break
                current, where = item.value, item.scope
            else:
                break
        return current, where

    # -- values -----------------------------------------------------------------------------------

    def value(
        self, expr: cst.BaseExpression, scope: Scope | None = None, activation: bool = False
    ) -> Arg:
        """The value of ``expr`` as an :class:`Arg` whose ``span`` is ``expr``'s range.

        Literals, module and local constants, parameter defaults (origin "default of parameter
        `act`"), visible dict entries, activation functions by reference (``tf.nn.relu`` →
        ``"relu"``, canonical), simple arithmetic. Anything else is unknown, with the reason.
        Strings are returned as written: :func:`kerasrnnlint.activations.canonical` them if they
        name an activation.
        """
        outer = self._activation
        where = self._scope(expr, scope)
        key = (id(expr), id(where), activation or outer, self.spans)
        found = self._evaluated.get(key)
        if found is not None:
            return found
        self._activation = activation or outer
        try:
            arg = self._value(expr, where, 0)
        finally:
            self._activation = outer
        found = Arg(arg.value, arg.known, arg.origin, self._span_if(expr), arg.keyword)
        self._evaluated[key] = found
        return found

    def _value(self, expr: cst.BaseExpression, scope: Scope, depth: int) -> Arg:
        if depth > MAX_DEPTH:
            return Arg.unknown(f"`{self.code(expr)}` is too indirect")
        text = values.string(expr)
        if text is not None:
            return Arg(text)
        num = values.number(expr)
        if num is not None:
            return Arg(num)
        if isinstance(expr, cst.FormattedString):
            return Arg.unknown("f-string")
        if isinstance(expr, cst.Name):
            return self._name_value(expr, scope, depth)
        if isinstance(expr, cst.Attribute):
            return self._reference_value(expr, scope, depth)
        if isinstance(expr, (cst.Tuple, cst.List)):
            return self._sequence_value(expr, scope, depth)
        if isinstance(expr, cst.Subscript):
            item = self._subscript_item(expr, scope, depth)
            if item is None:
                option = self._option_entry(expr, scope, depth)
                if option is not None:
                    return option
                searched = self._searched_entry(expr, scope, depth)
                if searched is not None:
                    return searched
                return self._unseen_entry(expr, scope, depth)
            if item.export is not None:
                inner = self.item_value(item)
                home = f" in {item.home}"
            else:
                inner = self._value(item.value, item.scope, depth + 1)
                home = ""
            return self._through(inner, f"`{self.code(expr)}`{home}")
        if isinstance(expr, cst.BinaryOperation):
            left = self._value(expr.left, scope, depth + 1)
            right = self._value(expr.right, scope, depth + 1)
            if left.known and right.known:
                result = values.arithmetic(expr.operator, left.value, right.value)
                if result is not values.NOT_COMPUTED:
                    origin = next((a.origin for a in (left, right) if a.origin != "literal"), None)
                    return Arg(result, origin=origin or "literal")  # type: ignore[arg-type]
            return Arg.unknown(f"expression `{self.code(expr)}`")
        if isinstance(expr, cst.IfExp):
            body = self._value(expr.body, scope, depth + 1)
            orelse = self._value(expr.orelse, scope, depth + 1)
            if body.known and orelse.known and _same(body.value, orelse.value):
                return body
            return Arg.unknown(f"conditional `{self.code(expr)}`")
        if isinstance(expr, cst.Lambda):
            return Arg.unknown("lambda")
        if isinstance(expr, cst.Call):
            return self._call_value(expr, scope, depth)
        return Arg.unknown(f"expression `{self.code(expr)}`")

    def _name_value(self, expr: cst.Name, scope: Scope, depth: int) -> Arg:
        name = expr.value
        found, key = self._bindings(name, scope)
        if not found:
            if name in values.KEYWORD_CONSTANTS:
                return Arg(values.KEYWORD_CONSTANTS[name])
            return Arg.unknown(f"unresolved name `{name}`")
        cached = (key[0], key[1], self._activation)
        if cached in self._values:
            return self._values[cached]
        if cached in self._active_values:
            return Arg.unknown(f"`{name}` refers to itself")
        self._active_values.add(cached)
        try:
            arg = self._bindings_value(name, found, depth)
        finally:
            self._active_values.discard(cached)
        self._values[cached] = arg
        return arg

    def _bindings_value(self, name: str, found: list[Binding], depth: int) -> Arg:
        results = [self._binding_value(name, binding, depth) for binding in found]
        first = results[0]
        if all(r.known for r in results) and all(_same(r.value, first.value) for r in results):
            return first
        if len(results) == 1:
            return first
        return Arg.unknown(f"`{name}` is assigned more than one value")

    def _binding_value(self, name: str, binding: Binding, depth: int) -> Arg:
        if isinstance(binding, Import):
            found = self.resolve_project(binding.qualified_name)
            if found is not None:
                arg = self.export_arg(found, name)
                if arg is not None:
                    return arg
            canonical = imports.activation(binding.qualified_name)
            if canonical is not None:
                return Arg(canonical, origin=f"`{binding.qualified_name}`")
            return Arg.unknown(f"imported name `{name}`")
        if isinstance(binding, Value):
            inner = self._value(binding.expr, binding.scope, depth + 1)
            kind = "constant" if binding.scope.kind == "module" else "variable"
            return self._through(inner, f"{kind} `{name}`")
        if isinstance(binding, Param):
            if binding.default is None:
                base = Arg.unknown(f"parameter `{name}` (set by the caller)")
            else:
                inner = self._value(binding.default, binding.def_scope, depth + 1)
                base = self._through(inner, f"default of parameter `{name}`")
            passed = self._unbounded_passed(binding, base, depth)
            return passed if passed is not None else base
        if isinstance(binding, Definition):
            if binding.kind == "function":
                return Arg.unknown(f"custom callable `{name}`")
            return Arg.unknown(f"class `{name}`")
        assert isinstance(binding, Opaque)
        if isinstance(binding.iterable, cst.Subscript) and binding.scope is not None:
            # ``for act in GRID['activation']:``: a grid search over a dict entry.
            values_of = self._value(binding.iterable, binding.scope, depth + 1)
            label = f"search space `{self.code(binding.iterable)}`"
            space = self._space(values_of, None, label)
            if space is not None:
                return space
        elif binding.scope is not None and self._literal_sequence(binding.iterable, binding.scope):
            # ``for act in ("relu", "tanh"):``: every member is a value the variable takes.
            assert binding.iterable is not None
            members = self._value(binding.iterable, binding.scope, depth + 1)
            label = f"search space `for {name} in {self.code(binding.iterable)}`"
            listed = members.value if members.known else None
            if isinstance(listed, tuple) and all(m is None or isinstance(m, str) for m in listed):
                space = self._space(members, None, label)
                if space is not None:
                    return space
        return Arg.unknown(f"`{name}` is a {binding.why}")

    def _literal_sequence(self, expr: cst.BaseExpression | None, scope: Scope) -> bool:
        """A tuple or list written out, or a name bound once to one and never changed in place
        (``acts.append(...)``)."""
        if isinstance(expr, (cst.Tuple, cst.List)):
            return True
        if not isinstance(expr, cst.Name) or self._changed_in_place(expr.value, scope):
            return False
        found = self.bindings(expr.value, scope)
        if not (
            len(found) == 1
            and isinstance(found[0], Value)
            and isinstance(found[0].expr, (cst.Tuple, cst.List))
        ):
            return False
        return not any(
            isinstance(call.func, cst.Attribute)
            and isinstance(call.func.value, cst.Name)
            and call.func.value.value == expr.value
            and call.func.attr.value in LIST_MUTATORS
            for call in self.index.calls
        )

    def _unbounded_passed(self, param: Param, base: Arg, depth: int) -> Arg | None:
        """An unbounded activation that a call of the parameter's function, visible in this
        module, passes for it (``def make(act='tanh')`` ... ``make('relu')``), when the default
        is not one already (then the default is what is reported). Only plain functions called
        by name; the first such call wins."""
        function = param.function
        if function is None:
            return None
        if base.known and not _bounded_activation(base.value):
            return None
        # None (linear) counts only where the default shows the parameter is an activation.
        activation_param = base.known and isinstance(base.value, str)
        for call, expr, where in self._passed(param):
            value = self._value(expr, where, depth + 1)
            if not value.known or (value.value is None and not activation_param):
                continue
            if _bounded_activation(value.value) is False:
                found = self.line(call)
                line = f" at line {found}" if found is not None else ""
                return Arg(value.value, origin=f"value of parameter `{param.name}` passed{line}")
        return self._unbounded_passed_elsewhere(param, activation_param)

    def _passed(self, param: Param) -> list[tuple[cst.Call, cst.BaseExpression, Scope]]:
        """The calls of this module that pass a value for ``param``, with the value and the scope
        it is evaluated in: calls of a function by name; for ``__init__``, calls of the class and
        ``super().__init__(...)`` in its subclasses."""
        function = param.function
        if function is None:
            return []
        position = _position(function.params, param.name)
        found: list[tuple[cst.Call, cst.BaseExpression, Scope]] = []
        if param.def_scope.kind == "class":
            owner = param.def_scope.definition
            if function.name.value != "__init__" or not isinstance(owner, cst.ClassDef):
                return []
            target: cst.FunctionDef | cst.ClassDef = owner
            position = position - 1 if position else None  # ``self`` is not passed
        else:
            target = function
        for call in self._calls_of(target.name.value, isinstance(target, cst.ClassDef)):
            func = call.func
            where = self.scope_of(call)
            if isinstance(func, cst.Name) and func.value == target.name.value:
                bound = self.bindings(func.value, where)
                if len(bound) != 1 or not (
                    isinstance(bound[0], Definition) and bound[0].node is target
                ):
                    continue
            elif not (isinstance(target, cst.ClassDef) and self._super_init(call, target)):
                continue
            expr = argument(call, param.name, position)
            if expr is not None:
                found.append((call, expr, where))
        return found

    def _calls_of(self, name: str, super_init: bool) -> list[cst.Call]:
        """The calls of this module, in source order, whose callee is the name ``name``, and
        with ``super_init`` the ``super().__init__(...)`` calls too (indexed on first use:
        every parameter resolved asks, and a module has thousands of calls)."""
        if self._callees is None:
            self._callees = {}
            for order, call in enumerate(self.index.calls):
                func = call.func
                if isinstance(func, cst.Name):
                    self._callees.setdefault(func.value, []).append((order, call))
                elif (
                    isinstance(func, cst.Attribute)
                    and func.attr.value == "__init__"
                    and isinstance(func.value, cst.Call)
                ):
                    self._callees.setdefault("", []).append((order, call))
        found = self._callees.get(name, [])
        if super_init:
            found = sorted([*found, *self._callees.get("", [])], key=lambda pair: pair[0])
        return [call for _, call in found]

    def _super_init(self, call: cst.Call, cls: cst.ClassDef) -> bool:
        """``super().__init__(...)`` in a method of a direct subclass of ``cls``."""
        func = call.func
        if not (
            isinstance(func, cst.Attribute)
            and func.attr.value == "__init__"
            and isinstance(func.value, cst.Call)
            and isinstance(func.value.func, cst.Name)
            and func.value.func.value == "super"
        ):
            return False
        scope: Scope | None = self.scope_of(call)
        while scope is not None and scope.kind != "class":
            scope = scope.parent
        owner = scope.definition if scope is not None else None
        return isinstance(owner, cst.ClassDef) and any(
            self._names_class(base.value, cls) for base in owner.bases
        )

    def _names_class(self, expr: cst.BaseExpression, cls: cst.ClassDef) -> bool:
        if not isinstance(expr, cst.Name):
            return False
        bound = self.bindings(expr.value, self.scope_of(expr))
        return len(bound) == 1 and isinstance(bound[0], Definition) and bound[0].node is cls

    # This module's summary, made from the linted text once asked (see :meth:`_own_summary`).
    _own: tuple[ModuleSummary | None] | None = None

    def _own_summary(self) -> ModuleSummary | None:
        """The summary of this module, from its index (the text being linted, not parsed again):
        what the project's search for its callers and subclasses resolves their calls and bases
        through. The same as the file's own summary, computed without the project (so a content
        hash of the file would be its key); without its call sites, which that search never
        reads (it passes over the module itself). None: the project reads the file instead."""
        if self._own is None:
            from kerasrnnlint.frontends.source.summary import summarize

            made: ModuleSummary | None
            try:
                alone = Resolver(self.index, self.path, text=self.text)
                alone.spans = False
                made = summarize(alone, calls=False)
            except Exception:  # a bug of ours: the file is read as before
                made = None
            self._own = (made,)
        return self._own[0]

    def _as_linted(self) -> AbstractContextManager[None]:
        """Inside, the project takes this module's summary from :meth:`_own_summary`."""
        from contextlib import nullcontext

        from kerasrnnlint.frontends.source.project import linted

        if self.project is None:
            return nullcontext()
        return linted(self.project[1].path, self._own_summary)

    def _remote_passed(self, param: Param) -> list[tuple[Export, ModuleRef, str]]:
        """What the other modules of the project pass for ``param``: calls of a module-level
        function; for ``__init__``, calls of the class and ``super().__init__(...)`` in its
        subclasses. Each with the module and a description of the call (``build_lstm(...,
        act='relu') in train.py:8``)."""
        function = param.function
        if self.project is None or function is None:
            return []
        project, here = self.project
        position = _position(function.params, param.name)
        sites: list[tuple[CallSite, ModuleRef]] = []
        if param.def_scope.kind == "module":
            with self._as_linted():
                sites = project.callers(here, function.name.value)
        elif param.def_scope.kind == "class" and function.name.value == "__init__":
            owner = param.def_scope.definition
            scope = param.def_scope.parent
            if not isinstance(owner, cst.ClassDef) or scope is None or scope.kind != "module":
                return []
            position = position - 1 if position else None
            with self._as_linted():
                sites = list(project.callers(here, owner.name.value))
                subclasses = project.subclasses(here, owner.name.value)
            for _, klass, other in subclasses:
                if klass.init is not None:
                    sites.append((klass.init, other))
        found: list[tuple[Export, ModuleRef, str]] = []
        for call, caller in sites:
            keywords = dict(call.keywords)
            export = keywords.get(param.name)
            if export is None and position is not None and position < len(call.positional):
                export = call.positional[position]
            if export is None:
                continue
            shown = _shown(export)
            passed = f"{param.name}={shown}" if param.name in keywords else shown
            short = call.callee.rsplit(".", 1)[-1]
            if call.callee.endswith("super().__init__"):
                short = "super().__init__"
            label = f"{short}(..., {passed}) in {project.where(caller)}:{call.line}"
            found.append((export, caller, label))
        return found

    def _remote_names(self, param: Param) -> set[str | None]:
        """The dotted names other modules pass for ``param`` (``super().__init__(layers.LSTM)``
        in a subclass of another module); None for a value that names nothing."""
        from kerasrnnlint.frontends.source.project import Outside
        from kerasrnnlint.frontends.source.summary import Ref

        names: set[str | None] = set()
        for export, caller, _ in self._remote_passed(param):
            if not isinstance(export, Ref) or self.project is None:
                names.add(None)
                continue
            found = self.project[0].resolve(export.name, caller)
            names.add(found.name if isinstance(found, Outside) else None)
        return names

    def _unbounded_passed_elsewhere(self, param: Param, activation_param: bool) -> Arg | None:
        """An unbounded activation another module of the project passes for ``param``."""
        from kerasrnnlint.frontends.source.summary import Const

        if not self._activation:
            return None
        for export, _, label in self._remote_passed(param):
            if not isinstance(export, Const):
                continue
            if export.value is None and not activation_param:
                continue
            if _bounded_activation(export.value) is False:
                origin = f"value of parameter `{param.name}` passed via {label}"
                return Arg(export.value, origin=origin)
        return None

    @staticmethod
    def _through(inner: Arg, origin: str) -> Arg:
        """``inner`` reached through a name or entry: the outermost one is the origin people see
        (``constant `ACT```, ``default of parameter `act```)."""
        if not inner.known or inner.origin.startswith(KEPT_ORIGINS):
            return inner
        return Arg(inner.value, origin=origin)

    def _self_value(self, expr: cst.Attribute, candidates: list[Candidate], depth: int) -> Arg:
        """The value of ``self.attr`` from its candidates (see :meth:`_self_candidates`): the one
        they agree on; else an unbounded activation one of them gives (a subclass overriding
        ``activation = 'relu'``); else unknown."""
        results = [(c.label, self._candidate_value(c, depth)) for c in candidates]
        first = results[0][1]
        if all(r.known and _same(r.value, first.value) for _, r in results):
            label = results[0][0]
            if first.origin == "literal" or first.origin.startswith("constant"):
                return Arg(first.value, origin=label if first.origin == "literal" else first.origin)
            return first
        for label, result in results:
            if result.known and _bounded_activation(result.value) is False:
                return Arg(result.value, origin=label)
        return Arg.unknown(f"`{self.code(expr)}` has more than one value")

    def _candidate_value(self, candidate: Candidate, depth: int) -> Arg:
        if candidate.remote is not None:
            arg = self.export_arg(candidate.remote, candidate.label, literal=candidate.label)
            return arg if arg is not None else Arg.unknown(candidate.label)
        if candidate.expr is None or candidate.scope is None:
            return Arg.unknown(candidate.label)
        return self._value(candidate.expr, candidate.scope, depth + 1)

    def _reference_value(self, expr: cst.Attribute, scope: Scope, depth: int) -> Arg:
        candidates = self._self_candidates(expr, scope)
        if candidates is not None:
            return self._self_value(expr, candidates, depth)
        option = self._command_line(expr.value, expr.attr.value, scope, depth)
        if option is not None:
            return option
        written = self._qualified_name(expr, scope, depth + 1)
        qualified = self._project_name(written)
        canonical = imports.activation(qualified)
        dotted = self.code(expr)
        if canonical is not None:
            return Arg(canonical, origin=f"`{dotted}`")
        if written is not None and qualified == written:
            found = self.resolve_project(written)
            arg = self.export_arg(found, dotted) if found is not None else None
            if arg is not None:
                return arg
        return Arg.unknown(f"attribute `{dotted}`")

    def _sequence_value(self, expr: cst.Tuple | cst.List, scope: Scope, depth: int) -> Arg:
        items: list[object] = []
        for element in expr.elements:
            if isinstance(element, cst.StarredElement):
                return Arg.unknown(f"unpacking in `{self.code(expr)}`")
            inner = self._value(element.value, scope, depth + 1)
            if not inner.known:
                return Arg.unknown(inner.origin)
            items.append(inner.value)
        return Arg(tuple(items))

    def _call_value(self, expr: cst.Call, scope: Scope, depth: int) -> Arg:
        qualified = self._project_name(self._qualified_name(expr.func, scope, depth + 1))
        # keras.activations.get("relu") / keras.activations.deserialize("relu")
        if (
            qualified
            and imports.normalize(qualified)
            in ("keras.activations.get", "keras.activations.deserialize")
            and len(expr.args) == 1
        ):
            inner = self._value(expr.args[0].value, scope, depth + 1)
            if inner.known and isinstance(inner.value, str):
                return Arg(inner.value, origin=f"`{self.code(expr)}`")
        found = imports.keras_object_class(qualified)
        if found is not None:
            return self._keras_object_value(expr, found[0], found[1], scope, depth)
        space = self._search_space(expr, scope, depth)
        if space is not None:
            return space
        layer = imports.keras_class(qualified)
        if layer is not None:
            applied = self._activation_layer(expr, layer, scope, depth)
            if applied is not None:
                return applied
        return Arg.unknown(f"call `{self.code(expr)}`")

    # -- configuration visible in the project: command lines and search spaces -----------------

    def _command_line(
        self, base: cst.BaseExpression, dest: str, scope: Scope, depth: int
    ) -> Arg | None:
        """``args.act`` where ``args = parser.parse_args()``: the option's default
        (``add_argument('--act', default='relu')``, ``set_defaults(act=...)``), or, without
        one, its ``choices`` as a search space. None when ``base`` is not parsed arguments."""
        parser = self._parser_of(base, scope)
        if parser is None:
            return None
        option: cst.Call | None = None
        default: cst.BaseExpression | None = None
        for call in self.index.calls:
            func = call.func
            if not isinstance(func, cst.Attribute) or not self._same_parser(func.value, parser):
                continue
            if func.attr.value == "add_argument" and _dest(call) == dest:
                option = call
                default = argument(call, "default")
            elif func.attr.value == "set_defaults":
                given = argument(call, dest)
                if given is not None:
                    default = given
        if option is None and default is None:
            return Arg.unknown(f"`{dest}` is not an option the parser defines")
        name = _option_name(option) if option is not None else dest
        if default is not None:
            value = self._value(default, self.scope_of(default), depth + 1)
            if not value.known:
                return value
            return Arg(value.value, origin=f"command-line default of `{name}`")
        choices = argument(option, "choices") if option is not None else None
        if choices is not None:
            listed = self._value(choices, self.scope_of(choices), depth + 1)
            space = self._space(listed, None, f"choices of command-line option `{name}`")
            if space is not None:
                return space
        return Arg.unknown(f"command-line option `{name}` without a default (None)")

    def _option_entry(self, expr: cst.Subscript, scope: Scope, depth: int) -> Arg | None:
        """``vars(args)['act']``: the option ``act`` of the parsed command line."""
        if len(expr.slice) != 1 or not isinstance(expr.slice[0].slice, cst.Index):
            return None
        key = values.string(expr.slice[0].slice.value)
        if key is None:
            return None
        return self._command_line(expr.value, key, scope, depth)

    def _parser_of(self, base: cst.BaseExpression, scope: Scope) -> cst.BaseExpression | None:
        """The parser whose ``parse_args()`` gives ``base`` (``args``, ``vars(args)``,
        ``parser.parse_args()`` itself), as the receiver expression of that call."""
        target, where = self.deref(base, scope)
        if (
            isinstance(target, cst.Call)
            and isinstance(target.func, cst.Name)
            and target.func.value == "vars"
            and len(target.args) == 1
        ):
            target, where = self.deref(target.args[0].value, where)
        if not (
            isinstance(target, cst.Call)
            and isinstance(target.func, cst.Attribute)
            and target.func.attr.value == "parse_args"
        ):
            return None
        return target.func.value

    def _same_parser(self, receiver: cst.BaseExpression, parser: cst.BaseExpression) -> bool:
        """Is ``receiver`` the parser (or one of its argument groups)?"""
        for _ in range(8):
            if _same_name(receiver, parser, self):
                return True
            target, _ = self.deref(receiver)
            if (
                isinstance(target, cst.Call)
                and isinstance(target.func, cst.Attribute)
                and target.func.attr.value in ("add_argument_group", "add_mutually_exclusive_group")
            ):
                receiver = target.func.value
                continue
            return False
        return False

    def _search_space(self, expr: cst.Call, scope: Scope, depth: int) -> Arg | None:
        """keras-tuner ``hp.Choice('act', [...], default=...)`` and Optuna
        ``trial.suggest_categorical('act', [...])``."""
        func = expr.func
        if not isinstance(func, cst.Attribute):
            return None
        method = func.attr.value
        if method == "Choice":
            listed = argument(expr, "values", 1)
        elif method == "suggest_categorical":
            listed = argument(expr, "choices", 1)
        else:
            return None
        if listed is None:
            return None
        members = self._value(listed, scope, depth + 1)
        given = argument(expr, "default") if method == "Choice" else None
        default = self._value(given, scope, depth + 1) if given is not None else None
        return self._space(members, default, f"search space `{self.code(expr)}`")

    def _searched_entry(self, expr: cst.Subscript, scope: Scope, depth: int) -> Arg | None:
        """``params['activation']`` in a grid search: the function is handed to a scan with
        ``params=GRID`` (talos), or ``params`` iterates ``ParameterGrid(GRID)``: the entry of
        the grid is a search space."""
        base = expr.value
        if not isinstance(base, cst.Name) or len(expr.slice) != 1:
            return None
        index = expr.slice[0].slice
        if not isinstance(index, cst.Index):
            return None
        key = values.string(index.value)
        if key is None:
            return None
        found = self.bindings(base.value, scope)
        if len(found) != 1:
            return None
        binding = found[0]
        grid: cst.BaseExpression | None = None
        if isinstance(binding, Opaque) and isinstance(binding.iterable, cst.Call):
            callee = self.qualified_name(binding.iterable.func, binding.scope) or ""
            if callee.endswith("ParameterGrid") and binding.iterable.args:
                grid = binding.iterable.args[0].value
        elif isinstance(binding, Param) and binding.default is None and binding.function:
            grid = self._scanned_grid(binding.function)
        if grid is None:
            return None
        view = self.dict_items(grid)
        item = view.get(key) if view is not None else None
        if item is None:
            return None
        listed = self.item_value(item)
        return self._space(listed, None, f"search space `{self.code(grid)}[{key!r}]`")

    def _scanned_grid(self, function: cst.FunctionDef) -> cst.BaseExpression | None:
        """The ``params=`` of a call that is handed ``function`` (``talos.Scan(x, y,
        params=p, model=build)``)."""
        for call in self.index.calls:
            handed = any(
                isinstance(arg.value, cst.Name)
                and arg.value.value == function.name.value
                and self._names_function(arg.value, function)
                for arg in call.args
            )
            if handed:
                grid = argument(call, "params")
                if grid is not None:
                    return grid
        return None

    def _names_function(self, expr: cst.Name, function: cst.FunctionDef) -> bool:
        bound = self.bindings(expr.value, self.scope_of(expr))
        return len(bound) == 1 and isinstance(bound[0], Definition) and bound[0].node is function

    @staticmethod
    def _space(members: Arg, default: Arg | None, label: str) -> Arg | None:
        """A set of choices as one value: the worst unbounded activation among them, with a
        message naming every unbounded one (``includes 'relu' and 'elu'``); when all are
        bounded activations, the default (or the first). None when the members are not all
        known activations (a space of unit counts is not ours to rate)."""
        if not members.known or not isinstance(members.value, tuple) or not members.value:
            return None
        listed: list[str | None] = [m for m in members.value if m is None or isinstance(m, str)]
        if len(listed) != len(members.value) or not all(
            bounded_activation(m) is not None for m in listed
        ):
            return Arg.unknown(f"{label} (not all activations)")
        unbounded = [m for m in listed if bounded_activation(m) is False]
        if not unbounded:
            chosen = default.value if default is not None and default.known else listed[0]
            return Arg(chosen, origin=label)

        def risk(value: str | None) -> int:
            name = activations.canonical(value) if value is not None else "linear"
            return 1 if name in activations.FAST_DIVERGING else 0

        worst = max(unbounded, key=risk)
        shown = [repr(m) for m in dict.fromkeys(unbounded)]
        names = shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]
        return Arg(worst, origin=f"{label} includes {names}")

    def _activation_layer(self, expr: cst.Call, cls: str, scope: Scope, depth: int) -> Arg | None:
        """An activation given as a layer object: ``LeakyReLU()`` applies leaky_relu,
        ``Activation(act)`` applies ``act``. ``ReLU(max_value=6)`` is bounded, which no
        activation name says: unknown."""
        from kerasrnnlint.producers import ACTIVATION_LAYERS

        origin = f"`{self.code(expr)}` layer"
        if cls == "Activation":
            given = argument(expr, "activation", 0)
            if given is None:
                return Arg.unknown(f"`{self.code(expr)}` without an activation")
            inner = self._value(given, scope, depth + 1)
            if not inner.known:
                return inner
            return Arg(inner.value, origin=origin if inner.origin == "literal" else inner.origin)
        if cls in ACTIVATION_LAYERS:
            if cls == "ReLU" and expr.args:
                return Arg.unknown(f"`{self.code(expr)}` (a ReLU with arguments)")
            return Arg(ACTIVATION_LAYERS[cls], origin=origin)
        return None

    def _keras_object_value(
        self, expr: cst.Call, module: str, cls: str, scope: Scope, depth: int
    ) -> Arg:
        """``MaxNorm(0.5)`` → ``("MaxNorm", (("max_value", 0.5),))`` (:data:`ir.KerasObject`),
        when every argument is a known literal of a parameter the class has."""
        params, defaults = KERAS_OBJECT_CLASSES[module][cls]
        config: dict[str, ArgValue] = {}
        for position, arg in enumerate(expr.args):
            if arg.star:
                return Arg.unknown(f"unpacking in `{self.code(expr)}`")
            if arg.keyword is not None:
                key = arg.keyword.value
            elif position < len(params):
                key = params[position]
            else:
                return Arg.unknown(f"too many arguments in `{self.code(expr)}`")
            if key not in defaults:
                return Arg.unknown(f"unexpected argument `{key}` in `{self.code(expr)}`")
            inner = self._value(arg.value, scope, depth + 1)
            if not inner.known or as_keras_object(inner.value) is not None:
                return Arg.unknown(inner.origin if not inner.known else f"call `{self.code(expr)}`")
            config[key] = inner.value
        return Arg(keras_object(module, cls, config), origin=f"`{self.code(expr)}`")

    # -- dicts ------------------------------------------------------------------------------------

    def dict_items(self, expr: cst.BaseExpression, scope: Scope | None = None) -> DictView | None:
        """The entries of the dict ``expr`` evaluates to, when it is visible in the module:
        a dict literal, ``dict(...)``, a name assigned one, or a subscript of one
        (``cfg['lstm']``), through parameter defaults too. None when it cannot be seen."""
        return self._dict_items(expr, self._scope(expr, scope), 0, None)

    def _dict_items(
        self,
        expr: cst.BaseExpression,
        scope: Scope,
        depth: int,
        via: cst.BaseExpression | None,
    ) -> DictView | None:
        key = (id(expr), id(via))
        if key not in self._dicts:
            self._dicts[key] = self._dict_items_uncached(expr, scope, depth, via)
        return self._dicts[key]

    def _dict_items_uncached(
        self,
        expr: cst.BaseExpression,
        scope: Scope,
        depth: int,
        via: cst.BaseExpression | None,
    ) -> DictView | None:
        if depth > MAX_DEPTH:
            return None
        if isinstance(expr, cst.Dict):
            items: list[DictItem] = []
            is_open = False
            for element in expr.elements:
                if isinstance(element, cst.DictElement):
                    key = self._value(element.key, scope, depth + 1)
                    if key.known and isinstance(key.value, str):
                        items.append(DictItem(key.value, element.value, scope, via))
                    else:
                        is_open = True
                else:
                    is_open = self._spread(element.value, scope, depth, via, items) or is_open
            return _view(items, is_open)
        if isinstance(expr, cst.Call) and self._is_builtin(expr.func, "dict", scope):
            items = []
            is_open = False
            for arg in expr.args:
                if arg.keyword is not None:
                    items.append(DictItem(arg.keyword.value, arg.value, scope, via))
                    continue
                is_open = self._spread(arg.value, scope, depth, via, items) or is_open
            return _view(items, is_open)
        if isinstance(expr, cst.Name):
            found = self.bindings(expr.value, scope)
            if len(found) != 1 or self._changed_in_place(expr.value, scope):
                return None
            binding = found[0]
            reached = via if via is not None else expr
            if isinstance(binding, Import) and self.project is not None:
                resolution = self.resolve_project(binding.qualified_name)
                return self._export_view(resolution, reached) if resolution else None
            if isinstance(binding, Value):
                return self._dict_items(binding.expr, binding.scope, depth + 1, reached)
            if isinstance(binding, Param) and binding.default is not None:
                return self._dict_items(binding.default, binding.def_scope, depth + 1, reached)
            return None
        if isinstance(expr, cst.Subscript):
            item = self._subscript_item(expr, scope, depth)
            if item is None:
                return None
            reached = via if via is not None else expr
            if item.export is not None:
                return self._export_view(item.export, reached)
            return self._dict_items(item.value, item.scope, depth + 1, reached)
        if isinstance(expr, cst.Attribute) and self.project is not None:
            written = self._qualified_name(expr, scope, depth + 1)
            dotted = _dotted_name(expr)
            if written is None or (dotted and self._changed_in_place(dotted, scope)):
                return None
            resolution = self.resolve_project(written)
            reached = via if via is not None else expr
            return self._export_view(resolution, reached) if resolution else None
        return None

    def _spread(
        self,
        expr: cst.BaseExpression,
        scope: Scope,
        depth: int,
        via: cst.BaseExpression | None,
        items: list[DictItem],
    ) -> bool:
        """Add the entries of the dict ``**expr`` spreads to ``items``; True when that dict is
        open (not visible, or not all of its keys are)."""
        sub = self._dict_items(expr, scope, depth + 1, via)
        if sub is None:
            return True
        items.extend(sub.items)
        return sub.open

    def _subscript_item(self, expr: cst.Subscript, scope: Scope, depth: int) -> DictItem | None:
        """``cfg['lstm']`` → the ``'lstm'`` entry of the visible dict ``cfg``."""
        if len(expr.slice) != 1 or not isinstance(expr.slice[0].slice, cst.Index):
            return None
        key = self._value(expr.slice[0].slice.value, scope, depth + 1)
        if not key.known or not isinstance(key.value, str):
            return None
        view = self._dict_items(expr.value, scope, depth + 1, expr)
        return view.get(key.value) if view is not None else None

    def _changed_in_place(self, name: str, scope: Scope) -> bool:
        """Is the dict ``name`` refers to in ``scope`` changed after it is built
        (``kw['activation'] = 'relu'``, ``kw.update(...)``, anywhere it is visible)? Its literal
        then no longer tells what it holds."""
        changes = self.index.mutations.get(name)
        if not changes:
            return False
        holder = scope.lookup(name)[1]
        return any(where.lookup(name)[1] is holder for where in changes)

    def _is_builtin(self, expr: cst.BaseExpression, name: str, scope: Scope) -> bool:
        return isinstance(expr, cst.Name) and expr.value == name and not scope.lookup(name)[0]


def argument(
    call: cst.Call, keyword: str, position: int | None = None
) -> cst.BaseExpression | None:
    """The expression passed as ``keyword=`` or at ``position`` (when positions are certain)."""
    index = 0
    certain = True
    for arg in call.args:
        if arg.keyword is not None:
            if arg.keyword.value == keyword:
                return arg.value
        elif arg.star:
            certain = False
        else:
            if certain and position is not None and index == position:
                return arg.value
            index += 1
    return None


def _dest(call: cst.Call) -> str | None:
    """The attribute ``add_argument(...)`` stores into: ``dest=``, else the first long option
    (``--hidden-act`` → ``hidden_act``), else the first short one, else the positional name."""
    given = argument(call, "dest")
    if given is not None:
        return values.string(given)
    names = [values.string(a.value) for a in call.args if a.keyword is None and not a.star]
    flags = [n for n in names if n]
    for flag in flags:
        if flag.startswith("--"):
            return flag[2:].replace("-", "_")
    for flag in flags:
        if flag.startswith("-"):
            return flag.lstrip("-").replace("-", "_")
    return flags[0] if flags else None


def _option_name(call: cst.Call) -> str:
    names = [values.string(a.value) for a in call.args if a.keyword is None and not a.star]
    flags = [n for n in names if n]
    long = [f for f in flags if f.startswith("--")]
    return (long or flags or ["?"])[0]


def _same_name(a: cst.BaseExpression, b: cst.BaseExpression, resolver: Resolver) -> bool:
    """Two reads of one variable (the same name bound by the same bindings)."""
    if a is b:
        return True
    if not isinstance(a, cst.Name) or not isinstance(b, cst.Name) or a.value != b.value:
        return False
    found_a = resolver.bindings(a.value, resolver.scope_of(a))
    found_b = resolver.bindings(b.value, resolver.scope_of(b))
    return bool(found_a) and found_a is found_b


def _remote_name(found: Resolution) -> str | None:
    from kerasrnnlint.frontends.source.project import Outside

    return found.name if isinstance(found, Outside) else None


def _shown(export: Export) -> str:
    """An argument of a call of another module, for messages."""
    from kerasrnnlint.frontends.source.summary import Const, Ref

    if isinstance(export, Const):
        return repr(export.value)
    if isinstance(export, Ref):
        return export.name
    return "…"


def _derived(node: cst.CSTNode | None) -> bool:
    """A class with a base other than ``object``."""
    if not isinstance(node, cst.ClassDef):
        return False
    return any(
        not (isinstance(b.value, cst.Name) and b.value.value == "object") for b in node.bases
    )


def _dotted_name(expr: cst.BaseExpression) -> str | None:
    if isinstance(expr, cst.Name):
        return expr.value
    if isinstance(expr, cst.Attribute):
        base = _dotted_name(expr.value)
        return f"{base}.{expr.attr.value}" if base else None
    return None


def bounded_activation(value: ArgValue) -> bool | None:
    return _bounded_activation(value)


def _bounded_activation(value: ArgValue) -> bool | None:
    """True/False for a known Keras activation (``None`` is linear: unbounded), None otherwise."""
    if value is None:
        return False
    if not isinstance(value, str):
        return None
    name = activations.canonical(value)
    return None if name is None else activations.is_bounded(name)


def _position(params: cst.Parameters, name: str) -> int | None:
    """The position a call passes parameter ``name`` at (None: keyword only or not there)."""
    positional = [p.name.value for p in (*params.posonly_params, *params.params)]
    return positional.index(name) if name in positional else None


def _same(a: ArgValue, b: ArgValue) -> bool:
    return type(a) is type(b) and a == b


def _view(items: list[DictItem], is_open: bool) -> DictView:
    """A dict's entries with one item per key, the last one written (as Python builds it)."""
    last = {item.key: item for item in items}
    return DictView(tuple(last.values()), is_open)
