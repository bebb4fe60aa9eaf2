"""The popularity list, kept in a small SQLite file in the cache folder.

The list changes monthly, so it is refreshed when the stored copy is older than 30 days (or
came from another source). A refresh that fails keeps the old copy and says how old it is;
``offline`` never fetches. The file is written whole and renamed into place, so a crash or
two pipvet processes refreshing at once never leave a half-written table; a file that cannot
be read is fetched again, with a warning.

The file keeps the whole ranked list as two values: the names one a line (meta ``names``) and
the download counts as 64-bit integers (meta ``downloads``), which load in a fraction of a
millisecond, about 20 times faster than 15,000 rows. Only a list they cannot hold (a name
with a line break, a count past 64 bits) is kept as one row per project in ``ranks``. A file
without them (an earlier pipvet's) is read from its JSON copy (meta ``packed``) or its rows.
"""

from __future__ import annotations

import array
import contextlib
import json
import os
import sqlite3
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from pipvet.errors import DataError
from pipvet.frozen import frozen
from pipvet.index.popularity import RankedList, parse_ranked
from pipvet.models import NormalizedName
from pipvet.redact import mask_userinfo
from pipvet.system.http import HttpClient
from pipvet.typing_free import cast

__all__ = ["FILE_NAME", "MAX_AGE_DAYS", "Loaded", "PopularitySnapshot", "load_popularity"]

FILE_NAME = "popularity.sqlite3"
MAX_AGE_DAYS = 30.0
_SCHEMA = "1"


@frozen
class PopularitySnapshot:
    """The list as vetting uses it: a rank per name, and the ranked names and download counts
    the typosquat index is built from."""

    ranks: Mapping[str, int]  # canonical name -> rank (its place in ``names``; 1 = first)
    names: tuple[NormalizedName, ...]  # in rank order
    downloads: tuple[int, ...]  # of each name
    source: str
    fetched_at: float  # epoch seconds when the list was downloaded
    last_update: str | None = None

    @classmethod
    def of(cls, ranked: RankedList, source: str, fetched_at: float) -> PopularitySnapshot:
        names = ranked.names
        return cls(_ranks(names), names, ranked.downloads, source, fetched_at, ranked.last_update)

    @property
    def pairs(self) -> tuple[tuple[NormalizedName, int], ...]:
        """``(name, downloads)`` in rank order."""
        return tuple(zip(self.names, self.downloads, strict=True))

    def age_days(self, now: float) -> float:
        return max(0.0, now - self.fetched_at) / 86400


@frozen
class Loaded:
    """The list (None when none could be had) and what the user should know about it."""

    snapshot: PopularitySnapshot | None
    warnings: tuple[str, ...] = ()


# Where the list comes from, for every message saying it could not be had.
_WHERE = (
    "to use another copy, set PIPVET_TOP_PACKAGES_URL or the policy's top-packages-url "
    "(a URL, a file:// URL or a local path)"
)


def load_popularity(
    http: HttpClient,
    url: str,
    cache_dir: Path,
    *,
    now: Callable[[], float],
    offline: bool = False,
    max_age_days: float = MAX_AGE_DAYS,
) -> Loaded:
    """The popularity list from the cache, refreshed from ``url`` when it is too old."""
    path = cache_dir / FILE_NAME
    warnings: list[str] = []
    cached: PopularitySnapshot | None = None
    try:
        cached = _read(path)
    except DataError as exc:
        warnings.append(f"{exc}; fetching the list again")
    source = mask_userinfo(url)  # what the file keeps and messages show: no credentials
    fresh = (
        cached is not None and cached.source == source and cached.age_days(now()) <= max_age_days
    )
    if cached is not None and (fresh or offline):
        if not fresh:
            warnings.append(
                f"the popularity list is {cached.age_days(now()):.0f} days old "
                f"(--offline: not refreshed)"
            )
        return Loaded(cached, tuple(warnings))
    if offline:
        warnings.append(
            "no popularity list in the cache and --offline forbids fetching it: popularity "
            "and look-alike names cannot be checked"
        )
        return Loaded(None, tuple(warnings))
    try:
        response = http.get(url)
        if not response.ok:
            raise DataError(f"the popularity list at {source} answered {response.status}")
        ranked = parse_ranked(response.body, source=source)
    except DataError as exc:
        if cached is None:
            warnings.append(f"cannot load the popularity list: {exc}; {_WHERE}")
            return Loaded(None, tuple(warnings))
        warnings.append(
            f"cannot refresh the popularity list ({exc}); using the copy from "
            f"{cached.age_days(now()):.0f} days ago; {_WHERE}"
        )
        return Loaded(cached, tuple(warnings))
    snapshot = PopularitySnapshot.of(ranked, source, now())
    _write(path, snapshot)
    return Loaded(snapshot, tuple(warnings))


def _read(path: Path) -> PopularitySnapshot | None:
    if not path.exists():
        return None
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
            if meta.get("schema") != _SCHEMA:
                raise DataError(f"the popularity cache {path} has another format")
            columns = _columns(meta.get("names"), meta.get("downloads"))
            if columns is None:
                packed = _unpack(meta.get("packed"))
                if packed is None:
                    rows = conn.execute(
                        "SELECT name, downloads FROM ranks ORDER BY rank"
                    ).fetchall()
                    columns = [name for name, _ in rows], [count for _, count in rows]
                else:
                    columns = packed[0], packed[2]
        finally:
            conn.close()
        names, counts = columns
        if not names:
            raise DataError(f"the popularity cache {path} is empty")
        names_ = cast("tuple[NormalizedName, ...]", tuple(names))
        return PopularitySnapshot(
            _ranks(names_),
            names_,
            tuple(counts),
            meta["source"],
            float(meta["fetched_at"]),
            meta.get("last_update") or None,
        )
    except (sqlite3.Error, KeyError, ValueError) as exc:
        raise DataError(f"the popularity cache {path} is unreadable ({exc})") from None


def _ranks(names: Sequence[NormalizedName]) -> dict[str, int]:
    return dict(zip(names, range(1, len(names) + 1), strict=True))


def _pack(snapshot: PopularitySnapshot) -> list[tuple[str, str | bytes]]:
    """The ``names`` and ``downloads`` values; none for a list they cannot hold (a name with
    a line break, a count past 64 bits: then the rows are read)."""
    text = "\n".join(snapshot.names)
    if text.count("\n") != len(snapshot.names) - 1:
        return []
    try:
        counts = array.array("q", snapshot.downloads)
    except OverflowError:
        return []
    if sys.byteorder == "big":
        counts.byteswap()
    return [("names", text), ("downloads", counts.tobytes())]


def _columns(names: object, downloads: object) -> tuple[list[str], list[int]] | None:
    """What ``_pack`` wrote; None when absent or not exactly that."""
    if type(names) is not str or type(downloads) is not bytes or len(downloads) % 8:
        return None
    counts = array.array("q")
    counts.frombytes(downloads)
    if sys.byteorder == "big":
        counts.byteswap()
    listed = names.split("\n")
    return (listed, counts.tolist()) if len(listed) == len(counts) else None


def _unpack(text: str | None) -> tuple[list[str], list[int], list[int]] | None:
    """The JSON copy an earlier pipvet kept: names, ranks and download counts in rank order;
    None when absent or not exactly that (the rows are read instead)."""
    if text is None:
        return None
    try:
        names, ranks, counts = json.loads(text)
    except (ValueError, TypeError):
        return None
    if not (
        isinstance(names, list)
        and isinstance(ranks, list)
        and isinstance(counts, list)
        and len(names) == len(ranks) == len(counts)
        and all(type(n) is str for n in names)
        and all(type(r) is int for r in ranks)
        and all(type(c) is int for c in counts)
    ):
        return None
    return names, ranks, counts


def _write(path: Path, snapshot: PopularitySnapshot) -> None:
    """Write a new file and rename it into place; a cache that cannot be written is skipped."""
    import tempfile  # only when the list is refreshed: a warm vet never writes it

    tmp: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".popularity.", suffix=".tmp", dir=path.parent)
        os.close(fd)
        conn = sqlite3.connect(tmp)
        try:
            with conn:
                conn.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
                conn.execute(
                    "CREATE TABLE ranks (name TEXT PRIMARY KEY, rank INTEGER NOT NULL, "
                    "downloads INTEGER NOT NULL)"
                )
                columns = _pack(snapshot)
                conn.executemany(
                    "INSERT INTO meta VALUES (?, ?)",
                    [
                        ("schema", _SCHEMA),
                        ("source", snapshot.source),
                        ("fetched_at", repr(snapshot.fetched_at)),
                        ("last_update", snapshot.last_update or ""),
                        *columns,
                    ],
                )
                # One row a project only for a list the columns cannot hold: rows of a list
                # they hold would never be read, and cost five times the rest of the file.
                if not columns:
                    conn.executemany(
                        "INSERT INTO ranks VALUES (?, ?, ?)",
                        [
                            (name, rank, count)
                            for rank, (name, count) in enumerate(snapshot.pairs, start=1)
                        ],
                    )
        finally:
            conn.close()
        os.replace(tmp, path)
        tmp = None
    except (OSError, sqlite3.Error, OverflowError):  # OverflowError: a count past 64 bits
        pass  # costs a refetch next time, nothing more
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
