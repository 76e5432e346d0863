"""The worker pool hands items out from a queue: every process takes items until none is left,
the results come back in input order, and what a dead child took is done again. (Run in a
process of its own: forking this one, which may hold other threads' locks, is not safe.)"""

from __future__ import annotations

import json
import subprocess
import sys

_SCRIPT = """
import json, os, sys, time
from phx_tasklint.cli import pool

parent = os.getpid()
mode = sys.argv[1]

def work(items, keep):
    out = []
    for item in items:
        if mode == "die" and os.getpid() != parent and item > 10:
            os._exit(3)  # a child dies after taking (and doing) some items
        time.sleep(0.05 if item == 0 else 0.002)  # one slow item, many quick ones
        out.append((item * item, os.getpid() == parent))
    return out

results = pool.map_shares(work, list(range(60)), 3)
print(json.dumps(results))
"""


def _run(mode: str) -> list[tuple[int, bool]]:
    out = subprocess.run(
        [sys.executable, "-c", _SCRIPT, mode], capture_output=True, text=True, check=True
    )
    return [(square, here) for square, here in json.loads(out.stdout)]


def test_every_process_takes_items_and_the_results_keep_their_order() -> None:
    results = _run("whole")
    assert [square for square, _ in results] == [n * n for n in range(60)]
    by_parent = sum(here for _, here in results)
    # the children took items too, and no process took them all
    assert 0 < by_parent < 60, by_parent


def test_what_a_dead_child_took_is_done_here() -> None:
    results = _run("die")
    assert [square for square, _ in results] == [n * n for n in range(60)]
    # every item past 10 that a child took was done again here
    assert all(here for n, (_, here) in enumerate(results) if n > 10)
