"""Decide cheaply which files and blocks can hand anything to Phoenix, before the engine runs.

Two stages, each a superset of what the engine reacts to, so filtering never changes a result:
1. text (`mentions`, `could_hand_off`): the text spells a name the engine reacts to;
2. `ast` (C speed, `reacts`): it has a call, decorator, base class or import the engine would
   look at.

Stage 1 also decides where a block that does not parse is worth a PHX000 (the readers ask it
about each cell and fence): one that spells none of these names cannot hold a hand-off.

Why the names suffice: the engine matches qualified names, and a qualified name is built from
an import and the attributes read after it, so its last part is spelled in the file, either
after a dot or as the imported name (with `as` the original is still spelled). Python joins
those tokens across spaces, line continuations and (inside brackets) comments, and reads
identifiers in NFKC form, which is why the multi-word patterns allow gaps and `could_hand_off`
also looks at the normalized text.
"""

from __future__ import annotations

import ast
import re
import unicodedata
from collections.abc import Iterable, Iterator

from phx_tasklint.core import spec

_RUNNER_NAMES = frozenset(
    {r.method for r in (*spec.CLIENT_RUNNERS, *spec.LEGACY_RUNNERS)}
    | {spec.ASYNC_PREFIX + r.method for r in spec.CLIENT_RUNNERS}
)
_DECORATOR_NAMES = frozenset({q.rsplit(".", 1)[-1] for q in spec.CREATE_EVALUATOR}) | {
    spec.PYTEST_MARKER
}
_BASE_NAMES = frozenset(q.rsplit(".", 1)[-1] for q in spec.BASE_EVALUATOR_CLASSES)

# -- stage 1 ----------------------------------------------------------------------------------

_IDENTIFIER_BYTES = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")
_PREFIX = spec.ASYNC_PREFIX.encode()
# The words the engine's runners and decorators end in: wherever one is spelled, the file is
# let through. An async runner's name holds its sync twin's, so a word may also be found behind
# the async prefix.
_CALLED_WORDS = frozenset(
    name.encode()
    for name in {
        *(r.method for r in (*spec.CLIENT_RUNNERS, *spec.LEGACY_RUNNERS)),
        *(q.rsplit(".", 1)[-1] for q in spec.CREATE_EVALUATOR),
    }
)
# The evaluator bases' names count only among a class statement's bases, or renamed by an
# import: the engine looks no further (`Engine.on_class`, stage 2's `reacts`), and Phoenix's own
# server names its database models `Evaluator`, `LLMEvaluator`...
_BASE_WORDS = frozenset(name.encode() for name in _BASE_NAMES)


def _families(words: frozenset[bytes]) -> tuple[tuple[bytes, tuple[bytes, ...]], ...]:
    """Each word that holds no other word, with the words that hold it (`Evaluator`:
    `BaseEvaluator`...): the one search for it rules them all out in most files."""
    roots = sorted(w for w in words if not any(o != w and o in w for o in words))
    return tuple((root, tuple(sorted(w for w in words if root in w))) for root in roots)


_CALLED = _families(_CALLED_WORDS)
_BASES = _families(_BASE_WORDS)


def _gates(words: frozenset[bytes], size: int = 6) -> tuple[bytes, ...]:
    """A few short strings, one of which each word holds (`valuat`, `xperim`): most files hold
    none, and two searches then rule out every word."""
    left, gates = set(words), []
    while left:
        parts = {w[i : i + size] for w in left for i in range(len(w) - size + 1)}
        best = max(sorted(parts), key=lambda part: sum(part in w for w in left))
        gates.append(best)
        left = {w for w in left if best not in w}
    return tuple(gates)


_GATES = _gates(_CALLED_WORDS | _BASE_WORDS)
# Space Python lets stand between the tokens of a dotted name or an import (and what a Markdown
# console fence puts there: prompts): blanks, line continuations, comments.
_GAP = rb"(?:\s|\\|#[^\r\n]*|>>>|\.\.\.)*"


def _dotted(parts: Iterable[str]) -> bytes:
    return (_GAP + rb"\." + _GAP).join(re.escape(p.encode()) for p in parts)


_LEGACY_PARENT, _, _LEGACY_CHILD = spec.LEGACY_MODULE.rpartition(".")
# `import phoenix.experiments`, `from phoenix.experiments.x import y`, and
# `from phoenix import experiments` (the child is then looked for as a word of its own)
_LEGACY_DOTTED = re.compile(_dotted(spec.LEGACY_MODULE.split(".")))
_LEGACY_FROM = re.compile(
    rb"from" + _GAP + _dotted(_LEGACY_PARENT.split(".")) + _GAP + rb"import(?!\w)"
)
_LEGACY_FIRST = spec.LEGACY_MODULE.split(".")[0].encode()
# The evals-1.0 API arize-phoenix-evals 3 removed is reached only through a `phoenix.evals...`
# import (`from phoenix import evals` reaches nothing removed), whose last part is spelled too.
_EVALS_PARTS = spec.EVALS_MODULE.split(".")
_EVALS_DOTTED = re.compile(_dotted(_EVALS_PARTS))
_EVALS_CHILD = _EVALS_PARTS[-1].encode()
_REMOVED_EVALS_WORDS = tuple(
    sorted({r.name.rsplit(".", 1)[-1].encode() for r in spec.REMOVED_EVALS_API})
)
_LEGACY_CHILD_BYTES = _LEGACY_CHILD.encode()
# The pytest marker is read as an attribute of `mark`: `pytest.mark.phoenix`, or `m.phoenix`
# where `m` is `mark` by another name (`from pytest import mark as m`, `m = pytest.mark`,
# `(pytest.mark).phoenix`: `mark` then ends an expression); or it is imported from a module
# ending in `mark`. The three words must all be there.
_MARKER_PARTS = ("pytest", "mark", spec.PYTEST_MARKER)
_MARKER_WORDS = tuple(p.encode() for p in _MARKER_PARTS)
_MARKER_NAME = _MARKER_WORDS[-1]
_MARK, _MARKER = (re.escape(w) for w in _MARKER_WORDS[1:])
_MARKER_ATTRIBUTE = re.compile(rb"\." + _GAP + _MARKER + rb"(?!\w)")
_MARKER_DIRECT = re.compile(_MARK + _GAP + _MARKER_ATTRIBUTE.pattern)
# (no word boundary in front: a regular expression that starts with a literal is searched for
# fast, and a longer word ending in `mark` only lets a file through)
_MARK_RENAMED = re.compile(
    _MARK + rb"(?:[ \t\f]*(?:#[^\r\n]*)?(?:[\r\n]|$)|" + _GAP + rb"(?:as(?!\w)|[;,)\]}]))"
)
_MARKER_IMPORT = re.compile(_MARK + _GAP + rb"import(?!\w)")


def wrapper_names(runners: Iterable[str]) -> frozenset[str]:
    return frozenset(name.rsplit(".", 1)[-1] for name in runners)


def _has_word(data: bytes, word: bytes) -> bool:
    """`word` as a whole identifier in `data`, or behind the async prefix."""
    size = len(word)
    start = data.find(word)
    while start >= 0:
        end = start + size
        if end == len(data) or data[end] not in _IDENTIFIER_BYTES:
            before = start - 1
            if (
                before >= 0
                and data[before] in _IDENTIFIER_BYTES
                and data.endswith(_PREFIX, 0, start)
            ):
                before = start - len(_PREFIX) - 1  # `async_run_experiment`
            if before < 0 or data[before] not in _IDENTIFIER_BYTES:
                return True
        start = data.find(word, start + 1)
    return False


_BASE_RENAMED = re.compile(rb"(?:" + rb"|".join(sorted(_BASE_WORDS)) + rb")" + _GAP + rb"as(?!\w)")
_OPENING = {ord("("): ord(")"), ord("["): ord("]"), ord("{"): ord("}")}
_UNSURE = frozenset(b"\"'#")  # a string or a comment: brackets in it would be miscounted
_BLANK = frozenset(b" \t\f\r\n\\")


def _bracketed(data: bytes, start: int) -> int | None:
    """Where the bracket opened at `start` closes (after it), or None when that is not sure."""
    closing = [_OPENING[data[start]]]
    for at in range(start + 1, len(data)):
        byte = data[at]
        if byte in _UNSURE:
            return None
        if byte in _OPENING:
            closing.append(_OPENING[byte])
        elif byte == closing[-1]:
            closing.pop()
            if not closing:
                return at + 1
        elif byte in b")]}":
            return None
    return None


def _skip_blank(data: bytes, at: int) -> int:
    while at < len(data) and data[at] in _BLANK:
        at += 1
    return at


def _class_bases(data: bytes) -> Iterator[bytes | None]:
    """The text between the parentheses of each class statement's bases (None: not sure where
    they end); a `class` word that does not start a class statement gives nothing."""
    start = data.find(b"class")
    while start >= 0:
        at = start + 5
        if start and (data[start - 1] in _IDENTIFIER_BYTES or data[start - 1] == ord(".")):
            start = data.find(b"class", at)
            continue
        name = _skip_blank(data, at)
        end = name
        while end < len(data) and (data[end] in _IDENTIFIER_BYTES or data[end] >= 0x80):
            end += 1
        at = _skip_blank(data, end)
        if end > name and at < len(data) and data[at] == ord("["):  # type parameters
            closed = _bracketed(data, at)
            if closed is None:
                yield None
                return
            at = _skip_blank(data, closed)
        if end > name and at < len(data) and data[at] == ord("("):
            closed = _bracketed(data, at)
            yield None if closed is None else data[at + 1 : closed - 1]
        start = data.find(b"class", at)


def _subclasses(data: bytes) -> bool:
    """Could a class statement have an evaluator base, or an import rename one? (Stage 2's
    test of bases, `reacts`, on text; not sure counts as yes.)"""
    if not any(root in data and any(_has_word(data, w) for w in f) for root, f in _BASES):
        return False
    if _BASE_RENAMED.search(data):
        return True
    for bases in _class_bases(data):
        if bases is None or any(_has_word(bases, word) for word in _BASE_WORDS):
            return True
    return False


def mentions(data: bytes, wrappers: frozenset[str] = frozenset()) -> bool:
    """Stage 1 on bytes, as written (see `could_hand_off` for identifiers in NFKC form): could
    they spell anything the engine looks at? A superset: strings and comments count too."""
    if any(gate in data for gate in _GATES):
        for root, family in _CALLED:
            if root in data and any(_has_word(data, word) for word in family):
                return True
        if _subclasses(data):
            return True
    if any(_has_word(data, name.encode("utf-8", "surrogatepass")) for name in wrappers):
        return True
    if _LEGACY_FIRST not in data:
        # the marker's name is the same word (one search less on most files)
        return _MARKER_NAME != _LEGACY_FIRST and _marked(data)
    if _LEGACY_CHILD_BYTES in data and (_LEGACY_DOTTED.search(data) or _LEGACY_FROM.search(data)):
        return True
    if _EVALS_CHILD in data and _removed_evals(data):
        return True
    return _marked(data)


def _removed_evals(data: bytes) -> bool:
    """Could `data` import something of the evals-1.0 API?"""
    return any(w in data for w in _REMOVED_EVALS_WORDS) and bool(_EVALS_DOTTED.search(data))


def _marked(data: bytes) -> bool:
    """Could `data` use the pytest marker?"""
    if not all(word in data for word in _MARKER_WORDS):
        return False
    if _MARKER_DIRECT.search(data) or _MARKER_IMPORT.search(data):
        return True
    return bool(_MARK_RENAMED.search(data) and _MARKER_ATTRIBUTE.search(data))


# The characters whose NFKC form holds an ASCII letter, digit or underscore (ª, ﬁ, ｒ, 𝐫...):
# only they can make an identifier spell one of the names. A text without any is not normalized
# (most non-ASCII text holds none: accents, dashes, emoji). tests/test_pipeline.py checks the
# ranges against every code point of the running Python's Unicode database.
_COMPATIBLE_RANGES = (
    "\xaa\xb2\xb3\xb9\xba\xbc-\xbe\u0132-\u0149\u017f\u01c4-\u01cc\u01f1-\u01f3"
    "\u02b0-\u02b8\u02e1-\u02e3\u1d2c-\u1d65\u1d9c-\u1dbb\u1e9a\u2070-\u20a8\u2100-\u2189"
    "\u2460-\u24ea\u2c7c\u2c7d\u3250-\u325f\u32b1-\u32cf\u3358-\u33ff\ua7f2-\ua7f4"
    "\ufb00-\ufb06\ufe33-\ufe4f\uff10-\uff5a\U000107a5\U0001d400-\U0001d6a3"
    "\U0001d7ce-\U0001d7ff\U0001f100-\U0001f16c\U0001f190\U0001fbf0-\U0001fbf9"
)


def _utf8_pattern(ranges: str) -> re.Pattern[bytes]:
    """A bytes pattern for the UTF-8 of the characters in `ranges` (`a-b` or single ones): a
    search of it runs at the speed of a byte table, where a search of the text for the same
    characters looks each one up among the ranges."""
    codes: list[int] = []
    for match in re.finditer(r"(.)(?:-(.))?", ranges, re.DOTALL):
        first, last = match.group(1), match.group(2) or match.group(1)
        codes.extend(range(ord(first), ord(last) + 1))
    endings: dict[bytes, set[int]] = {}
    for code in codes:
        encoded = chr(code).encode("utf-8")
        endings.setdefault(encoded[:-1], set()).add(encoded[-1])
    return re.compile(
        b"|".join(
            re.escape(head) + b"[" + b"".join(re.escape(bytes([e])) for e in sorted(ends)) + b"]"
            for head, ends in sorted(endings.items())
        )
    )


_COMPATIBLE = _utf8_pattern(_COMPATIBLE_RANGES)


def normalized_mentions(
    text: str, wrappers: frozenset[str] = frozenset(), data: bytes | None = None
) -> bool:
    """`mentions` on the text with its identifiers as Python reads them (NFKC: `ｒun_experiment`
    is `run_experiment`); False when normalizing changes no letter, digit or underscore. `data`:
    the text's UTF-8, when the caller has it."""
    if data is None:
        if text.isascii():
            return False
        data = text.encode("utf-8", "surrogatepass")
    if data.isascii() or not _COMPATIBLE.search(data):
        return False
    normal = unicodedata.normalize("NFKC", text)
    return normal != text and mentions(normal.encode("utf-8", "surrogatepass"), wrappers)


def could_hand_off(text: str, wrappers: frozenset[str] = frozenset()) -> bool:
    """Stage 1 on a block of Python (a file, a notebook cell, a Markdown fence): could it hold
    anything the engine looks at? A block that could not is no place for a PHX000 either."""
    data = text.encode("utf-8", "surrogatepass")
    return mentions(data, wrappers) or normalized_mentions(text, wrappers, data)


# -- stage 2 ----------------------------------------------------------------------------------


def _last_name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Call):
        node = node.func
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    return None


def _legacy_import(node: ast.AST) -> bool:
    legacy = spec.LEGACY_MODULE
    if isinstance(node, ast.Import):
        return any(a.name == legacy or a.name.startswith(legacy + ".") for a in node.names)
    if isinstance(node, ast.ImportFrom) and node.module and not node.level:
        if node.module == legacy or node.module.startswith(legacy + "."):
            return True
        parent, _, child = legacy.rpartition(".")
        return node.module == parent and any(a.name == child for a in node.names)
    return False


def _removed_evals_import(node: ast.AST) -> bool:
    if isinstance(node, ast.Import):
        return any(spec.removed_evals_api(a.name) for a in node.names)
    if isinstance(node, ast.ImportFrom) and node.module and not node.level:
        return spec.removed_evals_api(node.module) is not None or any(
            spec.removed_evals_api(f"{node.module}.{a.name}") for a in node.names
        )
    return False


def reacts(
    calls: Iterable[ast.Call],
    functions: Iterable[ast.FunctionDef | ast.AsyncFunctionDef],
    classes: Iterable[ast.ClassDef],
    imports: Iterable[ast.Import | ast.ImportFrom],
    extra: frozenset[str] = frozenset(),
) -> bool:
    """Stage 2 on a module's gathered nodes: does it contain anything the engine reacts to?"""
    call_names = set(_RUNNER_NAMES | _DECORATOR_NAMES | extra)
    decorators = set(_DECORATOR_NAMES)
    bases = set(_BASE_NAMES)
    imports = list(imports)
    for node in imports:  # `import run_experiment as rx` calls `rx(...)`
        if isinstance(node, ast.ImportFrom):
            for alias in node.names:
                if alias.asname:
                    for group in (call_names, decorators, bases):
                        if alias.name in group:
                            group.add(alias.asname)
    return (
        any(_legacy_import(node) or _removed_evals_import(node) for node in imports)
        or any(_last_name(c.func) in call_names for c in calls)
        or any(_last_name(d) in decorators for f in functions for d in f.decorator_list)
        or any(_last_name(b) in bases for c in classes for b in c.bases)
    )


def has_handoff(tree: ast.AST, extra: frozenset[str] = frozenset()) -> bool:
    """Stage 2 on a whole tree."""
    nodes = list(ast.walk(tree))
    return reacts(
        (n for n in nodes if isinstance(n, ast.Call)),
        (n for n in nodes if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))),
        (n for n in nodes if isinstance(n, ast.ClassDef)),
        (n for n in nodes if isinstance(n, (ast.Import, ast.ImportFrom))),
        extra,
    )
