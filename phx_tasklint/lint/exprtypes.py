"""The type of the value an expression in a function body produces, where its source alone tells.

`returns` asks this of the expressions a def without a return annotation returns. It reads
literals and their shapes, f-strings, comparisons, calls of builtins and standard-library
constructors whose result type is certain, calls of classes the checked files define, calls of
defs there whose return is annotated, and local names whose every reaching binding reads the
same. Everything else is UNKNOWN, and so is a value whose type depends on a path (`a if c else
b` of two types, a name bound to different types on different paths): the judge then says
nothing. Elements of a container literal are all in the value, so their types join in a union.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable

from phx_tasklint.core.model import UNKNOWN, TypeExpr, TypeKind
from phx_tasklint.lint.definitions import FUNCTIONS, MAX_DEPTH, Lookup, class_member
from phx_tasklint.lint.modules import Binding, Module
from phx_tasklint.lint.typeexpr import annotation, class_type

_STR = TypeExpr.named("builtins.str")
_INT = TypeExpr.named("builtins.int")
_FLOAT = TypeExpr.named("builtins.float")
_BOOL = TypeExpr.named("builtins.bool")
_NONE = TypeExpr.named("builtins.None")
_ITERATOR = TypeExpr.named("collections.abc.Iterator")
_CALLABLE = TypeExpr.named("collections.abc.Callable")

# Calls whose result type is certain whatever the arguments (or the call raises). Containers
# built from an iterable get no item types: what they hold is not read.
_CALLS: dict[str, TypeExpr] = {
    **dict.fromkeys(
        ("str", "repr", "ascii", "format", "chr", "hex", "oct", "bin"),
        _STR,
    ),
    **dict.fromkeys(("int", "len", "ord", "hash", "id"), _INT),
    "float": _FLOAT,
    **dict.fromkeys(
        ("bool", "isinstance", "issubclass", "callable", "hasattr", "all", "any"), _BOOL
    ),
    **{name: TypeExpr.named(f"builtins.{name}") for name in ("dict", "list", "tuple", "set")},
    **{name: TypeExpr.named(f"builtins.{name}") for name in ("frozenset", "bytes", "bytearray")},
    "complex": TypeExpr.named("builtins.complex"),
    "sorted": TypeExpr.named("builtins.list"),
    **dict.fromkeys(("map", "filter", "zip", "enumerate", "reversed", "iter"), _ITERATOR),
    "print": _NONE,
}
_CALLS = {f"builtins.{name}": t for name, t in _CALLS.items()}
_DATETIME = TypeExpr.named("datetime.datetime")
_UUID = TypeExpr.named("uuid.UUID")
_PATH = TypeExpr.named("pathlib.Path")
_CALLS.update(
    {
        "json.dumps": _STR,
        "datetime.datetime": _DATETIME,
        **{
            f"datetime.datetime.{name}": _DATETIME
            for name in ("now", "utcnow", "today", "fromisoformat", "fromtimestamp", "strptime")
        },
        "datetime.date": TypeExpr.named("datetime.date"),
        "datetime.date.today": TypeExpr.named("datetime.date"),
        "datetime.time": TypeExpr.named("datetime.time"),
        "datetime.timedelta": TypeExpr.named("datetime.timedelta"),
        "decimal.Decimal": TypeExpr.named("decimal.Decimal"),
        "fractions.Fraction": TypeExpr.named("fractions.Fraction"),
        "uuid.UUID": _UUID,
        **{f"uuid.uuid{n}": _UUID for n in (1, 3, 4, 5)},
        "pathlib.Path": _PATH,
        "pathlib.PurePath": TypeExpr.named("pathlib.PurePath"),
    }
)
# Methods of `str` and what they return.
_STR_METHODS: dict[str, TypeExpr] = {
    **dict.fromkeys(
        [
            "capitalize",
            "casefold",
            "center",
            "expandtabs",
            "format",
            "format_map",
            "join",
            "ljust",
            "lower",
            "lstrip",
            "replace",
            "rjust",
            "rstrip",
            "strip",
            "swapcase",
            "title",
            "translate",
            "upper",
            "zfill",
            "removeprefix",
            "removesuffix",
        ],
        _STR,
    ),
    **dict.fromkeys(
        [
            "startswith",
            "endswith",
            "isalnum",
            "isalpha",
            "isascii",
            "isdecimal",
            "isdigit",
            "isidentifier",
            "islower",
            "isnumeric",
            "isprintable",
            "isspace",
            "istitle",
            "isupper",
        ],
        _BOOL,
    ),
    **dict.fromkeys(["count", "find", "index", "rfind", "rindex"], _INT),
    **dict.fromkeys(["split", "rsplit", "splitlines"], TypeExpr.named("builtins.list", _STR)),
}
_NUMBERS = {"builtins.bool": 0, "builtins.int": 1, "builtins.float": 2}
_ARITHMETIC = (ast.Add, ast.Sub, ast.Mult, ast.Mod, ast.FloorDiv)


class ExprTypes:
    """Reads expression types in one module; `lookup` finds what the checked files define."""

    def __init__(self, module: Module, lookup: Lookup) -> None:
        self.module = module
        self.lookup = lookup
        self._reading: set[ast.AST] = set()  # bindings being read: `x = x + 1` reads itself
        self._read: dict[ast.AST, TypeExpr] = {}  # bindings read (a name is read at every use)

    def of(self, expr: ast.expr, depth: int = 0) -> TypeExpr:
        if depth > MAX_DEPTH:
            return UNKNOWN
        reader = _READERS.get(type(expr))
        return reader(self, expr, depth + 1) if reader is not None else UNKNOWN

    # ------------------------------------------------------------------ literals

    def constant(self, expr: ast.expr, depth: int) -> TypeExpr:
        value = expr.value if isinstance(expr, ast.Constant) else ...
        if value is None:
            return _NONE
        if value is ... or (isinstance(value, str) and _numeric(value)):
            return UNKNOWN  # "0.5" goes through float() where a number is wanted: it may be one
        return TypeExpr.named(f"builtins.{type(value).__name__}")

    def joined(self, expr: ast.expr, depth: int) -> TypeExpr:
        return _STR

    def sequence(self, expr: ast.expr, depth: int) -> TypeExpr:
        assert isinstance(expr, (ast.List, ast.Tuple, ast.Set))
        name = {ast.List: "list", ast.Tuple: "tuple", ast.Set: "set"}[type(expr)]
        if any(isinstance(e, ast.Starred) for e in expr.elts):
            return UNKNOWN if name == "tuple" else TypeExpr.named(f"builtins.{name}")
        items = [self.of(e, depth) for e in expr.elts]
        if name == "tuple":
            if any(t.kind is TypeKind.UNKNOWN for t in items):
                return UNKNOWN  # a tuple is judged by position: every item counts
            return TypeExpr.named("builtins.tuple", *items)
        return TypeExpr.named(f"builtins.{name}", *_items(items))

    def mapping(self, expr: ast.expr, depth: int) -> TypeExpr:
        assert isinstance(expr, ast.Dict)
        if any(k is None for k in expr.keys):  # `**other`: keys and values not read
            return TypeExpr.named("builtins.dict")
        keys = [self.of(k, depth) for k in expr.keys if k is not None]
        values = [self.of(v, depth) for v in expr.values]
        key, value = _items(keys), _items(values)
        if not key:
            return TypeExpr.named("builtins.dict")
        return TypeExpr.named("builtins.dict", *key, *value)

    def comprehension(self, expr: ast.expr, depth: int) -> TypeExpr:
        if isinstance(expr, ast.GeneratorExp):
            return TypeExpr.named("typing.Generator", UNKNOWN)
        name = {ast.ListComp: "list", ast.SetComp: "set", ast.DictComp: "dict"}[type(expr)]
        return TypeExpr.named(f"builtins.{name}")  # what the loop makes is not read

    def lambda_(self, expr: ast.expr, depth: int) -> TypeExpr:
        return _CALLABLE

    # ------------------------------------------------------------------ operators

    def compare(self, expr: ast.expr, depth: int) -> TypeExpr:
        # `a == b` of arrays is an array; of anything else, what the judge takes as a bool (an
        # array is no better a result): no finding can come of it that a bool would not give
        return _BOOL

    def unary(self, expr: ast.expr, depth: int) -> TypeExpr:
        assert isinstance(expr, ast.UnaryOp)
        if isinstance(expr.op, ast.Not):
            return _BOOL
        operand = self.of(expr.operand, depth)
        rank = _NUMBERS.get(operand.name) if operand.kind is TypeKind.NAME else None
        if rank is None:
            return UNKNOWN
        return _INT if rank < 2 else _FLOAT  # -True is -1

    def binary(self, expr: ast.expr, depth: int) -> TypeExpr:
        assert isinstance(expr, ast.BinOp)
        left = self.of(expr.left, depth)
        if left == _STR and isinstance(expr.op, ast.Mod):
            return _STR  # "%s" % anything
        right = self.of(expr.right, depth)
        if left == _STR and right == _STR and isinstance(expr.op, ast.Add):
            return _STR
        ranks = [_NUMBERS.get(t.name) if t.kind is TypeKind.NAME else None for t in (left, right)]
        if None in ranks:
            return UNKNOWN
        if isinstance(expr.op, ast.Div):
            return _FLOAT
        if isinstance(expr.op, _ARITHMETIC):
            return _FLOAT if 2 in ranks else _INT
        return UNKNOWN  # `**` may give a float or a complex; bit operators keep bools

    def choice(self, expr: ast.expr, depth: int) -> TypeExpr:
        """`a if c else b`, `a or b`: one of the operands, so the same only when they agree."""
        if isinstance(expr, ast.IfExp):
            options = [expr.body, expr.orelse]
        else:
            assert isinstance(expr, ast.BoolOp)
            options = list(expr.values)
        return _agreed(self.of(o, depth) for o in options)

    # ------------------------------------------------------------------ names and calls

    def name(self, expr: ast.expr, depth: int) -> TypeExpr:
        assert isinstance(expr, ast.Name)
        bindings = self.module.reaching(expr).bindings
        if not bindings:
            return UNKNOWN
        return _agreed(self._binding(b, depth) for b in bindings)

    def _binding(self, binding: Binding, depth: int) -> TypeExpr:
        if binding.kind == "def" and isinstance(binding.node, FUNCTIONS):
            return _CALLABLE
        if binding.kind != "assign" or not isinstance(binding.node, ast.expr):
            return UNKNOWN  # a parameter, an import, a loop target, an unpacking
        parent = self.module.parent(binding.node)
        if isinstance(parent, ast.AnnAssign):  # `x: float = ...` says what it holds
            declared = annotation(self.module, parent.annotation, self.lookup, depth)
            if declared.kind is not TypeKind.UNKNOWN:
                return declared
        if binding.node is getattr(parent, "annotation", None):
            return UNKNOWN  # an annotation without a value: nothing to read
        node = binding.node
        if node in self._reading:
            return UNKNOWN
        found = self._read.get(node)
        if found is None:
            self._reading.add(node)
            try:
                found = self._read[node] = self.of(node, depth)
            finally:
                self._reading.discard(node)
        return found

    def call(self, expr: ast.expr, depth: int) -> TypeExpr:
        assert isinstance(expr, ast.Call)
        func = expr.func
        if (
            isinstance(func, ast.Attribute)
            and func.attr in _STR_METHODS
            and self.of(func.value, depth) == _STR
        ):
            return _STR_METHODS[func.attr]
        names = set(self.module.qualified(func))
        if len(names) != 1:
            return UNKNOWN
        (qualified,) = names
        known = _CALLS.get(qualified)
        if known is not None:
            return known
        return self._defined_call(qualified, depth, awaited=False)

    def awaited(self, expr: ast.expr, depth: int) -> TypeExpr:
        assert isinstance(expr, ast.Await)
        call = expr.value
        if not isinstance(call, ast.Call):
            return UNKNOWN
        names = set(self.module.qualified(call.func))
        if len(names) != 1:
            return UNKNOWN
        return self._defined_call(names.pop(), depth, awaited=True)

    def _defined_call(self, qualified: str, depth: int, *, awaited: bool) -> TypeExpr:
        """A call of a class the checked files define (its instance), or of a def there whose
        return is annotated (awaited when it is an `async def`)."""
        found = self.lookup(qualified)
        if found is None:
            return UNKNOWN
        module, node = found
        if isinstance(node, ast.ClassDef) and not awaited:
            if class_member(node, "__new__") is not None or node.keywords:
                return UNKNOWN  # what calling it returns is up to __new__ or the metaclass
            if any(not _is_dataclass(module, d) for d in node.decorator_list):
                return UNKNOWN  # a class decorator may replace the class
            return class_type(module, node, self.lookup, depth)
        if isinstance(node, FUNCTIONS) and node.returns is not None and not node.decorator_list:
            if isinstance(node, ast.AsyncFunctionDef) != awaited:
                return UNKNOWN  # a coroutine not awaited, or an await of a plain value
            return annotation(module, node.returns, self.lookup, depth)
        return UNKNOWN


def _is_dataclass(module: Module, decorator: ast.expr) -> bool:
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    return "dataclasses.dataclass" in module.qualified(target)


def _numeric(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _items(types: list[TypeExpr]) -> tuple[TypeExpr, ...]:
    """The item type of a container holding values of `types` (none when empty): all of them
    are in it, so a union of those read; unknown when any is."""
    if not types:
        return ()
    if any(t.kind is TypeKind.UNKNOWN for t in types):
        return (UNKNOWN,)
    distinct = list(dict.fromkeys(types))
    return (TypeExpr.union(*distinct),)


def _agreed(types: Iterable[TypeExpr]) -> TypeExpr:
    """The one type every option has, else UNKNOWN."""
    distinct = set(types)
    return distinct.pop() if len(distinct) == 1 else UNKNOWN


_READERS = {
    ast.Constant: ExprTypes.constant,
    ast.JoinedStr: ExprTypes.joined,
    ast.List: ExprTypes.sequence,
    ast.Tuple: ExprTypes.sequence,
    ast.Set: ExprTypes.sequence,
    ast.Dict: ExprTypes.mapping,
    ast.ListComp: ExprTypes.comprehension,
    ast.SetComp: ExprTypes.comprehension,
    ast.DictComp: ExprTypes.comprehension,
    ast.GeneratorExp: ExprTypes.comprehension,
    ast.Lambda: ExprTypes.lambda_,
    ast.Compare: ExprTypes.compare,
    ast.UnaryOp: ExprTypes.unary,
    ast.BinOp: ExprTypes.binary,
    ast.IfExp: ExprTypes.choice,
    ast.BoolOp: ExprTypes.choice,
    ast.Name: ExprTypes.name,
    ast.Call: ExprTypes.call,
    ast.Await: ExprTypes.awaited,
}
