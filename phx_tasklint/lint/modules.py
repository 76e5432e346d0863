"""One parsed module of the checked tree, with Python's scoping rules for name resolution.

The analysis runs on CPython's `ast`: libcst's metadata providers (scopes, qualified names,
parents) cost many times the parse of each file, and `ast` with the resolver below answers the
same questions for a fraction of that.
Names are resolved the way Python binds them (imports, defs, assignments, parameters, `global`
and `nonlocal`, class scopes invisible to nested functions) -- never by spelling -- and to the
bindings that reach the use: in the scope that binds a name, a later binding replaces an earlier
one, in the order the code runs (`reaching`). A function body runs at a time we do not know, so
a name it takes from an enclosing scope may stand for any binding there. The order is worked out
only for a name bound more than once and asked about, so a cold run pays for none of it
elsewhere.
"""

from __future__ import annotations

import ast
import builtins
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import PurePath
from typing import Any, Literal

from phx_tasklint.lint import pyast
from phx_tasklint.lint.reaching import Effects, Flow, walk
from phx_tasklint.lint.sources import Source

ScopeNode = ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef
_BUILTINS = frozenset(dir(builtins))
_STATICMETHOD = "builtins.staticmethod"
_CLASSMETHOD = "builtins.classmethod"
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True)
class Binding:
    """One way a name gets its value in a scope."""

    kind: Literal["import", "def", "assign", "param", "other"]
    node: ast.AST  # the def/class, the assigned value, the ast.arg, or the binding statement
    qualified: str | None = None  # for imports: what the name stands for


# Why the bindings of a `Reach` may stand for different things (the reason a caller skips with
# when they resolve differently).
ON_DIFFERENT_PATHS = "name bound differently on different paths"
OUTSIDE_THE_FUNCTION = "name assigned more than once outside the function that uses it"
BEFORE_ANY_BINDING = "name used before any of its bindings"


@dataclass(frozen=True)
class Reach:
    """The bindings of a name that may be in force at one use, in source order."""

    bindings: tuple[Binding, ...]
    # when there are several and they stand for different things, why they are not known apart
    conflict: str = ON_DIFFERENT_PATHS


@dataclass
class Scope:
    node: ScopeNode
    parent: Scope | None
    bindings: dict[str, list[Binding]] = field(default_factory=dict)
    globals: set[str] = field(default_factory=set)
    nonlocals: set[str] = field(default_factory=set)

    def add(self, name: str, binding: Binding) -> None:
        self.bindings.setdefault(name, []).append(binding)


class Module:
    def __init__(self, source: Source, name: str, tree: ast.Module) -> None:
        self.source = source
        self.name = name
        self.is_package = PurePath(source.path).stem == "__init__"
        self.tree = tree
        self.scopes: dict[ast.AST, Scope] = {}
        self.parents: dict[ast.AST, ast.AST] = {}
        # the scope a name at each node is looked up in, recorded while building
        self.node_scopes: dict[ast.AST, Scope] = {}
        # what the linter reacts to, gathered in the same single pass over the tree
        self.calls: list[ast.Call] = []
        self.functions: list[ast.FunctionDef | ast.AsyncFunctionDef] = []
        self.classes: list[ast.ClassDef] = []
        self.imports: list[ast.Import | ast.ImportFrom] = []
        # the order of a name's bindings and what reaches each use, per (scope, name) asked
        self._orders: dict[tuple[ast.AST, str], tuple[Binding, ...]] = {}
        self._flows: dict[tuple[ast.AST, str], Flow] = {}
        self._build()

    @classmethod
    def parse(cls, source: Source, name: str) -> Module | None:
        try:
            tree = source.tree if source.tree is not None else pyast.parse(source.text)
        except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError, SystemError):
            # the source layer reports what compile() rejects; SystemError: see `pyast`
            return None
        return cls(source, name, tree)

    # ------------------------------------------------------------------ building

    def _build(self) -> None:
        # One pass over the tree, written out by hand: `ast.iter_child_nodes` and an isinstance
        # chain per node made this pass cost three times the parse. Children are pushed in
        # field order and popped last-first; a leaf (a name or a constant, half the nodes) is
        # recorded where it is found rather than pushed. See `_PLAIN_FIELDS` for what is
        # skipped; the loop over a node's fields is `_children`'s, written out here for speed.
        root = Scope(self.tree, None)
        self.scopes[self.tree] = root
        parents = self.parents
        node_scopes = self.node_scopes
        calls = self.calls
        stack: list[tuple[ast.AST, ast.AST, Scope]] = []
        push = stack.append
        for child in _children(self.tree):
            push((child, self.tree, root))
        pop = stack.pop
        fields_of = _FIELDS
        leaves = _LEAVES
        node_type = ast.AST
        value: Any
        item: Any
        while stack:
            node, parent, scope = pop()
            parents[node] = parent
            node_scopes[node] = scope
            kind = node.__class__
            if kind is ast.Call:
                calls.append(node)  # type: ignore[arg-type]
            elif kind in _NESTED_SCOPES:
                self._enter(node, scope, push)  # type: ignore[arg-type]
                continue
            elif kind in _BINDING_NODES:
                self._bind(node, scope)
            fields = fields_of.get(kind)
            if fields is None:
                fields = _fields(kind)
            for name in fields:
                value = getattr(node, name, None)
                if value.__class__ is list:
                    for item in value:
                        if item.__class__ in leaves:
                            parents[item] = node
                            node_scopes[item] = scope
                        elif isinstance(item, node_type):
                            push((item, node, scope))
                elif value.__class__ in leaves:
                    parents[value] = node
                    node_scopes[value] = scope
                elif isinstance(value, node_type):
                    push((value, node, scope))

    def _enter(
        self,
        node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef,
        scope: Scope,
        push: Callable[[tuple[ast.AST, ast.AST, Scope]], None],
    ) -> None:
        if isinstance(node, ast.ClassDef):
            self.classes.append(node)
        elif not isinstance(node, ast.Lambda):
            self.functions.append(node)
        if not isinstance(node, ast.Lambda):
            scope.add(node.name, Binding("def", node))
        inner = Scope(node, scope)
        self.scopes[node] = inner
        if not isinstance(node, ast.ClassDef):
            self._bind_params(node, inner)
        # decorators, defaults, annotations and bases run in the enclosing scope
        body = {id(part) for part in _bodies(node)}
        for child in _children(node):
            push((child, node, inner if id(child) in body else scope))

    def _bind_params(self, node: ast.AST, scope: Scope) -> None:
        args = node.args  # type: ignore[attr-defined]
        for arg in (
            *args.posonlyargs,
            *args.args,
            *filter(None, (args.vararg,)),
            *args.kwonlyargs,
            *filter(None, (args.kwarg,)),
        ):
            scope.add(arg.arg, Binding("param", arg))

    def _bind(self, node: ast.AST, scope: Scope) -> None:
        if isinstance(node, ast.Assign):
            single = len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
            for target in node.targets:
                for name in _target_names(target):
                    kind: Literal["assign", "other"] = "assign" if single else "other"
                    scope.add(name, Binding(kind, node.value if single else node))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            value = node.value if node.value is not None else node.annotation
            scope.add(node.target.id, Binding("assign", value))
        elif isinstance(node, ast.NamedExpr) and isinstance(node.target, ast.Name):
            scope.add(node.target.id, Binding("assign", node.value))
        elif isinstance(node, (ast.AugAssign, ast.For, ast.AsyncFor, ast.comprehension)):
            for name in _target_names(node.target):
                scope.add(name, Binding("other", node))
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                if item.optional_vars is not None:
                    for name in _target_names(item.optional_vars):
                        scope.add(name, Binding("other", node))
        elif isinstance(node, ast.ExceptHandler) and node.name:
            scope.add(node.name, Binding("other", node))
        elif isinstance(node, ast.Import):
            self.imports.append(node)
            for alias in node.names:
                if alias.asname:
                    scope.add(alias.asname, Binding("import", node, alias.name))
                else:
                    head = alias.name.split(".")[0]
                    scope.add(head, Binding("import", node, head))
        elif isinstance(node, ast.ImportFrom):
            self.imports.append(node)
            base = (
                self.absolute("." * node.level + (node.module or ""))
                if node.level
                else (node.module or "")
            )
            for alias in node.names:
                if alias.name == "*":
                    continue
                qualified = f"{base}.{alias.name}" if base else alias.name
                scope.add(alias.asname or alias.name, Binding("import", node, qualified))
        elif isinstance(node, (ast.MatchAs, ast.MatchStar)) and node.name:
            scope.add(node.name, Binding("other", node))
        elif isinstance(node, ast.MatchMapping) and node.rest:
            scope.add(node.rest, Binding("other", node))
        elif isinstance(node, ast.Global):
            scope.globals.update(node.names)
        elif isinstance(node, ast.Nonlocal):
            scope.nonlocals.update(node.names)

    # ------------------------------------------------------------------ queries

    def parent(self, node: ast.AST) -> ast.AST | None:
        return self.parents.get(node)

    def scope_of(self, node: ast.AST) -> Scope:
        """The scope a name at `node` is looked up in (the module's for a node of another tree,
        such as a parsed string annotation)."""
        return self.node_scopes.get(node) or self.scopes[self.tree]

    def lookup(self, name: str, node: ast.AST) -> tuple[Scope, list[Binding]] | None:
        scope: Scope | None = self.scope_of(node)
        first = True
        root = self.scopes[self.tree]
        while scope is not None:
            if name in scope.globals:
                scope = root
            visible = first or not isinstance(scope.node, ast.ClassDef)
            if visible and name in scope.bindings and name not in scope.nonlocals:
                return scope, scope.bindings[name]
            first = False
            scope = scope.parent
        return None

    def reaching(self, name: ast.Name) -> Reach:
        """The bindings of `name` that may be in force where it is used."""
        found = self.lookup(name.id, name)
        if found is None:
            return Reach(())
        scope, bindings = found
        if len(bindings) == 1:
            return Reach((bindings[0],))
        ordered = self._ordered(scope, name.id)
        if not self._runs_inline(name, scope):
            return Reach(ordered, OUTSIDE_THE_FUNCTION)
        flow = self._flow(scope, name.id)
        mask = self._state_at(name, flow)
        if not mask:  # used above every binding: a page read out of order, cells run out of it
            return Reach(ordered, BEFORE_ANY_BINDING)
        return Reach(tuple(b for i, b in enumerate(ordered) if mask >> i & 1))

    def assignments(self, name: ast.Name) -> tuple[Binding, ...]:
        return self.reaching(name).bindings

    def qualified(self, node: ast.AST) -> tuple[str, ...]:
        """Absolute qualified names an expression may stand for where it is written, sorted
        (empty when only local)."""
        if isinstance(node, ast.Attribute):
            return tuple([f"{q}.{node.attr}" for q in self.qualified(node.value)])
        if not isinstance(node, ast.Name):
            return ()
        found = self.lookup(node.id, node)
        if found is None:
            return (f"builtins.{node.id}",) if node.id in _BUILTINS else ()
        scope, bindings = found
        at_top = scope.node is self.tree
        if len(bindings) == 1:  # most names: asked of every call in the file
            one = _qualified_binding(bindings[0], at_top, self.name, node.id)
            return (one,) if one is not None else ()
        names = {_qualified_binding(b, at_top, self.name, node.id) for b in bindings}
        if len(names) > 1:  # the bindings stand for different names: which reach this use?
            names = {
                _qualified_binding(b, at_top, self.name, node.id)
                for b in self.reaching(node).bindings
            }
        return tuple(sorted(n for n in names if n is not None))

    def qualified_in_module(self, dotted: str) -> tuple[str, ...]:
        """Resolve a dotted name written in a string annotation, from the module's top level
        (evaluated once the module has run, by whoever reads the annotation)."""
        head, _, rest = dotted.partition(".")
        bindings = self.scopes[self.tree].bindings.get(head)
        suffix = f".{rest}" if rest else ""
        if not bindings:
            return (f"builtins.{head}",) if head in _BUILTINS and not rest else ()
        out = set()
        for binding in bindings:
            if binding.kind == "import" and binding.qualified:
                out.add(binding.qualified + suffix)
            else:
                out.add(f"{self.name}.{dotted}")
        return tuple(sorted(out))

    def method_kind(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> str:
        """How Python binds a def found on a class: "static", "class" or "instance"."""
        for d in node.decorator_list:
            names = self.qualified(d)
            if _STATICMETHOD in names:
                return "static"
            if _CLASSMETHOD in names:
                return "class"
        return "instance"

    def method_owner(self, name: ast.Name) -> tuple[ast.ClassDef, bool] | None:
        """When `name` is the first parameter of a method (`self`, `cls`): the class it is
        defined in, and whether the name holds an instance of it (False: the class itself)."""
        bindings = self.assignments(name)
        if len(bindings) != 1 or bindings[0].kind != "param":
            return None
        arg = bindings[0].node
        arguments = self.parents.get(arg)
        function = self.parents.get(arguments) if arguments is not None else None
        if not isinstance(arguments, ast.arguments) or not isinstance(
            function, (ast.FunctionDef, ast.AsyncFunctionDef)
        ):
            return None
        positional = [*arguments.posonlyargs, *arguments.args]
        cls = self.parents.get(function)
        if not positional or positional[0] is not arg or not isinstance(cls, ast.ClassDef):
            return None
        kind = self.method_kind(function)
        return None if kind == "static" else (cls, kind == "instance")

    # ------------------------------------------------------------------ flow

    def _ordered(self, scope: Scope, name: str) -> tuple[Binding, ...]:
        """The scope's bindings of `name` in source order (the tree is built last-first)."""
        key = (scope.node, name)
        found = self._orders.get(key)
        if found is None:
            found = self._orders[key] = tuple(sorted(scope.bindings[name], key=_source_order))
        return found

    def _runs_inline(self, node: ast.AST, scope: Scope) -> bool:
        """Does the code at `node` run as part of `scope`'s own body (a class body runs where
        it is written), rather than in a function called at some other time?"""
        current = self.scope_of(node)
        while current is not scope:
            if not isinstance(current.node, ast.ClassDef) or current.parent is None:
                return False
            current = current.parent
        return True

    def _flow(self, scope: Scope, name: str) -> Flow:
        key = (scope.node, name)
        found = self._flows.get(key)
        if found is None:
            found = self._flows[key] = self._walk(scope, name)
        return found

    def _walk(self, scope: Scope, name: str) -> Flow:
        masks: dict[ast.AST, list[int]] = {}
        start = 0
        for i, binding in enumerate(self._ordered(scope, name)):
            if binding.kind == "param":
                start |= 1 << i
                continue
            anchor, slot = self._effect_of(binding)
            masks.setdefault(anchor, [0, 0, 0, 0])[slot] |= 1 << i
        effects = {anchor: Effects(*m) for anchor, m in masks.items()}
        body = scope.node.body if isinstance(scope.node.body, list) else []
        return walk(body, name, effects, start)

    def _effect_of(self, binding: Binding) -> tuple[ast.AST, int]:
        """The statement (handler, case) where a binding happens, and which `Effects` slot it
        fills: 0 after, 1 header, 2 inline, 3 local."""
        node = binding.node
        if isinstance(node, (ast.For, ast.AsyncFor, ast.With, ast.AsyncWith, ast.ExceptHandler)):
            return node, 1
        if isinstance(node, ast.stmt):
            return node, 0
        if isinstance(node, ast.pattern):
            return self._anchor(node), 1
        if isinstance(node, ast.comprehension):
            return self._anchor(node), 3
        parent = self.parents.get(node)
        if isinstance(parent, (ast.Assign, ast.AnnAssign)):
            return parent, 0
        return self._anchor(node), 2  # a walrus

    def _anchor(self, node: ast.AST) -> ast.AST:
        """The statement, `except` handler or `case` an expression belongs to."""
        current: ast.AST | None = node
        while current is not None and not isinstance(
            current, (ast.stmt, ast.ExceptHandler, ast.match_case)
        ):
            current = self.parents.get(current)
        return current if current is not None else self.tree

    def _state_at(self, node: ast.AST, flow: Flow) -> int:
        current: ast.AST | None = node
        while current is not None:
            found = flow.before.get(current)
            if found is not None:
                return found
            current = self.parents.get(current)
        return 0

    def top_value(self, name: str) -> ast.AST | None:
        """The def, class or assigned value `name` holds once the module has run, when one
        binding of those kinds is sure to be it."""
        bindings = self.scopes[self.tree].bindings.get(name)
        if not bindings:
            return None
        if len(bindings) > 1:
            end = self._flow(self.scopes[self.tree], name).end
            ordered = self._ordered(self.scopes[self.tree], name)
            reaching = [b for i, b in enumerate(ordered) if end is not None and end >> i & 1]
            bindings = reaching or list(ordered)
            if len({id(b.node) for b in bindings}) > 1:
                return None
        only = bindings[0]
        return only.node if only.kind in ("def", "assign") else None

    def absolute(self, relative: str) -> str:
        dots = len(relative) - len(relative.lstrip("."))
        package = self.name.split(".") if self.is_package else self.name.split(".")[:-1]
        if dots > 1:
            package = package[: len(package) - (dots - 1)]
        rest = relative[dots:]
        return ".".join([*package, rest]) if rest else ".".join(package)

    @cached_property
    def _lines(self) -> list[str]:
        # Python's own line breaks only (str.splitlines also splits on \x0c, \u2028, ...)
        return _LINE_BREAK.split(self.source.text)

    def line(self, number: int) -> str:
        """A line of the parsed document (1-based), for `# noqa` comments."""
        return self._lines[number - 1] if 0 < number <= len(self._lines) else ""

    def _column(self, line: int, offset: int) -> int:
        """ast's UTF-8 byte offset -> 1-based character column."""
        text = self.line(line)
        if text.isascii():
            return offset + 1
        return len(text.encode("utf-8")[:offset].decode("utf-8", "replace")) + 1

    def position(self, node: ast.AST) -> tuple[int, int, int, int]:
        """(line, column, end line, end column), 1-based, in document characters."""
        line = getattr(node, "lineno", 1)
        column = self._column(line, getattr(node, "col_offset", 0))
        end_line = getattr(node, "end_lineno", None) or line
        end_offset = getattr(node, "end_col_offset", None)
        end_column = self._column(end_line, end_offset) if end_offset is not None else column
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            # point at the name, where a reader looks for the definition
            found = self.line(line).find(node.name, column - 1)
            if found >= 0:
                column = found + 1
                end_line, end_column = line, found + 1 + len(node.name)
        return line, column, end_line, end_column


def _qualified_binding(binding: Binding, at_top: bool, module: str, name: str) -> str | None:
    """The absolute name one binding gives `name` (None: a local of a function or class)."""
    if binding.kind == "import" and binding.qualified:
        return binding.qualified
    return f"{module}.{name}" if at_top else None


def _source_order(binding: Binding) -> tuple[int, int]:
    node = binding.node
    if isinstance(node, ast.comprehension):
        node = node.target
    return getattr(node, "lineno", 0), getattr(node, "col_offset", 0)


_NESTED_SCOPES = frozenset({ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef})
_BINDING_NODES = frozenset(
    {
        ast.Assign,
        ast.AnnAssign,
        ast.NamedExpr,
        ast.AugAssign,
        ast.For,
        ast.AsyncFor,
        ast.comprehension,
        ast.With,
        ast.AsyncWith,
        ast.ExceptHandler,
        ast.Import,
        ast.ImportFrom,
        ast.Global,
        ast.Nonlocal,
        ast.MatchAs,
        ast.MatchStar,
        ast.MatchMapping,
    }
)
# Fields that never hold a node worth visiting: names and other plain values, and the
# context and operator singletons (`Load`, `Add`, ...) shared by every node that uses them.
_PLAIN_FIELDS = frozenset(
    {"ctx", "op", "ops", "id", "arg", "attr", "name", "asname", "module", "level", "kind"}
    | {"type_comment", "is_async", "conversion", "simple"}
)
# Nodes with no child worth visiting, that bind and call nothing: half the nodes of a tree.
_LEAVES: frozenset[type[ast.AST]] = frozenset({ast.Name, ast.Constant})
_FIELDS: dict[type, tuple[str, ...]] = {ast.Name: (), ast.Constant: ()}


def _fields(kind: type[ast.AST]) -> tuple[str, ...]:
    fields = _FIELDS[kind] = tuple(f for f in kind._fields if f not in _PLAIN_FIELDS)
    return fields


def _children(node: ast.AST) -> list[ast.AST]:
    """The child nodes of `node` in field order, like `ast.iter_child_nodes` without the
    fields in `_PLAIN_FIELDS` (and a constant's value)."""
    kind = type(node)
    fields = _FIELDS.get(kind)
    if fields is None:
        fields = _fields(kind)
    out: list[ast.AST] = []
    for name in fields:
        value = getattr(node, name, None)
        if value.__class__ is list:
            for item in value:
                if isinstance(item, ast.AST):
                    out.append(item)
        elif isinstance(value, ast.AST):
            out.append(value)
    return out


def _bodies(node: ast.AST) -> list[ast.AST]:
    """The parts of a scope node that run inside its own scope."""
    if isinstance(node, ast.Lambda):
        return [node.body]
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return list(node.body)
    return []


def _target_names(target: ast.AST) -> list[str]:
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, (ast.Tuple, ast.List)):
        return [n for elt in target.elts for n in _target_names(elt)]
    if isinstance(target, ast.Starred):
        return _target_names(target.value)
    return []
