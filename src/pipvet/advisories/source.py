"""Where OSV advisories come from: a base URL or path in the OSV bucket layout, or a zip."""

from __future__ import annotations

from pathlib import Path

from pipvet.errors import UsageError
from pipvet.frozen import frozen
from pipvet.redact import mask_userinfo
from pipvet.system.paths import local_path

__all__ = ["DEFAULT_OSV_URL", "ECOSYSTEM", "OsvSource"]

DEFAULT_OSV_URL = "https://osv-vulnerabilities.storage.googleapis.com"
ECOSYSTEM = "PyPI"


@frozen
class OsvSource:
    """Where advisories come from: a base in the OSV bucket layout, or a zip file itself."""

    location: str  # URL or absolute path, credentials included: what is fetched
    zip_only: bool = False

    @classmethod
    def parse(cls, text: str) -> OsvSource:
        """``https://``/``http://``/``file://`` URL or path of a bucket-layout folder or zip."""
        text = text.strip()
        scheme = text.split("://", 1)[0].lower() if "://" in text else ""
        if scheme and scheme not in ("http", "https", "file"):
            # A configuration mistake, not a network hiccup: old data must not hide it.
            raise UsageError(
                f"unsupported advisory source {text!r}: pipvet reads https://, http://, file:// "
                "URLs and local paths",
                hint="fix --osv-url, PIPVET_OSV_URL or osv-url in the policy file",
            )
        path = local_path(text)
        if path is not None and "://" not in text:
            path = path.resolve()
            return cls(str(path), zip_only=path.suffix.lower() == ".zip" or path.is_file())
        base = text.rstrip("/") or text
        return cls(base, zip_only=base.lower().endswith(".zip"))

    def _join(self, *parts: str) -> str:
        if "://" in self.location:
            return "/".join((self.location, *parts))
        return str(Path(self.location, *parts))

    @property
    def zip_url(self) -> str:
        return self.location if self.zip_only else self._join(ECOSYSTEM, "all.zip")

    @property
    def csv_url(self) -> str | None:
        return None if self.zip_only else self._join(ECOSYSTEM, "modified_id.csv")

    def record_url(self, record_id: str) -> str:
        return self._join(ECOSYSTEM, f"{record_id}.json")

    @property
    def is_local(self) -> bool:
        return local_path(self.location) is not None

    @property
    def identity(self) -> str:
        """The location with its URL credentials masked: what the database stores, what
        decides whether the source changed, and what users are shown."""
        return mask_userinfo(self.location)

    def __str__(self) -> str:
        return self.identity
