"""A student's first run in Colab: fresh environment, the first cell installs the library, the page runs.

What Colab gives a notebook, approximated honestly:

* **a fresh Python environment with only Colab's default packages**: a new virtual environment
  (no system site-packages, no user site) with numpy, scipy, matplotlib, jax/jaxlib, optax, sympy,
  ipywidgets, tqdm, scikit-learn, ipykernel, nbclient, nbformat. Colab ships these (and many more
  we do not use); it does not ship ``dltheory``, ``jupyter-book`` or ``jupytext``. The versions are
  those of the environment running the test (the versions we develop with), so no download is
  needed where pip has them already. This environment is kept in ``_build/colab-venv-<hash>``
  between runs (it takes minutes to create); ``dltheory`` is uninstalled from it before every notebook,
  so every notebook starts as a fresh Colab runtime does: without the library.
* **the notebook Colab opens**: the paired ``.ipynb`` that the page's launch button points at,
  exactly as committed, executed top to bottom in an empty working folder (Colab runs notebooks in
  ``/content``, away from the repository's files).
* **the first cell's install**: it runs ``%pip install "dltheory @ git+<repository URL>"``. The
  repository's URL cannot be reached from here (and would test the last pushed commit, not this
  one), so in the test's copy of the notebook only, that one URL is replaced by a wheel built from
  this checkout (``pip wheel`` of ``pyproject.toml`` + ``lib/``, with build isolation, as pip does for
  a git URL). Everything else the install does is real: pip resolves the library's dependencies
  against the Colab packages, and the test checks that ``jax``/``jaxlib`` are untouched.

Which notebooks: the worked page, the warm-up exercises, and the first page of every chapter that
exists (``DLTHEORY_COLAB_PAGES=all`` runs every notebook page). Marked ``notebooks`` (slow).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest
import yaml

from dltheory.book import notebooks

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.notebooks

# What a Colab CPU runtime has by default, of what the book uses (distribution names).
COLAB_DEFAULT = ["numpy", "scipy", "matplotlib", "jax", "jaxlib", "optax", "sympy", "ipywidgets", "tqdm",
                 "scikit-learn", "ipykernel", "nbclient", "nbformat"]
REPO_URL = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))["repository"]["url"]

RUNNER = r"""
import sys, nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
nb = nbformat.read(sys.argv[1], as_version=4)
client = NotebookClient(nb, timeout=1800, kernel_name="python3", resources={"metadata": {"path": sys.argv[2]}})
try:
    client.execute()
    code = 0
except CellExecutionError as err:
    print(f"{err.ename}: {str(err.evalue)[:2000]}", file=sys.stderr)
    code = 1
nbformat.write(nb, sys.argv[3])
sys.exit(code)
"""


def _pages() -> list[Path]:
    pages = notebooks.notebook_pages(ROOT)
    if os.environ.get("DLTHEORY_COLAB_PAGES", "").lower() == "all":
        return pages
    chosen = [p for p in pages if p.relative_to(ROOT).as_posix() in ("book/how-to-read.md", "exercises/00-warm-up.md")]
    firsts: dict[str, Path] = {}
    for p in pages:
        rel = p.relative_to(ROOT)
        if rel.parts[0] == "chapters":
            firsts.setdefault(rel.parts[1], p)
    return chosen + [firsts[k] for k in sorted(firsts)]


def _pins() -> list[str]:
    return [f"{name}=={metadata.version(name)}" for name in COLAB_DEFAULT]


@pytest.fixture(scope="module")
def colab_python() -> Path:
    """The fresh environment (created once per package list, then reused)."""
    pins = _pins()
    key = hashlib.sha256((sys.version + "\n".join(pins)).encode()).hexdigest()[:12]
    venv = ROOT / "_build" / f"colab-venv-{key}"
    python = venv / "bin" / "python"
    stamp = venv / ".complete"
    if not stamp.exists():
        shutil.rmtree(venv, ignore_errors=True)
        venv.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        proc = subprocess.run([str(python), "-m", "pip", "install", "--quiet", *pins],
                              capture_output=True, text=True, env=_clean_env(venv), timeout=1800)
        assert proc.returncode == 0, f"could not create the Colab-like environment:\n{proc.stderr[-3000:]}"
        stamp.write_text("\n".join(pins) + "\n", encoding="utf-8")
    return python


def _clean_env(venv: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "VIRTUAL_ENV", "JUPYTER_PATH", "PYTHONHOME") and not k.startswith("DLTHEORY_")}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["VIRTUAL_ENV"] = str(venv)
    env["PYTHONNOUSERSITE"] = "1"
    env["JAX_PLATFORMS"] = "cpu"  # a Colab CPU runtime
    env["XLA_PYTHON_CLIENT_PREALLOCATE"] = "false"
    env["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    return env


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """A wheel of the library as it is in this checkout (what `pip install git+URL` would build)."""
    src = tmp_path_factory.mktemp("dltheory-src")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    shutil.copytree(ROOT / "lib", src / "lib", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    out = tmp_path_factory.mktemp("wheel")
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(out), str(src)],
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    (found,) = out.glob("dltheory-*.whl")
    return found


def _versions(python: Path, env: dict[str, str]) -> dict[str, str]:
    proc = subprocess.run([str(python), "-m", "pip", "list", "--format=json"], capture_output=True, text=True, env=env, check=True)
    return {d["name"].lower(): d["version"] for d in json.loads(proc.stdout)}


def test_the_environment_is_colab_like_and_lacks_the_library(colab_python):
    env = _clean_env(colab_python.parents[1])
    installed = _versions(colab_python, env)
    for pin in _pins():
        name, version = pin.split("==")
        assert installed.get(name.lower()) == version, f"{name} {version} missing from the Colab-like environment"
    for absent in ("jupyter-book", "jupytext", "pytest"):
        assert absent not in installed, f"{absent} is in the Colab-like environment; Colab does not have it"


@pytest.mark.parametrize("page", _pages(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_notebook_runs_in_a_fresh_colab_like_runtime(colab_python, wheel, page, tmp_path):
    env = _clean_env(colab_python.parents[1])
    subprocess.run([str(colab_python), "-m", "pip", "uninstall", "--quiet", "--yes", "dltheory"], env=env, capture_output=True)
    before = _versions(colab_python, env)
    assert "dltheory" not in before

    notebook = notebooks.paired_notebook(page)
    assert notebook.exists(), f"{notebook} is missing: Colab's launch button opens it"
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    first = next(c for c in nb["cells"] if c["cell_type"] == "code")
    source = "".join(first["source"])
    spec = f"git+{REPO_URL}"
    assert source.count(spec) == 1, f"the first cell of {notebook.name} does not install the library from {spec}"
    assert re.search(r"except ImportError:\s*\n\s*%pip install", source), "the install must run only when the library is missing"
    first["source"] = source.replace(spec, wheel.as_uri())
    copy = tmp_path / notebook.name
    copy.write_text(json.dumps(nb), encoding="utf-8")
    workdir = tmp_path / "content"  # like Colab's /content: no repository files beside the notebook
    workdir.mkdir()
    runner = tmp_path / "run.py"
    runner.write_text(RUNNER, encoding="utf-8")
    executed = tmp_path / "executed.ipynb"
    proc = subprocess.run([str(colab_python), str(runner), str(copy), str(workdir), str(executed)],
                          capture_output=True, text=True, env=env, cwd=workdir, timeout=3600)
    assert proc.returncode == 0, f"{notebook.relative_to(ROOT)} failed in the Colab-like runtime:\n{proc.stderr[-4000:]}"

    after = _versions(colab_python, env)
    assert "dltheory" in after, "the first cell did not install the library"
    for name in ("jax", "jaxlib", "numpy"):
        assert after[name] == before[name], f"installing the library changed {name} {before[name]} -> {after[name]}"
    ran = json.loads(executed.read_text(encoding="utf-8"))
    first_out = next(c for c in ran["cells"] if c["cell_type"] == "code")["outputs"]
    text = "".join("".join(o.get("text", "")) for o in first_out if o.get("output_type") == "stream")
    assert re.search(r"dltheory \S+ · py \S+ · jax \S+", text), f"the first cell printed no environment banner:\n{text[-2000:]}"
    assert "mode fast" in text
