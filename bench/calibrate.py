"""Calibrate the risk model against the replay probe.

A grid of configurations (activation x units x learning rate x recurrent_dropout x optimizer x
normalised input or not) is rated by the static rules and risk model (``engine.check_layer``, which
calls ``kerasrnnlint.severity.rate``; the rating of a configuration is its highest finding, KRL101/
KRL102 left out since they are about speed, not NaN) and trained by the replay probe (all of it in
one child process). The table shows, per static severity, how many configurations diverged.

Targets (issue 4): every configuration the probe sees diverge is rated at least ``medium``; no
tanh/sigmoid configuration is rated ``high``. Misses are listed under the table.

    python bench/calibrate.py                 # the small default grid, a few minutes on 2 cores
    python bench/calibrate.py --backend jax   # the same grid trained on JAX
    python bench/calibrate.py --grid full     # the whole grid (long)
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
from collections import Counter
from dataclasses import dataclass

from kerasrnnlint.config import Settings
from kerasrnnlint.engine import check_layer
from kerasrnnlint.findings import Severity
from kerasrnnlint.ir import Arg, Context, Location, Optimizer, Producer, RecurrentLayer, Span
from kerasrnnlint.probe import NOT_PROBED, ProbeOptions, ProbeResult
from kerasrnnlint.probe.runner import ProbeRequest, probe_batch

GRIDS = {
    "small": {
        "activation": ("relu", "selu", "tanh"),
        "units": (32, 128),
        "lr": (1e-3, 1e-2),
        "recurrent_dropout": (0.0, 0.3),
        "optimizer": ("Adam",),
        "normalized": (False, True),
    },
    "full": {
        "activation": ("relu", "elu", "selu", "gelu", "linear", "tanh", "sigmoid", "relu6"),
        "units": (32, 128, 512),
        "lr": (1e-4, 1e-3, 1e-2, 1e-1),
        "recurrent_dropout": (0.0, 0.3),
        "optimizer": ("Adam", "Nadam", "RMSprop", "SGD"),
        "normalized": (False, True),
    },
}
TIMESTEPS = 64
FEATURES = 16
RELU_DENSE = Producer("Dense", "unbounded", activation="relu")
LAYER_NORM = Producer("LayerNormalization", "normalizing")


@dataclass(frozen=True)
class Config:
    activation: str
    units: int
    lr: float
    recurrent_dropout: float
    optimizer: str
    normalized: bool

    def layer(self) -> RecurrentLayer:
        context = Context(
            producer=LAYER_NORM if self.normalized else RELU_DENSE,
            timesteps=TIMESTEPS,
            features=FEATURES,
            optimizer=Optimizer(self.optimizer, learning_rate=self.lr),
        )
        args = (
            ("units", Arg(self.units)),
            ("activation", Arg(self.activation)),
            ("recurrent_dropout", Arg(self.recurrent_dropout)),
        )
        return RecurrentLayer("LSTM", Location("grid.py", Span(1, 1, 1, 2)), args, context=context)


def static_rating(layer: RecurrentLayer) -> Severity | None:
    """The highest severity of the layer's NaN findings, None when it has none."""
    findings = [f for f in check_layer(layer, Settings()) if f.code not in NOT_PROBED]
    return max((f.severity for f in findings), default=None)


def request(config: Config) -> ProbeRequest:
    """Unnormalised: the relu Dense producer in front (as for KRL004); normalised: a
    LayerNormalization in front of the recurrent layer."""
    if config.normalized:
        return ProbeRequest(config.layer(), normalize_input=True)
    return ProbeRequest(config.layer(), "KRL004")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grid", choices=sorted(GRIDS), default="small")
    parser.add_argument("--steps", type=int, default=20, help="replay steps per configuration")
    parser.add_argument("--timeout", type=float, default=20.0, help="seconds per configuration")
    parser.add_argument("--no-cache", action="store_true")
    parser.add_argument(
        "--backend",
        choices=("auto", "tensorflow", "jax", "torch"),
        default="auto",
        help="the Keras backend to train on (auto: the one Keras would use)",
    )
    args = parser.parse_args(argv)
    grid = GRIDS[args.grid]
    configs = [Config(*values) for values in itertools.product(*grid.values())]
    options = ProbeOptions(
        mode="replay",
        timeout=args.timeout,
        total_timeout=args.timeout * len(configs) + 120,
        max_steps=args.steps,
        cache=not args.no_cache,
        backend=args.backend,
    )
    started = time.perf_counter()
    results, notes = probe_batch([request(c) for c in configs], options)
    seconds = time.perf_counter() - started
    for note in notes:
        print(note, file=sys.stderr)
    ratings = [static_rating(c.layer()) for c in configs]
    print_table(configs, ratings, results)
    ran = next((r for r in results if r.backend), None)
    on = f" on {ran.backend} {ran.backend_version} ({ran.device})" if ran else ""
    print(f"\n{len(configs)} configurations, {args.steps} replay steps max{on}, {seconds:.0f} s")
    for config, result in zip(configs, results, strict=True):
        if result.verdict == "confirmed":
            print(f"  diverged at step {result.step}: {config}")
    return 0


def label(rating: Severity | None) -> str:
    return "none" if rating is None else str(rating)


def print_table(
    configs: list[Config], ratings: list[Severity | None], results: list[ProbeResult]
) -> None:
    total: Counter[str] = Counter()
    diverged: Counter[str] = Counter()
    other: Counter[str] = Counter()
    for rating, result in zip(ratings, results, strict=True):
        total[label(rating)] += 1
        if result.verdict == "confirmed":
            diverged[label(rating)] += 1
        elif result.verdict != "not-reproduced":
            other[label(rating)] += 1
    print("| static severity | configurations | diverged (replay) | share | no verdict |")
    print("|---|---:|---:|---:|---:|")
    for name in ("none", "info", "low", "medium", "high"):
        if total[name]:
            share = diverged[name] / total[name]
            print(f"| {name} | {total[name]} | {diverged[name]} | {share:.0%} | {other[name]} |")
    print("\n| activation | configurations | diverged | static ratings |")
    print("|---|---:|---:|---|")
    for activation in dict.fromkeys(c.activation for c in configs):
        rows = [
            (rating, result)
            for config, rating, result in zip(configs, ratings, results, strict=True)
            if config.activation == activation
        ]
        count = sum(result.verdict == "confirmed" for _, result in rows)
        seen = Counter(label(rating) for rating, _ in rows)
        text = ", ".join(f"{name} {seen[name]}" for name in sorted(seen))
        print(f"| {activation} | {len(rows)} | {count} | {text} |")
    misses = []
    for config, rating, result in zip(configs, ratings, results, strict=True):
        if result.verdict == "confirmed" and (rating is None or rating < Severity.MEDIUM):
            misses.append(f"diverged but rated {label(rating)}: {config}")
        if config.activation in ("tanh", "sigmoid") and rating == Severity.HIGH:
            misses.append(f"bounded activation rated high: {config}")
        if result.verdict not in ("confirmed", "not-reproduced"):  # inconclusive, timeout...
            misses.append(f"{result.verdict}: {config}: {result.message}")
    print("\ntarget misses:" if misses else "\ntargets met")
    for miss in misses:
        print(f"  {miss}")


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
