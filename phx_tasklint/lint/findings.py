"""A diagnostic placed in a file: what every output format and `--fix` work from.

They are named tuples, not frozen dataclasses: a run answered from the cache builds one of each
per finding, and tuples are built much faster.

A finding about a definition lists the calls that hand it to Phoenix (`handoffs`): each file's
analysis knows its own calls only, so the list is data, not words in the message, and the
findings of every file about one definition are merged into one (`merged`) before they are
shown; `message()` words the list.
"""

from __future__ import annotations

from collections.abc import Iterable
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


class HandOffSite(NamedTuple):
    """A call that hands a definition to Phoenix: where it is (1-based), and what it calls."""

    path: str
    line: int
    column: int
    cell: int | None
    runner: str  # as the user called it: `Client().experiments.run_experiment`

    def place(self) -> str:
        cell = f"cell {self.cell}:" if self.cell is not None else ""
        return f"{self.path}:{cell}{self.line}"


# hand-offs named in a message; the rest are counted ("and 28 more"), and all are in the data
SHOWN_HANDOFFS = 3


def handoff_note(sites: tuple[HandOffSite, ...]) -> str:
    """` (handed to run_experiment at a.py:9, b.py:4 and 28 more)`, "" for none: the sites in
    their order, grouped by what they call."""
    if not sites:
        return ""
    shown = sites if len(sites) <= SHOWN_HANDOFFS else sites[: SHOWN_HANDOFFS - 1]
    more = len(sites) - len(shown)
    groups: dict[str, list[str]] = {}
    for site in shown:
        groups.setdefault(site.runner, []).append(site.place())
    parts = []
    for index, (runner, places) in enumerate(groups.items()):
        last = index == len(groups) - 1 and not more
        listed = (
            ", ".join(places[:-1]) + " and " + places[-1]
            if last and len(places) > 1
            else ", ".join(places)
        )
        parts.append(f"{runner} at {listed}")
    tail = f" and {more} more" if more else ""
    return f" (handed to {'; to '.join(parts)}{tail})"


class Finding(NamedTuple):
    location: Location
    diagnostic: Diagnostic
    # the callable's qualified name (`Summarizer.__call__`, `make_task.inner`: Python's
    # `__qualname__` without `<locals>`), for signature rules
    function: str | None = None
    # the calls that hand the definition over, sorted; none for a finding placed at the call
    handoffs: tuple[HandOffSite, ...] = ()

    def message(self) -> str:
        """The diagnostic's message, and where the definition is handed over."""
        return self.diagnostic.message + handoff_note(self.handoffs)

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
            tuple(map(_site_order, self.handoffs)),
        )

    def key(self) -> tuple[Location, Diagnostic, str | None]:
        """What makes two findings one: the same diagnostic about the same definition, however
        many calls hand it over."""
        return (self.location, self.diagnostic, self.function)


def merged(findings: Iterable[Finding]) -> list[Finding]:
    """One finding per `key`, with the hand-offs of all of them (sorted, each once), in the
    order each key first came."""
    by_key: dict[tuple[Location, Diagnostic, str | None], Finding] = {}
    for finding in findings:
        key = finding.key()
        found = by_key.get(key)
        if found is None:
            by_key[key] = finding
        elif finding.handoffs and finding.handoffs != found.handoffs:
            sites = tuple(sorted(set(found.handoffs) | set(finding.handoffs), key=_site_order))
            by_key[key] = found._replace(handoffs=sites)
    return list(by_key.values())


def _site_order(site: HandOffSite) -> tuple[object, ...]:
    return (site.path, site.cell or 0, site.line, site.column, site.runner)


def sorted_sites(sites: Iterable[HandOffSite]) -> tuple[HandOffSite, ...]:
    return tuple(sorted(set(sites), key=_site_order))
