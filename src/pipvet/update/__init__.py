"""``pipvet update``: upgrade a project's environment safely, then check what arrived.

Pure: ``model`` (what the update is asked and what it reports; the renderers in
``pipvet.report`` read it). The I/O, each through collaborators passed in: ``run`` (the
steps in order), ``environment`` (which environment, creating ``.venv``), ``session`` (the
state the steps share), ``pip`` (the environment's own pip, through the process runner),
``fixes`` (security fixes inside the cooldown), ``surface`` (start-up hooks, console scripts
and source builds before and after; the comparisons are pure, ``snapshot`` reads the scan) and
``vet_new`` (which packages to vet; the pending list kept in the environment), ``journal``
(the record written before pip runs, so an interrupted update is finished by the next),
``targets`` (what pip is asked to upgrade) and the pre-check that lets pip run only when it
would change something: ``plan`` (the rules, pure), ``pip_sources`` (which index pip uses)
and ``precheck`` (asks that index, through the HTTP cache).

May import ``system``, ``inputs``, ``advisories``, ``audit``, ``vetting``, ``project.venv``
and the top-level ``models``, ``errors``, ``policy``; never ``cli`` or ``report``.
"""
