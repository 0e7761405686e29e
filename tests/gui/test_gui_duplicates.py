"""The duplicates view: groups by tier with a filter, the suggested keeper, and "Move to trash"
behind a confirmation that names the count, into a system trash kept inside the test's tmp."""
from __future__ import annotations

import hashlib
import importlib
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from photoapp.gui.duplicates_view import DuplicatesView, build_rows
from photoapp.gui.marks import MarksController
from photoapp.gui.thumbnails import ThumbnailCache
from photoapp.gui.workers import TaskRunner

MODELS_DIR = Path(__file__).resolve().parents[2] / "models"


def photo(seed: int, moved: int = 0, size=(640, 480)) -> Image.Image:
    """A textured, photo-like picture; ``moved`` shifts one subject (the next shot of a burst)."""
    rng = np.random.default_rng(seed)
    w, h = size
    img = Image.fromarray((rng.random((6, 8, 3)) * 255).astype(np.uint8), "RGB").resize(size, Image.BICUBIC)
    d = ImageDraw.Draw(img)
    for _ in range(14):
        x0, y0 = int(rng.integers(0, w - 40)), int(rng.integers(0, h - 40))
        box = (x0, y0, x0 + int(rng.integers(30, w // 3)), y0 + int(rng.integers(30, h // 3)))
        (d.ellipse if rng.random() < 0.5 else d.rectangle)(box, fill=tuple(int(c) for c in rng.integers(0, 256, 3)))
    subject = Image.fromarray((np.random.default_rng(seed + 7).random((120, 120, 3)) * 255).astype(np.uint8), "RGB")
    mask = Image.new("L", subject.size, 0)
    ImageDraw.Draw(mask).ellipse((0, 0, 119, 119), fill=255)
    img.paste(subject, (250 + moved, 180 + moved // 3), mask)
    noise = np.random.default_rng(seed + 1).normal(0, 8, (h, w, 3))
    return Image.fromarray(np.clip(np.asarray(img, dtype=np.float64) + noise, 0, 255).astype(np.uint8), "RGB")


def digest(path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def snapshot(folder: Path) -> dict[str, str]:
    return {str(p): digest(p) for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def dup_library(tmp_path_factory):
    """Real models, real index: an exact copy, a re-encoded half-size copy, a burst of two
    shots, and a photo of its own."""
    from photoapp.core.library import Library
    from photoapp.core.settings import Settings

    root = tmp_path_factory.mktemp("dup-gui")
    photos = root / "photos"
    (photos / "backup").mkdir(parents=True)
    photo(1).save(photos / "beach.jpg", quality=95)
    shutil.copy(photos / "beach.jpg", photos / "backup" / "beach copy.jpg")
    photo(2).save(photos / "harbour.jpg", quality=95)
    photo(2).resize((320, 240), Image.LANCZOS).save(photos / "backup" / "harbour_small.jpg", quality=60)
    photo(3).save(photos / "burst_1.jpg", quality=92)
    photo(3, moved=60).save(photos / "burst_2.jpg", quality=92)
    photo(4).save(photos / "alone.jpg", quality=92)
    lib = Library.open(Settings(data_dir=root / "appdata", models_dir=MODELS_DIR, decode_workers=2, batch_size=4))
    lib.add_folder(photos)
    lib.index(quick=True)
    lib.photos_dir = photos
    try:
        yield lib
    finally:
        lib.close()


@pytest.fixture
def trash_dir(tmp_path, monkeypatch):
    """The freedesktop.org trash of a home inside tmp: send2trash reads XDG_DATA_HOME when it
    is imported, so it is imported afresh here and again afterwards."""
    import send2trash
    import send2trash.plat_other

    home = tmp_path / "home"
    (home / ".local" / "share").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    importlib.reload(send2trash.plat_other)
    importlib.reload(send2trash)
    yield home / ".local" / "share" / "Trash"
    monkeypatch.undo()
    importlib.reload(send2trash.plat_other)
    importlib.reload(send2trash)


@pytest.fixture
def view(dup_library, qtbot):
    runner = TaskRunner()
    thumbs = ThumbnailCache(lambda doc_id: dup_library.thumbnail_path(doc_id, 256))
    marks = MarksController(runner)
    with qtbot.waitSignal(marks.changed, timeout=10000):
        marks.set_library(dup_library)
    view = DuplicatesView(thumbs, marks=marks)
    qtbot.addWidget(view)
    view.resize(1100, 720)
    view.show()
    yield view
    runner.close()
    thumbs.wait()


def by_name(rows):
    return {frozenset(Path(m.path).name for m in r.members): r for r in rows}


def test_groups_show_by_tier_with_a_filter_and_the_suggested_keeper(dup_library, view, qtbot, tmp_path):
    rows = build_rows(dup_library, dup_library.duplicates())
    view.set_rows(rows)
    groups = by_name(rows)
    assert {k: r.tier for k, r in groups.items()} == {
        frozenset({"beach.jpg", "beach copy.jpg"}): "exact",
        frozenset({"harbour.jpg", "harbour_small.jpg"}): "photo",
        frozenset({"burst_1.jpg", "burst_2.jpg"}): "scene",
    }
    assert [b.text() for b in view.tier_buttons.values()] == ["All  3", "Exact  1", "Same photo  1",
                                                              "Same scene  1"]
    # The suggested keeper of the re-encoded pair is the full-size original.
    harbour = groups[frozenset({"harbour.jpg", "harbour_small.jpg"})]
    assert Path(harbour.members[harbour.keeper_index].path).name == "harbour.jpg"
    for tier in ("exact", "photo", "scene"):
        qtbot.mouseClick(view.tier_buttons[tier], Qt.MouseButton.LeftButton)
        assert [r.tier for r in view.model.rows] == [tier]
    qtbot.mouseClick(view.tier_buttons[None], Qt.MouseButton.LeftButton)
    assert view.model.rowCount() == 3 and view.trash_shown_button.text() == "Move 3 extra copies to trash…"
    view.grab().save(str(tmp_path / "duplicates.png"))
    assert (tmp_path / "duplicates.png").stat().st_size > 10_000


def test_move_to_trash_asks_first_then_moves_only_the_extra_copies(dup_library, view, qtbot, trash_dir):
    folder = dup_library.photos_dir
    before = snapshot(folder)
    view.set_rows(build_rows(dup_library, dup_library.duplicates()))
    qtbot.mouseClick(view.tier_buttons["photo"], Qt.MouseButton.LeftButton)
    [row] = view.model.rows
    extra = folder / "backup" / "harbour_small.jpg"
    assert row.extra_paths == [str(extra)]

    # Cancel: nothing moves.
    qtbot.mouseClick(view.trash_shown_button, Qt.MouseButton.LeftButton)
    dialog = view.trash_dialog
    assert isinstance(dialog, QMessageBox) and dialog.isVisible()
    assert dialog.text() == "Move 1 file to the trash?"
    qtbot.mouseClick(dialog.button(QMessageBox.StandardButton.Cancel), Qt.MouseButton.LeftButton)
    assert view.trash_dialog is None and snapshot(folder) == before

    # Confirm: the extra copy goes to the system trash (restorable), nothing else changes.
    qtbot.mouseClick(view.trash_shown_button, Qt.MouseButton.LeftButton)
    move = next(b for b in view.trash_dialog.buttons()
                if view.trash_dialog.buttonRole(b) == QMessageBox.ButtonRole.DestructiveRole)
    assert move.text() == "Move 1 to Trash"
    with qtbot.waitSignal(view.files_trashed, timeout=30000) as trashed:
        qtbot.mouseClick(move, Qt.MouseButton.LeftButton)
    assert trashed.args[0] == [str(extra)]
    after = snapshot(folder)
    assert set(before) - set(after) == {str(extra)}
    assert all(after[p] == before[p] for p in after)
    trashed_file = trash_dir / "files" / "harbour_small.jpg"
    assert digest(trashed_file) == before[str(extra)]
    info = (trash_dir / "info" / "harbour_small.jpg.trashinfo").read_text()
    assert "[Trash Info]" in info and "harbour_small.jpg" in info
    # The library forgot it; the view dropped the group at once (no copy left to compare).
    assert dup_library.info(str(extra)) is None
    assert all("harbour" not in Path(m.path).name for r in view.all_rows for m in r.members)
    assert view.tier_buttons["photo"].text() == "Same photo  0"
    # Recoverable: put it back, and it is a duplicate again after a rescan.
    shutil.move(trashed_file, extra)
    dup_library.index([str(extra)], quick=True)
    assert any(str(extra) in g.paths for g in dup_library.duplicates())


def test_a_copy_from_the_compare_view_and_never_the_kept_one(dup_library, view, qtbot, trash_dir):
    folder = dup_library.photos_dir
    view.set_rows(build_rows(dup_library, dup_library.duplicates()))
    row_index = next(i for i, r in enumerate(view.model.rows) if r.tier == "exact")
    view.open_group(row_index)
    panes = view.compare.panes
    keeper = next(p for p in panes if p.is_keeper)
    other = next(p for p in panes if not p.is_keeper)
    assert keeper.trash_button.isHidden() and not other.trash_button.isHidden()
    assert view.compare.trash_others_button.text() == "Trash 1 other…"
    before = snapshot(folder)
    qtbot.mouseClick(other.trash_button, Qt.MouseButton.LeftButton)
    move = next(b for b in view.trash_dialog.buttons()
                if view.trash_dialog.buttonRole(b) == QMessageBox.ButtonRole.DestructiveRole)
    with qtbot.waitSignal(view.files_trashed, timeout=30000):
        qtbot.mouseClick(move, Qt.MouseButton.LeftButton)
    after = snapshot(folder)
    assert set(before) - set(after) == {other.member.path}
    assert os.path.exists(keeper.member.path)
    assert (trash_dir / "files" / Path(other.member.path).name).exists()
    # The whole group cannot be trashed, even when asked for directly.
    from photoapp.core.trash import TrashError, plan_trash
    from photoapp.gui.duplicates_view import row_groups

    remaining = build_rows(dup_library, dup_library.duplicates())
    scene = next(r for r in remaining if r.tier == "scene")
    with pytest.raises(TrashError):
        plan_trash(row_groups(remaining), [m.path for m in scene.members])


def test_in_the_window_the_sidebar_and_grid_follow_a_trash(dup_library, make_window, qtbot, trash_dir):
    from photoapp.gui.navigation import Duplicates

    window = make_window(dup_library)
    with qtbot.waitSignal(window.duplicates_shown, timeout=60000) as shown:
        window.navigate(Duplicates())
    view = window.duplicates_view
    assert shown.args[0] == len(view.all_rows) >= 2
    sidebar_item = window.sidebar._items[Duplicates()]
    assert sidebar_item.text(0) == f"Duplicates  ·  {len(view.all_rows)}"
    row = next(r for r in view.all_rows if r.tier == "scene")
    view.request_trash(row.extra_paths)
    move = next(b for b in view.trash_dialog.buttons()
                if view.trash_dialog.buttonRole(b) == QMessageBox.ButtonRole.DestructiveRole)
    with qtbot.waitSignal(view.files_trashed, timeout=30000):
        qtbot.mouseClick(move, Qt.MouseButton.LeftButton)
    assert sidebar_item.text(0) == f"Duplicates  ·  {len(view.all_rows)}"
    assert all(r.tier != "scene" for r in view.all_rows)
    gone = row.extra_paths[0]
    assert dup_library.info(gone) is None and not os.path.exists(gone)
    assert (trash_dir / "files" / Path(gone).name).exists()
