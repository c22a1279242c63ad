"""Properties of the source analyzer over generated programs.

1. Arbitrary valid Python (hypothesmith) never crashes :func:`analyze`: it returns a result or
   raises :class:`InputError` with a message, nothing else.
2. A recurrent layer written in any combination of import style, alias and value style is found,
   with its class and its activation resolved.
"""

from __future__ import annotations

import hypothesmith
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kerasrnnlint.frontends.base import InputError
from kerasrnnlint.frontends.source import analyze

COMMON = settings(
    max_examples=100,
    deadline=2000,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


@COMMON
@given(hypothesmith.from_grammar())
def test_arbitrary_python_never_crashes(source: str) -> None:
    try:
        result = analyze(source, "generated.py")
    except InputError as exc:
        assert exc.message.startswith("cannot ")
        return
    assert result.layers == ()  # generated code never imports Keras


# from_node() is slow to generate (~1 s an example): a few next to from_grammar()'s 100.
@settings(COMMON, max_examples=10)
@given(hypothesmith.from_node())
def test_arbitrary_syntax_trees_never_crash(source: str) -> None:
    try:
        analyze(source, "generated.py")
    except InputError as exc:
        assert exc.message.startswith("cannot ")


# (import lines, expression naming the `layers` module)
IMPORT_STYLES = [
    ("from keras import layers as M", "M"),
    ("import keras", "keras.layers"),
    ("import tensorflow as tf", "tf.keras.layers"),
    ("from tensorflow import keras", "keras.layers"),
    ("import tensorflow.keras.layers as M", "M"),
    ("import tf_keras", "tf_keras.layers"),
    ("import tensorflow as tf\nK = tf.compat.v1.keras", "K.layers"),
    (
        "try:\n    from tensorflow.keras import layers\nexcept ImportError:\n"
        "    from keras import layers",
        "layers",
    ),
]
CLASSES = ["LSTM", "GRU", "SimpleRNN"]
ACTIVATIONS = ["relu", "elu", "tanh", "sigmoid", "selu", "softsign", "linear"]
VALUE_STYLES = {
    "literal": "8, activation={act!r}",
    "positional": "8, {act!r}",
    "constant": "8, activation=ACT",
    "local": "8, activation=local_act",
    "default": "8, activation=act",
    "dict": "8, **{{'activation': {act!r}}}",
    "dict_call": "8, **dict(activation={act!r})",
    "cfg": "8, **CFG['rnn']",
}
# How the class is reached: "{layers}.{cls}" (the module), imported by name, rebound to another
# name, or passed as a parameter default.
CLASS_STYLES = ["attribute", "from_import", "rebind", "param_default"]


@st.composite
def layer_programs(draw: st.DrawFn) -> tuple[str, str, str]:
    """A small module with one recurrent layer, in a random combination of styles, and the
    class and activation the analyzer must report for it."""
    imports, layers = draw(st.sampled_from(IMPORT_STYLES))
    cls = draw(st.sampled_from(CLASSES))
    act = draw(st.sampled_from(ACTIVATIONS))
    lines = [imports, f"ACT = {act!r}", f"CFG = {{'rnn': {{'activation': {act!r}}}}}"]
    class_style = draw(st.sampled_from(CLASS_STYLES))
    callee = f"{layers}.{cls}"
    params = ["act=ACT"]
    if class_style == "from_import":
        module = layers.replace("tf.", "tensorflow.").replace("K.", "tensorflow.keras.")
        module = "keras.layers" if module in ("M", "layers") else module
        lines.append(f"from {module} import {cls} as Imported")
        callee = "Imported"
    elif class_style == "rebind":
        lines.append(f"Layer = {callee}")
        callee = "Layer"
    elif class_style == "param_default":
        params.append(f"cell={callee}")
        callee = "cell"
    call = f"{callee}({VALUE_STYLES[draw(st.sampled_from(sorted(VALUE_STYLES)))].format(act=act)})"
    wrap = draw(st.sampled_from(["", "Bidirectional", "TimeDistributed"]))
    if wrap:
        call = f"{layers}.{wrap}({call})"
    lines.append(f"def build({', '.join(params)}):\n    local_act = ACT\n    return {call}")
    return "\n".join(lines) + "\n", cls, act


@settings(max_examples=100, deadline=2000)
@given(layer_programs())
def test_every_style_combination_is_found(program: tuple[str, str, str]) -> None:
    text, cls, act = program
    layers = analyze(text, "combo.py").layers
    assert len(layers) == 1, text
    layer = layers[0]
    assert layer.cls == cls, text
    activation = layer.arg("activation")
    assert activation.known, (text, activation)
    assert activation.value == act, text


# -- generated multi-module projects -------------------------------------------------------------

# How the model module reaches the config value: (import lines, expression); "{pkg}" is the
# package the modules live in ("" at the top level).
REACH_STYLES = [
    ("import {pkg}config", "{pkg}config.ACT"),
    ("from {pkg}config import ACT", "ACT"),
    ("from {pkg}config import ACT as A", "A"),
    ("from {pkg}config import *", "ACT"),
    ("import {pkg}config as cfg", "cfg.CFG['rnn']['activation']"),
    ("from {pkg}reexport import ACT", "ACT"),
    ("from {pkg}reexport import *", "ACT"),
    ("from {pkg}reexport import RENAMED", "RENAMED"),
]
RELATIVE_STYLES = [
    ("from .config import ACT", "ACT"),
    ("from . import config", "config.ACT"),
    ("from .reexport import *", "ACT"),
]


@st.composite
def projects(draw: st.DrawFn) -> tuple[dict[str, str], str, str, str]:
    """Files of a small project (config, a re-exporting module, the model), the model's path,
    and the class and activation the analyzer must report for its layer."""
    cls = draw(st.sampled_from(CLASSES))
    act = draw(st.sampled_from(ACTIVATIONS))
    package = draw(st.sampled_from(["", "src/app/", "app/"]))
    pkg = package.removeprefix("src/").replace("/", ".")
    relative = bool(pkg) and draw(st.booleans())
    imports, expr = draw(st.sampled_from(RELATIVE_STYLES if relative else REACH_STYLES))
    layer_import, layers = draw(st.sampled_from(IMPORT_STYLES[:6]))
    files = {
        f"{package}config.py": f"ACT = {act!r}\nCFG = {{'rnn': {{'activation': {act!r}}}}}\n",
        f"{package}reexport.py": (
            f"from {'.' if pkg else ''}config import *\n"
            f"from {'.' if pkg else ''}config import ACT as RENAMED\n"
        ),
        f"{package}model.py": (
            f"{layer_import}\n{imports.format(pkg=pkg)}\n\n"
            f"layer = {layers}.{cls}(8, activation={expr.format(pkg=pkg)})\n"
        ),
    }
    if pkg:
        files[f"{package}__init__.py"] = ""
    return files, f"{package}model.py", cls, act


@settings(max_examples=60, deadline=None)
@given(projects())
def test_every_route_across_modules_is_found(project: tuple[dict[str, str], str, str, str]) -> None:
    import tempfile
    from pathlib import Path

    from kerasrnnlint.frontends.source import project as projects_module

    files, model, cls, act = project
    projects_module.configure(cache=False)
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        (root / "pyproject.toml").write_text("[project]\nname = 'p'\n")
        for name, text in files.items():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_text(text)
        text = files[model]
        layers = analyze(text, str(root / model)).layers
        assert len(layers) == 1, files
        activation = layers[0].arg("activation")
        assert layers[0].cls == cls, files
        assert activation.known, (files, activation)
        assert activation.value == act, files
        assert "config.py" in activation.origin, (files, activation.origin)
    projects_module.configure(cache=True)


@settings(COMMON, max_examples=60)
@given(hypothesmith.from_grammar())
def test_arbitrary_python_has_a_summary_that_round_trips(source: str) -> None:
    """What another module reads of any module: a summary (or its parse error), never a crash,
    and the cache gives back exactly what was stored."""
    from kerasrnnlint.frontends.source import summary

    made = summary.summarize_text(source, "generated.py")
    assert summary.loads(summary.dumps(made)) == made
