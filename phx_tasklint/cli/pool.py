"""The run's one worker pool: the items are handed out a few at a time, from a queue, to this
process and to children forked from it, and the results come back in input order.

A queue, not fixed shares: a file's cost is known only once it is read (a few files that can
hold a hand-off cost more than thousands that cannot), so a process takes the next few items
whenever it is done with its last. The queue is a pipe filled before the fork with the numbers
of the chunks of items, four bytes each, and then closed for writing: every process reads a
number at a time until the pipe is empty.

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
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


# `work(items, keep)`: one result per item, in the order the items came. `keep`, when given,
# receives what the work made that need not be freed: a child leaves with `os._exit`, and
# freeing its syntax trees one object at a time would only delay its result.
Work = Callable[[Iterable[T], "list[object] | None"], list[R]]

# At most this many chunks: their numbers fill 4 KiB, the one page a pipe's buffer always has
# (a user over `pipe-user-pages-soft` gets no more), so filling the queue never waits.
_CHUNKS = 1024
_NUMBER = 4  # bytes per chunk number


def map_shares(work: Work[T, R], items: list[T], jobs: int) -> list[R]:
    """`work` on `items` in `jobs` processes, the results in the order of `items`. What a child
    took and did not send back whole (it could not be started, or failed) is done here: a
    result never goes missing."""
    size = -(-len(items) // _CHUNKS) or 1
    chunks = [items[start : start + size] for start in range(0, len(items), size)]
    queue = _filled(len(chunks))
    done: dict[int, list[R]] = {}
    children: list[tuple[int, int]] = []  # (process id, read end of its result pipe)
    if queue is not None:
        for _ in range(1, jobs):
            started = _fork(work, chunks, queue)
            if started is not None:
                children.append(started)
        taken: list[int] = []
        done.update(_gathered(taken, work(_pulled(queue, chunks, taken), None), chunks))
        os.close(queue)
    for pid, read_end in children:
        part: dict[int, list[R]] = _collect(pid, read_end) or {}
        # a chunk counts when all of its results are there
        done.update((n, got) for n, got in part.items() if len(got) == len(chunks[n]))
    for number, chunk in enumerate(chunks):  # no queue, or a child that failed
        if number not in done:
            done[number] = work(chunk, None)
    return [result for number in range(len(chunks)) for result in done[number]]


def _filled(count: int) -> int | None:
    """A pipe holding the numbers 0..count-1, closed for writing: its read end (None when no
    pipe could be made)."""
    try:
        read_end, write_end = os.pipe()
    except OSError:  # out of file descriptors
        return None
    try:
        os.set_blocking(write_end, False)  # a full pipe is an error, never a wait
        data = b"".join(n.to_bytes(_NUMBER, "little") for n in range(count))
        view = memoryview(data)
        while view:
            view = view[os.write(write_end, view) :]
    except OSError:  # the pipe holds less than we thought: no queue, the work is done here
        os.close(read_end)
        return None
    finally:
        os.close(write_end)
    return read_end


def _pulled(queue: int, chunks: list[list[T]], taken: list[int]) -> Iterator[T]:
    """The items of the chunks this process takes from the queue, noting each chunk taken."""
    while True:
        data = b""
        while len(data) < _NUMBER:
            more = os.read(queue, _NUMBER - len(data))
            if not more:
                return  # the queue is empty
            data += more
        number = int.from_bytes(data, "little")
        taken.append(number)
        yield from chunks[number]


def _gathered(taken: list[int], results: list[R], chunks: list[list[T]]) -> dict[int, list[R]]:
    """The results of the chunks taken, by chunk number."""
    out: dict[int, list[R]] = {}
    at = 0
    for number in taken:
        out[number] = results[at : at + len(chunks[number])]
        at += len(chunks[number])
    return out


def _fork(work: Work[T, R], chunks: list[list[T]], queue: int) -> tuple[int, int] | None:
    """A child doing `work` on the chunks it takes from `queue` and writing the pickled results
    by chunk number, length first, to a pipe: (its process id, the pipe's read end), or None
    when no pipe or process could be made."""
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
        taken: list[int] = []
        results = work(_pulled(queue, chunks, taken), kept)
        data = pickle.dumps(_gathered(taken, results, chunks), protocol=5)
        view = memoryview(len(data).to_bytes(8, "little") + data)
        while view:
            view = view[os.write(write_end, view) :]
        status = 0
    finally:
        os._exit(status)


def _collect(pid: int, read_end: int) -> dict[int, list[R]] | None:
    """A child's results by chunk number; None when they did not arrive whole."""
    with open(read_end, "rb") as stream:
        data = stream.read()
    # The result counts when all of it arrived, whatever the exit status says: with SIGCHLD
    # ignored (inherited across exec) children are reaped unseen.
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, 0)
    if len(data) < 8 or int.from_bytes(data[:8], "little") != len(data) - 8:
        return None
    try:
        part: dict[int, list[R]] = pickle.loads(memoryview(data)[8:])
    except Exception:  # whatever it was, its chunks are done again in the parent
        return None
    return part
