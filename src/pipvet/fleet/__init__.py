"""Many projects at once: which dependencies each project folder declares, pins and has
installed, kept as one inventory in SQLite, and what that inventory shows across the fleet —
drift between versions, shared vulnerabilities with the fix that closes them for the most
projects, packages used once, installed packages nobody declared, pins ``relax`` would float,
and one shared constraints file of safe floors.

``model`` holds the values (pure); ``walk`` finds project folders (``gitignore`` is its pure
pattern matcher), ``collect`` reads one project through ``pipvet.inputs``, ``inventory`` is
the SQLite store, ``advisories`` asks the advisory store about every version in use,
``analyse`` and ``floors`` are pure, ``releases`` asks the package index for release dates,
``sboms`` builds the same inventory from SBOM files. May import ``system``, ``inputs``,
``advisories``, ``index``, ``audit``, ``project`` (relax's pin detection) and ``sbom``.
"""
