"""Files -> Python documents: `.py`/`.pyi`, Jupyter notebooks and Markdown code fences.

Every reader returns a `Source`: the Python document the linter parses (`text`, "" when nothing
is usable), the PHX000 findings met while reading (`problems`), and a map from document
positions back to the original file (`locate` / `place`). Nothing here raises on bad input.

This module picks the reader by kind; each kind has its own module:

* `pyfile`: Python files, decoded the way `compile(bytes)` decodes them and kept byte-for-byte.
* `notebook`: a notebook's code cells joined into one module, IPython syntax masked line for line.
* `markdown`: the Python fences of a Markdown file, one document on the file's own line numbers.

`Source`, the PHX000 findings and the decoding they share are in `document`.
"""

from __future__ import annotations

from pathlib import Path

from phx_tasklint.lint import markdown, notebook, pyfile
from phx_tasklint.lint.document import (
    Source,
    cannot_parse,
    compile_problem,
    first_newline,
    syntax_problem,
)
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


def from_bytes(
    data: bytes,
    path: str,
    kind: SourceKind | None = None,
    *,
    check_syntax: bool = True,
    wrappers: frozenset[str] | None = None,
    screen: bool = False,
) -> Source:
    """Read a file's bytes into a `Source`; never raises.

    `kind` defaults to `kind_of(path)`, and to "python" for an unknown suffix. `check_syntax`
    only concerns python files (cells and fences are always compiled: a broken one is blanked).

    `wrappers` (the configured runners' names, `prefilter.wrapper_names`) asks for PHX000 only
    where a hand-off could be: a file, cell or fence that does not parse is reported when it
    could hold one (`prefilter.could_hand_off`); a cell or fence that could not is counted in
    `Source.skipped` instead, if another block of the file could. Without `wrappers` every
    problem is reported (what `--fix` needs of the file it writes). `screen` with `wrappers`:
    a file none of whose blocks could hold a hand-off is not read further (its Source has no
    text and `candidate` False), which is stage 1 of the prefilter.
    """
    kind = kind or kind_of(path) or "python"
    if kind == "notebook":
        newline = first_newline(data[:4096].decode("latin-1"))
        return notebook.read(data, path, newline, wrappers, screen)
    if kind == "markdown":
        return markdown.read(data, path, wrappers, screen)
    return pyfile.read(data, path, check_syntax, wrappers, screen)


def load(
    path: Path,
    display: str | None = None,
    *,
    check_syntax: bool = True,
    wrappers: frozenset[str] | None = frozenset(),
) -> Source:
    """Read `path` from disk; an unreadable file gives a Source with one PHX000 and no text.
    A block that does not parse is reported as `check` reports it, only where it could hold
    a hand-off (`wrappers`: the configured runners' names; None reports every one)."""
    name = display if display is not None else str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        kind = kind_of(name) or kind_of(str(path)) or "python"
        error = f"cannot read it: {exc.strerror or type(exc).__name__}"
        return Source(name, kind, "", (cannot_parse(name, "file", error),))
    found = kind_of(str(path)) or kind_of(name)
    return from_bytes(data, name, found, check_syntax=check_syntax, wrappers=wrappers)
