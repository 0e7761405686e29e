"""Python's cycle collector runs on the GUI thread while a TaskRunner is open (gui/main_thread_gc.py):
a worker thread that allocates heavily never collects, so Qt objects in cyclic garbage are not
destroyed off their thread."""
from __future__ import annotations

import gc
import threading

from photoapp.gui import main_thread_gc
from photoapp.gui.workers import TaskRunner


class Cycle:
    def __init__(self):
        self.me = self


def test_collection_happens_on_the_gui_thread_only_while_a_runner_is_open(qtbot):
    threads: list[int] = []

    def note(phase, info):
        if phase == "start":
            threads.append(threading.get_ident())

    gc.callbacks.append(note)
    try:
        assert gc.isenabled() and not main_thread_gc.active(), "a runner of an earlier test was left open"
        runner = TaskRunner(max_threads=2)
        assert not gc.isenabled() and main_thread_gc.active()
        done = []
        # a worker that makes far more cyclic garbage than the first generation's threshold
        runner.submit(lambda: [Cycle() for _ in range(50 * gc.get_threshold()[0])], on_result=done.append)
        qtbot.waitUntil(lambda: bool(done), timeout=20000)
        assert len(done[0]) > 0
        worker_collections = [t for t in threads if t != threading.get_ident()]
        assert worker_collections == [], "the worker thread ran the cycle collector"
        # the GUI thread's timer collects what the worker left behind
        del done[:]
        qtbot.waitUntil(lambda: threading.get_ident() in threads, timeout=5000)
        runner.close()
        assert gc.isenabled() and not main_thread_gc.active()
    finally:
        gc.callbacks.remove(note)
        gc.enable()


def test_two_runners_share_one_collector_and_the_last_hands_collection_back(qtbot):
    first, second = TaskRunner(), TaskRunner()
    assert not gc.isenabled()
    first.close()
    first.close()  # closing twice releases once
    assert not gc.isenabled() and main_thread_gc.active()
    second.close()
    assert gc.isenabled() and not main_thread_gc.active()
