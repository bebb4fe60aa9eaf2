"""`pipvet fleet --format json` over a fixed synthetic fleet (every manifest style the fleet
benchmark uses: pins, floors with an ``-r`` include, ``pyproject.toml`` with a dependency
group, a ``.venv``, nested projects, a skipped ``node_modules``) equals the golden file that
the code before the fleet speed-up wrote: caches and fast paths must not change the answer.
Regenerate only for an intended change: ``PIPVET_REGENERATE_GOLDEN=1``."""

from __future__ import annotations

import io
import os
import random
from pathlib import Path

import pytest

from pipvet.cli import Output, main

GOLDEN = Path(__file__).parent / "golden" / "fleet_synthetic.json"
VERSIONS = {
    "urllib3": ["1.24.1", "1.26.5", "2.0.3", "2.2.2"],
    "requests": ["2.19.0", "2.25.1", "2.31.0", "2.32.3"],
    "jinja2": ["2.10", "2.11.3", "3.1.4"],
    "django": ["2.2.0", "3.2.4", "4.2.16"],
    "pillow": ["8.0.0", "9.0.0", "10.4.0"],
    "pyyaml": ["5.3", "5.4", "6.0.2"],
    "numpy": ["1.21.0", "1.26.4", "2.0.0"],
    "flask": ["0.12", "2.2.5", "3.0.3"],
    "cryptography": ["3.2", "41.0.0", "43.0.1"],
    "certifi": ["2022.12.7", "2024.8.30"],
    "idna": ["2.7", "3.7"],
    "werkzeug": ["2.2.2", "3.0.6"],
}


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def make_fleet(root: Path, projects: int = 24, deps: int = 8) -> None:
    rng = random.Random(7)
    names = sorted(VERSIONS)
    for i in range(projects):
        base = root / f"team{i % 3}" / f"project{i:02d}"
        if i % 10 == 9:
            base = base / "app"
        pins = [(n, rng.choice(VERSIONS[n])) for n in rng.sample(names, deps)]
        style = i % 4
        if style in (0, 1):
            write(base / "requirements.txt", "".join(f"{n}=={v}\n" for n, v in pins))
        elif style == 2:
            half = len(pins) // 2
            write(
                base / "requirements.txt",
                "-r base.txt\n" + "".join(f"{n}>={v}\n" for n, v in pins[:half]),
            )
            write(base / "base.txt", "".join(f"{n}>={v}\n" for n, v in pins[half:]))
        else:
            main_deps = ", ".join(f'"{n}>={v}"' for n, v in pins[:-2])
            dev = ", ".join(f'"{n}>={v}"' for n, v in pins[-2:])
            write(
                base / "pyproject.toml",
                f'[project]\nname = "p{i}"\nversion = "1"\ndependencies = [{main_deps}]\n\n'
                f"[dependency-groups]\ndev = [{dev}]\n",
            )
        if i % 10 == 0:
            site = base / ".venv" / "lib" / "python3.11" / "site-packages"
            write(base / ".venv" / "pyvenv.cfg", "home = /usr/bin\n")
            dists = [*pins, ("leftover-one", "1.0")]
            for index, (name, version) in enumerate(dists):
                requires = f"Requires-Dist: {dists[index + 1][0]}\n" if index % 3 == 0 else ""
                write(
                    site / f"{name}-{version}.dist-info" / "METADATA",
                    f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n{requires}\n",
                )
        if i % 12 == 0:
            write(base / "node_modules" / "x" / "requirements.txt", "skipped==1.0\n")


@pytest.fixture
def fleet(snapshot_source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "fleet"
    make_fleet(root)
    write(root / "pipvet.toml", "")
    monkeypatch.chdir(root)
    return root


def test_the_fleet_json_equals_the_golden_file(fleet: Path, shared_data: Path) -> None:
    out, err = io.StringIO(), io.StringIO()
    code = main(["fleet", "--format", "json", "-q", "."], Output(stdout=out, stderr=err))
    assert code == 1, err.getvalue()
    got = out.getvalue().replace(str(shared_data / "osv"), "<osv snapshot>")
    if os.environ.get("PIPVET_REGENERATE_GOLDEN"):
        GOLDEN.write_text(got, encoding="utf-8")
    assert got == GOLDEN.read_text(encoding="utf-8")
