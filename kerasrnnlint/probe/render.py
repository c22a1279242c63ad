"""Text lines for a probe result, shown under its finding by the text reporter. Pure, no Keras.

probe (stress, tensorflow 2.21.0, cpu): confirmed at step 2 · max |h| 5e+12 · 3.6 s
  max |h| per step ▁█ (log scale, step 1 → 2: 0.86 → 5e+12)
  fix verified: with activation='tanh': finite for 6 steps, max |h| 1 (unfixed: ...)
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from kerasrnnlint.probe import ProbeResult

BARS = "▁▂▃▄▅▆▇█"
NON_FINITE_BAR = "!"  # a step whose max |h| was NaN or infinite


def number(value: float | None) -> str:
    if value is None:
        return "?"
    if not math.isfinite(value):
        return str(value)
    return f"{value:.3g}"


SPARK_WIDTH = 40  # bars at most; a longer history is drawn in buckets (each its largest value)
MIN_DECADES = 1.0  # the scale spans at least a factor of 10: a flat series stays flat


def sparkline(values: Sequence[float], width: int = SPARK_WIDTH) -> str:
    """A log-scale sparkline of positive values, from the first step (left) to the last; a
    non-finite value is drawn as ``!``.

    The lowest bar is the smallest value and the scale spans at least :data:`MIN_DECADES`, so a
    wobble is not stretched into a climb: 0.355 → 0.377 draws ``▁▁▁``, 1 → 1000 draws ``▁▃▆█``.
    """
    values = _buckets(values, width)
    finite = [v for v in values if math.isfinite(v)]
    if not finite:
        return NON_FINITE_BAR * len(values)
    low = min(math.log10(max(v, 1e-12)) for v in finite)
    high = max(math.log10(max(v, 1e-12)) for v in finite)
    span = max(high - low, MIN_DECADES)
    out = []
    for value in values:
        if not math.isfinite(value):
            out.append(NON_FINITE_BAR)
            continue
        level = (math.log10(max(value, 1e-12)) - low) / span
        out.append(BARS[min(len(BARS) - 1, int(level * (len(BARS) - 1) + 0.5))])
    return "".join(out)


def _buckets(values: Sequence[float], width: int) -> list[float]:
    """``values`` in at most ``width`` consecutive buckets, first to last step, each drawn as its
    largest value (non-finite when any of its steps is)."""
    if len(values) <= width:
        return list(values)
    out = []
    for index in range(width):
        chunk = values[index * len(values) // width : (index + 1) * len(values) // width]
        bad = [v for v in chunk if not math.isfinite(v)]
        out.append(bad[0] if bad else max(chunk))
    return out


def headline(result: ProbeResult) -> str:
    backend = " ".join(p for p in (result.backend, result.backend_version) if p)
    where = ", ".join(p for p in (result.tier, backend, result.device) if p)
    head = f"probe ({where})" if where else "probe"
    verdict = result.verdict
    if verdict == "confirmed":
        text = f"{head}: confirmed at step {result.step}"
    elif verdict == "not-reproduced":
        steps = result.extra.get("steps")
        text = f"{head}: not reproduced" + (f" in {steps} steps" if steps else "")
    elif verdict == "inconclusive":
        text = f"{head}: inconclusive (budget)"
    else:
        return f"{head}: {verdict}: {result.message}" if result.message else f"{head}: {verdict}"
    text += f" · max |h| {number(result.max_abs_h)} · {result.seconds:.1f} s"
    if result.extra.get("cached"):
        text += " (cached)"
    return text


def text_lines(result: ProbeResult) -> list[str]:
    """The lines that describe ``result`` (without indentation; the reporter indents them)."""
    lines = [headline(result)]
    if result.verdict in ("confirmed", "not-reproduced", "inconclusive"):
        if result.message:
            lines.append(f"  {result.message}")
        if result.history:
            history = result.history
            lines.append(
                f"  max |h| per step {sparkline(history)} (log scale, step 1 → {len(history)}: "
                f"{number(history[0])} → {number(history[-1])})"
            )
    if result.fix_verified is True:
        lines.append(f"  fix verified: {result.fix_evidence}")
    elif result.fix_verified is False:
        lines.append(f"  fix not verified: {result.fix_evidence}")
    elif result.fix_evidence:
        lines.append(f"  fix not checked: {result.fix_evidence}")
    if result.defaults_used:
        lines.append(f"  assumed: {'; '.join(result.defaults_used)}")
    return lines
