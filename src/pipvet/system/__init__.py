"""The edges to the operating system: one HTTP client, one process runner, one atomic write,
the cache paths and the sync lock. Each module that does I/O translates its foreign errors
(urllib, socket, subprocess, OSError) into pipvet's own.

``http`` (the client: requests, retries), ``http_deadline`` (every request ends by its
deadline, all of a command's by its budget), ``http_transport`` (reading bodies,
gzip, Retry-After, error translation), ``http_cache`` (the on-disk response cache),
``http_model`` (the answers as values: pure), ``threads`` (the pool concurrent requests are
sent from, which Ctrl-C does not wait for), ``process`` (the ``Runner``), ``files`` (the one
atomic write and reading files), ``paths`` (cache folders), ``lock`` (the file lock around a
sync).

May import nothing of pipvet but ``pipvet.errors``, ``pipvet.models`` and the package version.
"""
