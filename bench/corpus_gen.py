"""Build a deterministic corpus of ordinary Python for the benchmarks.

``python bench/corpus_gen.py [DIR] [--files N] [--seed S]`` writes N files (default 3000) under
DIR (default ``bench/corpus/synthetic/``, gitignored; ``real_corpus.py`` builds ``real/`` beside
it): mostly ordinary modules (utilities, data classes, services, tests, scripts of realistic
size), about 15% modules that build Keras models in the
import and value styles the analyzer handles (issue 2), and a few that only look like Keras
(``torch.nn.LSTM``). The same seed gives byte-identical files.
"""

from __future__ import annotations

import argparse
import random
import shutil
from collections.abc import Callable
from pathlib import Path

DEFAULT_ROOT = Path(__file__).resolve().parent / "corpus" / "synthetic"
KERAS_SHARE = 0.15
LOOKALIKE_SHARE = 0.02

_WORDS_TEXT = (
    "account user order item price total batch record event stream window buffer cache index "
    "token parser config option value result report metric score label sample feature vector "
    "matrix tensor shape frame series table column row path file name key node edge graph tree "
    "queue task job worker client server request response session handler message payload"
)
WORDS = _WORDS_TEXT.split()


def ident(rng: random.Random, parts: int = 2) -> str:
    return "_".join(rng.choice(WORDS) for _ in range(parts))


def camel(rng: random.Random) -> str:
    return "".join(rng.choice(WORDS).capitalize() for _ in range(2))


# --------------------------------------------------------------------------------------------------
# Ordinary Python
# --------------------------------------------------------------------------------------------------


def ordinary_function(rng: random.Random) -> str:
    name, arg, other = ident(rng), rng.choice(WORDS), rng.choice(WORDS) + "s"
    body = rng.choice(
        [
            f"    total = 0\n    for {arg} in {other}:\n"
            f"        if {arg} is None:\n            continue\n"
            f"        total += len(str({arg}))\n    return total\n",
            f"    result = {{}}\n    for index, {arg} in enumerate({other}):\n"
            f"        result.setdefault(str({arg}), []).append(index)\n    return result\n",
            f"    seen = set()\n    out = []\n    for {arg} in {other}:\n"
            f"        key = repr({arg}).lower()\n        if key not in seen:\n"
            f"            seen.add(key)\n            out.append({arg})\n    return out\n",
            f"    return sorted(\n        ({arg} for {arg} in {other} if {arg}),\n"
            f"        key=lambda x: (len(str(x)), str(x)),\n    )\n",
            f"    try:\n        value = int({other}[0])\n"
            "    except (IndexError, ValueError) as exc:\n"
            f'        raise RuntimeError(f"bad {arg}: {{exc}}") from exc\n    return value * 2\n',
        ]
    )
    doc = f'    """Return the {arg} summary of ``{other}``."""\n' if rng.random() < 0.6 else ""
    return f"def {name}({other}, limit=None):\n{doc}{body}"


def ordinary_class(rng: random.Random) -> str:
    name, field_a, field_b = camel(rng), rng.choice(WORDS), rng.choice(WORDS) + "_count"
    methods = "\n".join(
        f"    def {ident(rng)}(self, {rng.choice(WORDS)}=None):\n"
        f"        if self.{field_b} > {rng.randint(1, 99)}:\n"
        f"            return self.{field_a}\n"
        f"        self.{field_b} += 1\n"
        f"        return None\n"
        for _ in range(rng.randint(1, 4))
    )
    return (
        f"@dataclass\nclass {name}:\n"
        f'    """A {field_a} with a counter."""\n\n'
        f"    {field_a}: str = {ident(rng)!r}\n    {field_b}: int = 0\n"
        f"    tags: list[str] = field(default_factory=list)\n\n{methods}"
    )


def ordinary_module(rng: random.Random) -> str:
    header = (
        f'"""{rng.choice(WORDS).capitalize()} helpers for the {rng.choice(WORDS)} service."""\n\n'
        "from __future__ import annotations\n\n"
        "import json\nimport logging\nimport os\n"
        "from dataclasses import dataclass, field\n"
        "from pathlib import Path\n\n"
        "log = logging.getLogger(__name__)\n"
        f"DEFAULT_{rng.choice(WORDS).upper()} = {rng.randint(1, 1000)}\n"
        f'DATA_DIR = Path(os.environ.get("DATA_DIR", "/tmp/{rng.choice(WORDS)}"))\n'
    )
    parts: list[str] = []
    for _ in range(rng.randint(3, 14)):
        parts.append(ordinary_class(rng) if rng.random() < 0.3 else ordinary_function(rng))
    if rng.random() < 0.3:
        parts.append(
            "def load(path):\n    with open(path, encoding='utf-8') as handle:\n"
            "        data = json.load(handle)\n"
            "    log.info('loaded %s keys from %s', len(data), path)\n    return data\n"
        )
    return header + "\n\n" + "\n\n".join(parts)


def test_module(rng: random.Random) -> str:
    tests = "\n\n".join(
        f"def test_{ident(rng)}():\n"
        f"    values = [{', '.join(str(rng.randint(0, 9)) for _ in range(5))}]\n"
        f"    assert sorted(values) == sorted(values, reverse=True)[::-1]\n"
        f"    assert len(values) == 5\n"
        for _ in range(rng.randint(2, 12))
    )
    return '"""Tests."""\n\nimport pytest\n\n\n' + tests


# --------------------------------------------------------------------------------------------------
# Keras models, in the styles of issue 2
# --------------------------------------------------------------------------------------------------

ACTIVATIONS = ("relu", "elu", "selu", "gelu", "tanh", "tanh", "tanh", "sigmoid", "linear")


def keras_imports(rng: random.Random) -> tuple[str, Callable[[str], str]]:
    """An import block and how a layer class is spelled under it."""
    style = rng.randrange(9)
    if style == 0:
        return (
            "from keras.layers import GRU, LSTM, Dense, Dropout, SimpleRNN\n"
            "from keras.models import Sequential\n",
            lambda cls: cls,
        )
    if style == 1:
        return "from keras.layers.recurrent import LSTM, GRU, SimpleRNN\n", lambda cls: cls
    if style == 2:
        return (
            "from tensorflow.keras.layers import LSTM as L, GRU as G, SimpleRNN as S\n",
            lambda cls: {"LSTM": "L", "GRU": "G", "SimpleRNN": "S"}[cls],
        )
    if style == 3:
        return "import tensorflow as tf\n", lambda cls: f"tf.keras.layers.{cls}"
    if style == 4:
        return "from tensorflow import keras\n", lambda cls: f"keras.layers.{cls}"
    if style == 5:
        return "from tensorflow.keras import layers\n", lambda cls: f"layers.{cls}"
    if style == 6:
        return "import keras.layers as kl\n", lambda cls: f"kl.{cls}"
    if style == 7:
        return (
            "try:\n    from tensorflow.keras import layers\n"
            "except ImportError:\n    from keras import layers\n",
            lambda cls: f"layers.{cls}",
        )
    return (
        "import tensorflow as tf\n\nkeras = tf.keras\nRNNLayer = keras.layers.LSTM\n",
        lambda cls: "RNNLayer" if cls == "LSTM" else f"keras.layers.{cls}",
    )


def keras_module(rng: random.Random) -> str:
    imports, spell = keras_imports(rng)
    act = rng.choice(ACTIVATIONS)
    units = rng.choice((16, 32, 64, 128, 256, 512))
    cls = rng.choice(("LSTM", "LSTM", "GRU", "SimpleRNN"))
    layer = spell(cls)
    value_style = rng.randrange(6)
    prelude = ""
    if value_style == 0:
        call = f"{layer}({units}, activation={act!r}, return_sequences=True)"
    elif value_style == 1:
        prelude = f"ACT = {act!r}\n"
        call = f"{layer}({units}, activation=ACT)"
    elif value_style == 2:
        call = f"{layer}({units}, **{{'activation': {act!r}, 'dropout': 0.1}})"
    elif value_style == 3:
        prelude = f"CFG = {{'lstm': {{'activation': {act!r}, 'recurrent_dropout': 0.2}}}}\n"
        call = f"{layer}({units}, **CFG['lstm'])"
    elif value_style == 4:
        call = f"{layer}({units})"
    else:
        call = f"{layer}({units}, activation=None)"
    use_param = rng.random() < 0.3
    signature = f"units={units}, act={act!r}" if use_param else f"units={units}"
    if use_param:
        call = f"{layer}(units, activation=act)"
    steps = rng.choice((32, 128, 256, 672))
    features = rng.choice((8, 16, 32))
    body = (
        f"def build_{ident(rng)}({signature}):\n"
        f'    """Build the {rng.choice(WORDS)} model."""\n'
        f"    inputs = keras_input(({steps}, {features}))\n"
        f"    x = {call}(inputs)\n"
        f"    return x\n"
    )
    helpers = (
        "\n\ndef keras_input(shape):\n"
        "    import tensorflow as tf\n\n"
        "    return tf.keras.Input(shape=shape)\n"
    )
    tail = "\n\n".join(ordinary_function(rng) for _ in range(rng.randint(1, 6)))
    return (
        f'"""Model definitions for the {rng.choice(WORDS)} forecaster."""\n\n'
        f"{imports}\n{prelude}\n\n{body}{helpers}\n\n{tail}"
    )


def lookalike_module(rng: random.Random) -> str:
    return (
        '"""A PyTorch model (not Keras)."""\n\nimport torch\n\n\n'
        f"class {camel(rng)}(torch.nn.Module):\n"
        "    def __init__(self):\n        super().__init__()\n"
        f"        self.rnn = torch.nn.LSTM({rng.randint(8, 64)}, 32, batch_first=True)\n"
        "        self.head = torch.nn.Linear(32, 1)\n\n"
        "    def forward(self, x):\n        out, _ = self.rnn(x)\n"
        "        return self.head(torch.relu(out[:, -1]))\n"
    )


def build(root: Path, files: int = 3000, seed: int = 20240611) -> dict[str, int]:
    """Write the corpus (replacing what was there); return counts per kind."""
    rng = random.Random(seed)
    if root.exists():
        shutil.rmtree(root)
    counts = {"ordinary": 0, "keras": 0, "lookalike": 0, "test": 0}
    for index in range(files):
        package = root / f"pkg_{index // 100:02d}" / rng.choice(("core", "io", "models", "util"))
        draw = rng.random()
        if draw < KERAS_SHARE:
            kind, text = "keras", keras_module(rng)
        elif draw < KERAS_SHARE + LOOKALIKE_SHARE:
            kind, text = "lookalike", lookalike_module(rng)
        elif draw < 0.3:
            kind, text = "test", test_module(rng)
        else:
            kind, text = "ordinary", ordinary_module(rng)
        counts[kind] += 1
        prefix = "test_" if kind == "test" else ""
        path = package / f"{prefix}{ident(rng)}_{index:04d}.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("root", nargs="?", default=str(DEFAULT_ROOT))
    parser.add_argument("--files", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=20240611)
    args = parser.parse_args()
    counts = build(Path(args.root), args.files, args.seed)
    print(f"wrote {sum(counts.values())} files to {args.root}: {counts}")


if __name__ == "__main__":
    main()
