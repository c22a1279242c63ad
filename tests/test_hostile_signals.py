"""A run stopped from outside leaves no process behind.

``kill -9`` of a run whose process pool is working must not leave the workers blocked forever
(they watch their parent); SIGTERM, SIGHUP and SIGINT sent to the run alone (a supervisor, a
closed terminal) kill its children, and the run exits as that signal's conventional status.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import ROOT

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")

# Enough parsing (about 0.2 s a file, more than the pool threshold of 64 files) to keep two
# workers busy for a while.
BODY = "from keras.layers import LSTM\n" + "".join(
    f"layer_{i} = LSTM({i + 1}, activation='relu', name='l{i}')\n" for i in range(400)
)


@pytest.fixture
def busy_project(tmp_path: Path) -> Path:
    for index in range(160):
        (tmp_path / f"m{index:03}.py").write_text(BODY, encoding="utf-8")
    return tmp_path


def children_of(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found |= {int(p) for p in (task / "children").read_text().split()}
        except OSError:
            continue
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def start(project: Path) -> tuple[subprocess.Popen[bytes], set[int]]:
    env = {**os.environ, "NO_COLOR": "1", "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "kerasrnnlint", ".", "-j", "2", "-q"],
        cwd=project,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
        start_new_session=True,  # a signal to the run reaches it alone, not a process group
    )
    deadline = time.monotonic() + 60
    workers: set[int] = set()
    while time.monotonic() < deadline and len(workers) < 2:
        workers = children_of(proc.pid)
        time.sleep(0.05)
    if len(workers) < 2:
        proc.kill()
        pytest.fail("the run started no worker processes")
    time.sleep(0.5)  # the workers are now parsing
    return proc, workers


def gone_within(pids: set[int], seconds: float) -> set[int]:
    """The pids still alive after ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        left = {pid for pid in pids if alive(pid)}
        if not left:
            return set()
        time.sleep(0.1)
    return {pid for pid in pids if alive(pid)}


def cleanup(pids: set[int]) -> None:
    for pid in pids:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)


def test_kill_9_of_the_run_does_not_leave_workers_behind(busy_project: Path) -> None:
    proc, workers = start(busy_project)
    proc.kill()
    proc.wait(30)
    left = gone_within(workers, 15)
    cleanup(left)
    assert not left, f"workers {left} outlived the killed run"


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
def test_signal_to_the_run_kills_its_children_and_exits_conventionally(
    busy_project: Path, signum: signal.Signals
) -> None:
    proc, workers = start(busy_project)
    os.kill(proc.pid, signum)
    try:
        status = proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
    left = gone_within(workers, 15)
    cleanup(left)
    assert not left, f"workers {left} outlived the stopped run"
    if signum == signal.SIGINT:
        assert status == 130, proc.stderr.read() if proc.stderr else status
    else:
        assert status == -signum  # died of the signal, as an uncaught one would
    err = proc.stderr.read().decode() if proc.stderr else ""
    assert "Traceback" not in err, err
