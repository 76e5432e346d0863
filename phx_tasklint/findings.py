"""A diagnostic placed in a file: what every output format and `--fix` work from."""

from __future__ import annotations

from dataclasses import dataclass

from phx_tasklint.model import Diagnostic


@dataclass(frozen=True)
class Location:
    """1-based lines and columns. In a notebook `line` is the line inside cell `cell`."""

    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    cell: int | None = None


@dataclass(frozen=True)
class Finding:
    location: Location
    diagnostic: Diagnostic
    function: str | None = None  # the callable's name, for signature rules

    def sort_key(self) -> tuple[str, int, int, int, str]:
        loc = self.location
        return (loc.path, loc.cell or 0, loc.line, loc.column, self.diagnostic.code)
