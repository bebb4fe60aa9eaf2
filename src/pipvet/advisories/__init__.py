"""Advisory data: OSV records parsed, matched against versions, kept in a local store, synced.

Pure: ``osv`` (record parsing), ``versions`` (version equality keys), ``match`` (is a version
affected), ``explain`` (why), ``findings`` (grouping matches into findings), ``digest`` (the
per-package record text the store keeps), ``source`` (where the data comes from), and the value
types ``store_model`` and ``sync_model``.
I/O: ``archive`` and ``records`` read the OSV archive and overlay files; ``store_rows`` and
``store`` are the SQLite database; ``syncer`` fetches through the HTTP client it is given and
``sync`` decides when, holding the lock.

May import: ``pipvet.errors``, ``pipvet.models``, ``pipvet.severity``, ``pipvet.system``.
"""
