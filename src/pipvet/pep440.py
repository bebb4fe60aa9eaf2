"""PEP 440 versions read without ``packaging``: the parts ``packaging.version.Version`` makes
of a text, and the two keys matching compares by. Pure, no I/O.

An audit reads one version per package it checks and compares it only through its keys (the
advisories' bounds are keys already, ``pipvet.advisories.digest``), and a file of exact pins
needs to know only that each version is one (``inputs.requirement_plain.exact_pin``);
importing ``packaging.version`` and ``packaging.specifiers`` for that cost more than reading
them all. ``parse`` reads an ASCII text
with the specification's own pattern and normalisation, exactly as ``Version`` does (leading
``v``, case, ``alpha``/``c``/``pre``/``rev``/``r`` spellings, separators, implicit numbers,
``1.0-1``, epochs, local labels); a text with any other character is handed to ``Version``,
which decides (its pattern has changed between releases for such text). ``order_key`` and
``equality_key`` are what ``ranges.order_key`` and ``versions.version_key`` make of the
``Version``: the tests compare all of them with ``packaging``.
"""

from __future__ import annotations

import functools
import re

TYPE_CHECKING = False  # not typing's: an audit imports no typing (see pipvet.frozen)
if TYPE_CHECKING:
    from typing import TypeAlias

    from packaging.version import Version

__all__ = [
    "MAX_VERSION_LENGTH",
    "Parts",
    "equality_key",
    "normal",
    "order_key",
    "parse",
    "parts_of",
]

# No real version comes near this; a longer text is hostile or broken (see
# pipvet.advisories.versions).
MAX_VERSION_LENGTH = 128


# A version as ``Version`` holds it: (epoch, release, pre as ("a" | "b" | "rc", n) or None, post,
# dev, local label in its normal form: lower case, "." between segments, numbers without
# leading zeros). A plain tuple: a NamedTuple's string annotations cost a compile() each.
Parts: TypeAlias = tuple[
    int, tuple[int, ...], tuple[str, int] | None, int | None, int | None, str | None
]


@functools.cache
def _pattern() -> re.Pattern[str]:
    # PEP 440's pattern as packaging spells it (without its possessive quantifiers, which
    # change no match here); ASCII only: other text never reaches it. Compiled when first
    # needed: it costs half a millisecond, and most versions are spelled canonically.
    return re.compile(
        r"""v?
        (?:([0-9]+)!)?
        ([0-9]+(?:\.[0-9]+)*)
        (?:[._-]?(alpha|a|beta|b|preview|pre|c|rc)[._-]?([0-9]+)?)?
        (?:-([0-9]+)|[._-]?(post|rev|r)[._-]?([0-9]+)?)?
        (?:[._-]?(dev)[._-]?([0-9]+)?)?
        (?:\+([a-z0-9]+(?:[._-][a-z0-9]+)*))?""",
        re.VERBOSE | re.IGNORECASE | re.ASCII,
    )


_PRE = {"a": "a", "alpha": "a", "b": "b", "beta": "b", "c": "rc", "pre": "rc", "preview": "rc"}


@functools.lru_cache(maxsize=65536)
def parse(text: str) -> Parts | None:
    """What ``versions.version_or_none(text)`` makes of ``text``, as ``Parts``: None exactly
    when that is None (not a PEP 440 version, or longer than any real one)."""
    if len(text) > MAX_VERSION_LENGTH:
        return None
    text = text.strip()
    if not text.isascii():
        return _decided_by_packaging(text)
    release = _release(text)
    if release is not None:  # most versions: a release and nothing else
        return (0, release, None, None, None, None)
    canonical = _canonical(text)
    if canonical is not None:
        return canonical
    found = _pattern().fullmatch(text)
    if found is None:
        return None
    epoch, release_text, pre_l, pre_n, post_n1, post_l, post_n2, dev_l, dev_n, local = (
        found.groups()
    )
    post = post_n1 or post_n2
    return (
        int(epoch) if epoch else 0,
        tuple(map(int, release_text.split("."))),
        (_PRE.get(pre_l.lower(), "rc"), int(pre_n or 0)) if pre_l else None,
        int(post or 0) if post_l or post_n1 else None,
        int(dev_n or 0) if dev_l else None,
        None if local is None else _local(local),
    )


def _release(text: str) -> tuple[int, ...] | None:
    """The numbers of an ASCII ``N(.N)*``; None for any other text."""
    if text.replace(".", "").isdigit() and not (
        text.startswith(".") or text.endswith(".") or ".." in text
    ):
        return tuple(map(int, text.split(".")))
    return None


def _canonical(text: str) -> Parts | None:
    """The parts of an ASCII version spelled in normal form without epoch or local label
    (``1.0rc1``, ``2.0.post1``, ``3.1a2.dev0``), read with string methods; None for any other
    text, which the full pattern then reads."""
    dev = post = None
    head, sep, number = text.rpartition(".dev")
    if sep:
        if not number.isdigit():
            return None
        text, dev = head, int(number)
    head, sep, number = text.rpartition(".post")
    if sep:
        if not number.isdigit():
            return None
        text, post = head, int(number)
    pre = None
    head = text.rstrip("0123456789")
    if len(head) < len(text) and head.endswith(("a", "b")):
        pre = (head[-1], int(text[len(head) :]))
        text = head[:-1]
    elif len(head) < len(text) and head.endswith("rc"):
        pre = ("rc", int(text[len(head) :]))
        text = head[:-2]
    release = _release(text)
    return None if release is None else (0, release, pre, post, dev, None)


def _local(label: str) -> str:
    return ".".join(
        str(int(seg)) if seg.isdigit() else seg.lower()
        for seg in label.replace("-", ".").replace("_", ".").split(".")
    )


def _decided_by_packaging(text: str) -> Parts | None:
    from packaging.version import InvalidVersion, Version

    try:
        return parts_of(Version(text))
    except (InvalidVersion, ValueError):
        return None


def parts_of(version: Version) -> Parts:
    """The parts of a ``Version``."""
    pre = version.pre
    return (
        version.epoch,
        version.release,
        None if pre is None else (pre[0], pre[1]),
        version.post,
        version.dev,
        version.local,
    )


# ------------------------------------------------------------------------------ keys


def _int(number: int) -> str:
    # Length first, so that numbers of any size sort as numbers (no leading zeros to strip).
    digits = str(number)
    return chr(0x40 + len(digits)) + digits


_PRE_RANK = {"a": "B", "b": "C", "rc": "D"}


@functools.lru_cache(maxsize=65536)
def order_key(parts: Parts) -> str:
    """Text that sorts as PEP 440 orders versions; equal exactly for equal versions.

    It spells ``packaging``'s comparison key: epoch, release without trailing zeros (ended by
    "!", below any number, so a shorter release sorts first), then the pre/post/dev suffix
    (dev-only < a < b < rc < final; no post < post; dev < no dev), then the local label (none
    sorts first; per segment, text "$..!" below numbers "%...").
    """
    epoch, release, pre, post, dev, local = parts
    end = len(release)
    while end and release[end - 1] == 0:
        end -= 1
    keys = [_int(epoch), *map(_int, release[:end]), "!"]
    if pre is not None:
        keys += (_PRE_RANK[pre[0]], _int(pre[1]))
    else:
        keys.append("A" if post is None and dev is not None else "E")
    keys.append("A" if post is None else "B" + _int(post))
    keys.append("B" if dev is None else "A" + _int(dev))
    if local is not None:
        for segment in local.split("."):
            keys.append("%" + _int(int(segment)) if segment.isdigit() else f"${segment}!")
    return "".join(keys)


@functools.lru_cache(maxsize=65536)
def equality_key(parts: Parts) -> str:
    """Equality key of a version: its normal form with the release's trailing zeros dropped
    (what ``packaging.utils.canonicalize_version`` returns)."""
    epoch, release, pre, post, dev, local = parts
    end = len(release)
    while end > 1 and release[end - 1] == 0:
        end -= 1
    return normal((epoch, release[:end], pre, post, dev, local))


def normal(parts: Parts) -> str:
    """The normal form of the version (``str(Version)``)."""
    epoch, release, pre, post, dev, local = parts
    text = ".".join(map(str, release))
    if epoch:
        text = f"{epoch}!{text}"
    if pre is not None:
        text += f"{pre[0]}{pre[1]}"
    if post is not None:
        text += f".post{post}"
    if dev is not None:
        text += f".dev{dev}"
    if local is not None:
        text += f"+{local}"
    return text
