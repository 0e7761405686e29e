"""``python -m photoapp`` / ``photoapp gui``: start the desktop app."""
from __future__ import annotations

import logging
import sys

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from ..core.settings import Settings
from .icons import app_icon
from .style import apply_style

log = logging.getLogger(__name__)


def create_application(argv: list[str] | None = None) -> QApplication:
    app = QApplication.instance()
    if app is None:
        app = QApplication(list(argv) if argv is not None else sys.argv[:1])
        app.setApplicationName("photoapp")
        app.setOrganizationName("photoapp")
        app.setApplicationDisplayName("photoapp")
        app.setDesktopFileName("photoapp")
        apply_style(app)
        app.setWindowIcon(app_icon())
        from .indexing import prefer_gui_thread_switching

        prefer_gui_thread_switching()  # GUI thread first when background threads want the GIL
    return app


def main(argv: list[str] | None = None, settings: Settings | None = None) -> int:
    """Show the main window at once, open the library in a worker, then bring the index up to
    date with the disk and watch the folders; run the event loop."""
    from .main_window import MainWindow, open_library

    app = create_application(argv)
    settings = settings or Settings.load()
    window = MainWindow(None, settings)
    window.show()
    window.open_library_async(open_library, then=lambda: QTimer.singleShot(300, window.start_indexing))
    try:
        return app.exec()
    finally:
        window.shutdown()
        if window.library is not None:
            window.library.close()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
