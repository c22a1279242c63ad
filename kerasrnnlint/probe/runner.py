"""Running probes from the lint process: specs, cache, one child process per batch, budgets.

Never imports TensorFlow: it checks that the child's interpreter has it (without importing it),
sends every distinct configuration to ``python -m kerasrnnlint.probe.child`` in one request and
reads the child's events line by line. Each training run has ``options.timeout`` seconds (plus a
grace for start-up); a child that overruns is killed, its run gets ``timeout``, and a fresh child
takes the remaining jobs while the total budget lasts.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import kerasrnnlint
from kerasrnnlint.findings import Fix
from kerasrnnlint.ir import RecurrentLayer
from kerasrnnlint.links import install_hint
from kerasrnnlint.probe import ProbeOptions, ProbeResult, cache
from kerasrnnlint.probe import spec as specs
from kerasrnnlint.probe.trainer import describe_fix, to_result

INSTALL_HINT = install_hint("probe")
STARTUP_ALLOWANCE = 90.0  # seconds for the child to import TensorFlow, at most the total budget

_INFO_SCRIPT = """
import importlib.util, json, sys
def version(name):
    try:
        from importlib.metadata import version
        return version(name)
    except Exception:
        return None
found = {n: importlib.util.find_spec(n) is not None for n in ("tensorflow", "keras")}
print(json.dumps({"found": found, "tensorflow": version("tensorflow"), "keras": version("keras"),
                  "python": sys.version.split()[0]}))
"""


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
    fixes: dict[str, dict[str, Any]] = field(default_factory=dict)

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


def package_root() -> str:
    """The folder holding the ``kerasrnnlint`` package: the child's working directory and first
    import path, so that no file in the user's project (``keras.py``...) can shadow a module."""
    return str(Path(kerasrnnlint.__file__).resolve().parent.parent)


def child_python(options: ProbeOptions) -> str:
    return options.python or sys.executable


def child_env(options: ProbeOptions) -> dict[str, str]:
    """The child's environment: quiet TensorFlow, the device choice, this package importable."""
    env = dict(os.environ)
    env["TF_CPP_MIN_LOG_LEVEL"] = "3"
    env["TF_ENABLE_ONEDNN_OPTS"] = "0"
    env["PYTHONUNBUFFERED"] = "1"
    if options.device == "cpu":
        env["CUDA_VISIBLE_DEVICES"] = "-1"
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (package_root(), os.environ.get("PYTHONPATH", "")) if p
    )
    return env


def interpreter_info(python: str, env: dict[str, str]) -> dict[str, Any]:
    """Whether ``python`` has TensorFlow and Keras, and their versions (without importing them)."""
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


def unavailable_note(python: str, why: str) -> str:
    return (
        f"probe: TensorFlow/Keras is not available to {python} ({why}); the findings are "
        f"reported without a probe. Install it with: {INSTALL_HINT}"
    )


def probe_batch(
    requests: Sequence[ProbeRequest],
    options: ProbeOptions,
    *,
    progress: bool | None = None,
) -> tuple[list[ProbeResult], list[str]]:
    """Probe every request, one child process for the batch. Returns one result per request (in
    order) and notes for the user (at most one saying how to install TensorFlow)."""
    started = time.monotonic()
    mode = options.mode
    plans = [_plan(request, mode, options.max_steps) for request in requests]
    todo = [p for p in plans if p.result is None]
    notes: list[str] = []
    if not todo:
        return [p.result or _missing(mode) for p in plans], notes

    python = child_python(options)
    env = child_env(options)
    info = interpreter_info(python, env)
    found = info.get("found") or {}
    if "error" in info or not (found.get("tensorflow") and found.get("keras")):
        missing = [n for n in ("tensorflow", "keras") if not found.get(n)]
        why = info.get("error") or f"{' and '.join(missing)} not installed"
        return _all_unavailable(plans, mode, python, str(why), notes)

    environment = {
        "keras": info.get("keras"),
        "tensorflow": info.get("tensorflow"),
        "device": options.device,
        "cuda_visible_devices": env.get("CUDA_VISIBLE_DEVICES"),
    }
    jobs: dict[str, _Job] = {}
    for plan in todo:
        assert plan.spec is not None
        plan.base_key = specs.spec_key(plan.spec, environment)
        job = jobs.setdefault(plan.base_key, _Job(plan.base_key, plan.spec))
        if plan.fix_spec is not None:
            plan.fix_key = specs.spec_key(plan.fix_spec, environment)
            job.fixes[plan.fix_key] = plan.fix_spec

    outcome_runs = _Outcome()
    needed: list[_Job] = []
    for job in jobs.values():
        if options.cache and _load_cached(job, environment, outcome_runs):
            continue
        needed.append(job)
    if needed:
        deadline = started + options.total_timeout
        with _progress_bar(len(needed), progress) as advance:
            fresh = _run_children(needed, options, python, env, deadline, advance)
        if fresh.unavailable is not None:
            return _all_unavailable(plans, mode, python, fresh.unavailable, notes)
        if options.cache:
            _store(fresh, jobs, environment)
        outcome_runs.runs.update(fresh.runs)
        outcome_runs.failures.update(fresh.failures)
        outcome_runs.device = fresh.device
        if options.device == "gpu" and fresh.device == "cpu":
            notes.append("probe: --probe-device gpu, but TensorFlow sees no GPU: probed on cpu")
    cached_keys = {job.key for job in jobs.values()} - {job.key for job in needed}
    results = [
        _result(plan, request, outcome_runs, mode, plan.base_key in cached_keys)
        for plan, request in zip(plans, requests, strict=True)
    ]
    return results, notes


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


def _all_unavailable(
    plans: Sequence[_Plan], mode: str, python: str, why: str, notes: list[str]
) -> tuple[list[ProbeResult], list[str]]:
    notes.append(unavailable_note(python, why))
    message = f"TensorFlow/Keras is not available to {python} (see the note)"
    unavailable = ProbeResult(verdict="unavailable", tier=mode, message=message)
    return [p.result or unavailable for p in plans], notes


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
            continue
        if result.get("stopped") == "budget":
            continue  # depends on how busy the machine was: not worth keeping
        if run == "base":
            cache.store(job_key, result)
        else:
            base = outcome.runs.get((job_key, "base"))
            if base is not None:
                cache.store(_fix_run_key(jobs[job_key].fixes[run], base, environment), result)


def _result(
    plan: _Plan, request: ProbeRequest, outcome: _Outcome, mode: str, cached: bool
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


def _run_children(
    jobs: list[_Job],
    options: ProbeOptions,
    python: str,
    env: dict[str, str],
    deadline: float,
    advance: Callable[[], None],
) -> _Outcome:
    """Run ``jobs`` in child processes (a fresh one after a kill or crash) until all are done or
    the total budget runs out."""
    outcome = _Outcome()
    pending = list(jobs)
    grace = max(5.0, 0.25 * options.timeout)
    while pending:
        if time.monotonic() >= deadline:
            for job in pending:
                why = f"the total probe budget ({options.total_timeout:g} s) ran out"
                outcome.fail((job.key, "base"), "timeout", why)
            break
        _one_child(pending, options, python, env, deadline, grace, outcome, advance)
        if outcome.unavailable is not None:
            break
        left = [job for job in pending if job.key not in outcome.done]
        if len(left) == len(pending):  # pragma: no cover - defensive: no progress at all
            for job in left:
                outcome.fail((job.key, "base"), "error", "the probe child made no progress")
            break
        pending = left
    return outcome


def _one_child(
    pending: list[_Job],
    options: ProbeOptions,
    python: str,
    env: dict[str, str],
    deadline: float,
    grace: float,
    outcome: _Outcome,
    advance: Callable[[], None],
) -> None:
    """One child process over ``pending``; records runs, failures and finished jobs."""
    request = json.dumps({"timeout": options.timeout, "jobs": [j.to_json() for j in pending]})
    with tempfile.NamedTemporaryFile("w+", suffix=".log", delete=False) as log:
        log_path = log.name
    try:
        with open(log_path, "w", encoding="utf-8") as stderr:
            proc = subprocess.Popen(
                [python, "-m", "kerasrnnlint.probe.child"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=stderr,
                env=env,
                cwd=package_root(),
                text=True,
                encoding="utf-8",
            )
        assert proc.stdin is not None and proc.stdout is not None
        try:
            proc.stdin.write(request)
            proc.stdin.close()
        except OSError:
            pass
        lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=_reader, args=(proc.stdout, lines), daemon=True).start()
        current: tuple[str, str] | None = None
        ready = False
        until = time.monotonic() + min(STARTUP_ALLOWANCE + options.timeout, deadline)
        while True:
            wait = min(until, deadline) - time.monotonic()
            try:
                line = lines.get(timeout=max(wait, 0.0))
            except queue.Empty:
                proc.kill()
                proc.wait()
                total = time.monotonic() >= deadline
                why = (
                    f"the total probe budget ({options.total_timeout:g} s) ran out"
                    if total
                    else f"no result within {options.timeout:g} s (+{grace:g} s grace): killed"
                )
                if current is not None:
                    outcome.fail(current, "timeout", why)
                    advance()
                elif not ready:
                    if not total:
                        why = "the probe child did not start in time (importing TensorFlow)"
                    for job in pending:
                        outcome.fail((job.key, "base"), "timeout", why)
                return
            if line is None:
                code = proc.wait()
                why = f"the probe child exited with status {code}: {_tail(log_path)}"
                if current is not None:
                    outcome.fail(current, "error", why)
                    advance()
                else:
                    for job in pending:
                        if job.key not in outcome.done:
                            outcome.fail((job.key, "base"), "error", why)
                return
            try:
                event = json.loads(line)
            except ValueError:
                continue
            kind = event.get("event")
            if kind == "unavailable":
                outcome.unavailable = str(event.get("message", "cannot import TensorFlow"))
                proc.wait()
                return
            if kind == "ready":
                ready = True
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
            until = time.monotonic() + options.timeout + grace
    finally:
        with contextlib.suppress(OSError):
            os.unlink(log_path)


@contextlib.contextmanager
def _progress_bar(total: int, enabled: bool | None) -> Iterator[Callable[[], None]]:
    """A rich progress bar on stderr while probes run, on a terminal only."""
    show = sys.stderr.isatty() if enabled is None else enabled
    if not show:
        yield lambda: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("probing"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task("probe", total=total)
        yield lambda: bar.advance(task)
