"""`phx-tasklint check` without the terminal: files in, findings (and fixed files) out."""

from __future__ import annotations

import contextlib
import gc
import os
import sys
import zlib
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from phx_tasklint.cli import replay
from phx_tasklint.cli.cache import Cache, Entry, Stat, from_stat, stat_of
from phx_tasklint.cli.walk import iter_files
from phx_tasklint.lint import kinds, merge
from phx_tasklint.lint.findings import Finding
from phx_tasklint.lint.modindex import ModuleIndex, forget_packages, note_packages
from phx_tasklint.project.config import Config, load_config

# `sources`, `prefilter` and the engine are imported where a file is read: a run answered from
# the cache reads none (see `from_cache`).
if TYPE_CHECKING:
    from phx_tasklint.lint.engine import Result
    from phx_tasklint.lint.sources import Source

# Below this many candidate files, starting worker processes costs more than it saves.
_PARALLEL_THRESHOLD = 24


class UsageProblem(Exception):
    """A bad command line: exit status 2."""


@dataclass(frozen=True)
class Options:
    paths: Sequence[str] = (".",)
    select: str | None = None
    ignore: str | None = None
    extend_select: str | None = None
    fix: bool = False
    unsafe_fixes: bool = False
    diff: bool = False
    config_path: Path | None = None
    phoenix_version: str | None = None
    stdin_filename: str | None = None
    use_cache: bool = True
    jobs: int = max(1, min(os.cpu_count() or 1, 8))
    # False analyses every file, for tests proving the prefilter never changes a result
    prefilter: bool = True
    # "fork" starts workers without a fresh interpreter; only for a process that is known to
    # hold no other threads or at-fork hooks (the command line). Default: a fork server.
    start_method: str | None = None


@dataclass
class Outcome:
    findings: list[Finding] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)
    messages: list[str] = field(default_factory=list)
    diff: str = ""
    fixed: int = 0
    # the directory holding the cache directory, when the run used the cache
    cache_root: str | None = None
    # whether printing this outcome again is right while nothing the run consulted changes:
    # not when it fixed files or could not analyse one (an internal error is not stored)
    replayable: bool = False


def configure(options: Options) -> Config:
    config = load_config(options.config_path, Path.cwd())
    return config.with_overrides(
        select=options.select,
        ignore=options.ignore,
        extend_select=options.extend_select,
        phoenix_version=options.phoenix_version,
    )


class _File(NamedTuple):
    display: str
    path: str | None  # None: stdin
    kind: str
    data: bytes | None = None  # stdin's bytes, read once


def _files(options: Options, config: Config) -> tuple[list[_File], list[str]]:
    if list(options.paths) == ["-"]:
        data = sys.stdin.buffer.read()
        return [_File(options.stdin_filename or "-", None, "python", data)], []
    if "-" in options.paths:
        raise UsageProblem("`-` (stdin) cannot be combined with other paths")
    walked = iter_files(options.paths, config)
    if walked.missing:
        raise UsageProblem(
            "; ".join(f"{path}: no such file or directory" for path in walked.missing)
        )
    return [_File(f.display, f.raw, f.kind) for f in walked.files], list(walked.messages)


def _read(file: _File) -> bytes | Source:
    from phx_tasklint.lint import sources

    if file.path is None:
        return file.data or b""
    try:
        return Path(file.path).read_bytes()
    except OSError:
        return sources.load(Path(file.path), file.display)  # a Source carrying the PHX000


class _Finder:
    """Loads other checked Python modules by dotted name, for cross-file hand-offs."""

    def __init__(self, index: ModuleIndex) -> None:
        self.index = index
        self.loaded: dict[str, Source | None] = {}
        # each loaded file's stat, taken before it was read: a result is stored with the stats
        # of what it was worked out from (a file saved during the run then reads as changed)
        self.stats: dict[str, Stat | None] = {}

    def __call__(self, name: str) -> Source | None:
        from phx_tasklint.lint import sources

        if name not in self.loaded:
            hit = self.index.get(name)
            if hit is not None:
                self.stats.setdefault(hit[0], stat_of(hit[1]))
            self.loaded[name] = (
                sources.load(Path(hit[1]), hit[0], check_syntax=False) if hit else None
            )
        return self.loaded[name]


# One file to read, screen and analyse in a worker: display path, kind, path on disk (None for
# stdin), bytes (given only for stdin) and its stat before it is read (None without a cache).
_Item = tuple[str, str, "str | None", "bytes | None", "Stat | None"]
# What comes back: the file's own PHX000s, the engine's result if it was a candidate, whether
# the file was read, and the stats of the files the result depends on, as they were before
# they were read. A PHX000 for a file that could not be read is not cached: a passing I/O
# error changes nothing in a stat.
_Outcome = tuple[tuple[Finding, ...], "Result | None", bool, "dict[str, Stat | None]"]
_NO_DEPS: dict[str, Stat | None] = {}


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while trees are built: parsing allocates so many objects
    that the collector ran again and again over every tree still alive (40 % of a run on a
    1,000-file tree). What a run leaves behind is freed by reference counting, and the
    collector is back on when the run ends."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _analyse_chunk(
    config: Config,
    items: list[_Item],
    index: ModuleIndex,
    screen: bool = True,
    keep: list[object] | None = None,
) -> list[_Outcome]:
    """Parse each file once (ast), keep those that hand something to Phoenix, analyse them.
    `keep` receives what holds the trees, for a process that ends without freeing them."""
    with _gc_paused():
        return _analyse_items(config, items, index, screen, keep)


def _analyse_items(
    config: Config,
    items: list[_Item],
    index: ModuleIndex,
    screen: bool,
    keep: list[object] | None = None,
) -> list[_Outcome]:
    from phx_tasklint.lint import prefilter, sources, wrappers
    from phx_tasklint.lint.engine import Engine

    extra = wrappers(config)
    finder = _Finder(index)
    engine = Engine(config, finder, record_handoffs=False)
    if keep is not None:
        keep.append(engine)
    out: list[_Outcome] = []
    for display, kind, path, given, stat in items:
        # what another file's result records for this one when it imports from it: the stat
        # taken before this read (the engine reuses this parse for it)
        finder.stats.setdefault(display, stat)
        data = given
        if data is None and path is not None:
            try:
                data = Path(path).read_bytes()
            except OSError:  # vanished or unreadable since the walk: a PHX000 says so
                out.append((sources.load(Path(path), display).problems, None, False, _NO_DEPS))
                continue
        if screen and kind == "python" and not prefilter.mentions(data or b"", extra):
            out.append(((), None, True, _NO_DEPS))  # the common case: nothing of Phoenix here
            continue
        source = sources.from_bytes(data or b"", display, kind, check_syntax=False)  # type: ignore[arg-type]
        if not source.text:
            out.append((source.problems, None, True, _NO_DEPS))
            continue
        module = engine.module(source)
        if module is None:  # only a python file gets here: notebooks blank their broken cells
            problem = sources.compile_problem(source.text, display)
            out.append(((problem,) if problem else (), None, True, _NO_DEPS))
            continue
        if screen and not prefilter.reacts(
            module.calls, module.functions, module.classes, module.imports, extra
        ):
            out.append((source.problems, None, True, _NO_DEPS))
            continue
        result = engine.analyse(source)
        stats = {d: finder.stats.get(d) for d in result.deps}
        out.append((source.problems, result, True, stats))
    return out


def _analyse_all(
    config: Config,
    items: list[_Item],
    index: ModuleIndex,
    jobs: int,
    screen: bool = True,
    start_method: str | None = None,
) -> list[_Outcome]:
    if jobs <= 1 or len(items) < _PARALLEL_THRESHOLD:
        return _analyse_chunk(config, items, index, screen)
    # Processes, not threads: the work is pure Python. Chunks are interleaved so each worker
    # gets a similar mix of small and large files; results come back in input order.
    chunks = [items[i::jobs] for i in range(jobs)]
    if start_method == "fork":
        parts = _forked(config, chunks, index, screen)
    else:
        parts = _pooled(config, chunks, index, screen, start_method)
    out: list[_Outcome | None] = [None] * len(items)
    for worker, part in enumerate(parts):
        for offset, outcome in enumerate(part):
            out[worker + offset * jobs] = outcome
    return [o for o in out if o is not None]


def _forked(
    config: Config, chunks: list[list[_Item]], index: ModuleIndex, screen: bool
) -> list[list[_Outcome]]:
    """The first chunk analysed here, each other one in a child forked from this process and
    sent back through a pipe. A pool costs more (its imports, feeder threads, and a worker per
    chunk while this process waits): 5 % of a cold run on 1,000 experiment files. A child
    leaves with `os._exit`, so its trees are never freed one object at a time. A chunk whose
    child could not be started, or failed, is analysed here: a result never goes missing."""
    import pickle

    import phx_tasklint.lint.engine  # noqa: F401  (imported once, before the fork)

    children: list[tuple[int, int, int]] = []  # (process id, pipe, chunk number)
    here = [0]
    for number in range(1, len(chunks)):
        try:
            read_end, write_end = os.pipe()
        except OSError:  # out of file descriptors
            here.append(number)
            continue
        try:
            pid = os.fork()
        except OSError:  # out of processes or memory
            os.close(read_end)
            os.close(write_end)
            here.append(number)
            continue
        if pid == 0:
            status = 1
            try:
                os.close(read_end)
                # The trees stay alive until `os._exit`, and the collector stays off: freeing
                # them took about 20 ms of a 500-file share, and the results arrive that much
                # sooner.
                gc.disable()
                kept: list[object] = []
                outcomes = _analyse_chunk(config, chunks[number], index, screen, kept)
                data = pickle.dumps(outcomes, protocol=5)
                view = memoryview(len(data).to_bytes(8, "little") + data)
                while view:
                    view = view[os.write(write_end, view) :]
                status = 0
            finally:
                os._exit(status)
        os.close(write_end)
        children.append((pid, read_end, number))
    parts = {number: _analyse_chunk(config, chunks[number], index, screen) for number in here}
    for pid, read_end, number in children:
        with open(read_end, "rb") as stream:
            data = stream.read()
        # A child's work counts when all of it arrived, whatever its exit status says: with
        # SIGCHLD ignored (inherited across exec) children are reaped unseen.
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)
        part: list[_Outcome] | None = None
        if len(data) >= 8 and int.from_bytes(data[:8], "little") == len(data) - 8:
            try:
                part = pickle.loads(memoryview(data)[8:])
            except Exception:  # whatever it was, the chunk is analysed here
                part = None
        if part is None:
            part = _analyse_chunk(config, chunks[number], index, screen)
        parts[number] = part
    return [parts[number] for number in range(len(chunks))]


def _pooled(
    config: Config,
    chunks: list[list[_Item]],
    index: ModuleIndex,
    screen: bool,
    start_method: str | None,
) -> list[list[_Outcome]]:
    # A fork server by default: a forked child inherits whatever at-fork hooks and locks the host
    # process holds (OpenTelemetry's, imported with Phoenix, deadlocked workers forked inside a
    # test run). The console script forks (`_forked`): it holds nothing of the kind.
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    jobs = len(chunks)
    if start_method is None:
        start_method = "forkserver" if sys.platform != "win32" else "spawn"
    context = multiprocessing.get_context(start_method)
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
        return list(
            pool.map(_analyse_chunk, [config] * jobs, chunks, [index] * jobs, [screen] * jobs)
        )


def _index(files: list[_File]) -> ModuleIndex:
    return ModuleIndex(
        [(f.display, f.path) for f in files if f.kind == "python" and f.path is not None]
    )


def _lookup(
    files: list[_File], cache: Cache | None, index: ModuleIndex
) -> tuple[list[Entry], list[_Item], list[Stat | None]]:
    """The cache's valid entries, and the files to analyse (with their stats, to store)."""
    cached: list[Entry] = []
    pending: list[_Item] = []
    stats: list[Stat | None] = []
    checked = index.paths()
    recording = replay.recording()
    for file in files:
        stat = None
        if file.path is not None and cache is not None:
            stat = _stat_noted(file.path) if recording else stat_of(file.path)
        entry = cache.lookup(file.display, stat, index, checked) if cache is not None else None
        if entry is not None:
            cached.append(entry)
            continue
        kind = kinds.kind_of(file.display) or file.kind
        data = file.data if file.path is None else None
        pending.append((file.display, kind, file.path, data, stat))
        stats.append(stat)
    return cached, pending, stats


def _stat_noted(path: str) -> Stat | None:
    """`stat_of`, noting the file for `replay` with the same stat."""
    st = replay.stat_noted(path)
    return None if st is None else from_stat(st)


class _Plan(NamedTuple):
    """A run up to the point where files must be read: what to check and what the cache has."""

    config: Config
    cache: Cache | None
    files: list[_File]
    messages: list[str]  # the walk's
    modules: ModuleIndex
    cached: list[Entry]
    pending: list[_Item]
    stats: list[Stat | None]


def _plan(options: Options) -> _Plan:
    config = configure(options)
    cache = None
    if options.use_cache and list(options.paths) != ["-"]:
        cache = _cache(config)
    files, messages = _files(options, config)
    forget_packages()
    index = _index(files)
    if replay.recording():
        note_packages(index.paths())
    return _Plan(config, cache, files, messages, index, *_lookup(files, cache, index))


def _lint(
    plan: _Plan, options: Options, again: bool = False
) -> tuple[list[Finding], Counter[str], list[str]]:
    """Analyse what the plan's cache lacks (`again`: look in the cache afresh first, after a
    fix changed files) and store it."""
    config, cache, files, _messages, index, cached, pending, stats = plan
    if again:
        index = _index(files)
        cached, pending, stats = _lookup(files, cache, index)
    problems: list[Finding] = []
    # reading and screening happen in the workers too: on a big tree they are most of the work
    outcomes = (
        _analyse_all(config, pending, index, options.jobs, options.prefilter, options.start_method)
        if pending
        else []
    )
    results: list[Result] = []
    for (display, *_), stat, (found, result, read, dep_stats) in zip(
        pending, stats, outcomes, strict=True
    ):
        problems.extend(found)
        if result is not None:
            results.append(result)
        if cache is None or not read or (result is not None and result.errors):
            continue
        if result is None:
            cache.store(display, stat, found)
        else:
            findings = found + tuple(result.findings)
            cache.store(
                display,
                stat,
                findings,
                result.skipped,
                _dep_modules(result, index, dep_stats),
                result.misses,
                result.name,
            )
    return _report(config, problems, cached, results)


def _report(
    config: Config, problems: list[Finding], cached: list[Entry], results: list[Result]
) -> tuple[list[Finding], Counter[str], list[str]]:
    report = merge([*problems, *(f for e in cached for f in e.findings)], results)
    for entry in cached:
        if entry.skipped:
            report.skipped.update(entry.skipped)
    kept = [f for f in report.findings if config.enabled(f.diagnostic.code, f.location.path)]
    return kept, report.skipped, report.errors


def _dep_modules(
    result: Result, index: ModuleIndex, stats: dict[str, Stat | None]
) -> tuple[tuple[str, str, Stat | None], ...]:
    """(real path, module name, stat before it was read) of the files a result depends on:
    display paths mapped to real paths through the module index."""
    real = index.real_paths()
    return tuple((real.get(d, d), name, stats.get(d)) for name, d in result.found)


def _cache(config: Config) -> Cache:
    # Entries are keyed by the paths as shown, which are relative to the working directory:
    # `run.py` from `a/` and from `b/` are two files, so each directory a run starts from has a
    # cache file of its own. So has each installation and each user: they would otherwise
    # find each other's file foreign and rewrite it whole, turn by turn (a pre-commit hook's
    # copy and a virtual environment's; a file one user may read another may not). The
    # settings hold the trust anchor (`replay.anchor`): a cache file committed to the
    # repository is foreign.
    cwd = os.getcwd()
    where = zlib.crc32(cwd.encode("utf-8", "surrogateescape"))
    trust = replay.anchor() or b""
    user, capabilities = replay.identity()
    who = [list(part) if isinstance(part, tuple) else part for part in user]  # as JSON has it
    install = os.path.dirname(replay._SELF)
    own = zlib.crc32(repr((install, user, capabilities)).encode("utf-8", "surrogateescape"))
    return Cache(
        config.root,
        f"{config.fingerprint()}-{where:08x}-{own:08x}",
        enabled=bool(trust),
        settings=[config.settings(), cwd, [install, who, capabilities], trust.decode()],
    )


def _usable(options: Options) -> bool:
    """Whether a cached result may answer: not for fixes, nor for stdin."""
    return options.use_cache and not (options.fix or options.diff) and "-" not in options.paths


def _from_plan(plan: _Plan) -> Outcome | None:
    if plan.pending or plan.cache is None:
        return None
    findings, skipped, errors = _report(plan.config, [], plan.cached, [])
    return Outcome(
        findings,
        skipped,
        plan.messages + errors,
        cache_root=str(plan.config.root),
        replayable=not errors,
    )


def from_cache(options: Options) -> Outcome | None:
    """The outcome of `run(options)` when every file it would check is unchanged since the
    cache stored its result; None when anything must be read, analysed, fixed or written
    (nothing has been written or printed then). This is what a repeated run in a pre-commit
    hook or CI does, so it touches no reader, parser or engine, not even their imports."""
    return _from_plan(_plan(options)) if _usable(options) else None


def answer(options: Options) -> Outcome:
    """`run(options)`, answered from the cache alone when it can be (as `from_cache`), and
    otherwise carried on from the same walk and cache lookup."""
    if not _usable(options):
        return run(options)
    plan = _plan(options)
    outcome = _from_plan(plan)
    return outcome if outcome is not None else run(options, plan)


def run(options: Options, plan: _Plan | None = None) -> Outcome:
    """Check the files of `options`; `plan`: the walk and cache lookup, if already made."""
    if plan is None:
        plan = _plan(options)
    cache = plan.cache
    with _gc_paused():
        findings, skipped, errors = _lint(plan, options)
    if cache is not None:
        cache.save()
    outcome = Outcome(findings, skipped, plan.messages + errors)
    if cache is not None:
        outcome.cache_root = str(plan.config.root)
    outcome.replayable = not errors
    if not (options.fix or options.diff):
        return outcome
    from phx_tasklint.lint.fixes import fixable

    # Like ruff: fix, re-lint, and fix again what the first fixes uncovered, until nothing
    # fixable is left (a rename can free the name another fix wanted).
    outcome.replayable = False
    for _ in range(_FIX_PASSES):
        if not _fix_pass(options, plan.files, outcome):
            break
        with _gc_paused():
            outcome.findings, outcome.skipped, _errors = _lint(plan, options, again=True)
        if cache is not None:
            cache.save()
        if options.diff or not any(fixable(f, options.unsafe_fixes) for f in outcome.findings):
            break
    return outcome


_FIX_PASSES = 10


def _fix_pass(options: Options, files: list[_File], outcome: Outcome) -> bool:
    """Apply the fixes of `outcome.findings` once; True when a file on disk changed."""
    from phx_tasklint.lint import sources
    from phx_tasklint.lint.fixes import apply_fixes, unified_diff

    by_path: dict[str, list[Finding]] = {}
    for finding in outcome.findings:
        by_path.setdefault(finding.location.path, []).append(finding)
    changed = False
    for file in files:
        if file.display not in by_path:
            continue
        data = _read(file)
        if not isinstance(data, bytes):
            continue
        source = sources.from_bytes(data, file.display, kinds.kind_of(file.display) or "python")
        result = apply_fixes(source, by_path[file.display], options.unsafe_fixes)
        if not result.applied:
            continue
        if options.diff:
            outcome.diff += unified_diff(source.path, source.text, result.text)
            continue
        if file.path is None:  # stdin: print the fixed source, as ruff does
            sys.stdout.write(result.text)
            outcome.fixed += len(result.applied)
            continue
        problem = write_atomically(Path(file.path), source, result.text)
        if problem:
            outcome.messages.append(problem)
        else:
            outcome.fixed += len(result.applied)
            changed = True
    return changed


def write_atomically(path: Path, source: Source, text: str) -> str | None:
    """Replace `path` with `text` in one rename; refuse if the file changed since it was read."""
    from phx_tasklint.lint import sources

    try:
        current = path.read_bytes()
    except OSError as exc:
        return f"{source.path}: not fixed: {exc.strerror or exc}"
    if sources.from_bytes(current, source.path, source.kind).text != source.text:
        return f"{source.path}: not fixed: the file changed on disk while it was checked"
    import tempfile  # only a fix writes

    data = source.encode(text)
    directory = path.parent
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".phx-tasklint", dir=directory)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            with contextlib.suppress(OSError):
                os.chmod(tmp, path.stat().st_mode & 0o7777)
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
    except OSError as exc:
        return f"{source.path}: not fixed: {exc.strerror or exc}"
    return None
