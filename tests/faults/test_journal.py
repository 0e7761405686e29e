"""The commit journal and the writer lock, piece by piece (the kill tests use them end to end)."""
from __future__ import annotations

import subprocess
import sys
import textwrap

from fault_helpers import REPO, child_env
from photoapp.core.consistency import CommitJournal
from photoapp.core.writer_lock import WriterLock


def test_an_unhealed_intent_is_carried_until_healed(tmp_path):
    journal = CommitJournal(tmp_path / "catalog.sqlite3.journal")
    assert journal.pending() is None
    journal.begin(["old"])  # a commit that never ended (its process died)
    fresh = CommitJournal(journal.path)  # the next process; its heal could not run
    fresh.begin(["new"])
    assert sorted(fresh.pending()) == ["new", "old"]
    fresh.end()  # its own commit is done: the old intent is still owed
    assert fresh.pending() == ["old"]


def test_torn_journal_counts_as_nothing_written(tmp_path):
    journal = CommitJournal(tmp_path / "j")
    journal.path.write_text('{"hashes": ["a"')  # killed inside the first write
    assert journal.pending() == []


def test_lock_is_reentrant_here_and_exclusive_across_processes(tmp_path):
    lock = WriterLock(tmp_path)
    holder = textwrap.dedent(f"""
        import sys, time
        from photoapp.core.writer_lock import WriterLock
        with WriterLock({str(tmp_path)!r}).hold():
            print("held", flush=True)
            sys.stdin.read()
    """)
    child = subprocess.Popen([sys.executable, "-c", holder], env=child_env(), cwd=REPO,
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "held"
        with lock.try_hold() as got:
            assert not got
        assert lock.holder() == child.pid
        assert lock.held_elsewhere() == child.pid  # what `status` reports
    finally:
        child.stdin.close()
        child.wait(30)
    assert lock.held_elsewhere() is None
    with lock.hold(), lock.hold():  # re-entrant within a process
        assert lock.held_elsewhere() is None  # our own hold is not "another photoapp"
        with lock.try_hold() as got:
            assert got
    with lock.try_hold() as got:
        assert got
