"""Renderers: pure functions from a command's result to the text the CLI writes out.

One module per command's report: ``audit`` (picks the format) with ``text``, ``jsonout``,
``markdown`` and ``sarif``; ``vet``; ``update`` with ``update_vet``; ``doctor``; ``init``;
``relax``; ``fix`` (``audit --fix``); ``exposure``; ``html`` (the ``pipvet report`` page,
with ``html_model``, ``html_read``, ``html_text``, ``html_charts`` and one module per group of
sections). ``_common``, ``jsonindent`` and the helpers in ``markdown`` and ``sarif`` are
shared. Each returns the whole document as a string ending in a newline; only
the CLI prints.

Every module here is pure: no files, network, database or processes. It may import only pure
modules: ``pipvet.models``, ``pipvet.policy``, ``pipvet.severity``, each capability's
``model`` (``vetting.model``, ``update.model``, ``project.model``, ``exposure.model``) and
``report`` itself (``tests/test_layout_report.py`` checks). A run renders one format, so
renderers import each other's modules only where they build on them.
"""
