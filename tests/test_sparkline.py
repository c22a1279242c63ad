"""The probe's sparkline: first step to last, on a log scale that does not stretch a flat series
(issue 10). Pure rendering, no TensorFlow."""

from __future__ import annotations

from kerasrnnlint.probe import ProbeResult
from kerasrnnlint.probe.render import sparkline, text_lines


def test_a_flat_series_looks_flat() -> None:
    assert sparkline([0.355, 0.377, 0.36]) == "▁▁▁"  # a 6% wobble, not `█▁▃`
    assert sparkline([2.0, 2.0, 2.0]) == "▁▁▁"


def test_growth_is_drawn_first_to_last_on_a_log_scale() -> None:
    assert sparkline([1.0, 10.0, 100.0, 1000.0]) == "▁▃▆█"
    assert sparkline([1000.0, 100.0, 10.0, 1.0]) == "█▆▃▁"  # the order of the steps is kept
    assert sparkline([1.0, 10.0]) == "▁█"  # one decade fills the scale
    assert sparkline([1.0, float("nan")]) == "▁!"


def test_a_long_history_keeps_its_first_and_last_step() -> None:
    history = [1.0] * 99 + [1e6]
    line = sparkline(history)
    assert len(line) == 40 and line[0] == "▁" and line[-1] == "█"
    assert sparkline([1.0] * 50 + [float("inf")] + [1.0] * 49)[20] == "!"


def test_the_label_says_first_to_last() -> None:
    result = ProbeResult(
        verdict="not-reproduced",
        tier="stress",
        max_abs_h=0.377,
        history=(0.355, 0.377, 0.36),
        seconds=1.0,
        device="cpu",
    )
    (line,) = [x for x in text_lines(result) if "per step" in x]
    assert line == "  max |h| per step ▁▁▁ (log scale, step 1 → 3: 0.355 → 0.36)"
