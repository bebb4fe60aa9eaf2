"""The edges to the operating system: one HTTP client, one process runner, one atomic write,
the cache paths and the sync lock. Every module here does I/O; each translates its foreign
errors (urllib, socket, subprocess, OSError) into pipvet's own.

``http`` (requests, retries, the response cache), ``process`` (the ``Runner``), ``files``
(atomic writes), ``paths`` (cache folders), ``lock`` (the file lock around a sync).

May import nothing of pipvet but ``pipvet.errors``, ``pipvet.models`` and the package version.
"""
