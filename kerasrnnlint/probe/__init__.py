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

Verdict = Literal["confirmed", "not-reproduced", "error", "timeout", "unavailable", "unknown"]


@dataclass(frozen=True)
class ProbeOptions:
    mode: Literal["stress", "replay"] = "stress"
    timeout: float = 30.0  # per probe, seconds
    total_timeout: float = 600.0  # whole run, seconds
    device: Literal["auto", "cpu", "gpu"] = "auto"
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
            "fix_verified": self.fix_verified,
            "history": [json_number(h) for h in self.history],
            "fix_evidence": self.fix_evidence,
            "defaults_used": list(self.defaults_used),
            "message": self.message,
            "steps": self.extra.get("steps"),
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
    findings: Sequence[Finding], options: ProbeOptions
) -> tuple[list[Finding], list[str]]:
    """Probe the findings at or above ``options.min_severity``.

    Returns the findings (probed ones carry ``probe`` and a ``confirmed`` verdict raises their
    severity to high) and notes for the user (e.g. how to install TensorFlow, said once).
    Findings are never dropped: ``not-reproduced`` keeps the static severity.
    """
    from kerasrnnlint.probe.runner import ProbeRequest, probe_batch

    chosen = [
        index
        for index, finding in enumerate(findings)
        if finding.severity >= options.min_severity
        and finding.subject is not None
        and finding.code not in NOT_PROBED
    ]
    if not chosen:
        return list(findings), []
    requests = []
    for index in chosen:
        finding = findings[index]
        assert finding.subject is not None
        requests.append(ProbeRequest(finding.subject, finding.code, finding.fix))
    results, notes = probe_batch(requests, options)
    probed = list(findings)
    for index, result in zip(chosen, results, strict=True):
        probed[index] = with_probe(probed[index], result)
    return probed, notes


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
