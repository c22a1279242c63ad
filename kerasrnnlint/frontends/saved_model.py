"""Saved-model frontend: ``.keras``, ``.h5`` and JSON model configs. Reads JSON config only.

Reading a model file never imports TensorFlow/Keras and never deserialises code (no Lambda bodies,
no custom objects, no pickles): a ``.keras`` archive is opened with :mod:`zipfile` and only its
``config.json`` is read, with a bounded read; an ``.h5`` file is opened with h5py (imported only
here) and only its ``model_config`` / ``training_config`` attributes are read; a ``.json`` file is
``model.to_json()`` output. The configuration becomes the IR in
:mod:`kerasrnnlint.frontends.model_config`.

The kind of a file is decided by its content (a zip, an HDF5 file, JSON text); a model file whose
content is Python source, or that is truncated or not a model, is an :class:`InputError` naming
the cause.
"""

from __future__ import annotations

import json
import zipfile
import zlib
from pathlib import Path
from typing import Any

from kerasrnnlint.frontends import model_config
from kerasrnnlint.frontends.base import FrontendResult, InputError, MissingDependency
from kerasrnnlint.links import install_hint

MODEL_SUFFIXES: frozenset[str] = frozenset({".keras", ".h5", ".hdf5", ".json"})

# No model configuration is anywhere near this; a bigger one is refused rather than read.
MAX_CONFIG_BYTES = 50 * 1024 * 1024
# ``looks_like_model_json`` reads at most this much (a directory walk meets big data JSON files).
MAX_SNIFF_BYTES = 8 * 1024 * 1024

ZIP_MAGIC = b"PK\x03\x04"
EMPTY_ZIP_MAGIC = b"PK\x05\x06"
HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
_PYTHON_HINTS = (b"import ", b"from ", b"def ", b"class ", b"#", b"print(", b'"""', b"'''")


def sniff_kind(head: bytes) -> str | None:
    """What a file's first bytes say it is, for messages: ``"a Keras zip archive"``,
    ``"an HDF5 file"``, or None. The source frontend can use it to explain a ``.py`` file that is
    really a model file."""
    if head.startswith((ZIP_MAGIC, EMPTY_ZIP_MAGIC)):
        return "a Keras zip archive (.keras)"
    if head.startswith(HDF5_MAGIC):
        return "an HDF5 model file (.h5)"
    return None


def _looks_like_python(head: bytes) -> bool:
    text = head.lstrip(b"\xef\xbb\xbf").lstrip()
    return text.startswith(_PYTHON_HINTS) or b"\nimport " in text or b"\ndef " in text


def _read_head(path: Path, size: int = 512) -> bytes:
    try:
        with path.open("rb") as handle:
            return handle.read(size)
    except OSError as exc:
        raise InputError(f"cannot read the file: {exc.strerror or exc}") from None


def _bounded_read(path: Path, limit: int) -> bytes:
    try:
        with path.open("rb") as handle:
            data = handle.read(limit + 1)
    except OSError as exc:
        raise InputError(f"cannot read the file: {exc.strerror or exc}") from None
    if len(data) > limit:
        raise InputError(f"model configuration larger than {limit // (1024 * 1024)} MB; not read")
    return data


def _not_a_model_file(head: bytes, expected: str) -> InputError:
    if _looks_like_python(head):
        return InputError(f"not {expected}: the file holds Python source (rename it to .py?)")
    if not head:
        return InputError(f"not {expected}: the file is empty")
    return InputError(f"not {expected}: unrecognised content (truncated or corrupt?)")


def _parse_json(data: bytes, what: str) -> Any:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(f"{what} is not UTF-8 text") from None
    try:
        return json.loads(text)
    except ValueError as exc:
        if _looks_like_python(data[:512]):
            raise InputError(
                f"{what} is not JSON: the file holds Python source (rename it to .py?)"
            ) from None
        raise InputError(f"{what} is not valid JSON ({exc})") from None


def _model_from(document: Any, what: str) -> tuple[dict[str, Any], Any]:
    if not isinstance(document, dict):
        kind = type(document).__name__.replace("dict", "object").replace("list", "array")
        raise InputError(f"{what} is a JSON {kind}, not a Keras model configuration object")
    found = model_config.unwrap(document)
    if found is None:
        raise InputError(
            f"{what} is not a Keras model configuration (no top-level model `class_name` and "
            "`config`, nor `model_config`)"
        )
    model, training = found
    return dict(model), training


# --------------------------------------------------------------------------------------------------
# The three formats
# --------------------------------------------------------------------------------------------------


def read_keras_archive(path: Path) -> tuple[dict[str, Any], Any]:
    """The model config of a ``.keras`` zip (its ``compile_config`` included), bounded read."""
    try:
        with zipfile.ZipFile(path) as archive:
            try:
                info = archive.getinfo("config.json")
            except KeyError:
                raise InputError(
                    "Keras archive without config.json (not a Keras 3 .keras model file)"
                ) from None
            if info.file_size > MAX_CONFIG_BYTES:
                raise InputError(
                    f"config.json is {info.file_size} bytes uncompressed, over the "
                    f"{MAX_CONFIG_BYTES // (1024 * 1024)} MB limit; not read"
                )
            with archive.open(info) as member:
                data = member.read(MAX_CONFIG_BYTES + 1)  # the header may lie: read at most this
            if len(data) > MAX_CONFIG_BYTES:
                raise InputError("config.json inflates beyond its declared size; not read")
    except zipfile.BadZipFile as exc:
        raise InputError(f"corrupt or truncated zip archive ({exc})") from None
    except RuntimeError as exc:  # zipfile's "is encrypted, password required"
        if "encrypted" in str(exc):
            raise InputError("config.json is encrypted in the zip archive; not read") from None
        raise
    except (zlib.error, EOFError, NotImplementedError, ValueError) as exc:
        raise InputError(f"cannot read config.json from the zip archive ({exc})") from None
    except OSError as exc:
        raise InputError(f"cannot read the file: {exc.strerror or exc}") from None
    document = _parse_json(data, "config.json")
    return _model_from(document, "config.json")


def read_h5(path: Path) -> tuple[dict[str, Any], Any]:
    """The ``model_config`` and ``training_config`` attributes of a legacy HDF5 model file."""
    try:
        import h5py
    except ImportError:
        raise MissingDependency(
            f"reading .h5 model files needs h5py: {install_hint('h5')} "
            "(or save the model as .keras)"
        ) from None
    try:
        with h5py.File(path, "r") as handle:
            attrs = handle.attrs
            if "model_config" not in attrs:
                raise InputError(
                    "HDF5 file without a model_config attribute (weights only? save the whole "
                    "model with model.save())"
                )
            raw: dict[str, Any] = {}
            for name in ("model_config", "training_config"):
                if name not in attrs:
                    continue
                size = attrs.get_id(name).get_storage_size()
                if size > MAX_CONFIG_BYTES:
                    raise InputError(f"{name} attribute is {size} bytes; over the limit, not read")
                raw[name] = attrs[name]
    except InputError:
        raise
    except (OSError, KeyError, ValueError, RuntimeError) as exc:
        raise InputError(f"not a readable HDF5 file ({exc})") from None
    texts: dict[str, Any] = {}
    for name, value in raw.items():
        if isinstance(value, bytes):
            value = value.decode("utf-8", "replace")
        if hasattr(value, "item") and not isinstance(value, str):
            value = value.item()  # numpy scalar
            if isinstance(value, bytes):
                value = value.decode("utf-8", "replace")
        if not isinstance(value, str):
            raise InputError(f"{name} attribute is not JSON text")
        texts[name] = _parse_json(value.encode("utf-8"), f"the {name} attribute")
    model = texts["model_config"]
    if not isinstance(model, dict) or not model_config.is_model(model):
        raise InputError("the model_config attribute is not a Keras model configuration")
    return model, texts.get("training_config")


def read_json(path: Path) -> tuple[dict[str, Any], Any]:
    data = _bounded_read(path, MAX_CONFIG_BYTES)
    document = _parse_json(data, "the file")
    return _model_from(document, "the JSON document")


def read_model(path: Path) -> tuple[dict[str, Any], Any]:
    """The model configuration (and training config, for .h5) of a model file, by its content."""
    head = _read_head(path)
    if head.startswith((ZIP_MAGIC, EMPTY_ZIP_MAGIC)):
        return read_keras_archive(path)
    if head.startswith(HDF5_MAGIC):
        return read_h5(path)
    suffix = path.suffix.lower()
    if suffix == ".keras":
        raise _not_a_model_file(head, "a Keras zip archive")
    if suffix in (".h5", ".hdf5"):
        raise _not_a_model_file(head, "an HDF5 model file")
    return read_json(path)


def looks_like_model_json(path: Path) -> bool:
    """For directory walks: is this ``.json`` file a Keras model config (bounded read)?"""
    try:
        with Path(path).open("rb") as handle:
            data = handle.read(MAX_SNIFF_BYTES + 1)
    except OSError:
        return False
    if len(data) > MAX_SNIFF_BYTES or b"class_name" not in data:
        return False
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except ValueError:
        return False
    return model_config.unwrap(document) is not None


def looks_like_model_h5(path: Path) -> bool:
    """For directory walks: could this ``.h5``/``.hdf5`` file be a saved model? False only for a
    readable HDF5 file without a ``model_config`` attribute (a data file, or weights written by
    ``save_weights`` or a checkpoint callback); anything else is linted, so that a broken model
    file, or h5py missing, is still reported."""
    try:
        with Path(path).open("rb") as handle:
            if not handle.read(len(HDF5_MAGIC)).startswith(HDF5_MAGIC):
                return True
        import h5py
    except (OSError, ImportError):
        return True
    try:
        with h5py.File(path, "r") as handle:
            return "model_config" in handle.attrs
    except Exception:  # unreadable: lint it, and the error names the cause
        return True


def analyze_file(path: Path) -> FrontendResult:
    """The recurrent layers of a saved model file, located by ``path`` and layer path."""
    path = Path(path)
    model, training = read_model(path)
    analysis = model_config.analyze(model, str(path), training)
    return FrontendResult(layers=analysis.layers, notes=analysis.notes)
