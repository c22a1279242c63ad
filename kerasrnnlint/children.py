"""The child processes of a run, so that none outlives it.

A run starts children: the worker processes of the lint pool (:mod:`kerasrnnlint.runner`) and the
probe child (:mod:`kerasrnnlint.probe.runner`). When the run is stopped, by Ctrl-C, a supervisor's
SIGTERM or a closed terminal's SIGHUP, :func:`kill_all` kills them before the run exits, and the
run exits as a process killed by that signal would (status 128 + N), as shells expect. A child
started with ``subprocess`` is known by :func:`register` (and forgotten by :func:`unregister`);
the ``multiprocessing`` children (pool workers) are found by ``multiprocessing.active_children``.

A ``kill -9`` of the run cannot be caught: against that, children watch their parent themselves
(:func:`die_with_parent`, called first thing in a child).
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Protocol, TypeVar

T = TypeVar("T")


class _Killable(Protocol):
    def kill(self) -> None: ...


_registered: set[_Killable] = set()
_lock = threading.Lock()
CAUGHT: tuple[signal.Signals, ...] = tuple(
    getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name)
)


class Terminated(BaseException):
    """The run got a termination signal (raised in the main thread, so that ``finally`` blocks
    and context managers clean up: temporary files, the process pool)."""

    def __init__(self, signum: int) -> None:
        super().__init__(f"terminated by signal {signum}")
        self.signum = signum


def register(child: _Killable) -> None:
    """Kill ``child`` (a ``subprocess.Popen``, anything with ``kill()``) if the run is stopped."""
    with _lock:
        _registered.add(child)


def unregister(child: _Killable) -> None:
    with _lock:
        _registered.discard(child)


def kill_all() -> None:
    """Kill every child this run started; never raises."""
    with _lock:
        children = list(_registered)
    if "multiprocessing" in sys.modules:
        import multiprocessing

        with contextlib.suppress(Exception):
            children += multiprocessing.active_children()
    for child in children:
        with contextlib.suppress(Exception):
            child.kill()


def _on_signal(signum: int, frame: object) -> None:
    kill_all()
    raise Terminated(signum)


@contextlib.contextmanager
def stopped_by_signals() -> Iterator[None]:
    """While inside: SIGTERM and SIGHUP kill the children and raise :class:`Terminated` (the
    main thread only; elsewhere signal handlers cannot be set and nothing changes)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {signum: signal.getsignal(signum) for signum in CAUGHT}
    for signum in CAUGHT:
        signal.signal(signum, _on_signal)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def exit_by_signal(signum: int) -> int:
    """Die of ``signum`` as if it had not been caught (the status a shell or supervisor expects);
    returns 128 + ``signum`` where the signal cannot be re-raised."""
    kill_all()
    with contextlib.suppress(OSError, ValueError, AttributeError):
        sys.stdout.flush()
    with contextlib.suppress(OSError, ValueError, AttributeError):
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)
    return 128 + signum


def default_signals() -> None:
    """In a forked child: the default action for the signals the run catches (the child must
    die of them, not raise the run's :class:`Terminated` in the middle of its work)."""
    for signum in CAUGHT:
        with contextlib.suppress(OSError, ValueError):
            signal.signal(signum, signal.SIG_DFL)


def die_with_parent(parent: int) -> None:
    """Called first thing in a child: die when the parent ``parent`` (a pid) dies, even of
    ``kill -9``. Linux: the kernel sends SIGKILL (``PR_SET_PDEATHSIG``); elsewhere a thread
    watches the parent pid. Already orphaned: exit now."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(Exception):
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            pr_set_pdeathsig = 1
            libc.prctl(pr_set_pdeathsig, int(signal.SIGKILL), 0, 0, 0)
    else:
        threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()
    if os.getppid() != parent:  # the parent died before the watch was set
        os._exit(1)


def _watch_parent(parent: int) -> None:
    import time

    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(1)


# --------------------------------------------------------------------------------------------------
# A call in a forked child
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChildDied:
    """A forked call gave no result: killed by ``signal`` (its name), or exited with ``status``."""

    signal: str | None = None
    status: int | None = None


class _Forked:
    def __init__(self, pid: int) -> None:
        self.pid = pid

    def kill(self) -> None:
        os.kill(self.pid, signal.SIGKILL)


def call_forked(function: Callable[..., T], *args: object) -> T | ChildDied:
    """``function(*args)`` in a forked child, its (picklable) result sent back through a pipe:
    a native crash there (an abort, a segfault, memory running out) kills the child only. The
    child dies with this process and is killed by :func:`kill_all`. Only where ``os.fork``
    exists, and not from a thread (forking a threaded process is unsafe)."""
    import pickle

    parent = os.getpid()
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: call, send the result, never return into the caller
        try:
            os.close(read_end)
            die_with_parent(parent)
            default_signals()
            data = pickle.dumps(function(*args))
            with os.fdopen(write_end, "wb") as out:
                out.write(data)
        finally:
            os._exit(0)
    os.close(write_end)
    child = _Forked(pid)
    register(child)
    try:
        with os.fdopen(read_end, "rb") as incoming:
            data = incoming.read()
        _, status = os.waitpid(pid, 0)
    finally:
        unregister(child)
    if data:
        with contextlib.suppress(Exception):
            result: T = pickle.loads(data)
            return result
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        try:
            name = signal.Signals(number).name
        except ValueError:
            name = f"signal {number}"
        return ChildDied(signal=name)
    return ChildDied(status=os.WEXITSTATUS(status))
