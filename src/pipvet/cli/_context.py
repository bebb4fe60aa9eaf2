"""What every data-using command resolves first: policy, data sources, cache, clock."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from pathlib import Path

from pipvet.frozen import field, frozen
from pipvet.policy import Policy, Sources, load_policy, resolve_sources, utc_date
from pipvet.system.paths import check_cache_dir, default_cache_dir, expand_home
from pipvet.system.process import SubprocessRunner

TYPE_CHECKING = False  # not typing's: an audit imports no typing (see pipvet.frozen)
if TYPE_CHECKING:  # imported where used: a run on fresh local data never loads them
    import argparse  # a command line cli._quick reads needs no argparse
    from datetime import date  # nor datetime, unless the policy has an ignore

    from pipvet.index.client import IndexClient
    from pipvet.system.http import HttpClient

# All the network work of one command: above any real run (a full sync of the OSV archive
# on a slow line included), far below "waiting for ever".
COMMAND_BUDGET = 3600.0


@frozen
class RunContext:
    cwd: Path
    environ: Mapping[str, str]
    policy: Policy
    sources: Sources
    cache_dir: Path
    offline: bool
    clock: Callable[[], float] = field(default=time.time)
    http_timeout: float | None = None  # --http-timeout
    _http: dict[str, HttpClient] = field(default_factory=dict, repr=False, compare=False)

    @property
    def today(self) -> date:
        return utc_date(self.clock())

    def http(self) -> HttpClient:
        """The run's HTTP client, made on first use and shared (one budget per command): each
        request ends by the http-timeout (flag, else policy), all of them by the budget."""
        made = self._http.get("client")
        if made is not None:
            return made
        from pipvet.system.http import HttpClient

        timeout = self.http_timeout or self.policy.http_timeout
        client = HttpClient(
            self.cache_dir / "http",
            offline=self.offline,
            clock=self.clock,
            deadline=timeout,
            budget=COMMAND_BUDGET,
        )
        self._http["client"] = client
        return client

    def index(self, http: HttpClient) -> IndexClient:
        """The package index the sources name, through ``http``, with this run's internal
        names, parsed-answer cache and clock."""
        from pipvet.index.client import IndexClient

        return IndexClient(
            http,
            self.sources.index_url,
            is_internal=self.policy.is_internal,
            parsed_cache=self.cache_dir / "index",
            clock=self.clock,
        )

    def runner(self) -> SubprocessRunner:
        """The one process runner of this run: the user's environment, this folder."""
        return SubprocessRunner(env=self.environ, cwd=str(self.cwd))


def build_context(
    args: argparse.Namespace,
    *,
    environ: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    clock: Callable[[], float] = time.time,
) -> RunContext:
    env = dict(os.environ if environ is None else environ)
    here = Path.cwd() if cwd is None else cwd
    explicit = Path(args.policy) if getattr(args, "policy", None) else None
    policy = load_policy(here, explicit, today=lambda: utc_date(clock()))
    sources = resolve_sources(
        policy,
        env,
        osv_url=getattr(args, "osv_url", None),
        osv_overlay=getattr(args, "osv_overlay", None),
        index_url=getattr(args, "index_url", None),
        top_packages_url=getattr(args, "top_packages_url", None),
    )
    cache = getattr(args, "cache_dir", None)
    cache_dir = expand_home(cache, origin="--cache-dir") if cache else default_cache_dir(env)
    check_cache_dir(cache_dir)
    return RunContext(
        cwd=here,
        environ=env,
        policy=policy,
        sources=sources,
        cache_dir=cache_dir,
        offline=bool(getattr(args, "offline", False)),
        clock=clock,
        http_timeout=getattr(args, "http_timeout", None),
    )
