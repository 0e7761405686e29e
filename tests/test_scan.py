import os

import pytest

from photo_factory import gradient, save
from photoapp.core.scan import FolderScanner, is_image_candidate, sniff_image, stat_file



def rel(root, files):
    return sorted(os.path.relpath(f.path, root) for f in files)


def test_finds_every_format_with_any_case_extension(tmp_path):
    root = tmp_path / "lib"
    img = gradient()
    save(img, root / "a.JPG", "JPEG")
    save(img, root / "b.Png", "PNG")
    save(img, root / "sub" / "c.webp", "WEBP")
    save(img, root / "sub" / "d.TIFF", "TIFF")
    save(img, root / "sub" / "deeper" / "e.bmp", "BMP")
    save(img.convert("P"), root / "f.gif", "GIF")
    save(img, root / "g.AVIF", "AVIF")
    save(img, root / "h.heic", "HEIF")
    found = rel(root, list(FolderScanner().walk(str(root))))
    assert found == ["a.JPG", "b.Png", "f.gif", "g.AVIF", "h.heic", "sub/c.webp",
                     "sub/d.TIFF", "sub/deeper/e.bmp"]


def test_content_sniffing_finds_lying_extensions_and_skips_other_files(tmp_path):
    root = tmp_path / "lib"
    save(gradient(), root / "camera_dump.dat", "JPEG")  # a JPEG with a non-image extension
    save(gradient(), root / "noext", "PNG")
    save(gradient(), root / "really_png.jpg", "PNG")  # wrong image extension: decoder sniffs
    (root / "notes.txt").write_text("BM not a bitmap, just text")
    (root / "movie.mp4").write_bytes(b"\x00\x00\x00\x18ftypisom" + b"\x00" * 64)
    (root / "sidecar.xmp").write_text("<x:xmpmeta/>")
    found = rel(root, list(FolderScanner().walk(str(root))))
    assert found == ["camera_dump.dat", "noext", "really_png.jpg"]


def test_sniff_signatures():
    assert sniff_image(b"\xff\xd8\xff\xe0" + b"\x00" * 28)
    assert sniff_image(b"\x00\x00\x00\x1cftypheic" + b"\x00" * 20)
    assert sniff_image(b"\x00\x00\x00\x1cftypavif" + b"\x00" * 20)
    assert not sniff_image(b"\x00\x00\x00\x1cftypmp42" + b"\x00" * 20)
    assert not sniff_image(b"BM just some text here")


def test_hidden_files_and_folders_are_skipped(tmp_path):
    root = tmp_path / "lib"
    save(gradient(), root / "ok.jpg", "JPEG")
    save(gradient(), root / "._ok.jpg", "JPEG")
    save(gradient(), root / ".thumbnails" / "t.jpg", "JPEG")
    assert rel(root, list(FolderScanner().walk(str(root)))) == ["ok.jpg"]


def test_symlink_loop_does_not_stop_the_scan(tmp_path):
    root = tmp_path / "lib"
    save(gradient(), root / "a" / "one.jpg", "JPEG")
    save(gradient(), root / "b" / "two.jpg", "JPEG")
    os.symlink(root, root / "a" / "loop")  # a/loop -> lib: an infinite tree if followed naively
    scanner = FolderScanner()
    found = rel(root, list(scanner.walk(str(root))))
    assert found == ["a/one.jpg", "b/two.jpg"]
    assert any(p.reason == "symlink-loop" for p in scanner.problems)


def test_symlinked_folder_outside_is_followed(tmp_path):
    outside = tmp_path / "elsewhere"
    save(gradient(), outside / "x.jpg", "JPEG")
    root = tmp_path / "lib"
    root.mkdir()
    os.symlink(outside, root / "linked")
    assert rel(root, list(FolderScanner().walk(str(root)))) == ["linked/x.jpg"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads chmod 000 folders anyway: the "
                    "permission error cannot be produced when the tests run as root")
def test_unreadable_folder_is_recorded_and_skipped(tmp_path):
    root = tmp_path / "lib"
    save(gradient(), root / "ok.jpg", "JPEG")
    save(gradient(), root / "locked" / "secret.jpg", "JPEG")
    os.chmod(root / "locked", 0)
    try:
        scanner = FolderScanner()
        assert rel(root, list(scanner.walk(str(root)))) == ["ok.jpg"]
        assert scanner.unreadable_dirs == [str(root / "locked")]
    finally:
        os.chmod(root / "locked", 0o755)


def test_chmod_000_folder_never_stops_the_scan(tmp_path):
    # Runs as any user: as root the locked folder is read, otherwise it is reported; either way
    # the rest of the library is scanned.
    root = tmp_path / "lib"
    save(gradient(), root / "ok.jpg", "JPEG")
    save(gradient(), root / "locked" / "secret.jpg", "JPEG")
    os.chmod(root / "locked", 0)
    try:
        scanner = FolderScanner()
        found = rel(root, list(scanner.walk(str(root))))
        assert "ok.jpg" in found
        if os.geteuid() != 0:
            assert "locked/secret.jpg" not in found
    finally:
        os.chmod(root / "locked", 0o755)


def test_non_utf8_file_name_is_listed(tmp_path):
    root = tmp_path / "lib"
    save(gradient(), root / "plain.jpg", "JPEG")
    raw = os.path.join(os.fsencode(root), b"caf\xe9-\xff.jpg")  # latin-1 bytes: not UTF-8
    with open(raw, "wb") as f:
        gradient().save(f, "JPEG")
    found = list(FolderScanner().walk(str(root)))
    paths = sorted(f.path for f in found)
    assert len(paths) == 2
    weird = [p for p in paths if "plain" not in p][0]
    assert os.fsencode(weird) == raw  # surrogate-escaped str round-trips to the exact bytes
    assert stat_file(weird) is not None


def test_excluded_folder_is_not_walked(tmp_path):
    root = tmp_path / "lib"
    save(gradient(), root / "ok.jpg", "JPEG")
    save(gradient(), root / "appdata" / "thumbs" / "x.jpg", "JPEG")
    found = rel(root, list(FolderScanner(exclude=[str(root / "appdata")]).walk(str(root))))
    assert found == ["ok.jpg"]


def test_stat_file_and_candidates(tmp_path):
    p = save(gradient(), tmp_path / "x.jpeg", "JPEG")
    f = stat_file(p)
    assert f is not None and f.size == os.path.getsize(p)
    (tmp_path / "a.txt").write_text("hello")
    assert not is_image_candidate(str(tmp_path / "a.txt"))
    assert stat_file(str(tmp_path / "missing.jpg")) is None
    assert stat_file(str(tmp_path)) is None
