"""Frontends turn what the user has into the IR (:mod:`kerasrnnlint.ir`).

- :mod:`kerasrnnlint.frontends.source`: Python source, through libcst; never imports the code.
- :mod:`kerasrnnlint.frontends.saved_model`: ``.keras``, ``.h5`` and JSON model files.
- :mod:`kerasrnnlint.frontends.live`: a live ``keras.Model``.

Each returns a :class:`~kerasrnnlint.frontends.base.FrontendResult` or raises
:class:`~kerasrnnlint.frontends.base.InputError` with a message for people.
"""
