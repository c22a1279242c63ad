"""The risk model (kerasrnnlint.severity) and the context rules, on IR objects built directly.

Every case runs through ``engine.check_layer``, the path a lint run takes, so what is asserted is
the severity and factors a user sees for a finding.
"""

from __future__ import annotations

import itertools
from dataclasses import replace

import pytest

from kerasrnnlint import engine, severity
from kerasrnnlint.config import Settings
from kerasrnnlint.findings import Finding, Severity
from kerasrnnlint.ir import (
    Arg,
    Context,
    Location,
    Optimizer,
    Producer,
    ProducerKind,
    RecurrentLayer,
    Span,
)
from kerasrnnlint.rules import RuleOptions, krl004_unnormalized_unbounded_input

HERE = Location("model.py", Span(3, 1, 3, 40))


def layer(
    cls: str = "LSTM",
    *,
    producer: Producer | None = None,
    timesteps: int | None = None,
    optimizer: Optimizer | None = None,
    **args: object,
) -> RecurrentLayer:
    return RecurrentLayer(
        cls=cls,
        location=HERE,
        args=tuple((k, Arg(value=v)) for k, v in args.items()),  # type: ignore[arg-type]
        context=Context(producer=producer, timesteps=timesteps, optimizer=optimizer),
    )


def findings(subject: RecurrentLayer, settings: Settings | None = None) -> dict[str, Finding]:
    found = engine.check_layer(subject, settings or Settings())
    by_code = {f.code: f for f in found}
    assert len(by_code) == len(found), "one finding per rule and layer"
    return by_code


def severities(subject: RecurrentLayer) -> dict[str, Severity]:
    return {code: f.severity for code, f in findings(subject).items()}


CLASSIC = layer(
    units=512,
    activation="relu",
    recurrent_dropout=0.3,
    kernel_constraint="MaxNorm",
    producer=Producer("InputLayer", "input"),
    timesteps=672,
    optimizer=Optimizer("Nadam", learning_rate=4e-4, clipnorm=1.0),
)
RELU_CONV = Producer(
    "Conv1D", "unbounded", activation="relu", location=Location("model.py", Span(7, 5, 7, 40))
)


def test_classic_case_is_high_for_every_stability_rule() -> None:
    got = findings(CLASSIC)
    assert {code: f.severity for code, f in got.items()} == {
        "KRL001": Severity.HIGH,
        "KRL003": Severity.HIGH,
        "KRL101": Severity.INFO,
    }
    names = {f.name for f in got["KRL001"].factors}
    assert {"activation", "learning_rate", "units", "sequence_length", "recurrent_dropout"} <= names
    assert "clipping" in names  # weak, but shown


def test_default_lstm_trained_with_adam_has_no_finding() -> None:
    default = layer(
        units=64,
        producer=Producer("InputLayer", "input"),
        timesteps=100,
        optimizer=Optimizer("Adam", learning_rate=1e-3, origin="'adam'"),
    )
    assert findings(default) == {}


TANH_SIGMOID = [
    dict(activation="tanh"),
    dict(activation="tanh", recurrent_activation="sigmoid"),
    dict(activation="sigmoid", recurrent_activation="hard_sigmoid"),
    dict(activation="softsign"),
]
CONTEXTS = [
    dict(),
    dict(
        optimizer=Optimizer("Adam", learning_rate=0.5),
        timesteps=4096,
        producer=RELU_CONV,
    ),
    dict(optimizer=Optimizer("Nadam", learning_rate=0.05, clipnorm=1.0), timesteps=672),
    dict(optimizer=Optimizer("RMSprop", learning_rate=None)),
]


@pytest.mark.parametrize(
    ("acts", "ctx", "cls"), list(itertools.product(TANH_SIGMOID, CONTEXTS, ["LSTM", "GRU"]))
)
def test_no_bounded_configuration_is_ever_high(
    acts: dict[str, object], ctx: dict[str, object], cls: str
) -> None:
    subject = layer(cls, units=1024, recurrent_dropout=0.5, **ctx, **acts)  # type: ignore[arg-type]
    got = severities(subject)
    for code in ("KRL001", "KRL002", "KRL003"):
        assert got.get(code, Severity.LOW) <= Severity.MEDIUM, (code, got)


def test_bounded_recurrent_dropout_at_high_lr_is_medium_and_capped() -> None:
    subject = layer(
        units=1024,
        recurrent_dropout=0.5,
        timesteps=1000,
        optimizer=Optimizer("Adam", learning_rate=0.05),
    )
    finding = findings(subject)["KRL003"]
    assert finding.severity is Severity.MEDIUM
    assert any("caps at medium" in f.effect for f in finding.factors)


def test_unseen_learning_rate_never_fires_krl003_on_a_bounded_layer() -> None:
    for optimizer in (None, Optimizer("Adam", learning_rate=None)):
        subject = layer(units=64, recurrent_dropout=0.3, optimizer=optimizer)
        assert "KRL003" not in findings(subject)


def test_krl003_threshold_comes_from_options() -> None:
    subject = layer(
        units=64, recurrent_dropout=0.3, optimizer=Optimizer("Adam", learning_rate=5e-3)
    )
    assert "KRL003" not in findings(subject)
    strict = Settings(rule_options=RuleOptions(recurrent_dropout_max_lr=1e-3))
    finding = findings(subject, strict)["KRL003"]
    assert "5e-03" in finding.message or "0.005" in finding.message
    assert finding.fix is not None and finding.fix.changes == (("recurrent_dropout", 0.0),)


def test_krl003_ignores_sgd_learning_rate_on_bounded_layer() -> None:
    subject = layer(units=64, recurrent_dropout=0.3, optimizer=Optimizer("SGD", learning_rate=1.0))
    assert "KRL003" not in findings(subject)


def test_sgd_lowers_relu_and_high_adaptive_lr_raises_selu() -> None:
    sgd = layer(units=64, activation="relu", optimizer=Optimizer("SGD", learning_rate=1.0))
    assert severities(sgd)["KRL001"] is Severity.LOW
    selu = layer(units=64, activation="selu")
    assert severities(selu)["KRL001"] is Severity.MEDIUM
    fast = layer(units=64, activation="selu", optimizer=Optimizer("Adam", learning_rate=4e-3))
    assert severities(fast)["KRL001"] is Severity.HIGH


def test_an_optimizer_class_not_known_adds_nothing() -> None:
    """A custom or add-on optimizer (a saved model's ``RectifiedAdam``) is not scored as SGD."""
    custom = Optimizer("RectifiedAdam", learning_rate=0.05)
    relu = findings(layer(units=64, activation="relu", optimizer=custom))["KRL001"]
    assert relu.severity is Severity.HIGH
    assert [f.name for f in relu.factors] == ["activation"]
    tanh = layer(units=64, recurrent_dropout=0.3, optimizer=custom)
    assert "KRL003" not in findings(tanh)  # the rate of an unknown family is not a danger sign


def test_relu_alone_is_high_and_tiny_learning_rate_lowers_it() -> None:
    assert severities(layer(units=8, activation="relu"))["KRL001"] is Severity.HIGH
    stable = layer(units=512, activation="relu", optimizer=Optimizer("Nadam", learning_rate=2e-5))
    assert severities(stable)["KRL001"] is Severity.MEDIUM
    published = replace(
        CLASSIC, context=replace(CLASSIC.context, optimizer=Optimizer("Nadam", 2e-5, clipnorm=1.0))
    )
    assert severities(published)["KRL001"] is Severity.MEDIUM  # reported stable at 2e-5
    nan = replace(
        CLASSIC, context=replace(CLASSIC.context, optimizer=Optimizer("Nadam", 5e-5, clipnorm=1.0))
    )
    assert severities(nan)["KRL001"] is Severity.HIGH  # reported NaN by batch 4 at 5e-5


def test_krl004_names_producer_and_line_low_on_tanh_high_on_relu() -> None:
    tanh = findings(layer(units=64, producer=RELU_CONV))["KRL004"]
    assert tanh.severity is Severity.LOW
    assert "Conv1D(activation='relu')" in tanh.message and "line 7" in tanh.message
    assert tanh.producer == RELU_CONV.location
    assert tanh.fix is not None and tanh.fix.normalize_input
    assert tanh.fix.title == "add LayerNormalization() in front"
    selu = findings(layer(units=64, activation="selu", producer=RELU_CONV))["KRL004"]
    assert selu.severity is Severity.HIGH
    # As ``explain KRL004`` says: plain SGD lowers it (the risk model, not a fixed level).
    sgd = Optimizer("SGD", learning_rate=0.1)
    relu = findings(layer(units=64, activation="relu", producer=RELU_CONV, optimizer=sgd))
    assert relu["KRL004"].severity is Severity.MEDIUM
    assert "explain severity" in krl004_unnormalized_unbounded_input.RULE.doc


@pytest.mark.parametrize(
    ("cls", "kind"),
    [
        ("InputLayer", "input"),
        ("LayerNormalization", "normalizing"),
        ("Dense", "bounded"),
        ("Lambda", "unknown"),
        ("Embedding", "unbounded"),  # a lookup table: the canonical text model is not flagged
    ],
)
def test_krl004_silent_unless_producer_unbounded(cls: str, kind: ProducerKind) -> None:
    subject = layer(units=64, activation="relu", producer=Producer(cls, kind))
    got = findings(subject)
    assert "KRL004" not in got
    assert all(f.name != "input" for f in got["KRL001"].factors)


def test_krl101_is_info_and_names_each_blocking_argument() -> None:
    subject = layer(
        "GRU", units=64, activation="relu", unroll=True, use_bias=False, reset_after=False
    )
    finding = findings(subject)["KRL101"]
    assert finding.severity is Severity.INFO
    for text in ("activation='relu'", "unroll=True", "use_bias=False", "reset_after=False"):
        assert text in finding.message
    assert finding.fix is not None and not finding.fix.safe
    assert dict(finding.fix.changes) == {
        "activation": "tanh",
        "unroll": False,
        "use_bias": True,
        "reset_after": True,
    }


@pytest.mark.parametrize(
    "subject",
    [
        layer("SimpleRNN", units=8, activation="relu"),
        layer("ConvLSTM2D", filters=8, activation="relu"),
        layer("LSTM", units=8, activation="relu", use_cudnn=False),
        layer("LSTM", units=8, reset_after=False),  # not a GRU
    ],
)
def test_krl101_silent_where_cudnn_does_not_apply(subject: RecurrentLayer) -> None:
    assert "KRL101" not in findings(subject)


def test_krl102_is_high_with_safe_fix_and_replaces_krl101() -> None:
    forced = layer(units=64, recurrent_dropout=0.2, use_cudnn=True)
    got = findings(forced)
    assert "KRL101" not in got
    finding = got["KRL102"]
    assert finding.severity is Severity.HIGH and "recurrent_dropout=0.2" in finding.message
    assert finding.fix is not None and finding.fix.safe
    assert finding.fix.changes == (("use_cudnn", "auto"),)
    assert "KRL102" not in findings(layer(units=64, use_cudnn=True))


def test_every_rating_carries_its_factors() -> None:
    for code in ("KRL001", "KRL002", "KRL003", "KRL004", "KRL101", "KRL102"):
        rating = severity.rate(code, CLASSIC, Severity.MEDIUM)
        assert rating.factors, code


def test_unknown_arguments_add_nothing() -> None:
    opaque = RecurrentLayer(cls="LSTM", location=HERE, open_kwargs=True)
    assert findings(opaque) == {}
    assert severity.rate("KRL001", opaque, Severity.HIGH).factors == ()


def test_documented_table_lists_every_fast_diverging_activation() -> None:
    """``explain severity`` prints this docstring: its +4 row names each activation scoring +4."""
    doc = severity.__doc__ or ""
    row = next(line for line in doc.splitlines() if line.startswith("| activation |"))
    names = {part.strip().split("/")[0] for part in row.split("|")[2].split(",")}
    assert names == set(severity.FAST_DIVERGING)
