"""A realistic scene for ``pipvet report``: a project with 300 installed distributions (some
at versions the shared OSV snapshot marks affected, the recorded index projects a few
releases behind their newest), credentials in a home folder, a fleet of projects that drift,
and index metadata in the local cache for the recorded projects only.

Used by the report tests and, run as ``python -m tests.support.report_scene OUT_DIR``, to
make ``docs/report.png`` (see the README). Nothing here reaches beyond 127.0.0.1.
"""

from __future__ import annotations

import gzip
import json
import random
import zipfile
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

# Installed as direct dependencies and vetted; all of them are recorded index answers.
DIRECT = ("requests", "pandas", "numpy", "matplotlib", "scikit-learn", "fastapi", "pydantic",
          "black", "colorama", "left-pad")  # fmt: skip
HOSTILE_ID = "PYSEC-9999-1"
HOSTILE_SUMMARY = (
    'Bad <script>alert("x")</script> and <img src=x onerror=alert(1)> and '
    '[click me](javascript:alert(2)) <a href="javascript:alert(3)">js</a> \x1b[31mred'
)


@dataclass(frozen=True)
class Scene:
    root: Path
    project: Path
    site: Path
    home: Path
    cache: Path
    fleet: Path
    overlay: Path | None
    environ: dict[str, str]


def _v(text: str) -> Version | None:
    try:
        return Version(text)
    except InvalidVersion:
        return None


def _affected(osv: Path) -> dict[str, list[str]]:
    versions: dict[str, set[str]] = defaultdict(set)
    with zipfile.ZipFile(osv / "PyPI" / "all.zip") as zf:
        for info in zf.infolist():
            record = json.loads(zf.read(info))
            if record.get("withdrawn"):
                continue
            for aff in record.get("affected", []):
                pkg = aff.get("package", {})
                if pkg.get("ecosystem") == "PyPI":
                    versions[canonicalize_name(pkg.get("name", ""))].update(
                        v for v in aff.get("versions", []) if _v(v)
                    )
    return {name: sorted(v, key=Version) for name, v in versions.items() if v}


def _recorded(data: Path) -> dict[str, list[str]]:
    """Final releases of each recorded index project, newest first."""
    out = {}
    for path in sorted((data / "pypi").glob("*.json.gz")):
        doc = json.loads(gzip.decompress(path.read_bytes()))
        finals = [v for v in doc["releases"] if (p := _v(v)) and not p.is_prerelease]
        out[path.name.removesuffix(".json.gz")] = sorted(finals, key=Version, reverse=True)
    return out


def _dist_info(site: Path, name: str, version: str) -> None:
    info = site / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True, exist_ok=True)
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n\n", encoding="utf-8"
    )
    (info / "INSTALLER").write_text("pip\n", encoding="utf-8")
    (info / "RECORD").write_text("", encoding="utf-8")


def build_scene(
    root: Path, data: Path, *, hostile: bool = False, size: int = 300, vulnerable_names: int = 34
) -> Scene:
    rng = random.Random(11)
    project = root / "analytics"
    site = root / "site-packages"
    home = root / "home"
    cache = root / "cache"
    for folder in (project, site, home, cache):
        folder.mkdir(parents=True, exist_ok=True)
    installed: dict[str, str] = {}
    recorded = _recorded(data)
    for name, finals in recorded.items():
        if name == "insecure-package":
            continue
        back = min(len(finals) - 1, rng.choice((0, 0, 1, 2, 3, 5, 8, 14, 30)))
        installed[name] = finals[back]
    affected = _affected(data / "osv")
    vulnerable = sorted(n for n in affected if n not in installed)
    rng.shuffle(vulnerable)
    for name in vulnerable[:vulnerable_names]:
        installed[name] = rng.choice(affected[name][-6:])
    installed["urllib3"] = "1.26.5"
    installed["requests"] = "2.25.1"
    top = json.loads((data / "top-pypi-packages-30-days.min.json").read_text(encoding="utf-8"))
    for row in top["rows"]:
        if len(installed) >= size:
            break
        name = canonicalize_name(row["project"])
        if name not in installed and name not in affected:
            installed[name] = f"{rng.randint(0, 6)}.{rng.randint(0, 24)}.{rng.randint(0, 9)}"
    for name, version in installed.items():
        _dist_info(site, name, version)
    (project / "pipvet.toml").write_text("", encoding="utf-8")
    (project / "requirements.txt").write_text(
        "".join(f"{n}>={installed[n]}\n" for n in DIRECT), encoding="utf-8"
    )
    (project / ".env").write_text("DATABASE_URL=postgres://u:p@db/x\n", encoding="utf-8")
    _credentials(home)
    fleet = _fleet(root / "fleet")
    overlay = _hostile(root / "overlay", installed) if hostile else None
    environ = {
        "HOME": str(home),
        "PIPVET_CACHE_DIR": str(cache),
        "PIPVET_OSV_URL": str(data / "osv"),
        "OPENAI_API_KEY": "sk-not-a-real-key-0000",
        "GITHUB_TOKEN": "ghp_notarealtoken000000000000000000000",
    }
    return Scene(root, project, site, home, cache, fleet, overlay, environ)


def _credentials(home: Path) -> None:
    files = {
        ".aws/credentials": "[default]\naws_access_key_id = AKIAEXAMPLEEXAMPLE00\n"
        "aws_secret_access_key = notasecretnotasecretnotasecret0000000000\n",
        ".pypirc": "[pypi]\nusername = __token__\npassword = pypi-notarealtoken\n",
        ".git-credentials": "https://someone:ghp_notreal000000000000000000000000000@github.com\n",
        ".docker/config.json": '{"auths": {"registry.example": {"auth": "dXNlcjpwYXNz"}}}\n',
        ".kube/config": "apiVersion: v1\nusers:\n- name: u\n  user:\n    token: notreal\n",
    }
    for rel, text in files.items():
        path = home / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def _fleet(root: Path) -> Path:
    projects = {
        "churn-model": "pandas==1.5.3\nnumpy==1.24.4\nrequests==2.25.1\nscikit-learn==1.2.2\n",
        "etl-jobs": "pandas==2.2.2\nnumpy==1.26.4\nrequests==2.32.3\nurllib3==1.26.5\n",
        "dashboards": "pandas==2.1.4\nmatplotlib==3.7.1\nnumpy==1.26.4\nrequests==2.31.0\n",
        "forecasting": "pandas==2.2.2\nnumpy==2.0.0\nscikit-learn==1.5.0\nurllib3==2.2.2\n",
        "reporting-api": "fastapi==0.95.0\npydantic==1.10.7\nrequests==2.19.0\nurllib3==1.24.1\n",
        "notebooks": "pandas==1.3.5\nnumpy==1.21.6\nmatplotlib==3.5.3\nscikit-learn==1.0.2\n",
    }
    for name, text in projects.items():
        (root / name).mkdir(parents=True, exist_ok=True)
        (root / name / "requirements.txt").write_text(text, encoding="utf-8")
    return root


def _hostile(folder: Path, installed: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    record = {
        "id": HOSTILE_ID,
        "modified": "2024-10-01T00:00:00Z",
        "summary": HOSTILE_SUMMARY,
        "details": HOSTILE_SUMMARY,
        "affected": [
            {
                "package": {"ecosystem": "PyPI", "name": "colorama"},
                "versions": [installed["colorama"]],
            }
        ],
        "references": [{"type": "WEB", "url": "javascript:alert(4)"}],
    }
    (folder / f"{HOSTILE_ID}.json").write_text(json.dumps(record), encoding="utf-8")
    return folder


def cache_index_metadata(scene: Scene, index_url: str) -> None:
    """Put the recorded projects' index answers in the scene's cache, as vet would."""
    from pipvet.index.client import IndexClient
    from pipvet.system.http import HttpClient

    http = HttpClient(scene.cache / "http")
    client = IndexClient(http, index_url, parsed_cache=scene.cache / "index")
    names = [p.name for p in scene.site.glob("*.dist-info")]
    client.lookup_many([n.removesuffix(".dist-info").rsplit("-", 1)[0] for n in names])


if __name__ == "__main__":  # make docs/report.png's page: python -m tests.support.report_scene
    import io
    import os
    import sys

    from pipvet.cli import Output, main
    from tests.support.index_server import index_server

    out_dir = Path(sys.argv[1]).resolve()
    data = Path(__file__).resolve().parents[3] / "shared" / "data"
    scene = build_scene(out_dir / "scene", data, vulnerable_names=4)
    with index_server(data) as index:
        cache_index_metadata(scene, index.url)
        os.environ.update(scene.environ)
        os.environ["PIPVET_INDEX_URL"] = index.url
        os.environ["PIPVET_TOP_PACKAGES_URL"] = index.popularity_url
        os.chdir(scene.project)
        err = io.StringIO()
        code = main(
            ["report", "--path", str(scene.site), "--vet", "--fleet", str(scene.fleet),
             "-o", str(out_dir / "pipvet.html")],
            Output(stdout=sys.stdout, stderr=err),
        )  # fmt: skip
    print(f"exit {code}; {err.getvalue()}")
