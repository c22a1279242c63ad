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
import threading
import zipfile
import zlib
from pathlib import Path
from typing import Any, BinaryIO

from kerasrnnlint.files import describe_os_error, open_regular
from kerasrnnlint.frontends import model_config
from kerasrnnlint.frontends.base import FrontendResult, InputError, MissingDependency
from kerasrnnlint.frontends.model_config import too_many_objects
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


def _bounded_read(handle: BinaryIO, limit: int) -> bytes:
    try:
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
    crowded = too_many_objects(data)
    if crowded is not None:
        raise InputError(f"{what}: {crowded}")
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


def read_keras_archive(path: Path | BinaryIO) -> tuple[dict[str, Any], Any]:
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


def read_h5(path: Path | BinaryIO) -> tuple[dict[str, Any], Any]:
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
        if getattr(value, "size", 1) != 1:  # an array attribute: not what Keras writes
            shape = getattr(value, "shape", "?")
            raise InputError(f"{name} attribute is an array (shape {shape}), not JSON text")
        if hasattr(value, "item") and not isinstance(value, str):
            value = value.item()  # numpy scalar (or an array of one element)
            if isinstance(value, bytes):
                value = value.decode("utf-8", "replace")
        if not isinstance(value, str):
            raise InputError(f"{name} attribute is not JSON text")
        texts[name] = _parse_json(value.encode("utf-8"), f"the {name} attribute")
    model = texts["model_config"]
    if not isinstance(model, dict) or not model_config.is_model(model):
        raise InputError("the model_config attribute is not a Keras model configuration")
    return model, texts.get("training_config")


def read_json(path: Path | BinaryIO) -> tuple[dict[str, Any], Any]:
    if isinstance(path, Path):
        with _open(path) as handle:
            return read_json(handle)
    data = _bounded_read(path, MAX_CONFIG_BYTES)
    return json_model(data)


def json_model(data: bytes) -> tuple[dict[str, Any], Any]:
    """The model configuration of the bytes of a ``.json`` model file."""
    document = _parse_json(data, "the file")
    return _model_from(document, "the JSON document")


def _open(path: Path) -> BinaryIO:
    """``path`` opened if it is a regular file (checked on the descriptor: a FIFO never blocks)."""
    try:
        return open_regular(path)
    except OSError as exc:
        raise InputError(f"cannot read the file: {describe_os_error(exc)}") from None


def read_model(path: Path) -> tuple[dict[str, Any], Any]:
    """The model configuration (and training config, for .h5) of a model file, by its content."""
    with _open(path) as handle:
        try:
            head = handle.read(512)
            handle.seek(0)
        except OSError as exc:
            raise InputError(f"cannot read the file: {exc.strerror or exc}") from None
        if head.startswith((ZIP_MAGIC, EMPTY_ZIP_MAGIC)):
            return read_keras_archive(handle)
        if head.startswith(HDF5_MAGIC):
            return read_h5(handle)
        suffix = path.suffix.lower()
        if suffix == ".keras":
            raise _not_a_model_file(head, "a Keras zip archive")
        if suffix in (".h5", ".hdf5"):
            raise _not_a_model_file(head, "an HDF5 model file")
        return read_json(handle)


def read_model_data(data: bytes, name: str) -> tuple[dict[str, Any], Any]:
    """The model configuration of a model file's bytes (stdin): JSON only; a binary model
    (``.keras`` zip, ``.h5``) needs its path."""
    kind = sniff_kind(data[:8])
    if kind is not None or b"\0" in data[:8192]:
        what = kind or "binary data"
        raise InputError(
            f"binary input on stdin ({what}): model archives are read from their path; "
            f"run kerasrnnlint {Path(name).name or 'MODEL'} instead of piping it"
        )
    return json_model(data)


def looks_like_model_json(path: Path) -> bool:
    """For directory walks: is this ``.json`` file a Keras model config (bounded read)?"""
    return sniff_model_json(path) is True


def sniff_model_json(path: Path) -> bool | str:
    """For directory walks: True for a Keras model config, False for other JSON, or why a file
    that may be a model is skipped (unreadable, too large to sniff): a note for people."""
    try:
        with open_regular(path) as handle:
            data = handle.read(MAX_SNIFF_BYTES + 1)
    except OSError as exc:
        return f"not checked: cannot read: {describe_os_error(exc)}"
    if b"class_name" not in data:
        return False
    if len(data) > MAX_SNIFF_BYTES:
        head = data[:65536].lstrip(b"\xef\xbb\xbf \t\r\n")
        if head.startswith(b"{") and (b'"config"' in head or b'"model_config"' in head):
            return (
                f"not checked: may be a Keras model config, but it is over the "
                f"{MAX_SNIFF_BYTES // (1024 * 1024)} MB read while walking directories; "
                "name it on the command line to lint it"
            )
        return False
    if too_many_objects(data) is not None:
        return False
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except (ValueError, RecursionError):
        return False
    return model_config.unwrap(document) is not None


def looks_like_model_h5(path: Path) -> bool:
    """For directory walks: could this ``.h5``/``.hdf5`` file be a saved model? False only for a
    readable HDF5 file without a ``model_config`` attribute (a data file, or weights written by
    ``save_weights`` or a checkpoint callback); anything else is linted, so that a broken model
    file, or h5py missing, is still reported."""
    try:
        with open_regular(path) as raw:
            if not raw.read(len(HDF5_MAGIC)).startswith(HDF5_MAGIC):
                return True
    except OSError:  # unreadable: lint it, and the error names the cause
        return True
    import os

    try:
        import h5py  # noqa: F401  (imported once here: each forked child inherits it)
    except ImportError:
        return True  # linted, and the error says h5py is needed
    if hasattr(os, "fork") and threading.current_thread() is threading.main_thread():
        from kerasrnnlint.children import call_forked

        found = call_forked(_has_model_config, path)  # h5py's native code on a file of anyone's
        return found if isinstance(found, bool) else True
    return _has_model_config(path)


def _has_model_config(path: Path) -> bool:
    try:
        with open_regular(path) as raw:
            import h5py

            with h5py.File(raw, "r") as handle:
                return "model_config" in handle.attrs
    except Exception:  # unreadable, or h5py missing: lint it, and the error names the cause
        return True


def analyze_file(path: Path) -> FrontendResult:
    """The recurrent layers of a saved model file, located by ``path`` and layer path."""
    path = Path(path)
    model, training = read_model(path)
    analysis = model_config.analyze(model, str(path), training)
    return FrontendResult(layers=analysis.layers, notes=analysis.notes)


def analyze_data(data: bytes, path: str) -> FrontendResult:
    """The recurrent layers of a model file's bytes (stdin, named ``path``): JSON only."""
    model, training = read_model_data(data, path)
    analysis = model_config.analyze(model, path, training)
    return FrontendResult(layers=analysis.layers, notes=analysis.notes)
