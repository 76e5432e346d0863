"""The kinds of document phx-tasklint reads, by file suffix.

Kept apart from `sources` so the walker (and a run answered from the cache) can tell a file's
kind without importing the readers.
"""

from __future__ import annotations

from typing import Literal

SourceKind = Literal["python", "notebook", "markdown"]

# The file types phx-tasklint reads, by suffix (the walker collects exactly these).
SUFFIXES: dict[str, SourceKind] = {
    ".py": "python",
    ".pyi": "python",
    ".pyw": "python",
    ".ipynb": "notebook",
    ".md": "markdown",
    ".mdx": "markdown",
    ".markdown": "markdown",
}


def kind_of(path: str) -> SourceKind | None:
    """The kind of document a path holds, by its suffix; None when it is none of ours."""
    dot = path.rfind(".")
    if dot < 0 or "/" in path[dot:] or "\\" in path[dot:]:
        return None
    return SUFFIXES.get(path[dot:].lower())
