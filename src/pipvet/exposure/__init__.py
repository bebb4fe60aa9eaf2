"""``pipvet exposure``: what a malicious package running here could read.

Pure: ``model`` (an exposure, the report, its summary; the renderers in ``pipvet.report``
and ``pipvet doctor`` read it) and ``env`` (secret-looking environment variable names). The
I/O, reading files only and never recording a value: ``scan`` (the shared scanning context
and its ``FileReader``), the checkers ``cloud``, ``tokens`` and ``keys``, and ``inventory``
(``scan_exposure``, which runs them all).

Imports nothing of pipvet outside this folder; never ``cli`` or ``report``.
"""
