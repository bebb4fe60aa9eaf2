"""SHA-256 for short texts (cache file names, stamps, report fingerprints), without loading
OpenSSL.

``hashlib`` loads OpenSSL's library and registers its algorithms on import, about 11 million
instructions (3 ms): more than a warm ``pipvet vet`` spends hashing. CPython's own SHA-256
module gives the same digests; ``hashlib``'s is used where that module is absent. Over
megabytes OpenSSL's is several times faster (``bench/bench_sha256.py``), so response
bodies are hashed by ``hashlib``.
A top-level module: the reports (pure) and the cache code both use it."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from hashlib import sha256
else:
    try:
        sha256 = __import__("_sha2").sha256  # CPython 3.12 and later
    except ImportError:
        try:
            sha256 = __import__("_sha256").sha256  # CPython 3.11
        except ImportError:
            from hashlib import sha256

__all__ = ["body_sha256", "sha256"]


def body_sha256(body: bytes) -> str:
    """The hex SHA-256 of a response body: ``hashlib``'s, imported on first use, since over
    megabytes OpenSSL's is several times faster (``bench/bench_sha256.py``) and a run that
    hashes no body loads no OpenSSL."""
    import hashlib

    return hashlib.sha256(body).hexdigest()
