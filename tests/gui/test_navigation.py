"""The navigation model and the listing rules, without Qt: views, history, remembered views,
and views listed through the core's typed listings, not query text."""
from __future__ import annotations

import subprocess
import sys

from photoapp.gui.listings import fetcher
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
    assert Tag("t").has_relevance and Color("red").has_relevance and not Folder("/p").has_relevance
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


class _Recorder:
    """Records what the window asks the library for."""

    def __init__(self):
        self.calls = []

    def __getattr__(self, name):
        return lambda *args: self.calls.append((name, *args)) or []


def test_views_list_through_typed_listings_never_through_query_text():
    from photoapp.core.query import listing

    library = _Recorder()
    for view, sort in ((Folder('/p/say "cheese"'), "name"), (Tag("golden retriever"), "relevance"),
                       (Color("red"), "date"), (Cluster("7", "beach"), "date"), (All(), "relevance"),
                       (Search("dog -cat"), "date")):
        fetcher(library, view, sort)(0, 50)
    assert library.calls == [
        ("list_photos", listing.Folder('/p/say "cheese"'), "name", 50, 0),
        ("list_photos", listing.Tag("golden retriever"), "relevance", 50, 0),
        ("list_photos", listing.Color("red"), "date", 50, 0),
        ("list_photos", listing.Cluster(7), "date", 50, 0),
        ("all_photos", "date", 50, 0),  # All photos has no relevance order
        ("search", "dog -cat", 50, 0),  # only a search is query text
    ]


def test_a_photo_kept_in_two_folders_shows_as_the_folders_copy():
    from photoapp.core.records import SearchHit

    class Library:
        def list_photos(self, listing, sort, limit, offset):
            return [SearchHit("h", "/lib/photos/a.jpg", 0.0, ["/lib/photos/a.jpg", "/lib/photos2/a.jpg"])]

    assert [h.path for h in fetcher(Library(), Folder("/lib/photos2"), "date")(0, 10)] == ["/lib/photos2/a.jpg"]
    assert [h.path for h in fetcher(Library(), Folder("/lib/photos"), "date")(0, 10)] == ["/lib/photos/a.jpg"]
