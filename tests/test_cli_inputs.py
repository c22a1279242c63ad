"""Bad inputs through the real command line: each gives a message naming the file and the cause,
no traceback, the other files are still reported, and the exit status is 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from helpers import run_cli

RISKY = 'from keras.layers import LSTM\n\nlayer = LSTM(64, activation="relu")\n'
RISKY_ROW, RISKY_COL = 3, len("layer = LSTM(64, activation=") + 1


def assert_reported(proc: subprocess.CompletedProcess[str], name: str, cause: str) -> None:
    """``name: error: ...cause...`` on stderr, the good file still reported, exit 2."""
    assert "Traceback" not in proc.stdout + proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith(f"{name}: error: ")]
    assert len(errors) == 1, proc.stdout + proc.stderr
    assert cause.lower() in errors[0].lower(), errors[0]
    assert f"good.py:{RISKY_ROW}:{RISKY_COL}: KRL001" in proc.stdout
    assert "1 file could not be linted" in proc.stdout.splitlines()[-2]  # then the fixable line
    assert proc.returncode == 2


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "good.py").write_text(RISKY, encoding="utf-8")
    return tmp_path


def lint(project: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return run_cli(".", "--select", "KRL001", *extra, cwd=project)


# Files that hold a recurrent layer (so the prefilter lets them through) but cannot be linted.
PYTHON2 = b'from keras.layers import LSTM\nprint "hello"\nLSTM(8, activation="relu")\n'
BROKEN = b'from keras.layers import LSTM\nlayer = LSTM(8, activation="relu"\n'
LATIN1_NO_COOKIE = b'from keras.layers import LSTM\nname = "caf\xe9"\nLSTM(8)\n'
BAD_COOKIE = b"# -*- coding: no-such-codec -*-\nfrom keras.layers import LSTM\nLSTM(8)\n"
BINARY = b"\x7fELF\x02\x01\x01\x00\x00\x00LSTM\x00\x00\x03\x00"


@pytest.mark.parametrize(
    ("name", "data", "cause"),
    [
        ("py2.py", PYTHON2, ""),
        ("broken.py", BROKEN, ""),
        ("latin.py", LATIN1_NO_COOKIE, "cannot decode as utf-8"),
        ("cookie.py", BAD_COOKIE, "encoding"),
        ("blob.py", BINARY, "binary"),
    ],
)
def test_undecodable_or_unparsable_file(project: Path, name: str, data: bytes, cause: str) -> None:
    (project / name).write_bytes(data)
    proc = lint(project)
    assert_reported(proc, name, cause)
    if name in ("py2.py", "broken.py"):
        # The parse error names where it is.
        line = next(x for x in proc.stderr.splitlines() if x.startswith(f"{name}: error: "))
        assert "line " in line, line


def test_huge_file_is_skipped_with_a_message(project: Path) -> None:
    with open(project / "huge.py", "wb") as handle:
        handle.write(b"from keras.layers import LSTM\n")
        chunk = b"# " + b"x" * 1021 + b"\n"
        for _ in range(10 * 1024 + 16):
            handle.write(chunk)
    proc = lint(project)
    assert_reported(proc, "huge.py", "too large")


def test_large_keras_source_is_refused_before_the_parse(project: Path) -> None:
    # libcst needs about 1.5 GB per MB of source: a generated file of a few MB that mentions
    # Keras must not take minutes and gigabytes (or the machine).
    padding = b"# " + b"x" * 1021 + b"\n"
    with open(project / "generated.py", "wb") as handle:
        handle.write(RISKY.encode() + padding * 1100)
    with open(project / "data.py", "wb") as handle:  # no Keras: the prefilter skips it, no error
        handle.write(b"TABLE = 1\n" + padding * 1100)
    proc = lint(project)
    assert_reported(proc, "generated.py", "too large to analyse")
    assert "data.py" not in proc.stdout
    # The same text on stdin (editors, hooks).
    text = (project / "generated.py").read_text(encoding="utf-8")
    piped = run_cli("-", "--stdin-filename", "generated.py", cwd=project, stdin=text)
    assert piped.returncode == 2
    assert "generated.py: error: file too large to analyse" in piped.stderr, piped.stderr


def test_a_notebook_with_large_outputs_is_linted(project: Path) -> None:
    notebook = json.loads(
        (Path(__file__).parent.parent / "fixtures" / "notebooks" / "train.ipynb").read_text("utf-8")
    )
    image = {"output_type": "display_data", "metadata": {}, "data": {"image/png": "A" * 11_000_000}}
    code = [cell for cell in notebook["cells"] if cell["cell_type"] == "code"]
    code[0].setdefault("outputs", []).append(image)
    (project / "train.ipynb").write_text(json.dumps(notebook), encoding="utf-8")
    proc = lint(project)
    assert "error" not in proc.stdout, proc.stdout
    assert "train.ipynb:cell " in proc.stdout and proc.returncode == 1


def test_missing_path(project: Path) -> None:
    proc = run_cli("good.py", "nothere.py", "--select", "KRL001", cwd=project)
    assert_reported(proc, "nothere.py", "no such file or directory")


def test_fifo_is_not_read(project: Path) -> None:
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs here")
    os.mkfifo(project / "pipe.py")
    assert_reported(lint(project), "pipe.py", "not a regular file")
    # Named explicitly too (reading it would block forever).
    proc = run_cli("good.py", "pipe.py", "--select", "KRL001", cwd=project)
    assert_reported(proc, "pipe.py", "not a regular file")


def test_symlink_loop_is_not_followed(project: Path) -> None:
    (project / "sub").mkdir()
    (project / "sub" / "up").symlink_to("..", target_is_directory=True)
    (project / "self.py").symlink_to("self.py")  # a link to itself: ELOOP
    proc = lint(project)
    assert "Traceback" not in proc.stderr
    assert "sub/up: error: symlink loop" in proc.stderr
    assert "self.py: error: " in proc.stderr
    assert proc.stdout.count(f"good.py:{RISKY_ROW}:{RISKY_COL}: KRL001") == 1
    assert proc.returncode == 2


def test_bom_crlf_and_declared_encoding_are_linted_normally(tmp_path: Path) -> None:
    (tmp_path / "bom.py").write_bytes(b"\xef\xbb\xbf" + RISKY.encode())
    (tmp_path / "crlf.py").write_bytes(RISKY.replace("\n", "\r\n").encode())
    latin = "# -*- coding: latin-1 -*-\n" + RISKY.replace("layer =", "caf\xe9 =")
    (tmp_path / "latin.py").write_bytes(latin.encode("latin-1"))
    proc = run_cli(".", "--select", "KRL001", "--output-format", "json", cwd=tmp_path)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    found = {
        (i["filename"], i["location"]["row"], i["location"]["column"])
        for i in json.loads(proc.stdout)
    }
    assert found == {
        ("bom.py", RISKY_ROW, RISKY_COL),
        ("crlf.py", RISKY_ROW, RISKY_COL),
        ("latin.py", RISKY_ROW + 1, RISKY_COL - len("layer") + len("caf\xe9")),
    }


def drop_file_read_override() -> None:
    """In the child, before exec: drop root's CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH from the
    capability bounding set, so that file permissions apply to it as to any user."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    pr_capbset_drop, cap_dac_override, cap_dac_read_search = 24, 1, 2
    for cap in (cap_dac_override, cap_dac_read_search):
        if libc.prctl(pr_capbset_drop, cap, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def test_unreadable_file(project: Path) -> None:
    secret = project / "secret.py"
    secret.write_text(RISKY, encoding="utf-8")
    secret.chmod(0o000)
    preexec: Callable[[], None] | None = None
    if os.geteuid() == 0:
        if not sys.platform.startswith("linux"):
            pytest.skip("root reads every file here")
        preexec = drop_file_read_override  # root reads everything otherwise
    try:
        proc = run_cli(".", "--select", "KRL001", cwd=project, preexec_fn=preexec)
    except subprocess.SubprocessError as exc:
        pytest.skip(f"cannot drop root's file-read capability here: {exc}")
    finally:
        secret.chmod(0o600)
    assert_reported(proc, "secret.py", "permission denied")


def test_closed_stdin_is_an_input_error(tmp_path: Path) -> None:
    for args in (["-"], ["--stdin-filename", "m.py"]):
        proc = run_cli(*args, cwd=tmp_path, preexec_fn=lambda: os.close(0))
        assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr, proc.stderr
        assert ": error: cannot read stdin: it is closed" in proc.stderr, proc.stderr
        assert proc.returncode == 2


def test_model_json_on_stdin_is_dispatched_by_the_stdin_filename(tmp_path: Path) -> None:
    model = {
        "module": "keras",
        "class_name": "Sequential",
        "config": {
            "layers": [{"class_name": "LSTM", "config": {"name": "lstm", "activation": "relu"}}]
        },
    }
    proc = run_cli(
        "-",
        "--stdin-filename",
        "m.json",
        "--select",
        "KRL001",
        cwd=tmp_path,
        stdin=json.dumps(model),
    )
    assert "m.json › lstm: KRL001" in proc.stdout, proc.stdout + proc.stderr
    assert proc.returncode == 1


def test_keras_archive_on_stdin_is_a_binary_input_error(tmp_path: Path) -> None:
    import zipfile

    with zipfile.ZipFile(tmp_path / "m.keras", "w") as archive:
        archive.writestr("config.json", "{}")
    with open(tmp_path / "m.keras", "rb") as handle:
        proc = subprocess.run(
            [sys.executable, "-m", "kerasrnnlint", "-", "--stdin-filename", "m.keras"],
            stdin=handle,
            capture_output=True,
            text=True,
            timeout=60,
            cwd=tmp_path,
            env={**os.environ, "NO_COLOR": "1"},
        )
    assert "m.keras: error: binary input on stdin (a Keras zip archive" in proc.stderr, proc.stderr
    assert proc.returncode == 2


def test_python2_except_comma_is_reported_like_the_other_python2_forms(project: Path) -> None:
    # libcst reads it as PEP 758 `except A, B:`; Python 3 before 3.14 refuses it.
    (project / "py2.py").write_bytes(
        b"from keras.layers import LSTM\ntry:\n    pass\nexcept ValueError, e:\n    pass\n"
        b'LSTM(8, activation="relu")\n'
    )
    proc = lint(project)
    assert_reported(proc, "py2.py", "Python 2 `except X, e:`")
    assert "(line 4:1)" in proc.stderr, proc.stderr


def test_tabs_libcst_refuses_but_python_accepts_are_reported_at_their_line(
    project: Path,
) -> None:
    # Python accepts this indentation (the tab-only blank line is ignored); libcst's tokenizer
    # refuses it and said so at 1:1.
    (project / "tabs.py").write_bytes(
        b"from keras.layers import LSTM\nif x:\n \tif x:\n       \t\n\t    x = 1\n"
        b'LSTM(8, activation="relu")\n'
    )
    proc = lint(project)
    assert_reported(proc, "tabs.py", "no matching outer block for dedent")
    assert "(line 5:1)" in proc.stderr, proc.stderr


def test_closed_stdout_or_stderr_keeps_the_exit_status(project: Path) -> None:
    for closed in (1, 2):
        proc = run_cli(
            ".", "--select", "KRL001", cwd=project, preexec_fn=lambda fd=closed: os.close(fd)
        )
        assert "internal error" not in proc.stderr, proc.stderr
        assert proc.returncode == 1, proc.stderr
    proc = run_cli(".", cwd=project, preexec_fn=lambda: os.close(1))
    assert "stdout is closed" in proc.stderr


def test_removed_working_directory_is_a_usage_error(tmp_path: Path) -> None:
    gone = tmp_path / "gone"
    gone.mkdir()

    def enter_and_remove() -> None:
        os.chdir(gone)
        os.rmdir(gone)

    proc = run_cli(preexec_fn=enter_and_remove)
    assert "internal error" not in proc.stderr, proc.stderr
    assert "cannot use the working directory: no such file or directory" in proc.stderr.lower()
    assert proc.returncode == 2
