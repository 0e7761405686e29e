"""The navigation model and the listing rules, without Qt: views, history, remembered views,
and folder listings that never include sibling folders."""
from __future__ import annotations

import subprocess
import sys

from photoapp.core.records import SearchHit
from photoapp.gui.listings import fetcher, inside_folder
from photoapp.gui.navigation import (
    All,
    Cluster,
    Clusters,
    Color,
    Duplicates,
    Errors,
    Folder,
    Navigation,
    Search,
    Similar,
    Tag,
    from_key,
    to_key,
)


def test_the_navigation_modules_import_no_qt():
    code = ("import sys; import photoapp.gui.navigation, photoapp.gui.listings; "
            "print(sorted(m for m in sys.modules if m.startswith(('PySide6', 'shiboken'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_views_compare_by_value_and_say_what_they_show():
    assert Folder("/p/a") == Folder("/p/a") != Folder("/p/b")
    assert Search("dog") != Tag("dog")
    assert Cluster("3", "beach") == Cluster("3", "other name")  # the id is the identity
    assert Similar("a.jpg", target=object()) == Similar("a.jpg", target=object())
    assert {All(), All()} == {All()}
    assert all(v.shows_photos for v in (All(), Folder("/p"), Tag("t"), Color("red"), Search("x"), Cluster("1"),
                                        Similar("a")))
    assert not any(v.shows_photos for v in (Clusters(), Duplicates(), Errors()))
    assert not Similar("a").sortable and Search("x").sortable
    assert Search("x").natural_sort == "relevance" and Folder("/p").natural_sort == "date"
    assert Folder("/photos/2020/").title == "2020"
    assert Search("dog").subtitle == "for “dog”"


def test_restorable_views_round_trip_through_their_key():
    for view in (All(), Clusters(), Duplicates(), Errors(), Folder("/p/say \"cheese\""), Tag("golden retriever"),
                 Color("red"), Search("dog -cat folder:x")):
        assert from_key(to_key(view)) == view
    assert to_key(Similar("a.jpg")) is None and to_key(Cluster("4")) is None
    for junk in (None, "", "viewer", "similar", "folder:", "nonsense:x", "cluster:3"):
        assert from_key(junk) is None


def test_back_and_forward_work_like_a_browser():
    nav = Navigation()
    assert nav.back() is None and nav.current is None
    nav.go(All())
    nav.go(Folder("/p"))
    nav.go(Folder("/p"))  # the same view again: no history entry
    nav.go(Search("dog"))
    assert nav.back() == Folder("/p") and nav.current == Folder("/p")
    assert nav.back() == All()
    assert nav.back() is None and nav.current == All()
    assert nav.forward() == Folder("/p")
    nav.go(Tag("cat"))  # a new branch drops the forward history
    assert not nav.can_go_forward
    assert nav.back() == Folder("/p")
    nav.replace(Errors())  # no history entry
    assert nav.back() == All()


def test_history_is_bounded_and_forgets_removed_folders():
    nav = Navigation(limit=5)
    for i in range(20):
        nav.go(Search(str(i)))
    steps = 0
    while nav.back() is not None:
        steps += 1
    assert steps == 5
    nav = Navigation()
    for view in (All(), Folder("/p/a"), Tag("x"), Folder("/p/a/sub"), Tag("x"), Folder("/q")):
        nav.go(view)
    nav.forget(lambda v: not (isinstance(v, Folder) and v.path.startswith("/p/a")))
    assert nav.back() == Tag("x")
    assert nav.back() == All()  # the two Tag("x") entries that became neighbours are one step


class _SearchOnly:
    """A library whose folder: search matches by substring, as the query language does."""

    def __init__(self, paths):
        self.paths = paths
        self.calls = 0

    def search(self, text, limit, offset):
        self.calls += 1
        needle = text.split(":", 1)[1].strip('"')
        matches = [SearchHit(str(i), p, 1.0, [p]) for i, p in enumerate(self.paths) if needle in p]
        return matches[offset: offset + limit]


def test_a_folder_listing_never_includes_a_sibling_folder():
    paths = [f"/lib/photos2/{i}.jpg" if i % 3 else f"/lib/photos/{i}.jpg" for i in range(100)]
    paths.append("/lib/photos/sub/deep.jpg")
    library = _SearchOnly(paths)
    fetch = inside_folder(library, "/lib/photos", raw_page=7)
    pages = [fetch(0, 10)]
    while len(pages[-1]) == 10:
        pages.append(fetch(sum(map(len, pages)), 10))
    listed = [h.path for page in pages for h in page]
    assert listed == [p for p in paths if p.startswith("/lib/photos/")]
    assert len(listed) == 35
    fetch_all, _ = fetcher(library, Folder("/lib/photos2"), "date")
    assert all(h.path.startswith("/lib/photos2/") for h in fetch_all(0, 1000))


def test_a_photo_in_two_folders_is_listed_under_the_folders_copy():
    class Library:
        def search(self, text, limit, offset):
            hit = SearchHit("h", "/lib/photos2/a.jpg", 1.0, ["/lib/photos2/a.jpg", "/lib/photos/a.jpg"])
            return [hit][offset: offset + limit]

    hits = inside_folder(Library(), "/lib/photos")(0, 10)
    assert [h.path for h in hits] == ["/lib/photos/a.jpg"]
