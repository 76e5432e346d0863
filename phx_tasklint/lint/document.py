"""A file read as a Python document: the `Source` every reader returns, PHX000 findings, decoding.

The readers (`pyfile`, `notebook`, `markdown`) share what is here; `sources` picks the reader.
Nothing here raises on bad input.
"""

from __future__ import annotations

import ast
import codecs
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from phx_tasklint.core.model import Diagnostic
from phx_tasklint.core.spec import RULES_BY_CODE
from phx_tasklint.lint import prefilter, pyast
from phx_tasklint.lint.findings import Finding, Location
from phx_tasklint.lint.kinds import SourceKind

TOP_LEVEL_AWAIT = ast.PyCF_ALLOW_TOP_LEVEL_AWAIT

# (cell or None, line in the original file, columns removed in front of the document line)
LineMap = tuple[tuple[int | None, int, int], ...]


@dataclass(frozen=True)
class Source:
    """One file as the linter sees it."""

    path: str
    kind: SourceKind
    text: str  # the Python document ("" when there is nothing to check)
    problems: tuple[Finding, ...] = ()
    # how a python file was stored, for writing it back (see `encode`)
    encoding: str = "utf-8"
    bom: bool = False
    newline: str = "\n"  # the first line ending of the file ("\n" when it has none)
    # notebooks and Markdown fences allow top-level `await` (an AST-only compile accepts it
    # anyway; passed on to `compile_problem` for parity)
    top_level_await: bool = False
    # one entry per document line; empty: the document is the file (python)
    line_map: LineMap = field(default=(), repr=False)
    # Read with `wrappers` (see `sources.from_bytes`): False when no block of the file could
    # hold a hand-off, so none of its broken blocks is reported.
    candidate: bool = True
    # what was set aside unchecked, one `--statistics` reason per block (`set_aside`)
    skipped: tuple[str, ...] = ()
    # the document's syntax tree, when a reader built it from its blocks' (each block is
    # parsed anyway, to find the broken ones): the engine need not parse the text again
    tree: ast.Module | None = field(default=None, repr=False, compare=False)

    def locate(self, line: int, column: int) -> tuple[int | None, int, int]:
        """Document position (1-based) -> (cell or None, line, column) in the original file."""
        line_map = self.line_map
        if not line_map:
            return None, line, column
        line = max(line, 1)
        if line <= len(line_map):
            cell, original, shift = line_map[line - 1]
            return cell, original, column + shift
        cell, original, _ = line_map[-1]  # past the end: keep counting in the last line's unit
        return cell, original + line - len(line_map), column

    def place(self, line: int, column: int, end_line: int, end_column: int) -> Location:
        """A document range -> a `Location` in the original file (cell-relative in notebooks)."""
        cell, start_line, start_column = self.locate(line, column)
        end_cell, stop_line, stop_column = self.locate(end_line, end_column)
        if end_cell != cell or (stop_line, stop_column) < (start_line, start_column):
            stop_line, stop_column = start_line, start_column
        return Location(self.path, start_line, start_column, stop_line, stop_column, cell)

    def encode(self, text: str) -> bytes:
        """`text` (e.g. a fixed `self.text`) as the bytes to write back to a python file."""
        data = text.encode(self.encoding)
        return codecs.BOM_UTF8 + data if self.bom else data


# -- problems ---------------------------------------------------------------------------------


def unparsed(unit: str) -> str:
    """The `--statistics` reason for a block that does not parse and was not reported, because
    nothing in it could hand anything to Phoenix (pseudo-code in documentation, mostly)."""
    return f"{unit} that does not parse (cannot hold a hand-off)"


def could_hold(
    blocks: Sequence[str], wrappers: frozenset[str] | None, together: bool = False
) -> list[bool]:
    """Per block of Python (a cell, a fence): could it hold a hand-off, and so be worth a PHX000
    when it does not parse? The test the prefilter puts to a whole file. Without `wrappers` (a
    reader asked for every problem, as `--fix` asks of what it writes) every block could.
    `together`: look at all the blocks at once first (a name in one block is in the whole), for
    many small blocks that mostly hold none."""
    if wrappers is None:
        return [True] * len(blocks)
    if together and not prefilter.could_hand_off("\n".join(blocks), wrappers):
        return [False] * len(blocks)
    return [prefilter.could_hand_off(block, wrappers) for block in blocks]


def document_could_hold(blocks: Sequence[str], wrappers: frozenset[str] | None) -> bool:
    """Could the document the blocks make hold a hand-off? Asked of the whole, not block by
    block: the names a hand-off needs may be spelled in different blocks (`from pytest import
    mark as m` in one fence, `@m.phoenix(...)` in the next)."""
    return wrappers is None or prefilter.could_hand_off("\n".join(blocks), wrappers)


def bytes_could_hold(data: bytes, wrappers: frozenset[str] | None) -> bool:
    """`could_hold` for a file whose blocks cannot be told apart (it does not decode, or is not
    a notebook): its bytes, and the text they decode to with what does not decode replaced."""
    if wrappers is None or prefilter.mentions(data, wrappers):
        return True
    if data.isascii():
        return False
    return prefilter.normalized_mentions(data.decode("utf-8", "replace"), wrappers, data)


def other_language(unit: str, language: str) -> str:
    """The `--statistics` reason for a notebook, or a cell, written in another language."""
    return f"{unit} in another language ({language.lower()})"


def cannot_parse(
    path: str,
    unit: str,
    error: str,
    line: int = 1,
    column: int = 1,
    end: tuple[int, int] | None = None,
    cell: int | None = None,
) -> Finding:
    """PHX000 about `unit` ("file", "notebook", "cell 3", ...) at a place in the original file."""
    rule = RULES_BY_CODE["PHX000"]
    end_line, end_column = end if end is not None else (line, column)
    diagnostic = Diagnostic(
        code=rule.code,
        name=rule.name,
        severity=rule.severity,
        message=rule.format(unit=unit, error=error),
        role=None,
    )
    return Finding(Location(path, line, column, end_line, end_column, cell), diagnostic)


# (line, column, end_line, end_column, message), 1-based, in the compiled text's coordinates
CompileFailure = tuple[int, int, int, int, str]


def compile_failure(text: str, flags: int) -> CompileFailure | None:
    """What `compile()` says about `text`, or None when it compiles (to an AST)."""
    try:
        pyast.parse(text, flags, "<document>")
    except SyntaxError as exc:  # IndentationError, TabError too
        line = max(exc.lineno or 1, 1)
        column = max(exc.offset or 1, 1)
        end_line = exc.end_lineno or 0
        end_column = exc.end_offset or 0
        if end_column < 1 or (end_line, end_column) < (line, column):
            end_line, end_column = line, column
        return line, column, end_line, end_column, exc.msg or "invalid syntax"
    except ValueError as exc:  # null bytes (before 3.12)
        return 1, 1, 1, 1, str(exc) or "invalid source"
    except RecursionError as exc:
        return 1, 1, 1, 1, f"too deeply nested ({exc or 'maximum recursion depth exceeded'})"
    except MemoryError:
        return 1, 1, 1, 1, "too deeply nested or too large for Python's parser"
    return None


def block_tree(lines: list[str], offset: int) -> ast.Module | None:
    """The block `lines`, the document's lines `offset + 1`..., parsed with the document's
    line numbers (blank lines in front are all the tokenizer needs to count them); None when it
    does not compile (`compile_failure` says why)."""
    try:
        return pyast.parse("\n" * offset + "\n".join(lines) + "\n", TOP_LEVEL_AWAIT)
    except (SyntaxError, ValueError, RecursionError, MemoryError):  # as `compile_failure`
        return None


def joined(trees: list[ast.Module]) -> ast.Module:
    """One module of the blocks' trees, in order: what parsing their document gives."""
    return ast.Module(body=[node for tree in trees for node in tree.body], type_ignores=[])


def syntax_problem(
    text: str, path: str, *, top_level_await: bool = False, unit: str = "file"
) -> Finding | None:
    """`compile_problem` with the unit named in the message ("file", "cell 3", ...)."""
    error = compile_failure(text, TOP_LEVEL_AWAIT if top_level_await else 0)
    if error is None:
        return None
    line, column, end_line, end_column, message = error
    return cannot_parse(path, unit, message, line, column, (end_line, end_column))


def compile_problem(text: str, path: str, *, top_level_await: bool = False) -> Finding | None:
    """PHX000 at the position `compile()` reports, or None when `text` compiles.

    Positions are in `text`'s coordinates; for a notebook or Markdown document map them with
    `Source.locate`.
    """
    return syntax_problem(text, path, top_level_await=top_level_await)


# -- decoding ---------------------------------------------------------------------------------

_NEWLINE = re.compile(r"\r\n|\r|\n")


def position(text: str, index: int) -> tuple[int, int]:
    """1-based (line, column) of character `index` of `text`."""
    line = 1
    start = 0
    for match in _NEWLINE.finditer(text, 0, index):
        line += 1
        start = match.end()
    return line, index - start + 1


def first_newline(text: str) -> str:
    lf = text.find("\n")
    cr = text.find("\r", 0, len(text) if lf < 0 else lf)
    if cr >= 0:
        return "\r\n" if text.startswith("\n", cr + 1) else "\r"
    return "\n"


def decode(data: bytes, path: str, encoding: str, skip: int = 0) -> tuple[str, Finding | None]:
    """Strictly decode `data[skip:]`; an undecodable byte is a PHX000 at its position."""
    try:
        return data[skip:].decode(encoding), None
    except UnicodeDecodeError as exc:
        prefix = data[skip : skip + exc.start].decode(encoding, "replace")
        line, column = position(prefix, len(prefix))
        offset = skip + exc.start
        error = f"invalid {encoding} at byte offset {offset} (0x{data[offset]:02x})"
        return "", cannot_parse(path, "file", error, line, column, (line, column + 1))
    except LookupError as exc:  # a codec that cannot decode at all
        return "", cannot_parse(path, "file", str(exc))


def split_lines(text: str) -> list[str]:
    """Lines as Python counts them (\\r\\n, \\r, \\n); a final line ending adds no line."""
    lines = _NEWLINE.split(text)
    if lines and lines[-1] == "":
        lines.pop()
    return lines
