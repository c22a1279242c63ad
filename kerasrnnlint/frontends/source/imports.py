"""Which dotted names are Keras: the module paths Keras is reached through, and activations.

Pure functions over qualified names such as ``tensorflow.keras.layers.LSTM`` (what an expression
names once imports and aliases are followed, see :mod:`.resolver`).
"""

from __future__ import annotations

from kerasrnnlint import activations
from kerasrnnlint.ir import KERAS_OBJECT_CLASSES, object_class

# Paths that all mean "the Keras package", longest first. ``keras.src`` is Keras 3's private
# implementation package (``keras.src.layers.rnn.lstm.LSTM``); ``keras.layers.recurrent`` (Keras 2)
# needs nothing special: the class is the last component.
KERAS_ROOTS: tuple[str, ...] = (
    "tensorflow.compat.v1.keras",
    "tensorflow.compat.v2.keras",
    "tensorflow.python.keras",
    "tensorflow.keras",
    "keras._tf_keras.keras",
    "tf_keras.src",
    "tf_keras",
    "keras.src",
    "keras.api",
    "keras",
)

# Likewise for TensorFlow (``tf.nn.relu``).
TENSORFLOW_ROOTS: tuple[str, ...] = (
    "tensorflow.compat.v1",
    "tensorflow.compat.v2",
    "tensorflow",
)


def _strip_root(name: str, roots: tuple[str, ...], canonical: str) -> str | None:
    for root in roots:
        if name == root:
            return canonical
        if name.startswith(root + "."):
            return canonical + name[len(root) :]
    return None


def normalize(qualified_name: str) -> str:
    """``tensorflow.keras.layers.LSTM`` → ``keras.layers.LSTM``; ``tf_keras.X`` → ``keras.X``;
    ``tensorflow.compat.v1.nn.relu`` → ``tensorflow.nn.relu``; anything else unchanged."""
    keras = _strip_root(qualified_name, KERAS_ROOTS, "keras")
    if keras is not None:
        return keras
    tensorflow = _strip_root(qualified_name, TENSORFLOW_ROOTS, "tensorflow")
    return tensorflow if tensorflow is not None else qualified_name


def keras_class(qualified_name: str | None) -> str | None:
    """The Keras class (or capitalised factory such as ``Input``) a qualified name refers to.

    ``keras.layers.recurrent.LSTM`` → ``"LSTM"``, ``tensorflow.keras.optimizers.Adam`` →
    ``"Adam"``, ``keras.Sequential`` → ``"Sequential"``; ``torch.nn.LSTM`` → None.
    """
    if not qualified_name:
        return None
    name = normalize(qualified_name)
    if not name.startswith("keras."):
        return None
    last = name.rsplit(".", 1)[1]
    return last if last[:1].isupper() else None


def activation(qualified_name: str | None) -> str | None:
    """The canonical activation a qualified name refers to, e.g. ``tf.nn.relu`` (written with
    ``tensorflow``) → ``"relu"``, ``keras.activations.elu`` → ``"elu"``; None if it is not one."""
    name = normalize(qualified_name) if qualified_name else ""
    if "." not in name:
        return None
    module, last = name.rsplit(".", 1)
    if module not in activations.ACTIVATION_MODULES:
        return None
    return activations.canonical(last)


def is_keras_module(qualified_name: str) -> bool:
    """True for ``keras``, ``tensorflow.keras.layers`` and the like (star imports are followed)."""
    return normalize(qualified_name).split(".", 1)[0] == "keras" or qualified_name.startswith(
        "tensorflow"
    )


def keras_object_class(qualified_name: str | None) -> tuple[str, str] | None:
    """``("constraints", "MaxNorm")`` for ``tensorflow.keras.constraints.max_norm`` (any root,
    ``keras.src.constraints.constraints.MaxNorm`` too); None if it is not such a class."""
    if not qualified_name:
        return None
    parts = normalize(qualified_name).split(".")
    if len(parts) < 3 or parts[0] != "keras" or parts[1] not in KERAS_OBJECT_CLASSES:
        return None
    cls = object_class(parts[1], parts[-1])
    return (parts[1], cls) if cls is not None else None
