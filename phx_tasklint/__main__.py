"""`python -m phx_tasklint`: the console script."""

from phx_tasklint.cli.commands import entry

if __name__ == "__main__":
    entry()
