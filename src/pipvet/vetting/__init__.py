"""Should I depend on this package? Everything ``pipvet vet`` needs below the command line.

The pure core (no network, disk, database or process): popularity list parsing
(``popularity``), the typosquat index (``typosquat``, ``nearmiss``, ``import_names``), the
individual signals (``signals``, ``project_signals``), release and wheel selection
(``wheels``), the verdict (``verdict``) and the values they share (``model``).

The I/O edges, each doing one kind: ``runner`` starts processes (the target's interpreter
and its pip); ``target`` asks the target interpreter about itself through a runner;
``popularity_cache`` keeps the popularity list in a SQLite file in the cache folder and
fetches it through the HTTP client it is given. ``service`` (the orchestration) and
``subtree`` (what an install would add) do their I/O only through the index client, advisory
lookup and runner passed in to them.
"""
