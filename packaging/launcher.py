"""Entry point of the standalone build: the ``photoapp`` launcher is the CLI (``photoapp gui`` starts
the desktop app), exactly like the ``photoapp`` console script of the wheel."""
import sys

from photoapp.cli.main import main

if __name__ == "__main__":
    sys.exit(main())
