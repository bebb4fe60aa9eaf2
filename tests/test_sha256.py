"""pipvet's SHA-256 (CPython's own module, without OpenSSL) against hashlib's."""

from __future__ import annotations

import hashlib
import subprocess
import sys

from hypothesis import given
from hypothesis import strategies as st

from pipvet.sha256 import sha256


@given(st.lists(st.binary(max_size=300), max_size=4))
def test_the_digests_are_hashlibs(chunks: list[bytes]) -> None:
    ours, theirs = sha256(), hashlib.sha256()
    for chunk in chunks:
        ours.update(chunk)
        theirs.update(chunk)
    assert ours.hexdigest() == theirs.hexdigest()
    assert sha256(b"".join(chunks)).digest() == theirs.digest()


def test_it_is_not_openssls_when_cpython_has_its_own() -> None:
    # The point of the module: hashlib's sha256 is OpenSSL's (type _hashlib.HASH).
    assert type(sha256()).__module__ != "_hashlib"


def test_without_cpythons_module_it_is_hashlibs() -> None:
    # An interpreter built without the module (CPython 3.12+ calls it _sha2, 3.11 _sha256).
    probe = (
        "import sys, hashlib\n"
        "sys.modules['_sha2'] = sys.modules['_sha256'] = None\n"
        "from pipvet.sha256 import sha256\n"
        "print(sha256 is hashlib.sha256, sha256(b'abc').hexdigest(), file=sys.stderr)\n"
    )
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert proc.stderr.split() == ["True", hashlib.sha256(b"abc").hexdigest()]
