"""Should I depend on this package? Everything ``pipvet vet`` needs below the command line:
the signals gathered for a package, the typosquat check, what installing it would add, and
the verdict they combine into.

Pure (no network, disk, database or process): the values (``model``), the signals
(``signals``, ``project_signals``), release and wheel selection (``wheels``), the verdict
(``verdict``), whether pip's file is one the index lists (``files_match``), and the
typosquat check: ``typosquat`` (looking a name up), ``typosquat_build``
(building its tables), ``typosquat_model`` (its rules and result), ``typosquat_messages``
(how a finding reads), ``nearmiss`` (how two names differ) and ``import_names``.

I/O, only through collaborators passed in: ``target`` asks the target interpreter about
itself through a ``system.process`` runner; ``subtree`` (what an install would add) reads the
index through the lookup it is given and runs the target's pip through the runner;
``service`` (the orchestration) does its I/O only through the index client, advisory lookup
and runner passed in to it. The popularity list and its cache live in ``index``
(``popularity``, ``popularity_cache``); the process runner in ``system.process``.

May import: ``pipvet.system``, ``pipvet.inputs``, ``pipvet.advisories``, ``pipvet.index``,
``pipvet.audit`` and the top-level ``pipvet.models``, ``pipvet.errors``, ``pipvet.policy``;
never ``update``, ``project``, ``exposure``, ``report`` or ``cli``.
"""
