"""An installed version ready to be compared with package records: its keys, read without
``packaging`` (``pep440``), and the ``Version`` objects only a local build against a range with
a local-labelled bound needs (``ranges.scan``). Pure, no I/O."""

from __future__ import annotations

import functools

from pipvet.advisories.versions import version_or_none
from pipvet.frozen import frozen
from pipvet.pep440 import Parts, equality_key, normal, order_key, parts_of

TYPE_CHECKING = False  # not typing's: an audit imports no typing (see pipvet.frozen)
if TYPE_CHECKING:
    from packaging.version import Version

__all__ = ["Probe", "as_versions", "probe_of"]


@frozen
class Probe:
    """An installed version, ready to compare: its parts, those of its public version (the
    same object when it has no local label), the ``versions_keys`` needles it is listed under,
    and the order keys of both."""

    version: Parts
    public: Parts
    needles: tuple[str, ...]
    key: str
    public_key: str


@functools.lru_cache(maxsize=65536)
def probe_of(version: Version | Parts) -> Probe:
    parts = version if isinstance(version, tuple) else parts_of(version)
    key = order_key(parts)
    needles: tuple[str, ...] = (f" {equality_key(parts)} ",)
    epoch, release, pre, post, dev, local = parts
    if local is None:
        return Probe(parts, parts, needles, key, key)
    public = (epoch, release, pre, post, dev, None)
    needles = (*needles, f" {equality_key(public)} ")
    return Probe(parts, public, needles, key, order_key(public))


def as_versions(probe: Probe) -> tuple[Version, Version]:
    """The probe as ``Version`` objects (itself, its public version), for ``scan``: only a
    local build against a range with a local-labelled bound needs them."""
    installed = version_or_none(normal(probe.version))
    public = version_or_none(normal(probe.public))
    # The normal forms of valid versions parse.
    assert installed is not None
    assert public is not None
    return installed, public
