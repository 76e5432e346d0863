"""phoenix.evals evaluators read from the syntax tree into the neutral `EvalsSignature`.

The client never inspects these objects' signatures: it hands them every binding keyword and
the object resolves its own fields. So what is read here is what makes those fields where the
object is made: a `create_evaluator` function's parameters, a prompt template's variables, a
prebuilt metric's input schema (from the generated table), and the `input_mapping` that
`bind_evaluator` binds (a dict literal, or a name bound to one). What cannot be read stays None
(unknown: never reported) or is a `Skip` with its reason. Nothing here judges: `evals_judge`
does, and the engine places its findings with `EvalsRead.place`.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field, replace

from phx_tasklint.core import spec
from phx_tasklint.core.evals_templates import messages_fields, template_fields
from phx_tasklint.core.model import (
    Diagnostic,
    EvalsField,
    EvalsSignature,
    EvalsSource,
    MappingEntry,
    Param,
    TypeExpr,
)
from phx_tasklint.lint.definitions import FUNCTIONS, MAX_DEPTH, FunctionNode
from phx_tasklint.lint.modules import Module
from phx_tasklint.lint.resolve import EvalsEvaluator, Resolver, Skip, Target, is_method
from phx_tasklint.lint.runners import argument


@dataclass(frozen=True)
class Place:
    module: Module
    node: ast.AST


@dataclass(frozen=True)
class EvalsRead:
    """An evals object as read, and where in the source each of its parts is written."""

    signature: EvalsSignature
    made: Place  # the def, the call that makes it, or the imported name
    fields: dict[str, Place] = field(default_factory=dict, hash=False, compare=False)
    mapping: Place | None = None  # the input mapping literal
    entries: dict[str, Place] = field(default_factory=dict, hash=False, compare=False)
    function: str | None = None  # the def whose parameters are the fields

    def place(self, diagnostic: Diagnostic) -> Place | None:
        """Where a finding belongs (None: where the object is handed over). A mapping's
        finding at its entry; an unresolved field at the mapping when one is written (that is
        where it is missing), else at the field; a field's own finding at the field; an async
        function's at its def; a missing schema where the instance is made."""
        param = diagnostic.param or ""
        if diagnostic.code in ("PHX504", "PHX505", "PHX507") and param in self.entries:
            return self.entries[param]
        if diagnostic.code == "PHX501" and self.mapping is not None:
            return self.mapping
        if param in self.fields:
            return self.fields[param]
        if diagnostic.code == "PHX006" and isinstance(self.made.node, FUNCTIONS):
            return self.made
        if diagnostic.code == "PHX509":  # the instance is made without what it needs
            return self.made
        return None


Read = EvalsRead | Skip


def is_evals_create_evaluator(module: Module, expr: ast.AST) -> bool:
    return any(q in spec.EVALS_CREATE_EVALUATORS for q in module.qualified(expr))


def is_bind_evaluator(module: Module, expr: ast.AST) -> bool:
    return any(q in spec.EVALS_BIND_EVALUATORS for q in module.qualified(expr))


class EvalsReader:
    """Reads the evals objects of one file's analysis (each made-at node once)."""

    def __init__(self, resolver: Resolver) -> None:
        self.resolver = resolver
        self._reads: dict[ast.AST, Read] = {}

    def read(self, target: Target) -> Read:
        """What an opaque `EvalsEvaluator` target stands for."""
        return self._read(target.anchor.module, target.anchor.node, 0)

    def _read(self, module: Module, node: ast.AST, depth: int) -> Read:
        found = self._reads.get(node)
        if found is None:
            found = self._read_new(module, node, depth)
            if isinstance(found, EvalsRead) and _rebound(module, node):
                # `ev.bind({...})` somewhere in the module: which mapping is in force where it
                # is handed over is not followed, so any field may be mapped
                found = replace(
                    found,
                    signature=replace(found.signature, mapping=(), mapping_complete=False),
                    mapping=None,
                    entries={},
                )
            self._reads[node] = found
        return found

    def _read_new(self, module: Module, node: ast.AST, depth: int) -> Read:
        if depth > MAX_DEPTH:
            return Skip("resolution too deep")
        if isinstance(node, FUNCTIONS):
            return self._decorated(module, node)
        if isinstance(node, ast.Call):
            return self._made_by_call(module, node, depth)
        if isinstance(node, (ast.Name, ast.Attribute)):
            return _metric_read(module, node, module.qualified(node), ready=True)
        return Skip("phoenix.evals object not read")

    # ---------------------------------------------------------------- functions

    def _decorated(self, module: Module, node: FunctionNode) -> Read:
        """`@create_evaluator(name=...)` on a def: its parameters are the fields."""
        outer = node.decorator_list[0] if node.decorator_list else None
        if outer is None or len(node.decorator_list) > 1:
            return Skip("phoenix.evals create_evaluator beside another decorator")
        if not isinstance(outer, ast.Call):
            return Skip("bare phoenix.evals create_evaluator (reported at the decorator)")
        if not is_evals_create_evaluator(module, outer.func):
            return Skip("phoenix.evals decorator other than create_evaluator")
        if is_method(module, node):
            return Skip("phoenix.evals create_evaluator on a method")
        params = self.resolver.params(node.args, module)
        return self._function_read(
            [p for p, _ in params],
            {p.name: Place(module, arg) for p, arg in params},
            is_async=isinstance(node, ast.AsyncFunctionDef),
            made=Place(module, node),
            name=_name(outer, node.name),
            function=node.name,
        )

    def _function_read(
        self,
        params: list[Param],
        places: dict[str, Place],
        *,
        is_async: bool,
        made: Place,
        name: str | None,
        function: str | None,
    ) -> EvalsRead:
        fields = tuple(
            EvalsField(p.name, required=not p.has_default, annotation=p.annotation, kind=p.kind)
            for p in params
        )
        signature = EvalsSignature(fields, is_async=is_async, source="function", name=name)
        return EvalsRead(signature, made, places, function=function)

    # ---------------------------------------------------------------- calls

    def _made_by_call(self, module: Module, call: ast.Call, depth: int) -> Read:
        if isinstance(call.func, ast.Call) and is_evals_create_evaluator(module, call.func.func):
            return self._applied(module, call, call.func, depth)
        names = module.qualified(call.func)
        if any(q in spec.EVALS_BIND_EVALUATORS for q in names):
            return self._bound(module, call, depth)
        if any(q in spec.EVALS_TEMPLATE_MAKERS for q in names):
            return self._templated(module, call, names)
        cls = self.resolver.evals_class(module, call.func)
        if cls is not None:
            return self._subclass_read(module, call, *cls)
        return _metric_read(module, call, names, ready=False)

    def _subclass_read(
        self, module: Module, call: ast.Call, cls_module: Module, cls: ast.ClassDef
    ) -> Read:
        """An instance of the user's own evaluator class. On phoenix.evals' plain `Evaluator`
        its fields are its input schema's; with none stated anywhere (the class, its bases of
        the checked files, the call) it has none, and only a mapping can tell them."""
        made = Place(module, call)
        chain = [(cls_module, cls)]
        while len(chain) <= MAX_DEPTH:
            owner, node = chain[-1]
            local = [found for b in node.bases if (found := self.resolver.evals_class(owner, b))]
            if len(local) != 1:
                break
            chain.append(local[0])
        nodes: list[ast.AST] = [call, *(node for _, node in chain)]
        keyword = spec.EVALS_NAME_ARGUMENT[0]
        name = _constant_str(next((k.value for k in _keywords(nodes) if k.arg == keyword), None))
        base = self.resolver.evals_base(cls_module, cls)
        if base not in spec.EVALS_EVALUATOR_BASES:  # an LLM evaluator's: its template, not read
            return EvalsRead(EvalsSignature(None, source="schema", name=name), made)
        stated = any(_mentions_fields(n) for n in nodes)
        has_schema = None if stated else False
        return EvalsRead(
            EvalsSignature(None, source="schema", name=name, has_schema=has_schema), made
        )

    def _applied(self, module: Module, call: ast.Call, decorator: ast.Call, depth: int) -> Read:
        """`create_evaluator(name=...)(fn)`: `fn`'s parameters are the fields."""
        if len(call.args) != 1 or isinstance(call.args[0], ast.Starred) or call.keywords:
            return Skip("create_evaluator applied to unpacked arguments")
        fn = self.resolver.target(module, call.args[0], depth + 1)
        if isinstance(fn, Skip):
            return fn
        if fn.opaque is not None or fn.wrapper is not None or fn.evaluator_method:
            return Skip("create_evaluator applied to what is no plain function")
        anchor = fn.anchor
        return self._function_read(
            list(fn.signature.params),
            {n: Place(anchor.module, a) for n, a in anchor.params.items()},
            is_async=fn.signature.is_async,
            made=Place(module, call),
            name=_name(decorator, anchor.function or ""),
            function=anchor.function,
        )

    def _bound(self, module: Module, call: ast.Call, depth: int) -> Read:
        """`bind_evaluator(evaluator=..., input_mapping=...)`: the evaluator's fields, with the
        mapping bound in place of any it had."""
        evaluator = argument(call, spec.EVALS_BIND_ARGUMENTS[0], 0)
        given = argument(call, spec.EVALS_BIND_ARGUMENTS[1], 1)
        if evaluator is None or given is None:
            return Skip("bind_evaluator with unpacked arguments")
        inner_target = self.resolver.target(module, evaluator, depth + 1)
        if isinstance(inner_target, Skip):
            return inner_target
        if not isinstance(inner_target.opaque, EvalsEvaluator):
            return Skip("bind_evaluator of what is no phoenix.evals evaluator")
        inner = self._read(inner_target.anchor.module, inner_target.anchor.node, depth + 1)
        if isinstance(inner, Skip):
            return inner
        mapping = self._mapping(module, given, depth)
        if mapping is None:  # `input_mapping=None`: the bound mapping is removed
            signature = EvalsSignature(
                inner.signature.fields,
                is_async=inner.signature.is_async,
                source=inner.signature.source,
                name=inner.signature.name,
                has_schema=inner.signature.has_schema,
            )
            return EvalsRead(signature, Place(module, call), inner.fields, function=inner.function)
        entries, complete, literal, places = mapping
        signature = EvalsSignature(
            inner.signature.fields,
            mapping=entries,
            mapping_complete=complete,
            is_async=inner.signature.is_async,
            source=inner.signature.source,
            name=inner.signature.name,
            has_schema=inner.signature.has_schema,
        )
        return EvalsRead(
            signature, Place(module, call), inner.fields, literal, places, inner.function
        )

    def _mapping(
        self, module: Module, expr: ast.expr, depth: int
    ) -> tuple[tuple[MappingEntry, ...], bool, Place | None, dict[str, Place]] | None:
        """The entries of an input mapping, whether they are all of them, where the literal is
        written and where each value is. None for `None`."""
        owner, literal = module, _literal(module, expr, ast.Dict)
        if isinstance(expr, ast.Constant) and expr.value is None:
            return None
        if not isinstance(literal, ast.Dict):
            return (), False, None, {}  # a mapping not read: any field may be in it
        entries: list[MappingEntry] = []
        places: dict[str, Place] = {}
        complete = True
        for key, value in zip(literal.keys, literal.values, strict=True):
            if not (isinstance(key, ast.Constant) and isinstance(key.value, str)):
                complete = False  # `**base`, or a computed key
                continue
            entries.append(self._entry(owner, key.value, value, depth))
            places[key.value] = Place(owner, value)
        return tuple(entries), complete, Place(owner, literal), places

    def _entry(self, module: Module, key: str, value: ast.expr, depth: int) -> MappingEntry:
        path = _literal(module, value, ast.Constant)
        if isinstance(path, ast.Constant) and isinstance(path.value, str):
            return MappingEntry(key, path=path.value)
        if isinstance(value, (ast.Lambda, ast.Name, ast.Attribute)):
            fn = self.resolver.target(module, value, depth + 1)
            if (
                isinstance(fn, Target)
                and fn.opaque is None
                and not fn.evaluator_method
                and isinstance(fn.anchor.node, (*FUNCTIONS, ast.Lambda))
            ):
                return MappingEntry(key, lambda_params=fn.signature.params)
        return MappingEntry(key)  # an extractor not seen: the field counts as supplied

    def _templated(self, module: Module, call: ast.Call, names: tuple[str, ...]) -> Read:
        """An LLM evaluator made from a prompt template: its variables are the fields
        (pydantic coerces each to a string: any value is accepted)."""
        name_arg = argument(call, spec.EVALS_NAME_ARGUMENT[0], None)
        position = None
        if any(q in spec.EVALS_CLASSIFIER_FUNCTIONS for q in names):
            position = spec.EVALS_CLASSIFIER_TEMPLATE_POSITION
            name_arg = argument(call, *spec.EVALS_NAME_ARGUMENT)
        name = _constant_str(name_arg)
        made = Place(module, call)
        schema = argument(call, spec.EVALS_INPUT_SCHEMA_ARGUMENT, None)
        if schema is not None and not (isinstance(schema, ast.Constant) and schema.value is None):
            return EvalsRead(EvalsSignature(None, source="schema", name=name), made)
        template = argument(call, spec.EVALS_TEMPLATE_ARGUMENT, position)
        read = _template(module, template) if template is not None else None
        if read is None:
            return EvalsRead(EvalsSignature(None, source="template", name=name), made)
        fields, where = read
        places = {f.name: Place(module, where) for f in fields}
        return EvalsRead(EvalsSignature(fields, source="template", name=name), made, places)


def _rebound(module: Module, node: ast.AST) -> bool:
    """Whether the object has its mapping changed in place anywhere in the module
    (`ev.bind(...)`, `ev.unbind()`): through a name it is bound to where it is made (`ev = ...`,
    `def ev`), or, for an object Phoenix made (a prebuilt metric, read where it is handed over),
    through any spelling of it (`metrics.exact_match.bind(...)`)."""
    names: set[str] = set()
    if isinstance(node, FUNCTIONS):
        names.add(node.name)
    parent = module.parent(node)
    if isinstance(parent, (ast.Assign, ast.AnnAssign)):
        targets = parent.targets if isinstance(parent, ast.Assign) else [parent.target]
        names |= {t.id for t in targets if isinstance(t, ast.Name)}
    made = set(module.qualified(node)) if isinstance(node, (ast.Name, ast.Attribute)) else set()
    if not names and not made:
        return False
    for call in module.calls:
        func = call.func
        if not (isinstance(func, ast.Attribute) and func.attr in spec.EVALS_REBIND_METHODS):
            continue
        if isinstance(func.value, ast.Name) and func.value.id in names:
            return True
        if made and not made.isdisjoint(module.qualified(func.value)):
            return True
    return False


def _template(module: Module, expr: ast.expr) -> tuple[tuple[EvalsField, ...], ast.AST] | None:
    """A template's fields and where its text is written: a string (or a name bound to one),
    or a list of message dicts whose contents are strings."""
    text = _literal(module, expr, ast.Constant)
    if isinstance(text, ast.Constant) and isinstance(text.value, str):
        found = template_fields(text.value)
        return (found, text) if found is not None else None
    joined = _literal(module, expr, ast.JoinedStr)  # an f-string without placeholders
    if isinstance(joined, ast.JoinedStr):
        parts = [v.value for v in joined.values if isinstance(v, ast.Constant)]
        if len(parts) == len(joined.values) and all(isinstance(v, str) for v in parts):
            found = template_fields("".join(str(v) for v in parts))
            return (found, joined) if found is not None else None
        return None
    messages = _literal(module, expr, ast.List)
    if not isinstance(messages, ast.List) or not messages.elts:
        return None
    texts: list[str] = []
    for message in messages.elts:
        if not isinstance(message, ast.Dict) or None in message.keys:
            return None
        contents = [
            v
            for k, v in zip(message.keys, message.values, strict=True)
            if isinstance(k, ast.Constant) and k.value == spec.EVALS_MESSAGE_CONTENT
        ]
        if len(contents) != 1:
            return None
        content = contents[0]
        if not (isinstance(content, ast.Constant) and isinstance(content.value, str)):
            return None
        texts.append(content.value)
    found = messages_fields(texts)
    return (found, messages) if found is not None else None


def _literal(module: Module, expr: ast.expr, kind: type[ast.expr]) -> ast.expr | None:
    """`expr` when it is a `kind` literal, or the literal a name is bound to where it is used
    (a single assignment reaching it)."""
    if isinstance(expr, kind):
        return expr
    if isinstance(expr, ast.Name):
        bindings = module.reaching(expr).bindings
        if len(bindings) == 1 and bindings[0].kind == "assign":
            value = bindings[0].node
            if isinstance(value, kind):
                return value
    return None


def _keywords(nodes: list[ast.AST]) -> list[ast.keyword]:
    return [k for n in nodes for k in ast.walk(n) if isinstance(k, ast.keyword)]


def _mentions_fields(node: ast.AST) -> bool:
    """Whether `node` may give an evaluator its fields: it names a schema, a mapping or a way of
    resolving them (`spec.EVALS_FIELD_MEMBERS`: as a keyword, an attribute, a name, a def), or
    passes on `**kwargs`, which may hold one."""
    members = spec.EVALS_FIELD_MEMBERS
    for n in ast.walk(node):
        if isinstance(n, ast.keyword) and (n.arg is None or n.arg in members):
            return True
        if isinstance(n, ast.Attribute) and n.attr in members:
            return True
        if isinstance(n, ast.Name) and n.id in members:
            return True
        if isinstance(n, FUNCTIONS) and n.name in members:
            return True
    return False


def _constant_str(expr: ast.expr | None) -> str | None:
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
        return expr.value
    return None


def _name(decorator: ast.Call, default: str) -> str | None:
    """The name `create_evaluator(name=...)` gives (required: None when computed)."""
    given = argument(decorator, *spec.EVALS_NAME_ARGUMENT)
    return _constant_str(given) if given is not None else default


# --------------------------------------------------------------------------------------------
# Prebuilt metrics, through the generated table (core/evals_metrics.py, through the spec).


def _metric_read(module: Module, node: ast.AST, names: tuple[str, ...], *, ready: bool) -> Read:
    """A prebuilt metric: handed over as it is (`ready`), or a class instantiated."""
    metrics = [spec.EVALS_METRICS_BY_NAME[q] for q in names if q in spec.EVALS_METRICS_BY_NAME]
    if not metrics:
        return Skip("phoenix.evals object not in the metrics table")
    metric = metrics[0]
    if metric.ready is not ready:
        return Skip("phoenix.evals metric class not instantiated, or instance called")
    # an LLM metric's fields are its template's variables, but its schema types them (`str`,
    # not coerced: the table spells a validated field `Any`), and pydantic validates them
    fields = tuple(
        EvalsField(f.name, required=f.required, annotation=_metric_type(f.type))
        for f in metric.fields
    )
    source: EvalsSource = "template" if metric.kind == "llm" else "schema"
    signature = EvalsSignature(
        fields, is_async=metric.async_only, source=source, name=metric.name or None
    )
    return EvalsRead(signature, Place(module, node))


_SCALARS = ("str", "int", "float", "bool")


def _metric_type(spelled: str) -> TypeExpr | None:
    """The annotations the table spells that decide a verdict (a scalar; a list, of a union of
    scalars as the binder reads it off the live schema); the rest are not known."""
    if spelled in _SCALARS:
        return TypeExpr.named(f"builtins.{spelled}")
    if spelled.startswith("list[") and spelled.endswith("]"):
        members = [m.strip() for m in spelled[len("list[") : -1].split("|")]
        if all(m in _SCALARS for m in members):
            items = [TypeExpr.named(f"builtins.{m}") for m in members]
            return TypeExpr.named("builtins.list", TypeExpr.union(*items))
        return TypeExpr.named("builtins.list", TypeExpr.named("typing.Any"))
    return None
