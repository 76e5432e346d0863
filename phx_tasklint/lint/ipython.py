"""IPython syntax (magics, shell escapes, help) made into Python, line for line.

Notebook cells and `ipython` Markdown fences go through here: every masked line stays a line, so
document positions still map back to the cell or fence.
"""

from __future__ import annotations

import re

_SCAN = re.compile(r"""[#'"()\[\]{}\\]""")
_STRING_END = {
    quote: re.compile(r"\\(?:.|$)|" + re.escape(quote)) for quote in ("'", '"', "'''", '"""')
}
_HELP = re.compile(r"(?:\?{1,2}.*|%{0,2}[\w*]+(?:\.[\w*]+)*\?{1,2})")
# `x = %magic` / `x = !cmd`: IPython finds that `=` among the line's tokens at bracket depth 0,
# so the left side holds no string, comment or call (`print('m = %d' % m)` is plain Python).
_ASSIGN_MAGIC = re.compile(r"([^=()'\"#]*[^=()'\"#!<>:+\-*/%&|^@~ \t])[ \t]*=[ \t]*[!%]")
_ESCAPES = ("%", "!", "/", ",", ";")  # magics, shell, and the autocall escapes
# Where `_mask_line` could find IPython syntax at all: a line starting with an escape or `?`, a
# line ending in `?`, an `=` before `!` or `%` (most cells hold none, and are left as they are)
_MAYBE_IPYTHON = re.compile(r"^[ \t\f]*[%!/,;?]|\?\s*$|=[ \t]*[!%]", re.MULTILINE)
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


def mask_ipython(lines: list[str]) -> list[str]:
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
    if not _MAYBE_IPYTHON.search("\n".join(lines[body:])):
        return out  # no line `_mask_line` would replace: the scan below would change nothing
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


def dedent_cell(lines: list[str]) -> tuple[list[str], list[int]]:
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
