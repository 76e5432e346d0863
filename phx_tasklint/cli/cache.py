"""Results cache under `.phx-tasklint-cache/`, in the style of ruff's.

An entry is valid while its file and every file it imported callables from keep their size,
modification and change times (those of a dependency as they were before it was read), and
every module name its analysis looked up still resolves as it did from this run's roots: to the
same file (each named as it was), to none, or to more than one (`modindex`); and (when its
relative imports depend on it) its own module name is the same. A dependency need not be
among the checked files: it is followed wherever the roots find it. The cache file's name and
settings hold what every entry depends on: the tool's own code (`code_digest`, so an edited rule
is never answered from an old result), the effective configuration, the working directory and
who runs (see `pipeline.cache_for`). A corrupt or foreign file is ignored and rewritten. It is
read only from a regular file of this user's, and written only into a real directory, never
through a link (`files`).
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import zlib
from collections import Counter
from pathlib import Path
from typing import Any, NamedTuple

from phx_tasklint import __version__
from phx_tasklint.cli.files import create_new, prune, read_own, real_directory, write_atomically
from phx_tasklint.core.diagnostics import Diagnostic, Edit, Fix
from phx_tasklint.lint.findings import Finding, HandOffSite, Location
from phx_tasklint.lint.modindex import AMBIGUOUS_MARK, MISSING, ModuleIndex

DIRECTORY = ".phx-tasklint-cache"
_SCHEMA = 10  # 10: a finding's hand-offs
# cache files kept in the directory (`files.prune`): one per version, configuration, working
# directory, installation and user
_KEEP = 16
# (mtime_ns, ctime_ns, size): the change time also moves on chmod and chown, which change what
# a run may read, and no one can set it (a tree checked out with its commit times restored has
# predictable modification times)
Stat = tuple[int, int, int]


def stat_of(path: str | Path) -> Stat | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return from_stat(st)


def from_stat(st: os.stat_result) -> Stat:
    return (st.st_mtime_ns, st.st_ctime_ns, st.st_size)


class Entry(NamedTuple):  # a tuple: a warm run of a big tree builds one per file
    stat: Stat
    findings: tuple[Finding, ...]
    skipped: dict[str, int]
    # the files this one's result depends on (absolute paths), each with the module name it
    # was found under and its own module name (its relative imports mean what that says):
    # stale when the file changes, the name comes to mean another file, none or two (an
    # `__init__.py` appears or goes, a root gains a file of that name), or the file's own name
    # changes
    deps: tuple[tuple[str, Stat, str, str], ...]
    # modules it looked for and found no file for, and (spelled `AMBIGUOUS_MARK` + name) the
    # ones it found in more than one root
    misses: tuple[str, ...] = ()
    # its own module name, when its relative imports depend on it ("" otherwise)
    name: str = ""


def _diagnostic_row(d: Diagnostic) -> list[Any]:
    fix = None
    if d.fix is not None:
        edits = [[e.action, e.param, e.new_name, e.admit_none] for e in d.fix.edits]
        fix = [d.fix.title, d.fix.safe, edits]
    return [d.code, d.name, d.severity, d.message, d.role, d.param, list(d.params), d.item, fix]


def _diagnostic(row: list[Any]) -> Diagnostic:
    code, name, severity, message, role, param, params, item, fix_row = row
    fix = None
    if fix_row is not None:
        title, safe, edits = fix_row
        fix = Fix(str(title), bool(safe), tuple(Edit(a, p, n, bool(w)) for a, p, n, w in edits))
    if not (
        all(type(v) is str for v in (code, name, severity, message))
        and all(v is None or type(v) is str for v in (role, param))
        and type(params) is list
        and all(type(v) is str for v in params)
        and (item is None or type(item) is int)
    ):
        raise ValueError("damaged cache: a diagnostic with a field of the wrong type")
    return Diagnostic(code, name, severity, message, role, param, fix, tuple(params), item)


def _check_index(index: object, rows: list[Any]) -> None:
    # a negative index would silently pick another row
    if type(index) is not int or not 0 <= index < len(rows):
        raise ValueError("damaged cache: an index out of range")


class _Tables:
    """Diagnostics and paths stored once per cache file: a tree repeats the same few messages
    thousands of times, and findings refer to them by index (a tenth of the size, and each
    distinct diagnostic is decoded once)."""

    def __init__(self, diagnostics: list[Any] | None = None, paths: list[Any] | None = None):
        self.diagnostic_rows = diagnostics if diagnostics is not None else []
        self.path_rows = paths if paths is not None else []
        self._decoded: dict[int, Diagnostic] = {}
        self._diagnostic_index: dict[Diagnostic, int] = {}
        self._path_index: dict[str, int] = {}

    def diagnostic(self, index: int) -> Diagnostic:
        _check_index(index, self.diagnostic_rows)
        found = self._decoded.get(index)
        if found is None:
            found = self._decoded[index] = _diagnostic(self.diagnostic_rows[index])
        return found

    def path(self, index: int) -> str:
        _check_index(index, self.path_rows)
        path = self.path_rows[index]
        if type(path) is not str:
            raise ValueError("damaged cache: a path that is not a string")
        return path

    def seed(self) -> None:
        """Index the rows read from a file, so that encoding reuses them instead of adding
        copies (a damaged row is never reused)."""
        for index in range(len(self.diagnostic_rows)):
            try:
                self._diagnostic_index.setdefault(self.diagnostic(index), index)
            except Exception:
                continue
        for index, path in enumerate(self.path_rows):
            if type(path) is str:
                self._path_index.setdefault(path, index)

    def decode_all(self, rows: list[Any]) -> tuple[Finding, ...]:
        """The findings of a cache row, with the table lookups inlined: a warm run decodes
        every finding of the tree. The tuples are built with `tuple.__new__`, which skips the
        named tuples' Python-level `__new__` (half the cost of each); unpacking each row checks
        it has every field."""
        decoded, paths = self._decoded, self.path_rows
        new = tuple.__new__
        out = []
        for d, p, line, column, end_line, end_column, cell, function, sites in rows:
            diagnostic = decoded.get(d) if type(d) is int and d >= 0 else None
            if diagnostic is None:
                diagnostic = self.diagnostic(d)
            path = paths[p] if type(p) is int and 0 <= p < len(paths) else None
            if type(path) is not str:
                path = self.path(p)
            location = new(Location, (path, line, column, end_line, end_column, cell))
            handoffs = self.sites(sites) if sites else ()
            out.append(new(Finding, (location, diagnostic, function, handoffs)))
        return tuple(out)

    def sites(self, rows: list[Any]) -> tuple[HandOffSite, ...]:
        out = []
        for runner, p, line, column, cell in rows:
            if not (
                type(runner) is str
                and type(line) is int
                and type(column) is int
                and (cell is None or type(cell) is int)
            ):
                raise ValueError("damaged cache: a hand-off with a field of the wrong type")
            out.append(HandOffSite(self.path(p), line, column, cell, runner))
        return tuple(out)

    def encode(self, f: Finding) -> list[Any]:
        d = self._diagnostic_index.get(f.diagnostic)
        if d is None:
            d = self._diagnostic_index[f.diagnostic] = len(self.diagnostic_rows)
            self.diagnostic_rows.append(_diagnostic_row(f.diagnostic))
        loc = f.location
        sites = [[s.runner, self._path(s.path), s.line, s.column, s.cell] for s in f.handoffs]
        p = self._path(loc.path)
        row = [d, p, loc.line, loc.column, loc.end_line, loc.end_column, loc.cell, f.function]
        return [*row, sites]

    def _path(self, path: str) -> int:
        p = self._path_index.get(path)
        if p is None:
            p = self._path_index[path] = len(self.path_rows)
            self.path_rows.append(path)
        return p


_CLEAN = Entry((0, 0, 0), (), {}, ())


def write_file(directory: Path, name: str, data: bytes) -> bool:
    """Write `directory/name` atomically, creating the cache directory with its `.gitignore`
    first; False when it could not be written (a read-only tree still gets its findings, it
    just runs cold next time) or when the cache directory, or `directory` in it, is a link or
    no directory."""
    top = directory if directory.name == DIRECTORY else directory.parent
    try:
        for made in dict.fromkeys((top, directory)):
            with contextlib.suppress(FileExistsError):
                os.mkdir(made)
            if not real_directory(str(made)):
                return False
        create_new(str(top / ".gitignore"), "# Automatically created by phx-tasklint.\n*\n")
    except OSError:
        return False
    return write_atomically(str(directory), name, data)


_User = tuple[int | tuple[int, ...], ...]


def identity() -> tuple[_User, str]:
    """Who runs: what a run may read depends on it (a PHX000 or a warning says when a file or
    directory cannot be read), so each identity keeps a cache file of its own. Linux's
    effective capabilities count too: root without CAP_DAC_OVERRIDE is refused files that
    root with it reads."""
    user: _User = ()
    if hasattr(os, "geteuid"):
        user = (os.geteuid(), os.getegid(), tuple(os.getgroups()))
    capabilities = ""
    try:
        with open("/proc/self/status", "rb") as status:
            for line in status:
                if line.startswith(b"CapEff:"):
                    capabilities = line[7:].strip().decode("ascii", "replace")
    except OSError:
        pass
    return user, capabilities


@functools.cache
def code_digest() -> str:
    """A digest of this package's own modules as installed: what judges a file is part of every
    entry's key, so an edited rule (an editable install, a copy patched in place) is never
    answered from a result the old code gave. Worked out once per process. zlib's checksums,
    not hashlib: nothing here is adversarial (a forged cache file cannot match the change
    times its entries hold), and hashlib's import costs a small run more than the digest."""
    package = Path(__file__).resolve().parent.parent
    crc, adler = 0, 1
    for path in sorted(package.rglob("*.py")):
        try:
            data = path.read_bytes()
        except OSError:
            data = b"unreadable"
        name = path.relative_to(package).as_posix().encode("utf-8", "surrogateescape")
        for part in (name, b"\0", data, b"\0"):
            crc, adler = zlib.crc32(part, crc), zlib.adler32(part, adler)
    return f"{crc:08x}{adler:08x}"


class Cache:
    def __init__(
        self, root: Path, fingerprint: str, enabled: bool = True, settings: object = None
    ) -> None:
        self.directory = root / DIRECTORY
        self.file = self.directory / f"v{__version__}-{fingerprint}.json"
        self.enabled = enabled
        # the settings the fingerprint was computed from (JSON data): a file made for other
        # settings with the same fingerprint is foreign
        self.settings = settings
        self.entries: dict[str, Entry] = {}
        self.raw: dict[str, Any] = {}  # rows as read, decoded into `entries` on demand
        self.tables = _Tables()
        self.dirty = False
        self.stored: set[str] = set()  # paths given a new entry by this run
        self._stats: dict[str, Stat | None] = {}  # dependencies' stats, taken by this pass
        self._pass: ModuleIndex | None = None
        if enabled:
            self._load()

    def _load(self) -> None:
        try:
            data = read_own(str(self.file))
            if data is None:
                return
            raw = json.loads(data)
            if (
                raw.get("schema") != _SCHEMA
                or raw.get("version") != __version__
                or raw.get("settings") != self.settings
            ):
                return
            files, diagnostics, paths = raw["files"], raw["diagnostics"], raw["paths"]
            if (
                isinstance(files, dict)
                and isinstance(diagnostics, list)
                and isinstance(paths, list)
            ):
                self.raw = files
                self.tables = _Tables(diagnostics, paths)
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
            mtime, ctime, size, *rest = row
            findings, skipped, deps, misses, *name = rest if rest else ([], {}, [], [])
            # most parts are empty: no comprehension is started for them
            entry = Entry(
                (int(mtime), int(ctime), int(size)),
                self.tables.decode_all(findings) if findings else (),
                {str(k): int(v) for k, v in skipped.items()} if skipped else {},
                tuple(
                    (str(p), (int(m), int(c), int(s)), str(n), str(o)) for p, m, c, s, n, o in deps
                )
                if deps
                else (),
                tuple(map(str, misses)),
                str(name[0]) if name else "",
            )
        except Exception:  # a damaged row: as if it were not there
            self.raw.pop(path, None)
            return None
        self.entries[path] = entry
        return entry

    def lookup(self, path: str, stat: Stat | None, modules: ModuleIndex) -> Entry | None:
        """A valid entry: same stat, every module name it looked up resolving as it did, its
        dependencies unchanged. Resolution and stats are answered once per name and per file
        in a run, however many entries ask (`modules` remembers the names, `stats` the files)."""
        if not self.enabled or stat is None:
            return None
        if path not in self.entries:
            row = self.raw.get(path)
            if type(row) is list and len(row) == 3:  # a file with nothing in it: no decoding
                return _CLEAN if (row[0], row[1], row[2]) == stat else None
        entry = self._entry(path)
        if entry is None or entry.stat != stat:
            return None
        for miss in entry.misses:
            if miss.startswith(AMBIGUOUS_MARK):
                if not modules.resolve(miss[len(AMBIGUOUS_MARK) :]).ambiguous:
                    return None
            elif modules.resolve(miss) != MISSING:
                return None
        if entry.name and modules.module_name(path) != entry.name:
            return None
        for dep, dep_stat, dep_name, own_name in entry.deps:
            if self._stat(dep, modules) != dep_stat or modules.resolve(dep_name).path != dep:
                return None
            if modules.module_name(dep) != own_name:
                return None
        return entry

    def _stat(self, path: str, modules: ModuleIndex) -> Stat | None:
        """A dependency's stat, taken once a pass: many entries share a few dependencies. Each
        pass has an index of its own (`--fix` checks again after writing files), and stats
        taken before it are forgotten."""
        if modules is not self._pass:
            self._pass, self._stats = modules, {}
        if path not in self._stats:
            self._stats[path] = stat_of(path)
        return self._stats[path]

    def store(
        self,
        path: str,
        stat: Stat | None,
        findings: tuple[Finding, ...] = (),
        skipped: Counter[str] | None = None,
        # (path, the module name it was found under, its stat before it was read, its own name)
        deps: tuple[tuple[str, str, Stat | None, str], ...] = (),
        misses: tuple[str, ...] = (),
        name: str = "",
    ) -> None:
        if not self.enabled or stat is None:
            return
        dep_stats = []
        for dep, dep_name, dep_stat, own_name in deps:
            if dep_stat is None:
                return  # depends on something unreadable: do not cache
            dep_stats.append((dep, dep_stat, dep_name, own_name))
        self.entries[path] = Entry(
            stat, findings, dict(skipped or {}), tuple(dep_stats), misses, name
        )
        self.stored.add(path)
        self.dirty = True

    def save(self) -> None:
        if not self.enabled or not self.dirty:
            return
        try:
            tables, rows = self._extended()
            compact = _mostly_unused(tables, rows)
        except Exception:  # a damaged row or table
            compact = True
        if compact:  # rewrite everything that still decodes
            tables, rows = self._compacted()
        payload = {
            "schema": _SCHEMA,
            "version": __version__,
            "settings": self.settings,
            "diagnostics": tables.diagnostic_rows,
            "paths": tables.path_rows,
            "files": rows,
        }
        # dumps, not dump: json.dump streams through the pure-Python encoder, which is slower
        data = json.dumps(payload, separators=(",", ":")).encode("utf-8")
        if write_file(self.directory, self.file.name, data):
            prune(str(self.directory), self.file.name, _is_cache_file, _KEEP)

    def _extended(self) -> tuple[_Tables, dict[str, Any]]:
        """The rows read from the file, carried over as they are, and this run's entries
        encoded against the file's own tables, extended: nothing unchanged is decoded and
        encoded again (a run that re-checked one file spent most of its time doing that)."""
        tables = self.tables
        tables.seed()
        rows = {path: row for path, row in self.raw.items() if path not in self.stored}
        for path in self.stored:
            rows[path] = _row(self.entries[path], tables)
        return tables, rows

    def _compacted(self) -> tuple[_Tables, dict[str, Any]]:
        """Every entry re-encoded against fresh tables: rows no longer used drop out, and so do
        damaged rows."""
        tables = _Tables()
        rows: dict[str, Any] = {}
        for path in {**self.raw, **self.entries}:
            row = self.raw.get(path) if path not in self.entries else None
            if type(row) is list and len(row) == 3:
                rows[path] = row  # a clean file, carried over as it was read
                continue
            e = self._entry(path)
            if e is not None:
                rows[path] = _row(e, tables)
        return tables, rows


def _row(e: Entry, tables: _Tables) -> list[Any]:
    if e.findings or e.skipped or e.deps or e.misses or e.name:
        row = [
            *e.stat,
            [tables.encode(f) for f in e.findings],
            e.skipped,
            [[p, *s, n, o] for p, s, n, o in e.deps],
            list(e.misses),
        ]
        return [*row, e.name] if e.name else row
    return [*e.stat]  # the common case, a file with nothing to report: keep it small


def _mostly_unused(tables: _Tables, rows: dict[str, Any]) -> bool:
    """Whether more than half of either table is referenced by no row (entries replaced by
    later runs leave their rows behind), or a row is damaged: then the tables are rebuilt."""
    diagnostics: set[object] = set()
    paths: set[object] = set()
    for row in rows.values():
        if type(row) is not list or len(row) not in (3, 7, 8):  # 8: with the module's name
            return True
        if len(row) > 3:
            for finding in row[3]:
                diagnostics.add(finding[0])
                paths.add(finding[1])
                paths.update(site[1] for site in finding[8])
    return (
        len(tables.diagnostic_rows) > 2 * len(diagnostics) + 16
        or len(tables.path_rows) > 2 * len(paths) + 16
    )


def _is_cache_file(name: str) -> bool:
    return name.startswith("v") and name.endswith(".json")


def clean(root: Path) -> bool:
    """Delete the cache directory (only the link, when a link is in its place: never what it
    points to); True if there was one."""
    import shutil

    directory = root / DIRECTORY
    if real_directory(str(directory)):
        shutil.rmtree(directory, ignore_errors=True)
        return True
    try:
        os.unlink(directory)
    except OSError:  # nothing there, or a directory that could not be removed
        return False
    return True
