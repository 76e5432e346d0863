"""Source text to CPython's `ast`, the one way every part of the linter parses.

* Warnings are off: an invalid escape such as `"\\d"` warns, and under `-W error` the file would
  not parse at all.
* CPython 3.11 can fail to build an AST with `SystemError: AST constructor recursion depth
  mismatch` when two threads build ASTs at once (its depth counter is shared; seen here with
  four threads linting one tree in a test). The failure is spurious, and a file that silently did
  not parse would silently lose its findings, so it is retried.
"""

from __future__ import annotations

import ast
import warnings

_ATTEMPTS = 8


def parse(text: str, flags: int = 0, filename: str = "<unknown>") -> ast.Module:
    """`text` parsed as a module (`flags`: extra compile flags, such as top-level await).
    Raises what `compile()` raises for a bad source: SyntaxError, ValueError, RecursionError,
    MemoryError."""
    for attempt in range(_ATTEMPTS):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                tree = compile(
                    text, filename, "exec", flags=ast.PyCF_ONLY_AST | flags, dont_inherit=True
                )
            assert isinstance(tree, ast.Module)
            return tree
        except SystemError:
            if attempt == _ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")
