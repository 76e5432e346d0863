"""File-system helpers for what the tool keeps of its own (the cache): read only regular files
of this user's, write atomically, never through a link, and prune old files.

A name in the cache directory can be anything a repository holds or another user put there (a
link to /dev/zero, a FIFO, a file of theirs, a link to a directory outside the tree), so these
helpers trust nothing they find there. This module imports nothing of ours.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Callable


def read_own(path: str, limit: int = 1 << 28) -> bytes | None:
    """The bytes of `path` when it is a regular file of this user's, not a link, and no larger
    than `limit`; None otherwise (a FIFO must not block the run, a link to a device must not
    be read, another user's file must not be trusted)."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0)
    flags |= getattr(os, "O_BINARY", 0)  # Windows: no newline translation
    try:
        fd = os.open(path, flags)
    except (OSError, ValueError):
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_uid != _euid() or st.st_size > limit:
            return None
        with open(fd, "rb", closefd=False) as handle:
            data = handle.read(limit + 1)
        return data if len(data) <= limit else None
    except OSError:
        return None
    finally:
        os.close(fd)


def real_directory(path: str) -> bool:
    """Whether `path` is a directory, and not a link to one: writes and prunes happen only there
    (a link committed in its place must not send them out of the tree). Whoever owns it: root
    checking a user's tree (a container on a mounted checkout) keeps a file of its own in it."""
    try:
        st = os.lstat(path)
    except (OSError, ValueError):
        return False
    return stat.S_ISDIR(st.st_mode)


def write_atomically(directory: str, name: str, data: bytes) -> bool:
    """Write `directory/name` through a temporary file and a rename, so that a concurrent
    reader sees the old file or the new one, never half of one; False when `directory` is not
    a real directory (`real_directory`) or the write failed."""
    if not real_directory(directory):
        return False
    try:
        fd, tmp = _temporary(directory)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(tmp, os.path.join(directory, name))
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
    except OSError:
        return False
    return True


def create_new(path: str, text: str) -> None:
    """Write `text` to `path` if nothing, not even a dangling link, has that name."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    with contextlib.suppress(FileExistsError), os.fdopen(os.open(path, flags, 0o644), "w") as f:
        f.write(text)


def _temporary(directory: str) -> tuple[int, str]:
    """A new file of our own in `directory`, open for writing."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        path = os.path.join(directory, f".tmp-{os.getpid()}-{os.urandom(6).hex()}.part")
        try:
            return os.open(path, flags, 0o600), path
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name in {directory}")


def prune(directory: str, current: str, ours: Callable[[str], bool], keep: int) -> None:
    """Delete all but `current` and the `keep - 1` most recently written other files of
    `directory` whose names are `ours`: each version, configuration and working directory
    writes a file of its own, and nothing else would remove the ones no run reads any more.
    Links and directories are left alone."""
    try:
        with os.scandir(directory) as scan:
            stored = [
                (e.stat(follow_symlinks=False).st_mtime_ns, e.path)
                for e in scan
                if e.name != current and ours(e.name) and e.is_file(follow_symlinks=False)
            ]
        for _, path in sorted(stored, reverse=True)[keep - 1 :]:
            os.unlink(path)
    except OSError:  # another run pruned first
        pass


def _euid() -> int:
    return os.geteuid() if hasattr(os, "geteuid") else 0
