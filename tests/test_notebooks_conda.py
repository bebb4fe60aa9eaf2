"""Notebooks (``%pip install`` lines) and conda's ``environment.yml`` through ``-r``, and a
conda environment audited with ``--python``."""

from __future__ import annotations

import io
import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from pipvet.cli import Output, main
from pipvet.errors import InputError
from pipvet.inputs.requirements import parse_declared, to_dependencies
from tests.support.wheels import build_wheel
from tests.test_vet_cli import World, empty_venv, warm_cache, world

__all__ = ["empty_venv", "warm_cache", "world"]  # fixtures used here


def run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, Output(stdout=out, stderr=err))
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def env(snapshot_project: Path) -> Path:
    return snapshot_project


def audit_json(*argv: str) -> tuple[int, dict[str, Any]]:
    code, out, err = run(["audit", "--format", "json", *argv])
    assert "Traceback" not in err, err
    return code, json.loads(out)


def notebook(path: Path, *sources: str | list[str], markdown: str = "%pip install x") -> Path:
    cells: list[dict[str, Any]] = [{"cell_type": "markdown", "metadata": {}, "source": markdown}]
    cells += [
        {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None, "source": s}
        for s in sources
    ]
    doc = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": cells}
    path.write_text(json.dumps(doc, indent=1), encoding="utf-8")
    return path


# ------------------------------------------------------------------------------ notebooks


def test_every_install_form_in_code_cells_is_read(tmp_path: Path) -> None:
    (tmp_path / "reqs.txt").write_text("idna==2.7\n", encoding="utf-8")
    nb = notebook(
        tmp_path / "analysis.ipynb",
        ["import os\n", "%pip install -q -U reqeusts pandas==1.0.0\n"],
        "!python -m pip install --upgrade 'numpy>=1.20' -r reqs.txt  # deps\n"
        "  !pip3 install -e ./src && echo done\n"
        "%conda install -c conda-forge -y scipy=1.11\n",
    )
    parsed = parse_declared(nb)
    got = [(e.name, e.kind, str(e.location)) for e in parsed.entries]
    assert got == [
        ("reqeusts", "unpinned", f"{nb}, cell 2, line 2"),
        ("pandas", "pinned", f"{nb}, cell 2, line 2"),
        ("numpy", "unpinned", f"{nb}, cell 3, line 1"),
        ("idna", "pinned", str(tmp_path / "reqs.txt") + ":1"),
        (None, "editable", f"{nb}, cell 3, line 2"),
        ("scipy", "url", f"{nb}, cell 3, line 3"),
    ]
    line = parsed.entries[0].location.line  # the line of the .ipynb file, for SARIF
    assert line is not None
    assert "%pip install -q -U reqeusts" in nb.read_text(encoding="utf-8").splitlines()[line - 1]
    scipy = to_dependencies(parsed.entries)[-1]
    assert scipy.skipped is not None
    assert scipy.skipped.startswith("installed by conda: audit the environment itself")


@pytest.mark.parametrize(
    "line", ["!pip install {pkg}", "!pip install $PKGS", "%pip install -r {f}"]
)
def test_an_install_of_what_a_variable_holds_makes_the_notebook_unreadable(
    tmp_path: Path, line: str
) -> None:
    """The names are only known when the cell runs: they would be installed unchecked, and
    the audit passed with a warning."""
    nb = notebook(tmp_path / "var.ipynb", "%pip install six==1.16.0\n", f"{line}\n")
    with pytest.raises(InputError) as err:
        parse_declared(nb)
    assert "installs what a Python or shell variable holds" in " ".join(err.value.problems)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"cells": [', "is not a notebook (not valid JSON)"),
        ('{"cells": 3}', "is not a Jupyter notebook (no list of cells)"),
        ("[" * 100_000, "not"),
    ],
)
def test_a_broken_notebook_is_an_error_naming_it(tmp_path: Path, text: str, expected: str) -> None:
    nb = tmp_path / "broken.ipynb"
    nb.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as err:
        parse_declared(nb)
    assert str(nb) in str(err.value)
    assert expected in str(err.value)


def test_every_command_of_a_chained_line_and_of_a_shell_cell_is_read(tmp_path: Path) -> None:
    """A helper's attacker pass (fail-open): the second command of a chained line, a %%bash
    cell and spellings such as '!pip -q install' were dropped, and the audit passed."""
    nb = notebook(
        tmp_path / "chain.ipynb",
        "!pip install -q requests==2.31.0 && pip install django==1.11\n"
        "%pip install six==1.16.0 || pip install idna==2.7\n"
        "!pip -q install attrs==1.0\n"
        "!python3.11 -m pip install pyyaml==3.12\n"
        "!sudo pip3.11 install jinja2==2.10\n",
        "%%bash\npip install urllib3==1.24.1\necho done\n",
    )
    names = [e.name for e in parse_declared(nb).entries]
    assert names == ["requests", "django", "six", "idna", "attrs", "pyyaml", "jinja2", "urllib3"]


def test_a_one_line_cell_ipython_runs_as_a_magic_without_its_percent_is_read(
    env: Path,
) -> None:
    """IPython's automagic runs a cell that is only 'pip install jinja2==2.10' as %pip
    install: pipvet skipped it and the audit passed. In a longer cell such a line is a
    SyntaxError, and nothing of that cell runs."""
    nb = notebook(
        env / "magic.ipynb",
        "%pip install six==1.16.0\n",
        "pip install jinja2==2.10\n",
        "\n   uv pip install idna==2.7\n\n",
        "conda install -y numpy\n",
        "x = 1\npip install urllib3==1.24.1\n",
        "pip = 3\n",
        "pip list\n",
        "%%capture\npip install pyyaml==3.12\n",  # the rest of the cell runs as a cell
    )
    names = ["six", "jinja2", "idna", "pyyaml", "numpy"]  # conda packages come last
    assert [e.name for e in parse_declared(nb).entries] == names
    code, report = audit_json("-r", str(nb))
    assert code == 1
    jinja2 = next(d for d in report["dependencies"] if d["name"] == "jinja2")
    assert "PYSEC-2019-217" in {f["id"] for f in jinja2["findings"]}
    notebook(env / "uv.ipynb", "uv add django==1.11\n")
    with pytest.raises(InputError) as err:
        parse_declared(env / "uv.ipynb")
    assert "installs packages in a way pipvet does not read" in " ".join(err.value.problems)


@pytest.mark.parametrize(
    "line", ["!uv add django==1.11", "!conda env update -f env.yml", "!poetry add django"]
)
def test_an_install_pipvet_cannot_read_makes_the_notebook_unreadable(
    tmp_path: Path, line: str
) -> None:
    nb = notebook(tmp_path / "other.ipynb", f"%pip install six==1.16.0\n{line}\n")
    with pytest.raises(InputError) as err:
        parse_declared(nb)
    assert "installs packages in a way pipvet does not read" in " ".join(err.value.problems)


@pytest.mark.parametrize(
    "line",
    [
        "subprocess.check_call([sys.executable, '-m', 'pip', 'install', 'jinja2==2.10'])",
        'os.system("pip install jinja2==2.10")',
        "get_ipython().system('pip install jinja2==2.10')",
        "pip.main(['install', 'jinja2==2.10'])",
    ],
)
def test_an_install_from_python_code_makes_the_notebook_unreadable(
    tmp_path: Path, line: str
) -> None:
    """Notebooks meant for hosted kernels install with subprocess or os.system: such a line
    went unread and the audit passed."""
    nb = notebook(
        tmp_path / "code.ipynb",
        "%pip install six==1.16.0\n",
        f"import os, subprocess, sys\n{line}\n",
        "# os.system('pip install x') in a comment, and print('pip install x'): no install\n"
        "print('run: pip install x')\n",
    )
    with pytest.raises(InputError) as err:
        parse_declared(nb)
    (problem,) = err.value.problems
    assert problem.startswith(f"{nb}, cell 3, line 2: '")
    assert "installs packages from Python code, which pipvet does not read" in problem


@pytest.mark.parametrize("magic", ["%%!", "%%sx", "%%system"])
def test_every_cell_magic_that_runs_a_shell_is_read(tmp_path: Path, magic: str) -> None:
    nb = notebook(tmp_path / "sh.ipynb", f"{magic}\npip install jinja2==2.10\n")
    assert [e.name for e in parse_declared(nb).entries] == ["jinja2"]


@pytest.mark.parametrize(
    "cell",
    [
        # one call over two lines
        "import subprocess, sys\nsubprocess.check_call([sys.executable, '-m', 'pip',\n"
        "    'install', 'jinja2==2.10'])\n",
        "sp.run(['pip', 'install', 'jinja2==2.10'])\n",  # subprocess imported as sp elsewhere
        "os.system('p' + 'ip install jinja2==2.10')\n",
        "!p''ip install jinja2==2.10\n",  # the shell joins the quotes away
        "!P=pip && $P install jinja2==2.10\n",
    ],
)
def test_installs_spelled_to_hide_make_the_notebook_unreadable(tmp_path: Path, cell: str) -> None:
    """Each of these installs jinja2 2.10, and the audit passed: a notebook is refused when
    pipvet cannot read what one of its cells installs."""
    nb = notebook(tmp_path / "hide.ipynb", "%pip install six==1.16.0\n", cell)
    with pytest.raises(InputError) as err:
        parse_declared(nb)
    (problem,) = err.value.problems
    assert problem.startswith(f"{nb}, cell 3, line ")  # cell 1 is markdown
    assert "installs packages" in problem


@pytest.mark.parametrize(
    "cell",
    [
        "%%script /bin/bash\npip install jinja2==2.10\n",
        "%%script --no-raise-error bash\npip install jinja2==2.10\n",
        'tool = "pip"\n!{tool} install jinja2==2.10\n',
        '!P=pip; "$P" install jinja2==2.10\n',
        "!command $P install jinja2==2.10\n",
        "%%bash\np$()ip install jinja2==2.10\n",
        "ip = get_ipython()\nip.run_line_magic('pip', 'install jinja2==2.10')\n",
        "get_ipython().run_cell('!pip install jinja2==2.10')\n",
        "from pip._internal.cli.main import main as m\nm(['install', 'jinja2==2.10'])\n",
        "subprocess.check_call([sys.executable, '-m', 'pi' 'p', 'install', 'jinja2==2.10'])\n",
        "if True:\n    !pip -V\n    subprocess.run(['pip', 'install', 'jinja2==2.10'])\n",
        # the command in a variable, a method call or an f-string
        'cmd = "pip install jinja2==2.10"\nsp.run(cmd, shell=True)\n',
        'subprocess.run("pip install jinja2==2.10".split())\n',
        'os.system(f"{P} install jinja2==2.10")\n',
        'sys.argv = ["pip", "install", "jinja2==2.10"]\nrunpy.run_module("pip")\n',
        # calls that run code, or pip by its module name
        'get_ipython().magic("pip install jinja2==2.10")\n',
        "exec(\"import os; os.system('pip install jinja2==2.10')\")\n",
        '__import__("pip").main(["install", "jinja2==2.10"])\n',
        'importlib.import_module("pip").main(["install", "jinja2==2.10"])\n',
        # a line ending in "?" and newer syntax than pipvet's Python still count
        'os.system("pip install jinja2==2.10")  # why?\n',
        'import os\nprint(f"{"ok"}")\nos.system("pip install jinja2==2.10")\n',
        # assignments from commands, line magics that run Python
        "out = !pip install jinja2==2.10\n",
        '%time os.system("pip install jinja2==2.10")\n',
        "%run -m pip install jinja2==2.10\n",
        "%sx pip install jinja2==2.10\n",
        '%%script python3\nimport os\nos.system("pip install jinja2==2.10")\n',
        # shell wrappers
        "!/usr/bin/env pip install jinja2==2.10\n",
        "!echo jinja2==2.10 | xargs pip install\n",
        '!bash -c "pip install jinja2==2.10"\n',
        "!timeout 60 pip install jinja2==2.10\n",
        "!(pip install jinja2==2.10)\n",
        "%%bash\nfor p in jinja2==2.10; do pip install $p; done\n",
    ],
)
def test_more_installs_spelled_to_hide_are_caught(tmp_path: Path, cell: str) -> None:
    """Either read as the install it is (jinja2 is audited) or refused: never passed by."""
    nb = notebook(tmp_path / "hide.ipynb", cell)
    assert "jinja2" in _read_or_refused(nb) or "installs packages" in _read_or_refused(nb)


def _read_or_refused(nb: Path) -> str:
    try:
        return " ".join(str(e.name) for e in parse_declared(nb).entries)
    except InputError as err:
        return " ".join(err.problems)


@pytest.mark.parametrize(
    "cell",
    [
        'print("conda users: conda install aiohttp")\nasyncio.run(fetch_all(urls))\n',
        'subprocess.run(["nvidia-smi"])\nprint("tip: pip install gputil")\n',
        'def main():\n    print("pip install -r requirements.txt first")\nmain()\n',
        "df.add(other)\nresult = model.run(x)\nuv = mesh.uv\n",
        "pip = point_in_polygon(p, poly)\nsess.run(op)\nseen.add(pip)\n",
        '%%writefile app.py\n"""pip install streamlit"""\nmain()\n',
        '!git commit -am "pip: add notebook"\n',
        "!echo pip install jinja2\n",
        "x = 1\npip install urllib3==1.24.1\n",  # a SyntaxError: nothing of the cell runs
        "files = !ls\nprint('pip install x')\n",
        "!cp model.pt {out_dir}/install/\n",
        "!ls $HOME/install\n",
        '%%bash\necho "$HOME install done"\n',
        'raise ImportError("run: pip install torch")\n',
        '"""Setup: pip install -r requirements.txt."""\nmain()\n',
        "!apt-get install -y ffmpeg\n",
        "!pip list\n",
        "print('a' + " + " + ".join(["'a'"] * 2000) + ")\n",  # no recursion error either
    ],
)
def test_ordinary_cells_are_no_installs(tmp_path: Path, cell: str) -> None:
    """Words are not installs: a data-science notebook that mentions pip and runs things
    must still be read (it was refused, and every audit of it was INCOMPLETE)."""
    nb = notebook(tmp_path / "ok.ipynb", "%pip install six==1.16.0\n", cell)
    assert [e.name for e in parse_declared(nb).entries] == ["six"]


def test_unbalanced_quotes_name_the_cell_and_line(tmp_path: Path) -> None:
    nb = notebook(tmp_path / "q.ipynb", "x = 1\n%pip install 'pandas\n")
    with pytest.raises(InputError) as err:
        parse_declared(nb)
    assert f"{nb}, cell 2, line 2: '%pip install 'pandas'" in str(err.value)


def test_audit_r_notebook_audits_pins_and_lists_the_rest(env: Path) -> None:
    nb = notebook(env / "nb.ipynb", "%pip install requests==2.19.0 pandas\n")
    code, report = audit_json("-r", str(nb), "--allow-unchecked")
    assert report["target"] == f"notebook {nb}"
    deps = {d["name"]: d for d in report["dependencies"]}
    assert deps["requests"]["findings"]
    assert deps["requests"]["location"]["path"] == str(nb)
    assert deps["pandas"]["skipped"].startswith("not pinned")
    assert code == 1
    code, text, _ = run(["audit", "-r", str(nb), "--allow-unchecked"])
    assert f"({nb}, cell 2, line 1)" in text


@pytest.mark.slow  # the vet world is a real venv and a warm index cache
def test_vet_r_notebook_flags_a_mistyped_pip_install_name(world: World) -> None:
    nb = notebook(world.root / "explore.ipynb", ["import pandas\n", "%pip install -q reqeusts\n"])
    result = world.vet("-r", str(nb), "--format", "json")
    package = result.package("reqeusts")
    assert package["verdict"] == "avoid"
    assert package["requested"] == f"reqeusts ({nb}, cell 2, line 2)"
    assert result.code == 1
    text = world.vet("-r", str(nb))
    assert f"{nb}, cell 2, line 2" in text.stdout
    assert "requests" in text.stdout  # did you mean


# ------------------------------------------------------------------------- environment.yml

ENV_YML = """\
# made by conda env export, trimmed
name: analysis
channels:
  - conda-forge
  - defaults
dependencies:
  - python=3.11
  - numpy=1.26.4
  - "conda-forge::pandas>=2"
  - pip
  - pip:
    - requests==2.19.0   # pinned
    - -r extra.txt
    - jinja2
variables:
  TOKEN: not-read
prefix: /opt/conda/envs/analysis
"""


def test_environment_yml_pip_section_is_requirements(tmp_path: Path) -> None:
    (tmp_path / "extra.txt").write_text("idna==2.7\n", encoding="utf-8")
    path = tmp_path / "environment.yml"
    path.write_text(ENV_YML, encoding="utf-8")
    parsed = parse_declared(path)
    got = [(e.name, e.kind, e.location.line) for e in parsed.entries]
    assert got == [
        ("python", "url", 7),
        ("numpy", "url", 8),
        ("pandas", "url", 9),
        ("pip", "url", 10),
        ("requests", "pinned", 12),
        ("idna", "pinned", 1),
        ("jinja2", "unpinned", 14),
    ]
    assert "installed by conda" in parsed.warnings[-1]
    assert "not-read" not in repr(parsed)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("dependencies: [numpy, pandas]\n", ":1: '[numpy, pandas]' uses YAML"),
        ("dependencies:\n  - &a numpy\n", ":2: '&a numpy' uses YAML"),
        ("name: x\nbuild: 3\ndependencies:\n- a\n", ":2: 'build' is not a key"),
        ("dependencies:\n\t- numpy\n", ":2: a tab in the indentation"),
        ("dependencies:\n  - numpy\n---\nname: y\n", ":3: a second YAML document"),
        ("name: x\n", ":1: no 'dependencies:' list"),
        ("dependencies:\n  - conda:\n    - x\n", ":2: 'conda:': only '- pip:' may hold"),
        ("dependencies:\n  - 'numpy\n", ":2: unbalanced quotes"),
        ("dependencies:\n  - pip:\n    - 'reqs ==\n", ":3: unbalanced quotes"),
        ("dependencies:\n  - pip:\n    - ==1.0\n", "environment.yml:3:"),
    ],
)
def test_environment_yml_outside_the_subset_is_an_error(
    tmp_path: Path, text: str, expected: str
) -> None:
    path = tmp_path / "environment.yml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as err:
        parse_declared(path)
    assert f"{path}{expected}" in str(err.value) or expected in str(err.value)
    assert str(path) in str(err.value)


def test_audit_r_environment_yml(env: Path) -> None:
    path = env / "environment.yml"
    path.write_text(ENV_YML.replace("    - -r extra.txt\n", ""), encoding="utf-8")
    code, report = audit_json("-r", str(path), "--allow-unchecked")
    assert code == 1
    assert report["target"] == f"conda environment file {path}"
    deps = {d["name"]: d for d in report["dependencies"]}
    assert deps["requests"]["findings"]
    assert deps["numpy"]["skipped"].startswith("installed by conda")
    assert any("audit the environment itself with --python" in w for w in report["warnings"])


def test_conda_packages_are_named_as_such_in_the_verdict(env: Path) -> None:
    """They are not "local or editable installs", and an advisory could well name them: the
    text says what they are and how to check them."""
    path = env / "environment.yml"
    path.write_text("dependencies:\n  - jinja2=2.10\n  - pip:\n    - six==1.16.0\n")
    code, out, _ = run(["audit", "-r", str(path), "--offline"])
    assert code == 0
    flat = " ".join(out.split())
    assert "1 conda package not audited (audit the environment with --python)" in flat
    assert "local or editable" not in flat
    assert "Not from a package index (not audited by version; each line says why):" in flat
    assert "no advisory can name these" not in flat


@pytest.mark.slow
def test_python_of_a_conda_environment_audits_what_conda_and_pip_installed(
    env: Path, tmp_path: Path
) -> None:
    """A prefix laid out like conda's: conda-meta/, lib/python3.X/site-packages with
    .dist-info folders from conda (INSTALLER: conda) and pip, bin/python a symlink to a real
    interpreter that reads that site-packages."""
    prefix = tmp_path / "conda-env"
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    site = prefix / "lib" / version / "site-packages"
    site.mkdir(parents=True)
    (prefix / "conda-meta").mkdir()
    (prefix / "conda-meta" / "history").write_text("==> 2024-01-01 <==\n", encoding="utf-8")
    (prefix / "conda-meta" / "urllib3-1.23-py_0.json").write_text("{}", encoding="utf-8")
    (prefix / "bin").mkdir()
    real = Path(sys.base_prefix) / "bin" / version
    os.symlink(real if real.exists() else Path(sys.executable).resolve(), prefix / "bin" / "python")
    import zipfile

    wheels = tmp_path / "wheels"
    for name, ver, installer in (("urllib3", "1.23", "conda"), ("requests", "2.19.0", "pip")):
        with zipfile.ZipFile(build_wheel(wheels, name, ver)) as zf:
            zf.extractall(site)
        info = site / f"{name}-{ver}.dist-info"
        (info / "INSTALLER").write_text(installer + "\n", encoding="utf-8")
    # conda's python is a binary inside the prefix and finds the prefix by its own place; a
    # symlink to another interpreter needs pyvenv.cfg's home= to do the same.
    (prefix / "pyvenv.cfg").write_text(
        f"home = {real.parent}\ninclude-system-site-packages = false\n", encoding="utf-8"
    )
    code, report = audit_json("--python", str(prefix / "bin" / "python"))
    names = {d["name"]: d for d in report["dependencies"]}
    assert names["urllib3"]["findings"], "conda's own package is audited"
    assert names["requests"]["findings"], "pip's package in the conda env is audited"
    assert code == 1


@pytest.mark.parametrize(
    "name",
    [
        "environment.yml",
        "analysis.ipynb",
        "uv.lock",
        "poetry.lock",
        "Pipfile.lock",
        "pyproject.toml",
    ],
)
def test_an_input_that_links_out_of_its_folder_to_another_kind_of_file_is_not_read(
    tmp_path: Path, name: str
) -> None:
    # A pull request can add any of these as a link to a file of the machine it runs on; the
    # readers quote the line they stop at.
    secret = tmp_path / "home" / ".npmrc"
    secret.parent.mkdir()
    secret.write_text("//registry.npmjs.org/:_authToken=npm_abcdefghijklmnop\n", "utf-8")
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / name).symlink_to(secret)
    with pytest.raises(InputError) as caught:
        parse_declared(repo / name)
    assert "links to" in str(caught.value)
    assert "outside its folder" in str(caught.value)
    assert "npm_abc" not in str(caught.value) + repr(caught.value.problems)


def test_an_input_that_links_to_a_file_of_its_kind_is_read(tmp_path: Path) -> None:
    shared = tmp_path / "shared" / "base-environment.yml"
    shared.parent.mkdir()
    shared.write_text(ENV_YML, encoding="utf-8")
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "environment.yml").symlink_to(shared)
    (repo / "extra.txt").write_text("idna==2.7\n", encoding="utf-8")  # beside the link
    parsed = parse_declared(repo / "environment.yml")
    assert "requests" in [e.name for e in parsed.entries]
