"""The shape every rule has.

A rule is a pure function of one :class:`~kerasrnnlint.ir.RecurrentLayer` (and the run's
:class:`RuleOptions`) that yields :class:`~kerasrnnlint.findings.Violation` objects. Its module
docstring, written as *What it does / Why is this bad / Example / Use instead*, is what
``kerasrnnlint explain CODE`` prints. ``valid`` and ``invalid`` are small source examples (Fixit
style); the test suite lints each one and checks the rule stays silent on the valid ones and fires
on the invalid ones.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from kerasrnnlint.findings import Severity, Violation
from kerasrnnlint.ir import RecurrentLayer


@dataclass(frozen=True)
class RuleOptions:
    """Settings rules read (from ``[tool.kerasrnnlint]`` or flags)."""

    recurrent_dropout_max_lr: float = 1e-2


Check = Callable[[RecurrentLayer, RuleOptions], Iterator[Violation]]


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    summary: str
    doc: str
    check: Check
    default_severity: Severity = Severity.MEDIUM
    valid: tuple[str, ...] = ()
    invalid: tuple[str, ...] = ()
