"""The typosquat index of the popularity list, with its tables kept in the cache folder.

``load_index`` reads the tables written for this very list (a digest of its names and
download counts) by this very code (a digest of the modules that build and read them), and
builds them, and writes them for the next run, when there are none: a new list, another
pipvet, a torn or damaged file. A file that cannot be read or written costs the build, no more.
"""

from __future__ import annotations

import array
import contextlib
import functools
from collections.abc import Mapping, Sequence
from pathlib import Path

from pipvet.errors import InputError
from pipvet.models import NormalizedName
from pipvet.sha256 import sha256
from pipvet.system.files import write_bytes_atomic
from pipvet.vetting import (
    import_names,
    nearmiss,
    typosquat,
    typosquat_build,
    typosquat_model,
    typosquat_tables,
)
from pipvet.vetting.typosquat import TyposquatIndex
from pipvet.vetting.typosquat_build import rank_popular
from pipvet.vetting.typosquat_model import TyposquatRules
from pipvet.vetting.typosquat_tables import dump_tables, load_tables

__all__ = ["FILE_NAME", "load_index"]

FILE_NAME = "typosquat.tables"


def load_index(
    names: Sequence[NormalizedName],
    downloads: Sequence[int],
    cache_dir: Path,
    ranks: Mapping[str, int] | None = None,
) -> TyposquatIndex:
    """The index of the names and their download counts (as ``TyposquatIndex.build`` makes
    it), from the tables in ``cache_dir`` when they were made for this list. ``ranks`` may
    give each name's rank (1 = first) as the popularity snapshot keeps it."""
    stamp = _stamp(names, downloads)
    path = cache_dir / FILE_NAME
    if stamp is not None:
        with contextlib.suppress(OSError):
            stored = load_tables(path.read_bytes(), stamp, names)
            if stored is not None:
                # Stored only for a list that was ranked as given (below): it is ranked.
                return TyposquatIndex(
                    names, downloads, TyposquatRules(), tables=stored, ranks=ranks
                )
    ranked, counts = rank_popular(zip(names, downloads, strict=True))
    index = TyposquatIndex(ranked, counts, TyposquatRules())
    if stamp is None or ranked != list(names) or counts != list(downloads):
        return index  # a list ranked here is ranked again next time: rare, and cheap
    tables = index.tables
    data = dump_tables(tables, stamp) if isinstance(tables, typosquat_build.NameKeys) else None
    if data is not None:
        with contextlib.suppress(InputError):
            write_bytes_atomic(path, data, durable=False)  # torn: the checksum fails, a miss
    return index


def _stamp(names: Sequence[str], downloads: Sequence[int]) -> str | None:
    """What the tables of this list depend on, as a digest; None when that cannot be told
    (a name with a line break, a count past 64 bits, a module without its source)."""
    code = _code_digest()
    text = "\n".join(names)
    if code is None or text.count("\n") != len(names) - 1:
        return None
    try:
        counts = array.array("q", downloads)  # in C: str() of each count costs ten times more
    except OverflowError:
        return None
    digest = sha256(code.encode())
    digest.update(text.encode("utf-8", "surrogatepass"))
    digest.update(b"\0" + counts.tobytes())
    return digest.hexdigest()


@functools.cache
def _code_digest() -> str | None:
    """A digest of the source of every module that builds, reads or looks up the tables: a
    changed rule or table rebuilds them, whatever the version number says."""
    digest = sha256()
    for module in (typosquat, typosquat_build, typosquat_tables, typosquat_model, nearmiss,
                   import_names):  # fmt: skip
        try:
            digest.update(Path(module.__file__ or "").read_bytes())
        except OSError:
            return None
    return digest.hexdigest()
