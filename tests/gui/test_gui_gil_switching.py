"""The GUI process shortens CPython's GIL switch interval so the GUI thread is not starved by
background Python threads (see photoapp/bench/results/gui.md, "GIL convoy")."""
from __future__ import annotations

import sys

import pytest

from photoapp.gui.indexing import GUI_SWITCH_INTERVAL_S, prefer_gui_thread_switching


def test_switch_interval_is_lowered_and_never_raised():
    saved = sys.getswitchinterval()
    try:
        sys.setswitchinterval(0.005)  # CPython's default
        prefer_gui_thread_switching()
        assert sys.getswitchinterval() == pytest.approx(GUI_SWITCH_INTERVAL_S)
        assert GUI_SWITCH_INTERVAL_S < 0.005
        sys.setswitchinterval(0.0001)  # someone chose an even shorter one: keep it
        prefer_gui_thread_switching()
        assert sys.getswitchinterval() == pytest.approx(0.0001)
    finally:
        sys.setswitchinterval(saved)
