"""``python -m photoapp`` starts the desktop app."""
import sys

from photoapp.gui.app import main

if __name__ == "__main__":
    sys.exit(main())
