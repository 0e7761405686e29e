"""Cold start of the desktop app to a visible window: the standalone build vs the venv.

Each run starts ``<launcher> gui`` on a private Xvfb display (the real xcb platform plugin, not
offscreen) with a fresh HOME and an empty library, and times spawn -> the main window mapped and
viewable (``xdotool search --onlyvisible`` polled every 10 ms; the first paint follows the map
at once). Runs alternate between the launchers so machine load hits both alike. Needs Xvfb and
xdotool (Debian ``xvfb xdotool``).

    python -m photoapp.bench.standalone_start --runs 5 dist/photoapp-linux/photoapp .venv/bin/photoapp
"""
from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

def start_xvfb() -> tuple[subprocess.Popen, str]:
    """A private X server on a free display number (Xvfb picks it: -displayfd)."""
    read_fd, write_fd = os.pipe()
    # -noreset: by default an X server resets when its last client leaves, and a client that
    # connects during the reset is refused. The polling below and xdotool's searches connect and
    # leave many times a second, so the app's own connection raced those resets ("could not
    # connect to display :0", then Qt aborts), in CI about one start in three.
    xvfb = subprocess.Popen(["Xvfb", "-displayfd", str(write_fd), "-screen", "0", "1600x1000x24",
                             "-nolisten", "tcp", "-noreset"], pass_fds=(write_fd,),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write_fd)
    with os.fdopen(read_fd) as f:
        number = f.readline().strip()
    if not number:
        xvfb.kill()
        raise RuntimeError("Xvfb did not start")
    display = f":{number}"
    # Xvfb names the display once it listens; wait until a client really gets in all the same.
    deadline = time.monotonic() + 15
    while subprocess.run(["xdotool", "getdisplaygeometry"], env={**os.environ, "DISPLAY": display},
                         capture_output=True).returncode != 0:
        if time.monotonic() > deadline or xvfb.poll() is not None:
            xvfb.kill()
            raise RuntimeError(f"Xvfb on {display} accepts no connection")
        time.sleep(0.05)
    return xvfb, display


def time_to_window(launcher: str, display: str, timeout_s: float = 60) -> float:
    with tempfile.TemporaryDirectory() as home:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PHOTOAPP_", "QT_"))}
        env.update(HOME=home, DISPLAY=display, QT_QPA_PLATFORM="xcb")
        log_path = os.path.join(home, "gui.log")  # what the app said, for a start that fails
        log = open(log_path, "wb")
        t0 = time.perf_counter()
        app = subprocess.Popen([launcher, "gui"], env=env, stdout=log, stderr=subprocess.STDOUT,
                               start_new_session=True)
        try:
            # Poll every 10 ms (xdotool's own --sync polls every 500 ms: too coarse).
            while time.perf_counter() - t0 < timeout_s:
                found = subprocess.run(["xdotool", "search", "--onlyvisible", "--pid", str(app.pid)],
                                       env=env, capture_output=True)
                if found.returncode == 0 and found.stdout.strip():
                    return time.perf_counter() - t0
                if app.poll() is not None:
                    log.flush()
                    with open(log_path, "rb") as said:
                        tail = said.read()[-2000:].decode("utf-8", "replace")
                    raise RuntimeError(f"{launcher} gui exited with {app.returncode}; it said:\n{tail}")
                time.sleep(0.01)
            raise RuntimeError(f"{launcher}: no window after {timeout_s} s")
        finally:
            log.close()
            with contextlib.suppress(ProcessLookupError):  # it may have exited already
                os.killpg(app.pid, signal.SIGTERM)
            try:
                app.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(app.pid, signal.SIGKILL)
                app.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("launchers", nargs="+", help="photoapp executables to compare")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    for tool in ("Xvfb", "xdotool"):
        if shutil.which(tool) is None:
            parser.error(f"{tool} is not installed (apt-get install xvfb xdotool)")
    xvfb, display = start_xvfb()
    times: dict[str, list[float]] = {launcher: [] for launcher in args.launchers}
    try:
        for _ in range(args.runs):
            for launcher in args.launchers:
                times[launcher].append(time_to_window(launcher, display))
    finally:
        xvfb.terminate()
        xvfb.wait()
    print(f"| launcher | runs | median s | min s | max s |  (load average {os.getloadavg()[0]:.1f})")
    print("|---|---:|---:|---:|---:|")
    for launcher, ts in times.items():
        print(f"| {launcher} | {len(ts)} | {statistics.median(ts):.2f} | {min(ts):.2f} | {max(ts):.2f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
