"""The probe's training run (imports TensorFlow/Keras, lazily): used by the child process and by the
in-process entry point :func:`probe_layer` for live models.

How h (and c) is read per step: the rebuilt layer is called with ``return_sequences=True,
return_state=True`` (a cell is wrapped in ``keras.layers.RNN`` with both), so one compiled
``tf.function`` step returns the loss, max |h| over every timestep of the batch, max |c| of the
final cell state (LSTM/ConvLSTM), and the global gradient norm before clipping. That is the fast
way: the layer's own loop runs unchanged, and no per-timestep Python loop or ``predict`` call is
needed (``predict`` between steps would also advance the layer's dropout random state).
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Mapping
from typing import Any

from kerasrnnlint.findings import Fix
from kerasrnnlint.ir import CELL_CLASSES, RecurrentLayer, object_module
from kerasrnnlint.probe import ProbeResult
from kerasrnnlint.probe import spec as specs

TEST_SLEEP_ENV = "KERASRNNLINT_PROBE_TEST_SLEEP"  # tests: seconds a run sleeps first (a "hang")


def device_name() -> str:
    """What TensorFlow computes on: the first GPU's name, else ``cpu``."""
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    if not gpus:
        return "cpu"
    try:
        details = tf.config.experimental.get_device_details(gpus[0])
        return f"gpu: {details.get('device_name', gpus[0].name)}"
    except Exception:  # pragma: no cover - depends on the driver
        return f"gpu: {gpus[0].name}"


def _optimizer(keras: Any, conf: Mapping[str, Any]) -> Any:
    cls = getattr(keras.optimizers, str(conf["cls"]))
    kwargs = {"learning_rate": conf["learning_rate"]}
    for name in ("clipnorm", "clipvalue", "global_clipnorm"):
        if conf.get(name) is not None:
            kwargs[name] = conf[name]
    return cls(**kwargs)


def _producer(keras: Any, conf: Mapping[str, Any], features: int) -> Any:
    act = conf["activation"]
    if conf["kind"] == "conv1d":
        return keras.layers.Conv1D(features, 3, padding="same", activation=act)
    if conf["kind"] == "activation":
        return keras.layers.Activation(act)
    return keras.layers.Dense(features, activation=act)


def rebuild_objects(keras: Any, kwargs: dict[str, Any]) -> list[str]:
    """Turn the ``{"class_name", "config"}`` values of constraint/regularizer/initializer
    arguments into Keras objects with ``keras.<module>.get``, in place. One Keras refuses is
    dropped (the layer takes Keras's default) and returned, said for people."""
    assumed: list[str] = []
    for name, value in list(kwargs.items()):
        module = object_module(name)
        if module is None or not isinstance(value, Mapping) or "class_name" not in value:
            continue
        try:
            kwargs[name] = getattr(keras, module).get(
                {"class_name": value["class_name"], "config": dict(value.get("config") or {})}
            )
        except Exception as exc:  # an argument this Keras version does not take, ...
            del kwargs[name]
            why = f"{type(exc).__name__}: {exc}".strip()[:120]
            assumed.append(f"{name} (Keras default; Keras refused {value['class_name']}: {why})")
    return assumed


def build_model(
    spec: Mapping[str, Any],
    activation: Callable[..., Any] | None = None,
    recurrent_activation: Callable[..., Any] | None = None,
    *,
    assumed: list[str] | None = None,
) -> Any:
    """input → [producer] → [LayerNormalization] → recurrent layer → Dense(1, sigmoid).

    The model's outputs are (prediction, h sequence, *final states). Object arguments Keras
    refuses to rebuild take its default and are appended to ``assumed``.
    """
    import keras

    kwargs = dict(spec["kwargs"])
    refused = rebuild_objects(keras, kwargs)
    if assumed is not None:
        assumed.extend(refused)
    if kwargs.get("activation") == "__callable__":
        kwargs["activation"] = activation
    if kwargs.get("recurrent_activation") == "__callable__":
        kwargs["recurrent_activation"] = recurrent_activation
    cls = str(spec["cls"])
    units = int(spec["units"])
    spatial = list(spec["spatial"])
    shape = (int(spec["timesteps"]), *spatial, int(spec["features"]))
    inputs = keras.Input(shape=shape, batch_size=int(spec["batch"]))
    x = inputs
    if spec.get("producer"):
        x = _producer(keras, spec["producer"], int(spec["features"]))(x)
    if spec.get("normalize"):
        x = keras.layers.LayerNormalization()(x)
    layer_cls = getattr(keras.layers, cls)
    if cls in CELL_CLASSES:
        unroll = bool(kwargs.pop("unroll", False))
        cell = layer_cls(units, **kwargs)
        rnn = keras.layers.RNN(cell, return_sequences=True, return_state=True, unroll=unroll)
    elif cls in specs.CONV_RANK:
        filters_kwargs = dict(kwargs)
        kernel = filters_kwargs.pop("kernel_size")
        rnn = layer_cls(units, kernel, return_sequences=True, return_state=True, **filters_kwargs)
    else:
        rnn = layer_cls(units, return_sequences=True, return_state=True, **kwargs)
    outputs = rnn(x)
    sequence, states = outputs[0], list(outputs[1:])
    last = sequence[:, -1]
    if spatial:
        last = keras.layers.Flatten()(last)
    prediction = keras.layers.Dense(1, activation="sigmoid")(last)
    return keras.Model(inputs, [prediction, sequence, *states])


def run_spec(
    spec: Mapping[str, Any],
    budget: float | None = None,
    activation: Callable[..., Any] | None = None,
    recurrent_activation: Callable[..., Any] | None = None,
    *,
    isolated: bool = False,
) -> dict[str, Any]:
    """Train the spec's model until the first divergence, ``max_steps`` or ``budget`` seconds.

    Returns a plain dict (JSON; non-finite floats stay floats): ``verdict`` (``confirmed``,
    ``not-reproduced`` or ``error``), ``step`` (of the divergence), ``steps`` run, ``history`` (max
    |h| per step), ``max_abs_h``, ``max_abs_c``, ``loss``, ``grad_norm``, ``seconds``, ``device``,
    ``stopped`` and ``reason``.

    ``isolated`` (the child process) clears Keras's session before and after the run. In-process
    (a live model, maybe mid-``fit``) the session is left alone; the run still seeds Keras's global
    random state with ``keras.utils.set_random_seed`` so that verdicts repeat, and puts Python's
    and NumPy's global random states back afterwards.
    """
    started = time.perf_counter()
    sleep = os.environ.get(TEST_SLEEP_ENV)
    if sleep:
        time.sleep(float(sleep))
    try:
        return _train(spec, budget, activation, recurrent_activation, started, isolated)
    except Exception as exc:  # a configuration Keras refuses, an op TF cannot run...
        return {
            "verdict": "error",
            "step": None,
            "steps": 0,
            "history": [],
            "seconds": time.perf_counter() - started,
            "device": "",
            "stopped": "error",
            "reason": f"{type(exc).__name__}: {exc}".strip()[:500],
        }


def _train(
    spec: Mapping[str, Any],
    budget: float | None,
    activation: Callable[..., Any] | None,
    recurrent_activation: Callable[..., Any] | None,
    started: float,
    isolated: bool,
) -> dict[str, Any]:
    import random

    import keras
    import numpy as np

    if isolated:
        keras.backend.clear_session()
    python_state, numpy_state = random.getstate(), np.random.get_state()
    keras.utils.set_random_seed(int(spec["seed"]))
    try:
        return _steps(spec, budget, activation, recurrent_activation, started)
    finally:
        random.setstate(python_state)
        np.random.set_state(numpy_state)
        if isolated:
            keras.backend.clear_session()


def _steps(
    spec: Mapping[str, Any],
    budget: float | None,
    activation: Callable[..., Any] | None,
    recurrent_activation: Callable[..., Any] | None,
    started: float,
) -> dict[str, Any]:
    import keras
    import numpy as np
    import tensorflow as tf

    assumed: list[str] = []
    model = build_model(spec, activation, recurrent_activation, assumed=assumed)
    optimizer = _optimizer(keras, spec["optimizer"])
    variables = model.trainable_variables
    optimizer.build(variables)
    loss_fn = keras.losses.BinaryCrossentropy()
    batch = int(spec["batch"])
    labels = np.zeros((batch, 1), dtype="float32")
    labels[: max(1, round(batch * specs.POSITIVE_LABELS / specs.STRESS_BATCH))] = 1.0
    has_c = str(spec["cls"]).startswith(("LSTM", "ConvLSTM"))

    @tf.function(jit_compile=False)  # type: ignore[untyped-decorator]
    def step(x: Any, y: Any) -> Any:
        with tf.GradientTape() as tape:
            outputs = model(x, training=True)
            loss = loss_fn(y, outputs[0])
        grads = tape.gradient(loss, variables)
        grad_norm = tf.linalg.global_norm([g for g in grads if g is not None])
        optimizer.apply_gradients(zip(grads, variables, strict=True))
        max_h = tf.reduce_max(tf.abs(outputs[1]))
        max_c = tf.reduce_max(tf.abs(outputs[3])) if has_c and len(outputs) > 3 else max_h * 0.0
        return loss, max_h, max_c, grad_norm

    rng = np.random.default_rng(int(spec["seed"]))
    shape = (batch, int(spec["timesteps"]), *spec["spatial"], int(spec["features"]))
    h_limit = float(spec["h_limit"])
    history: list[float] = []
    result: dict[str, Any] = {"verdict": "not-reproduced", "step": None, "stopped": "max_steps"}
    if assumed:
        result["assumed"] = assumed
    last_step = 0.0
    loss = max_c = grad_norm = float("nan")
    for index in range(1, int(spec["max_steps"]) + 1):
        now = time.perf_counter()
        if budget is not None and index > 1 and (now - started) + 1.2 * last_step > budget:
            result["stopped"] = "budget"
            break
        x = rng.standard_normal(shape).astype("float32")
        values = step(tf.constant(x), tf.constant(labels))
        loss, max_h, max_c, grad_norm = (float(v) for v in values)
        last_step = time.perf_counter() - now
        history.append(max_h)
        finite = all(math.isfinite(v) for v in (loss, max_h, grad_norm))
        if not finite or max_h > h_limit:
            result.update(verdict="confirmed", step=index, stopped="diverged")
            break
    finite_h = [h for h in history if math.isfinite(h)]
    result.update(
        steps=len(history),
        history=history,
        max_abs_h=(history[-1] if history and not math.isfinite(history[-1]) else max(finite_h))
        if history
        else None,
        max_abs_c=max_c if has_c else None,
        loss=loss,
        grad_norm=grad_norm,
        seconds=time.perf_counter() - started,
        device=device_name(),
        reason=_reason(result, history, h_limit, loss, grad_norm),
    )
    return result


def _reason(
    result: Mapping[str, Any], history: list[float], h_limit: float, loss: float, grad: float
) -> str:
    if result["verdict"] != "confirmed":
        return f"finite for {len(history)} steps (stopped: {result['stopped']})"
    max_h = history[-1]
    if not math.isfinite(loss):
        return f"loss became {loss} at step {result['step']}"
    if not math.isfinite(max_h):
        return f"h became {max_h} at step {result['step']}"
    if not math.isfinite(grad):
        return f"gradient norm became {grad} at step {result['step']}"
    return f"max |h| {max_h:.3g} > {h_limit:g} at step {result['step']}"


# --------------------------------------------------------------------------------------------------
# Turning run dicts into a ProbeResult (also used by the lint-process runner: no TensorFlow here)
# --------------------------------------------------------------------------------------------------


def describe_fix(fix: Fix) -> str:
    parts = [f"{name}={value!r}" for name, value in fix.changes]
    if fix.normalize_input:
        parts.append("LayerNormalization in front")
    return ", ".join(parts) or fix.title


def fix_outcome(
    fix: Fix, base: Mapping[str, Any], run: Mapping[str, Any]
) -> tuple[bool | None, str]:
    """(fix_verified, evidence) of a fix run after a confirmed base run."""
    what = describe_fix(fix)
    was = f"unfixed: {base.get('reason', '')}"
    if run.get("verdict") == "error":
        return None, f"with {what}: the fixed layer could not be trained ({run.get('reason')})"
    if run.get("verdict") == "confirmed":
        return False, f"with {what}: still diverges, {run.get('reason')} ({was})"
    steps = int(run.get("steps") or 0)
    needed = int(base.get("step") or 0)
    max_h = run.get("max_abs_h")
    shown = f"{max_h:.3g}" if isinstance(max_h, float) else "?"
    if steps < needed:
        return None, (
            f"with {what}: finite for only {steps} steps before the budget ran out, fewer than "
            f"the {needed} the unfixed layer needed to diverge"
        )
    return True, f"with {what}: finite for {steps} steps, max |h| {shown} ({was})"


def to_result(
    base: Mapping[str, Any],
    defaults_used: tuple[str, ...],
    fix: Fix | None = None,
    fix_run: Mapping[str, Any] | None = None,
    cached: bool = False,
) -> ProbeResult:
    """The :class:`ProbeResult` of a base run dict and, when the fix ran, its run dict."""
    verdict = str(base.get("verdict", "error"))
    fix_verified: bool | None = None
    evidence: str | None = None
    seconds = float(base.get("seconds") or 0.0)
    extra: dict[str, Any] = {
        "steps": base.get("steps"),
        "max_abs_c": base.get("max_abs_c"),
        "loss": base.get("loss"),
        "grad_norm": base.get("grad_norm"),
        "cached": cached,
    }
    if verdict == "confirmed" and fix is not None:
        if fix_run is None:
            evidence = f"fix {describe_fix(fix)!r} not run"
        else:
            fix_verified, evidence = fix_outcome(fix, base, fix_run)
            seconds += float(fix_run.get("seconds") or 0.0)
            extra["fix_history"] = list(fix_run.get("history") or [])
    return ProbeResult(
        verdict=verdict,  # type: ignore[arg-type]
        tier=str(base.get("tier", "")),
        step=base.get("step"),
        max_abs_h=base.get("max_abs_h"),
        history=tuple(float(h) for h in base.get("history") or ()),
        seconds=seconds,
        device=str(base.get("device", "")),
        fix_verified=fix_verified,
        fix_evidence=evidence,
        defaults_used=(*defaults_used, *(str(a) for a in base.get("assumed") or ())),
        message=str(base.get("reason", "")),
        extra=extra,
    )


def probe_layer(
    layer: RecurrentLayer,
    *,
    code: str | None = None,
    fix: Fix | None = None,
    activation: Callable[..., Any] | None = None,
    recurrent_activation: Callable[..., Any] | None = None,
    mode: specs.Mode = "stress",
    budget: float | None = 30.0,
) -> ProbeResult:
    """Probe one layer in this process (imports TensorFlow): the entry point for live models.

    ``activation`` / ``recurrent_activation`` are the real callables of a live layer: they replace
    the IR's (possibly unknown or custom) activation, so a custom activation gets a verdict.
    ``code`` ``"KRL004"`` puts the layer's producer in front of it. After ``confirmed``, ``fix``
    is verified by the same run with the fix applied.
    """
    with_producer = code == "KRL004"
    outcome = specs.build_spec(
        layer,
        mode,
        with_producer=with_producer,
        override_activation=activation is not None,
        override_recurrent_activation=recurrent_activation is not None,
    )
    if outcome.spec is None:
        return ProbeResult(verdict="unknown", tier=mode, message=outcome.unknown or "")
    base = {**run_spec(outcome.spec, budget, activation, recurrent_activation), "tier": mode}
    fix_result: dict[str, Any] | None = None
    if fix is not None and base["verdict"] == "confirmed":
        fixed = specs.fix_spec(
            layer,
            fix,
            mode,
            with_producer=with_producer,
            override_activation=activation is not None,
            override_recurrent_activation=recurrent_activation is not None,
        )
        if fixed.spec is not None:
            run = specs.fix_run(fixed.spec, base)
            fix_result = run_spec(run, budget, activation, recurrent_activation)
    return to_result(base, outcome.defaults_used, fix, fix_result)
