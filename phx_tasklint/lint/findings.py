"""A diagnostic placed in a file: what every output format and `--fix` work from.

Both are named tuples, not frozen dataclasses: a run answered from the cache builds one of each
per finding, and tuples are built much faster.
"""

from __future__ import annotations

from typing import NamedTuple

from phx_tasklint.core.diagnostics import Diagnostic


class Location(NamedTuple):
    """1-based lines and columns. In a notebook `line` is the line inside cell `cell`."""

    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    cell: int | None = None


class Finding(NamedTuple):
    location: Location
    diagnostic: Diagnostic
    function: str | None = None  # the callable's name, for signature rules

    def sort_key(self) -> tuple[object, ...]:
        """A total order: findings that tie on their place and code (two hand-offs of one
        definition, say) are ordered by everything else they hold, so the output never
        depends on which worker, cache entry or hash seed produced them first."""
        loc, d = self.location, self.diagnostic
        return (
            loc.path,
            loc.cell or 0,
            loc.line,
            loc.column,
            d.code,
            loc.end_line,
            loc.end_column,
            d.message,
            self.function or "",
            d.role or "",
            d.param or "",
            d.params,
            -1 if d.item is None else d.item,
            "" if d.fix is None else d.fix.title,
        )
