"""An Elasticsearch URL that does not answer (issue 15, bug 4): the app opens in a clear degraded
state — a banner with the error, the library's folders still listed — and one click switches back
to the embedded library without a restart."""
from __future__ import annotations

import shutil

import pytest
from PySide6.QtCore import QSettings

from photoapp.core.settings import Settings

from conftest import SAMPLE_PHOTOS, _require_photos, _settings
from test_gui_settings import answer_next_box


@pytest.fixture
def two_libraries(tmp_path):
    """One data folder holding an indexed embedded library and an Elasticsearch library (same
    folder) whose cluster is gone; settings.json points at the cluster."""
    from es_server import free_port

    from photoapp.core.library import Library

    _require_photos()
    photos = tmp_path / "photos"
    photos.mkdir()
    for name in ("astronaut.jpg", "coffee.jpg", "rocket.jpg"):
        shutil.copy(SAMPLE_PHOTOS / name, photos / name)
    settings = _settings(tmp_path / "appdata")
    with Library.open(settings) as embedded:
        embedded.add_folder(photos)
        embedded.index()
    settings.backend = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    with Library.open(settings) as remote:  # opens: the catalog is local, the cluster unreachable
        remote.add_folder(photos)
    settings.save()
    return settings, photos


def test_an_unreachable_cluster_opens_degraded_and_switches_back_in_one_click(two_libraries, qtbot, tmp_path):
    from photoapp.gui.main_window import open_library
    from photoapp.gui.main_window import MainWindow

    settings, photos = two_libraries
    unreachable = settings.backend
    window = MainWindow(None, settings, QSettings(str(tmp_path / "gui.ini"), QSettings.Format.IniFormat),
                        watch=False)
    qtbot.addWidget(window)
    window.resize(1100, 760)
    window.show()
    try:
        window.open_library_async(open_library)
        qtbot.waitUntil(lambda: window.banner.isVisible(), timeout=30000)
        assert settings.backend in window.banner.message.text()
        assert "unreachable" in window.banner.message.text().lower() or \
            "connection" in window.banner.message.text().lower()
        # Not stuck on "Opening library…": the folders are there, in the sidebar and in Settings.
        qtbot.waitUntil(lambda: window.library_folders == [str(photos)], timeout=20000)
        assert window.stack.currentWidget() is not window.opening_page
        dialog = window.open_settings()
        assert [dialog.folder_list.item(i).text() for i in range(dialog.folder_list.count())] == [str(photos)]
        dialog.reject()

        old = window.library
        with qtbot.waitSignal(window.library_switched, timeout=60000):
            window.banner.switch_button.click()
        assert window.library is not old and window.library.status().backend == "embedded"
        assert Settings.load(settings.data_dir).backend == "embedded"  # and it stays so
        qtbot.waitUntil(lambda: not window.banner.isVisible(), timeout=20000)
        qtbot.waitUntil(lambda: window.model.rowCount() == 3, timeout=30000)
        assert window.library_folders == [str(photos)]

        # Retry on the embedded library: nothing to complain about, the photos stay.
        with qtbot.waitSignal(window.results_finished, timeout=30000):
            window.banner.retry_requested.emit()
        assert window.banner.isHidden() and window.model.rowCount() == 3

        # Settings → Index → an Elasticsearch URL that fails its test, saved anyway: the window
        # reopens on it at once (no restart), degraded again, with the way back offered.
        dialog = window.open_settings()
        dialog.es_radio.setChecked(True)
        dialog.es_url.setText(unreachable)
        answer_next_box("Save anyway", [])
        with qtbot.waitSignal(window.library_switched, timeout=60000):
            dialog.save()
        qtbot.waitUntil(lambda: window.banner.isVisible(), timeout=30000)
        assert window.library.status().backend != "embedded"
    finally:
        window.shutdown()
        if window.library is not None:
            window.library.close()
