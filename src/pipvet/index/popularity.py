"""The popularity list: the most downloaded projects of the last 30 days, ranked.

The list is published as ``{"rows": [{"project": NAME, "download_count": N}, ...]}`` (plus
metadata such as ``last_update``). ``parse_popularity`` turns it into a ``PopularityTable``:
names canonicalised (PEP 503), duplicates that canonicalise to the same name merged, rows
ranked by downloads (rank 1 = most downloaded). ``parse_ranked`` gives the same list as two
columns, names and counts, without an entry object per project (what the popularity cache
keeps). Malformed input is a ``DataError`` naming the source, the row and the bad value: a
popularity table that silently dropped rows would make unknown names look rarer than they
are.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from itertools import repeat
from operator import itemgetter

from pipvet.errors import DataError
from pipvet.frozen import field, frozen
from pipvet.models import NormalizedName, canonicalize_name, is_project_name
from pipvet.typing_free import cast

__all__ = ["PopularityEntry", "PopularityTable", "RankedList", "parse_popularity", "parse_ranked"]

_MAX_PROBLEMS_SHOWN = 5
_HINT = (
    "the popularity list should be the JSON file of the most downloaded PyPI projects "
    '({"rows": [{"project": ..., "download_count": ...}]}); check the configured source '
    "or point it at a good copy"
)


@frozen
class PopularityEntry:
    """One ranked project: rank 1 is the most downloaded."""

    name: NormalizedName
    rank: int
    downloads: int


@frozen
class RankedList:
    """The list as two columns: names most downloaded first (rank 1 is the first), and the
    download count of each."""

    names: tuple[NormalizedName, ...]
    downloads: tuple[int, ...]
    last_update: str | None = None


@frozen
class PopularityTable:
    """Projects ranked by downloads, most downloaded first, looked up by canonical name."""

    entries: tuple[PopularityEntry, ...]
    last_update: str | None = None
    _by_name: Mapping[NormalizedName, PopularityEntry] = field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_name", {e.name: e for e in self.entries})

    def __len__(self) -> int:
        return len(self.entries)

    def __iter__(self) -> Iterator[PopularityEntry]:
        return iter(self.entries)

    def lookup(self, name: str) -> PopularityEntry | None:
        """The entry for ``name`` (any spelling that canonicalises to it), or None."""
        return self._by_name.get(canonicalize_name(name))

    def top(self, n: int | None = None) -> tuple[tuple[NormalizedName, int], ...]:
        """``(name, downloads)`` pairs of the ``n`` most downloaded projects (all if None),
        in rank order: the input ``TyposquatIndex.build`` takes."""
        chosen = self.entries if n is None else self.entries[:n]
        return tuple((e.name, e.downloads) for e in chosen)


def parse_popularity(
    data: bytes | str | object, *, source: str = "popularity list"
) -> PopularityTable:
    """Parse the popularity list from raw JSON (bytes or str) or an already decoded object.

    ``source`` names the input in error messages (a path or URL). Raises ``DataError`` when
    the JSON is invalid, ``rows`` is missing or empty, or any row lacks a valid project name
    or a non-negative integer ``download_count``; every problem found is listed (up to a few).
    """
    ranked = parse_ranked(data, source=source)
    entries = tuple(
        PopularityEntry(name=name, rank=rank, downloads=count)
        for rank, (name, count) in enumerate(
            zip(ranked.names, ranked.downloads, strict=True), start=1
        )
    )
    return PopularityTable(entries=entries, last_update=ranked.last_update)


def parse_ranked(data: bytes | str | object, *, source: str = "popularity list") -> RankedList:
    """``parse_popularity``'s list as columns, with the same checks and errors."""
    document = _decode(data, source)
    if not isinstance(document, dict):
        raise DataError(
            f"{source}: expected a JSON object with a 'rows' list, got {_kind(document)}",
            hint=_HINT,
        )
    rows = document.get("rows")
    if not isinstance(rows, list):
        raise DataError(f"{source}: no 'rows' list (found {_kind(rows)} under 'rows')", hint=_HINT)
    if not rows:
        raise DataError(f"{source}: 'rows' is empty, so no project has a rank", hint=_HINT)

    plain = _plain_downloads(rows)
    downloads, problems = (plain, []) if plain is not None else _downloads(rows)
    if problems:
        shown = problems[:_MAX_PROBLEMS_SHOWN]
        more = len(problems) - len(shown)
        suffix = f"\n  ... and {more} more" if more else ""
        raise DataError(
            f"{source}: {len(problems)} malformed row(s):\n  " + "\n  ".join(shown) + suffix,
            hint=_HINT,
        )

    ranked = sorted(downloads.items(), key=lambda item: (-item[1], item[0]))
    last_update = document.get("last_update")
    return RankedList(
        tuple(map(itemgetter(0), ranked)),
        tuple(map(itemgetter(1), ranked)),
        last_update if isinstance(last_update, str) else None,
    )


def _downloads(rows: list[object]) -> tuple[dict[NormalizedName, int], list[str]]:
    """Each project's downloads, row by row, and every problem found on the way."""
    problems: list[str] = []
    downloads: dict[NormalizedName, int] = {}
    for position, row in enumerate(rows):
        parsed = _parse_row(row, position, problems)
        if parsed is None:
            continue
        name, count = parsed
        # The same project can appear under two spellings ("Foo_Bar", "foo-bar"): merge them
        # into one canonical entry carrying the larger count (the rows are totals, not parts).
        downloads[name] = max(count, downloads.get(name, 0))
    return downloads, problems


# Names already in canonical form, one a line: what the published list holds.
_NAME = r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?"
_CANONICAL_LINES = re.compile(f"{_NAME}(?:\n{_NAME})*")


# SQLite stores integers up to 2**63 - 1; no project is downloaded anywhere near that often.
MAX_DOWNLOADS = 2**63 - 1


def _plain_downloads(rows: list[object]) -> dict[NormalizedName, int] | None:
    """``_downloads`` of a list whose rows are all well formed, with names already canonical
    and each named once, checked a column at a time in C; None for any other list (then
    ``_downloads`` reads it row by row and names what is wrong)."""
    if {*map(type, rows)} != {dict}:
        return None
    dicts = cast("list[dict[str, object]]", rows)
    # dict.get unbound, mapped in C: a methodcaller makes a bound method a row, 3x slower.
    projects = list(map(dict.get, dicts, repeat("project")))
    counts = list(map(dict.get, dicts, repeat("download_count")))
    if {*map(type, projects)} != {str} or {*map(type, counts)} != {int}:
        return None
    names = cast("list[str]", projects)
    text = "\n".join(names)
    if (
        min(cast("list[int]", counts)) < 0
        or max(cast("list[int]", counts)) > MAX_DOWNLOADS
        or "--" in text
        or not _CANONICAL_LINES.fullmatch(text)
        or len(set(names)) != len(names)
    ):
        return None
    return dict(zip(cast("list[NormalizedName]", names), cast("list[int]", counts), strict=True))


def _decode(data: bytes | str | object, source: str) -> object:
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise DataError(
                f"{source}: not UTF-8 text (bad byte at offset {exc.start})", hint=_HINT
            ) from exc
    if isinstance(data, str):
        try:
            return json.loads(data)
        except json.JSONDecodeError as exc:
            raise DataError(
                f"{source}: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}",
                hint=_HINT,
            ) from exc
        except (ValueError, RecursionError) as exc:  # a 5,000-digit number; deep nesting
            what = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
            raise DataError(f"{source}: not a usable JSON document: {what}", hint=_HINT) from None
    return data


def _parse_row(
    row: object, position: int, problems: list[str]
) -> tuple[NormalizedName, int] | None:
    where = f"row {position + 1}"
    if not isinstance(row, dict):
        problems.append(f"{where}: expected an object, got {_kind(row)}")
        return None
    project = row.get("project")
    count = row.get("download_count")
    ok = True
    name: NormalizedName | None = None
    if not isinstance(project, str) or not project.strip():
        problems.append(f"{where}: 'project' must be a non-empty string, got {project!r}")
        ok = False
    # What canonicalize_name(project, validate=True) of packaging.utils accepts: that
    # module imports packaging.tags (platform, sysconfig, subprocess).
    elif is_project_name(project):
        name = canonicalize_name(project)
    else:
        problems.append(f"{where}: 'project' {project!r} is not a valid project name")
        ok = False
    # bool is an int subclass; a true/false count is a broken export, not a number.
    value: int | None = None
    if isinstance(count, bool) or not isinstance(count, int):
        problems.append(f"{where}: 'download_count' must be a whole number, got {count!r}")
    elif count < 0:
        problems.append(f"{where}: 'download_count' must not be negative, got {count}")
    elif count > MAX_DOWNLOADS:
        problems.append(f"{where}: 'download_count' is larger than any real count ({count:.3e})")
    else:
        value = count
    if not ok or name is None or value is None:
        return None
    return name, value


def _kind(value: object) -> str:
    if value is None:
        return "nothing"
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}.get(
        type(value), type(value).__name__
    )
