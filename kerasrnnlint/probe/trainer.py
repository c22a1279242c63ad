"""The probe's training run (imports Keras and its backend, lazily): used by the child process and
by the in-process entry point :func:`probe_layer` for live models.

The model is built with Keras 3's backend-agnostic API (``keras.layers``, ``keras.ops``, seeds from
``keras.utils.set_random_seed``); only the one training step is backend-specific
(:func:`make_step`): ``tf.GradientTape`` in a ``tf.function`` on TensorFlow,
``stateless_call`` + ``jax.value_and_grad`` in a ``jax.jit`` on JAX, autograd on PyTorch. Each
returns the same four numbers: the loss, max |h| over every timestep of the batch, max |c| of the
final cell state (LSTM/ConvLSTM) and the global gradient norm before clipping.

How h (and c) is read per step: the rebuilt layer is called with ``return_sequences=True,
return_state=True`` (a cell is wrapped in ``keras.layers.RNN`` with both), so the compiled step
returns them with the loss. That is the fast way: the layer's own loop runs unchanged, and no
per-timestep Python loop or ``predict`` call is needed (``predict`` between steps would also
advance the layer's dropout random state).
"""

from __future__ import annotations

import importlib
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
STRESS_BUDGET = 30.0  # seconds per stress run when no budget is given

Metrics = tuple[float, float, float, float]  # loss, max |h|, max |c|, gradient norm
StepFn = Callable[[Any, Any], Metrics]
Progress = Callable[[int, float], None]  # (step just finished, its seconds)


def backend_name() -> str:
    """The backend this process's Keras runs on (fixed when Keras is first imported)."""
    import keras

    return str(keras.backend.backend())


def backend_version(backend: str) -> str:
    module = importlib.import_module(backend)
    return str(getattr(module, "__version__", ""))


def device_name(backend: str | None = None) -> str:
    """What the backend computes on: ``cpu``, or ``gpu: NAME`` for its first GPU."""
    backend = backend or backend_name()
    if backend == "jax":
        import jax

        device = jax.devices()[0]
        return "cpu" if device.platform == "cpu" else f"gpu: {device.device_kind}"
    if backend == "torch":
        import torch

        if not torch.cuda.is_available():
            return "cpu"
        return f"gpu: {torch.cuda.get_device_name(0)}"
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


# --------------------------------------------------------------------------------------------------
# The one backend-specific part: a training step
# --------------------------------------------------------------------------------------------------


def _max_abs(x: Any) -> Any:
    """max |x|, NaN when any element is NaN (an XLA max can skip NaNs)."""
    from keras import ops

    a = ops.abs(x)
    return ops.where(ops.any(ops.isnan(a)), ops.cast(float("nan"), a.dtype), ops.max(a))


def _global_norm(grads: Any) -> Any:
    from keras import ops

    squares = [ops.sum(ops.square(g)) for g in grads if g is not None]
    return ops.sqrt(sum(squares[1:], squares[0])) if squares else ops.convert_to_tensor(0.0)


def _metrics(loss: Any, outputs: Any, grads: Any, has_c: bool) -> tuple[Any, Any, Any, Any]:
    max_h = _max_abs(outputs[1])
    max_c = _max_abs(outputs[3]) if has_c and len(outputs) > 3 else max_h * 0.0
    return loss, max_h, max_c, _global_norm(grads)


def make_step(backend: str, model: Any, optimizer: Any, loss_fn: Any, has_c: bool) -> StepFn:
    """A compiled training step for ``backend``: (x, y) NumPy arrays → the four numbers."""
    if backend == "jax":
        return _jax_step(model, optimizer, loss_fn, has_c)
    if backend == "torch":
        return _torch_step(model, optimizer, loss_fn, has_c)
    if backend != "tensorflow":
        raise ValueError(f"the Keras backend {backend!r} cannot train a layer")
    return _tensorflow_step(model, optimizer, loss_fn, has_c)


def _tensorflow_step(model: Any, optimizer: Any, loss_fn: Any, has_c: bool) -> StepFn:
    import tensorflow as tf

    variables = model.trainable_variables

    @tf.function(jit_compile=False)  # type: ignore[untyped-decorator]
    def step(x: Any, y: Any) -> Any:
        with tf.GradientTape() as tape:
            outputs = model(x, training=True)
            loss = loss_fn(y, outputs[0])
        grads = tape.gradient(loss, variables)
        values = _metrics(loss, outputs, grads, has_c)
        optimizer.apply_gradients(zip(grads, variables, strict=True))
        return values

    def run(x: Any, y: Any) -> Metrics:
        loss, max_h, max_c, norm = step(tf.constant(x), tf.constant(y))
        return float(loss), float(max_h), float(max_c), float(norm)

    return run


def _jax_step(model: Any, optimizer: Any, loss_fn: Any, has_c: bool) -> StepFn:
    import jax

    def compute(trainable: Any, non_trainable: Any, x: Any, y: Any) -> Any:
        outputs, non_trainable = model.stateless_call(trainable, non_trainable, x, training=True)
        return loss_fn(y, outputs[0]), (outputs, non_trainable)

    grad_fn = jax.value_and_grad(compute, has_aux=True)

    @jax.jit  # type: ignore[untyped-decorator,unused-ignore]
    def step(state: Any, x: Any, y: Any) -> Any:
        trainable, non_trainable, optimizer_vars = state
        (loss, (outputs, non_trainable)), grads = grad_fn(trainable, non_trainable, x, y)
        values = _metrics(loss, outputs, grads, has_c)
        trainable, optimizer_vars = optimizer.stateless_apply(optimizer_vars, grads, trainable)
        return (trainable, non_trainable, optimizer_vars), values

    # The dropout seed generators' states are non-trainable variables: they go through the step.
    state = [
        [v.value for v in model.trainable_variables],
        [v.value for v in model.non_trainable_variables],
        [v.value for v in optimizer.variables],
    ]

    def run(x: Any, y: Any) -> Metrics:
        new_state, (loss, max_h, max_c, norm) = step(tuple(state), x, y)
        state[:] = list(new_state)
        return float(loss), float(max_h), float(max_c), float(norm)

    return run


def _torch_step(model: Any, optimizer: Any, loss_fn: Any, has_c: bool) -> StepFn:
    import torch
    from keras import ops

    weights = list(model.trainable_weights)

    def run(x: Any, y: Any) -> Metrics:
        x, y = ops.convert_to_tensor(x), ops.convert_to_tensor(y)
        model.zero_grad()
        outputs = model(x, training=True)
        if not bool(torch.isfinite(outputs[0]).all()):
            # torch's binary cross-entropy refuses a NaN prediction: the loss is NaN.
            with torch.no_grad():
                _, max_h, max_c, _ = _metrics(outputs[0], outputs, [], has_c)
            nan = float("nan")
            return nan, float(max_h), float(max_c), nan
        loss = loss_fn(y, outputs[0])
        loss.backward()
        grads = [v.value.grad for v in weights]
        with torch.no_grad():
            values = _metrics(loss.detach(), [o.detach() for o in outputs], grads, has_c)
            optimizer.apply(grads, weights)
        loss_value, max_h, max_c, norm = values
        return float(loss_value), float(max_h), float(max_c), float(norm)

    return run


# --------------------------------------------------------------------------------------------------
# A run
# --------------------------------------------------------------------------------------------------


def run_spec(
    spec: Mapping[str, Any],
    budget: float | None = None,
    activation: Callable[..., Any] | None = None,
    recurrent_activation: Callable[..., Any] | None = None,
    *,
    isolated: bool = False,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Train the spec's model until the first divergence, ``max_steps`` or ``budget`` seconds,
    on the backend this process's Keras runs on.

    Returns a plain dict (JSON; non-finite floats stay floats): ``verdict`` (``confirmed``,
    ``not-reproduced``, ``inconclusive`` when the budget stopped it first, or ``error``),
    ``step`` (of the divergence), ``steps`` run, ``max_steps``, ``history`` (max |h| per step),
    ``max_abs_h``, ``max_abs_c``, ``loss``, ``grad_norm``, ``seconds``, ``first_step_seconds``
    and ``step_seconds`` (the first, traced step and the second), ``device``, ``backend``,
    ``backend_version``, ``keras``, ``stopped`` and ``reason``. ``progress`` is called after
    each step that does not end the run.

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
        return _train(spec, budget, activation, recurrent_activation, started, isolated, progress)
    except Exception as exc:  # a configuration Keras refuses, an op the backend cannot run...
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
    progress: Progress | None,
) -> dict[str, Any]:
    import random

    import keras
    import numpy as np

    if isolated:
        keras.backend.clear_session()
    python_state, numpy_state = random.getstate(), np.random.get_state()
    keras.utils.set_random_seed(int(spec["seed"]))
    try:
        return _steps(spec, budget, activation, recurrent_activation, started, progress)
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
    progress: Progress | None,
) -> dict[str, Any]:
    import keras
    import numpy as np

    backend = backend_name()
    assumed: list[str] = []
    model = build_model(spec, activation, recurrent_activation, assumed=assumed)
    optimizer = _optimizer(keras, spec["optimizer"])
    optimizer.build(model.trainable_variables)
    loss_fn = keras.losses.BinaryCrossentropy()
    batch = int(spec["batch"])
    labels = np.zeros((batch, 1), dtype="float32")
    labels[: max(1, round(batch * specs.POSITIVE_LABELS / specs.STRESS_BATCH))] = 1.0
    has_c = str(spec["cls"]).startswith(("LSTM", "ConvLSTM"))
    step = make_step(backend, model, optimizer, loss_fn, has_c)

    rng = np.random.default_rng(int(spec["seed"]))
    shape = (batch, int(spec["timesteps"]), *spec["spatial"], int(spec["features"]))
    h_limit = float(spec["h_limit"])
    max_steps = int(spec["max_steps"])
    history: list[float] = []
    times: list[float] = []
    result: dict[str, Any] = {"verdict": "not-reproduced", "step": None, "stopped": "max_steps"}
    if assumed:
        result["assumed"] = assumed
    loss = max_c = grad_norm = float("nan")
    for index in range(1, max_steps + 1):
        now = time.perf_counter()
        if budget is not None and index > 1 and (now - started) + 1.2 * times[-1] > budget:
            result.update(verdict="inconclusive", stopped="budget", budget=budget)
            break
        x = rng.standard_normal(shape).astype("float32")
        loss, max_h, max_c, grad_norm = step(x, labels)
        times.append(time.perf_counter() - now)
        history.append(max_h)
        finite = all(math.isfinite(v) for v in (loss, max_h, grad_norm))
        if not finite or max_h > h_limit:
            result.update(verdict="confirmed", step=index, stopped="diverged")
            break
        if progress is not None and index < max_steps:
            progress(index, times[-1])
    finite_h = [h for h in history if math.isfinite(h)]
    result.update(
        steps=len(history),
        max_steps=max_steps,
        history=history,
        max_abs_h=(history[-1] if history and not math.isfinite(history[-1]) else max(finite_h))
        if history
        else None,
        max_abs_c=max_c if has_c else None,
        loss=loss,
        grad_norm=grad_norm,
        seconds=time.perf_counter() - started,
        first_step_seconds=times[0] if times else None,
        step_seconds=times[1] if len(times) > 1 else None,
        device=device_name(backend),
        backend=backend,
        backend_version=backend_version(backend),
        keras=str(keras.__version__),
    )
    result["reason"] = _reason(result, history, h_limit, loss, grad_norm)
    return result


def expected_seconds(first: float, second: float, steps: int) -> float:
    """The time of a run of ``steps`` steps whose first (traced) step took ``first`` seconds and
    whose second took ``second``."""
    return first + second * max(steps - 1, 0)


def duration(seconds: float) -> str:
    """``42 s``, ``3.5 min``, ``2.1 h`` (for people)."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def _reason(
    result: Mapping[str, Any], history: list[float], h_limit: float, loss: float, grad: float
) -> str:
    if result["verdict"] == "inconclusive":
        text = (
            f"finite for {len(history)} of {result['max_steps']} steps when the "
            f"{result['budget']:g} s budget ran out"
        )
        first, second = result.get("first_step_seconds"), result.get("step_seconds")
        if isinstance(first, float) and isinstance(second, float):
            need = expected_seconds(first, second, int(result["max_steps"]))
            text += f"; the whole run needs about {duration(need)} at {second:.2g} s a step"
        return text
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
    if run.get("verdict") == "inconclusive":
        return None, f"with {what}: inconclusive (budget): {run.get('reason')}"
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
        "stopped": base.get("stopped"),
        "max_steps": base.get("max_steps"),
        "keras": base.get("keras"),
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
        backend=str(base.get("backend") or ""),
        backend_version=str(base.get("backend_version") or ""),
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
    budget: float | None = None,
) -> ProbeResult:
    """Probe one layer in this process, on the backend this process's Keras runs on (the one the
    live model was built with): the entry point for live models.

    ``activation`` / ``recurrent_activation`` are the real callables of a live layer: they replace
    the IR's (possibly unknown or custom) activation, so a custom activation gets a verdict.
    ``code`` ``"KRL004"`` puts the layer's producer in front of it. After ``confirmed``, ``fix``
    is verified by the same run with the fix applied. ``budget``: seconds per run (None: 30 s
    for ``stress``; ``replay`` runs to its verdict or its step limit); a run it stops is
    ``inconclusive``.
    """
    if budget is None and mode == "stress":
        budget = STRESS_BUDGET
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
