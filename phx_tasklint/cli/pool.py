"""The run's one worker pool: a list of items split into interleaved shares, the first analysed
in this process and each other in a worker process, the results back in input order."""

from __future__ import annotations

import multiprocessing
import sys
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def map_shares(
    work: Callable[[list[T]], list[R]], items: list[T], jobs: int, fork: bool
) -> list[R]:
    """`work` on `jobs` interleaved shares of `items` (each worker gets a similar mix of small
    and large files), concatenated back into the order of `items`; `work` returns one result
    per item. `fork`: start workers by forking this process, which must then be known to hold
    no other threads or at-fork hooks (the console script); otherwise a fork server is used (a
    forked child inherits the locks of whatever the host process imported). A share whose
    worker could not be started or failed is done here: a result never goes missing."""
    shares = [items[i::jobs] for i in range(jobs)]
    method = "fork" if fork else "forkserver" if sys.platform != "win32" else "spawn"
    pool: ProcessPoolExecutor | None = None
    futures: list[Future[list[R]]] = []
    try:
        pool = ProcessPoolExecutor(jobs - 1, mp_context=multiprocessing.get_context(method))
        futures = [pool.submit(work, share) for share in shares[1:]]
    except OSError:  # no process or pipe could be made: what is missing is done here
        pass
    try:
        parts = [work(shares[0])]
        for number, share in enumerate(shares[1:], start=1):
            part = None
            if number <= len(futures):
                try:
                    part = futures[number - 1].result()
                except Exception:  # a worker that died, or a result that did not load
                    part = None
            parts.append(part if part is not None and len(part) == len(share) else work(share))
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    return [parts[i % jobs][i // jobs] for i in range(len(items))]
