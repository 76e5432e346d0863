"""Which files a run checks: command-line paths, directory walks, exclusions and `.gitignore`.

* A file named on the command line is always checked, whatever its suffix (an unknown suffix is
  read as Python) and whatever `exclude` or `.gitignore` say; so is everything under a named
  directory that is not itself excluded.
* Directories are walked depth-first in name order; files with `.py .pyi .ipynb .md .mdx` are
  kept.
* `exclude` (by default `.git`, `.venv`, `build`, ... see `config.DEFAULT_EXCLUDE`) and
  `extend-exclude` prune what the walk finds, as do `.gitignore` files: the ones in the walked
  directories and the ones above a named directory up to the repository root (the directory
  with `.git`; without one, the config root). `.git/info/exclude` and the global excludes file
  are not read.
* Symbolic links are followed. A link to a directory being walked or to one above it (a loop,
  and a way out of the paths named), a broken link and an unreadable directory each give a
  one-line message and are skipped. A file reached twice (named twice, or through a link) is
  checked once.
* `..` in a named path is resolved as the operating system resolves it, after the link before
  it (`pkg/../x.py` with `pkg` a link is `x.py` beside the link's target), so a finding names
  the file that was read.
* A walk keeps regular files only: a FIFO (reading it would block), socket or device with a
  source suffix gives a one-line message. Such a file named on the command line is refused
  (`refused`: the CLI exits 2); `-` reads stdin.
"""

from __future__ import annotations

import contextlib
import errno
import operator
import os
import re
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from phx_tasklint.lint.kinds import SUFFIXES, SourceKind
from phx_tasklint.project.config import Config
from phx_tasklint.project.globs import any_glob_regex, path_text

FileKind = SourceKind


def file_kind(path: str | os.PathLike[str]) -> FileKind:
    """How to read a file, by suffix; anything unknown is Python."""
    return SUFFIXES.get(os.path.splitext(os.fspath(path))[1].lower(), "python")


def printable(text: str) -> str:
    """`text` safe to print and serialise: undecodable bytes of a file name (kept by Python as
    lone surrogates) become `\\xNN` escapes, and so do control characters, which a file name
    may hold (an escape sequence in a name would otherwise reach the terminal or the CI log)."""
    if text.isascii() and text.isprintable():
        return text
    try:
        text = os.fsencode(text).decode("utf-8", "backslashreplace")
    except UnicodeError:
        text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else _escape(c) for c in text)


def _escape(char: str) -> str:
    code = ord(char)
    return (
        f"\\x{code:02x}"
        if code < 0x100
        else f"\\u{code:04x}"
        if code < 0x10000
        else f"\\U{code:08x}"
    )


class SourceFile(NamedTuple):
    """One file to check (a tuple: a big tree has tens of thousands, and a frozen dataclass
    costs three times as much to build)."""

    # what to open: the argument joined with the names walked (relative stays relative to the cwd)
    raw: str
    # what to print: relative to the cwd when under it (as ruff prints), else as given;
    # always printable (see `printable`)
    display: str
    kind: FileKind
    explicit: bool  # named on the command line

    @property
    def path(self) -> Path:
        # built on demand: a Path per file costs more than the rest of the walk over a big tree
        return Path(self.raw)


class WalkResult(NamedTuple):
    files: list[SourceFile]
    # one line each, `path: what happened` (symlink loops, broken links, unreadable directories)
    messages: list[str]
    # arguments that do not exist (or cannot be followed), as given; the CLI exits 2
    missing: list[str]
    # arguments that are neither a regular file nor a directory, `path: what it is`; exit 2
    refused: list[str]
    # the display path of each file whose display is escaped (see `printable`) -> its path as
    # the operating system has it, for the formats that can carry any name (json, sarif)
    names: dict[str, str]


# --------------------------------------------------------------------------------------------
# .gitignore


@dataclass(frozen=True)
class _Pattern:
    base: str  # absolute directory of the .gitignore
    regex_source: str
    negate: bool
    dir_only: bool


class GitIgnore:
    """The `.gitignore` patterns in effect for a directory, outermost file first."""

    def __init__(self, patterns: tuple[_Pattern, ...] = (), above: GitIgnore | None = None) -> None:
        """`patterns`, after those of `above` (the directories' above this one), whose regexes
        are reused: a run of patterns never spans two .gitignore files (they have two bases)."""
        self.patterns: tuple[_Pattern, ...] = (above.patterns if above else ()) + patterns
        self._rules: tuple[_Run, ...] = (above._rules if above else ()) + _runs(patterns)

    def extended(self, text: str, base: str) -> GitIgnore:
        """These patterns followed by those of a `.gitignore` in directory `base` (absolute)."""
        new = tuple(parse_gitignore(text, base))
        return GitIgnore(new, above=self) if new else self

    def ignored(self, absolute: str, is_dir: bool) -> bool:
        """Whether `absolute` (below every pattern's base) is ignored; the last match decides."""
        result = False
        base: str | None = None
        rel: str | None = None  # `absolute` relative to `base`; None: not below it
        for prefix, negate, any_path, directories in self._rules:
            if negate is not result:
                continue  # cannot change the outcome
            if prefix != base:  # one .gitignore's patterns come together
                base = prefix
                below = absolute.startswith(prefix)
                rel = path_text(absolute[len(prefix) :].replace(os.sep, "/")) if below else None
            if rel is None:
                continue
            if (any_path is not None and any_path.fullmatch(rel)) or (
                is_dir and directories is not None and directories.fullmatch(rel)
            ):
                result = not negate
        return result


# A run of patterns of one .gitignore that are all negated or all not: any match in it decides
# the same way, so the run is one regex for the patterns that match any path and one for those
# that match directories only (`ignored` runs for every file and directory of a walk).
_Run = tuple[str, bool, "re.Pattern[str] | None", "re.Pattern[str] | None"]


def _runs(patterns: tuple[_Pattern, ...]) -> tuple[_Run, ...]:
    groups: list[tuple[str, bool, list[_Pattern]]] = []
    for p in patterns:
        prefix = p.base.rstrip(os.sep) + os.sep
        if groups and groups[-1][:2] == (prefix, p.negate):
            groups[-1][2].append(p)
        else:
            groups.append((prefix, p.negate, [p]))
    return tuple(
        (
            prefix,
            negate,
            _either([p for p in group if not p.dir_only]),
            _either([p for p in group if p.dir_only]),
        )
        for prefix, negate, group in groups
    )


def _either(patterns: list[_Pattern]) -> re.Pattern[str] | None:
    """One regex matching whatever one of `patterns` matches."""
    return any_glob_regex([p.regex_source for p in patterns]) if patterns else None


def parse_gitignore(text: str, base: str) -> list[_Pattern]:
    """The patterns of one `.gitignore` file, read as git reads them: lines end at LF (a CR
    before it is dropped, a leading BOM too), comments, unescaped trailing spaces dropped, `!`
    negation, one trailing `/` (directories only), leading or inner `/` (anchored to `base`);
    the glob itself is `globs`' business."""
    out: list[_Pattern] = []
    for raw in text.removeprefix("\ufeff").split("\n"):
        line = raw.removesuffix("\r")
        if not line or line.startswith("#"):
            continue
        line = _trim_trailing_spaces(line)
        negate = line.startswith("!")
        if negate:
            line = line[1:]
        dir_only = line.endswith("/")
        if dir_only:
            line = line[:-1]  # one only: `a//` stays `a/`, which matches nothing, as in git
        if not line:
            continue
        out.append(_Pattern(base, line, negate, dir_only))
    return out


def _trim_trailing_spaces(line: str) -> str:
    """`line` without its trailing spaces, unless a backslash escapes the first of them."""
    if not line.endswith(" "):
        return line
    end = 0
    i = 0
    while i < len(line):
        if line[i] == "\\":
            i += 2  # the escaped character is not a trailing space
            end = min(i, len(line))
            continue
        if line[i] != " ":
            end = i + 1
        i += 1
    return line[:end]


# --------------------------------------------------------------------------------------------
# The walk


_Key = tuple[int, int] | str  # a file's identity: (device, inode), or its path


def _identity(path: str, st: os.stat_result) -> _Key:
    if st.st_ino:
        return (st.st_dev, st.st_ino)
    return os.path.normcase(os.path.abspath(path))  # file systems without inode numbers


def physical(path: str) -> str:
    """`path` made absolute with each `..` resolved as the operating system resolves it: after
    the link before it, not by dropping the name before it as `os.path.normpath` does. Links
    after the last `..` are kept, so a path shows the name it was reached by."""
    parts = path.replace(os.altsep, os.sep).split(os.sep) if os.altsep else path.split(os.sep)
    if os.pardir not in parts:
        return os.path.abspath(path)
    last = len(parts) - 1 - parts[::-1].index(os.pardir)
    head = os.sep.join(parts[: last + 1]) or os.sep
    return os.path.abspath(os.path.join(os.path.realpath(head), *parts[last + 1 :]))


def _ancestry(directory: str) -> tuple[_Key, ...]:
    """The identities of `directory` and of every directory above it, physically: a link to
    one of them leads back into the walk (a loop) or out of the paths named."""
    keys: list[_Key] = []
    current = os.path.realpath(directory)
    while True:
        with contextlib.suppress(OSError):  # an unreadable parent cannot be linked back to
            keys.append(_identity(current, os.stat(current)))
        parent = os.path.dirname(current)
        if parent == current:
            return tuple(keys)
        current = parent


_KINDS = (
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def _what(mode: int) -> str:
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def _under(absolute: str, directory: str) -> bool:
    directory = directory.rstrip(os.sep)
    return absolute == directory or absolute.startswith(directory + os.sep)


class _Walker:
    def __init__(self, config: Config) -> None:
        self.config = config
        self.cwd = os.getcwd()
        self.files: list[SourceFile] = []
        self.messages: list[str] = []
        self.missing: list[str] = []
        self.refused: list[str] = []
        self.names: dict[str, str] = {}
        self.seen_files: set[_Key] = set()
        self.seen_dirs: set[_Key] = set()

    def shown(self, path: str) -> str:
        """How to show `path`, not yet made printable: relative to the cwd when under it, else
        as given (absolute when a `..` in it crosses a link)."""
        absolute = physical(path)
        if _under(absolute, self.cwd):
            return os.path.relpath(absolute, self.cwd)
        if absolute != os.path.abspath(path):
            return absolute
        return os.path.normpath(path)

    def display(self, path: str) -> str:
        return self.printable(self.shown(path))

    def printable(self, shown: str) -> str:
        """`printable(shown)`, remembering the name behind an escaped display (`names`)."""
        display = printable(shown)
        if display != shown:
            self.names[display] = shown
        return display

    def message(self, path: str, text: str) -> None:
        self.messages.append(f"{self.display(path)}: {text}")

    def add_file(self, path: str, st: os.stat_result, explicit: bool) -> None:
        """A file found the slow way (named, or reached through a link); plain files found by
        the walk are added in `walk` itself."""
        key = _identity(path, st)
        if key in self.seen_files:
            return
        self.seen_files.add(key)
        self.files.append(SourceFile(path, self.display(path), file_kind(path), explicit))

    def argument(self, arg: str) -> None:
        if not os.path.lexists(arg):
            self.missing.append(printable(arg))
            return
        try:
            st = os.stat(arg)
        except OSError:  # a broken link or a link loop named on the command line
            self.missing.append(printable(arg))
            return
        if stat.S_ISREG(st.st_mode):
            self.add_file(arg, st, explicit=True)
            return
        if not stat.S_ISDIR(st.st_mode):
            # reading a FIFO nobody writes to blocks, reading /dev/zero never ends
            self.refused.append(
                f"{printable(arg)}: {_what(st.st_mode)}, not a regular file or directory"
            )
            return
        key = _identity(arg, st)
        if key in self.seen_dirs:
            return
        self.seen_dirs.add(key)
        absolute = physical(arg)
        self.walk(arg, self.ancestor_ignores(absolute), _ancestry(arg), st.st_dev, absolute)

    def ancestor_ignores(self, absolute: str) -> GitIgnore:
        """The `.gitignore` files above the directory `absolute`, from the repository root
        down."""
        top = None
        current = absolute
        while True:
            if os.path.exists(os.path.join(current, ".git")):
                top = current
                break
            parent = os.path.dirname(current)
            if parent == current:
                break
            current = parent
        if top is None:
            root = os.path.abspath(self.config.root)
            top = root if _under(absolute, root) else absolute
        chain: list[str] = []
        current = absolute
        while current != top:
            current = os.path.dirname(current)
            chain.append(current)
        ignores = GitIgnore()
        for base in reversed(chain):
            ignores = self.read_gitignore(os.path.join(base, ".gitignore"), base, ignores)
        return ignores

    def read_gitignore(self, path: str, base: str, ignores: GitIgnore) -> GitIgnore:
        try:
            with open(path, "rb") as handle:
                data = handle.read()
        except FileNotFoundError:
            return ignores
        except OSError as exc:
            if exc.errno in (errno.EISDIR, errno.ENOENT, errno.ENOTDIR):
                return ignores
            self.message(path, f"cannot read: {exc.strerror or exc}")
            return ignores
        # names that are not UTF-8 appear as surrogates; decode the patterns alike
        return ignores.extended(data.decode("utf-8", "surrogateescape"), base)

    def walk(
        self,
        directory: str,
        ignores: GitIgnore,
        ancestors: tuple[_Key, ...],
        device: int,
        absolute_dir: str | None = None,
        shown_dir: str | None = None,
    ) -> None:
        """Walk `directory`; `absolute_dir` and `shown_dir` (not yet made printable) are passed
        down from the parent so that no directory costs an abspath or relpath."""
        try:
            with os.scandir(directory) as scan:
                entries = sorted(scan, key=_ENTRY_NAME)
        except OSError as exc:
            self.message(directory, f"cannot read directory: {exc.strerror or exc}")
            return
        if absolute_dir is None:
            absolute_dir = physical(directory)
        if shown_dir is None:
            shown_dir = self.shown(directory)
        if ".gitignore" in [entry.name for entry in entries]:
            ignores = self.read_gitignore(
                os.path.join(directory, ".gitignore"), absolute_dir, ignores
            )
        if shown_dir in ("", "."):
            prefix = ""
        else:  # `/` shows as `/`, not `//`
            prefix = shown_dir if shown_dir.endswith(os.sep) else shown_dir + os.sep
        excluded_plain, excluded_glob, excluded_paths = self.config.exclusions
        seen = self.seen_files
        files = self.files
        for entry in entries:
            name = entry.name
            try:
                # a regular file, not a link (from the listing's d_type, no stat); FIFOs,
                # sockets, devices and links go the slow way and are checked there
                plain = entry.is_file(follow_symlinks=False)
            except OSError:
                plain = False
            if not plain:
                self.entry(entry, absolute_dir, ignores, ancestors, device, prefix)
                continue
            # a plain file: decided by its name before any system call (most files end here)
            dot = name.rfind(".")
            kind = SUFFIXES.get(name[dot:].lower()) if dot > 0 else None
            if kind is None:
                continue
            if name in excluded_plain or (
                excluded_glob is not None and excluded_glob.fullmatch(path_text(name))
            ):
                continue
            if excluded_paths and self.config.is_excluded(os.path.join(absolute_dir, name)):
                continue
            if ignores.patterns and ignores.ignored(os.path.join(absolute_dir, name), False):
                continue
            try:
                inode = entry.inode()
            except OSError:
                inode = 0
            key: _Key = (
                (device, inode) if inode else os.path.normcase(os.path.join(absolute_dir, name))
            )
            if key in seen:
                continue
            seen.add(key)
            shown = prefix + name
            files.append(
                SourceFile(
                    entry.path,
                    shown if shown.isascii() and shown.isprintable() else self.printable(shown),
                    kind,
                    False,
                )
            )

    def entry(
        self,
        entry: os.DirEntry[str],
        absolute_dir: str,
        ignores: GitIgnore,
        ancestors: tuple[_Key, ...],
        device: int,
        prefix: str,
    ) -> None:
        """Anything but a plain file: a directory, a link, a FIFO, a socket, a device."""
        path = entry.path
        st: os.stat_result | None = None
        error: OSError | None = None
        try:
            st = entry.stat()  # follows links
        except OSError as exc:
            error = exc
        is_dir = st is not None and stat.S_ISDIR(st.st_mode)
        absolute = os.path.join(absolute_dir, entry.name)
        if self.config.is_excluded(absolute):
            return
        if ignores.ignored(absolute, is_dir):
            return
        if st is None:
            if error is not None and error.errno == errno.ELOOP:
                self.message(path, "skipped: symbolic link loop")
            elif entry.is_symlink():
                self.message(path, "skipped: broken symbolic link")
            else:
                self.message(path, f"skipped: {error.strerror if error else 'cannot stat'}")
            return
        if is_dir:
            key = _identity(path, st)
            if key in ancestors:
                # a parent of this directory, or of the path named: a loop, or a way out
                self.message(path, "skipped: symbolic link loop (links to a parent directory)")
                return
            if key in self.seen_dirs:
                return  # reached before through another link or argument
            self.seen_dirs.add(key)
            shown = prefix + entry.name
            if _under(absolute, self.cwd) and not _under(absolute_dir, self.cwd):
                shown = self.shown(path)  # a walk from above the cwd comes back into it
            self.walk(path, ignores, (*ancestors, key), st.st_dev, absolute, shown)
        elif os.path.splitext(entry.name)[1].lower() in SUFFIXES:
            if stat.S_ISREG(st.st_mode):
                self.add_file(path, st, explicit=False)
            else:  # a FIFO, socket or device named like a source file
                self.message(path, "skipped: not a regular file")


_ENTRY_NAME = operator.attrgetter("name")


def iter_files(paths: Sequence[str | os.PathLike[str]], config: Config) -> WalkResult:
    """The files to check for the command-line `paths`, in argument order then walk order."""
    walker = _Walker(config)
    for arg in paths:
        walker.argument(os.fspath(arg))
    return WalkResult(walker.files, walker.messages, walker.missing, walker.refused, walker.names)
