"""Running probes from the lint process: specs, cache, one child process per batch, budgets.

Never imports Keras or a backend: it finds out which backend to train on
(:mod:`kerasrnnlint.probe.backends`) and whether the child's interpreter has it (without importing
it), sends every distinct configuration to the child (:mod:`kerasrnnlint.probe.child`) in one
request and reads the child's events line by line. A stress run has ``options.timeout`` seconds
(30 by default) plus a grace; a replay run without ``--probe-timeout`` times its first two steps,
says how long it will take and runs to its verdict or its step limit, killed only when no step
finishes for a long while. A child that overruns is killed, its run gets ``timeout``, and a fresh
child takes the remaining jobs while the total budget lasts. The child dies with this process, and
SIGINT, SIGTERM and SIGHUP sent to this process kill it first.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import importlib.util
import json
import math
import os
import queue
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import IO, Any

import kerasrnnlint
from kerasrnnlint.findings import Fix
from kerasrnnlint.ir import RecurrentLayer
from kerasrnnlint.probe import ProbeOptions, ProbeResult, backends, cache
from kerasrnnlint.probe import spec as specs
from kerasrnnlint.probe.child import BOOT, PARENT_ENV
from kerasrnnlint.probe.trainer import STRESS_BUDGET, describe_fix, duration, to_result

INSTALL_HINT = backends.INSTALL_HINTS["tensorflow"]
STARTUP_ALLOWANCE = 90.0  # seconds for the child to import Keras and its backend
STRESS_TOTAL = 600.0  # seconds for a stress batch when no total budget is given
FIRST_STEPS_ALLOWANCE = 900.0  # replay without a timeout: seconds for a run's first two steps
SILENCE_MIN = 120.0  # replay without a timeout: a child with no finished step for this long hangs
SILENCE_STEPS = 20  # ... or for this many times its step time, when that is longer
ANNOUNCE_AFTER = 10.0  # replay without a timeout: say how long a fix run takes from this long
BACKEND_NAMES = {"tensorflow": "TensorFlow", "jax": "JAX", "torch": "PyTorch"}
SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)

_INFO_SCRIPT = """
import importlib.metadata, importlib.util, json, sys
def version(name):
    try:
        return importlib.metadata.version(name)
    except Exception:
        pass
    try:
        for dist in importlib.metadata.packages_distributions().get(name, []):
            return importlib.metadata.version(dist)
    except Exception:
        pass
    return None
def installed(name):
    try: return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError): return False
names = ("keras", "tensorflow", "jax", "torch")
found = {n: installed(n) for n in names}
print(json.dumps({"found": found, "versions": {n: version(n) for n in names if found[n]},
                  "python": sys.version.split()[0]}))
"""

Announce = Callable[[str], None]


@dataclass(frozen=True)
class ProbeRequest:
    """One layer to probe: ``code`` ``"KRL004"`` puts its producer in front; ``fix`` is verified
    after a ``confirmed`` verdict."""

    layer: RecurrentLayer
    code: str | None = None
    fix: Fix | None = None
    normalize_input: bool = False  # a LayerNormalization in front of the layer in every run


@dataclass
class _Plan:
    """A request, turned into specs and keys."""

    defaults_used: tuple[str, ...] = ()
    spec: dict[str, Any] | None = None
    base_key: str | None = None
    fix_key: str | None = None
    fix_spec: dict[str, Any] | None = None
    result: ProbeResult | None = None


@dataclass
class _Job:
    key: str
    spec: dict[str, Any]
    label: str = ""  # the layer, for people ("train.py:12:5: LSTM")
    fixes: dict[str, dict[str, Any]] = field(default_factory=dict)
    fix_labels: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"id": self.key, "key": self.key, "spec": self.spec, "fixes": self.fixes}


@dataclass
class _Outcome:
    runs: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    failures: dict[tuple[str, str], tuple[str, str]] = field(default_factory=dict)  # verdict, why
    done: set[str] = field(default_factory=set)  # job keys that need no more child time
    unavailable: str | None = None
    device: str = ""

    def fail(self, key: tuple[str, str], verdict: str, why: str) -> None:
        self.failures[key] = (verdict, why)
        self.done.add(key[0])


@dataclass(frozen=True)
class _Budget:
    """What the parent enforces: seconds per run (None: replay to its verdict or step limit)
    and the deadline of the whole batch (``time.monotonic()``; None: none)."""

    run: float | None
    deadline: float | None
    total: float | None

    def left(self) -> float | None:
        return None if self.deadline is None else max(self.deadline - time.monotonic(), 0.0)


def run_timeout(options: ProbeOptions) -> float | None:
    """Seconds per training run: ``--probe-timeout``, else 30 for stress, else None (replay
    sizes its budget from its first steps and runs to its verdict or its step limit)."""
    if options.timeout is not None:
        return options.timeout
    return STRESS_BUDGET if options.mode == "stress" else None


def total_timeout(options: ProbeOptions) -> float | None:
    """Seconds for the whole batch: ``--probe-total-timeout``, else 600 for stress, else None
    (each replay run is bounded by its own step limit or ``--probe-timeout``)."""
    if options.total_timeout is not None:
        return options.total_timeout
    return STRESS_TOTAL if options.mode == "stress" else None


def package_root() -> str:
    """The folder holding the ``kerasrnnlint`` package: the child's working directory and first
    import path, so that no file in the user's project (``keras.py``...) can shadow a module."""
    return str(Path(kerasrnnlint.__file__).resolve().parent.parent)


def child_python(options: ProbeOptions) -> str:
    return options.python or sys.executable


def child_env(options: ProbeOptions, backend: str = "tensorflow") -> dict[str, str]:
    """The child's environment: the Keras backend, quiet TensorFlow, JAX that does not take the
    whole GPU, the device choice, this package importable, this process's pid to die with."""
    env = dict(os.environ)
    env["KERAS_BACKEND"] = backend
    env["TF_CPP_MIN_LOG_LEVEL"] = "3"
    env["TF_ENABLE_ONEDNN_OPTS"] = "0"
    env["XLA_PYTHON_CLIENT_PREALLOCATE"] = "false"
    env["PYTHONUNBUFFERED"] = "1"
    env[PARENT_ENV] = str(os.getpid())
    if backend == "torch" and "OMP_NUM_THREADS" not in env:
        # PyTorch's OpenMP pool takes every core; on a busy machine that oversubscription made a
        # probe step about 10x slower. Half the cores (at least one) unless the user says.
        env["OMP_NUM_THREADS"] = str(max(1, (os.cpu_count() or 1) // 2))
    if options.device == "cpu":
        env["CUDA_VISIBLE_DEVICES"] = "-1"
        env["JAX_PLATFORMS"] = "cpu"
    paths = [package_root(), *os.environ.get("PYTHONPATH", "").split(os.pathsep)]
    # Relative entries (".") would name the child's working directory: only absolute ones.
    env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(p for p in paths if os.path.isabs(p)))
    return env


def _local_info() -> dict[str, Any]:
    """:data:`_INFO_SCRIPT`'s answer for this interpreter, without a subprocess."""
    names = ("keras", "tensorflow", "jax", "torch")
    found = {}
    for name in names:
        try:
            found[name] = importlib.util.find_spec(name) is not None
        except (ImportError, ValueError):
            found[name] = False
    versions: dict[str, str | None] = {}
    for name in names:
        if not found[name]:
            continue
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            dists = importlib.metadata.packages_distributions().get(name, [])
            versions[name] = importlib.metadata.version(dists[0]) if dists else None
    return {"found": found, "versions": versions, "python": sys.version.split()[0]}


def interpreter_info(python: str, env: dict[str, str]) -> dict[str, Any]:
    """Which of Keras, TensorFlow, JAX and PyTorch ``python`` has, and their versions (found
    with ``importlib.util.find_spec``, never imported)."""
    if python == sys.executable:
        return _local_info()
    try:
        done = subprocess.run(
            [python, "-c", _INFO_SCRIPT],
            capture_output=True,
            text=True,
            timeout=60,
            env=env,
            cwd=package_root(),
            check=False,
        )
        info = json.loads(done.stdout)
    except (OSError, subprocess.SubprocessError, ValueError) as exc:
        return {"error": f"cannot run {python}: {exc}"}
    return info if isinstance(info, dict) else {"error": f"cannot run {python}"}


def unavailable_note(python: str, why: str, backend: str = "tensorflow") -> str:
    hint = backends.INSTALL_HINTS.get(backend, INSTALL_HINT)
    return (
        f"probe: the {backend} backend of Keras is not available to {python} ({why}); the "
        f"findings are reported without a probe. Install it with: {hint}"
    )


def _say(text: str) -> None:
    print(f"kerasrnnlint: {text}", file=sys.stderr, flush=True)


def probe_batch(
    requests: Sequence[ProbeRequest],
    options: ProbeOptions,
    *,
    progress: bool | None = None,
    announce: Announce | None = None,
) -> tuple[list[ProbeResult], list[str]]:
    """Probe every request, one child process for the batch. Returns one result per request (in
    order) and notes for the user (at most one saying how to install the backend).
    ``announce`` (default: print to stderr) is told, as it happens, how long a replay run
    without ``--probe-timeout`` will take, once its first two steps are timed."""
    started = time.monotonic()
    mode = options.mode
    plans = [_plan(request, mode, options.max_steps) for request in requests]
    todo = [p for p in plans if p.result is None]
    notes: list[str] = []
    if not todo:
        return [p.result or _missing(mode) for p in plans], notes

    setup = prepare(options)
    if isinstance(setup, _Unavailable):
        notes.append(setup.note)
        return [p.result or setup.result(mode) for p in plans], notes
    python, backend, env, environment = setup.python, setup.backend, setup.env, setup.environment
    jobs: dict[str, _Job] = {}
    for plan, request in zip(plans, requests, strict=True):
        if plan.result is not None:
            continue
        assert plan.spec is not None
        plan.base_key = specs.spec_key(plan.spec, environment)
        label = f"{request.layer.location.display()}: {request.layer.display_name}"
        job = jobs.setdefault(plan.base_key, _Job(plan.base_key, plan.spec, label))
        if plan.fix_spec is not None and request.fix is not None:
            plan.fix_key = specs.spec_key(plan.fix_spec, environment)
            job.fixes[plan.fix_key] = plan.fix_spec
            job.fix_labels[plan.fix_key] = describe_fix(request.fix)

    outcome_runs = _Outcome()
    needed: list[_Job] = []
    for job in jobs.values():
        if options.cache and _load_cached(job, environment, outcome_runs):
            continue
        needed.append(job)
    if needed:
        total = total_timeout(options)
        budget = _Budget(run_timeout(options), None if total is None else started + total, total)
        with _progress_bar(len(needed), progress, announce) as (advance, say):
            fresh = _run_children(needed, options, python, env, budget, advance, say)
        if fresh.unavailable is not None:
            gone = _Unavailable(
                unavailable_note(python, fresh.unavailable, backend), backend, python
            )
            notes.append(gone.note)
            return [p.result or gone.result(mode) for p in plans], notes
        if options.cache:
            _store(fresh, jobs, environment)
        outcome_runs.runs.update(fresh.runs)
        outcome_runs.failures.update(fresh.failures)
        outcome_runs.device = fresh.device
        if options.device == "gpu" and fresh.device == "cpu":
            name = BACKEND_NAMES.get(backend, backend)
            notes.append(f"probe: --probe-device gpu, but {name} sees no GPU: probed on cpu")
    cached_keys = {job.key for job in jobs.values()} - {job.key for job in needed}
    results = [
        _result(plan, request, outcome_runs, mode, plan.base_key in cached_keys, backend)
        for plan, request in zip(plans, requests, strict=True)
    ]
    return results, notes


@dataclass(frozen=True)
class _Setup:
    """How the batch runs: the child's interpreter, backend and environment, and what besides a
    spec decides its result (part of each cache key)."""

    python: str
    backend: str
    env: dict[str, str]
    environment: dict[str, Any]


@dataclass(frozen=True)
class _Unavailable:
    """Why no probe can run (said once, in ``note``)."""

    note: str
    backend: str
    python: str

    def result(self, mode: str) -> ProbeResult:
        message = (
            f"the {self.backend} backend of Keras is not available to {self.python} (see the note)"
        )
        return ProbeResult(verdict="unavailable", tier=mode, message=message, backend=self.backend)


def prepare(options: ProbeOptions) -> _Setup | _Unavailable:
    """The backend the probe trains on (``options.backend``; auto: the one Keras would use) and
    whether the child's interpreter has it and Keras, found without importing either."""
    python = child_python(options)
    info = interpreter_info(python, child_env(options))
    found = info.get("found") or {}
    chosen = backends.resolve(options.backend, os.environ, found)
    backend = chosen.backend
    if chosen.problem is not None:
        return _Unavailable(f"probe: {chosen.problem}", backend, python)
    if "error" in info or not (found.get(backend) and found.get("keras")):
        missing = [n for n in ("keras", backend) if not found.get(n)]
        why = str(info.get("error") or f"{' and '.join(missing)} not installed")
        if options.backend == "auto":
            why = f"{why}; backend from {chosen.source}"
        others = [b for b in backends.BACKENDS if b != backend and found.get(b)]
        if others and found.get("keras"):
            why += f"; {others[0]} is installed: --probe-backend {others[0]}"
        return _Unavailable(unavailable_note(python, why, backend), backend, python)
    env = child_env(options, backend)
    versions = info.get("versions") or {}
    environment = {
        "keras": versions.get("keras"),
        "backend": backend,
        "backend_version": versions.get(backend),
        "device": options.device,
        "cuda_visible_devices": env.get("CUDA_VISIBLE_DEVICES"),
    }
    return _Setup(python, backend, env, environment)


def cache_keys(requests: Sequence[ProbeRequest], options: ProbeOptions) -> list[str | None]:
    """The cache key of each request's base run (None: nothing to run, or no backend)."""
    setup = prepare(options)
    keys: list[str | None] = []
    for request in requests:
        spec = _plan(request, options.mode, options.max_steps).spec
        if spec is None or isinstance(setup, _Unavailable):
            keys.append(None)
        else:
            keys.append(specs.spec_key(spec, setup.environment))
    return keys


def _missing(mode: str) -> ProbeResult:
    return ProbeResult(verdict="error", tier=mode, message="no result")


def _plan(request: ProbeRequest, mode: specs.Mode, max_steps: int | None) -> _Plan:
    with_producer = request.code == "KRL004"
    outcome = specs.build_spec(
        request.layer, mode, with_producer=with_producer, normalize=request.normalize_input
    )
    if outcome.spec is not None and max_steps is not None:
        outcome.spec["max_steps"] = max_steps
    if outcome.spec is None:
        why = outcome.unknown or "cannot be rebuilt"
        return _Plan(result=ProbeResult(verdict="unknown", tier=mode, message=why))
    plan = _Plan(defaults_used=outcome.defaults_used, spec=outcome.spec)
    fix = request.fix
    if fix is not None and (fix.changes or fix.normalize_input):
        fixed = specs.fix_spec(request.layer, fix, mode, with_producer=with_producer)
        if fixed.spec is not None and request.normalize_input:
            fixed.spec["normalize"] = True
        if fixed.spec is not None and max_steps is not None:
            fixed.spec["max_steps"] = max_steps
        if fixed.spec is not None and fixed.spec != outcome.spec:
            plan.fix_spec = fixed.spec
    return plan


def _fix_run_key(fix_spec: dict[str, Any], base: dict[str, Any], environment: Any) -> str:
    return specs.spec_key(specs.fix_run(fix_spec, base), environment)


def _load_cached(job: _Job, environment: Any, into: _Outcome) -> bool:
    base = cache.load(job.key)
    if base is None:
        return False
    found: dict[tuple[str, str], dict[str, Any]] = {(job.key, "base"): base}
    if base.get("verdict") == "confirmed":
        for fix_key, fix_spec in job.fixes.items():
            run = cache.load(_fix_run_key(fix_spec, base, environment))
            if run is None:
                return False
            found[(job.key, fix_key)] = run
    into.runs.update(found)
    return True


def _store(outcome: _Outcome, jobs: dict[str, _Job], environment: Any) -> None:
    for (job_key, run), result in outcome.runs.items():
        if result.get("verdict") not in ("confirmed", "not-reproduced"):
            continue  # inconclusive (budget) depends on how busy the machine was
        if run == "base":
            cache.store(job_key, result)
        else:
            base = outcome.runs.get((job_key, "base"))
            if base is not None:
                cache.store(_fix_run_key(jobs[job_key].fixes[run], base, environment), result)


def _result(
    plan: _Plan,
    request: ProbeRequest,
    outcome: _Outcome,
    mode: str,
    cached: bool,
    backend: str = "",
) -> ProbeResult:
    if plan.result is not None:
        return plan.result
    assert plan.base_key is not None
    base = outcome.runs.get((plan.base_key, "base"))
    if base is None:
        verdict, why = outcome.failures.get(
            (plan.base_key, "base"), ("error", "the probe child gave no result")
        )
        return ProbeResult(
            verdict=verdict,  # type: ignore[arg-type]
            tier=mode,
            message=why,
            device=outcome.device,
            backend=backend,
            defaults_used=plan.defaults_used,
        )
    fix = request.fix
    fix_run = outcome.runs.get((plan.base_key, plan.fix_key)) if plan.fix_key else None
    result = to_result(base, plan.defaults_used, fix, fix_run, cached)
    if fix is not None and base.get("verdict") == "confirmed" and fix_run is None:
        if plan.fix_key is None:
            evidence = f"the fix ({describe_fix(fix)}) changes nothing the probe can rebuild"
        else:
            _, why = outcome.failures.get((plan.base_key, plan.fix_key), ("error", "not run"))
            evidence = f"with {describe_fix(fix)}: {why}"
        result = _with_evidence(result, evidence)
    return result


def _with_evidence(result: ProbeResult, evidence: str) -> ProbeResult:
    from dataclasses import replace

    return replace(result, fix_verified=None, fix_evidence=evidence)


# --------------------------------------------------------------------------------------------------
# The child process
# --------------------------------------------------------------------------------------------------


def _reader(stream: IO[str], lines: queue.Queue[str | None]) -> None:
    for line in stream:
        lines.put(line)
    lines.put(None)


def _tail(path: str, limit: int = 600) -> str:
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return text.strip()[-limit:]


def _kill(proc: subprocess.Popen[str]) -> None:
    with contextlib.suppress(OSError):
        proc.kill()
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        proc.wait(timeout=10)


@contextlib.contextmanager
def kill_on_signals(proc: subprocess.Popen[str]) -> Iterator[None]:
    """While the child runs, SIGINT, SIGTERM and SIGHUP sent to this process kill the child
    first, then take their previous course (the handler there before, or the default action).
    A signal this process ignores stays ignored. Only the main thread can set handlers: in any
    other thread the child still dies with this process (see ``child.die_with_parent``)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous: dict[int, Any] = {}

    def restore() -> None:
        for number, handler in previous.items():
            with contextlib.suppress(OSError, ValueError, TypeError):
                signal.signal(number, handler)

    def handler(number: int, frame: FrameType | None) -> None:
        _kill(proc)
        old = previous.get(number)
        restore()
        if callable(old):
            old(number, frame)
        elif old == signal.SIG_DFL:
            os.kill(os.getpid(), number)

    for number in SIGNALS:
        try:
            old = signal.getsignal(number)
            if old in (signal.SIG_IGN, None):
                continue
            signal.signal(number, handler)
        except (OSError, ValueError):
            continue
        previous[number] = old
    try:
        yield
    finally:
        restore()


def _run_children(
    jobs: list[_Job],
    options: ProbeOptions,
    python: str,
    env: dict[str, str],
    budget: _Budget,
    advance: Callable[[], None],
    say: Announce,
) -> _Outcome:
    """Run ``jobs`` in child processes (a fresh one after a kill or crash) until all are done or
    the total budget runs out."""
    outcome = _Outcome()
    pending = list(jobs)
    while pending:
        if budget.deadline is not None and time.monotonic() >= budget.deadline:
            for job in pending:
                why = f"the total probe budget ({budget.total:g} s) ran out"
                outcome.fail((job.key, "base"), "timeout", why)
            break
        _one_child(pending, options, python, env, budget, outcome, advance, say)
        if outcome.unavailable is not None:
            break
        left = [job for job in pending if job.key not in outcome.done]
        if len(left) == len(pending):  # pragma: no cover - defensive: no progress at all
            for job in left:
                outcome.fail((job.key, "base"), "error", "the probe child made no progress")
            break
        pending = left

    return outcome


def _estimate_text(job: _Job, run: str, event: Mapping[str, Any], ready: Mapping[str, Any]) -> str:
    first, second = float(event.get("first") or 0.0), float(event.get("second") or 0.0)
    steps, whole = int(event.get("steps") or 0), float(event.get("seconds") or 0.0)
    where = f"{ready.get('backend', '')} {ready.get('backend_version', '')}".strip()
    if ready.get("device"):
        where += f", {ready['device']}"
    what = "replay" if run == "base" else f"replay with the fix ({job.fix_labels.get(run, run)})"
    traced = " (traced)" if ready.get("backend") != "torch" else ""  # PyTorch runs eagerly
    return (
        f"probe: {job.label}: {what} on {where}: first step {first:.1f} s{traced}, then "
        f"{second:.2g} s a step; up to {steps} steps: about {duration(whole)}, less if it "
        "diverges first (--probe-timeout S bounds it)"
    )


def _one_child(
    pending: list[_Job],
    options: ProbeOptions,
    python: str,
    env: dict[str, str],
    budget: _Budget,
    outcome: _Outcome,
    advance: Callable[[], None],
    say: Announce,
) -> None:
    """One child process over ``pending``; records runs, failures and finished jobs."""
    by_key = {job.key: job for job in pending}
    request = json.dumps(
        {
            "backend": env.get("KERAS_BACKEND", "tensorflow"),
            "timeout": budget.run,
            "total": budget.left(),
            "jobs": [j.to_json() for j in pending],
        }
    )
    grace = max(5.0, 0.25 * budget.run) if budget.run is not None else 30.0
    # Without a per-run budget (replay at its defaults), a run may take as long as its steps
    # need; it is killed only when its first steps or a later one take far too long.
    per_run = budget.run + grace if budget.run is not None else FIRST_STEPS_ALLOWANCE
    with tempfile.NamedTemporaryFile("w+", suffix=".log", delete=False) as log:
        log_path = log.name
    proc: subprocess.Popen[str] | None = None
    try:
        with open(log_path, "w", encoding="utf-8") as stderr:
            proc = subprocess.Popen(
                [python, "-c", BOOT],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=stderr,
                env=env,
                cwd=package_root(),
                text=True,
                encoding="utf-8",
            )
        with kill_on_signals(proc):
            _watch(proc, request, by_key, budget, per_run, grace, outcome, advance, say, log_path)
    finally:
        if proc is not None and proc.poll() is None:
            _kill(proc)
        with contextlib.suppress(OSError):
            os.unlink(log_path)


def _watch(
    proc: subprocess.Popen[str],
    request: str,
    jobs: Mapping[str, _Job],
    budget: _Budget,
    per_run: float,
    grace: float,
    outcome: _Outcome,
    advance: Callable[[], None],
    say: Announce,
    log_path: str,
) -> None:
    assert proc.stdin is not None and proc.stdout is not None
    try:
        proc.stdin.write(request)
        proc.stdin.close()
    except OSError:
        pass
    lines: queue.Queue[str | None] = queue.Queue()
    threading.Thread(target=_reader, args=(proc.stdout, lines), daemon=True).start()
    current: tuple[str, str] | None = None
    ready: dict[str, Any] = {}
    silence = per_run  # how long the current wait may last before the child is "hung"
    until = time.monotonic() + STARTUP_ALLOWANCE + per_run
    deadline = math.inf if budget.deadline is None else budget.deadline
    while True:
        wait = min(until, deadline) - time.monotonic()
        try:
            line = lines.get(timeout=max(wait, 0.0))
        except queue.Empty:
            _kill(proc)
            total = time.monotonic() >= deadline
            if total:
                why = f"the total probe budget ({budget.total:g} s) ran out"
            elif budget.run is not None:
                why = f"no result within {budget.run:g} s (+{grace:g} s grace): killed"
            else:
                why = f"no training step finished within {silence:.0f} s: killed"
            if current is not None:
                outcome.fail(current, "timeout", why)
                advance()
            elif not ready:
                if not total:
                    why = "the probe child did not start in time (importing Keras)"
                for job in jobs.values():
                    outcome.fail((job.key, "base"), "timeout", why)
            return
        if line is None:
            code = proc.wait()
            why = f"the probe child exited with status {code}: {_tail(log_path)}"
            if current is not None:
                outcome.fail(current, "error", why)
                advance()
            else:
                for job in jobs.values():
                    if job.key not in outcome.done:
                        outcome.fail((job.key, "base"), "error", why)
            return
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if not isinstance(event, dict):
            continue
        kind = event.get("event")
        if kind == "unavailable":
            outcome.unavailable = str(event.get("message", "cannot import Keras"))
            proc.wait()
            return
        if kind in ("estimate", "step"):
            if budget.run is not None:
                continue  # a fixed budget per run: the run's own clock
            second = float(event.get("second") or 0.0) if kind == "estimate" else 0.0
            if kind == "estimate":
                silence = max(SILENCE_MIN, SILENCE_STEPS * second) + grace
                estimated = jobs.get(str(event.get("id")))
                # A base run goes on to its step limit (1000) unless it diverges: always said.
                long = float(event.get("seconds") or 0.0) >= ANNOUNCE_AFTER
                if estimated is not None and (long or event.get("run") == "base"):
                    say(_estimate_text(estimated, str(event.get("run")), event, ready))
            until = time.monotonic() + silence
            continue
        if kind == "ready":
            ready = event
            outcome.device = str(event.get("device", ""))
        elif kind == "start":
            current = (str(event["id"]), str(event["run"]))
        elif kind == "run":
            outcome.runs[(str(event["id"]), str(event["run"]))] = event["result"]
            current = None
        elif kind == "done":
            current = None
            outcome.done.add(str(event["id"]))
            advance()
        silence = per_run
        until = time.monotonic() + per_run


@contextlib.contextmanager
def _progress_bar(
    total: int, enabled: bool | None, announce: Announce | None
) -> Iterator[tuple[Callable[[], None], Announce]]:
    """A rich progress bar on stderr while probes run, on a terminal only; and how to tell the
    user something meanwhile (above the bar)."""
    show = sys.stderr.isatty() if enabled is None else enabled
    if not show:
        yield (lambda: None), announce or _say
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    with Progress(
        TextColumn("probing"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task("probe", total=total)

        def say(text: str) -> None:
            if announce is not None:
                announce(text)
            else:
                console.print(f"kerasrnnlint: {text}", markup=False, highlight=False)

        yield (lambda: bar.advance(task)), say
