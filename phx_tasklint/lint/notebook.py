"""The reader for Jupyter notebooks (nbformat 4).

The code cells are joined, in order, into one module. IPython syntax is replaced line for line by
`pass`-like Python (`ipython.mask_ipython`), so every document line is a line of some cell. A
cell that does not compile on its own is blanked, and reported when it could hold a hand-off.
A notebook, or a cell, whose metadata names another language (a C# notebook of .NET
Interactive, an F# cell of Polyglot Notebooks) is not Python: it is left out, and counted.
"""

from __future__ import annotations

import ast
import codecs
import json
from collections.abc import Sequence

from phx_tasklint.lint.document import (
    TOP_LEVEL_AWAIT,
    CompileFailure,
    Source,
    block_tree,
    bytes_could_hold,
    cannot_parse,
    compile_failure,
    could_hold,
    decode,
    document_could_hold,
    joined,
    other_language,
    split_lines,
    unparsed,
)
from phx_tasklint.lint.findings import Finding
from phx_tasklint.lint.ipython import dedent_cell, mask_ipython

_JSON_TYPES = {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return "a number"
    return _JSON_TYPES.get(type(value), type(value).__name__)


def _cell_source(cell: object, number: int) -> tuple[str, str | None]:
    """(source, error) of one notebook cell."""
    if not isinstance(cell, dict):
        return "", f"cell {number} is {_json_type(cell)}, not an object"
    source = cell.get("source", "")
    if isinstance(source, str):
        return source, None
    if isinstance(source, list) and all(isinstance(part, str) for part in source):
        return "".join(source), None
    return "", f"cell {number}: `source` is {_json_type(source)}, not a string or list of strings"


# Kernel languages that are Python. Polyglot Notebooks name a kernel freely ("pythonkernel").
_PYTHON_LANGUAGES = ("python", "ipython")
# Where a notebook, then a cell, says which language it is written in: Jupyter's kernel
# metadata, and .NET Interactive / Polyglot Notebooks (whose cells each name their kernel).
_NOTEBOOK_LANGUAGE_KEYS = (
    ("polyglot_notebook", "kernelInfo", "defaultKernelName"),
    ("language_info", "name"),
    ("kernelspec", "language"),
)
_CELL_LANGUAGE_KEYS = (
    ("dotnet_interactive", "language"),
    ("polyglot_notebook", "kernelName"),
    ("vscode", "languageId"),
)
_VSCODE_PREFIX = "dotnet-interactive."  # VS Code's id of a .NET Interactive cell language


def _language(owner: object, paths: tuple[tuple[str, ...], ...]) -> str | None:
    """The first language named at one of `paths` in `owner`'s metadata."""
    metadata = owner.get("metadata") if isinstance(owner, dict) else None
    for path in paths:
        value: object = metadata
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        if isinstance(value, str):
            return value.removeprefix(_VSCODE_PREFIX)
    return None


def _is_python(language: str | None) -> bool:
    return language is None or language == "" or language.lower().startswith(_PYTHON_LANGUAGES)


def read(
    data: bytes,
    path: str,
    newline: str,
    wrappers: frozenset[str] | None = None,
    screen: bool = False,
) -> Source:
    """A notebook. With `wrappers`, a cell that does not compile is reported only when it could
    hold a hand-off, counted in `skipped` when another cell could, and dropped silently when
    none could; with `screen` too, a notebook none of whose cells could is not compiled."""

    def broken(error: str, line: int = 1, column: int = 1, cell: int | None = None) -> Source:
        # the notebook as a whole is unreadable: whether it could hold a hand-off is up to its
        # bytes (the cells cannot be told apart)
        if not bytes_could_hold(data, wrappers):
            return Source(path, "notebook", "", (), newline=newline, top_level_await=True)
        problem = cannot_parse(path, "notebook", error, line, column, cell=cell)
        return Source(path, "notebook", "", (problem,), newline=newline, top_level_await=True)

    bom = data.startswith(codecs.BOM_UTF8)
    raw, problem = decode(data, path, "utf-8", len(codecs.BOM_UTF8) if bom else 0)
    if problem is not None:
        shown = (problem,) if bytes_could_hold(data, wrappers) else ()
        return Source(path, "notebook", "", shown, top_level_await=True)
    try:
        notebook = json.loads(raw)
    except json.JSONDecodeError as exc:
        return broken(f"invalid JSON: {exc.msg}", exc.lineno, exc.colno)
    except (RecursionError, MemoryError):
        return broken("invalid JSON: too deeply nested")
    if not isinstance(notebook, dict):
        return broken(f"the notebook is {_json_type(notebook)}, not a JSON object")
    version = notebook.get("nbformat")
    old = isinstance(version, int) and not isinstance(version, bool) and version < 4
    if "worksheets" in notebook or (old and "cells" not in notebook):
        return broken("nbformat 3 is not supported, convert with `jupyter nbconvert --to notebook`")
    if "cells" not in notebook:
        return broken("missing `cells` (not an nbformat 4 notebook)")
    cells = notebook["cells"]
    if not isinstance(cells, list):
        return broken(f"`cells` is {_json_type(cells)}, not a list")
    sources: list[tuple[int, str]] = []
    skipped: list[str] = []
    default = _language(notebook, _NOTEBOOK_LANGUAGE_KEYS)
    for number, cell in enumerate(cells, start=1):
        source, error = _cell_source(cell, number)
        if error is not None:
            return broken(error, cell=number)
        if isinstance(cell, dict) and cell.get("cell_type") == "code":
            # a cell's own language wins over the notebook's (a polyglot notebook mixes them)
            own = _language(cell, _CELL_LANGUAGE_KEYS)
            language = own if own is not None else default
            if _is_python(language):
                sources.append((number, source))
            else:
                skipped.append(other_language("notebook cell", str(language)))
    if not sources and not _is_python(default):
        reason = other_language("notebook", str(default))
        return Source(
            path, "notebook", "", (), newline=newline, top_level_await=True, skipped=(reason,)
        )

    # one look at all the code first: most notebooks hold no name in any cell
    blocks = [source for _, source in sources]
    could = could_hold(blocks, wrappers, together=True)  # which broken cells to report
    candidate = document_could_hold(blocks, wrappers)
    if not candidate and screen:
        return Source(
            path,
            "notebook",
            "",
            newline=newline,
            top_level_await=True,
            candidate=False,
            skipped=tuple(skipped),
        )
    document: list[str] = []
    line_map: list[tuple[int | None, int, int]] = []
    problems: list[Finding] = []
    trees: list[ast.Module] = []
    complete = True  # every cell kept has its tree
    for (number, source), reported in zip(sources, could, strict=True):
        lines, shifts = dedent_cell(split_lines(source))
        lines = mask_ipython(lines)
        tree = block_tree(lines, len(document)) if lines else None
        failure = (
            None
            if tree is not None or not lines
            else compile_failure("\n".join(lines) + "\n", TOP_LEVEL_AWAIT)
        )
        if tree is not None:
            trees.append(tree)
        complete = complete and (tree is not None or failure is not None or not lines)
        if failure is not None:
            if reported:
                problems.append(_cell_problem(path, number, failure, shifts))
            elif candidate:
                skipped.append(unparsed("notebook cell"))
            lines = [""] * len(lines)
        document.extend(lines)
        line_map.extend((number, index + 1, shift) for index, shift in enumerate(shifts))
    text = "\n".join(document) + "\n" if any(line.strip() for line in document) else ""
    return Source(
        path,
        "notebook",
        text,
        tuple(problems),
        newline=newline,
        top_level_await=True,
        line_map=tuple(line_map) if text else (),
        candidate=candidate,
        skipped=tuple(skipped),
        # none where a cell compiled only the second time: the engine parses the text
        tree=joined(trees) if text and complete else None,
    )


def _cell_problem(path: str, number: int, error: CompileFailure, shifts: Sequence[int]) -> Finding:
    line, column, end_line, end_column, message = error
    last = max(len(shifts), 1)
    line, end_line = min(line, last), min(end_line, last)

    def shift(at: int) -> int:
        return shifts[at - 1] if at <= len(shifts) else 0

    end = (end_line, end_column + shift(end_line))
    return cannot_parse(path, f"cell {number}", message, line, column + shift(line), end, number)
