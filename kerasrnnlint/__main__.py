"""``python -m kerasrnnlint``: the same as the ``kerasrnnlint`` command.

``-m`` puts the working directory first on ``sys.path``. Started in the root of the repository
being checked, that would let its ``json.py``, ``libcst.py``, ``rich.py`` or ``keras.py`` shadow
the real modules, and scanned code must never run. So, as pylint does, the working directory
is dropped from ``sys.path`` before anything else is imported. (A ``kerasrnnlint.py`` or
``kerasrnnlint/`` there is run by Python itself before this file is read: use the console script,
or ``python -P -m kerasrnnlint``.)
"""

import os
import sys


def _drop_working_directory(path: list[str]) -> None:
    """Remove the entries that ``-m`` (and empty ``PYTHONPATH`` parts) add for the working dir."""
    try:
        cwd = os.path.realpath(os.getcwd())
    except OSError:  # the working directory was removed: nothing of it can be imported
        cwd = None
    if path and (path[0] in ("", ".") or (cwd is not None and os.path.realpath(path[0]) == cwd)):
        del path[0]
    path[:] = [entry for entry in path if entry not in ("", ".")]


_drop_working_directory(sys.path)

from kerasrnnlint.cli import main  # noqa: E402  (after the sys.path fix, on purpose)

raise SystemExit(main())
