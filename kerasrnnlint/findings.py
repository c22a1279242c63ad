"""What rules report and what reporters format.

A rule returns :class:`Violation` objects (what is wrong, and the fix it suggests). The engine adds
the rule's identity, the layer's location and the severity from the risk model, giving a
:class:`Finding`. ``Finding.to_json()`` is the documented JSON schema: fields are added over time,
never renamed.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

from kerasrnnlint.ir import ArgValue, Location, RecurrentLayer, Span
from kerasrnnlint.links import rule_url


class Severity(enum.IntEnum):
    """Ordered severities. ``info`` never fails a run with the default ``--fail-on low``."""

    INFO = 0
    LOW = 1
    MEDIUM = 2
    HIGH = 3

    def __str__(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Severity:
        try:
            return cls[text.strip().upper()]
        except KeyError:
            choices = ", ".join(str(s) for s in cls)
            raise ValueError(f"unknown severity {text!r} (choose from {choices})") from None


@dataclass(frozen=True)
class Factor:
    """One input of the risk model that set a finding's severity, e.g. ``learning_rate = 4e-4``."""

    name: str
    value: str
    effect: str  # e.g. "+2", "x2", "raises to high", for people

    def to_json(self) -> dict[str, str]:
        return {"name": self.name, "value": self.value, "effect": self.effect}


@dataclass(frozen=True)
class Fix:
    """A rule's suggested fix.

    ``changes`` are argument values to set on the layer (``(("activation", "tanh"),)``);
    ``normalize_input`` asks for a normalisation layer in front of the layer (KRL004). ``safe`` is
    False when the fix changes what the model computes (``--unsafe-fixes`` is needed to apply it).
    """

    title: str
    changes: tuple[tuple[str, ArgValue], ...] = ()
    normalize_input: bool = False
    safe: bool = False

    def apply(self, layer: RecurrentLayer) -> RecurrentLayer:
        """The layer with this fix applied (what the probe verifies)."""
        return layer.with_args(**dict(self.changes)) if self.changes else layer

    def to_json(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "changes": {k: v for k, v in self.changes},
            "normalize_input": self.normalize_input,
            "safe": self.safe,
        }


@dataclass(frozen=True)
class Related:
    """Another place a finding is about: a finding folded into it (``code`` is that finding's
    rule, e.g. the KRL004 of the layer a relu LSTM feeds) or a place it names (``code`` is None,
    e.g. the producing layer of a KRL004)."""

    code: str | None
    location: Location
    message: str

    @property
    def text(self) -> str:
        """How a tool shows it (SARIF relatedLocations, LSP relatedInformation): the message,
        after the folded finding's code."""
        return f"{self.code}: {self.message}" if self.code else self.message

    def to_json(self) -> dict[str, Any]:
        span = self.location.span
        data: dict[str, Any] = {
            "code": self.code,
            "message": self.message,
            "filename": self.location.path,
            "location": {"row": span.line, "column": span.column} if span else None,
            "end_location": {"row": span.end_line, "column": span.end_column} if span else None,
        }
        if self.location.layer_path:
            data["layer_path"] = list(self.location.layer_path)
        if self.location.cell is not None:
            data["cell"] = self.location.cell
        return data


@dataclass(frozen=True)
class Violation:
    """What a rule found on one layer. ``span`` overrides the layer's span when the problem sits
    on one argument; ``related`` names other places (e.g. the producing layer of KRL004)."""

    message: str
    fix: Fix | None = None
    span: Span | None = None
    related: tuple[Related, ...] = ()


@dataclass(frozen=True)
class Finding:
    code: str
    name: str
    severity: Severity
    message: str
    location: Location
    layer: str
    fix: Fix | None = None
    factors: tuple[Factor, ...] = ()
    # Places the finding names and the findings folded into it (kerasrnnlint.folding).
    related: tuple[Related, ...] = ()
    probe: Any = None  # a probe result (kerasrnnlint.probe) once probed
    subject: RecurrentLayer | None = field(default=None, compare=False, repr=False)

    @property
    def filename(self) -> str:
        """The JSON output's ``filename``: the file (or ``<model NAME>`` for a live model)."""
        return self.location.path

    @property
    def folded(self) -> tuple[Related, ...]:
        """The findings folded into this one (the related entries that have a rule code)."""
        return tuple(r for r in self.related if r.code is not None)

    @property
    def producer(self) -> Location | None:
        """KRL004: where the unbounded layer that feeds the flagged layer is."""
        return next((r.location for r in self.related if r.code is None), None)

    @property
    def layer_path(self) -> tuple[str, ...]:
        """The JSON output's ``layer_path``: the layer inside a saved or live model (else empty)."""
        return self.location.layer_path

    def to_json(self) -> dict[str, Any]:
        span = self.location.span
        data: dict[str, Any] = {
            "code": self.code,
            "name": self.name,
            "severity": str(self.severity),
            "message": self.message,
            "filename": self.location.path,
            "location": {"row": span.line, "column": span.column} if span else None,
            "end_location": {"row": span.end_line, "column": span.end_column} if span else None,
            "layer": self.layer,
            "fix": self.fix.to_json() if self.fix else None,
            "factors": [f.to_json() for f in self.factors],
            "related": [r.to_json() for r in self.related],
            "url": rule_url(self.code),
        }
        if self.location.layer_path:
            data["layer_path"] = list(self.location.layer_path)
        if self.location.cell is not None:
            data["cell"] = self.location.cell
        if self.probe is not None and hasattr(self.probe, "to_json"):
            data["probe"] = self.probe.to_json()
        return data
