"""Options several commands share, registered in one place so they read the same everywhere,
and the advisory data those options point at.

``audit``, ``update``, ``vet`` and ``install`` each take an environment (``--python`` /
``--venv``), advisory sources (``--osv-url`` / ``--osv-overlay``) and, where a partial check
exits 2, ``--allow-unchecked``; ``vet``, ``install`` and ``update`` the vetting's data sources
as well. Registering them imports nothing: `pipvet CMD --help` builds only its parser
(tests/test_cli_help_startup.py).
"""

from __future__ import annotations

from pipvet.errors import UsageError

# Not typing's: every audit imports this module, and typing would cost it ~10M instructions.
TYPE_CHECKING = False
if TYPE_CHECKING:  # registering the options must not import what fetching the data needs
    import argparse  # nor argparse: a command line cli._quick reads does without it
    from collections.abc import Callable

    from pipvet.advisories.sync_model import SyncOutcome
    from pipvet.cli._context import RunContext
    from pipvet.models import AuditReport
    from pipvet.policy import Policy
    from pipvet.system.http import HttpClient

    # An ArgumentParser or one of its argument groups: both inherit add_argument from here.
    Container = argparse._ActionsContainer

__all__ = [
    "add_advisory_options",
    "add_allow_unchecked",
    "add_environment_options",
    "add_source_options",
    "add_target_options",
    "advisory_data",
    "advisory_data_error",
    "one_environment",
]


def add_environment_options(container: Container, *, python: str, venv: str) -> None:
    """``--python PATH`` and ``--venv DIR``, with the command's own help for each."""
    container.add_argument("--python", metavar="PATH", help=python)
    container.add_argument("--venv", metavar="DIR", help=venv)


def one_environment(args: argparse.Namespace) -> None:
    """UsageError when both ``--python`` and ``--venv`` were given."""
    if getattr(args, "python", None) and getattr(args, "venv", None):
        raise UsageError("use either --python or --venv, not both")


def add_advisory_options(container: Container) -> None:
    """``--osv-url`` and ``--osv-overlay``: where the advisory data comes from."""
    container.add_argument(
        "--osv-url",
        metavar="URL",
        help="advisory source (URL or path in the OSV bucket layout; default PIPVET_OSV_URL, "
        "the policy, or the public OSV bucket)",
    )
    container.add_argument(
        "--osv-overlay",
        metavar="DIR",
        help="a folder of OSV JSON files with private advisories, merged on top",
    )


def add_target_options(parser: argparse.ArgumentParser, verb: str) -> None:
    """The environment a vetting is for: ``--python`` / ``--venv``, in their own group."""
    add_environment_options(
        parser.add_argument_group("target environment"),
        python=f"the interpreter to {verb} for (its platform and packages)",
        venv=f"the virtual environment to {verb} for",
    )


def add_source_options(parser: argparse.ArgumentParser, *, index_url: bool = True) -> None:
    """Where a vetting's data comes from: the index (unless ``index_url`` is false), the
    popularity list and the advisory data."""
    group = parser.add_argument_group("data sources")
    if index_url:
        group.add_argument(
            "--index-url",
            metavar="URL",
            help="package index for metadata (default PIPVET_INDEX_URL, the policy, or the "
            "public index)",
        )
    group.add_argument(
        "--top-packages-url",
        metavar="URL",
        help="popularity list (default PIPVET_TOP_PACKAGES_URL, the policy, or the public list)",
    )
    add_advisory_options(group)


def add_allow_unchecked(container: Container, *, what: str) -> None:
    """``--allow-unchecked``; ``what`` completes "do not exit 2 because ..."."""
    container.add_argument(
        "--allow-unchecked",
        action="store_true",
        help=f"do not exit 2 because {what}",
    )


def rebuild_advisory_data(
    ctx: RunContext,
    http: HttpClient | None = None,
    *,
    progress: Callable[[str], None] | None = None,
) -> SyncOutcome:
    """A full re-sync from the configured sources (for a database found damaged), with
    ``http`` or else the run's client."""
    from pipvet.audit.run import rebuild_advisories

    client = ctx.http() if http is None else http
    return rebuild_advisories(
        ctx.sources, client, cache_dir=ctx.cache_dir, clock=ctx.clock, progress=progress
    )


def advisory_data(
    ctx: RunContext,
    http: HttpClient | None = None,
    *,
    progress: Callable[[str], None] | None = None,
) -> SyncOutcome:
    """Usable advisory data from the sources the options and policy name (synced when older
    than the policy's max age, never with ``--offline``); DataError when there is none. With
    no ``http``, the run's client is made only if a sync runs."""
    from pipvet.audit.run import prepare_advisories

    return prepare_advisories(
        ctx.sources,
        ctx.http if http is None else http,
        cache_dir=ctx.cache_dir,
        policy=ctx.policy,
        offline=ctx.offline,
        clock=ctx.clock,
        progress=progress,
    )


def advisory_data_error(report: AuditReport, policy: Policy, *, ci: bool) -> str | None:
    """Why the advisory data fails the command (exit 2), or None: stale data (``--ci`` or
    ``stale-data = "fail"``), or, with ``--ci``, public records the overlay replaces that
    ``overlay-replaces`` does not list."""
    from pipvet.policy import stale_data_fails, unlisted_replacements

    snapshot = report.snapshot
    if stale_data_fails(report, policy, ci=ci):
        if snapshot.configured_source is not None:
            return (
                f"pipvet: error: the advisory data comes from {snapshot.source}, not from the "
                f"configured source ({snapshot.configured_source}), which could not be synced; "
                "fix that source, then run: pipvet db sync"
            )
        return (
            "pipvet: error: the advisory data is older than max-data-age-days "
            f"({policy.max_data_age_days}); refresh it (pipvet db sync) or fix its source"
        )
    unlisted = unlisted_replacements(snapshot, policy) if ci else ()
    if unlisted:
        return (
            "pipvet: error: the advisory overlay replaces public records that the policy's "
            f"overlay-replaces does not list: {', '.join(unlisted)}; a replaced record can hide "
            "a public vulnerability. Review the overlay's files for these ids, then add them "
            'to overlay-replaces (e.g. overlay-replaces = ["' + unlisted[0] + '"])'
        )
    return None
