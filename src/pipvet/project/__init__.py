"""Setting a project up and keeping it honest: ``pipvet init``, ``doctor`` and ``relax``.

Pure: ``model`` (init plans, relax plans, doctor reports; the renderers in ``pipvet.report``
read it), ``textdiff`` (the diff a change shows), ``relax_text`` and ``relax_pyproject``
(rewriting pins as floors in a file's text), ``fix_text`` and ``fix_pyproject`` (raising a
vulnerable requirement to its fixed release), ``templates`` (the files init writes) and
``jsonc`` (JSON with comments, for VS Code's files). The I/O: ``pipvet_source`` (where those
files install pipvet from: checks that a named wheel exists), ``init`` (plans by reading the
project, then writes files and runs commands through the runner passed in), ``venv`` (the
project environment), ``guard`` (pip's require-virtualenv in config files), ``vscode`` (the
folder-open task), ``relax`` (reads and writes requirements files), ``fix``
(``audit --fix``: the same for vulnerable requirements) and ``doctor`` with its
checks in ``doctor_env``, ``doctor_files`` and ``doctor_content``.

May import ``system``, ``inputs``, ``audit``, ``exposure`` and the top-level ``models``,
``errors``, ``policy``; never ``cli``, ``report`` or ``update``.
"""
