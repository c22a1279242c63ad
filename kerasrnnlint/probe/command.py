"""``kerasrnnlint probe FILE:LINE``: probe the recurrent layer at a line.

Lints FILE with its project's settings (never imports or runs it), takes the innermost recurrent
layer whose call spans LINE, and probes it once per finding (with that finding's fix; a layer with
no finding is probed too).
A notebook takes ``NOTEBOOK.ipynb:CELL:LINE``; a saved model (``.keras``, ``.h5``, ``.json``) takes
``MODEL:LAYER``, a layer name or its path (``encoder/lstm_1``).
Exit status: 0 when no probe confirmed a divergence, 1 when one did, 2 for a usage error or a file
that cannot be linted or has no recurrent layer at LINE.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TextIO

from kerasrnnlint.findings import Finding, Severity
from kerasrnnlint.ir import RecurrentLayer
from kerasrnnlint.probe import NOT_PROBED, ProbeOptions, ProbeResult, with_probe
from kerasrnnlint.reporters import FORMATS


def seconds(text: str) -> float:
    """A positive number of seconds, at most ``config.MAX_SECONDS`` (as the lint run's
    ``--probe-*timeout`` flags)."""
    from kerasrnnlint.config import MAX_SECONDS, ConfigError, parse_positive_float, parse_seconds

    try:
        parse_positive_float(text, "seconds")
    except ConfigError:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}") from None
    try:
        return parse_seconds(text, "seconds")
    except ConfigError:
        raise argparse.ArgumentTypeError(
            f"expected at most {MAX_SECONDS:.0f} seconds, got {text!r}"
        ) from None


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="kerasrnnlint probe",
        description="Confirm the findings on one recurrent layer by a short training run.",
    )
    p.add_argument(
        "target",
        metavar="FILE:LINE",
        help="a Python file and a line of the layer call (NOTEBOOK.ipynb:CELL:LINE, MODEL:LAYER)",
    )
    p.add_argument("--probe-mode", choices=("stress", "replay"), default="stress")
    p.add_argument("--output-format", choices=sorted(FORMATS), default="text")
    p.add_argument(
        "--probe-timeout",
        type=seconds,
        metavar="S",
        help="per run (probe-timeout; else 30 for stress, and replay runs to its verdict)",
    )
    p.add_argument(
        "--probe-total-timeout", type=seconds, metavar="S", help="all runs (stress: 600)"
    )
    p.add_argument("--probe-device", choices=("auto", "cpu", "gpu"), default="auto")
    p.add_argument(
        "--probe-backend",
        choices=("auto", "tensorflow", "jax", "torch"),
        help="the Keras backend to train on (probe-backend; auto: the one Keras would use)",
    )
    p.add_argument("--no-cache", action="store_true", help="ignore and do not write the cache")
    return p


@dataclass(frozen=True)
class Target:
    path: str
    line: int | None = None
    cell: int | None = None
    layer: str | None = None  # saved models: a layer name or path


def parse_target(target: str) -> Target:
    """``FILE:LINE``, ``NOTEBOOK.ipynb:CELL:LINE`` or ``MODEL:LAYER``."""
    from kerasrnnlint.runner import kind_of

    notebook = re.fullmatch(r"(.+\.ipynb):(\d+):(\d+)", target, flags=re.IGNORECASE)
    if notebook:
        return Target(notebook[1], line=int(notebook[3]), cell=int(notebook[2]))
    path, sep, rest = target.rpartition(":")
    if sep and path and rest and kind_of(path) == "model":
        return Target(path, layer=rest)
    if not sep or not path or not rest.isdigit() or int(rest) < 1:
        raise ValueError(
            f"expected FILE:LINE, NOTEBOOK.ipynb:CELL:LINE or MODEL:LAYER, got {target!r}"
        )
    return Target(path, line=int(rest))


def select(layers: Sequence[RecurrentLayer], target: Target) -> RecurrentLayer | None:
    if target.layer is not None:
        # A layer name, or its path (or the end of it) as written with "/" or as the text output
        # shows it ("encoder › bidirectional › forward_lstm").
        wanted = tuple(part.strip() for part in re.split(r"[/›]", target.layer) if part.strip())
        for layer in layers:
            path = layer.location.layer_path
            if target.layer == layer.name or (wanted and path[-len(wanted) :] == wanted):
                return layer
        return None
    assert target.line is not None
    if target.cell is not None:
        layers = [layer for layer in layers if layer.location.cell == target.cell]
    return layer_at(layers, target.line)


def layer_at(layers: Sequence[RecurrentLayer], line: int) -> RecurrentLayer | None:
    """The innermost layer whose source span covers ``line``."""
    covering = [
        layer
        for layer in layers
        if layer.location.span and layer.location.span.line <= line <= layer.location.span.end_line
    ]
    if not covering:
        return None

    def size(layer: RecurrentLayer) -> tuple[int, int]:
        span = layer.location.span
        assert span is not None
        return (span.end_line - span.line, -span.column)

    return min(covering, key=size)


def main(argv: Sequence[str]) -> int:
    try:
        args = parser().parse_args(list(argv))
    except SystemExit as exc:
        return 0 if exc.code == 0 else 2
    try:
        target = parse_target(args.target)
    except ValueError as exc:
        print(f"kerasrnnlint probe: {exc}", file=sys.stderr)
        return 2
    from pathlib import Path

    from kerasrnnlint.config import ConfigError, discover_settings
    from kerasrnnlint.runner import lint_file

    try:  # the project's pyproject.toml, as a lint run of the file reads it
        settings = discover_settings(start=Path(target.path))
    except ConfigError as exc:
        print(f"kerasrnnlint probe: error: {exc}", file=sys.stderr)
        return 2
    linted = lint_file(target.path, settings)
    if linted.error:
        print(f"{target.path}: error: {linted.error}", file=sys.stderr)
        return 2
    layer = select(linted.layers, target)
    if layer is None:
        what = (
            f"no recurrent layer named {target.layer!r}"
            if target.layer is not None
            else f"no recurrent layer call spans line {target.line}"
        )
        print(f"{args.target}: error: {what}", file=sys.stderr)
        return 2
    options = ProbeOptions(
        mode=args.probe_mode,
        timeout=args.probe_timeout or settings.probe_timeout,
        total_timeout=args.probe_total_timeout,
        device=args.probe_device,
        backend=args.probe_backend or settings.probe_backend or "auto",
        min_severity=Severity.INFO,
        cache=not args.no_cache,
    )
    findings, result, notes = probe_one(layer, list(linted.findings), options)
    for note in notes:
        print(note, file=sys.stderr)
    if args.output_format == "json":
        write_json(layer, findings, result, notes, sys.stdout)
    elif args.output_format == "text":
        write_text(layer, findings, result, sys.stdout)
    else:
        write_report(args.output_format, layer, findings, result, sys.stdout)
    probed = [f.probe for f in findings if f.probe is not None] + ([result] if result else [])
    return 1 if any(r.verdict == "confirmed" for r in probed) else 0


def probe_one(
    layer: RecurrentLayer, findings: list[Finding], options: ProbeOptions
) -> tuple[list[Finding], ProbeResult | None, list[str]]:
    """The layer's findings with their probes, or the probe of the layer when it has none."""
    from kerasrnnlint.probe.runner import ProbeRequest, probe_batch

    own = [f for f in findings if f.subject == layer]
    probed = [f for f in own if f.code not in NOT_PROBED]
    if probed:
        requests = [ProbeRequest(layer, f.code, f.fix) for f in probed]
    else:
        requests = [ProbeRequest(layer)]
    results, notes = probe_batch(requests, options)
    if not probed:
        return own, results[0], notes
    by_id = {id(f): r for f, r in zip(probed, results, strict=True)}
    out = [with_probe(f, by_id[id(f)]) if id(f) in by_id else f for f in own]
    return out, None, notes


def write_text(
    layer: RecurrentLayer, findings: list[Finding], result: ProbeResult | None, out: TextIO
) -> None:
    from kerasrnnlint.probe.render import text_lines

    out.write(f"{layer.location.display()}: {layer.display_name}\n")
    if result is not None:
        out.write("  no finding on this layer; probed as written\n")
        for text in text_lines(result):
            out.write(f"    {text}\n")
    for finding in findings:
        out.write(f"  {finding.code} [{finding.severity}] {finding.message}\n")
        if finding.probe is not None:
            for text in text_lines(finding.probe):
                out.write(f"    {text}\n")


def write_report(
    output_format: str,
    layer: RecurrentLayer,
    findings: list[Finding],
    result: ProbeResult | None,
    out: TextIO,
) -> None:
    """A lint run's reporter (SARIF, GitHub, JUnit) over the layer's probed findings. These
    formats carry findings only: the probe of a layer with no finding goes to stderr as text."""
    from kerasrnnlint import reporters
    from kerasrnnlint.engine import FileResult

    if result is not None:
        write_text(layer, findings, result, sys.stderr)
    results = [FileResult(layer.location.path, findings=tuple(findings), layers=(layer,))]
    reporters.get(output_format)(results, reporters.ReportContext(), out)


def write_json(
    layer: RecurrentLayer,
    findings: list[Finding],
    result: ProbeResult | None,
    notes: list[str],
    out: TextIO,
) -> None:
    span = layer.location.span
    data: dict[str, Any] = {
        "filename": layer.location.path,
        "location": {"row": span.line, "column": span.column} if span else None,
        "layer": layer.display_name,
        "findings": [f.to_json() for f in findings],
        "probe": result.to_json() if result is not None else None,
        "notes": notes,
    }
    json.dump(data, out, indent=2)
    out.write("\n")


__all__ = ["Target", "layer_at", "main", "parse_target", "probe_one", "select", "write_report"]
