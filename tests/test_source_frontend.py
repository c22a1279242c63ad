"""The source frontend as its users see it: layers, arguments, spans, noqa, notes and errors."""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path

import libcst as cst
import pytest

from kerasrnnlint.frontends import ipython
from kerasrnnlint.frontends.base import InputError
from kerasrnnlint.frontends.source import analyze, parse, project
from kerasrnnlint.frontends.source.interpreter import Interpreter, interpret
from kerasrnnlint.frontends.source.noqa import noqa_map
from kerasrnnlint.frontends.source.resolver import Resolver
from kerasrnnlint.frontends.source.scopes import index_module
from kerasrnnlint.ir import Arg, Context, RecurrentLayer, Span


def only_layer(text: str) -> RecurrentLayer:
    layers = analyze(text, "m.py").layers
    assert len(layers) == 1, layers
    return layers[0]


def args(layer: RecurrentLayer) -> dict[str, Arg]:
    return dict(layer.args)


# -- layers and arguments --------------------------------------------------------------------------


def test_layer_class_location_and_argument_spans() -> None:
    layer = only_layer("from keras.layers import LSTM\nx = LSTM(8, activation='relu')\n")
    assert layer.cls == "LSTM"
    assert layer.location.path == "m.py"
    assert layer.location.span == Span(2, 5, 2, 31)
    units, activation = args(layer)["units"], args(layer)["activation"]
    assert (units.value, units.keyword, units.span) == (8, False, Span(2, 10, 2, 11))
    assert activation == Arg("relu", True, "literal", Span(2, 24, 2, 30), True)


def test_positional_arguments_follow_keras_signature() -> None:
    layer = only_layer("import keras\nkeras.layers.GRU(4, 'elu', None, False)\n")
    got = {k: (a.value, a.keyword) for k, a in layer.args}
    assert got == {
        "units": (4, False),
        "activation": ("elu", False),
        "recurrent_activation": (None, False),
        "use_bias": (False, False),
    }


def test_activation_names_are_canonical() -> None:
    layer = only_layer("from keras.layers import LSTM\nLSTM(8, activation='Swish')\n")
    assert args(layer)["activation"].value == "silu"
    layer = only_layer("import tensorflow as tf\ntf.keras.layers.LSTM(8, activation=tf.nn.elu)\n")
    assert args(layer)["activation"].value == "elu"
    assert args(layer)["activation"].origin == "`tf.nn.elu`"


def test_origins_name_where_the_value_came_from() -> None:
    text = (
        "from keras.layers import LSTM\n"
        "ACT = 'relu'\n"
        "def make(act='elu', gates=ACT):\n"
        "    local = 'selu'\n"
        "    LSTM(8, activation=act, recurrent_activation=gates)\n"
        "    LSTM(8, activation=local)\n"
        "LSTM(8, activation=ACT)\n"
    )
    first, second, third = analyze(text, "m.py").layers
    assert args(first)["activation"].origin == "default of parameter `act`"
    assert args(first)["recurrent_activation"].origin == "default of parameter `gates`"
    assert args(first)["recurrent_activation"].value == "relu"
    assert args(second)["activation"].origin == "variable `local`"
    assert args(third)["activation"].origin == "constant `ACT`"
    assert args(third)["activation"].span == Span(7, 20, 7, 23)


def test_the_line_of_a_caller_in_another_module_is_right_after_f_strings_and_decorators(
    tmp_path: Path,
) -> None:
    # A summarised module's call lines come from CPython's parser, not a codegen: calls in
    # one-line and multi-line f-strings, decorators and calls of calls must not shift them.
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "p"\nversion = "0"\n')
    model = tmp_path / "model.py"
    model.write_text(
        "from keras.layers import LSTM\ndef build(act):\n    return LSTM(8, activation=act)\n"
    )
    caller = (
        "from model import build\n"
        'print(f"{len(str(1))} {max(1, 2)}")\n'
        "@property\n@staticmethod\ndef other(): return f(g(h()))(k())\n"
        "build(act='relu')\n"
    )
    try:
        for head, line in (("", 6), ('note = f"""{min(1, 2)}\n{abs(-1)}"""\n', 8)):
            (tmp_path / "train.py").write_text(head + caller)
            project.configure(cache=False)  # train.py is read afresh
            (layer,) = analyze(model.read_text(), str(model)).layers
            assert f"train.py:{line}" in args(layer)["activation"].origin
    finally:
        project.configure()


def test_an_unbounded_activation_passed_by_a_caller_wins_over_a_bounded_default() -> None:
    text = (
        "from keras.layers import LSTM\n"
        "def make(units, act='tanh'):\n    return LSTM(units, activation=act)\n"
        "make(8, 'tanh')\n"
        "make(8, act='relu')\n"
        "def keep(act='elu'):\n    return LSTM(8, activation=act)\n"
        "keep('swish')\n"
        "def wide(units=8):\n    return LSTM(units)\n"
        "wide(None)\n"
    )
    make, keep, wide = analyze(text, "m.py").layers
    assert args(make)["activation"].value == "relu"
    assert args(make)["activation"].origin == "value of parameter `act` passed at line 5"
    # An unbounded default is reported as the default (the message names it).
    assert args(keep)["activation"].value == "elu"
    assert args(keep)["activation"].origin == "default of parameter `act`"
    # Only activations: other arguments keep their default.
    assert args(wide)["units"].value == 8


def test_unknown_values_say_why() -> None:
    text = (
        "from keras.layers import LSTM\n"
        "def my_act(x):\n    return x\n"
        "LSTM(8, activation=my_act)\n"
        "LSTM(8, activation=nowhere)\n"
        "def f(a):\n    LSTM(8, activation=a)\n"
    )
    reasons = [args(layer)["activation"] for layer in analyze(text, "m.py").layers]
    assert [a.known for a in reasons] == [False, False, False]
    assert [a.origin for a in reasons] == [
        "custom callable `my_act`",
        "unresolved name `nowhere`",
        "parameter `a` (set by the caller)",
    ]


def test_star_star_arguments() -> None:
    text = (
        "from keras.layers import LSTM\n"
        "CFG = {'lstm': {'activation': 'relu'}}\n"
        "LSTM(8, **{'activation': 'elu'})\n"
        "LSTM(8, **CFG['lstm'])\n"
        "def f(**kw):\n    LSTM(8, **kw)\n"
    )
    literal, via_cfg, unresolved = analyze(text, "m.py").layers
    assert args(literal)["activation"] == Arg("elu", True, "literal", Span(3, 26, 3, 31))
    assert args(via_cfg)["activation"].value == "relu"
    assert args(via_cfg)["activation"].origin == "`**CFG['lstm']`"
    assert args(via_cfg)["activation"].span == Span(4, 11, 4, 22)
    assert not literal.open_kwargs and not via_cfg.open_kwargs
    assert unresolved.open_kwargs
    assert not unresolved.arg("activation").known


@pytest.mark.parametrize(
    "change",
    [
        "KW['activation'] = 'relu'",
        "KW.update(activation='relu')",
        "KW.setdefault('activation', 'relu')",
        "KW['nested']['activation'] = 'relu'",
        "KW['activation'] += ''",
        "del KW['activation']",
        "def later():\n    KW['activation'] = 'relu'",
    ],
)
def test_a_dict_changed_in_place_is_not_read_from_its_literal(change: str) -> None:
    # The literal says tanh, the change may say otherwise: unknown, neither tanh nor a finding.
    text = (
        "from keras.layers import LSTM\n"
        "KW = {'activation': 'tanh', 'nested': {}}\n"
        f"{change}\n"
        "LSTM(8, **KW)\n"
        "LSTM(8, **KW['nested'])\n"
    )
    layers = analyze(text, "m.py").layers
    assert len(layers) == 2
    for layer in layers:
        assert layer.open_kwargs
        assert not layer.arg("activation").known


def test_a_change_to_another_dict_of_the_same_name_does_not_count() -> None:
    text = (
        "from keras.layers import LSTM\n"
        "KW = {'activation': 'relu'}\n"
        "def other(KW):\n    KW['activation'] = 'tanh'\n"
        "LSTM(8, **KW)\n"
    )
    assert only_layer(text).arg("activation").value == "relu"


def test_wrappers_outermost_first_and_cells() -> None:
    text = (
        "from keras import layers as L\n"
        "L.TimeDistributed(L.Bidirectional(L.LSTM(4), backward_layer=L.LSTM(4)))\n"
        "L.RNN(L.StackedRNNCells([L.GRUCell(2)]))\n"
        "L.RNN([L.LSTMCell(2)])\n"
    )
    layers = analyze(text, "m.py").layers
    assert [(x.cls, x.wrappers) for x in layers] == [
        ("LSTM", ("TimeDistributed", "Bidirectional")),
        ("LSTM", ("TimeDistributed", "Bidirectional")),
        ("GRUCell", ("RNN", "StackedRNNCells")),
        ("LSTMCell", ("RNN",)),
    ]
    assert layers[0].display_name == "TimeDistributed(Bidirectional(LSTM))"


def test_cudnn_layers_are_not_layers_to_check() -> None:
    text = "import tensorflow as tf\ntf.compat.v1.keras.layers.CuDNNLSTM(8)\n"
    assert analyze(text, "m.py").layers == ()


def test_layer_name_is_kept() -> None:
    layer = only_layer("from keras.layers import GRU\nGRU(8, name='encoder')\n")
    assert layer.name == "encoder"


@pytest.mark.parametrize(
    "text",
    [
        "import torch\ntorch.nn.LSTM(8, 8)\n",
        "class LSTM:\n    pass\nLSTM(8, activation='relu')\n",
        "# from keras.layers import LSTM\n# LSTM(8, activation='relu')\n",
        "s = 'from keras.layers import LSTM; LSTM(8)'\n",
        "from mylib import LSTM\nLSTM(8, activation='relu')\n",
        "LSTM(8, activation='relu')\n",
    ],
)
def test_lookalikes_are_not_layers(text: str) -> None:
    assert analyze(text, "m.py").layers == ()


def test_self_references_and_cycles_end_quickly() -> None:
    text = (
        "import tensorflow as tf\n"
        "tf = tf.compat.v1\n"
        + "x = 1\n"
        + "x = x + 1\n" * 40
        + "a = b\nb = a\n"
        + "d0 = {'activation': 'relu'}\n"
        + "".join(f"d{i + 1} = {{**d{i}, **d{i}}}\n" for i in range(20))
        + "tf.keras.layers.LSTM(x, activation=a)\n"
        + "tf.keras.layers.GRU(8, **d20)\n"
    )
    lstm, gru = analyze(text, "m.py").layers
    assert not lstm.arg("units").known
    assert not lstm.arg("activation").known
    assert gru.arg("activation").value == "relu"
    # One entry per key, however often it was merged in (2**20 copies otherwise).
    resolver = Resolver(index_module(cst.parse_module(text)), "m.py")
    gru_call = resolver.index.calls[-1]
    view = resolver.dict_items(gru_call.args[1].value)
    assert view is not None and [item.key for item in view.items] == ["activation"]


# -- the resolver, as the training-context code uses it -------------------------------------------


def test_resolver_names_keras_classes_and_values() -> None:
    text = (
        "import tensorflow as tf\n"
        "from tensorflow import keras\n"
        "LR = 1e-3 * 4\n"
        "opt = keras.optimizers.Adam(LR, clipnorm=1)\n"
        "model = tf.keras.Sequential([keras.Input((10, 2)), keras.layers.Conv1D(4, 3)])\n"
        "model.compile(optimizer=opt)\n"
    )
    module = cst.parse_module(text)
    resolver = Resolver(index_module(module), "m.py")
    calls = {resolver.keras_class(call.func): call for call in resolver.index.calls}
    assert {"Adam", "Sequential", "Input", "Conv1D"} <= calls.keys()
    adam = calls["Adam"]
    assert resolver.value(adam.args[0].value).value == pytest.approx(4e-3)
    assert resolver.value(adam.args[0].value).origin == "constant `LR`"
    compile_call = next(c for c in resolver.index.calls if resolver.code(c.func) == "model.compile")
    target, _ = resolver.deref(compile_call.args[0].value)
    assert target is adam
    assert resolver.span(adam) == Span(4, 7, 4, 44)


def test_records_pair_layers_with_their_outermost_wrapper_call() -> None:
    text = "from keras import layers\nm = [layers.Bidirectional(layers.LSTM(4)), layers.GRU(2)]\n"
    module = cst.parse_module(text)
    resolver = Resolver(index_module(module), "m.py")
    records = interpret(module, resolver)
    assert [(resolver.code(r.outer), r.cls, r.wrappers) for r in records] == [
        ("layers.Bidirectional(layers.LSTM(4))", "LSTM", ("Bidirectional",)),
        ("layers.GRU(2)", "GRU", ()),
    ]


def test_one_walk_resolves_each_argument_once() -> None:
    """The walk constructs the layer (twice: ``build`` is called twice) and the layer search
    asks for its arguments again: each expression is evaluated once, the same value is kept."""
    text = (
        "from keras import layers, Sequential\n"
        "ACT = 'relu'\n"
        "def build(units=4):\n"
        "    return layers.LSTM(units, activation=ACT)\n"
        "m = Sequential([layers.Input((5, 3)), build(), build()])\n"
    )
    module = cst.parse_module(text)
    resolver = Resolver(index_module(module), "m.py")
    interpreter = Interpreter(resolver)
    recurrent = interpreter.recurrent_calls()
    interpreter.run(module)
    lstm = recurrent[0][0]
    assert id(lstm) in interpreter.resolved  # resolved when the walk constructed it
    (record,) = interpreter.records(recurrent)
    assert dict(record.args)["activation"].value == "relu"
    assert dict(record.args)["units"].origin == "default of parameter `units`"
    assert record.context is not None and record.context.timesteps == 5
    act = lstm.args[1].value
    # memoized per (node, scope, activation search)
    assert resolver.value(act, activation=True) is resolver.value(act, activation=True)
    assert resolver.value(act) is resolver.value(act)


# -- noqa ------------------------------------------------------------------------------------------


def test_noqa_map() -> None:
    text = (
        "a = 1  # noqa\n"
        "b = 2  # NOQA: krl001\n"
        "c = 3  # noqa:KRL001,KRL002\n"
        "d = 4  # explanation  # noqa: KRL002 KRL101\n"
        "e = '# noqa'\n"
        "f = 5  # not a noqa-ish thing: noqa\n"
    )
    assert noqa_map(text) == {
        1: None,
        2: frozenset({"KRL001"}),
        3: frozenset({"KRL001", "KRL002"}),
        4: frozenset({"KRL002", "KRL101"}),
    }


def test_noqa_lines_with_every_line_ending() -> None:
    for newline in ("\n", "\r\n", "\r"):
        lines = ["x = 1", "y = 2  # noqa: KRL002", 's = """', "# noqa", '"""', ""]
        assert noqa_map(newline.join(lines)) == {2: frozenset({"KRL002"})}


def test_analyze_returns_noqa_lines() -> None:
    text = "from keras.layers import LSTM\nLSTM(8,\n     activation='relu')  # noqa: KRL001\n"
    assert analyze(text, "m.py").noqa == {3: frozenset({"KRL001"})}


# -- text that is hard to parse -------------------------------------------------------------------


def test_python2_print_is_a_clear_input_error() -> None:
    with pytest.raises(InputError) as info:
        analyze("import os\nprint 'hello'\n", "old.py")
    assert info.value.message == "cannot parse: Python 2 print statement?"
    assert info.value.line == 2


def test_broken_code_is_an_input_error_with_a_line() -> None:
    with pytest.raises(InputError) as info:
        analyze("def f(:\n    pass\n", "bad.py")
    assert info.value.message.startswith("cannot parse")
    assert info.value.line == 1


@pytest.mark.parametrize(
    "text",
    ["x = 1\x00\n", "(" * 5000 + ")" * 5000 + "\n", "x = '''\n", "\tif x:\n  pass\n"],
)
def test_bad_text_never_crashes(text: str) -> None:
    try:
        analyze(text, "bad.py")
    except InputError as exc:
        assert exc.message.startswith("cannot")


def test_odd_literals_are_unknown_and_quiet() -> None:
    text = (
        "from keras.layers import LSTM\n"
        f"LSTM({'9' * 5000}, activation='\\d')\n"
        "LSTM(8, activation=b'relu')\n"
        "x = 1 is 1\n"
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        first, second = analyze(text, "odd.py").layers
    assert caught == []
    assert not first.arg("units").known
    assert not first.arg("activation").known
    assert not second.arg("activation").known


def test_deeply_nested_expression_is_analyzed_or_refused_cleanly() -> None:
    text = "from keras.layers import LSTM\nLSTM(8, activation=" + "-" * 3000 + "1)\n"
    try:
        analyze(text, "deep.py")
    except InputError as exc:
        assert "nested" in exc.message or exc.message.startswith("cannot parse")


def test_ipython_lines_are_masked_and_noted() -> None:
    text = (
        "!pip install keras\n"
        "%matplotlib inline\n"
        "from keras.layers import LSTM\n"
        "if True:\n"
        "    %time x = 1\n"
        "LSTM(8, activation='relu')\n"
    )
    result = analyze(text, "exported.py")
    assert result.notes == (
        "masked 3 IPython/shell line(s) (lines 1, 2, 5) so the rest could be parsed",
    )
    assert result.layers[0].location.span == Span(6, 1, 6, 27)


def test_mask_keeps_lines_and_endings() -> None:
    masked, lines = ipython.mask("!ls\r\n  %%time\r\nx = !pwd\nok = 1\n")
    assert lines == (1, 2, 3)
    assert masked == "pass  # masked\r\n  pass  # masked\r\npass  # masked\nok = 1\n"
    assert ipython.mask("a = 5 % 2\nb = not c\n") == ("a = 5 % 2\nb = not c\n", ())


def test_bom_and_crlf() -> None:
    text = "\ufefffrom keras.layers import LSTM\r\n\r\nLSTM(8, activation='relu')  # noqa\r\n"
    result = analyze(text, "win.py")
    assert result.layers[0].location.span == Span(3, 1, 3, 27)
    assert dict(result.layers[0].args)["activation"].span == Span(3, 20, 3, 26)
    assert result.noqa == {3: None}


def test_parse_is_plain_libcst() -> None:
    assert isinstance(parse("x = 1\n"), cst.Module)


def test_analyzing_never_imports_tensorflow_or_keras() -> None:
    code = (
        "import sys\n"
        "from kerasrnnlint.frontends.source import analyze\n"
        "r = analyze('import tensorflow as tf\\ntf.keras.layers.LSTM(8)\\n', 'm.py')\n"
        "assert len(r.layers) == 1\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras')))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "[]"


# -- constraints, regularizers and initializers written as objects ---------------------------------

OBJECT_SOURCE = """\
import keras
import tensorflow as tf
from keras.constraints import MaxNorm
from tensorflow.keras import regularizers

LIMIT = 0.5
LSTM = keras.layers.LSTM
x = LSTM(
    512,
    activation="relu",
    kernel_constraint=MaxNorm(LIMIT),
    recurrent_constraint=keras.constraints.MaxNorm(max_value=0.5, axis=0),
    bias_constraint=keras.constraints.max_norm(3, 1),
    kernel_regularizer=regularizers.l2(1e-4),
    bias_initializer=tf.keras.initializers.Constant(1.0),
    recurrent_initializer=keras.initializers.Orthogonal(seed=seed),
    recurrent_regularizer=keras.regularizers.L2(oops=1),
)
"""


def test_constraint_regularizer_and_initializer_objects_are_resolved() -> None:
    found = args(only_layer(OBJECT_SOURCE))
    max_norm = ("MaxNorm", (("max_value", 0.5),))
    assert found["kernel_constraint"].value == max_norm
    assert found["kernel_constraint"].origin == "`MaxNorm(LIMIT)`"
    assert found["recurrent_constraint"].value == max_norm  # axis=0 is Keras's default
    assert found["bias_constraint"].value == ("MaxNorm", (("axis", 1), ("max_value", 3)))
    assert found["kernel_regularizer"].value == ("L2", (("l2", 1e-4),))
    assert found["bias_initializer"].value == ("Constant", (("value", 1.0),))
    hash(found["kernel_constraint"].value)  # plain and hashable, like every IR value
    # what cannot be resolved stays unknown, as before
    assert not found["recurrent_initializer"].known
    assert "seed" in found["recurrent_initializer"].origin
    assert not found["recurrent_regularizer"].known


def test_frontends_do_not_import_the_risk_model() -> None:
    """Data flows one way: frontends produce the IR, the risk model (severity) reads it. A
    search space is rated by the activation table the two share (``activations``)."""
    import ast
    from pathlib import Path

    import kerasrnnlint.frontends as frontends

    offenders = []
    for path in sorted(Path(frontends.__file__).parent.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            if any(n.startswith(("kerasrnnlint.severity", "kerasrnnlint.rules")) for n in names):
                offenders.append(f"{path.name}:{node.lineno}")
    assert offenders == []


def test_layers_the_walk_never_constructs_keep_their_arguments() -> None:
    """A layer in a dict value, a lambda or a class body is not constructed by the walk; it is
    recorded all the same, with its arguments resolved and no context."""
    text = (
        "from keras import layers\n"
        "ACT = 'relu'\n"
        "CELLS = {'rnn': layers.LSTM(8, activation=ACT)}\n"
        "make = lambda: layers.GRU(4, activation='elu')\n"
        "class Config:\n"
        "    rnn = layers.SimpleRNN(2, activation='selu')\n"
    )
    found = analyze(text, "m.py").layers
    assert [(layer.cls, layer.arg("activation").value) for layer in found] == [
        ("LSTM", "relu"),
        ("GRU", "elu"),
        ("SimpleRNN", "selu"),
    ]
    assert found[0].arg("activation").origin == "constant `ACT`"
    assert all(layer.context == Context() for layer in found)


def test_a_walk_cut_short_by_its_budget_keeps_every_layer(monkeypatch: pytest.MonkeyPatch) -> None:
    from kerasrnnlint.frontends.source import interpreter

    text = "from keras import layers\n" + "x = 1\n" * 50 + "layers.LSTM(8, activation='relu')\n"
    monkeypatch.setattr(interpreter, "BUDGET", 10)
    (layer,) = analyze(text, "m.py").layers
    assert layer.arg("activation").value == "relu"
