"""Dependencies x advisories -> findings and fixes: what ``pipvet audit`` does below the CLI.

Pure: ``match`` (dependencies matched against advisory records, fix requirements).
Orchestration with I/O: ``run`` (gathers dependencies from ``inputs``, makes sure advisory data
is fresh, opens the store and matches).

May import: ``pipvet.advisories``, ``pipvet.inputs``, ``pipvet.system``, ``pipvet.errors``,
``pipvet.models``, ``pipvet.policy``, ``pipvet.severity``; never ``cli`` or ``report``.
"""
