"""The probe: a short training of a flagged layer, in a child process, to confirm a finding.

This module is imported by the lint process and must not import TensorFlow; the child process
(:mod:`kerasrnnlint.probe.child`) does.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from kerasrnnlint.findings import Factor, Finding, Severity
from kerasrnnlint.ir import RecurrentLayer

# ``inconclusive``: a run stopped by its time budget before a verdict (never "not-reproduced").
Verdict = Literal[
    "confirmed", "not-reproduced", "inconclusive", "error", "timeout", "unavailable", "unknown"
]


@dataclass(frozen=True)
class ProbeOptions:
    mode: Literal["stress", "replay"] = "stress"
    # Seconds per training run. None: 30 for stress; replay times its first steps, says how long
    # the run will take and runs to its verdict or its step limit.
    timeout: float | None = None
    total_timeout: float | None = None  # whole batch, seconds (None: 600 for stress, no limit)
    device: Literal["auto", "cpu", "gpu"] = "auto"
    backend: str = "auto"  # auto | tensorflow | jax | torch (auto: the one Keras would use)
    min_severity: Severity = Severity.MEDIUM
    cache: bool = True
    python: str | None = None  # interpreter of the child process (default: sys.executable)
    max_steps: int | None = None  # cap on training steps per run (default: the tier's: 6 / 1000)


@dataclass(frozen=True)
class ProbeResult:
    verdict: Verdict
    tier: str
    step: int | None = None
    max_abs_h: float | None = None
    history: tuple[float, ...] = ()  # max |h| per step
    seconds: float = 0.0
    device: str = ""
    backend: str = ""  # the Keras backend it trained on ("tensorflow", "jax", "torch")
    backend_version: str = ""
    fix_verified: bool | None = None
    fix_evidence: str | None = None
    defaults_used: tuple[str, ...] = ()
    message: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """Strict JSON: a non-finite number is written as the string ``"nan"``/``"inf"``."""
        return {
            "verdict": self.verdict,
            "tier": self.tier,
            "step": self.step,
            "max_abs_h": json_number(self.max_abs_h),
            "seconds": round(self.seconds, 3),
            "device": self.device,
            "backend": self.backend or None,
            "backend_version": self.backend_version or None,
            "fix_verified": self.fix_verified,
            "history": [json_number(h) for h in self.history],
            "fix_evidence": self.fix_evidence,
            "defaults_used": list(self.defaults_used),
            "message": self.message,
            "steps": self.extra.get("steps"),
            "max_steps": self.extra.get("max_steps"),
            "stopped": self.extra.get("stopped"),
            "cached": bool(self.extra.get("cached", False)),
        }


def json_number(value: float | None) -> float | str | None:
    """``value`` for strict JSON: NaN and infinities become ``"nan"``, ``"inf"``, ``"-inf"``."""
    if value is None or math.isfinite(value):
        return value
    return str(value)


# Codes the probe does not train for: they are about speed on GPU or a build-time error, not NaN.
NOT_PROBED: frozenset[str] = frozenset({"KRL101", "KRL102"})


def run_probes(
    findings: Sequence[Finding],
    options: ProbeOptions,
    layers: Sequence[RecurrentLayer] = (),
) -> tuple[list[Finding], list[str]]:
    """Probe the findings at or above ``options.min_severity``.

    Returns the findings (probed ones carry ``probe`` and a ``confirmed`` verdict raises their
    severity to high) and notes for the user (e.g. how to install TensorFlow, said once).
    Findings are never dropped: ``not-reproduced`` keeps the static severity. Each of ``layers``
    (the run's layers) that has no probed finding and a custom activation gets a note saying it
    is unknown to the source probe and how to probe it.
    """
    from kerasrnnlint.probe.runner import ProbeRequest, probe_batch

    chosen = [
        index
        for index, finding in enumerate(findings)
        if finding.severity >= options.min_severity
        and finding.subject is not None
        and finding.code not in NOT_PROBED
    ]
    subjects = [findings[index].subject for index in chosen]
    unknown = custom_activation_notes([layer for layer in layers if layer not in subjects])
    if not chosen:
        return list(findings), unknown
    requests = []
    for index in chosen:
        finding = findings[index]
        assert finding.subject is not None
        requests.append(ProbeRequest(finding.subject, finding.code, finding.fix))
    results, notes = probe_batch(requests, options)
    probed = list(findings)
    for index, result in zip(chosen, results, strict=True):
        probed[index] = with_probe(probed[index], result)
    return probed, notes + unknown


def custom_activation_notes(layers: Sequence[RecurrentLayer]) -> list[str]:
    """``unknown`` for each layer whose activation the source probe cannot rebuild (a function the
    user wrote, a value only known at run time), then once how to probe such a layer."""
    from kerasrnnlint.probe.spec import CUSTOM_HINT, build_spec

    notes = []
    for layer in layers:
        why = build_spec(layer).unknown
        if why is not None and why.endswith(CUSTOM_HINT):
            reason = why.removesuffix(CUSTOM_HINT).rstrip(": ")
            where = layer.location.display()
            notes.append(f"probe: {where}: {layer.display_name}: unknown, not probed: {reason}")
    if notes:
        notes.append(f"probe: {CUSTOM_HINT}")
    return notes


def with_probe(finding: Finding, result: ProbeResult) -> Finding:
    """The finding carrying ``result``; ``confirmed`` raises its severity to high."""
    if result.verdict != "confirmed":
        return replace(finding, probe=result)
    factor = Factor("probe", f"confirmed ({result.tier})", "raises to high")
    return replace(
        finding,
        probe=result,
        severity=Severity.HIGH,
        factors=(*finding.factors, factor),
    )
