"""The search field: the core's query syntax, with tag completion for the word being typed."""
from __future__ import annotations

import re
from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeyEvent, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QCompleter, QLineEdit

from .icons import icon
from .workers import TaskRunner

TagSource = Callable[[int, str], list[tuple[str, int]]]  # (limit, prefix) -> [(tag, count)]
LABEL_ROLE = Qt.ItemDataRole.UserRole + 1

# The word under completion: after a space, an optional "-" (exclude) and an optional "tag:".
_LAST_WORD = re.compile(r'(?P<lead>(?:^|\s)-?(?:tag:)?)(?P<word>[^\s:"]*)$')

PLACEHOLDER = 'Search — e.g.  dog   tag:"golden retriever"   pizza>=0.9   camera:canon   after:2020-01   -cat'

# The field's tooltip while the query is valid: every filter the query language has, so a user
# finds person:, text:, near: ... without the README. (Errors replace it with the error's text.)
SYNTAX_HELP = """<b>Search</b> — words match tags, objects, people, text in photos, places and file names.
<table cellspacing=2>
<tr><td><code>tag:"golden retriever"</code></td><td>a tag or object · <code>dog&gt;=0.9</code> a confident one</td></tr>
<tr><td><code>person:anna</code></td><td>a named person · <code>faces&gt;=3</code>, <code>faces:0</code></td></tr>
<tr><td><code>text:"no parking"</code></td><td>words read in the photo</td></tr>
<tr><td><code>place:paris</code></td><td><code>country:france</code> · <code>near:48.85,2.35,5km</code></td></tr>
<tr><td><code>year:2021</code></td><td><code>month:march</code> · <code>on:2021-03-14</code> · <code>after:2020-01</code> · <code>before:2022</code></td></tr>
<tr><td><code>color:red</code></td><td><code>camera:canon</code> · <code>folder:holiday</code></td></tr>
<tr><td><code>rating&gt;=4</code></td><td><code>favorite</code> · <code>-cat</code> excludes</td></tr>
</table>"""


class SearchBar(QLineEdit):
    search_requested = Signal(str)   # Enter
    cleared = Signal()               # the text became empty (Esc, the clear button, deleting it)

    def __init__(self, runner: TaskRunner, tag_source: TagSource | None = None, parent=None):
        super().__init__(parent)
        self.setObjectName("SearchField")
        self.setPlaceholderText(PLACEHOLDER)
        self.setToolTip(SYNTAX_HELP)
        self.setClearButtonEnabled(True)
        self.addAction(QAction(icon("search"), "", self), QLineEdit.ActionPosition.LeadingPosition)
        self.setMinimumWidth(200)
        self._runner = runner
        self._tag_source = tag_source
        self._generation = 0
        self._completion_model = QStandardItemModel(self)
        self.completer = QCompleter(self._completion_model, self)
        self.completer.setWidget(self)
        self.completer.setCompletionRole(LABEL_ROLE)
        self.completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.completer.setMaxVisibleItems(10)
        self.completer.activated[str].connect(self._insert_completion)
        # Filters run newest first: ours sees Enter on the popup before the completer does.
        self.completer.popup().installEventFilter(self)
        self._debounce = QTimer(self, singleShot=True, interval=90)
        self._debounce.timeout.connect(self._fetch_completions)
        self.textEdited.connect(lambda _: self._debounce.start())
        self.returnPressed.connect(self._on_return)
        self.textChanged.connect(self._on_text_changed)

    def set_tag_source(self, source: TagSource | None) -> None:
        self._tag_source = source

    def set_error(self, message: str | None) -> None:
        """Mark the field invalid (a QueryError) with the message as tooltip."""
        self.setProperty("invalid", bool(message))
        self.setToolTip(message or SYNTAX_HELP)
        self.style().unpolish(self)
        self.style().polish(self)

    def current_word(self) -> str:
        match = _LAST_WORD.search(self.text()[: self.cursorPosition()])
        return match.group("word") if match else ""

    # --- completion ---------------------------------------------------------------------
    def _fetch_completions(self) -> None:
        word = self.current_word()
        if not word or self._tag_source is None:
            self.completer.popup().hide()
            return
        self._generation += 1
        generation, source = self._generation, self._tag_source
        self._runner.submit(lambda: source(12, word.lower()),
                            lambda tags: self._show_completions(generation, word, tags),
                            lambda _exc: None)

    def _show_completions(self, generation: int, word: str, tags: list[tuple[str, int]]) -> None:
        if generation != self._generation or word != self.current_word() or not self.hasFocus():
            return
        self._completion_model.clear()
        for label, count in tags:
            item = QStandardItem(f"{label}    {count:,}")
            item.setData(label, LABEL_ROLE)
            item.setIcon(icon("tag"))
            self._completion_model.appendRow(item)
        if not tags:
            self.completer.popup().hide()
            return
        self.completer.setCompletionPrefix(word)
        popup = self.completer.popup()
        popup.setIconSize(QSize(14, 14))
        rect = self.rect()
        rect.setWidth(max(260, popup.sizeHintForColumn(0) + 30))
        self.completer.complete(rect)

    def _insert_completion(self, label: str) -> None:
        before = self.text()[: self.cursorPosition()]
        after = self.text()[self.cursorPosition():]
        match = _LAST_WORD.search(before)
        start = match.start("word") if match else len(before)
        token = f'"{label}"' if " " in label else label  # a phrase keeps multi-word tags whole
        new_before = before[:start] + token + " "
        self.setText(new_before + after.lstrip())
        self.setCursorPosition(len(new_before))

    # --- keys ---------------------------------------------------------------------------
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        """Enter while suggestions show: with none picked (arrow keys), search what is typed.
        The completer alone would close the popup and swallow the key."""
        if watched is self.completer.popup() and event.type() == QEvent.Type.KeyPress \
                and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) \
                and not self.completer.popup().currentIndex().isValid():
            self.close_popup()
            self._on_return()
            return True
        return super().eventFilter(watched, event)

    def _on_return(self) -> None:
        if self.completer.popup().isVisible():
            return
        self._generation += 1  # completions still on their way are for a query already run
        self._debounce.stop()
        self.search_requested.emit(self.text().strip())

    def close_popup(self) -> None:
        self._generation += 1
        self._debounce.stop()
        self.completer.popup().hide()

    def focusOutEvent(self, event) -> None:  # noqa: N802 - Qt override
        if not self.completer.popup().isVisible():  # focus moving into our own popup is fine
            self._generation += 1
        super().focusOutEvent(event)

    def _on_text_changed(self, text: str) -> None:
        if self.property("invalid"):
            self.set_error(None)
        if not text:
            self.cleared.emit()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        if self.completer.popup().isVisible() and event.key() in (
                Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Escape, Qt.Key.Key_Tab):
            event.ignore()  # the completer's popup handles these
            return
        if event.key() == Qt.Key.Key_Escape and self.text():
            self.clear()
            return
        super().keyPressEvent(event)
