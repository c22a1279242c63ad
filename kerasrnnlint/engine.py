"""The rule engine: layers in, findings out.

:func:`check_layers` is pure (IR + settings -> findings). :func:`lint_source` and :func:`lint_file`
add the source frontend, ``# noqa`` and the handling of inputs that cannot be linted: such an input
gives a :class:`FileResult` with an ``error`` and the run goes on.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from kerasrnnlint import folding, severity
from kerasrnnlint.config import Settings
from kerasrnnlint.findings import Finding
from kerasrnnlint.frontends.base import FrontendResult, InputError, NoqaMap
from kerasrnnlint.ir import RecurrentLayer
from kerasrnnlint.rules import ALL_RULES, Rule


@dataclass(frozen=True)
class FileResult:
    """Everything a run learned about one input."""

    path: str
    findings: tuple[Finding, ...] = ()
    layers: tuple[RecurrentLayer, ...] = ()
    error: str | None = None  # why the input could not be linted (names the cause)
    notes: tuple[str, ...] = ()
    skipped: bool = False  # prefiltered: cannot hold a recurrent layer
    missing_dependency: bool = False  # the error is an optional package that is not installed


def check_layer(
    layer: RecurrentLayer, settings: Settings, rules: Iterable[Rule] = ALL_RULES
) -> list[Finding]:
    """Every finding of the selected rules on one layer, rated by the risk model."""
    codes = settings.codes_for(layer.location.path)
    findings = []
    for rule in rules:
        if rule.code not in codes:
            continue
        for violation in rule.check(layer, settings.rule_options):
            rating = severity.rate(rule.code, layer, rule.default_severity)
            location = layer.location
            if violation.span is not None and not location.layer_path:
                location = replace(location, span=violation.span)
            findings.append(
                Finding(
                    code=rule.code,
                    name=rule.name,
                    severity=rating.severity,
                    message=violation.message,
                    location=location,
                    layer=layer.cls,
                    fix=violation.fix,
                    factors=rating.factors,
                    related=violation.related,
                    subject=layer,
                )
            )
    return findings


def check_layers(
    layers: Iterable[RecurrentLayer],
    settings: Settings,
    noqa: NoqaMap | None = None,
    cell_noqa: Mapping[int, NoqaMap] | None = None,
) -> list[Finding]:
    """The findings on ``layers``: the selected rules, then ``# noqa``, then folding (a
    consequence goes into its root finding; one that is not selected or suppressed folds
    nothing, see :mod:`kerasrnnlint.folding`). In line order, on one line highest severity
    first."""
    findings = sorted(
        (f for layer in layers for f in check_layer(layer, settings)), key=_finding_order
    )
    if noqa:
        findings = apply_noqa(findings, noqa)
    if cell_noqa:
        findings = apply_cell_noqa(findings, cell_noqa)
    return folding.fold(findings)


def _finding_order(finding: Finding) -> tuple[object, ...]:
    loc = finding.location
    span = loc.span
    return (
        loc.path,
        loc.cell or 0,
        span.line if span else 0,
        -finding.severity,
        span.column if span else 0,
        loc.layer_path,
        finding.code,
    )


# The NoqaMap key of a file-level ``# kerasrnnlint: noqa`` (frontends/source/noqa.py).
FILE_LEVEL = 0


def suppressed(finding: Finding, noqa: NoqaMap) -> bool:
    """True when a ``# noqa`` on any line of the reported layer call, or a file-level
    ``# kerasrnnlint: noqa``, covers the finding's code."""
    if not noqa:
        return False
    if FILE_LEVEL in noqa:
        codes = noqa[FILE_LEVEL]
        if codes is None or finding.code in codes:
            return True
    layer = finding.subject
    candidates = [finding.location.span]
    if layer is not None:
        candidates += [layer.location.span, layer.enclosing_span]
    spans = [s for s in candidates if s]
    for span in spans:
        for line in range(span.line, span.end_line + 1):
            if line in noqa:
                codes = noqa[line]
                if codes is None or finding.code in codes:
                    return True
    return False


def apply_noqa(findings: Iterable[Finding], noqa: NoqaMap) -> list[Finding]:
    return [f for f in findings if not suppressed(f, noqa)]


def apply_cell_noqa(findings: Iterable[Finding], cell_noqa: Mapping[int, NoqaMap]) -> list[Finding]:
    """Notebooks: ``# noqa`` matched against rows inside the finding's own cell."""
    return [
        f
        for f in findings
        if f.location.cell is None or not suppressed(f, cell_noqa.get(f.location.cell, {}))
    ]


def from_frontend(path: str, result: FrontendResult, settings: Settings) -> FileResult:
    findings = check_layers(result.layers, settings, result.noqa, result.cell_noqa)
    return FileResult(path=path, findings=tuple(findings), layers=result.layers, notes=result.notes)


# A recurrent layer's class name always contains one of these (LSTM, GRU, SimpleRNN, ConvLSTM2D,
# LSTMCell, RNN, StackedRNNCells...), and every way to reach Keras spells "keras" (keras,
# tensorflow.keras, tf.keras, tf_keras). Files without both are skipped before libcst parses them.
PREFILTER = re.compile(rb"LSTM|GRU|RNN")


def may_hold_recurrent_layer(data: bytes) -> bool:
    return b"keras" in data and PREFILTER.search(data) is not None


def may_hold_recurrent_layer_in_project(path: str, data: bytes) -> bool:
    """:func:`may_hold_recurrent_layer`, or a file that names a recurrent class but not Keras
    and may get Keras from a module of its project (``from common import *``): it imports one."""
    if may_hold_recurrent_layer(data):
        return True
    if PREFILTER.search(data) is None:
        return False
    from kerasrnnlint.frontends.source.project import imports_project_module

    return imports_project_module(path, data)


def lint_source(text: str, path: str, settings: Settings | None = None) -> FileResult:
    """Lint Python source text. Never imports or runs it."""
    from kerasrnnlint.frontends import source

    settings = settings or Settings()
    try:
        result = source.analyze(text, path)
    except InputError as exc:
        return FileResult(path=path, error=exc.describe())
    return from_frontend(path, result, settings)
