"""Settings dialog: round trip through Settings.save()/load(), and the Test connection button."""
from __future__ import annotations

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from photoapp.core.settings import Settings
from photoapp.gui.settings_dialog import SettingsDialog
from photoapp.gui.workers import TaskRunner
from es_server import es_url  # noqa: F401,F811  (fixture)


def answer_next_box(button_text: str, seen: list[str]) -> None:
    """Click ``button_text`` in the next modal message box, keeping its text in ``seen``."""
    def answer():
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(50, answer)
            return
        seen.append(box.text())
        next(b for b in box.buttons() if b.text().replace("&", "") == button_text).click()

    QTimer.singleShot(50, answer)


@pytest.fixture
def runner():
    runner = TaskRunner()
    yield runner
    runner.close()


def test_settings_round_trip(tmp_path, qtbot, runner):
    settings = Settings(data_dir=tmp_path / "data")
    dialog = SettingsDialog(settings, runner, folders=["/photos/a", "/photos/b"])
    qtbot.addWidget(dialog)
    assert dialog.folder_list.count() == 2
    assert dialog.embedded_radio.isChecked()
    dialog.es_radio.setChecked(True)
    dialog.es_url.setText("https://search.example:9200")
    dialog.auth_combo.setCurrentIndex(dialog.auth_combo.findData("password"))
    dialog.username.setText("elastic")
    dialog.ca_cert.setText("/etc/ssl/my-ca.pem")
    dialog.verify_tls.setChecked(False)
    dialog.compute_combo.setCurrentIndex(dialog.compute_combo.findData("cpu"))
    dialog.threads_spin.setValue(3)
    dialog.cluster_spin.setValue(12)
    warnings: list[str] = []
    answer_next_box("Save anyway", warnings)  # search.example does not answer: Save asks first
    with qtbot.waitSignal(dialog.saved, timeout=60000):
        dialog.save()
    assert warnings and "Test connection failed" in warnings[0]
    loaded = Settings.load(tmp_path / "data")
    assert loaded.backend == "https://search.example:9200"
    assert loaded.elasticsearch.username == "elastic"
    assert loaded.elasticsearch.ca_cert == "/etc/ssl/my-ca.pem"
    assert loaded.elasticsearch.verify_tls is False
    assert (loaded.compute, loaded.threads, loaded.cluster_count) == ("cpu", 3, 12)
    assert "password" not in (tmp_path / "data" / "settings.json").read_text()  # secrets never written
    # A fresh dialog shows what was saved; switching back to embedded persists too.
    again = SettingsDialog(loaded, runner)
    qtbot.addWidget(again)
    assert again.es_radio.isChecked() and again.es_url.text() == "https://search.example:9200"
    assert again.username.text() == "elastic" and again.threads_spin.value() == 3
    again.embedded_radio.setChecked(True)
    again.save()
    assert Settings.load(tmp_path / "data").backend == "embedded"


def test_test_connection_reports_an_unreachable_server(tmp_path, qtbot, runner):
    from es_server import free_port

    settings = Settings(data_dir=tmp_path / "data")
    dialog = SettingsDialog(settings, runner)
    qtbot.addWidget(dialog)
    dialog.es_radio.setChecked(True)
    dialog.es_url.setText(f"http://127.0.0.1:{free_port()}")
    with qtbot.waitSignal(dialog.connection_tested, timeout=30000) as result:
        qtbot.mouseClick(dialog.test_button, Qt.MouseButton.LeftButton)
    ok, message = result.args
    assert ok is False and message
    assert message in dialog.test_result.text()


def test_test_connection_succeeds_against_a_real_server(tmp_path, qtbot, runner, es_url):  # noqa: F811
    settings = Settings(data_dir=tmp_path / "data")
    dialog = SettingsDialog(settings, runner)
    qtbot.addWidget(dialog)
    dialog.es_radio.setChecked(True)
    dialog.es_url.setText(es_url)
    with qtbot.waitSignal(dialog.connection_tested, timeout=30000) as result:
        dialog.test_connection()
    ok, message = result.args
    assert ok is True, message
    assert "Connected" in dialog.test_result.text()


def test_save_warns_when_the_cluster_does_not_answer_and_cancel_keeps_the_old_backend(tmp_path, qtbot, runner):
    from es_server import free_port

    settings = Settings(data_dir=tmp_path / "data")
    settings.save()
    dialog = SettingsDialog(settings, runner)
    qtbot.addWidget(dialog)
    dialog.es_radio.setChecked(True)
    dialog.es_url.setText(f"http://127.0.0.1:{free_port()}")
    warnings: list[str] = []
    answer_next_box("Cancel", warnings)
    with qtbot.waitSignal(dialog.connection_tested, timeout=30000):
        dialog.save()  # tests the connection first
    qtbot.waitUntil(lambda: bool(warnings), timeout=10000)
    assert "Test connection failed" in warnings[0] and "unavailable" in warnings[0]
    assert Settings.load(tmp_path / "data").backend == "embedded"
    assert dialog.result() == 0  # not accepted: still open for a fix


def test_save_after_a_passing_test_does_not_ask(tmp_path, qtbot, runner, es_url):  # noqa: F811
    settings = Settings(data_dir=tmp_path / "data")
    dialog = SettingsDialog(settings, runner)
    qtbot.addWidget(dialog)
    dialog.es_radio.setChecked(True)
    dialog.es_url.setText(es_url)
    changed = []
    dialog.backend_changed.connect(changed.append)
    with qtbot.waitSignal(dialog.saved, timeout=30000):
        dialog.save()  # tests first; it passes, so it saves without a question
    assert Settings.load(tmp_path / "data").backend == es_url
    assert changed == [es_url]
