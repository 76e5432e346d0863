"""Results cache under `.phx-tasklint-cache/`, in the style of ruff's.

An entry is valid while its file and every file it imported callables from keep their size and
modification time; the cache file itself is keyed by tool version and effective configuration.
It is written atomically (a temporary file, then a rename), so concurrent runs never corrupt it,
and a corrupt or foreign file is ignored and rewritten.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections import Counter
from collections.abc import Container
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from phx_tasklint import __version__
from phx_tasklint.findings import Finding, Location
from phx_tasklint.model import Diagnostic, Edit, Fix

DIRECTORY = ".phx-tasklint-cache"
_SCHEMA = 2
Stat = tuple[int, int]  # (mtime_ns, size)


def stat_of(path: str | Path) -> Stat | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size)


@dataclass(frozen=True)
class Entry:
    stat: Stat
    findings: tuple[Finding, ...]
    skipped: dict[str, int]
    deps: tuple[tuple[str, Stat], ...]  # files this one's result depends on
    misses: tuple[str, ...] = ()  # modules it looked for among the checked files, in vain


def finding_to_json(f: Finding) -> dict[str, Any]:
    d = f.diagnostic
    loc = f.location
    fix = None
    if d.fix is not None:
        fix = [d.fix.title, d.fix.safe, [[e.action, e.param, e.new_name] for e in d.fix.edits]]
    return {
        "l": [loc.path, loc.line, loc.column, loc.end_line, loc.end_column, loc.cell],
        "d": [d.code, d.name, d.severity, d.message, d.role, d.param, list(d.params), d.item],
        "x": fix,
        "fn": f.function,
    }


def finding_from_json(data: dict[str, Any]) -> Finding:
    path, line, column, end_line, end_column, cell = data["l"]
    code, name, severity, message, role, param, params, item = data["d"]
    fix = None
    if data["x"] is not None:
        title, safe, edits = data["x"]
        fix = Fix(title, bool(safe), tuple(Edit(a, p, n) for a, p, n in edits))
    diagnostic = Diagnostic(code, name, severity, message, role, param, fix, tuple(params), item)
    return Finding(Location(path, line, column, end_line, end_column, cell), diagnostic, data["fn"])


_CLEAN = Entry((0, 0), (), {}, ())


class Cache:
    def __init__(self, root: Path, fingerprint: str, enabled: bool = True) -> None:
        self.directory = root / DIRECTORY
        self.file = self.directory / f"v{__version__}-{fingerprint}.json"
        self.enabled = enabled
        self.entries: dict[str, Entry] = {}
        self.raw: dict[str, Any] = {}  # rows as read, decoded into `entries` on demand
        self.dirty = False
        if enabled:
            self._load()

    def _load(self) -> None:
        try:
            raw = json.loads(self.file.read_bytes())
            if raw.get("schema") != _SCHEMA or raw.get("version") != __version__:
                return
            files = raw["files"]
            if isinstance(files, dict):
                self.raw = files
        except Exception:  # missing, corrupt or foreign: start afresh
            self.raw = {}

    def _entry(self, path: str) -> Entry | None:
        """An entry, decoded on first use (most entries of a big tree are never asked twice)."""
        entry = self.entries.get(path)
        if entry is not None:
            return entry
        row = self.raw.get(path)
        if row is None:
            return None
        try:
            mtime, size, *rest = row
            findings, skipped, deps, misses = rest if rest else ([], {}, [], [])
            entry = Entry(
                (int(mtime), int(size)),
                tuple(finding_from_json(f) for f in findings),
                {str(k): int(v) for k, v in skipped.items()},
                tuple((str(p), (int(m), int(s))) for p, m, s in deps),
                tuple(str(m) for m in misses),
            )
        except Exception:  # a damaged row: as if it were not there
            self.raw.pop(path, None)
            return None
        self.entries[path] = entry
        return entry

    def lookup(
        self, path: str, stat: Stat | None, modules: Container[str] = ()
    ) -> Entry | None:
        """A valid entry: same stat, same dependencies, and no module it missed now checked."""
        if not self.enabled or stat is None:
            return None
        if path not in self.entries:
            row = self.raw.get(path)
            if type(row) is list and len(row) == 2:  # a file with nothing in it: no decoding
                return _CLEAN if (row[0], row[1]) == stat else None
        entry = self._entry(path)
        if entry is None or entry.stat != stat:
            return None
        if any(m in modules for m in entry.misses):
            return None
        for dep, dep_stat in entry.deps:
            if stat_of(dep) != dep_stat:
                return None
        return entry

    def store(
        self,
        path: str,
        stat: Stat | None,
        findings: tuple[Finding, ...] = (),
        skipped: Counter[str] | None = None,
        deps: tuple[str, ...] = (),
        misses: tuple[str, ...] = (),
    ) -> None:
        if not self.enabled or stat is None:
            return
        dep_stats = []
        for dep in deps:
            dep_stat = stat_of(dep)
            if dep_stat is None:
                return  # depends on something unreadable: do not cache
            dep_stats.append((dep, dep_stat))
        self.entries[path] = Entry(
            stat, findings, dict(skipped or {}), tuple(dep_stats), misses
        )
        self.dirty = True

    def save(self) -> None:
        if not self.enabled or not self.dirty:
            return
        rows = dict(self.raw)
        for path, e in self.entries.items():
            if e.findings or e.skipped or e.deps or e.misses:
                rows[path] = [
                    e.stat[0],
                    e.stat[1],
                    [finding_to_json(f) for f in e.findings],
                    e.skipped,
                    [[p, s[0], s[1]] for p, s in e.deps],
                    list(e.misses),
                ]
            else:  # the common case, a file with nothing to report: keep it small
                rows[path] = [e.stat[0], e.stat[1]]
        payload = {"schema": _SCHEMA, "version": __version__, "files": rows}
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            ignore = self.directory / ".gitignore"
            if not ignore.exists():
                ignore.write_text("# Automatically created by phx-tasklint.\n*\n")
            fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".tmp-", suffix=".json")
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as handle:
                    json.dump(payload, handle, separators=(",", ":"))
                os.replace(tmp, self.file)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
        except OSError:
            pass  # a read-only tree still gets its findings; it just runs cold next time


def clean(root: Path) -> bool:
    """Delete the cache directory; True if there was one."""
    directory = root / DIRECTORY
    if not directory.exists():
        return False
    shutil.rmtree(directory, ignore_errors=True)
    return True
