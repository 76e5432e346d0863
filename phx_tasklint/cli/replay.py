"""The console script's first step: a `check` repeated over an unchanged tree replays what the
last identical run printed.

A run of a plain `check` (see `output.quick_check`) notes every path whose state its output
depends on, as it consults it: the configuration files looked for on the way up from the
working directory (found or not), each directory walked (its listing), each `.gitignore` and
`.git` looked for, each file checked, and this package's own modules. With the run's output and
exit status it is stored under the cache directory, keyed by the command line, the working
directory, the environment that changes the output, and the version. The next run with the same
key stats those paths; if every one is as it was, it prints the stored output and stops.

That takes a `stat` per path: this module imports nothing beyond `os`, `sys`, `marshal` and
`zlib`, so a replay costs little more than starting the interpreter. Anything else, or any path
that differs, goes on to `console` and the cache of per-file results.

A path's state is (mtime, ctime, size, inode), or None when it cannot be stat'ed (absent, say),
or True where existence alone matters.
A file modified within `_SETTLE_NS` of the run's start is not trusted to show its next change in
its times (file systems stamp times coarsely), so such a run stores nothing.
"""

from __future__ import annotations

import marshal
import os
import sys

TYPE_CHECKING = False  # not `typing`'s: importing typing takes 13 ms, about as long as a replay
if TYPE_CHECKING:
    from collections.abc import Callable

# the cache directory's name (`cache` imports it from here: this module must stay light)
DIRECTORY = ".phx-tasklint-cache"
_RUNS = "runs"
_FORMAT = 2
# files of each kind kept in the cache directory (`prune`): stored runs, as pre-commit passes
# a new file list each commit, and cache files, one per version, configuration, directory,
# installation and user
_KEEP = 16
_SETTLE_NS = 2_000_000_000  # FAT stamps times to 2 s; ext4 and tmpfs to a clock tick

_SELF = os.path.abspath(__file__)  # this module, whose state is the trust `anchor`

# Set by `entry`: this process is the console script and ours alone (see output.start_method).
STANDALONE = False

# (mtime, ctime, size, inode); None: cannot be stat'ed; True: exists, whatever its state (`.git`,
# whose times change with every commit, matters only by being there)
State = tuple[int, int, int, int] | bool | None

# the paths noted by a recording run, with their state when first consulted; None: not recording
_noted: dict[str, State] | None = None
# what `write` printed while recording: (to stderr, text)
_printed: list[tuple[bool, str]] | None = None


def entry() -> None:
    """The `phx-tasklint` console script."""
    global STANDALONE
    STANDALONE = True
    code = guarded(lambda: replay(sys.argv[1:]))
    if code is not None:
        sys.exit(code)
    from phx_tasklint.cli import output

    output.entry()


def guarded(call: Callable[[], int | None]) -> int | None:
    """`call()`, handling a reader that went away and Ctrl-C as click's own main does."""
    try:
        return call()
    except BrokenPipeError:
        try:  # noqa: SIM105  (contextlib is one import more) so the exit's flush cannot fail
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (OSError, ValueError):
            pass
        sys.exit(1)
    except KeyboardInterrupt:
        write("\nAborted!\n", err=True)
        sys.exit(1)


def write(text: str, *, err: bool = False) -> None:
    """`text` to stdout (or stderr), flushed. A stream that cannot encode it (an ASCII-only
    PYTHONIOENCODING, say, and a non-ASCII path) gets UTF-8 bytes, as click gives it."""
    if _printed is not None:
        _printed.append((err, text))
    stream = sys.stderr if err else sys.stdout
    if stream is None:  # closed when the process started (`>&-`): as click, print nothing
        return
    try:
        stream.write(text)
    except UnicodeEncodeError:
        buffer = getattr(stream, "buffer", None)
        data = text.encode("utf-8", "backslashreplace")
        if buffer is None:
            stream.write(data.decode("ascii", "backslashreplace"))
        else:
            stream.flush()
            buffer.write(data)
    stream.flush()


_User = tuple[int | tuple[int, ...], ...]
_Key = tuple[int, str, str, str, str, _User, str, str, tuple[str, ...], bool, bool, bool]


def _key(argv: list[str]) -> _Key | None:
    """What the output depends on besides the noted paths; None when there is no output to
    replay (stdout or stderr closed)."""
    from phx_tasklint import __version__

    if sys.stdout is None or sys.stderr is None:
        return None
    environ = os.environ
    return (
        _FORMAT,
        __version__,
        os.path.dirname(_SELF),  # which copy of the package runs
        sys.version,
        sys.executable,
        *identity(),
        os.getcwd(),
        tuple(argv),
        # what `output.color_wanted` and `emit` look at
        bool(environ.get("NO_COLOR")),
        bool(environ.get("FORCE_COLOR")),
        sys.stdout.isatty(),
    )


def identity() -> tuple[_User, str]:
    """Who runs: what a run may read depends on it (a PHX000 or a warning says when a file or
    directory cannot be read)."""
    user: _User = ()
    if hasattr(os, "geteuid"):
        user = (os.geteuid(), os.getegid(), tuple(os.getgroups()))
    return user, _capabilities()


def _capabilities() -> str:
    """Linux's effective capabilities, as /proc shows them ("" elsewhere): root without
    CAP_DAC_OVERRIDE is refused files that root with it reads."""
    try:
        with open("/proc/self/status", "rb") as status:
            for line in status:
                if line.startswith(b"CapEff:"):
                    return line[7:].strip().decode("ascii", "replace")
    except OSError:
        pass
    return ""


def _name(key: _Key) -> str:
    import zlib  # the stored key is compared in full: a collision only costs a miss

    data = repr(key).encode("utf-8", "surrogateescape")
    return f"{zlib.crc32(data):08x}{zlib.adler32(data):08x}"


def state(path: str) -> State:
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    return (st.st_mtime_ns, st.st_ctime_ns, st.st_size, st.st_ino)


def replay(argv: list[str]) -> int | None:
    """Print what the last run of `argv` printed and return its exit status, when every path
    it depended on is unchanged; None, having printed nothing, otherwise."""
    if not argv or argv[0] != "check" or "--no-cache" in argv:
        return None  # only a plain `check` is recorded; `--no-cache` must not even look
    try:
        key = _key(argv)
        if key is None:
            return None
        name = _name(key)
        directory = os.getcwd()
    except (OSError, ValueError, UnicodeError):  # a working directory that is gone, say
        return None
    # Records are looked for where a cache directory can be: from the working directory up to
    # the repository root, the range in which the configuration is looked for (`config`).
    while True:
        path = os.path.join(directory, DIRECTORY, _RUNS, name)
        found = _valid(path, key)
        if found is not None:
            printed, code = found
            try:  # noqa: SIM105  (contextlib is one import more) the prune keeps used records
                os.utime(path)
            except OSError:
                pass
            for err, text in printed:
                write(text, err=err)
            return code
        if os.path.exists(os.path.join(directory, ".git")):
            return None
        parent = os.path.dirname(directory)
        if parent == directory:
            return None
        directory = parent


def _valid(path: str, key: _Key) -> tuple[list[tuple[bool, str]], int] | None:
    """The output and exit status stored at `path` for `key`, if every path it depended on is
    as it was; None for anything else (absent, damaged, untrusted, of another key or format,
    stale)."""
    data = read_own(path)
    trust = anchor()
    # checked before anything is decoded: marshal is not safe on crafted bytes
    if data is None or trust is None or not data.startswith(trust):
        return None
    try:
        stored_key, paths, states, printed, code = marshal.loads(memoryview(data)[len(trust) :])
    except Exception:  # damaged or of another format: the full run will store it afresh
        return None
    if (
        stored_key != key
        or type(code) is not int
        or not paths  # a run notes at least its own modules
        or type(paths) is not list
        or type(states) is not list
        or len(paths) != len(states)
        or type(printed) is not list
        or not all(
            type(chunk) is tuple
            and len(chunk) == 2
            and type(chunk[0]) is bool
            and type(chunk[1]) is str
            for chunk in printed
        )
    ):
        return None
    stat = os.stat
    for path, expected in zip(paths, states, strict=True):
        try:
            st = stat(path)
        except (OSError, ValueError, TypeError):
            if expected is not None:
                return None
            continue
        if expected is not True and expected != (
            st.st_mtime_ns,
            st.st_ctime_ns,
            st.st_size,
            st.st_ino,
        ):
            return None
    return printed, code


def anchor() -> bytes | None:
    """What a file of ours in the cache directory is marked with: the modification time, size
    and inode of this module as installed (of the archive, when it is imported from one). A
    key is predictable (on a CI runner: the paths, the interpreter, the user), so a record or
    cache file committed to the repository could carry one; the time this module was written,
    to the nanosecond, and its inode cannot be known before it is installed, and a committed
    file gets one guess. Not the change time: a hard link to the module moves it (uv links
    installed files into each environment it makes). None if nothing can be stat'ed."""
    path = _SELF
    while True:
        try:
            st = os.stat(path)
            break
        except (OSError, ValueError):
            parent = os.path.dirname(path)
            if parent == path:
                return None
            path = parent
    return b"phx-tasklint %d %d %d\n" % (st.st_mtime_ns, st.st_size, st.st_ino)


def read_own(path: str, limit: int = 1 << 28) -> bytes | None:
    """The bytes of `path` when it is a regular file of this user's, not a link, and no larger
    than `limit`; None otherwise. A name in the cache directory can be anything a repository
    holds or another user put there: a link to /dev/zero, a FIFO, a file of theirs."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0)
    flags |= getattr(os, "O_BINARY", 0)  # Windows: no newline translation
    try:
        fd = os.open(path, flags)
    except (OSError, ValueError):
        return None
    try:
        st = os.fstat(fd)
        if not _is_regular(st.st_mode) or st.st_uid != _euid() or st.st_size > limit:
            return None
        with open(fd, "rb", closefd=False) as handle:
            data = handle.read(limit + 1)
        return data if len(data) <= limit else None
    except OSError:
        return None
    finally:
        os.close(fd)


def real_directory(path: str) -> bool:
    """Whether `path` is a directory, and not a link to one: the cache is written and pruned
    only there (a link committed in its place must not send writes and deletions out of the
    tree). Whoever owns it: root checking a user's tree (a container on a mounted checkout)
    keeps a cache file of its own in it."""
    try:
        st = os.lstat(path)
    except (OSError, ValueError):
        return False
    return _file_type(st.st_mode) == 0o040000


def _euid() -> int:
    return os.geteuid() if hasattr(os, "geteuid") else 0


def _is_regular(mode: int) -> bool:
    return _file_type(mode) == 0o100000


def _file_type(mode: int) -> int:
    return mode & 0o170000  # stat.S_IFMT, without importing `stat`


# --------------------------------------------------------------------------------------------
# Recording


def start_recording() -> None:
    global _noted, _printed
    _noted, _printed = {}, []


def stop_recording() -> None:
    global _noted, _printed
    _noted = _printed = None


def recording() -> bool:
    return _noted is not None


def note(path: str) -> None:
    """The run is about to consult `path` (read it, list it, or look whether it exists)."""
    if _noted is not None and path not in _noted:
        _noted[path] = state(path)


def note_exists(path: str) -> None:
    """`note` for a path whose existence alone matters."""
    if _noted is not None and path not in _noted:
        _noted[path] = True if state(path) is not None else None


def noted(path: str, st: os.stat_result | None) -> None:
    """`note` for a path the caller has just stat'ed itself (None: the stat failed)."""
    if _noted is not None and path not in _noted:
        _noted[path] = (
            None if st is None else (st.st_mtime_ns, st.st_ctime_ns, st.st_size, st.st_ino)
        )


def stat_noted(path: str) -> os.stat_result | None:
    """`os.stat(path)` (None: it cannot be stat'ed), noted for the record with that stat."""
    try:
        st: os.stat_result | None = os.stat(path)
    except (OSError, ValueError):
        st = None
    noted(path, st)
    return st


def record(argv: list[str], cache_root: str, code: int, started_ns: int) -> None:
    """Store what this recording run printed, if it can be replayed; stop recording."""
    noted_, printed = _noted, _printed
    stop_recording()
    if noted_ is None or printed is None:
        return
    # our own modules, imported by this run or not: a changed install changes the output
    package = os.path.dirname(_SELF)
    for directory, subdirectories, files in os.walk(package):
        subdirectories[:] = [d for d in subdirectories if d != "__pycache__"]
        for file in files:
            if file.endswith(".py"):
                path = os.path.join(directory, file)
                noted_.setdefault(path, state(path))
    settled = started_ns - _SETTLE_NS
    for found in noted_.values():
        if isinstance(found, tuple) and (found[0] >= settled or found[1] >= settled):
            return  # changed too recently to trust its times
    try:
        key = _key(argv)
        if key is None:
            return
        trust = anchor()
        if trust is None:
            return
        paths = list(noted_)
        data = trust + marshal.dumps((key, paths, [noted_[p] for p in paths], printed, code))
    except (OSError, ValueError, UnicodeError):
        return
    from phx_tasklint.cli.cache import write_file

    runs = os.path.join(cache_root, DIRECTORY, _RUNS)
    name = _name(key)
    if write_file(runs, name, data):
        prune(runs, name, _is_record)


def prune(directory: str, current: str, ours: Callable[[str], bool]) -> None:
    """Delete all but `current` and the `_KEEP - 1` most recently written (or replayed) other
    files of `directory` whose names are `ours`: every version, configuration, working
    directory, command line... writes a file of its own, and nothing else would ever remove
    the ones no run reads any more. Links and directories are left alone."""
    try:
        with os.scandir(directory) as scan:
            stored = [
                (e.stat(follow_symlinks=False).st_mtime_ns, e.path)
                for e in scan
                if e.name != current and ours(e.name) and e.is_file(follow_symlinks=False)
            ]
        for _, path in sorted(stored, reverse=True)[_KEEP - 1 :]:
            os.unlink(path)
    except OSError:  # another run pruned first
        pass


def _is_record(name: str) -> bool:
    """A name `_name` gives (the prune deletes nothing else)."""
    return len(name) == 16 and all(c in "0123456789abcdef" for c in name)
