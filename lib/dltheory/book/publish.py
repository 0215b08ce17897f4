"""Publishing the book: what the website and the PDF need beyond the build itself.

A Sphinx extension (named in ``_config.yml``) and the checks that the tests run on a build.

**No error on a published page.** :func:`output_problems` lists the outputs of an executed notebook
that a reader must never see: an error or a traceback (also one raised after the cell finished, as
when matplotlib fails to draw a figure), or text printed to stderr, warnings included.
:func:`executed_problems` runs it over the executed pages of a build (its execution cache).
During the build the extension also warns (an error under ``-W``) about every traceback in a page's
outputs; ``stderr_output: remove-warn`` in ``_config.yml`` does the same for stderr.

**MathJax served with the site.** The pages load MathJax 3 from ``_static/mathjax/`` instead of a CDN,
so a saved copy of the site shows formulas with no network. The copy comes from the npm registry
(``npm install mathjax@3``) into ``_build/mathjax`` of the book (or the folder ``DLTHEORY_MATHJAX``
names), installed by the first build that needs it; without npm the build warns and the pages fall
back to the CDN.

**The PDF** (``make pdf``: Jupyter Book's LaTeX builder with xelatex). The book's TeX macros, defined
once in ``mathjax3_config`` for the website, become LaTeX macros, and exercise solutions are left out.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

__all__ = ["output_problems", "executed_problems", "mathjax_dir", "latex_macros", "MATHJAX_ENTRY"]

# The MathJax 3 bundle the pages load: the one Sphinx's default CDN address names.
MATHJAX_ENTRY = "tex-mml-chtml.js"
_MATHJAX_STATIC = "mathjax"  # folder under _static/ of the built site
_TRACEBACK = re.compile(r"Traceback \(most recent call last\)|^Error in callback ", re.M)


# ---------------------------------------------------------------------------------------------
# no error on a published page


def _text(value: Any) -> str:
    return "".join(value) if isinstance(value, list) else str(value or "")


def output_problems(nb: Any) -> list[str]:
    """What a reader must not see in the outputs of executed notebook ``nb`` (a dict or NotebookNode).

    One line per offending cell: ``code cell N (its first line): what``, where *what* is one or more
    of an ``error`` output (what a failing cell leaves, or a failure after the cell finished, as in the
    inline backend's drawing of a figure), text printed to stderr (warnings, logging, progress bars),
    and a Python traceback printed in any other output.
    """
    problems = []
    code_cells = [c for c in nb.get("cells", []) if c.get("cell_type") == "code"]
    for number, cell in enumerate(code_cells, start=1):
        found: list[str] = []
        for out in cell.get("outputs", []):
            kind = out.get("output_type")
            if kind == "error":
                what = " ".join(f"{out.get('ename', 'error')}: {out.get('evalue', '')}".split())
                found.append(f"a Python error in the output: {what[:200]}")
            elif kind == "stream" and out.get("name") == "stderr":
                text = _text(out.get("text")).strip()
                first = text.splitlines()[0] if text else "(blank)"
                found.append(f"text printed to stderr: {first[:200]}")
            else:
                text = _text(out.get("text")) + _text(out.get("data", {}).get("text/plain"))
                line = next((ln for ln in text.splitlines() if _TRACEBACK.search(ln)), None)
                if line is not None:
                    found.append(f"a traceback printed in the output: {line.strip()[:200]}")
        if found:
            source = _text(cell.get("source")).strip().splitlines()
            head = source[0][:60] if source else ""
            unique = list(dict.fromkeys(found))
            more = f" (and {len(found) - len(unique)} more like them)" if len(found) > len(unique) else ""
            problems.append(f"code cell {number} ({head}): " + "; ".join(unique) + more)
    return problems


def executed_problems(cache_dir: Path, pages: dict[str, Path]) -> dict[str, list[str]]:
    """``{name: problems}`` for the executed versions of ``pages`` (``{name: page.md}``) in a build's
    execution cache (``_build/.jupyter_cache``), where myst-nb keeps every executed page with its
    outputs (the copies it writes to ``_build/jupyter_execute`` lack the outputs of pages read back
    from the cache). A page the cache holds no executed version of is a problem too. Pages without a
    problem are left out."""
    from jupyter_cache import get_cache

    from dltheory.book import notebooks

    if not (Path(cache_dir) / "global.db").is_file():
        return {name: [f"no execution cache in {cache_dir}"] for name in pages}
    cache = get_cache(str(cache_dir))
    found = {}
    for name, page in sorted(pages.items()):
        try:
            record = cache.match_cache_notebook(notebooks.read_page(page))
        except KeyError:
            found[name] = [f"the execution cache has no executed version of {page.name} as it is now"]
            continue
        problems = output_problems(cache.get_cache_bundle(record.pk).nb)
        if problems:
            found[name] = problems
    return found


def _warn_on_tracebacks(app: Any, doctree: Any) -> None:
    """doctree-read: a traceback among a page's outputs is a warning (an error under ``-W``)."""
    from docutils import nodes
    from sphinx.util import logging

    for node in doctree.findall(nodes.literal_block):
        if "traceback" in node.get("classes", []):
            first = next((ln for ln in node.astext().splitlines() if re.match(r"\w*(Error|Exception)\b", ln)), "")
            logging.getLogger(__name__).warning(
                f"a cell's output is a Python traceback; a reader would see it in place of the output: {first[:200]}",
                location=node)


# ---------------------------------------------------------------------------------------------
# MathJax served with the site


def mathjax_dir(home: Path, *, install: bool = True) -> Path | None:
    """MathJax 3's ``es5`` folder inside ``home`` (an npm prefix), installed from npm when missing and
    ``install``; ``None`` when it is not there and could not be installed."""
    es5 = Path(home) / "node_modules" / "mathjax" / "es5"
    if (es5 / MATHJAX_ENTRY).is_file():
        return es5
    npm = shutil.which("npm")
    if not install or npm is None:
        return None
    Path(home).mkdir(parents=True, exist_ok=True)
    proc = subprocess.run([npm, "install", "--silent", "--no-audit", "--no-fund", "--prefix", str(home), "mathjax@3"],
                          capture_output=True, text=True, timeout=600)
    return es5 if proc.returncode == 0 and (es5 / MATHJAX_ENTRY).is_file() else None


def _mathjax_home(app: Any) -> Path:
    return Path(os.environ.get("DLTHEORY_MATHJAX") or Path(app.srcdir) / "_build" / "mathjax")


def _use_local_mathjax(app: Any) -> None:
    """builder-inited (HTML builders): point the pages at ``_static/mathjax`` when a local MathJax 3
    is there or can be installed (Sphinx reads ``mathjax_path`` as it writes each page)."""
    from sphinx.util import logging

    config = app.config
    if app.builder.format != "html" or not str(config.mathjax_path).startswith("https://cdn.jsdelivr.net/npm/mathjax@3"):
        return  # not a website, or the book chose another MathJax: leave it alone
    home = _mathjax_home(app)
    es5 = mathjax_dir(home)
    if es5 is None:
        logging.getLogger(__name__).warning(
            f"no local MathJax 3 in {home} and npm could not install it (is npm installed?): the pages "
            "load MathJax from the CDN and show raw TeX offline")
        return
    app.dltheory_mathjax = es5
    config.mathjax_path = f"{_MATHJAX_STATIC}/{MATHJAX_ENTRY}"


def _mathjax_files(folder: str, names: list[str]) -> set[str]:
    """What the site does not need of MathJax's es5 folder: the other combined bundles, the SVG output."""
    here = Path(folder)
    if (here / MATHJAX_ENTRY).is_file():  # the top: keep the bundle the pages load, the folders it loads from
        return {n for n in names if n.endswith(".js") and n != MATHJAX_ENTRY}
    if here.name == "output":
        return {n for n in names if n.startswith("svg")}
    return set()


def _copy_mathjax(app: Any, exception: Exception | None) -> None:
    """build-finished: copy the local MathJax into the site's ``_static/mathjax``."""
    es5 = getattr(app, "dltheory_mathjax", None)
    if exception is not None or es5 is None:
        return
    target = Path(app.outdir) / "_static" / _MATHJAX_STATIC
    stamp = target / ".source"
    if stamp.is_file() and stamp.read_text(encoding="utf-8") == str(es5) and (target / MATHJAX_ENTRY).is_file():
        return
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(es5, target, ignore=_mathjax_files)
    stamp.write_text(str(es5), encoding="utf-8")


# ---------------------------------------------------------------------------------------------
# the PDF


def latex_macros(mathjax3_config: dict) -> str:
    """LaTeX definitions of the TeX macros that ``mathjax3_config['tex']['macros']`` gives MathJax."""
    macros = (mathjax3_config or {}).get("tex", {}).get("macros", {})
    lines = []
    for name, body in macros.items():
        args = 0
        if isinstance(body, (list, tuple)):
            body, args = body[0], int(body[1])
        nargs = f"[{args}]" if args else ""
        # \providecommand then \renewcommand: defined whether or not a package already has the name
        lines.append(f"\\providecommand{{\\{name}}}{{}}\\renewcommand{{\\{name}}}{nargs}{{{body}}}")
    return "\n".join(lines)


def _latex_setup(app: Any, config: Any) -> None:
    """config-inited: the book's macros go into the LaTeX preamble (the LaTeX builder alone reads it)."""
    elements = dict(config.latex_elements or {})
    macros = latex_macros(config.mathjax3_config or {})
    if macros and macros not in elements.get("preamble", ""):
        elements["preamble"] = elements.get("preamble", "") + "\n% the book's macros (mathjax3_config)\n" + macros + "\n"
    config.latex_elements = elements


def _drop_solutions(app: Any, doctree: Any, docname: str) -> None:
    """doctree-resolved: the PDF holds the exercises without their solutions."""
    if app.builder.name != "latex":
        return
    from sphinx_exercise import nodes as ex

    for node in list(doctree.findall(lambda n: isinstance(n, (ex.solution_node, ex.solution_start_node, ex.solution_end_node)))):
        node.parent.remove(node)


def _not_math_latex_transform() -> type:
    from docutils import nodes
    from sphinx.transforms.post_transforms import SphinxPostTransform

    class NotMathLatex(SphinxPostTransform):
        """For the LaTeX builder, before myst-nb picks one output per mime bundle (priority 4): an
        output's ``text/latex`` that is not math (IPython's ``Code``, as ``runtime.show_source`` shows,
        gives a ``Verbatim`` listing, which myst-nb would put in a formula) is dropped, so the next
        format in the PDF's priority, the plain text, is used."""

        default_priority = 3
        builders = ("latex",)

        def run(self, **kwargs: Any) -> None:
            for bundle in list(self.document.findall(lambda n: isinstance(n, nodes.container)
                                                     and n.get("nb_element") == "mime_bundle")):
                for child in list(bundle.children):
                    if (child.get("mime_type") == "text/latex" and len(bundle.children) > 1
                            and "\\begin{Verbatim}" in child.astext()):
                        bundle.remove(child)

    return NotMathLatex


def setup(app: Any) -> dict[str, Any]:
    app.add_post_transform(_not_math_latex_transform())
    app.connect("builder-inited", _use_local_mathjax)
    app.connect("config-inited", _latex_setup)
    app.connect("doctree-read", _warn_on_tracebacks)
    app.connect("doctree-resolved", _drop_solutions)
    app.connect("build-finished", _copy_mathjax)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
