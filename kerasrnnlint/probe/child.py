"""The probe child process: ``python -m kerasrnnlint.probe.child``.

Reads one JSON request on stdin: ``{"timeout": seconds, "jobs": [{"id", "spec", "fixes": {key:
spec}}]}``. Writes one JSON object per line on stdout, flushed as it goes, so the parent can enforce
each run's budget and kill a hung child:

* ``{"event": "unavailable", "message"}``: TensorFlow/Keras cannot be imported here; nothing else;
* ``{"event": "ready", "keras", "tensorflow", "device"}`` once TensorFlow is imported;
* ``{"event": "start", "id", "run"}`` before each training run (``run``: ``"base"`` or a fix key);
* ``{"event": "run", "id", "run", "result"}`` after it;
* ``{"event": "done", "id"}`` after a job (its fix runs follow a confirmed base run only).

Anything TensorFlow prints goes to stderr: the protocol has stdout to itself.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any, TextIO


def _emit(out: TextIO, **event: Any) -> None:
    out.write(json.dumps(event) + "\n")
    out.flush()


def main() -> int:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    protocol = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)  # stray prints from TensorFlow/Keras cannot corrupt the protocol
    sys.stdout = sys.stderr
    request = json.loads(sys.stdin.read() or "{}")
    try:
        import keras
        import tensorflow as tf
    except ImportError as exc:
        _emit(protocol, event="unavailable", message=f"{type(exc).__name__}: {exc}")
        return 0

    from kerasrnnlint.probe import spec as specs
    from kerasrnnlint.probe import trainer

    _emit(
        protocol,
        event="ready",
        keras=keras.__version__,
        tensorflow=tf.__version__,
        device=trainer.device_name(),
    )
    budget = float(request.get("timeout") or 30.0)
    memo: dict[str, dict[str, Any]] = {}

    def run(key: str, spec: dict[str, Any]) -> dict[str, Any]:
        if key not in memo:
            result = trainer.run_spec(spec, budget, isolated=True)
            memo[key] = {**result, "tier": spec.get("tier", "")}
        return memo[key]

    for job in request.get("jobs", []):
        job_id = job["id"]
        _emit(protocol, event="start", id=job_id, run="base")
        base = run(specs.spec_key(job["spec"], {}), job["spec"])
        _emit(protocol, event="run", id=job_id, run="base", result=base)
        if base["verdict"] == "confirmed":
            for fix_key, fix_spec in job.get("fixes", {}).items():
                spec = specs.fix_run(fix_spec, base)
                _emit(protocol, event="start", id=job_id, run=fix_key)
                result = run(specs.spec_key(spec, {}), spec)
                _emit(protocol, event="run", id=job_id, run=fix_key, result=result)
        _emit(protocol, event="done", id=job_id)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
