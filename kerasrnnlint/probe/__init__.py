"""The probe: a short training of a flagged layer, in a child process, to confirm a finding.

This module is imported by the lint process and must not import TensorFlow; the child process
(:mod:`kerasrnnlint.probe.child`) does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from kerasrnnlint.findings import Finding, Severity

Verdict = Literal["confirmed", "not-reproduced", "error", "timeout", "unavailable"]


@dataclass(frozen=True)
class ProbeOptions:
    mode: Literal["stress", "replay"] = "stress"
    timeout: float = 30.0  # per probe, seconds
    total_timeout: float = 600.0  # whole run, seconds
    device: Literal["auto", "cpu", "gpu"] = "auto"
    min_severity: Severity = Severity.MEDIUM
    cache: bool = True
    python: str | None = None  # interpreter of the child process (default: sys.executable)


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
        return {
            "verdict": self.verdict,
            "tier": self.tier,
            "step": self.step,
            "max_abs_h": self.max_abs_h,
            "seconds": self.seconds,
            "device": self.device,
            "fix_verified": self.fix_verified,
            "history": list(self.history),
            "fix_evidence": self.fix_evidence,
            "defaults_used": list(self.defaults_used),
            "message": self.message,
        }


def run_probes(
    findings: Sequence[Finding], options: ProbeOptions
) -> tuple[list[Finding], list[str]]:
    """Probe the findings at or above ``options.min_severity``.

    Returns the findings (probed ones carry ``probe`` and a ``confirmed`` verdict raises their
    severity to high) and notes for the user (e.g. how to install TensorFlow, said once).
    """
    return list(findings), ["probe not implemented yet"]
