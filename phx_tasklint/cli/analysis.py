"""Reading, screening and analysing the files a run could not answer from the cache: what each
worker process does with its share."""

from __future__ import annotations

import contextlib
import gc
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from phx_tasklint.cli.cache import Stat, stat_of
from phx_tasklint.lint.findings import Finding
from phx_tasklint.lint.modindex import ModuleIndex
from phx_tasklint.project.config import Config

# The readers, the prefilter and the engine are imported where a file is read: a run answered
# from the cache reads none.
if TYPE_CHECKING:
    from phx_tasklint.lint.definitions import Unresolved
    from phx_tasklint.lint.engine import Result
    from phx_tasklint.lint.sources import Source


class Pending(NamedTuple):
    """A file to read, screen and analyse (a tuple: a cold run of a big tree has one per file,
    and each is sent to a worker)."""

    display: str
    kind: str
    path: str | None  # None: stdin
    data: bytes | None  # given only for stdin
    stat: Stat | None  # taken before the file is read; None without a cache


class Analysed(NamedTuple):
    """What became of a `Pending` file."""

    problems: tuple[Finding, ...]  # the file's own PHX000s
    # the engine's, if the file could hand something to Phoenix; else, when the reader set
    # blocks aside, one holding only their `skipped` counts (`_set_aside`)
    result: Result | None
    read: bool  # False: it could not be read (a passing I/O error: not cached)
    # the stats of the files the result depends on, as they were before they were read
    dep_stats: dict[str, Stat | None]


_NO_DEPS: dict[str, Stat | None] = {}


class ModuleFinder:
    """Loads the project's modules by dotted name, for hand-offs that cross files: any file the
    roots resolve a name to, checked or not (a pre-commit hook passes only the changed files),
    read when a name first resolves into it."""

    def __init__(self, index: ModuleIndex) -> None:
        self.index = index
        self.loaded: dict[str, Source | Unresolved | None] = {}  # by module name
        self.sources: dict[str, Source] = {}  # by display path: two names, one file, one read
        # each loaded file's stat, taken before it was read: a result is stored with the stats
        # of what it was worked out from (a file saved during the run then reads as changed)
        self.stats: dict[str, Stat | None] = {}

    def __call__(self, name: str) -> Source | Unresolved | None:
        if name not in self.loaded:
            self.loaded[name] = self._load(name)
        return self.loaded[name]

    def _load(self, name: str) -> Source | Unresolved | None:
        from phx_tasklint.lint import sources
        from phx_tasklint.lint.definitions import AMBIGUOUS_REASON, Unresolved

        resolved = self.index.resolve(name)
        if resolved.ambiguous:
            return Unresolved(AMBIGUOUS_REASON)
        if resolved.path is None:
            return None
        display = self.index.display(resolved.path)
        source = self.sources.get(display)
        if source is None:
            self.stats.setdefault(display, stat_of(resolved.path))
            source = sources.load(Path(resolved.path), display, check_syntax=False)
            self.sources[display] = source
        return source

    def script_directory(self, path: str, kind: str) -> str | None:
        """Where a script's imports are found first (`Definitions` asks)."""
        return self.index.script_directory(path, kind)

    def module_name(self, path: str) -> str:
        """A file's dotted name (`Definitions` names the modules it parses with it)."""
        return self.index.module_name(path)


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while trees are built: parsing allocates so many objects
    that the collector runs again and again over every tree still alive. What a run leaves
    behind is freed by reference counting, and the collector is back on when the run ends."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def analyse_share(
    config: Config,
    index: ModuleIndex,
    screen: bool,
    items: Iterable[Pending],
    keep: list[object] | None = None,
) -> list[Analysed]:
    """Parse each file once (ast), keep those that hand something to Phoenix, analyse them.
    `screen` False analyses every file (tests prove the prefilter never changes a result).
    `keep` receives the engine, which holds the syntax trees (see `pool.Work`)."""
    with gc_paused():
        return _analyse(config, index, screen, items, keep)


def _analyse(
    config: Config,
    index: ModuleIndex,
    screen: bool,
    items: Iterable[Pending],
    keep: list[object] | None,
) -> list[Analysed]:
    from phx_tasklint.lint import prefilter, sources, wrappers
    from phx_tasklint.lint.engine import Engine

    extra = wrappers(config)
    finder = ModuleFinder(index)
    engine = Engine(config, finder, record_handoffs=False)
    if keep is not None:
        keep.append(engine)
    out: list[Analysed] = []
    for item in items:
        # what another file's result records for this one when it imports from it: the stat
        # taken before this read (the engine reuses this parse for it)
        finder.stats.setdefault(item.display, item.stat)
        data = item.data
        if data is None and item.path is not None:
            try:
                data = Path(item.path).read_bytes()
            except OSError:  # vanished or unreadable since the walk: a PHX000 says so
                problems = sources.load(Path(item.path), item.display).problems
                out.append(Analysed(problems, None, False, _NO_DEPS))
                continue
        data = data or b""
        source = sources.from_bytes(
            data,
            item.display,
            item.kind,  # type: ignore[arg-type]
            check_syntax=False,
            wrappers=extra,
            screen=screen,
        )
        set_aside = _set_aside(source)
        if not source.text:  # with `screen`, most files end here: no Phoenix in them
            out.append(Analysed(source.problems, set_aside, True, _NO_DEPS))
            continue
        module = engine.module(source)
        if module is None:  # only a python file gets here: notebooks blank their broken cells
            problem = None
            if source.candidate:  # else it could not hold a hand-off: no PHX000 either
                problem = sources.compile_problem(source.text, item.display)
            out.append(Analysed((problem,) if problem else (), set_aside, True, _NO_DEPS))
            continue
        if screen and not prefilter.reacts(
            module.calls, module.functions, module.classes, module.imports, extra
        ):
            out.append(Analysed(source.problems, set_aside, True, _NO_DEPS))
            continue
        result = engine.analyse(source)
        result.skipped.update(source.skipped)
        stats = {d: finder.stats.get(d) for d in result.deps}
        out.append(Analysed(source.problems, result, True, stats))
    return out


def _set_aside(source: Source) -> Result | None:
    """What the reader set aside (blocks that do not parse and cannot hold a hand-off, another
    language), carried as a result with nothing but these counts, so that `--statistics` shows
    them and the cache keeps them like the engine's own reasons; None when there are none."""
    if not source.skipped:
        return None
    from phx_tasklint.lint.engine import Result

    return Result(skipped=Counter(source.skipped))
