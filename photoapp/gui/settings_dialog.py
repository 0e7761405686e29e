"""Settings: watched folders, index backend (embedded or Elasticsearch), compute and clusters.

Secrets (an API key, a password) are not part of ``Settings``: on save they go to the OS keyring
through the ES module's ``store_secret``; for "Test connection" they are handed to the test
through its environment variables for the duration of the call only.
"""
from __future__ import annotations

import copy
import os
import threading
from collections.abc import Callable

from PySide6.QtCore import QSize, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QMessageBox,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ..core.settings import Settings
from .icons import icon
from .workers import TaskRunner

_ENV_LOCK = threading.Lock()
AUTH_NONE, AUTH_API_KEY, AUTH_PASSWORD = "none", "api-key", "password"


def _hint(text: str) -> QLabel:
    label = QLabel(text)
    label.setObjectName("ViewSubtitle")
    label.setWordWrap(True)
    return label


def run_connection_test(settings: Settings, api_key: str, password: str) -> tuple[bool, str]:
    """Worker side of "Test connection"; never raises."""
    try:
        from ..core.index.elastic import connection as es_connection
    except ImportError as exc:
        return False, f"Elasticsearch support is not available: {exc}"
    overrides = {}
    if api_key:
        overrides[getattr(es_connection, "API_KEY_ENV", "PHOTOAPP_ES_API_KEY")] = api_key
    if password:
        overrides[getattr(es_connection, "PASSWORD_ENV", "PHOTOAPP_ES_PASSWORD")] = password
    with _ENV_LOCK:
        saved = {k: os.environ.get(k) for k in overrides}
        os.environ.update(overrides)
        try:
            return es_connection.test_connection(settings)
        except Exception as exc:  # noqa: BLE001 - the button must always get an answer
            return False, str(exc)
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v


def _is_url(backend: str) -> bool:
    return backend.lower().startswith(("http://", "https://"))


def _connection_key(s: Settings) -> tuple:
    """What a connection test depends on: a test passed for this key needs no repeat on Save."""
    es = s.elasticsearch
    return (s.backend, es.username, es.ca_cert, es.verify_tls)


class SettingsDialog(QDialog):
    saved = Signal()
    connection_tested = Signal(bool, str)
    backend_changed = Signal(str)  # saved with another backend: the window reopens the library

    def __init__(self, settings: Settings, runner: TaskRunner, folders: list[str] | None = None,
                 add_folder: Callable[[], None] | None = None,
                 remove_folder: Callable[[str], None] | None = None, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.settings = settings
        self._runner = runner
        self._add_folder = add_folder
        self._remove_folder = remove_folder
        self._tested_ok: tuple | None = None  # _connection_key of the last passing test
        self._save_after_test = False
        self.tabs = QTabWidget()
        self.tabs.addTab(self._folders_tab(), icon("folder"), "Folders")
        self.tabs.addTab(self._backend_tab(), icon("search"), "Index")
        self.tabs.addTab(self._compute_tab(), icon("settings"), "Compute && clusters")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 16, 16, 12)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(buttons)
        self.set_folders(folders or [])
        self.load_from(settings)
        self.resize(640, 520)

    # --- tabs ---------------------------------------------------------------------------
    def _folders_tab(self) -> QWidget:
        page = QWidget()
        self.folder_list = QListWidget()
        self.folder_list.setIconSize(QSize(18, 18))
        add = QPushButton(icon("folder-add"), "Add folder…")
        add.clicked.connect(lambda: self._add_folder and self._add_folder())
        self.remove_button = QPushButton(icon("remove"), "Remove…")
        self.remove_button.clicked.connect(self._remove_selected)
        row = QHBoxLayout()
        row.addWidget(add)
        row.addWidget(self.remove_button)
        row.addStretch(1)
        layout = QVBoxLayout(page)
        layout.setContentsMargins(14, 14, 14, 14)
        layout.addWidget(QLabel("Watched folders"))
        layout.addWidget(self.folder_list, 1)
        layout.addLayout(row)
        layout.addWidget(_hint("New and changed photos in these folders are indexed automatically. "
                               "Removing a folder forgets its photos; the files themselves are never touched."))
        return page

    def _backend_tab(self) -> QWidget:
        page = QWidget()
        self.embedded_radio = QRadioButton("Embedded (SQLite in the data folder — no setup)")
        self.es_radio = QRadioButton("Elasticsearch server")
        group = QButtonGroup(page)
        group.addButton(self.embedded_radio)
        group.addButton(self.es_radio)
        self.es_url = QLineEdit()
        self.es_url.setPlaceholderText("https://localhost:9200")
        self.auth_combo = QComboBox()
        self.auth_combo.addItem("No authentication", AUTH_NONE)
        self.auth_combo.addItem("API key", AUTH_API_KEY)
        self.auth_combo.addItem("User name and password", AUTH_PASSWORD)
        self.api_key = QLineEdit()
        self.api_key.setEchoMode(QLineEdit.EchoMode.Password)
        self.api_key.setPlaceholderText("stored in the OS keyring, not in settings.json")
        self.username = QLineEdit()
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText("stored in the OS keyring, not in settings.json")
        self.ca_cert = QLineEdit()
        self.ca_cert.setPlaceholderText("optional: PEM file of your CA")
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse_ca)
        ca_row = QHBoxLayout()
        ca_row.addWidget(self.ca_cert, 1)
        ca_row.addWidget(browse)
        self.verify_tls = QCheckBox("Verify TLS certificates")
        self.test_button = QPushButton(icon("refresh"), "Test connection")
        self.test_button.clicked.connect(self.test_connection)
        self.test_result = QLabel("")
        self.test_result.setWordWrap(True)
        self.es_form = QWidget()
        form = QFormLayout(self.es_form)
        form.setContentsMargins(22, 4, 0, 0)
        form.addRow("URL", self.es_url)
        form.addRow("Authentication", self.auth_combo)
        form.addRow("API key", self.api_key)
        form.addRow("User name", self.username)
        form.addRow("Password", self.password)
        form.addRow("CA certificate", ca_row)
        form.addRow("", self.verify_tls)
        test_row = QHBoxLayout()
        test_row.addWidget(self.test_button)
        test_row.addWidget(self.test_result, 1)
        form.addRow("", test_row)
        self._es_form_layout = form
        self.embedded_radio.toggled.connect(self._update_enabled)
        self.auth_combo.currentIndexChanged.connect(self._update_enabled)
        layout = QVBoxLayout(page)
        layout.setContentsMargins(14, 14, 14, 14)
        layout.addWidget(self.embedded_radio)
        layout.addWidget(self.es_radio)
        layout.addWidget(self.es_form)
        layout.addStretch(1)
        layout.addWidget(_hint("A change of backend applies when you save: the library reopens on the "
                               "new backend and its folders are indexed there. Each backend keeps its own "
                               "list of folders."))
        return page

    def _compute_tab(self) -> QWidget:
        page = QWidget()
        self.compute_combo = QComboBox()
        self.compute_combo.addItem("Automatic (GPU when available)", "auto")
        self.compute_combo.addItem("CPU", "cpu")
        self.compute_combo.addItem("GPU", "gpu")
        self.threads_spin = QSpinBox()
        self.threads_spin.setRange(0, 256)
        self.threads_spin.setSpecialValueText("Automatic")
        self.cluster_spin = QSpinBox()
        self.cluster_spin.setRange(0, 500)
        self.cluster_spin.setSpecialValueText("Automatic")
        form = QFormLayout(page)
        form.setContentsMargins(14, 14, 14, 14)
        form.setVerticalSpacing(10)
        form.addRow("Compute", self.compute_combo)
        form.addRow("Inference threads", self.threads_spin)
        form.addRow("Number of clusters", self.cluster_spin)
        form.addRow("", _hint("Threads: 0 lets ONNX Runtime decide. Clusters: 0 picks a number from the "
                              "size of the library."))
        return page

    # --- state --------------------------------------------------------------------------
    def set_folders(self, folders: list[str]) -> None:
        self.folder_list.clear()
        for folder in folders:
            self.folder_list.addItem(folder)
            self.folder_list.item(self.folder_list.count() - 1).setIcon(icon("folder"))
        self.remove_button.setEnabled(bool(folders))

    def load_from(self, s: Settings) -> None:
        es = s.elasticsearch
        url = s.backend if s.backend.lower().startswith(("http://", "https://")) else (es.urls[0] if es.urls else "")
        self.embedded_radio.setChecked(not s.backend.lower().startswith(("http://", "https://")))
        self.es_radio.setChecked(not self.embedded_radio.isChecked())
        self.es_url.setText(url)
        self.username.setText(es.username or "")
        self.auth_combo.setCurrentIndex(self.auth_combo.findData(AUTH_PASSWORD if es.username else AUTH_NONE))
        self.ca_cert.setText(es.ca_cert or "")
        self.verify_tls.setChecked(es.verify_tls)
        self.compute_combo.setCurrentIndex(max(0, self.compute_combo.findData(s.compute)))
        self.threads_spin.setValue(int(s.threads or 0))
        self.cluster_spin.setValue(int(s.cluster_count or 0))
        self._update_enabled()

    def apply_to(self, s: Settings) -> Settings:
        """Write the form into ``s`` (no secrets) and return it."""
        url = self.es_url.text().strip()
        auth = self.auth_combo.currentData()
        if self.es_radio.isChecked() and url:
            s.backend = url
            s.elasticsearch.urls = [url]
        else:
            s.backend = "embedded"
            if url:
                s.elasticsearch.urls = [url]
        s.elasticsearch.username = (self.username.text().strip() or None) if auth == AUTH_PASSWORD else None
        s.elasticsearch.ca_cert = self.ca_cert.text().strip() or None
        s.elasticsearch.verify_tls = self.verify_tls.isChecked()
        s.compute = self.compute_combo.currentData()
        s.threads = self.threads_spin.value()
        s.cluster_count = self.cluster_spin.value()
        return s

    def _secrets(self) -> tuple[str, str]:
        auth = self.auth_combo.currentData()
        return (self.api_key.text() if auth == AUTH_API_KEY else "",
                self.password.text() if auth == AUTH_PASSWORD else "")

    def _update_enabled(self) -> None:
        es = self.es_radio.isChecked()
        self.es_form.setEnabled(es)
        auth = self.auth_combo.currentData()
        for widget, visible in ((self.api_key, auth == AUTH_API_KEY), (self.username, auth == AUTH_PASSWORD),
                                (self.password, auth == AUTH_PASSWORD)):
            widget.setVisible(visible)
            label = self._es_form_layout.labelForField(widget)
            if label is not None:
                label.setVisible(visible)

    # --- actions ------------------------------------------------------------------------
    def test_connection(self) -> None:
        probe = self.apply_to(copy.deepcopy(self.settings))
        if not _is_url(probe.backend):
            probe.backend = self.es_url.text().strip()
        api_key, password = self._secrets()
        self.test_button.setEnabled(False)
        self.test_result.setText("Connecting…")
        self.test_result.setStyleSheet("")
        key = _connection_key(probe)
        self._runner.submit(lambda: run_connection_test(probe, api_key, password),
                            lambda result: self._show_test_result(result, key),
                            lambda exc: self._show_test_result((False, str(exc)), key))

    def _show_test_result(self, result: tuple[bool, str], key: tuple | None = None) -> None:
        ok, message = result
        self._tested_ok = key if ok else None
        self.test_button.setEnabled(True)
        self.test_result.setText(("✓ " if ok else "✗ ") + message)
        self.test_result.setStyleSheet(f"color: {'#20a36b' if ok else '#d14343'};")
        self.connection_tested.emit(ok, message)
        if self._save_after_test:
            self._save_after_test = False
            if ok or self._confirm_unreachable(message):
                self._commit()

    def save(self) -> None:
        """Save; a cluster URL is tested first (unless this exact set-up just passed), and a
        failed test asks before saving a backend photoapp could not open."""
        probe = self.apply_to(copy.deepcopy(self.settings))
        if _is_url(probe.backend) and _connection_key(probe) != self._tested_ok:
            self._save_after_test = True
            self.test_connection()
            return
        self._commit()

    def _confirm_unreachable(self, message: str) -> bool:
        box = QMessageBox(QMessageBox.Icon.Warning, "Elasticsearch is not reachable",
                          f"Test connection failed:\n{message}\n\nIf you save, photoapp opens this cluster "
                          "with the library unavailable until it answers (a banner offers the way back "
                          "to the embedded library).", parent=self)
        save = box.addButton("Save anyway", QMessageBox.ButtonRole.AcceptRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.exec()
        return box.clickedButton() is save

    def _commit(self) -> None:
        before = self.settings.backend
        self.apply_to(self.settings)
        self.settings.save()
        api_key, password = self._secrets()
        if api_key or password:
            try:
                from ..core.index.elastic.connection import store_secret
                store_secret(self.settings, api_key=api_key or None, password=password or None)
            except Exception as exc:  # noqa: BLE001 - no keyring: say so, keep the rest saved
                self.test_result.setText(f"✗ Settings saved, but the secret was not: {exc}")
                self.test_result.setStyleSheet("color: #d14343;")
                self.saved.emit()
                return
        self.saved.emit()
        self.accept()
        if self.settings.backend != before:
            self.backend_changed.emit(self.settings.backend)

    def _browse_ca(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "CA certificate", "", "Certificates (*.pem *.crt *.cer);;All files (*)")
        if path:
            self.ca_cert.setText(path)

    def _remove_selected(self) -> None:
        item = self.folder_list.currentItem()
        if item is not None and self._remove_folder is not None:
            self._remove_folder(item.text())
