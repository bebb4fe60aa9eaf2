"""``pipvet exposure``: list the credentials a package running here could read."""

from __future__ import annotations

import os

from pipvet.cli._common import (
    EXIT_FINDINGS,
    EXIT_OK,
    Output,
    add_common_options,
    apply_output_options,
    emit,
)
from pipvet.errors import UsageError

# Not typing's (see cli._common); the scan and its renderers are imported by ``run``:
# `pipvet exposure --help` needs only the parser (tests/test_cli_help_startup.py).
TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "exposure",
        help="list the credentials a malicious package running here could read",
        description=(
            "List the credentials a process started here can read: secret-looking environment "
            "variables, cloud CLI logins, registry and git tokens, SSH keys without a "
            "passphrase, .env files in the project, AI assistant logins. Names and locations "
            "only: pipvet never prints a secret value. Ranked by harm (cloud bill, publishing "
            "rights, source code, identity), with what to do about each."
        ),
        epilog=(
            "Exit codes: 0 (it is an inventory) unless --fail-on says otherwise: then 1 when "
            "a credential matches it; 2 on a usage error. Credentials whose lifetime is "
            "unknown count as long-lived."
        ),
    )
    parser.add_argument(
        "--home",
        metavar="DIR",
        help="home folder to inspect (default: $HOME); locations named by environment "
        "variables (XDG_CONFIG_HOME, KUBECONFIG, AWS_SHARED_CREDENTIALS_FILE, ...) still follow "
        "the environment",
    )
    parser.add_argument(
        "--project",
        metavar="DIR",
        default=".",
        help="project folder whose .env files are inspected (default: the current folder)",
    )
    parser.add_argument(
        "--fail-on",
        choices=("never", "long-lived", "any"),
        default="never",
        help="exit 1 when any exposed credential (any) or any long-lived one is found "
        "(default: never)",
    )
    add_common_options(parser, formats=("text", "json", "markdown"))
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, out: Output) -> int:
    from pathlib import Path

    from pipvet.exposure.inventory import fails_on, scan_exposure
    from pipvet.report.exposure import (
        render_exposure_json,
        render_exposure_markdown,
        render_exposure_text,
    )
    from pipvet.system.paths import expand_home

    apply_output_options(args, out)
    environ = dict(os.environ)
    home_arg = args.home or environ.get("HOME") or str(Path.home())
    home = expand_home(home_arg, origin="--home" if args.home else "HOME")
    if not home.is_dir():
        raise UsageError(
            f"home folder {home} does not exist", hint="pass an existing folder to --home"
        )
    project = Path(args.project)
    if not project.is_dir():
        raise UsageError(
            f"project folder {project} does not exist", hint="pass an existing folder to --project"
        )
    report = scan_exposure(home.resolve(), environ, project.resolve())
    renderers = {
        "text": render_exposure_text,
        "json": render_exposure_json,
        "markdown": render_exposure_markdown,
    }
    emit(out, renderers[args.format](report), args.output)
    return EXIT_FINDINGS if fails_on(report, args.fail_on) else EXIT_OK
