"""Process-wide options of project analysis, set by the command line (imports nothing heavy, so
that a run the prefilter ends early never imports libcst).

Read by :mod:`kerasrnnlint.frontends.source.project`; forked worker processes inherit them.
"""

from __future__ import annotations

# ``--no-cache``: module summaries are neither read from nor written to ``.kerasrnnlint_cache/``.
cache = True
# False: every file is analysed alone (the benchmark's peer).
enabled = True
