"""The package index and the popularity list.

Pure: ``parse`` (the JSON API answer -> ``ProjectInfo``), ``packed`` (a release's files kept as
one text, unpacked on first use), ``popularity`` (the popularity list).
I/O: ``client`` (asks the index through the HTTP client it is passed, keeps a JSON cache),
``simple`` (the PEP 691 simple API pip reads, with upload times) and
``popularity_cache`` (keeps the popularity list in SQLite, fetched through the HTTP client).

May import: ``pipvet.errors``, ``pipvet.models``, ``pipvet.system``.
"""
