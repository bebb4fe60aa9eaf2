"""PEP 440 versions as matching compares them: parsing without raising, and equality keys
(two versions are equal exactly when their keys are), so a ``versions`` list is searched as
text. Pure, no I/O."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

from pipvet import pep440

TYPE_CHECKING = False  # not typing's: an audit imports no typing (see pipvet.frozen)
if TYPE_CHECKING:  # imported where a version is parsed: an audit reads keys (see pep440)
    from packaging.version import Version

__all__ = [
    "MAX_VERSION_LENGTH",
    "listed_keys",
    "plain_key",
    "version_key",
    "version_or_none",
    "versions_keys",
]


# No real version comes near this; a longer text is hostile or broken, and parsing one with
# thousands of digits costs time and raises ValueError (Python's int conversion limit).
MAX_VERSION_LENGTH = pep440.MAX_VERSION_LENGTH


@functools.lru_cache(maxsize=65536)
def version_or_none(text: str) -> Version | None:
    """``Version(text)``, or None when ``text`` is not a valid PEP 440 version (or is longer
    than any real version)."""
    if len(text) > MAX_VERSION_LENGTH:
        return None
    from packaging.version import InvalidVersion, Version

    try:
        return Version(text.strip())
    except (InvalidVersion, ValueError):
        return None


@functools.cache
def _plain_patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    # Compiled when first used (a sync, an explanation): an audit reads keys, not lists.
    return (
        # A plain release without leading zeros (most are): its key is itself minus
        # trailing ".0"s.
        re.compile(r"((?:0|[1-9][0-9]*)(?:\.(?:0|[1-9][0-9]*))*?)(?:\.0)*"),
        re.compile(r"[0-9]+(?:\.[0-9]+)*"),
    )


def plain_key(text: str) -> str | None:
    """Equality key of a plain release such as ``2.19.0`` without building a ``Version``.

    Two versions are equal under PEP 440 exactly when their keys are equal: integers without
    leading zeros, trailing ``.0`` components dropped. Anything else (pre, post, dev, local,
    epochs, odd spellings) returns None and goes through ``Version``. Versions lists hold
    hundreds of plain releases each, so this keeps an audit from parsing them all.
    """
    if len(text) > MAX_VERSION_LENGTH:
        return None
    plain_key_re, plain_release_re = _plain_patterns()
    plain = plain_key_re.fullmatch(text)
    if plain is not None:
        return plain.group(1)
    if not plain_release_re.fullmatch(text):
        return None
    parts = [str(int(p)) for p in text.split(".")]
    while len(parts) > 1 and parts[-1] == "0":
        parts.pop()
    return ".".join(parts)


@functools.lru_cache(maxsize=65536)
def version_key(version: Version) -> str:
    """Equality key of any version: its normal form with the release's trailing zeros dropped
    (what ``packaging.utils.canonicalize_version`` returns, without importing that module)."""
    return pep440.equality_key(pep440.parts_of(version))


def _equality_keys(versions: Iterable[str]) -> dict[str, str]:
    """A ``versions`` list keyed by version equality (first spelling kept); unparseable
    entries dropped."""
    out: dict[str, str] = {}
    for text in versions:
        key = plain_key(text.strip())
        if key is None:
            parts = pep440.parse(text)
            if parts is None:
                continue
            key = pep440.equality_key(parts)
        out.setdefault(key, text)
    return out


listed_keys = functools.lru_cache(maxsize=16384)(_equality_keys)


def versions_keys(versions: Iterable[str]) -> str:
    """The equality keys of a ``versions`` list in one string, each key between spaces
    (``" 1 1.0.1 2.0rc1 "``), or "" for an empty list: a version is listed exactly when
    ``f" {key} "`` occurs in it. Keys never contain spaces."""
    keys = _equality_keys(versions)
    return f" {' '.join(keys)} " if keys else ""
