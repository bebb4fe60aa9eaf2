"""The package index and the popularity list.

Pure: ``parse`` (the JSON API answer -> ``ProjectInfo``), ``popularity`` (the popularity list).
I/O: ``client`` (asks the index through the HTTP client it is passed, keeps a JSON cache) and
``popularity_cache`` (keeps the popularity list in SQLite, fetched through the HTTP client).

May import: ``pipvet.errors``, ``pipvet.models``, ``pipvet.system``.
"""
