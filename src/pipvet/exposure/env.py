"""Which environment variable names look like secrets, and what they would give away (pure).

The decision uses the name, plus one look at the value that never leaves this module: a value
shaped like a URL with a password in it (``scheme://user:password@host``) counts as a secret
whatever the variable is called, because that is how database and private-index credentials
usually travel. Nothing here returns or stores a value.

Name rules (on the upper-cased name split at ``_``):

* secret when the name contains ``SECRET``, ``PASSWORD``, ``PASSWD`` or ``PASSPHRASE``; or a
  word is ``TOKEN``, ``PAT``, ``PWD``, ``APIKEY``, ``AUTHTOKEN``, ``ACCESSTOKEN``,
  ``CREDENTIAL(S)`` or ``PRIVATEKEY``; or the last word is ``KEY`` or ``AUTH`` or ends in
  ``TOKEN``; or the name is a known one (``DATABASE_URL``, ``*_DATABASE_URL``...).
* not secret when the last word says the value is about a secret rather than the secret
  (``_FILE``, ``_PATH``, ``_DIR``, ``_ID``, ``_URL``, ``_TYPE``, ``_REGION``...), when a word is
  ``PUBLIC`` or ``PUBLISHABLE`` (public keys), or for ``PWD``, ``OLDPWD`` and ``GPG_KEY``
  (directories, and the key fingerprint Python's container images set).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from pipvet.exposure.model import Exposure, Harm, Lifetime
from pipvet.frozen import frozen

__all__ = ["EnvSecret", "classify_env_name", "env_exposures", "url_has_password"]

_SUBSTRINGS = ("SECRET", "PASSWORD", "PASSWD", "PASSPHRASE")
_WORDS = frozenset(
    {
        "TOKEN",
        "PAT",
        "PWD",
        "APIKEY",
        "AUTHTOKEN",
        "ACCESSTOKEN",
        "CREDENTIAL",
        "CREDENTIALS",
        "PRIVATEKEY",
    }
)
_ABOUT_A_SECRET = frozenset(
    {
        "FILE",
        "FILES",
        "PATH",
        "DIR",
        "HOME",
        "ID",
        "URL",
        "URI",
        "TYPE",
        "NAME",
        "USER",
        "USERNAME",
        "HOST",
        "PORT",
        "REGION",
        "ENDPOINT",
        "LENGTH",
        "TTL",
        "EXPIRY",
        "EXPIRES",
        "EXPIRATION",
        "ALGORITHM",
        "HEADER",
        "SCOPE",
        "SCOPES",
        "ENABLED",
        "HELPER",
        "COMMAND",
        "CMD",
        "LIMIT",
        "SIZE",
        "FORMAT",
        "BACKEND",
        "PROVIDER",
        "MODE",
        "VERSION",
        "SOCK",
    }
)
# GOOGLE_APPLICATION_CREDENTIALS holds a path: the file it names is checked instead.
_NOT_SECRET_NAMES = frozenset({"PWD", "OLDPWD", "GPG_KEY", "GOOGLE_APPLICATION_CREDENTIALS"})
_KNOWN_URL_SECRETS = re.compile(r"^(.*_)?(DATABASE_URL|DB_URL|DSN|BROKER_URL)$")
_URL_WITH_PASSWORD = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://[^/@\s:]*:[^/@\s]+@")

# Prefixes and names that say what a secret unlocks. Checked in order; first match wins.
_CLOUD_PREFIXES = (
    "AWS_",
    "AZURE_",
    "ARM_",
    "GOOGLE_",
    "GCP_",
    "GCLOUD_",
    "CLOUDSDK_",
    "DIGITALOCEAN_",
    "CLOUDFLARE_",
    "DATABRICKS_",
    "SNOWFLAKE_",
    "HCLOUD_",
    "LINODE_",
    "OCI_",
    "ALICLOUD_",
    "IBMCLOUD_",
    "SCW_",
    "OPENAI_",
    "ANTHROPIC_",
    "GEMINI_",
    "MISTRAL_",
    "GROQ_",
    "COHERE_",
    "TOGETHER_",
    "REPLICATE_",
    "DEEPSEEK_",
    "XAI_",
    "OPENROUTER_",
)
_PUBLISHING = re.compile(
    r"^(TWINE_PASSWORD|PYPI_.*|TEST_PYPI_.*|UV_PUBLISH_.*|FLIT_PASSWORD|POETRY_PYPI_TOKEN_.*"
    r"|POETRY_HTTP_BASIC_.*_PASSWORD|NPM_TOKEN|NODE_AUTH_TOKEN|NPM_CONFIG__AUTH.*"
    r"|CARGO_REGISTRY_TOKEN|GEM_HOST_API_KEY|DOCKER_PASSWORD|DOCKERHUB_.*|DOCKER_HUB_.*"
    r"|HF_TOKEN|HUGGING_FACE_HUB_TOKEN|HUGGINGFACE_.*|CONDA_.*TOKEN|ANACONDA_.*TOKEN)$"
)
_SOURCE = re.compile(
    r"^(GITHUB_.*|GH_.*|GITLAB_.*|CI_JOB_TOKEN|BITBUCKET_.*|GITEA_.*|CODECOV_TOKEN"
    r"|ACTIONS_.*TOKEN)$"
)


@frozen
class EnvSecret:
    """A variable that looks like a secret: what it probably unlocks."""

    name: str
    harm: Harm
    why: str  # "name" or "url-with-password"


def url_has_password(value: str) -> bool:
    """True for ``scheme://user:password@...``: credentials embedded in a URL."""
    return bool(_URL_WITH_PASSWORD.match(value.strip()))


def classify_env_name(name: str, value: str = "") -> EnvSecret | None:
    """Does this variable look like a secret? ``value`` is inspected, never returned."""
    upper = name.upper()
    if not upper or upper in _NOT_SECRET_NAMES:
        return None
    if value and url_has_password(value):
        return EnvSecret(name, _harm_of(upper), "url-with-password")
    if _name_looks_secret(upper):
        return EnvSecret(name, _harm_of(upper), "name")
    return None


def _name_looks_secret(upper: str) -> bool:
    if _KNOWN_URL_SECRETS.match(upper):
        return True
    words = [w for w in upper.split("_") if w]
    if not words or words[-1] in _ABOUT_A_SECRET:
        return False
    if "PUBLIC" in words or "PUBLISHABLE" in words:
        return False
    last = words[-1]
    return (
        any(s in upper for s in _SUBSTRINGS)
        or any(w in _WORDS for w in words)
        or last in ("KEY", "AUTH")
        or last.endswith("TOKEN")
    )


def _harm_of(upper: str) -> Harm:
    if _PUBLISHING.match(upper):
        return Harm.PUBLISHING
    if _SOURCE.match(upper):
        return Harm.SOURCE_CODE
    if upper.startswith(_CLOUD_PREFIXES):
        return Harm.CLOUD_BILL
    return Harm.IDENTITY


_ADVICE = {
    Harm.CLOUD_BILL: (
        "do not export cloud or paid-API keys in the shell you install packages from; use "
        "short-lived credentials (SSO, role sessions) or a separate OS user for this work"
    ),
    Harm.PUBLISHING: (
        "publish from CI with trusted publishing (OIDC) instead of a token in your shell; if "
        "you must keep a token, scope it to one project and keep it out of this environment"
    ),
    Harm.SOURCE_CODE: (
        "let git and gh use a credential helper or the OS keyring instead of a token "
        "variable, and prefer fine-grained tokens with an expiry"
    ),
    Harm.IDENTITY: (
        "keep secrets out of the environment of the shell you install and run packages in; "
        "load them only into the process that needs them, or use a separate OS user"
    ),
}


def env_exposures(environ: Mapping[str, str]) -> list[Exposure]:
    """One exposure per secret-looking variable; AWS keys grouped (their lifetime differs)."""
    found: list[Exposure] = []
    aws_keys = sorted(
        n
        for n in environ
        if n.upper() in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")
        and environ[n]
    )
    if any(n.upper() == "AWS_SECRET_ACCESS_KEY" for n in aws_keys):
        session = any(n.upper() == "AWS_SESSION_TOKEN" for n in aws_keys)
        lifetime: Lifetime = "short-lived" if session else "long-lived"
        found.append(
            Exposure(
                kind="env-aws-keys",
                what="AWS "
                + ("temporary session keys" if session else "static access keys")
                + " in the environment",
                location="environment",
                harm=Harm.CLOUD_BILL,
                lifetime=lifetime,
                names=tuple(aws_keys),
                advice=(
                    "use AWS SSO (aws configure sso) or role sessions instead of exported "
                    "static keys, and do not export them in the shell you install packages from"
                ),
            )
        )
    for name in sorted(environ):
        if name in aws_keys or not environ[name]:
            continue
        if name.upper() == "SSH_AUTH_SOCK":
            found.append(
                Exposure(
                    kind="ssh-agent",
                    what="SSH agent socket: any process can sign with the loaded keys",
                    location="environment",
                    harm=Harm.SOURCE_CODE,
                    lifetime="short-lived",
                    names=(name,),
                    advice=(
                        "add keys with confirmation (ssh-add -c) or use a hardware key that "
                        "needs a touch, so a package cannot use the agent silently"
                    ),
                )
            )
            continue
        secret = classify_env_name(name, environ[name])
        if secret is None:
            continue
        what = (
            "URL with an embedded password"
            if secret.why == "url-with-password"
            else "secret-looking environment variable"
        )
        found.append(
            Exposure(
                kind="env-secret",
                what=what,
                location="environment",
                harm=secret.harm,
                lifetime="unknown",
                names=(name,),
                advice=_ADVICE[secret.harm],
            )
        )
    return found
