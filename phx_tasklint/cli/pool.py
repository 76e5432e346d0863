"""The run's one worker pool: a list of items split into interleaved shares, the first done in
this process and each other one in a child forked from it, the results back in input order.

Forking is what makes workers cheap (no fresh interpreter, no imports, nothing sent but the
results), and it is safe only in a process known to hold no other threads or at-fork hooks:
the console script. Anywhere else (click's test runner inside a process that imported
Phoenix, a library call) a forked child would inherit locks of code we do not control, so
the caller does the work in-process instead (`jobs=1`).
"""

from __future__ import annotations

import contextlib
import gc
import os
import pickle
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


# `work(share, keep)`: one result per item of `share`. `keep`, when given, receives what the
# work made that need not be freed: a child leaves with `os._exit`, and freeing a share's
# syntax trees one object at a time would only delay its result.
Work = Callable[[list[T], "list[object] | None"], list[R]]


def map_shares(work: Work[T, R], items: list[T], jobs: int) -> list[R]:
    """`work` on `jobs` interleaved shares of `items` (each worker gets a similar mix of small
    and large files), concatenated back into the order of `items`. A share whose child could
    not be started, or failed, is done here: a result never goes missing."""
    shares = [items[i::jobs] for i in range(jobs)]
    children: list[tuple[int, int, int]] = []  # (process id, read end of its pipe, share)
    here = [0]
    for number in range(1, jobs):
        started = _fork(work, shares[number])
        if started is None:
            here.append(number)
        else:
            children.append((*started, number))
    parts = {number: work(shares[number], None) for number in here}
    for pid, read_end, number in children:
        part: list[R] | None = _collect(pid, read_end)
        if part is None or len(part) != len(shares[number]):
            part = work(shares[number], None)
        parts[number] = part
    return [parts[i % jobs][i // jobs] for i in range(len(items))]


def _fork(work: Work[T, R], share: list[T]) -> tuple[int, int] | None:
    """A child doing `work(share)` and writing the pickled result, length first, to a pipe:
    (its process id, the pipe's read end), or None when no pipe or process could be made."""
    try:
        read_end, write_end = os.pipe()
    except OSError:  # out of file descriptors
        return None
    try:
        pid = os.fork()
    except OSError:  # out of processes or memory
        os.close(read_end)
        os.close(write_end)
        return None
    if pid:
        os.close(write_end)
        return pid, read_end
    status = 1
    try:
        os.close(read_end)
        # The child leaves with `os._exit`: what it made is never freed, so the collector
        # would only walk the heap for nothing.
        gc.disable()
        kept: list[object] = []
        data = pickle.dumps(work(share, kept), protocol=5)
        view = memoryview(len(data).to_bytes(8, "little") + data)
        while view:
            view = view[os.write(write_end, view) :]
        status = 0
    finally:
        os._exit(status)


def _collect(pid: int, read_end: int) -> list[R] | None:
    """A child's result; None when it did not arrive whole."""
    with open(read_end, "rb") as stream:
        data = stream.read()
    # The result counts when all of it arrived, whatever the exit status says: with SIGCHLD
    # ignored (inherited across exec) children are reaped unseen.
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, 0)
    if len(data) < 8 or int.from_bytes(data[:8], "little") != len(data) - 8:
        return None
    try:
        part: list[R] = pickle.loads(memoryview(data)[8:])
    except Exception:  # whatever it was, the share is done again in the parent
        return None
    return part
