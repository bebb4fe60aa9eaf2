"""Typosquat detector quality and speed, measured on the real popularity list.

Usage: python bench/bench_typosquat.py [--popularity FILE] [--squats FILE] [--list-flags]

1. False alarms. The index is built from the 5,000 most downloaded projects and every project
   ranked 5,001-15,000 is checked as if it were unknown (the worst case: a new project with
   that name). Two levels are counted: every ``avoid`` finding, and every finding at all
   (``avoid`` or ``review``: typosquat, import-name and standard-library notes alike). A band
   name that was looked at and found to be a squat is in bench/squats.txt (note "band:"), and
   so is one that is a project of its own but a trap to install by that name (note "trap:",
   with the evidence: an obsolete backport of a standard-library module, a placeholder, a
   package that breaks the import of the one people mean); both count as catches, not false
   alarms. The flagged names are listed so a reader can judge.
   The same band is then checked the way ``pipvet vet`` runs, against all 15,000 names,
   where each band name's own download count is known: the popularity-gap rule applies, and
   a listed name gets at most a ``review`` note.
2. Catch rate. Each line of bench/squats.txt is checked against the top-5,000 index: caught
   (any finding), and whether the suggested name is the intended target. The goal's measure
   is "public + generated" (near misses from public reports and from realistic patterns); the
   band's squats and traps are reported on their own lines.
3. Speed. Index build time (median of 7 builds, wall clock and CPU) and time per checked
   name (median and p99 in microseconds; each name timed 3 times and its fastest run kept, to
   keep other processes on the machine out of the figure).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from packaging.utils import canonicalize_name

from pipvet.index.popularity import PopularityTable, parse_popularity
from pipvet.vetting.typosquat import TyposquatIndex
from pipvet.vetting.typosquat_model import TyposquatResult

HERE = Path(__file__).resolve()
DEFAULT_POPULARITY = HERE.parents[1].parent / "shared/data/top-pypi-packages-30-days.min.json"
DEFAULT_SQUATS = HERE.parent / "squats.txt"
TOP = 5_000
NEAR_MISSES = "public + generated"
Flag = tuple[str, TyposquatResult]


@dataclass(frozen=True)
class Squat:
    name: str
    target: str
    note: str

    @property
    def origin(self) -> str:
        return self.note.split(":", 1)[0]


@dataclass
class Tally:
    total: int = 0
    caught: int = 0
    right: int = 0

    def add(self, caught: bool, right: bool) -> None:
        self.total += 1
        self.caught += caught
        self.right += right


@dataclass
class CatchReport:
    tallies: dict[str, Tally] = field(default_factory=dict)
    techniques: Counter[str] = field(default_factory=Counter)
    misses: list[Squat] = field(default_factory=list)
    wrong: list[tuple[Squat, TyposquatResult]] = field(default_factory=list)


def load_squats(path: Path) -> list[Squat]:
    squats = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) != 3:
            raise SystemExit(f"{path}:{number}: expected 3 tab-separated fields, got {line!r}")
        squats.append(Squat(*parts))
    return squats


def build_time(pairs: Sequence[tuple[str, int]], repeat: int = 7) -> str:
    """Median wall-clock and CPU milliseconds of ``repeat`` builds (CPU time is what the
    build costs when other processes share the machine)."""
    wall, cpu = [], []
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        TyposquatIndex.build(pairs)
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return f"{statistics.median(wall) * 1000:.0f} ms ({statistics.median(cpu) * 1000:.0f} cpu)"


def check_micros(index: TyposquatIndex, names: Sequence[str], repeat: int = 3) -> list[float]:
    clock = time.perf_counter_ns
    best = [float("inf")] * len(names)
    for _ in range(repeat):
        for i, name in enumerate(names):
            start = clock()
            index.check(name)
            best[i] = min(best[i], (clock() - start) / 1_000)
    return best


def flags(
    index: TyposquatIndex, names: Sequence[str], kind: str, level: str | None = None
) -> list[Flag]:
    results = ((name, index.check(name)) for name in names)
    return [
        (name, result)
        for name, result in results
        if result and result.kind == kind and level in (None, result.level)
    ]


def measure_catch(
    index: TyposquatIndex, table: PopularityTable, squats: list[Squat]
) -> CatchReport:
    report = CatchReport()
    for squat in squats:
        result = index.check(squat.name)
        caught = result is not None
        right = result is not None and (
            canonicalize_name(result.target) == canonicalize_name(squat.target)
        )
        target = table.lookup(squat.target)
        groups = [squat.origin, "all"]
        if squat.origin in ("public", "generated"):
            groups.append(NEAR_MISSES)  # the goal's measure: realistic near misses only
            if target is not None and target.rank <= TOP:
                groups.append(f"{NEAR_MISSES}, target in top 5,000")
        for group in groups:
            report.tallies.setdefault(group, Tally()).add(caught, right)
        if result is None:
            report.misses.append(squat)
        else:
            report.techniques[result.technique] += 1
            if not right:
                report.wrong.append((squat, result))
    return report


def percent(part: int, whole: int) -> str:
    return f"{part}/{whole} = {part / whole:.2%}"


def timing(values: Sequence[float]) -> str:
    ordered = sorted(values)
    p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
    return f"{statistics.median(ordered):.0f} / {p99:.0f} us"


def print_flags(title: str, found: Sequence[Flag], limit: int | None) -> None:
    shown = found if limit is None else found[:limit]
    more = "" if len(shown) == len(found) else f" (first {len(shown)} of {len(found)})"
    print(f"{title}{more}:")
    for name, result in shown:
        print(
            f"  {name:<30} -> {result.target:<26} {result.level:<6} "
            f"{result.technique}: {result.detail}"
        )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--popularity", type=Path, default=DEFAULT_POPULARITY)
    parser.add_argument("--squats", type=Path, default=DEFAULT_SQUATS)
    parser.add_argument("--list-flags", action="store_true", help="list every flagged name")
    args = parser.parse_args(argv)

    table = parse_popularity(args.popularity.read_bytes(), source=str(args.popularity))
    band = [entry.name for entry in table.entries[TOP:]]
    squats = load_squats(args.squats)
    top_index = TyposquatIndex.build(table.top(TOP))
    full_index = TyposquatIndex.build(table.top())

    known = {canonicalize_name(s.name): s.origin for s in squats}
    squats_in_band = [known[name] for name in band if name in known]
    band = [name for name in band if name not in known]  # looked at: squats, not false alarms
    unknown_flags = flags(top_index, band, "typosquat", "avoid")
    import_notes = flags(top_index, band, "import-name", "avoid")
    stdlib_notes = flags(top_index, band, "stdlib")
    any_level = [
        f for kind in ("typosquat", "import-name", "stdlib") for f in flags(top_index, band, kind)
    ]
    checked = len(band)
    full_flags = flags(full_index, band, "typosquat")
    full_imports = flags(full_index, band, "import-name")
    full_avoid = [f for f in full_flags + full_imports if f[1].level == "avoid"]
    catch = measure_catch(top_index, table, squats)
    squat_names = [s.name for s in squats]
    popular = [e.name for e in table.entries[:TOP]]

    rows: list[tuple[str, str]] = [
        ("index build, top 5,000 names", build_time(table.top(TOP))),
        ("index build, all 15,000 names", build_time(table.top())),
        (
            "FALSE ALARMS (avoid), ranks 5,001-15,000 as unknown names",
            percent(len(unknown_flags) + len(import_notes), checked),
        ),
        ("  of which typosquat findings", str(len(unknown_flags))),
        ("  of which import-name findings", str(len(import_notes))),
        ("FALSE ALARMS (avoid or review), same band and index", percent(len(any_level), checked)),
        ("  of which standard-library notes (review)", str(len(stdlib_notes))),
        ("band names looked at: squats (caught)", str(squats_in_band.count("band"))),
        ("band names looked at: traps (caught)", str(squats_in_band.count("trap"))),
        ("false alarms (avoid), same band, all 15,000 indexed", percent(len(full_avoid), checked)),
        (
            "  review notes there (typosquat + import-name)",
            str(len(full_flags) + len(full_imports) - len(full_avoid)),
        ),
    ]
    groups = ("public", "generated", NEAR_MISSES, f"{NEAR_MISSES}, target in top 5,000")
    for group in (*groups, "band", "trap", "all"):
        tally = catch.tallies.get(group)
        if tally is None:
            continue
        rows.append((f"caught, {group}", percent(tally.caught, tally.total)))
        rows.append(("  with the intended target suggested", percent(tally.right, tally.total)))
    speed: list[tuple[str, Callable[[], list[float]]]] = [
        ("check, 5,000 index, band + squats", lambda: check_micros(top_index, band + squat_names)),
        ("check, 15,000 index, band names", lambda: check_micros(full_index, band)),
        ("check, 15,000 index, squats", lambda: check_micros(full_index, squat_names)),
        ("check, 15,000 index, top-5,000 names", lambda: check_micros(full_index, popular)),
    ]
    rows.extend((f"{label}: median / p99", timing(measure())) for label, measure in speed)

    print(f"typosquat benchmark: {args.popularity.name} ({len(table):,} projects,")
    print(f"  {table.last_update}), {args.squats.name} ({len(squats)} names)")
    print("-" * 78)
    for label, value in rows:
        print(f"{label:<56}{value:>22}")
    print("-" * 78)
    print("caught by: " + ", ".join(f"{t} {n}" for t, n in catch.techniques.most_common()))
    limit = None if args.list_flags else 15
    print_flags("band names flagged, unknown-name mode", unknown_flags, limit)
    print_flags("band names flagged, all 15,000 indexed", full_flags + full_imports, limit)
    print("band import-name findings: " + ", ".join(f"{n}->{r.target}" for n, r in import_notes))
    print("band standard-library notes: " + ", ".join(n for n, _ in stdlib_notes))
    print(f"missed ({len(catch.misses)}):")
    for squat in catch.misses:
        print(f"  {squat.name:<26} meant {squat.target:<22} {squat.note}")
    print(f"caught with another suggestion ({len(catch.wrong)}):")
    for squat, result in catch.wrong:
        print(
            f"  {squat.name:<26} meant {squat.target:<22} got {result.target} ({result.technique})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
