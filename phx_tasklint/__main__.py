"""`python -m phx_tasklint`: the console script."""

import os
import sys

from phx_tasklint.cli.commands import entry

if __name__ == "__main__":
    # `-m` puts the working directory first on sys.path; the console script does not. A checked
    # tree's own `random.py` or `json.py` must not stand in for the standard library's.
    if sys.path and os.path.abspath(sys.path[0] or ".") == os.getcwd():
        del sys.path[0]
    entry()
