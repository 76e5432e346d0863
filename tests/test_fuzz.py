"""Fuzzing `phx-tasklint check` (issue 6): sources mutated from the fixtures and generated
hand-offs never crash the linter, never hide each other's findings, and get a PHX000 exactly
when Python rejects them; the mypy plugin and `--fix` survive the same inputs.

The generators below are shared with `bench/fuzz.py`, which runs them many more times. Each one
takes a `Draw` (hypothesis here, `random.Random` in the bench) and returns a `Case`: files to
check and, per file, the `Verdict` of the oracle.

The PHX000 oracle
-----------------
* A PHX000 is only for a block that could hold a hand-off (`prefilter.could_hand_off`: it spells
  a runner, `create_evaluator`, an evaluator base, the pytest marker or the legacy import); the
  linter never even reads a Python file that could not.
* A `.py` file gets exactly one PHX000 when it could hold a hand-off and `compile(bytes)` rejects
  it. `compile()` runs on the bytes,
  as an import would, so a BOM, a PEP 263 declaration, invalid UTF-8 and NUL bytes count. One
  stricter rule: `compile()` skips comments without decoding them, `python file.py` does not
  ("Non-UTF-8 code starting with ..."), and neither does phx-tasklint (tests/test_sources.py,
  `in-a-comment`); so undecodable bytes anywhere also make a PHX000 (`decodes`).
* A notebook gets one notebook-level PHX000 when its bytes are not JSON (after a UTF-8 BOM) and
  could hold a hand-off, and otherwise one PHX000 per code cell that does not compile and could
  hold one. A cell using IPython syntax (magics, `!`, `?`, prompts) is left out of the
  comparison: it is not Python.
* A Markdown file gets one PHX000 per Python fence (`python`, `py`, `python3`, `py3`, `pycon`)
  that does not compile, and one for a Python fence left unclosed, when the fence could hold a
  hand-off (undecodable bytes: when the file could).

`compile()` here is the parser (`ast.PyCF_ONLY_AST`), as in `phx_tasklint.lint.sources`: errors that
only the bytecode compiler raises (`return` outside a function, `await` at the top level of a
`.py`, a duplicate parameter, a late `from __future__`) are not PHX000s. The bench counts those
inputs separately ("compile-only").
"""

from __future__ import annotations

import ast
import codecs
import contextlib
import difflib
import importlib
import io
import itertools
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tokenize
import traceback
import warnings
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, TypeVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import (
    BINDING_NAMES,
    KEYWORD_ONLY,
    NEAR_MISS_NAMES,
    OTHER_NAMES,
    POSITIONAL_ONLY,
    POSITIONAL_OR_KEYWORD,
    VAR_KEYWORD,
    VAR_POSITIONAL,
    Kind,
    ParamSpec,
    SignatureSpec,
)

from phx_tasklint.cli import pipeline, report
from phx_tasklint.core import spec
from phx_tasklint.lint import prefilter, sources
from phx_tasklint.lint.findings import Finding

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures"
BOM = codecs.BOM_UTF8
T = TypeVar("T")


# --------------------------------------------------------------------------------------------
# Draws: one generator, two sources of randomness


class Draw(Protocol):
    def integer(self, low: int, high: int) -> int:
        """A whole number in [low, high]."""
        ...

    def blob(self, max_size: int) -> bytes:
        """Bytes, often made of tokens that matter to Python, JSON or Markdown."""
        ...

    def text(self, max_size: int) -> str:
        """Text, often made of such tokens (lone surrogates included)."""
        ...


NASTY_TOKENS = (
    "(", ")", "[", "]", "{", "}", ":", "'", '"', '"""', "\\", "#", "\n", "\r", "\r\n", "\t",
    " ", "    ", "\x00", "\x0c", "=", ",", ".", "*", "**", "@", "def ", "async ", "await ",
    "lambda ", "return ", "yield ", "if ", "else", "f'", "# coding: latin-1\n", "phoenix",
    "run_experiment", "%", "!", "?", "```", "~~~", "é", "\u2028", "\ufeff", "\x85", "\x0b",
)  # fmt: skip
NASTY_CHARS = (*NASTY_TOKENS, "\ud800", "\udcff", "\U0001f600")
NASTY_BYTES = (
    *(t.encode() for t in NASTY_TOKENS),
    b"\xff", b"\xc3", b"\xe9", b"\xed\xa0\x80", b"\xf0\x9f", BOM, b"\x80",
)  # fmt: skip


class RandomDraw:
    """For the bench: draws from a seeded `random.Random`."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def integer(self, low: int, high: int) -> int:
        return self.rng.randint(low, high)

    def blob(self, max_size: int) -> bytes:
        rng = self.rng
        return b"".join(
            rng.choice(NASTY_BYTES) if rng.random() < 0.5 else bytes([rng.randrange(256)])
            for _ in range(rng.randint(0, max_size))
        )

    def text(self, max_size: int) -> str:
        rng = self.rng
        return "".join(
            rng.choice(NASTY_CHARS) if rng.random() < 0.5 else chr(rng.randrange(0x2000))
            for _ in range(rng.randint(0, max_size))
        )


class HypothesisDraw:
    """For the tests: every draw goes through hypothesis, so failures shrink."""

    def __init__(self, data: st.DataObject) -> None:
        self.data = data

    def integer(self, low: int, high: int) -> int:
        return self.data.draw(st.integers(low, high))

    def blob(self, max_size: int) -> bytes:
        tokens = st.lists(st.sampled_from(NASTY_BYTES), max_size=max_size).map(b"".join)
        return self.data.draw(tokens | st.binary(max_size=max_size))

    def text(self, max_size: int) -> str:
        chars = st.sampled_from(NASTY_CHARS) | st.characters(exclude_categories=())
        return self.data.draw(st.lists(chars, max_size=max_size).map("".join))


def pick(draw: Draw, items: Sequence[T]) -> T:
    return items[draw.integer(0, len(items) - 1)]


def chance(draw: Draw, one_in: int) -> bool:
    return draw.integer(1, one_in) == 1


# --------------------------------------------------------------------------------------------
# Cases and verdicts


@dataclass(frozen=True)
class Verdict:
    """The PHX000s the oracle expects in one file, as "units": 0 for the file itself, a cell
    number in a notebook, a fence's opening line in Markdown."""

    kind: str  # python, notebook, markdown
    units: frozenset[int] | None  # None: the oracle has no verdict (only crashes count)
    unsure: frozenset[int] = frozenset()  # units left out of the comparison (IPython syntax)
    fences: tuple[tuple[int, int], ...] = ()  # Markdown: (opening line, last line) per fence
    compile_only: bool = False  # python: only the bytecode compiler rejects it


@dataclass(frozen=True)
class Case:
    family: str
    files: tuple[tuple[str, bytes], ...]
    verdicts: tuple[Verdict, ...]

    def __repr__(self) -> str:  # hypothesis prints this in a falsifying example
        shown = ", ".join(
            f"{name}: {data[:300]!r}... ({len(data)} bytes)" for name, data in self.files
        )
        return f"Case({self.family}: {shown})"


def _compile(source: str | bytes, flags: int) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(source, "<fuzz>", "exec", flags=flags, dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError):
        return False
    return True


@contextlib.contextmanager
def fresh_recursion_limit() -> Iterator[None]:
    """The recursion limit a fresh `python` runs under, as a console-script run of the linter
    does: how deep a tree `compile()` accepts depends on it, and an in-process mypy run (another
    test) raises it for the rest of the session."""
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(1000)
    try:
        yield
    finally:
        sys.setrecursionlimit(limit)


def parses(source: str | bytes, *, top_level_await: bool = False) -> bool:
    """Whether `compile()`'s parser accepts `source` (bytes: decoded as an import decodes)."""
    flags = ast.PyCF_ONLY_AST | (ast.PyCF_ALLOW_TOP_LEVEL_AWAIT if top_level_await else 0)
    return _compile(source, flags)


def compiles(source: str | bytes) -> bool:
    """Whether `source` compiles all the way to bytecode."""
    return _compile(source, 0)


def decodes(data: bytes) -> bool:
    """Whether every byte decodes as `python file.py` decodes it: BOM, PEP 263 declaration
    (`tokenize.detect_encoding`), then the whole file, comments included."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        data.decode(encoding)
    except (SyntaxError, LookupError, UnicodeDecodeError):
        return False
    return True


def readable(data: bytes) -> str:
    """The text as an import decodes it, or with what does not decode replaced."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        return data.decode(encoding).removeprefix("\ufeff")
    except (SyntaxError, LookupError, UnicodeDecodeError):
        return data.removeprefix(BOM).decode("utf-8", "replace")


def could(data: bytes | str) -> bool:
    """Could this file or block hold a hand-off (its identifiers read in NFKC form too)?"""
    if isinstance(data, str):
        return prefilter.could_hand_off(data)
    return prefilter.mentions(data) or prefilter.normalized_mentions(readable(data))


def python_verdict(data: bytes) -> Verdict:
    mentioned = could(data)
    ok = parses(data) and decodes(data)
    units = frozenset() if ok or not mentioned else frozenset({0})
    return Verdict("python", units, compile_only=mentioned and ok and not compiles(data))


_IPYTHON_LINE = re.compile(r"[%!?/,;]|>>>|\.\.\.|In \[")


def plain_python(cell: str) -> bool:
    """No line of the cell could be IPython syntax (conservative: any doubt says no)."""
    for line in re.split(r"\r\n|\r|\n", cell):
        body = line.strip(" \t\f")
        if body and (_IPYTHON_LINE.match(body) or body.endswith("?")):
            return False
        if re.search(r"=[ \t]*[!%]", line):
            return False
    return True


def leading_indent(cell: str) -> str:
    """IPython's cleanup: the first non-blank line's indentation removed from every line."""
    lines = re.split(r"\r\n|\r|\n", cell)
    first = next((line for line in lines if line.strip()), "")
    indent = first[: len(first) - len(first.lstrip(" \t"))]
    if not indent:
        return cell
    return "\n".join(line[len(indent) :] if line.startswith(indent) else line for line in lines)


def cell_parses(cell: str) -> bool:
    return parses(leading_indent(cell), top_level_await=True)


_PYTHON_LANGUAGES = ("python", "ipython")  # and their prefixes: python3, pythonkernel
_LANGUAGE_KEYS = (
    ("polyglot_notebook", "kernelInfo", "defaultKernelName"),
    ("language_info", "name"),
    ("kernelspec", "language"),
)


def notebook_verdict(data: bytes) -> Verdict:
    try:
        notebook = json.loads(data.removeprefix(BOM).decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return Verdict("notebook", frozenset({0}) if could(data) else frozenset())
    if not isinstance(notebook, dict) or "worksheets" in notebook:
        return Verdict("notebook", None)
    version, cells = notebook.get("nbformat"), notebook.get("cells")
    if not (type(version) is int and version >= 4 and isinstance(cells, list)):
        return Verdict("notebook", None)
    sources: list[tuple[int, str, str]] = []
    for number, cell in enumerate(cells, start=1):
        if not isinstance(cell, dict):
            return Verdict("notebook", None)
        source = cell.get("source", "")
        if isinstance(source, list) and all(isinstance(part, str) for part in source):
            source = "".join(source)
        if not isinstance(source, str):
            return Verdict("notebook", None)
        sources.append((number, str(cell.get("cell_type")), source))
    for keys in _LANGUAGE_KEYS:
        value: object = notebook.get("metadata")
        for key in keys:
            value = value.get(key) if isinstance(value, dict) else None
        if isinstance(value, str):
            if value and not value.lower().startswith(_PYTHON_LANGUAGES):
                return Verdict("notebook", frozenset())  # not Python: nothing is checked
            break
    broken = set()
    unsure = set()
    for number, kind, source in sources:
        if kind != "code":
            continue
        if not plain_python(source):
            unsure.add(number)
        elif not cell_parses(source) and could(source):
            broken.add(number)
    return Verdict("notebook", frozenset(broken), frozenset(unsure))


def markdown_bytes_verdict(data: bytes) -> Verdict:
    """Markdown mutated at the byte level: only undecodable bytes have a certain verdict."""
    try:
        data.removeprefix(BOM).decode("utf-8")
    except UnicodeDecodeError:
        return Verdict("markdown", frozenset({0}) if could(data) else frozenset())
    fenced = b"```" in data or b"~~~" in data
    return Verdict("markdown", None if fenced else frozenset())  # no fence, nothing to parse


def verdict_of(name: str, data: bytes) -> Verdict:
    kind = sources.kind_of(name) or "python"
    if kind == "notebook":
        return notebook_verdict(data)
    if kind == "markdown":
        return markdown_bytes_verdict(data)
    return python_verdict(data)


def single(family: str, name: str, data: bytes) -> Case:
    return Case(family, ((name, data),), (verdict_of(name, data),))


# --------------------------------------------------------------------------------------------
# Seeds: the fixtures


def _fixture_files(pattern: str) -> list[Path]:
    return sorted(
        p for p in FIXTURES.rglob(pattern) if ".phx-tasklint-cache" not in p.parts and p.is_file()
    )


PY_SEEDS: tuple[bytes, ...] = tuple(
    data for data in (p.read_bytes() for p in _fixture_files("*.py")) if data.strip()
)
NOTEBOOK_SEED = (FIXTURES / "experiment.ipynb").read_bytes()
MARKDOWN_SEED = (FIXTURES / "guide.md").read_bytes()


def _segments(data: bytes) -> list[str]:
    """The top-level statements of a fixture, decorators included, one string each."""
    text = data.decode("utf-8")
    lines = text.splitlines(keepends=True)
    out = []
    for node in ast.parse(text).body:
        decorators = getattr(node, "decorator_list", [])
        start = min([node.lineno, *(d.lineno for d in decorators)])
        out.append("".join(lines[start - 1 : node.end_lineno]))
    return out


SEGMENTS: tuple[str, ...] = tuple(s for data in PY_SEEDS for s in _segments(data))
HEADER = "from phoenix.client.experiments import run_experiment\n"


# --------------------------------------------------------------------------------------------
# Byte mutations


def _lines(data: bytes) -> list[bytes]:
    return data.splitlines(keepends=True)


def truncate(draw: Draw, data: bytes) -> bytes:
    return data[: draw.integer(0, len(data))]


def insert_bytes(draw: Draw, data: bytes) -> bytes:
    at = draw.integer(0, len(data))
    return data[:at] + draw.blob(8) + data[at:]


def delete_lines(draw: Draw, data: bytes) -> bytes:
    lines = _lines(data)
    for _ in range(draw.integer(1, 3)):
        if lines:
            del lines[draw.integer(0, len(lines) - 1)]
    return b"".join(lines)


def duplicate_lines(draw: Draw, data: bytes) -> bytes:
    lines = _lines(data)
    if not lines:
        return data
    start = draw.integer(0, len(lines) - 1)
    stop = min(len(lines), start + draw.integer(1, 3))
    block = lines[start:stop]
    if not block[-1].endswith((b"\n", b"\r")):
        block[-1] += b"\n"
    return b"".join(lines[:stop] + block + lines[stop:])


INVALID_UTF8 = (b"\xff", b"\xc3", b"\xc3(", b"\xe9", b"\xed\xa0\x80", b"\xf0\x9f\x98", b"\x80")


def invalid_utf8(draw: Draw, data: bytes) -> bytes:
    if chance(draw, 4):  # a Latin-1 file without a declaration
        return data.decode("utf-8", "replace").replace("e", "é").encode("latin-1", "replace")
    at = draw.integer(0, len(data))
    return data[:at] + pick(draw, INVALID_UTF8) + data[at:]


def nul_byte(draw: Draw, data: bytes) -> bytes:
    at = draw.integer(0, len(data))
    return data[:at] + b"\x00" + data[at:]


def bom(draw: Draw, data: bytes) -> bytes:
    at = draw.integer(0, len(data))
    return pick(
        draw,
        [
            BOM + data,
            BOM + BOM + data,
            data[:at] + BOM + data[at:],
            BOM + b"# -*- coding: latin-1 -*-\n" + data,
            BOM + b"# coding: utf-8\n" + data,
        ],
    )


def line_endings(draw: Draw, data: bytes) -> bytes:
    lines = data.splitlines()
    ends = [pick(draw, (b"\n", b"\r\n", b"\r")) for _ in lines]
    if not data.endswith((b"\n", b"\r")) and ends:
        ends[-1] = b""
    return b"".join(line + end for line, end in zip(lines, ends, strict=True))


COOKIES = (
    b"# -*- coding: latin-1 -*-\n",
    b"# coding: utf-8\n",
    b"# coding=ascii\n",
    b"# coding: utf-16\n",
    b"# coding: rot13\n",
    b"# coding: bogus\n",
    b"# vim: set fileencoding=cp1252 :\n",
    b"#!/usr/bin/env python\n# coding: latin-1\n",
    b"x = 1\n# coding: latin-1\n",
    b"\n# coding: iso-8859-15\n",
    b"# coding: latin-1\r",
)


def cookie(draw: Draw, data: bytes) -> bytes:
    declared = pick(draw, COOKIES)
    if b"latin-1" in declared and chance(draw, 2):
        data = data.decode("utf-8", "replace").replace("e", "é").encode("latin-1", "replace")
    return declared + data


def tabs(draw: Draw, data: bytes) -> bytes:
    lines = _lines(data)
    for _ in range(draw.integer(1, 4)):
        if lines:
            at = draw.integer(0, len(lines) - 1)
            lines[at] = re.sub(rb"^    ", pick(draw, (b"\t", b"  \t", b"\t    ")), lines[at])
    return b"".join(lines)


BYTE_OPS: dict[str, Callable[[Draw, bytes], bytes]] = {
    "truncate": truncate,
    "insert": insert_bytes,
    "delete-lines": delete_lines,
    "duplicate-lines": duplicate_lines,
    "invalid-utf8": invalid_utf8,
    "nul": nul_byte,
    "bom": bom,
    "line-endings": line_endings,
    "cookie": cookie,
    "tabs": tabs,
}


def stacked(draw: Draw, data: bytes) -> bytes:
    for _ in range(draw.integer(2, 4)):
        data = pick(draw, list(BYTE_OPS.values()))(draw, data)
    return data


# --------------------------------------------------------------------------------------------
# Deep nesting


def _blocks(depth: int, header: str, body: str) -> str:
    return "".join(" " * i + header + "\n" for i in range(depth)) + " " * depth + body


NESTING: dict[str, Callable[[int], str]] = {
    "parens": lambda n: "x = " + "(" * n + "1" + ")" * n,
    "lists": lambda n: "x = " + "[" * n + "]" * n,
    "dicts": lambda n: "x = " + "{'k': " * n + "1" + "}" * n,
    "calls": lambda n: "x = " + "f(" * n + ")" * n,
    "attributes": lambda n: "x = y" + ".a" * n,
    "subscripts": lambda n: "x = y" + "[0]" * n,
    "plus": lambda n: "x = y" + " + y" * n,
    "unary": lambda n: "x = " + "-" * n + "1",
    "not": lambda n: "x = " + "not " * n + "y",
    "lambdas": lambda n: "x = " + "lambda: " * n + "1",
    "conditional": lambda n: "x = " + "1 if y else " * n + "2",
    "if-blocks": lambda n: _blocks(n, "if y:", "pass"),
    "defs": lambda n: _blocks(n, "def f(input):", "return input"),
    "fstrings": lambda n: "x = " + "f'{" * n + "y" + "}'" * n,
    "annotation": lambda n: (
        "def task(input: "
        + "list[" * n
        + "int"
        + "]" * n
        + "):\n    return input\nrun_experiment(dataset=None, task=task)"
    ),
    "task-argument": lambda n: (
        "run_experiment(dataset=None, task=" + "f(" * n + "t" + ")" * n + ")"
    ),
    "evaluators": lambda n: (
        "run_experiment(dataset=None, task=t, evaluators=" + "[" * n + "e" + "]" * n + ")"
    ),
    "lambda-task": lambda n: "run_experiment(dataset=None, task=" + "lambda: " * n + "1)",
}
DEEP = 10_000


def nesting_depth(draw: Draw) -> int:
    # 10,000 (the depth) or shallow; depths near the interpreter's recursion limit are
    # left out: whether `compile()` then raises RecursionError depends on the caller's stack.
    return DEEP if chance(draw, 2) else draw.integer(1, 100)


def deep_source(draw: Draw) -> str:
    return NESTING[pick(draw, sorted(NESTING))](nesting_depth(draw))


# --------------------------------------------------------------------------------------------
# Text mutations (notebook cells and Markdown fences)


def _text_lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def _text_op(draw: Draw, text: str) -> str:
    lines = _text_lines(text)
    op = draw.integer(0, 8)
    if op == 0:
        return text[: draw.integer(0, len(text))]
    if op == 1:
        at = draw.integer(0, len(text))
        return text[:at] + draw.text(6) + text[at:]
    if op == 2 and lines:
        del lines[draw.integer(0, len(lines) - 1)]
    elif op == 3 and lines:
        at = draw.integer(0, len(lines) - 1)
        lines.insert(at, lines[at] if lines[at].endswith("\n") else lines[at] + "\n")
    elif op == 4:  # indented as a whole: IPython removes the first line's indentation
        lines = ["    " + line for line in lines]
    elif op == 5:
        magic = pick(draw, ["%time x = 1\n", "!ls\n", "obj?\n", "x = !ls\n", "%%time\n"])
        lines.insert(draw.integer(0, len(lines)), magic)
    elif op == 6:
        return deep_source(draw) + "\n"
    elif op == 7:  # the end of a line cut off
        return "".join(line.rstrip("\n")[: max(1, len(line) // 2)] + "\n" for line in lines)
    return "".join(lines)


def cell_text(draw: Draw) -> str:
    start = draw.integer(0, len(SEGMENTS) - 1)
    text = "".join(SEGMENTS[start : start + draw.integer(1, 3)])
    for _ in range(draw.integer(0, 2)):
        text = _text_op(draw, text)
    return text


# --------------------------------------------------------------------------------------------
# Generators: one per input family


def py_family(op: Callable[[Draw, bytes], bytes]) -> Callable[[Draw], Case]:
    def generate(draw: Draw) -> Case:
        name = pick(draw, ["case.py", "case.py", "case.py", "stub.pyi", "script"])
        return single("", name, op(draw, pick(draw, PY_SEEDS)))

    return generate


def py_deep(draw: Draw) -> Case:
    seed = pick(draw, PY_SEEDS)
    construct = deep_source(draw).encode()
    data = pick(draw, [seed + b"\n" + construct + b"\n", construct + b"\n" + seed])
    return single("", "case.py", data)


EMPTY_PY = (b"", b"\n", b"   ", b"\r\n\r\n", BOM, BOM + b"\n", b"\x00", b"\t\n  \n", b"\x0c")
EMPTY_OTHER = (b"", b"\n", BOM, b"   ", b"{}", b"[]", b"null", b"\x00")


def empty(draw: Draw) -> Case:
    name = pick(draw, ["e.py", "e.ipynb", "e.md"])
    if name.endswith(".py"):
        data = pick(draw, EMPTY_PY)
        data = data + b"# run_experiment\n" if chance(draw, 2) else data  # a marker, or none
    else:
        data = pick(draw, EMPTY_OTHER)
    return single("", name, data)


NOTEBOOK_METADATA: tuple[dict[str, object], ...] = (
    {},
    {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
    {"language_info": {"name": "python"}},
    {"language_info": {"name": "R"}},
)


def notebook_bytes(draw: Draw) -> Case:
    return single(
        "",
        "nb.ipynb",
        stacked(draw, NOTEBOOK_SEED)
        if chance(draw, 3)
        else pick(draw, list(BYTE_OPS.values()))(draw, NOTEBOOK_SEED),
    )


def notebook_document(
    draw: Draw, cells: list[tuple[str, str]], *, other_language: bool = True
) -> bytes:
    """An nbformat 4 notebook of (cell type, source) cells, drawn in its many spellings (now and
    then an R notebook, where nothing is checked, unless `other_language` is false)."""
    out = []
    for kind, text in cells:
        source: str | list[str] = text if chance(draw, 2) else text.splitlines(keepends=True)
        cell: dict[str, object] = {"cell_type": kind, "metadata": {}, "source": source}
        if kind == "code":
            cell |= {"execution_count": None, "outputs": []}
        out.append(cell)
    document = {
        "cells": out,
        "metadata": NOTEBOOK_METADATA[3]
        if other_language and chance(draw, 10)
        else pick(draw, NOTEBOOK_METADATA[:3]),
        "nbformat": 4,
        "nbformat_minor": pick(draw, [2, 4, 5]),
    }
    text = json.dumps(document, indent=pick(draw, [None, 1, 2]), ensure_ascii=chance(draw, 2))
    data = text.encode("utf-8", "surrogatepass")  # a lone surrogate makes it invalid UTF-8
    return BOM + data if chance(draw, 8) else data


def notebook_cells(draw: Draw) -> Case:
    cells = []
    for _ in range(draw.integer(1, 5)):
        kind = pick(draw, ["code", "code", "code", "markdown", "raw"])
        cells.append((kind, cell_text(draw) if kind == "code" else "Some *prose*.\n"))
    data = notebook_document(draw, cells)
    return single("", "nb.ipynb", data)


def markdown_bytes(draw: Draw) -> Case:
    return single("", "doc.md", pick(draw, list(BYTE_OPS.values()))(draw, MARKDOWN_SEED))


_NOT_A_CLOSER = re.compile(r"[ \t]*(`{3,}|~{3,})[ \t]*")
FENCE_LANGUAGES = (
    "python", "py", "python3", "py3", "Python", "{.python}", "python title='a.py'", "pycon",
    "bash", "", "text", "pythonic", "ipython",
)  # fmt: skip


def _fence_kind(info: str) -> str | None:
    """python, pycon, ipython or None, from a fence's info string."""
    match = re.match(r"[{.]*([\w+-]+)", info.strip())
    word = match.group(1).lower() if match else ""
    if word in ("python", "py", "python3", "py3"):
        return "python"
    return word if word in ("pycon", "ipython") else None


def markdown_fences(draw: Draw) -> Case:
    newline = pick(draw, ["\n", "\n", "\r\n"])
    lines: list[str] = []
    fences: list[tuple[int, int]] = []
    broken: set[int] = set()
    unsure: set[int] = set()
    count = draw.integer(1, 4)
    for index in range(count):
        lines += pick(draw, [[], ["# Title"], ["Some text.", ""], ["- item", "> quote"]])
        info = pick(draw, FENCE_LANGUAGES)
        marker = pick(draw, ["```", "~~~", "````"])
        indent = pick(draw, ["", "", "  "])
        kind = _fence_kind(info)
        code = [
            "# " + line if _NOT_A_CLOSER.fullmatch(line) else line
            for line in cell_text(draw).splitlines()
        ]
        if kind == "pycon":  # a console session: prompts on code lines, sometimes output
            code = [(">>> " if not line[:1].isspace() else "... ") + line for line in code]
            if chance(draw, 2):
                code.append("'some output'")
        opening = len(lines) + 1
        lines.append(f"{indent}{marker}{info}")
        lines += [indent + line for line in code]
        unclosed = index == count - 1 and chance(draw, 6)
        if not unclosed:
            lines.append(indent + marker)
        fences.append((opening, len(lines)))
        first = next((line.strip() for line in code if line.strip()), "")
        if kind == "ipython" or (kind == "python" and first.startswith(">>>")):
            unsure.add(opening)
        elif kind is not None:
            python = code
            if kind == "pycon":
                python = [line[4:] if line.startswith((">>> ", "... ")) else "" for line in code]
            text = "\n".join(python)
            if (unclosed or not parses(text + "\n", top_level_await=True)) and could(text):
                broken.add(opening)
        if unclosed:
            break
    data = (newline.join(lines) + newline).encode("utf-8", "surrogatepass")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        verdict = Verdict("markdown", frozenset({0}) if could(data) else frozenset())
    else:
        verdict = Verdict("markdown", frozenset(broken), frozenset(unsure), tuple(fences))
    return Case("", (("doc.md", data),), (verdict,))


# -- generated hand-offs ----------------------------------------------------------------------

ANNOTATIONS = (
    "Any", "dict[str, Any]", "dict", "Dict[str, Any]", "str", "int", "float", "bool", "None",
    "Optional[str]", "str | None", "list[str]", "List[Dict[str, Any]]", "tuple[int, ...]",
    "set[str]", "Mapping[str, Any]", "Union[int, str]", "'dict[str, Any]'", "'Undefined'",
    "Record", "Callable[..., Any]", "Literal['a', 'b']", "Annotated[str, 'doc']",
    "dict[str, list[set[int]]]", "object", "bytes", "Sequence[float]", "Record | None",
)  # fmt: skip
RETURNS = (
    "Any", "dict[str, Any]", "str", "set[str]", "bytes", "float", "bool", "int", "None",
    "list[float]", "tuple[str, float]", "Awaitable[Any]", "Coroutine[Any, Any, int]",
    "Iterator[int]", "Generator[int, None, None]", "dict[str, float]", "complex", "Record",
    "object", "list[set[int]]",
)  # fmt: skip
BODIES = (
    "return 1",
    "return {first}",
    "return {{'answer': {first}}}",
    "return None",
    "yield 1",
    "return set()",
    "return b'x'",
    "print(locals())\n    return 1",
    "{first} = 2\n    return {first}",
    "return [{first}, {first}]",
)
DECORATORS = ("", "", "", "@functools.lru_cache\n", "@create_evaluator(name='x')\n",
              "@create_evaluator(kind='CODE')\n", "@functools.wraps(print)\n")  # fmt: skip
CONTAINERS = (
    "[{a}]", "[{a}, {b}]", "({a},)", "{{'x': {a}, 'y': {b}}}", "{a}", "EVALS", "dict(x={a})",
    "[{a}] + [{b}]", "list(({a}, {b}))", "[e for e in ({a},)]", "(e for e in [{a}])",
    "{a} if ds else {b}", "None", "[*EVALS, {b}]",
)  # fmt: skip
RUNNERS = (
    "run_experiment(dataset=ds, task={task}{evaluators})",
    "Client().experiments.run_experiment(dataset=ds, task={task}{evaluators})",
    "await AsyncClient().experiments.run_experiment(dataset=ds, task={task}{evaluators})",
    "await async_run_experiment(dataset=ds, task={task}{evaluators})",
    "evaluate_experiment(experiment=None{evaluators})",
    "legacy_run(ds, {task}{evaluators})",
    "Client().experiments.resume_experiment(experiment_id='x', task={task}{evaluators})",
)
HANDOFF_HEADER = """\
{future}import functools
from collections.abc import Awaitable, Coroutine, Generator, Iterator, Mapping, Sequence
from typing import Annotated, Any, Callable, Dict, List, Literal, Optional, TypedDict, Union

from phoenix.client import AsyncClient, Client
from phoenix.client.experiments import (
    async_run_experiment,
    create_evaluator,
    evaluate_experiment,
    run_experiment,
)
from phoenix.experiments import run_experiment as legacy_run

ds: Any = None


class Record(TypedDict):
    question: str

"""
NAMES = (*BINDING_NAMES, *BINDING_NAMES, *NEAR_MISS_NAMES, *OTHER_NAMES)
KINDS = (POSITIONAL_ONLY, POSITIONAL_OR_KEYWORD, VAR_POSITIONAL, KEYWORD_ONLY, VAR_KEYWORD)


def draw_signature(draw: Draw) -> SignatureSpec:
    """`strategies.signature_specs`, drawn through a `Draw`: any valid `def` header."""
    names: list[str] = []
    for _ in range(draw.integer(0, 5)):
        name = pick(draw, NAMES)
        if name not in names:
            names.append(name)
    kinds: list[Kind] = [pick(draw, KINDS) for _ in names]
    for var in (VAR_POSITIONAL, VAR_KEYWORD):  # a second *args / **kwargs: keyword-only
        first = kinds.index(var) if var in kinds else -1
        kinds = [KEYWORD_ONLY if k is var and i != first else k for i, k in enumerate(kinds)]
    params: list[ParamSpec] = []
    positional_default = False
    for kind, name in sorted(zip(kinds, names, strict=True), key=lambda kn: kn[0]):
        if kind in (VAR_POSITIONAL, VAR_KEYWORD):
            default = False
        elif kind is KEYWORD_ONLY:
            default = chance(draw, 2)
        else:
            default = positional_default or chance(draw, 2)
            positional_default = default
        params.append(ParamSpec(name, kind, default))
    return SignatureSpec(tuple(params), is_async=chance(draw, 3))


def render_params(draw: Draw, signature: SignatureSpec) -> str:
    parts: list[str] = []
    kinds = [p.kind for p in signature.params]
    for i, p in enumerate(signature.params):
        if p.kind is KEYWORD_ONLY and VAR_POSITIONAL not in kinds and KEYWORD_ONLY not in kinds[:i]:
            parts.append("*")
        annotation = f": {pick(draw, ANNOTATIONS)}" if chance(draw, 2) else ""
        star = "*" if p.kind is VAR_POSITIONAL else "**" if p.kind is VAR_KEYWORD else ""
        default = (" = None" if annotation else "=None") if p.has_default else ""
        parts.append(f"{star}{p.name}{annotation}{default}")
        if p.kind is POSITIONAL_ONLY and POSITIONAL_ONLY not in kinds[i + 1 :]:
            parts.append("/")
    return ", ".join(parts)


def _callable(draw: Draw, index: int) -> tuple[str, str]:
    """(definition, expression that hands it over) of one generated callable."""
    signature = draw_signature(draw)
    params = render_params(draw, signature)
    first = signature.params[0].name if signature.params else "1"
    body = pick(draw, BODIES).format(first=first)
    if not signature.params:  # `1 = 2` is no statement
        body = body.replace("1 = 2\n    ", "")
    returns = f" -> {pick(draw, RETURNS)}" if chance(draw, 3) else ""
    prefix = "async def" if signature.is_async else "def"
    form = draw.integer(0, 5)
    name = f"f{index}"
    if form == 0 and ":" not in params:  # a lambda (no annotations, no body)
        return f"{name} = lambda {params}: 1\n", name
    if form == 1:  # a callable instance
        me = "obj" if any(p.name == "self" for p in signature.params) else "self"
        inner = f"{me}, {params}" if params else me
        indented = body.replace("\n", "\n    ")
        method = f"    {prefix} __call__({inner}){returns}:\n        {indented}\n"
        return f"class C{index}:\n{method}\n", f"C{index}()"
    definition = f"{pick(draw, DECORATORS)}{prefix} {name}({params}){returns}:\n    {body}\n"
    if form == 2:
        return definition, f"functools.partial({name}, {pick(draw, NAMES)}=1)"
    return definition, name


def handoff(draw: Draw) -> Case:
    header = HANDOFF_HEADER.format(future=pick(draw, ["", "from __future__ import annotations\n"]))
    definitions, refs = [], []
    for index in range(draw.integer(1, 4)):
        definition, ref = _callable(draw, index)
        definitions.append(definition)
        refs.append(ref)
    lines = [f"EVALS = [{', '.join(refs)}]"]
    awaited: list[str] = []
    for _ in range(draw.integer(1, 3)):
        task = pick(draw, [*refs, "lambda input: input", "lambda: 1"])
        container = pick(draw, CONTAINERS).format(a=pick(draw, refs), b=pick(draw, refs))
        evaluators = f", evaluators={container}" if chance(draw, 2) else ""
        call = pick(draw, RUNNERS).format(task=task, evaluators=evaluators)
        (awaited if call.startswith("await") else lines).append(call)
    if awaited:
        lines.append("\n\nasync def main() -> None:\n    " + "\n    ".join(awaited))
    text = header + "\n\n".join(definitions) + "\n\n" + "\n".join(lines) + "\n"
    return single("", "handoff.py", text.encode())


# -- big files --------------------------------------------------------------------------------

BIG = 20_000_000
BIG_TAIL = b"def task(input, question):\n    return question\n\n\n"
BIG_TAIL += b"run_experiment(dataset=None, task=task)\n"


def big_file(variant: str, broken: bool = False) -> bytes:
    """A 20 MB Python file: padding that is cheap to parse (20 MB of small functions takes the
    linter ~40 s and ~4 GB, too slow for a test), then a hand-off, maybe a broken last line."""
    line = b"# " + b"x" * 97 + b"\n"
    padding = {
        "comment": line * (BIG // len(line)),
        "string": b"BLOB = '" + b"y" * BIG + b"'\n",
        "docstring": b'DOC = """\n' + (b"z" * 99 + b"\n") * (BIG // 100) + b'"""\n',
        "unmentioned": line * (BIG // len(line)),
    }[variant]
    head = b"" if variant == "unmentioned" else HEADER.encode()
    tail = b"def f(a):\n    return a\n" if variant == "unmentioned" else BIG_TAIL
    return head + padding + tail + (b"def oops(:\n" if broken else b"")


def big(draw: Draw) -> Case:
    variant = pick(draw, ["comment", "string", "docstring", "unmentioned"])
    return single("", "big.py", big_file(variant, broken=chance(draw, 2)))


FAMILIES: dict[str, Callable[[Draw], Case]] = {
    **{f"py-{name}": py_family(op) for name, op in BYTE_OPS.items()},
    "py-stacked": py_family(stacked),
    "py-deep": py_deep,
    "empty": empty,
    "handoff": handoff,
    "nb-bytes": notebook_bytes,
    "nb-cells": notebook_cells,
    "md-bytes": markdown_bytes,
    "md-fences": markdown_fences,
    "big-20MB": big,
}
# Python families whose output often still compiles: where `--fix` has something to do.
FIXABLE_FAMILIES = ("handoff", "py-duplicate-lines", "py-line-endings", "py-bom", "py-tabs",
                    "py-cookie", "py-delete-lines")  # fmt: skip


def generate(family: str, draw: Draw) -> Case:
    case = FAMILIES[family](draw)
    return Case(family, case.files, case.verdicts)


# --------------------------------------------------------------------------------------------
# Running a case in-process


@dataclass
class Run:
    findings: list[Finding] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    crash: str | None = None  # an exception out of pipeline.run, or an internal error message
    output: list[str] = field(default_factory=list)  # a format that fails, invalid JSON
    wrong: list[str] = field(default_factory=list)  # PHX000s where the oracle has none, or none
    compile_only: int = 0
    judged: int = 0  # files the oracle had a verdict for
    expected: int = 0  # PHX000s it expected in them


JSON_FIELDS = frozenset(report.FIELDS)


def output_problems(findings: Sequence[Finding]) -> list[str]:
    """Every format renders, encodes as UTF-8 (what stdout needs) and JSON parses."""
    problems = []
    for fmt in report.FORMATS:
        try:
            report.render(findings, fmt).encode("utf-8")
        except Exception as exc:
            problems.append(f"--format {fmt}: {type(exc).__name__}: {exc}")
    try:
        data = json.loads(report.render(findings, "json"))
        json.loads(report.render(findings, "sarif"))
    except Exception as exc:
        return [*problems, f"invalid JSON: {exc}"]
    for item in data:
        missing = JSON_FIELDS - set(item)
        start, end = (item["line"], item["column"]), (item["end_line"], item["end_column"])
        if missing or item["code"] not in spec.RULES_BY_CODE:
            problems.append(f"bad JSON finding {item}")
        elif min(*start, *end) < 1 or end < start:
            problems.append(f"bad position {item['path']}:{start}-{end} {item['code']}")
    return problems


def _line_count(text: str | bytes) -> int:
    if isinstance(text, bytes):
        return len(re.split(rb"\r\n|\r|\n", text))
    return len(re.split(r"\r\n|\r|\n", text))


def position_problems(name: str, data: bytes, findings: Sequence[Finding]) -> list[str]:
    """Every finding lies inside its file (a notebook finding: inside its cell); one line past
    the end is allowed, where compile() reports an unexpected end of file."""
    limits: dict[int | None, int] = {None: _line_count(data)}
    if sources.kind_of(name) == "notebook":
        try:
            cells = json.loads(data.removeprefix(BOM).decode("utf-8"))["cells"]
            for number, cell in enumerate(cells, start=1):
                source = cell.get("source", "")
                limits[number] = _line_count(source if isinstance(source, str) else "".join(source))
        except Exception:
            return []  # not a notebook: only notebook-level PHX000s, at 1:1
    out = []
    for f in findings:
        limit = limits.get(f.location.cell)
        if limit is not None and max(f.location.line, f.location.end_line) > limit + 1:
            out.append(
                f"{f.diagnostic.code} at line {f.location.line} of {limit} (cell {f.location.cell})"
            )
    return out


def units_of(verdict: Verdict, findings: Sequence[Finding]) -> list[int]:
    out = []
    for finding in findings:
        if finding.diagnostic.code != "PHX000":
            continue
        loc = finding.location
        if verdict.kind == "notebook":
            out.append(loc.cell or 0)
        elif verdict.kind == "markdown":
            out.append(next((o for o, last in verdict.fences if o <= loc.line <= last), 0))
        else:
            out.append(0)
    return out


def verdict_problems(verdict: Verdict, findings: Sequence[Finding]) -> list[str]:
    if verdict.units is None:
        return []
    got = sorted(u for u in units_of(verdict, findings) if u not in verdict.unsure)
    want = sorted(verdict.units - verdict.unsure)
    if got == want:
        return []
    messages = [f.diagnostic.message for f in findings if f.diagnostic.code == "PHX000"]
    return [f"PHX000 in units {got}, the oracle expects {want} ({messages})"]


def run_case(case: Case, root: Path, sub: str, *, cache: bool = True) -> Run:
    """Write the case under `root/sub` and check it as `phx-tasklint check` would (cwd: root);
    with `cache`, check it again through a cold and a warm cache: the findings must agree."""
    directory = root / sub
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, data in case.files:
        (directory / name).write_bytes(data)
        paths.append(f"{sub}/{name}")
    try:
        outcome = pipeline.run(pipeline.Options(paths=paths, use_cache=False, jobs=1))
    except Exception:
        return Run(crash=traceback.format_exc())
    run = Run(outcome.findings, outcome.messages)
    internal = [m for m in outcome.messages if "internal error" in m]
    if internal:
        run.crash = "\n".join(internal)
    run.output = output_problems(outcome.findings)
    for (name, data), verdict in zip(case.files, case.verdicts, strict=True):
        mine = [f for f in outcome.findings if f.location.path == f"{sub}/{name}"]
        run.output += [f"{name}: {p}" for p in position_problems(name, data, mine)]
        run.wrong += [f"{name}: {p}" for p in verdict_problems(verdict, mine)]
        run.compile_only += verdict.compile_only
        if verdict.units is not None:
            run.judged += 1
            run.expected += len(verdict.units - verdict.unsure)
    if cache:
        run.wrong += cache_problems(root, paths, outcome.findings)
    return run


def _comparable(findings: Sequence[Finding]) -> list[str]:
    return sorted(json.dumps(report.finding_json(f), sort_keys=True) for f in findings)


def cache_problems(root: Path, paths: list[str], expected: Sequence[Finding]) -> list[str]:
    """A cold run that fills the cache and a warm run that reads it find what no cache found."""
    shutil.rmtree(root / ".phx-tasklint-cache", ignore_errors=True)
    problems = []
    for label in ("cold", "warm"):
        try:
            outcome = pipeline.run(pipeline.Options(paths=paths, use_cache=True, jobs=1))
        except Exception:
            return [f"cache ({label} run): {traceback.format_exc()}"]
        if _comparable(outcome.findings) != _comparable(expected):
            problems.append(f"cache ({label} run): other findings than without a cache")
    return problems


# -- --fix on a case --------------------------------------------------------------------------


def _owner_span(tree: ast.AST, line: int, column: int) -> range | None:
    """Lines of the innermost def or lambda around (line, 1-based column)."""
    best: range | None = None
    for node in ast.walk(tree):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            continue
        end_line, end_column = node.end_lineno or node.lineno, node.end_col_offset or 0
        if (node.lineno, node.col_offset) <= (line, column - 1) <= (end_line, end_column):
            span = range(node.lineno, end_line + 1)
            if best is None or len(span) <= len(best):
                best = span
    return best


def changed_lines(before: bytes, after: bytes) -> set[int]:
    """1-based lines of `before` that a line diff replaces, deletes or inserts at."""
    old, new = before.splitlines(keepends=True), after.splitlines(keepends=True)
    out: set[int] = set()
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for tag, i1, i2, _, _ in matcher.get_opcodes():
        if tag != "equal":
            out.update(range(i1 + 1, max(i2, i1 + 1) + 1))
    return out


def _newlines(data: bytes) -> set[bytes]:
    return set(re.findall(rb"\r\n|\r(?!\n)|(?<!\r)\n", data))


def fix_problems(name: str, data: bytes, root: Path, sub: str, runs: int = 1) -> list[str]:
    """`check --fix --unsafe-fixes` on one Python file: what went wrong, if anything. After
    `runs` runs the file must be stable (`runs=1`: a second `--fix` is a no-op); every run must
    keep the file compiling and change only lines of functions it had a fixable finding in."""
    directory = root / sub
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_bytes(data)
    display = f"{sub}/{name}"

    def check(fix: bool) -> pipeline.Outcome:
        options = pipeline.Options(
            paths=[display], use_cache=False, jobs=1, fix=fix, unsafe_fixes=fix
        )
        return pipeline.run(options)

    problems = []
    for _ in range(runs):
        current = path.read_bytes()
        tree = ast.parse(sources.from_bytes(current, display).text)
        spans = [
            _owner_span(tree, f.location.line, f.location.column)
            for f in check(False).findings
            if f.diagnostic.fix is not None and f.location.cell is None
        ]
        check(True)
        after = path.read_bytes()
        if after == current:
            break
        allowed = set().union(*(s for s in spans if s is not None))
        outside = sorted(changed_lines(current, after) - allowed)
        if outside:
            problems.append(
                f"lines {outside} changed outside the fixed functions {sorted(allowed)}"
            )
        if not compiles(after):
            return [*problems, "the fixed file no longer compiles"]
    final = path.read_bytes()
    check(True)
    if path.read_bytes() != final:
        problems.append(f"--fix changed the file again after {runs} run(s)")
    if final.startswith(BOM) != data.startswith(BOM):
        problems.append("the BOM was added or lost")
    if not _newlines(final) <= (_newlines(data) or {b"\n"}):
        problems.append(f"line endings changed: {_newlines(data)} -> {_newlines(final)}")
    return problems


# --------------------------------------------------------------------------------------------
# The tests: in-process on fuzzed inputs


_COUNTER = itertools.count()
FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
    ],
)


@pytest.mark.parametrize("family", [f for f in FAMILIES if f != "big-20MB"])
@FUZZ
@given(data=st.data())
def test_fuzzed_inputs(project: Path, family: str, data: st.DataObject) -> None:
    """No crash, valid output in every format, and a PHX000 exactly where the oracle puts one."""
    case = generate(family, HypothesisDraw(data))
    run = run_case(case, project, f"c{next(_COUNTER)}")
    assert run.crash is None, run.crash
    assert run.output == []
    assert run.wrong == []


@pytest.mark.parametrize("variant", ["comment", "string", "docstring", "unmentioned"])
def test_20_mb_file(project: Path, variant: str) -> None:
    data = big_file(variant, broken=variant != "docstring")
    assert len(data) >= BIG
    case = single("big", "big.py", data)
    run = run_case(case, project, "big")
    assert run.crash is None, run.crash
    assert run.output == []
    assert run.wrong == []
    codes = {(f.location.line, f.diagnostic.code) for f in run.findings}
    lines = data.count(b"\n")
    if variant == "unmentioned":
        assert codes == set()
    elif variant == "docstring":
        line = data[: data.rindex(b"def task")].count(b"\n") + 1
        assert codes == {(line, "PHX002")}  # the hand-off at the end is still seen
    else:  # the broken last line makes the whole file a PHX000, reported where it is
        assert codes == {(lines, "PHX000")}


@pytest.mark.parametrize("construct", sorted(NESTING))
def test_10000_deep_nesting_in_every_kind_of_file(project: Path, construct: str) -> None:
    """The construct 10,000 deep in a .py, a notebook cell and a Markdown fence, each beside a
    known finding: the deep one gets its PHX000 (when the parser rejects it), the others stay."""
    deep = NESTING[construct](DEEP)
    known = "def known(input, question):\n    return question\n\n\n"
    known += "run_experiment(dataset=None, task=known)\n"
    cells = [("code", HEADER + known), ("code", HEADER + deep + "\n")]
    rng = RandomDraw(random.Random(0))
    fence = f"```python\n{HEADER}{known}```\n\n```python\n{HEADER}{deep}\n```\n"
    files = {
        "deep.py": (HEADER + deep + "\n").encode(),
        "known.py": (HEADER + known).encode(),
        "nb.ipynb": notebook_document(rng, cells, other_language=False),
        "doc.md": fence.encode(),
    }
    case = Case("deep", tuple(files.items()), tuple(verdict_of(n, d) for n, d in files.items()))
    run = run_case(case, project, "deep", cache=False)  # 50 MB of indentation: run it once
    assert run.crash is None, run.crash
    assert run.output == []
    assert run.wrong == []
    codes = Counter((f.location.path.split("/")[-1], f.diagnostic.code) for f in run.findings)
    for name in ("known.py", "nb.ipynb", "doc.md"):
        assert codes[(name, "PHX002")] == 1, name
    broken = not parses(HEADER + deep, top_level_await=True)
    assert codes[("deep.py", "PHX000")] == (not parses(HEADER + deep))
    assert codes[("nb.ipynb", "PHX000")] == codes[("doc.md", "PHX000")] == broken


# --------------------------------------------------------------------------------------------
# Isolation: a broken file, cell or fence never hides the findings of the others


def _keys(findings: Sequence[Finding], path: str) -> Counter[tuple[int | None, int, int, str]]:
    return Counter(
        (f.location.cell, f.location.line, f.location.column, f.diagnostic.code)
        for f in findings
        if f.location.path == path
    )


EXPECTING = [p for p in _fixture_files("*.py") if b"# expect:" in p.read_bytes()]


def _broken_python(draw: Draw) -> bytes:
    data = pick(draw, PY_SEEDS)
    return HEADER.encode() + pick(draw, [truncate, insert_bytes, invalid_utf8, nul_byte, stacked])(
        draw, data
    ) + b"\ndef oops(:\n"  # fmt: skip


@FUZZ
@given(data=st.data())
def test_broken_files_hide_nothing(project: Path, data: st.DataObject) -> None:
    """A fixture with `# expect:` findings checked beside 1-3 broken files: its findings are
    exactly those it has alone, and each broken file has one PHX000."""
    draw = HypothesisDraw(data)
    known = pick(draw, EXPECTING)
    # a directory of its own each time: imports are followed into any file beside it, and
    # another example's file left there would answer them
    lone = f"alone{next(_COUNTER)}"
    alone = run_case(
        Case("alone", ((known.name, known.read_bytes()),), (Verdict("python", None),)),
        project,
        lone,
    )
    files = [(known.name, known.read_bytes())]
    files += [(f"broken_{i}.py", _broken_python(draw)) for i in range(draw.integer(1, 3))]
    sub = f"c{next(_COUNTER)}"
    run = run_case(
        Case("isolation", tuple(files), tuple(verdict_of(n, d) for n, d in files)), project, sub
    )
    assert run.crash is None, run.crash
    assert run.output == []
    assert run.wrong == []
    assert _keys(run.findings, f"{sub}/{known.name}") == _keys(
        alone.findings, f"{lone}/{known.name}"
    )
    for name, _ in files[1:]:  # each broken file has its own PHX000 (it ends with `def oops(:`)
        assert [f.diagnostic.code for f in run.findings if f.location.path == f"{sub}/{name}"] == [
            "PHX000"
        ]


def _broken_cell(draw: Draw) -> str:
    """A cell that does not compile and could hold a hand-off (it names a runner)."""
    text = cell_text(draw).encode("utf-8", "replace").decode("utf-8")  # no lone surrogates
    text = "# run_experiment\n" + text
    return text if not cell_parses(text) and plain_python(text) else text + "\ndef oops(:\n"


@FUZZ
@given(data=st.data())
def test_broken_cells_hide_nothing(project: Path, data: st.DataObject) -> None:
    """experiment.ipynb with broken code cells inserted: every original finding stays, in its
    (renumbered) cell, and each broken cell has its PHX000."""
    draw = HypothesisDraw(data)
    original = json.loads(NOTEBOOK_SEED)
    cells = [(c["cell_type"], "".join(c["source"])) for c in original["cells"]]
    alone = run_case(single("alone", "nb.ipynb", NOTEBOOK_SEED), project, "alone")
    inserted: list[int] = []
    for _ in range(draw.integer(1, 3)):
        at = draw.integer(0, len(cells))
        cells.insert(at, ("code", _broken_cell(draw)))
        inserted = [i + (i >= at) for i in inserted] + [at]
    numbers = [i for i in range(len(cells)) if i not in inserted]  # where the originals went
    sub = f"c{next(_COUNTER)}"
    document = notebook_document(draw, cells, other_language=False)
    run = run_case(single("isolation", "nb.ipynb", document), project, sub)
    assert run.crash is None, run.crash
    assert run.output == []
    assert run.wrong == []
    moved = Counter(
        (numbers[cell - 1] + 1 if cell else None, line, column, code)
        for (cell, line, column, code), count in _keys(alone.findings, "alone/nb.ipynb").items()
        for _ in range(count)
    )
    found = _keys(run.findings, f"{sub}/nb.ipynb")
    assert moved <= found
    broken = Counter((i + 1, "PHX000") for i in inserted)
    assert Counter((cell, code) for (cell, _, _, code) in (found - moved).elements()) == broken


@FUZZ
@given(data=st.data())
def test_broken_fences_hide_nothing(project: Path, data: st.DataObject) -> None:
    """guide.md with broken Python fences appended: every original finding stays."""
    draw = HypothesisDraw(data)
    alone = run_case(single("alone", "doc.md", MARKDOWN_SEED), project, "alone")
    text = MARKDOWN_SEED.decode()
    extra = 0
    for _ in range(draw.integer(1, 3)):
        # split as a Markdown reader does: str.splitlines also splits at \x1c-\x1e, \x85 and
        # \u2028, and a cell made of one of those would come out empty, and not broken
        code = [
            "# " + line if _NOT_A_CLOSER.fullmatch(line) else line
            for line in re.split(r"\r\n|\r|\n", _broken_cell(draw))
        ]
        text += "\n```python\n" + "\n".join(code) + "\n```\n"
        extra += 1
    sub = f"c{next(_COUNTER)}"
    run = run_case(single("isolation", "doc.md", text.encode()), project, sub)
    assert run.crash is None, run.crash
    found = _keys(run.findings, f"{sub}/doc.md")
    before = _keys(alone.findings, "alone/doc.md")
    assert before <= found
    assert sum(1 for key in (found - before).elements() if key[3] == "PHX000") == extra


# --------------------------------------------------------------------------------------------
# Other ways in: stdin, worker processes


@pytest.mark.parametrize("family", ["py-stacked", "py-cookie", "nb-cells", "md-fences", "empty"])
@settings(FUZZ, max_examples=15)
@given(data=st.data())
def test_fuzzed_stdin(
    project: Path, monkeypatch: pytest.MonkeyPatch, family: str, data: st.DataObject
) -> None:
    """`check - --stdin-filename NAME`: the same verdicts as for the file itself."""
    case = generate(family, HypothesisDraw(data))
    [(name, source)] = case.files
    [verdict] = case.verdicts
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(source)))
    options = pipeline.Options(paths=["-"], stdin_filename=name, use_cache=False, jobs=1)
    outcome = pipeline.run(options)
    assert output_problems(outcome.findings) == []
    assert verdict_problems(verdict, outcome.findings) == []
    assert all(f.location.path == name for f in outcome.findings)


def test_worker_processes_agree_with_one_process(project: Path) -> None:
    """Past 24 candidate files the run is split over processes: same findings, same messages."""
    draw = RandomDraw(random.Random(24))
    tree = project / "tree"
    tree.mkdir()
    families = [f for f in FAMILIES if f != "big-20MB"]
    for index in range(60):
        [(name, data)] = generate(families[index % len(families)], draw).files
        (tree / f"c{index}_{name}").write_bytes(data)

    def run(jobs: int) -> tuple[list[str], list[str]]:
        outcome = pipeline.run(pipeline.Options(paths=["tree"], use_cache=False, jobs=jobs))
        return _comparable(outcome.findings), sorted(outcome.messages)

    serial = run(1)
    assert serial[0]  # something was found
    assert run(2) == serial


# --------------------------------------------------------------------------------------------
# --fix on fuzzed sources that still compile


@pytest.mark.parametrize("family", FIXABLE_FAMILIES)
@settings(FUZZ, max_examples=12)
@given(data=st.data())
def test_fix_on_fuzzed_sources(project: Path, family: str, data: st.DataObject) -> None:
    """`--fix --unsafe-fixes`: the result compiles, a second run is a no-op, and only lines of
    the functions that had a fixable finding change (BOM and line endings kept)."""
    case = generate(family, HypothesisDraw(data))
    [(name, source)] = case.files
    if not (name.endswith(".py") and prefilter.mentions(source) and compiles(source)):
        return  # only compiling candidates are fixed
    problems = fix_problems(name, source, project, f"c{next(_COUNTER)}")
    assert problems == []


CONVERGING = """\
from phoenix.client.experiments import run_experiment


def ev(inputs=None, /, *, Input):
    return 1


run_experiment(dataset=None, task=lambda input: input, evaluators=[ev])
"""


def test_fix_converges_in_one_run(project: Path) -> None:
    """Found by bench/fuzz.py (`fix` row). The first `--fix --unsafe-fixes` pass renames `inputs`
    to `input`; only then does the finding on `Input` offer its own fix (a default, instead of a
    rename to `input` that clashed). Like ruff, one run re-lints and fixes again until nothing
    fixable is left, so a second run changes nothing."""
    path = project / "a.py"
    path.write_text(CONVERGING)
    options = pipeline.Options(paths=["a.py"], use_cache=False, jobs=1, fix=True, unsafe_fixes=True)
    first = pipeline.run(options)
    once = path.read_text()
    assert once != CONVERGING
    compile(once, "a.py", "exec")
    assert [f for f in first.findings if f.diagnostic.fix is not None] == []
    pipeline.run(options)
    assert path.read_text() == once


ESCAPE = (
    HEADER + 'import re\n\n\ndef task(input, question):\n    return re.match("\\d+", question)\n'
)
ESCAPE += "\n\nrun_experiment(dataset=None, task=task)\n"


def test_invalid_escape_sequence_is_linted_when_warnings_are_errors(
    project: Path,
) -> None:
    """`"\\d+"` is an invalid escape: `ast.parse` warns (DeprecationWarning on 3.11, a
    SyntaxWarning printed to stderr from 3.12). Found by the fuzz tests: when `Module.parse` did
    not silence it, `-W error` (PYTHONWARNINGS=error) made the parse fail and the file was
    skipped (no PHX002, "All checks passed!"), and 3.12 printed the warning on stderr."""
    (project / "a.py").write_text(ESCAPE)
    options = pipeline.Options(paths=["a.py"], use_cache=False, jobs=1)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        plain = pipeline.run(options)
    assert [f.diagnostic.code for f in plain.findings] == ["PHX002"]
    assert [str(w.message) for w in caught] == []  # nothing printed on the user's stderr
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        strict = pipeline.run(options)
    assert [f.diagnostic.code for f in strict.findings] == ["PHX002"]


# --------------------------------------------------------------------------------------------
# A real `phx-tasklint` process on a tree of broken inputs


def cli(cwd: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    """`phx-tasklint check ...` in a fresh interpreter, importing this checkout. As for the
    console script, the working directory is not on sys.path: the tree holds a `random.py`,
    which the standard library's own imports would otherwise pick up."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"}
    env.pop("FORCE_COLOR", None)
    main = "import sys\nsys.path.remove('')\nfrom phx_tasklint.cli.commands import main\nmain()"
    command = [sys.executable, "-c", main, "check", *args]
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, timeout=300)


def _notebook_json(**top: object) -> bytes:
    body: dict[str, object] = {"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    body.update(top)
    return json.dumps({k: v for k, v in body.items() if v is not None}).encode()


def broken_tree(root: Path) -> dict[str, bytes]:
    """One file of each kind of trouble, and the fixture with known findings."""
    tasks = (FIXTURES / "tasks.py").read_bytes()
    rng = RandomDraw(random.Random(6))
    files = {
        "tasks.py": tasks,
        "truncated.py": tasks[: len(tasks) // 2],
        "random.py": HEADER.encode() + random.Random(1).randbytes(500),
        "latin1.py": HEADER.encode() + b"x = '\xe9'\n",
        "nul.py": HEADER.encode() + b"x = 1\x00\n",
        "bom.py": BOM + tasks,
        "bom_latin1.py": BOM + b"# coding: latin-1\n" + tasks,
        "mixed_eol.py": line_endings(rng, tasks),
        "deep.py": HEADER.encode() + NESTING["parens"](DEEP).encode() + b"\n",
        "deeper.py": HEADER.encode() + NESTING["attributes"](DEEP).encode() + b"\n",
        "empty.py": b"",
        "bom_only.py": BOM,
        # each broken notebook and page names a runner: it could hold a hand-off
        "invalid.ipynb": b'{"cells": [{"source": "run_experiment(',
        "array.ipynb": b'["run_experiment"]',
        "no_cells.ipynb": _notebook_json(cells=None, metadata={"about": "run_experiment"}),
        "nbformat3.ipynb": _notebook_json(
            cells=None, nbformat=3, worksheets=[{"cells": [{"input": "run_experiment()"}]}]
        ),
        "string_source.ipynb": _notebook_json(
            cells=[{"cell_type": "code", "source": 5, "metadata": {"run_experiment": 1}}]
        ),
        "unclosed.md": b"# Doc\n\n```python\nrun_experiment(task=(\n",
        "latin1.md": b"```python\nrun_experiment(task='\xe9')\n```\n",
        "big.py": big_file("comment", broken=True),
        # ... and these could not: no PHX000
        "empty.ipynb": b"",
        "invalid_no_runner.ipynb": NOTEBOOK_SEED[:100],
        "pseudo.md": b"```python\nresult = client.get(\n```\n",
        "latin1_no_runner.md": b"```python\nx = '\xe9'\n```\n",
    }
    for name, data in files.items():
        (root / name).write_bytes(data)
    return files


def test_cli_on_a_tree_of_broken_inputs(project: Path) -> None:
    files = broken_tree(project)
    alone = cli(project, "--no-cache", "--format", "json", "tasks.py")
    expected = {
        (f["line"], f["code"]) for f in json.loads(alone.stdout.decode()) if f["path"] == "tasks.py"
    }
    for fmt in ("json", "text", "sarif", "github"):
        result = cli(project, "--format", fmt, ".")
        stdout, stderr = result.stdout.decode("utf-8"), result.stderr.decode("utf-8")
        assert result.returncode == 1, stderr
        assert "Traceback" not in stderr
        assert all(line.startswith("phx-tasklint: warning: ") for line in stderr.splitlines())
        if fmt == "json":
            findings = json.loads(stdout)
            by_path = Counter(f["path"] for f in findings if f["code"] == "PHX000")
            # one PHX000 per broken file that could hold a hand-off: the oracle's for Python,
            # the others are broken, and could unless they say otherwise
            quiet = {"empty.ipynb", "invalid_no_runner.ipynb", "pseudo.md", "latin1_no_runner.md"}
            with fresh_recursion_limit():  # the console script runs in a process of its own
                broken = {
                    name
                    for name, data in files.items()
                    if (verdict_of(name, data).units if name.endswith(".py") else name not in quiet)
                }
            assert {"truncated.py", "latin1.py", "nul.py", "big.py", "deep.py"} <= broken
            assert set(by_path) == broken
            assert all(count == 1 for count in by_path.values())
            assert {(f["line"], f["code"]) for f in findings if f["path"] == "tasks.py"} == expected
        elif fmt == "sarif":
            json.loads(stdout)
    # --fix touches no broken file, and converges
    before = {name: (project / name).read_bytes() for name in files}
    result = cli(project, "--fix", "--unsafe-fixes", ".")
    assert result.returncode in (0, 1) and b"Traceback" not in result.stderr
    after = {name: (project / name).read_bytes() for name in files}
    changed = {name for name in files if before[name] != after[name]}
    assert changed <= {"tasks.py", "bom.py", "mixed_eol.py"}
    assert all(compiles(after[name]) for name in changed)
    again = cli(project, "--fix", "--unsafe-fixes", ".")
    assert again.returncode in (0, 1) and b"Traceback" not in again.stderr
    assert {name: (project / name).read_bytes() for name in files} == after


def test_cli_20_mb_file_with_a_finding(project: Path) -> None:
    (project / "big.py").write_bytes(big_file("string"))
    result = cli(project, "--no-cache", "--format", "json", "big.py")
    assert result.returncode == 1 and b"Traceback" not in result.stderr
    [finding] = json.loads(result.stdout)
    assert (finding["line"], finding["code"]) == (3, "PHX002")


# --------------------------------------------------------------------------------------------
# Notebooks and Markdown end to end: clear PHX000s for broken containers


NOTEBOOK_CELL: dict[str, object] = {
    "cell_type": "code",
    "metadata": {},
    "outputs": [],
    "execution_count": None,
}
FINDING = (
    HEADER
    + "def task(input, question):\n    return question\nrun_experiment(dataset=None, task=task)\n"
)


# A broken notebook or page is reported when it could hold a hand-off: each one below names a
# runner, but those whose message is None, which could not.
NAMED = {"about": "run_experiment"}


@pytest.mark.parametrize(
    ("name", "data", "cell", "message"),
    [
        pytest.param("nb.ipynb", NOTEBOOK_SEED[:-40], None, "invalid JSON", id="truncated-json"),
        pytest.param("nb.ipynb", b"", None, None, id="empty-notebook"),
        pytest.param("nb.ipynb", b'["run_experiment", 2]', None, "not a JSON object", id="array"),
        pytest.param(
            "nb.ipynb",
            _notebook_json(cells=None, metadata=NAMED),
            None,
            "missing `cells`",
            id="no-cells",
        ),
        pytest.param(
            "nb.ipynb", _notebook_json(cells=NAMED), None, "not a list", id="cells-object"
        ),
        pytest.param(
            "nb.ipynb",
            _notebook_json(cells=[3], metadata=NAMED),
            1,
            "cell 1 is a number",
            id="cell-number",
        ),
        pytest.param(
            "nb.ipynb",
            _notebook_json(
                cells=[NOTEBOOK_CELL | {"source": FINDING}, NOTEBOOK_CELL | {"source": 7}]
            ),
            2,
            "`source` is a number",
            id="source-number",
        ),
        pytest.param(
            "nb.ipynb",
            _notebook_json(cells=[NOTEBOOK_CELL | {"source": ["run_experiment(x)\n", None]}]),
            1,
            "not a string or list of strings",
            id="source-list-with-null",
        ),
        pytest.param(
            "nb.ipynb",
            _notebook_json(cells=None, nbformat=3, worksheets=[{"cells": []}], metadata=NAMED),
            None,
            "nbformat 3 is not supported",
            id="nbformat-3",
        ),
        pytest.param(
            "nb.ipynb",
            _notebook_json(cells=None, nbformat=3, metadata=NAMED),
            None,
            "nbformat 3",
            id="nbformat-3-bare",
        ),
        pytest.param(
            "nb.ipynb", b"\xff\xfe{run_experiment}", None, "invalid utf-8", id="utf16-notebook"
        ),
        pytest.param("nb.ipynb", b"\xff\xfe{}", None, None, id="utf16-notebook-no-runner"),
        pytest.param(
            "doc.md",
            f"```python\n{FINDING}```\n\n```py\nrun_experiment(task=(\n".encode(),
            None,
            "unclosed code fence opened at line 8",
            id="unclosed-fence",
        ),
        pytest.param(
            "doc.md",
            f"```python\n{FINDING}```\n\n```python\nrun_experiment(task=oops(:\n```\n".encode(),
            None,
            "cannot parse this code fence at line 8",
            id="broken-fence",
        ),
        pytest.param(
            "doc.md",
            f"```python\n{FINDING}```\n\n```python\ndef oops(:\n```\n".encode(),
            None,
            None,
            id="broken-fence-no-runner",
        ),
        pytest.param(
            "doc.md",
            b"```python\nrun_experiment(task='\xe9')\n```\n",
            None,
            "invalid utf-8",
            id="latin1-md",
        ),
        pytest.param(
            "doc.md", b"```python\nx = '\xe9'\n```\n", None, None, id="latin1-md-no-runner"
        ),
    ],
)
def test_broken_notebooks_and_markdown_through_the_cli(
    project: Path, name: str, data: bytes, cell: int | None, message: str | None
) -> None:
    (project / name).write_bytes(data)
    (project / "known.py").write_text(FINDING)
    result = cli(project, "--no-cache", "--format", "json", name, "known.py")
    assert result.returncode == 1 and b"Traceback" not in result.stderr, result.stderr
    findings = json.loads(result.stdout)
    assert [f["code"] for f in findings if f["path"] == "known.py"] == ["PHX002"]
    problems = [f for f in findings if f["code"] == "PHX000"]
    if message is None:
        assert problems == []
        return
    [problem] = problems
    assert problem["path"] == name and problem.get("cell") == cell
    assert message in problem["message"], problem["message"]
    if name == "doc.md" and b"question" in data:  # the good fence before the broken one counts
        assert [f["code"] for f in findings if f["path"] == name] == ["PHX002", "PHX000"]


@pytest.mark.parametrize("as_list", [False, True], ids=["string-source", "list-source"])
def test_notebook_cell_source_as_string_or_list(project: Path, as_list: bool) -> None:
    """nbformat allows both; neither is a PHX000, and the finding lands in its cell."""
    source: str | list[str] = FINDING.splitlines(keepends=True) if as_list else FINDING
    markdown = {"cell_type": "markdown", "metadata": {}, "source": "# Title"}
    (project / "nb.ipynb").write_bytes(
        _notebook_json(cells=[markdown, NOTEBOOK_CELL | {"source": source}])
    )
    result = cli(project, "--no-cache", "--format", "json", "nb.ipynb")
    findings = json.loads(result.stdout)
    assert [(f["cell"], f["line"], f["code"]) for f in findings] == [(2, 2, "PHX002")]


# --------------------------------------------------------------------------------------------
# The mypy plugin on fuzzed and generated sources


MYPY_MODULES = 150


def mypy_sources(seed: int, count: int) -> list[bytes]:
    """Fuzzed fixtures and generated hand-offs that compile, for one batched mypy run."""
    draw = RandomDraw(random.Random(seed))
    families = [f for f in FAMILIES if f.startswith("py-") or f == "handoff"]
    out: list[bytes] = []
    while len(out) < count:
        family = "handoff" if len(out) % 2 else pick(draw, families)
        [(name, data)] = generate(family, draw).files
        if name.endswith(".py") and compiles(data) and decodes(data):  # as mypy reads files
            out.append(data)
    return out


def test_mypy_plugin_never_crashes_on_fuzzed_sources(tmp_path: Path) -> None:
    import mypy.api

    failures: list[str] = importlib.import_module("mypy_plugin.plugin").FAILURES

    paths = []
    for index, data in enumerate(mypy_sources(seed=11, count=MYPY_MODULES)):
        path = tmp_path / f"fuzz_{index:03}.py"
        path.write_bytes(data)
        paths.append(str(path))
    config = tmp_path / "mypy.ini"
    config.write_text("[mypy]\nplugins = phx_tasklint.mypy\n")
    del failures[:]
    stdout, stderr, status = mypy.api.run(
        [
            *paths,
            "--config-file",
            str(config),
            "--cache-dir",
            str(tmp_path / ".mypy_cache"),
            "--show-error-codes",
            "--no-error-summary",
            "--hide-error-context",
            "--no-color-output",
        ]
    )
    assert status in (0, 1), stdout[-3000:] + stderr[-3000:]
    assert "INTERNAL ERROR" not in stdout + stderr
    assert "Traceback" not in stdout + stderr
    assert failures == []  # no hook swallowed an exception
    assert "phx-" in stdout  # the plugin did check the generated hand-offs
