"""Cloud and data-platform credentials: AWS, Google Cloud, Azure, Kubernetes, Databricks,
Snowflake, Terraform, rclone. Each checker records names and locations only.
"""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import Any

from pipvet.exposure.model import Exposure, Harm, Lifetime
from pipvet.exposure.scan import Scan, ini_sections

__all__ = ["CLOUD_CHECKS"]

_SSO_ADVICE = (
    "short-lived credentials are the right kind, keep using them; a package running while "
    "they are valid can still use them, so do risky installs as a separate OS user or machine"
)


def _profile_name(section: str) -> str:
    return section[len("profile ") :].strip() if section.startswith("profile ") else section


def check_aws(scan: Scan) -> None:
    """Static keys (long-lived) vs session keys, SSO and credential processes (short-lived)."""
    aws = scan.home / ".aws"
    for path in (
        scan.env_path("AWS_SHARED_CREDENTIALS_FILE") or aws / "credentials",
        scan.env_path("AWS_CONFIG_FILE") or aws / "config",
    ):
        text = scan.read_text(path)
        if text is None:
            continue
        static: list[str] = []
        session: list[str] = []
        processes: list[str] = []
        sso: list[str] = []
        for section, keys in ini_sections(text).items():
            name = _profile_name(section)
            if keys.get("aws_secret_access_key"):
                (session if keys.get("aws_session_token") else static).append(name)
            if keys.get("credential_process"):
                processes.append(name)
            is_session = section.startswith("sso-session ")  # settings, not a profile
            if not is_session and (keys.get("sso_session") or keys.get("sso_start_url")):
                sso.append(name)
        where = scan.show(path)
        if static:
            scan.add(
                Exposure(
                    "aws-static-keys",
                    "AWS static access keys",
                    where,
                    Harm.CLOUD_BILL,
                    "long-lived",
                    "delete these keys (aws iam delete-access-key) and use AWS SSO "
                    "(aws configure sso): its credentials expire within hours",
                    tuple(static),
                )
            )
        if session:
            scan.add(
                Exposure(
                    "aws-session-keys",
                    "AWS temporary session keys",
                    where,
                    Harm.CLOUD_BILL,
                    "short-lived",
                    _SSO_ADVICE,
                    tuple(session),
                )
            )
        if processes:
            scan.add(
                Exposure(
                    "aws-credential-process",
                    "AWS credential_process: any process can run it to get keys",
                    where,
                    Harm.CLOUD_BILL,
                    "short-lived",
                    "make the credential process ask for confirmation (or use SSO), so a "
                    "package cannot mint keys silently",
                    tuple(processes),
                )
            )
        if sso:
            scan.add(
                Exposure(
                    "aws-sso-profiles",
                    "AWS SSO profiles (credentials come from the SSO token cache)",
                    where,
                    Harm.CLOUD_BILL,
                    "short-lived",
                    _SSO_ADVICE,
                    tuple(sso),
                    protected=True,
                )
            )
    for folder, what in (
        (aws / "sso" / "cache", "AWS SSO token cache"),
        (aws / "cli" / "cache", "AWS CLI cached role credentials"),
    ):
        cached = [p.name for p in scan.list_dir(folder) if p.suffix == ".json"]
        if cached:
            scan.add(
                Exposure(
                    "aws-token-cache",
                    f"{what} ({len(cached)} file{'s' if len(cached) != 1 else ''})",
                    scan.show(folder),
                    Harm.CLOUD_BILL,
                    "short-lived",
                    _SSO_ADVICE,
                )
            )


_GOOGLE_TYPES: dict[str, tuple[str, Lifetime]] = {
    "authorized_user": ("Google user credentials (a refresh token)", "long-lived"),
    "service_account": ("Google service account key", "long-lived"),
    "impersonated_service_account": (
        "Google impersonation credentials (with source credentials)",
        "long-lived",
    ),
    "external_account": ("Google workload identity federation config", "short-lived"),
    "external_account_authorized_user": ("Google workforce identity credentials", "long-lived"),
}


def _google_credentials_file(scan: Scan, path: Path) -> None:
    data = scan.read_json(path, what="a Google credentials file", harm=Harm.CLOUD_BILL)
    if not isinstance(data, dict):
        return
    kind = str(data.get("type", ""))
    what, lifetime = _GOOGLE_TYPES.get(kind, (f"Google credentials of type {kind!r}", "unknown"))
    advice = (
        "delete the key file and the key (gcloud iam service-accounts keys delete); use "
        "workload identity or impersonation for short-lived tokens"
        if kind == "service_account"
        else "revoke it when you do not need it (gcloud auth application-default revoke) and "
        "prefer service account impersonation, whose tokens last an hour"
    )
    scan.add(Exposure("gcp-credentials", what, scan.show(path), Harm.CLOUD_BILL, lifetime, advice))


def check_gcp(scan: Scan) -> None:
    folder = scan.env_path("CLOUDSDK_CONFIG") or scan.config_home / "gcloud"
    _google_credentials_file(scan, folder / "application_default_credentials.json")
    explicit = scan.env_path("GOOGLE_APPLICATION_CREDENTIALS")
    if explicit is not None:
        _google_credentials_file(scan, explicit)
    if scan.read_bytes(folder / "credentials.db", limit=16) is not None:
        scan.add(
            Exposure(
                "gcp-gcloud-logins",
                "gcloud stored logins (refresh tokens)",
                scan.show(folder / "credentials.db"),
                Harm.CLOUD_BILL,
                "long-lived",
                "log out when the work is done (gcloud auth revoke) and use a separate OS user "
                "for installing and running untrusted packages",
            )
        )
    legacy = [p.name for p in scan.list_dir(folder / "legacy_credentials") if p.is_dir()]
    if legacy:
        scan.add(
            Exposure(
                "gcp-legacy-credentials",
                "gcloud legacy credential copies",
                scan.show(folder / "legacy_credentials"),
                Harm.CLOUD_BILL,
                "long-lived",
                "revoke unused accounts (gcloud auth revoke ACCOUNT); the folder keeps copies "
                "of every login",
                tuple(legacy),
            )
        )


def check_azure(scan: Scan) -> None:
    folder = scan.env_path("AZURE_CONFIG_DIR") or scan.home / ".azure"
    plain = (
        ("msal_token_cache.json", "Azure CLI token cache (refresh tokens)"),
        ("accessTokens.json", "Azure CLI legacy token cache (refresh tokens)"),
        ("service_principal_entries.json", "Azure service principal secrets"),
    )
    for name, what in plain:
        path = folder / name
        if scan.read_bytes(path, limit=16) is not None:
            scan.add(
                Exposure(
                    "azure-credentials",
                    what,
                    scan.show(path),
                    Harm.CLOUD_BILL,
                    "long-lived",
                    "sign out when done (az logout); prefer managed identities or federated "
                    "credentials over service principal secrets",
                )
            )
    for name in ("msal_token_cache.bin", "service_principal_entries.bin"):
        path = folder / name
        if scan.read_bytes(path, limit=16) is not None:
            scan.add(
                Exposure(
                    "azure-encrypted-cache",
                    "Azure CLI encrypted token cache",
                    scan.show(path),
                    Harm.CLOUD_BILL,
                    "long-lived",
                    "keep it encrypted; sign out (az logout) when the work is done",
                    protected=True,
                )
            )


# kubeconfig is YAML; pipvet reads it line by line rather than depend on a YAML parser.
_KUBE_INLINE = re.compile(
    r"^\s*-?\s*(token|client-key-data|client-key|password|tokenFile)\s*:\s*\S", re.M
)
_KUBE_PLUGIN = re.compile(r"^\s*-?\s*(exec|auth-provider)\s*:", re.M)
_KUBE_USER = re.compile(r"^(\s*)-\s*name\s*:\s*['\"]?([^'\"#\n]+?)['\"]?\s*$")


def _kube_users(text: str) -> list[tuple[str, str]]:
    """(user name, its block of text) for each entry of the top-level ``users:`` list."""
    users: list[tuple[str, str]] = []
    in_users = False
    for line in text.splitlines():
        if line and not line[0].isspace() and not line.startswith("-"):
            in_users = line.split(":")[0].strip() == "users"
            continue
        if not in_users:
            continue
        entry = _KUBE_USER.match(line)
        if entry and len(entry.group(1)) <= 2:
            users.append((entry.group(2).strip(), ""))
        elif users:
            users[-1] = (users[-1][0], users[-1][1] + line + "\n")
    return users


def check_kube(scan: Scan) -> None:
    configured = scan.environ.get("KUBECONFIG", "").strip()
    paths = (
        [scan.path_value(p, "KUBECONFIG") for p in configured.split(os.pathsep) if p]
        if configured
        else [scan.home / ".kube" / "config"]
    )
    for path in paths:
        text = None if path is None else scan.read_text(path)
        if path is None or text is None:
            continue
        users = _kube_users(text) or [("(all users)", text)]
        inline = [name for name, block in users if _KUBE_INLINE.search(block)]
        plugin = [
            name
            for name, block in users
            if _KUBE_PLUGIN.search(block) and not _KUBE_INLINE.search(block)
        ]
        if inline:
            scan.add(
                Exposure(
                    "kube-inline-credentials",
                    "Kubernetes tokens or client keys stored in the kubeconfig",
                    scan.show(path),
                    Harm.CLOUD_BILL,
                    "long-lived",
                    "use an exec credential plugin (cloud CLI or OIDC login) so the file "
                    "holds no token, and keep cluster-admin contexts off this machine",
                    tuple(inline),
                )
            )
        if plugin:
            scan.add(
                Exposure(
                    "kube-exec-plugin",
                    "Kubernetes credentials fetched by an exec plugin on demand",
                    scan.show(path),
                    Harm.CLOUD_BILL,
                    "short-lived",
                    "good: tokens are short-lived; a package can still run the plugin, so keep "
                    "the plugin's own login short",
                    tuple(plugin),
                )
            )


def _ini_credentials(
    scan: Scan, path: Path, keys: tuple[str, ...], *, kind: str, what: str, advice: str
) -> None:
    text = scan.read_text(path)
    if text is None:
        return
    names = [
        section or "(top level)"
        for section, values in ini_sections(text).items()
        if any(values.get(k) for k in keys)
    ]
    if names:
        scan.add(
            Exposure(
                kind,
                what,
                scan.show(path),
                Harm.CLOUD_BILL,
                "long-lived",
                advice,
                tuple(names),
            )
        )


def check_data_platforms(scan: Scan) -> None:
    _ini_credentials(
        scan,
        scan.env_path("DATABRICKS_CONFIG_FILE") or scan.home / ".databrickscfg",
        ("token", "password", "client_secret"),
        kind="databricks-credentials",
        what="Databricks tokens or secrets",
        advice="use OAuth (databricks auth login) instead of personal access tokens: "
        "its tokens expire",
    )
    _ini_credentials(
        scan,
        scan.home / ".snowsql" / "config",
        ("password", "private_key_passphrase"),
        kind="snowflake-credentials",
        what="SnowSQL passwords",
        advice="use key-pair or SSO (externalbrowser) authentication instead of stored passwords",
    )
    _ini_credentials(
        scan,
        scan.config_home / "rclone" / "rclone.conf",
        ("secret_access_key", "token", "pass", "password", "client_secret", "key"),
        kind="rclone-credentials",
        what="rclone remotes with stored cloud-storage secrets",
        advice="encrypt the rclone config (rclone config encryption set) so it needs a password",
    )
    snowflake = scan.env_path("SNOWFLAKE_HOME") or scan.home / ".snowflake"
    for name in ("connections.toml", "config.toml"):
        path = snowflake / name
        text = scan.read_text(path)
        if text is None:
            continue
        try:
            data: dict[str, Any] = tomllib.loads(text)
        except (tomllib.TOMLDecodeError, RecursionError) as exc:
            scan.not_understood(
                path,
                what="a Snowflake connections file",
                harm=Harm.CLOUD_BILL,
                problem=f"not valid TOML: {exc}",
            )
            continue
        tables = data.get("connections", data)
        secret = ("password", "token", "private_key_passphrase")
        names = sorted(
            str(k)
            for k, v in (tables.items() if isinstance(tables, dict) else ())
            if isinstance(v, dict) and any(v.get(s) for s in secret)
        )
        if names:
            scan.add(
                Exposure(
                    "snowflake-credentials",
                    "Snowflake connection passwords or tokens",
                    scan.show(path),
                    Harm.CLOUD_BILL,
                    "long-lived",
                    "use key-pair or SSO (externalbrowser) authentication instead of "
                    "stored passwords",
                    tuple(names),
                )
            )
    tf = scan.home / ".terraform.d" / "credentials.tfrc.json"
    data_tf = scan.read_json(tf, what="a Terraform credentials file", harm=Harm.CLOUD_BILL)
    if isinstance(data_tf, dict) and isinstance(data_tf.get("credentials"), dict):
        hosts = sorted(
            str(h)
            for h, v in data_tf["credentials"].items()
            if isinstance(v, dict) and v.get("token")
        )
        if hosts:
            scan.add(
                Exposure(
                    "terraform-token",
                    "Terraform Cloud / Enterprise API tokens",
                    scan.show(tf),
                    Harm.CLOUD_BILL,
                    "long-lived",
                    "log out (terraform logout) when done; prefer team tokens with an expiry",
                    tuple(hosts),
                )
            )


CLOUD_CHECKS = (check_aws, check_gcp, check_azure, check_kube, check_data_platforms)
