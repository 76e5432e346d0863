"""Files -> Python documents: `.py`/`.pyi`, Jupyter notebooks and Markdown code fences.

Every reader returns a `Source`: the Python document the linter parses (`text`, "" when nothing
is usable), the PHX000 findings met while reading (`problems`), and a map from document
positions back to the original file (`locate` / `place`). Nothing here raises on bad input.

* Python files are decoded the way `compile(bytes)` decodes them (BOM, PEP 263 declaration on
  line 1 or 2) and kept byte-for-byte otherwise (line endings are not translated), so a `--fix`
  can write `Source.encode(new_text)` back.
* A notebook's code cells are joined, in order, into one module. IPython syntax (magics, shell
  escapes, help) is replaced line for line by `pass`-like Python, so every document line is a
  line of some cell. A cell that does not compile on its own is reported and blanked.
* The Python fences of a Markdown file form one document whose line numbers are the Markdown
  file's own; columns map back by adding what was removed in front (indentation, `>>> `).
"""

from __future__ import annotations

import ast
import codecs
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from phx_tasklint.core.model import Diagnostic
from phx_tasklint.core.spec import RULES_BY_CODE
from phx_tasklint.lint import pyast
from phx_tasklint.lint.findings import Finding, Location
from phx_tasklint.lint.kinds import SourceKind, kind_of

__all__ = [
    "Source",
    "SourceKind",
    "compile_problem",
    "from_bytes",
    "kind_of",
    "load",
    "syntax_problem",
]

_TOP_LEVEL_AWAIT = ast.PyCF_ALLOW_TOP_LEVEL_AWAIT

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


def _problem(
    path: str,
    unit: str,
    error: str,
    line: int = 1,
    column: int = 1,
    end: tuple[int, int] | None = None,
    cell: int | None = None,
) -> Finding:
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
_Error = tuple[int, int, int, int, str]


def _compile_error(text: str, flags: int) -> _Error | None:
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


def syntax_problem(
    text: str, path: str, *, top_level_await: bool = False, unit: str = "file"
) -> Finding | None:
    """`compile_problem` with the unit named in the message ("file", "cell 3", ...)."""
    error = _compile_error(text, _TOP_LEVEL_AWAIT if top_level_await else 0)
    if error is None:
        return None
    line, column, end_line, end_column, message = error
    return _problem(path, unit, message, line, column, (end_line, end_column))


def compile_problem(text: str, path: str, *, top_level_await: bool = False) -> Finding | None:
    """PHX000 at the position `compile()` reports, or None when `text` compiles.

    Positions are in `text`'s coordinates; for a notebook or Markdown document map them with
    `Source.locate`.
    """
    return syntax_problem(text, path, top_level_await=top_level_await)


# -- python files -----------------------------------------------------------------------------

_NEWLINE = re.compile(r"\r\n|\r|\n")
_COOKIE = re.compile(rb"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)")
_BLANK = re.compile(rb"^[ \t\f]*(?:#|$)")
_BYTES_NEWLINE = re.compile(rb"\r\n|\r|\n")


def _normal_encoding(name: str) -> str:
    """CPython's tokenizer `get_normal_name`: utf-8 and latin-1 spellings -> canonical."""
    head = name[:12].lower().replace("_", "-")
    if head == "utf-8" or head.startswith("utf-8-"):
        return "utf-8"
    if head in ("latin-1", "iso-8859-1", "iso-latin-1") or head.startswith(
        ("latin-1-", "iso-8859-1-", "iso-latin-1-")
    ):
        return "iso-8859-1"
    return name


def _declared_encoding(body: bytes, bom: bool) -> tuple[str, str | None]:
    """(encoding, error) from a PEP 263 declaration, read the way `compile(bytes)` reads it.

    Only line 1, or line 2 after a blank or comment-only line 1, is looked at (lines end at
    \\r\\n, \\r or \\n). An unknown codec is left for the decode to report.
    """
    first_end = body.find(b"\n")
    second_end = body.find(b"\n", first_end + 1) if first_end >= 0 else -1
    # cheap pre-check: the first two b"\\n" lines hold the first two lines of any kind
    if b"coding" not in body[: second_end if second_end >= 0 else len(body)]:
        return "utf-8", None
    lines = _BYTES_NEWLINE.split(body, maxsplit=2)
    match = _COOKIE.match(lines[0])
    if match is None and len(lines) > 1 and _BLANK.match(lines[0]):
        match = _COOKIE.match(lines[1])
    if match is None:
        return "utf-8", None
    name = _normal_encoding(match.group(1).decode("ascii"))
    if bom and name != "utf-8":
        return "utf-8", f"encoding problem: {name} with BOM"
    return name, None


def _position(text: str, index: int) -> tuple[int, int]:
    """1-based (line, column) of character `index` of `text`."""
    line = 1
    start = 0
    for match in _NEWLINE.finditer(text, 0, index):
        line += 1
        start = match.end()
    return line, index - start + 1


def _first_newline(text: str) -> str:
    lf = text.find("\n")
    cr = text.find("\r", 0, len(text) if lf < 0 else lf)
    if cr >= 0:
        return "\r\n" if text.startswith("\n", cr + 1) else "\r"
    return "\n"


def _decode(data: bytes, path: str, encoding: str, skip: int = 0) -> tuple[str, Finding | None]:
    """Strictly decode `data[skip:]`; an undecodable byte is a PHX000 at its position."""
    try:
        return data[skip:].decode(encoding), None
    except UnicodeDecodeError as exc:
        prefix = data[skip : skip + exc.start].decode(encoding, "replace")
        line, column = _position(prefix, len(prefix))
        offset = skip + exc.start
        error = f"invalid {encoding} at byte offset {offset} (0x{data[offset]:02x})"
        return "", _problem(path, "file", error, line, column, (line, column + 1))
    except LookupError as exc:  # a codec that cannot decode at all
        return "", _problem(path, "file", str(exc))


def _python(data: bytes, path: str, check_syntax: bool) -> Source:
    bom = data.startswith(codecs.BOM_UTF8)
    skip = len(codecs.BOM_UTF8) if bom else 0
    encoding, error = _declared_encoding(data[skip:], bom)
    if error is not None:
        return Source(path, "python", "", (_problem(path, "file", error),), encoding, bom)
    text, problem = _decode(data, path, encoding, skip)
    if problem is not None:
        return Source(path, "python", "", (problem,), encoding, bom)
    newline = _first_newline(text)
    nul = text.find("\0")
    if nul >= 0:
        line, column = _position(text, nul)
        problem = _problem(path, "file", "source contains a NUL byte", line, column)
    elif check_syntax:
        problem = compile_problem(text, path)
    if problem is not None:
        return Source(path, "python", "", (problem,), encoding, bom, newline)
    return Source(path, "python", text, (), encoding, bom, newline)


# -- IPython masking --------------------------------------------------------------------------

_SCAN = re.compile(r"""[#'"()\[\]{}\\]""")
_STRING_END = {
    quote: re.compile(r"\\(?:.|$)|" + re.escape(quote)) for quote in ("'", '"', "'''", '"""')
}
_HELP = re.compile(r"(?:\?{1,2}.*|%{0,2}[\w*]+(?:\.[\w*]+)*\?{1,2})")
_ASSIGN_MAGIC = re.compile(r"([^=]*[^=!<>:+\-*/%&|^@~ \t])[ \t]*=[ \t]*[!%]")
_ESCAPES = ("%", "!", "/", ",", ";")  # magics, shell, and the autocall escapes
_PYTHON_CELL_MAGICS = frozenset({"time", "timeit", "capture", "prun"})


def _scan(line: str, depth: int, quote: str) -> tuple[int, str, bool]:
    """Bracket depth, open string and backslash continuation after `line`."""
    pos = 0
    size = len(line)
    while True:
        if quote:
            end = _STRING_END[quote].search(line, pos)
            if end is None:  # an unterminated one-quote string ends with its line
                return depth, quote if len(quote) == 3 else "", False
            if end.group() == "\\":  # backslash at the end of the line: the string goes on
                return depth, quote, False
            if not end.group().startswith("\\"):
                quote = ""
            pos = end.end()
            continue
        match = _SCAN.search(line, pos)
        if match is None:
            return depth, "", False
        char = match.group()
        pos = match.end()
        if char == "#":
            return depth, "", False
        if char == "\\":
            if pos == size:
                return depth, "", True
        elif char in "'\"":
            quote = char * 3 if line.startswith(char * 3, match.start()) else char
            pos = match.start() + len(quote)
        elif char in "([{":
            depth += 1
        else:
            depth = max(depth - 1, 0)


def _mask_line(line: str) -> str | None:
    """The Python that replaces an IPython-only logical line, or None for plain Python."""
    body = line.lstrip(" \t\f")
    if not body:
        return None
    indent = line[: len(line) - len(body)]
    stripped = body.rstrip()
    if body.startswith(_ESCAPES) or _HELP.fullmatch(stripped):
        return indent + "pass"
    assign = _ASSIGN_MAGIC.match(body)
    if assign is not None:
        return indent + assign.group(1) + " = None"
    return None


def _mask_ipython(lines: list[str]) -> list[str]:
    """Replace IPython syntax line for line (same count) so the lines compile as Python."""
    body = next((i for i, line in enumerate(lines) if line.strip()), None)
    if body is None:
        return lines
    out = list(lines)
    first = lines[body].lstrip()
    if first.startswith("%%"):
        name = first[2:].split(maxsplit=1)[0] if first[2:].strip() else ""
        if name not in _PYTHON_CELL_MAGICS:
            return [""] * len(lines)
        out[body] = ""  # %%time & co.: the rest of the cell is Python
        body += 1
    depth, quote, continued, masked = 0, "", False, False
    for index in range(body, len(lines)):
        line = lines[index]
        if masked:  # a continuation line of a masked line
            out[index] = ""
            masked = line.endswith("\\")
            continue
        if depth == 0 and not quote and not continued:
            replacement = _mask_line(line)
            if replacement is not None:
                out[index] = replacement
                masked = line.endswith("\\")
                continue
        depth, quote, continued = _scan(line, depth, quote)
    return out


def _dedent_cell(lines: list[str]) -> tuple[list[str], list[int]]:
    """IPython's `leading_indent`: strip the first non-blank line's indentation from all."""
    shifts = [0] * len(lines)
    first = next((line for line in lines if line.strip()), "")
    indent = first[: len(first) - len(first.lstrip(" \t"))]
    if not indent:
        return lines, shifts
    out = []
    for index, line in enumerate(lines):
        if line.startswith(indent):
            out.append(line[len(indent) :])
            shifts[index] = len(indent)
        else:
            out.append(line)
    return out, shifts


def _split_lines(text: str) -> list[str]:
    """Lines as Python counts them (\\r\\n, \\r, \\n); a final line ending adds no line."""
    lines = _NEWLINE.split(text)
    if lines and lines[-1] == "":
        lines.pop()
    return lines


# -- notebooks --------------------------------------------------------------------------------

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


def _notebook_language(notebook: dict[str, object]) -> str | None:
    metadata = notebook.get("metadata")
    if not isinstance(metadata, dict):
        return None
    for key, name in (("language_info", "name"), ("kernelspec", "language")):
        section = metadata.get(key)
        if isinstance(section, dict) and isinstance(section.get(name), str):
            return str(section[name])
    return None


def _notebook(data: bytes, path: str, newline: str) -> Source:
    def broken(error: str, line: int = 1, column: int = 1, cell: int | None = None) -> Source:
        problem = _problem(path, "notebook", error, line, column, cell=cell)
        return Source(path, "notebook", "", (problem,), newline=newline, top_level_await=True)

    bom = data.startswith(codecs.BOM_UTF8)
    raw, problem = _decode(data, path, "utf-8", len(codecs.BOM_UTF8) if bom else 0)
    if problem is not None:
        return Source(path, "notebook", "", (problem,), top_level_await=True)
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
    for number, cell in enumerate(cells, start=1):
        source, error = _cell_source(cell, number)
        if error is not None:
            return broken(error, cell=number)
        if isinstance(cell, dict) and cell.get("cell_type") == "code":
            sources.append((number, source))
    language = _notebook_language(notebook)
    if language is not None and language.lower() not in ("python", "python3", "ipython", ""):
        return Source(path, "notebook", "", (), newline=newline, top_level_await=True)

    document: list[str] = []
    line_map: list[tuple[int | None, int, int]] = []
    problems: list[Finding] = []
    for number, source in sources:
        lines, shifts = _dedent_cell(_split_lines(source))
        lines = _mask_ipython(lines)
        failure = _compile_error("\n".join(lines) + "\n", _TOP_LEVEL_AWAIT) if lines else None
        if failure is not None:
            problems.append(_cell_problem(path, number, failure, shifts))
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
    )


def _cell_problem(path: str, number: int, error: _Error, shifts: Sequence[int]) -> Finding:
    line, column, end_line, end_column, message = error
    last = max(len(shifts), 1)
    line, end_line = min(line, last), min(end_line, last)

    def shift(at: int) -> int:
        return shifts[at - 1] if at <= len(shifts) else 0

    end = (end_line, end_column + shift(end_line))
    return _problem(path, f"cell {number}", message, line, column + shift(line), end, number)


# -- Markdown ---------------------------------------------------------------------------------

_FENCE = re.compile(r"([ \t]*)(`{3,}|~{3,})(.*)")
_INFO_WORD = re.compile(r"[{.]*([\w+-]+)")
_FENCE_LANGUAGES: dict[str, str] = {
    "python": "python",
    "py": "python",
    "python3": "python",
    "py3": "python",
    "ipython": "ipython",
    "ipython3": "ipython",
    "pycon": "pycon",
}


def _fence_language(info: str) -> str | None:
    match = _INFO_WORD.match(info.strip())
    return _FENCE_LANGUAGES.get(match.group(1).lower()) if match else None


def _strip_indent(line: str, width: int) -> tuple[str, int]:
    removed = 0
    while removed < width and removed < len(line) and line[removed] in " \t":
        removed += 1
    return line[removed:], removed


def _fence_content(lines: list[str], language: str) -> tuple[list[str], list[int]]:
    """The Python of one fence's (dedented) lines, and the extra columns removed per line."""
    if language == "python" and next((s for s in lines if s.strip()), "").startswith(">>>"):
        language = "pycon"  # a console session in a `python` fence (common in docs)
    if language == "ipython":
        dedented, shifts = _dedent_cell(lines)
        return _mask_ipython(dedented), shifts
    if language != "pycon":
        return lines, [0] * len(lines)
    out: list[str] = []
    shifts = []
    for line in lines:
        if line.startswith((">>> ", "... ")):
            out.append(line[4:])
            shifts.append(4)
        else:  # output, or an empty prompt
            out.append("")
            shifts.append(0)
    return out, shifts


def _markdown(data: bytes, path: str) -> Source:
    bom = data.startswith(codecs.BOM_UTF8)
    raw, problem = _decode(data, path, "utf-8", len(codecs.BOM_UTF8) if bom else 0)
    newline = _first_newline(raw)
    if problem is not None or ("```" not in raw and "~~~" not in raw):
        problems = (problem,) if problem is not None else ()
        return Source(path, "markdown", "", problems, newline=newline, top_level_await=True)
    lines = _split_lines(raw)
    document = [""] * len(lines)
    shifts = [0] * len(lines)
    problems_found: list[Finding] = []
    has_code = False
    index = 0
    while index < len(lines):
        opening = _FENCE.fullmatch(lines[index])
        index += 1
        if opening is None:
            continue
        indent, fence, info = opening.groups()
        if fence[0] == "`" and "`" in info:
            continue  # not a fence (an inline code span)
        open_line = index  # 1-based line of the opening fence
        closing = re.compile(r"[ \t]*" + re.escape(fence[0]) + "{" + str(len(fence)) + r",}[ \t]*")
        close = next((i for i in range(index, len(lines)) if closing.fullmatch(lines[i])), None)
        language = _fence_language(info)
        if close is None:
            if language is not None:
                error = f"unclosed code fence opened at line {open_line}"
                problems_found.append(_problem(path, "file", error, open_line, len(indent) + 1))
            break  # the rest of the file is inside the fence: not code
        if language is not None:
            content = [_strip_indent(line, len(indent)) for line in lines[index:close]]
            code, extra = _fence_content([line for line, _ in content], language)
            removed = [width + more for (_, width), more in zip(content, extra, strict=True)]
            failure = _compile_error("\n".join(code) + "\n", _TOP_LEVEL_AWAIT) if code else None
            if failure is None:
                document[index:close] = code
                shifts[index:close] = removed
                has_code = has_code or any(line.strip() for line in code)
            else:
                problems_found.append(_fence_problem(path, open_line, failure, removed))
        index = close + 1
    text = "\n".join(document) + "\n" if has_code else ""
    line_map = tuple((None, number, shift) for number, shift in enumerate(shifts, start=1))
    return Source(
        path,
        "markdown",
        text,
        tuple(problems_found),
        newline=newline,
        top_level_await=True,
        line_map=line_map if has_code else (),
    )


def _fence_problem(path: str, open_line: int, error: _Error, removed: Sequence[int]) -> Finding:
    line, column, end_line, end_column, message = error
    last = max(len(removed), 1)
    line, end_line = min(line, last), min(end_line, last)

    def shift(at: int) -> int:
        return removed[at - 1] if at <= len(removed) else 0

    start = (open_line + line, column + shift(line))
    end = (open_line + end_line, end_column + shift(end_line))
    unit = f"code fence at line {open_line}"
    return _problem(path, unit, message, start[0], start[1], end)


# -- entry points -----------------------------------------------------------------------------


def from_bytes(
    data: bytes, path: str, kind: SourceKind | None = None, *, check_syntax: bool = True
) -> Source:
    """Read a file's bytes into a `Source`; never raises.

    `kind` defaults to `kind_of(path)`, and to "python" for an unknown suffix. `check_syntax`
    only concerns python files (cells and fences are always compiled: a broken one is blanked).
    """
    kind = kind or kind_of(path) or "python"
    if kind == "notebook":
        return _notebook(data, path, _first_newline(data[:4096].decode("latin-1")))
    if kind == "markdown":
        return _markdown(data, path)
    return _python(data, path, check_syntax)


def load(path: Path, display: str | None = None, *, check_syntax: bool = True) -> Source:
    """Read `path` from disk; an unreadable file gives a Source with one PHX000 and no text."""
    name = display if display is not None else str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        kind = kind_of(name) or kind_of(str(path)) or "python"
        error = f"cannot read it: {exc.strerror or type(exc).__name__}"
        return Source(name, kind, "", (_problem(name, "file", error),))
    return from_bytes(data, name, kind_of(str(path)) or kind_of(name), check_syntax=check_syntax)
