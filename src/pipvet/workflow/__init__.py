"""The init-and-update routine: set a project up, keep it floating, know what is at stake.

Library functions here return data (plans, reports, summaries); only ``pipvet.cli`` prints.
``init`` and ``relax`` build a plan first and apply it second, so ``--dry-run`` is the same
code path minus the writes. ``exposure`` is a read-only inventory of reachable credentials.
"""
