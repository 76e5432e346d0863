"""A diagnostic placed in a file: what every output format and `--fix` work from.

Both are named tuples, not frozen dataclasses: a run answered from the cache builds one of each
per finding (4,000 on the 1,000-file benchmark tree), and a pair of them is built 2.5 times
as fast as a pair of frozen dataclasses.
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

    def sort_key(self) -> tuple[str, int, int, int, str]:
        loc = self.location
        return (loc.path, loc.cell or 0, loc.line, loc.column, self.diagnostic.code)
