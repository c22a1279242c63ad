"""The probe child process, started by :mod:`kerasrnnlint.probe.runner` with :data:`BOOT`.

Reads one JSON request on stdin: ``{"backend", "timeout", "total", "jobs": [{"id", "spec",
"fixes": {key: spec}}]}`` (``timeout``: seconds per run, null to run each to its verdict or step
limit; ``total``: seconds left for the whole batch, or null). Writes one JSON object per line on
stdout, flushed as it goes, so the parent can enforce budgets and kill a hung child:

* ``{"event": "unavailable", "backend", "message"}``: Keras or its backend cannot be imported here;
  nothing else follows;
* ``{"event": "ready", "keras", "backend", "backend_version", "device"}`` once they are imported;
* ``{"event": "start", "id", "run"}`` before each training run (``run``: ``"base"`` or a fix key);
* ``{"event": "estimate", "id", "run", "first", "second", "steps", "seconds"}`` after the second
  step of a run that goes on: the first (traced) and second step's seconds, the run's step limit
  and the time it takes to reach it;
* ``{"event": "step", "id", "run", "step"}`` now and then while a run goes on (it is alive);
* ``{"event": "run", "id", "run", "result"}`` after it;
* ``{"event": "done", "id"}`` after a job (its fix runs follow a confirmed base run only).

Before Keras is imported, ``KERAS_BACKEND`` is set to the request's backend (Keras fixes its
backend at import). The child dies with its parent (``prctl(PR_SET_PDEATHSIG)`` on Linux, and a
thread that watches the parent everywhere). Anything Keras or its backend prints goes to stderr:
the protocol has stdout to itself.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from typing import Any, TextIO

PARENT_ENV = "KERASRNNLINT_PROBE_PARENT"  # the pid of the process that started the child
# Tests: "1" turns the parent watch off, to show that the run's signal handlers kill the child.
TEST_NO_WATCH_ENV = "KERASRNNLINT_PROBE_TEST_NO_PARENT_WATCH"
HEARTBEAT = 5.0  # seconds between "step" events of a long run

# The command the runner starts: ``python -c BOOT``. The working directory (``''`` on sys.path
# for ``-c``) is dropped before anything is imported from sys.path, so that no file of the scanned
# project (``json.py``, ``keras.py``...) can shadow a module; kerasrnnlint comes from PYTHONPATH.
BOOT = (
    "import sys; sys.path[:] = [p for p in sys.path if p not in ('', '.')]; "
    "from kerasrnnlint.probe.child import main; raise SystemExit(main())"
)


def die_with_parent() -> None:
    """Exit when the parent process dies, even by ``kill -9``: a parent-death signal (Linux),
    plus a thread that polls the parent's pid (every platform, and the race before the prctl)."""
    parent = int(os.environ.get(PARENT_ENV) or 0)
    if os.environ.get(TEST_NO_WATCH_ENV) == "1":
        return
    if sys.platform.startswith("linux"):
        try:
            import ctypes
            import signal

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, int(signal.SIGKILL), 0, 0, 0)  # PR_SET_PDEATHSIG = 1
        except (OSError, AttributeError):  # pragma: no cover - a libc without prctl
            pass
    if not parent:
        return
    if os.getppid() != parent:  # the parent died before the signal was armed
        os._exit(1)

    def watch() -> None:
        while True:
            time.sleep(1.0)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch, daemon=True, name="kerasrnnlint-parent-watch").start()


def _emit(out: TextIO, **event: Any) -> None:
    out.write(json.dumps(event) + "\n")
    out.flush()


def _seconds(value: object) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        return float(value)
    return None


def main() -> int:
    die_with_parent()
    started = time.monotonic()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    protocol = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)  # stray prints from Keras or its backend cannot corrupt the protocol
    sys.stdout = sys.stderr
    request = json.loads(sys.stdin.read() or "{}")
    backend = str(request.get("backend") or "tensorflow")
    os.environ["KERAS_BACKEND"] = backend
    try:
        import importlib

        importlib.import_module(backend)
        import keras
    except ImportError as exc:
        why = f"{type(exc).__name__}: {exc}"
        _emit(protocol, event="unavailable", backend=backend, message=why)
        return 0

    from kerasrnnlint.probe import spec as specs
    from kerasrnnlint.probe import trainer

    actual = trainer.backend_name()
    if actual != backend:  # pragma: no cover - Keras imported before KERAS_BACKEND was set
        why = f"Keras runs on {actual}, not {backend}"
        _emit(protocol, event="unavailable", backend=backend, message=why)
        return 0
    _emit(
        protocol,
        event="ready",
        keras=keras.__version__,
        backend=backend,
        backend_version=trainer.backend_version(backend),
        device=trainer.device_name(backend),
    )
    timeout = _seconds(request.get("timeout"))
    total = _seconds(request.get("total"))
    memo: dict[str, dict[str, Any]] = {}

    def run(job_id: str, name: str, spec: dict[str, Any]) -> dict[str, Any]:
        key = specs.spec_key(spec, {})
        if key in memo:
            return memo[key]
        budget = timeout
        if total is not None:
            left = max(total - (time.monotonic() - started), 0.001)
            budget = left if budget is None else min(budget, left)
        last = [time.monotonic()]
        first: list[float] = []

        def progress(step: int, seconds: float) -> None:
            if step == 1:
                first.append(seconds)
            elif step == 2 and first:
                limit = int(spec.get("max_steps") or 0)
                whole = trainer.expected_seconds(first[0], seconds, limit)
                _emit(
                    protocol,
                    event="estimate",
                    id=job_id,
                    run=name,
                    first=first[0],
                    second=seconds,
                    steps=limit,
                    seconds=whole,
                )
                last[0] = time.monotonic()
            elif time.monotonic() - last[0] >= HEARTBEAT:
                _emit(protocol, event="step", id=job_id, run=name, step=step)
                last[0] = time.monotonic()

        result = trainer.run_spec(spec, budget, isolated=True, progress=progress)
        memo[key] = {**result, "tier": spec.get("tier", "")}
        return memo[key]

    for job in request.get("jobs", []):
        job_id = job["id"]
        _emit(protocol, event="start", id=job_id, run="base")
        base = run(job_id, "base", job["spec"])
        _emit(protocol, event="run", id=job_id, run="base", result=base)
        if base["verdict"] == "confirmed":
            for fix_key, fix_spec in job.get("fixes", {}).items():
                spec = specs.fix_run(fix_spec, base)
                _emit(protocol, event="start", id=job_id, run=fix_key)
                result = run(job_id, fix_key, spec)
                _emit(protocol, event="run", id=job_id, run=fix_key, result=result)
        _emit(protocol, event="done", id=job_id)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
