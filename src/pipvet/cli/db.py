"""``pipvet db sync`` and ``pipvet db status``: the local advisory database."""

from __future__ import annotations

import time

from pipvet.cli._common import EXIT_OK, Output, add_common_options, apply_output_options, emit
from pipvet.errors import UsageError
from pipvet.report.safe import json_renderer, text_renderer

# Not typing's (see cli._common); the database, its source and the sync are imported where
# they are used: `pipvet db --help` needs only the parser (tests/test_cli_help_startup.py).
TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from pathlib import Path

    from pipvet.advisories.store_model import StoreInfo
    from pipvet.advisories.sync_model import SyncOutcome
    from pipvet.cli._context import RunContext


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "db",
        help="sync or inspect the local advisory database",
        description=(
            "pipvet audits against a local copy of the OSV advisory data for PyPI, kept in "
            "SQLite under the cache folder. 'sync' brings it up to date (the whole archive "
            "the first time, only what changed after that); 'status' shows what it holds."
        ),
    )
    sub = parser.add_subparsers(dest="db_command", metavar="COMMAND", required=True)
    sync_parser = sub.add_parser(
        "sync",
        help="download or update the advisory database",
        description=(
            "Update the advisory database: the full PyPI/all.zip the first time (or with "
            "--full), afterwards only the records PyPI/modified_id.csv lists as changed."
        ),
        epilog="Exit codes: 0 synced; 2 the source could not be read (the previous database "
        "is kept as it was) or a usage error.",
    )
    sync_parser.add_argument(
        "--full", action="store_true", help="read the whole archive again instead of updating"
    )
    status_parser = sub.add_parser(
        "status",
        help="show the advisory database's source, size and age",
        description="Show the source, record count, newest modified time, last sync time, "
        "database file and size of the local advisory database.",
        epilog="Exit codes: 0 shown; 2 there is no usable database yet.",
    )
    for p, func in ((sync_parser, run_sync), (status_parser, run_status)):
        p.add_argument(
            "--osv-url",
            metavar="URL",
            help="advisory source: an https://, http:// or file:// URL or a path of a folder "
            "in the OSV bucket layout (PyPI/all.zip), or of a zip (default PIPVET_OSV_URL, the "
            "policy, or the public OSV bucket)",
        )
        p.add_argument(
            "--osv-overlay",
            "--overlay",
            dest="osv_overlay",
            metavar="DIR",
            help="a folder of OSV JSON files with private advisories, merged on top "
            "(default PIPVET_OSV_OVERLAY or the policy)",
        )
        add_common_options(p, formats=("text", "json"))
        p.set_defaults(func=func)


def _overlay(ctx: RunContext) -> Path | None:
    from pipvet.system.paths import expand_home

    value = ctx.sources.osv_overlay
    return expand_home(value, origin=ctx.sources.origin("osv_overlay")).resolve() if value else None


def run_sync(args: argparse.Namespace, out: Output) -> int:
    from pipvet.advisories.source import OsvSource
    from pipvet.advisories.store import AdvisoryStore
    from pipvet.advisories.sync import default_store_path, sync
    from pipvet.cli._context import build_context

    apply_output_options(args, out)
    ctx = build_context(args)
    source = OsvSource.parse(ctx.sources.osv_url)
    if ctx.offline and not source.is_local:
        raise UsageError(
            f"'pipvet db sync --offline' cannot download from {source}",
            hint="drop --offline, or point --osv-url at a local copy of the OSV data",
        )
    started = time.perf_counter()
    outcome = sync(
        default_store_path(ctx.cache_dir),
        source,
        ctx.http(),
        full=args.full,
        overlay=_overlay(ctx),
        clock=ctx.clock,
        progress=out.progress,
    )
    seconds = time.perf_counter() - started
    out.clear_progress()
    with AdvisoryStore.open(outcome.store_path) as store:
        info = store.info()
    if args.format == "json":
        emit(out, render_sync_json(outcome, info, seconds), args.output)
    else:
        emit(out, render_sync_text(outcome, info, seconds), args.output)
        for warning in outcome.warnings:
            out.err(f"warning: {warning}")
    return EXIT_OK


def run_status(args: argparse.Namespace, out: Output) -> int:
    from pipvet.advisories.source import OsvSource
    from pipvet.advisories.store import AdvisoryStore
    from pipvet.advisories.sync import default_store_path
    from pipvet.cli._context import build_context

    apply_output_options(args, out)
    ctx = build_context(args)
    with AdvisoryStore.open(default_store_path(ctx.cache_dir)) as store:
        info = store.info()
        last = store.last_sync_epoch
    age = None if last is None else max(0.0, ctx.clock() - last)
    configured = OsvSource.parse(ctx.sources.osv_url).identity
    if args.format == "json":
        emit(out, render_status_json(info, age, configured), args.output)
    else:
        emit(out, render_status_text(info, age, configured), args.output)
    return EXIT_OK


# ---------------------------------------------------------------------------- rendering


def _size(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 100_000 else f"{n / 1e3:.0f} kB"


def _age(seconds: float | None) -> str:
    if seconds is None:
        return "never"
    if seconds < 90:
        return f"{seconds:.0f} s ago"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min ago"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.1f} h ago"
    return f"{seconds / 86400:.1f} days ago"


def _lines(rows: list[tuple[str, str]]) -> str:
    width = max(len(k) for k, _ in rows) + 2
    return "\n".join(f"  {k + ':':<{width}}{v}" for k, v in rows)


def _info_rows(info: StoreInfo) -> list[tuple[str, str]]:
    overlay = f"{info.overlay} ({info.overlay_records:,} records)" if info.overlay else "none"
    if info.overlay_replaced:
        overlay += f"; replaces public {', '.join(info.overlay_replaced)}"
    return [
        ("source", info.source),
        ("overlay", overlay),
        ("records", f"{info.records:,} ({info.withdrawn:,} withdrawn)"),
        ("newest modified", info.newest_modified or "none"),
    ]


@text_renderer
def render_sync_text(outcome: SyncOutcome, info: StoreInfo, seconds: float) -> str:
    title = {
        "full": "read the whole advisory archive",
        "incremental": f"fetched {outcome.fetched:,} changed records",
        "up-to-date": "already up to date",
    }.get(outcome.action, outcome.action)
    rows = [
        *_info_rows(info),
        ("malformed", f"{outcome.malformed_skipped:,} records skipped"),
        ("database", f"{info.path} ({_size(info.size_bytes)})"),
        ("took", f"{seconds:.1f} s"),
    ]
    return f"advisory database: {title} ({outcome.reason})\n{_lines(rows)}\n"


@json_renderer
def render_sync_json(outcome: SyncOutcome, info: StoreInfo, seconds: float) -> str:
    import json

    data = {
        "action": outcome.action,
        "reason": outcome.reason,
        "fetched": outcome.fetched,
        "malformed_skipped": outcome.malformed_skipped,
        **_info_json(info),
        "warnings": list(outcome.warnings),
        "seconds": round(seconds, 3),
    }
    return json.dumps(data, indent=2) + "\n"


def _info_json(info: StoreInfo) -> dict[str, object]:
    return {
        "source": info.source,
        "overlay": info.overlay,
        "records": info.records,
        "withdrawn": info.withdrawn,
        "overlay_records": info.overlay_records,
        "overlay_replaced": list(info.overlay_replaced),
        "newest_modified": info.newest_modified,
        "last_sync": info.last_sync,
        "database": str(info.path),
        "size_bytes": info.size_bytes,
    }


@text_renderer
def render_status_text(info: StoreInfo, age: float | None, configured: str) -> str:
    rows = [
        *_info_rows(info),
        ("last sync", f"{info.last_sync or 'never'} ({_age(age)})"),
        ("malformed", f"{info.malformed_skipped:,} records skipped since the last full sync"),
        ("database", f"{info.path} ({_size(info.size_bytes)})"),
    ]
    text = f"advisory database\n{_lines(rows)}\n"
    if configured != info.source:
        text += (
            f"note: the configured source is {configured}; the next sync will rebuild the "
            "database from it\n"
        )
    return text


@json_renderer
def render_status_json(info: StoreInfo, age: float | None, configured: str) -> str:
    import json

    data = {
        **_info_json(info),
        "age_seconds": None if age is None else round(age, 1),
        "malformed_skipped": info.malformed_skipped,
        "configured_source": configured,
    }
    return json.dumps(data, indent=2) + "\n"
