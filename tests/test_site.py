"""The built website, in a real browser: headless Chromium (the OS package) driven by Playwright.

Every page of ``_build/html`` is opened from a local HTTP server and checked for what a reader
would notice: JavaScript errors, formulas that MathJax did not render, images that do not load,
internal links to missing pages or anchors, Colab buttons that open a notebook the repository does
not have, a search that finds nothing, an explorer without its static figure, a page wider than the
window. Screenshots of the landing page, the worked page, the ledger and the first page of every
chapter go to ``_build/screenshots/``: look at them.

What it needs, and how it gets it:

* the built book: ``_build/html``, from ``tests/test_book.py`` (which runs first in ``make test``);
  if it is missing, this module builds it with the same command;
* Chromium: ``/usr/bin/chromium`` from Debian (``apt-get install -y chromium``; ``.ci/run`` does it);
  another binary can be named with ``DLTHEORY_CHROMIUM``. Playwright's own browser download is never
  used (``playwright install`` is not needed and would fail offline);
* MathJax 3: the site serves its own copy (``_static/mathjax``, from npm, see ``dltheory.book.publish``).
  The network is blocked: every request that leaves 127.0.0.1 is refused and listed, so a page that
  still loaded MathJax from a CDN shows raw TeX here, as it would offline, and fails. Only the planted
  page of ``test_checks_catch_broken_pages`` gets MathJax from ``_build/mathjax`` in place of the CDN.

``DLTHEORY_SITE_ROOT`` points the test at another book's source folder (a course pack, say): its
``_build/html`` is tested, and its notebooks are what Colab buttons must find.
"""

from __future__ import annotations

import functools
import html as html_lib
import json
import os
import re
import subprocess
import sys
import threading
import urllib.parse
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCE = Path(os.environ.get("DLTHEORY_SITE_ROOT", ROOT)).resolve()
HTML = SOURCE / "_build" / "html"
SHOTS = SOURCE / "_build" / "screenshots"
MATHJAX_HOME = ROOT / "_build" / "mathjax"
CHROMIUM = os.environ.get("DLTHEORY_CHROMIUM", "/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage"]
CDN_MATHJAX = re.compile(r"https://cdn\.jsdelivr\.net/npm/mathjax@3(?:\.[\d.]+)?/es5/(.+)")
# JavaScript errors of the theme stack itself, each tolerated by its exact message and nothing else.
# Remove an entry once its cause is fixed (the test then guards against its return).
KNOWN_UPSTREAM = {
    # sphinx-thebe 0.3.1 registers its inline config script on every read of the environment and
    # Sphinx 7 does not de-duplicate body-only scripts, so every page declares THEBE_JS_URL twice.
    # Harmless (thebe is not used); fixable by de-duplicating context["script_files"] on html-page-context.
    r"JavaScript error: Identifier 'THEBE_JS_URL' has already been declared",
    # pydata-sphinx-theme 0.17 under sphinx-book-theme 1.3 starts with an empty default mode on a first
    # visit (no localStorage) and logs this before falling back to "auto", as intended.
    r"console error: Got invalid theme mode: \. Resetting to auto\.",
}
SKIP_DIRS = {"_static", "_sources", "_images", "_sphinx_design_static", "_panels_static", "reports", "jupyter_execute"}

pytestmark = pytest.mark.book


# ------------------------------------------------------------------------------------------------
# fixtures: the site, a server, MathJax, the browser


def _build_book(root: Path) -> None:
    """The build of tests/test_book.py (same command, same environment)."""
    env = dict(os.environ, DLTHEORY_STATIC="1", DLTHEORY_PROGRESS="0", XLA_PYTHON_CLIENT_PREALLOCATE="false")
    env.pop("DLTHEORY_SEED", None)
    env.pop("DLTHEORY_MODE", None)
    jb = Path(sys.executable).with_name("jupyter-book")
    proc = subprocess.run([str(jb), "build", str(root), "--warningiserror", "--nitpick", "--keep-going"],
                          env=env, capture_output=True, text=True, cwd=root)
    (root / "_build").mkdir(exist_ok=True)
    (root / "_build" / "build.log").write_text(proc.stdout + proc.stderr, encoding="utf-8")


@pytest.fixture(scope="module")
def site() -> Path:
    if not (HTML / "index.html").exists():
        _build_book(SOURCE)
    assert (HTML / "index.html").exists(), f"no built site in {HTML}: see {SOURCE / '_build' / 'build.log'}"
    return HTML


def mathjax_dir() -> Path:
    """A local MathJax 3 (es5 bundle), installed from npm into _build/mathjax on first use (as the build does)."""
    from dltheory.book import publish

    es5 = publish.mathjax_dir(MATHJAX_HOME)
    assert es5 is not None, f"no MathJax 3 in {MATHJAX_HOME} and npm could not install it (apt-get install -y npm)"
    return es5


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):  # noqa: ANN002, D102
        pass


@pytest.fixture(scope="module")
def server(site: Path):
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(site)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def browser():
    playwright = pytest.importorskip("playwright.sync_api", reason="pip install playwright (the test extra)")
    if not Path(CHROMIUM).exists():
        pytest.fail(f"no Chromium at {CHROMIUM}: apt-get install -y chromium (or set DLTHEORY_CHROMIUM)")
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        yield b
        b.close()


class Visit:
    """One page opened in the browser, with what went wrong while it loaded."""

    def __init__(self, page, url: str):  # noqa: ANN001
        self.page, self.url = page, url
        self.errors: list[str] = []
        self.blocked: list[str] = []


def offline(server: str, current: dict):
    """A route handler for a browser context with no network: only ``server`` (and data: URLs) answer;
    every other request is refused and listed in ``current["visit"].blocked``."""

    def route(r):  # noqa: ANN001
        url = r.request.url
        if url.startswith(server) or url.startswith("data:"):
            return r.continue_()
        if "visit" in current:
            current["visit"].blocked.append(url)
        return r.abort()

    return route


@pytest.fixture(scope="module")
def open_page(browser, server):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    current: dict[str, Visit] = {}
    context.route("**/*", offline(server, current))

    def visit(path: str) -> Visit:
        page = context.new_page()
        v = Visit(page, f"{server}/{path}")
        current["visit"] = v
        page.on("pageerror", lambda exc: v.errors.append(f"JavaScript error: {exc}"))

        def console(msg):  # noqa: ANN001
            if msg.type == "error":
                where = (msg.location or {}).get("url", "")
                if any(where.startswith(b) or b in msg.text for b in v.blocked):
                    return  # a request we blocked on purpose: listed in v.blocked instead
                v.errors.append(f"console error: {msg.text} ({where})")

        page.on("console", console)
        page.goto(v.url, wait_until="load")
        page.wait_for_load_state("networkidle")
        page.evaluate(_WAIT_FOR_MATHJAX)
        return v

    yield visit
    context.close()


# ------------------------------------------------------------------------------------------------
# what is checked on a page (plain functions, so that test_checks_catch_broken_pages can use them)

_WAIT_FOR_MATHJAX = """async () => {
  for (let i = 0; i < 100 && window.MathJax && !(MathJax.startup && MathJax.startup.promise); i++)
    await new Promise(r => setTimeout(r, 100));
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) await MathJax.startup.promise;
  for (const img of document.images) img.loading = 'eager';
  await Promise.all(Array.from(document.images).map(img => img.decode().catch(() => null)));
}"""

_PAGE_FACTS = """() => {
  // MathJax's own record of every formula: TeX errors become merror nodes; an undefined macro
  // (the noundefined extension) becomes red mtext. Report the TeX source of each such formula.
  const mathItems = (what) => {
    if (!(window.MathJax && MathJax.startup && MathJax.startup.document)) return [];
    const bad = [];
    for (const item of MathJax.startup.document.math) {
      let hit = false;
      if (item.root && item.root.walkTree) item.root.walkTree(n => {
        if (what === 'merror' && n.isKind('merror')) hit = true;
        if (what === 'undefined' && n.isKind('mtext') && n.attributes.get('mathcolor') === 'red') hit = true;
      });
      if (hit) bad.push(item.math.slice(0, 80));
    }
    return bad;
  };
  const clone = document.body.cloneNode(true);
  clone.querySelectorAll('pre, code, script, style, textarea, mjx-container, mjx-assistive-mml').forEach(e => e.remove());
  const text = clone.innerText || clone.textContent;
  const maths = Array.from(document.querySelectorAll('.math'));
  return {
    mathjax: !!window.MathJax,
    containers: document.querySelectorAll('mjx-container').length,
    merrors: mathItems('merror').concat(Array.from(document.querySelectorAll('mjx-merror')).map(e => e.getAttribute('data-mjx-error') || 'mjx-merror')).slice(0, 5),
    undefined_macros: mathItems('undefined').slice(0, 5),
    unrendered: maths.filter(e => !e.querySelector('mjx-container')).map(e => e.textContent.slice(0, 80)).slice(0, 5),
    raw: (text.match(/\\\\\\(|\\\\\\[|\\$\\$/g) || []).length,
    raw_sample: (text.match(/.{0,40}(\\\\\\(|\\\\\\[|\\$\\$).{0,40}/) || [''])[0],
    broken_images: Array.from(document.images).filter(i => !i.complete || i.naturalWidth === 0).map(i => i.getAttribute('src')),
    // a figure is an image that loaded: a <figure> without one, a cell whose output is a traceback, or a
    // figure's text stand-in (what matplotlib shows when drawing it failed) is a figure the reader lost
    empty_figures: Array.from(document.querySelectorAll('figure')).filter(f =>
      !Array.from(f.querySelectorAll('img')).some(i => i.complete && i.naturalWidth > 0)).map(f => (f.id || f.textContent.trim()).slice(0, 60)),
    tracebacks: Array.from(document.querySelectorAll('.cell_output .traceback, .cell_output .output.error')).map(e =>
      (e.textContent.match(/^\\w*(Error|Exception)\\b.*$/m) || [e.textContent.trim().split('\\n')[0]])[0].slice(0, 120)),
    figure_stand_ins: Array.from(document.querySelectorAll('.cell_output')).filter(o =>
      /<Figure size [\\d.]+x[\\d.]+ with \\d+ Axes>/.test(o.textContent)).length,
    mathjax_scripts: Array.from(document.querySelectorAll('script[src*="mathjax" i], script[src*="tex-mml" i]')).map(e => e.src),
    images: document.images.length,
    links: Array.from(document.querySelectorAll('a[href]')).map(a => a.href),
    colab: Array.from(document.querySelectorAll('a[href*="colab.research.google.com"]')).map(a => a.href),
    overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
    wide_tables: Array.from(document.querySelectorAll('article table')).filter(t => t.offsetWidth > t.parentElement.clientWidth + 2)
      .map(t => `${(t.querySelector('th') || t).textContent.trim().slice(0, 30)}: ${t.offsetWidth} px in ${t.parentElement.clientWidth} px`),
  };
}"""


def page_problems(facts: dict, *, has_math: bool, origin: str | None = None) -> list[str]:
    """What is wrong with a rendered page, from the facts ``_PAGE_FACTS`` gathered in the browser
    (``origin``: the site's address, where MathJax must come from)."""
    problems = []
    if has_math:
        if not facts["mathjax"]:
            problems.append("the page has formulas but MathJax did not load")
        elif facts["containers"] == 0:
            problems.append("the page has formulas but MathJax rendered none")
    if facts["merrors"]:
        problems.append(f"MathJax errors: {facts['merrors']}")
    if facts["undefined_macros"]:
        problems.append(f"undefined TeX macros: {facts['undefined_macros']}")
    if facts["unrendered"]:
        problems.append(f"formulas left unrendered: {facts['unrendered']}")
    if facts["raw"]:
        problems.append(f"raw TeX delimiters left in the text ({facts['raw']}×), e.g. {facts['raw_sample']!r}")
    if facts["broken_images"]:
        problems.append(f"images that did not load: {facts['broken_images']}")
    if facts.get("empty_figures"):
        problems.append(f"figures without an image that loaded: {facts['empty_figures']}")
    if facts.get("tracebacks"):
        problems.append(f"Python tracebacks in cell outputs: {facts['tracebacks']}")
    if facts.get("figure_stand_ins"):
        problems.append(f"figures shown as text, not as images: {facts['figure_stand_ins']} cell outputs")
    outside = [src for src in facts.get("mathjax_scripts", []) if not src.startswith(origin)] if origin else []
    if outside:
        problems.append(f"MathJax loaded from outside the site (the page shows raw TeX offline): {outside}")
    if facts.get("wide_tables"):
        problems.append(f"tables wider than the text, their last columns hidden behind a scroll bar: {facts['wide_tables']}")
    if facts["overflow"] > 2:
        problems.append(f"the page is {facts['overflow']} px wider than the window (horizontal scrolling)")
    return problems


@functools.lru_cache(maxsize=None)
def _ids(path: Path) -> frozenset[str]:
    text = path.read_text(encoding="utf-8", errors="replace")
    return frozenset(html_lib.unescape(m) for m in re.findall(r'\b(?:id|name)="([^"]+)"', text))


def link_problems(links: list[str], server: str, root: Path) -> list[str]:
    """Internal links (to ``server``) whose file, or whose anchor in that file, does not exist under ``root``."""
    problems = []
    for href in sorted(set(links)):
        if not href.startswith(server + "/"):
            continue
        parsed = urllib.parse.urlsplit(href)
        rel = urllib.parse.unquote(parsed.path).lstrip("/")
        target = root / rel
        if target.is_dir():
            target = target / "index.html"
        if not target.is_file():
            problems.append(f"{href}: no such file")
            continue
        frag = urllib.parse.unquote(parsed.fragment)
        if frag and target.suffix == ".html" and frag not in _ids(target):
            problems.append(f"{href}: no anchor #{frag} in {rel}")
    return problems


def colab_problems(hrefs: list[str], source: Path) -> list[str]:
    """Colab buttons whose notebook is not in the repository at that path."""
    problems = []
    for href in hrefs:
        m = re.match(r"https://colab\.research\.google\.com/github/[^/]+/[^/]+/blob/[^/]+/(.+\.ipynb)$", href)
        if not m:
            problems.append(f"{href}: not a Colab link to an .ipynb in the repository")
        elif not (source / m.group(1)).is_file():
            problems.append(f"{href}: {m.group(1)} is not in the repository")
    return problems


# ------------------------------------------------------------------------------------------------
# the pages


# The pages are listed when the tests run, not when they are collected: in `make test` the book is
# built by tests/test_book.py after collection.


def _pages(html: Path) -> list[str]:
    out = []
    for path in sorted(html.rglob("*.html")):
        rel = path.relative_to(html)
        if SKIP_DIRS.intersection(rel.parts[:-1]) or rel.name in ("search.html", "genindex.html"):
            continue
        out.append(rel.as_posix())
    return out


def _has_math(path: Path) -> bool:
    text = path.read_text(encoding="utf-8", errors="replace")
    return 'class="math' in text or "\\(" in text or "$$" in text


def _known(errors: list[str]) -> list[str]:
    return [e for e in errors if not any(re.match(k, e) for k in KNOWN_UPSTREAM)]


def test_every_page_renders_in_the_browser(site, server, open_page):
    pages = _pages(site)
    assert len(pages) >= 3, f"only {pages} were built"
    report: dict[str, list[str]] = {}
    for path in pages:
        visit = open_page(path)
        try:
            facts = visit.page.evaluate(_PAGE_FACTS)
            problems = _known(visit.errors)
            problems += page_problems(facts, has_math=_has_math(site / path), origin=server)
            problems += link_problems(facts["links"], server, site)
            problems += colab_problems(facts["colab"], SOURCE)
        finally:
            visit.page.close()
        if problems:
            report[path] = problems
    assert not report, f"{len(report)} of {len(pages)} pages have problems:\n" + "\n".join(
        f"{path}:\n  " + "\n  ".join(problems) for path, problems in report.items())


def test_the_site_has_launch_buttons_and_math(site):
    """Guards against a build that silently lost MathJax or its Colab buttons (the page test would pass)."""
    pages = [site / p for p in _pages(site)]
    assert any("colab.research.google.com/github/" in p.read_text(encoding="utf-8") for p in pages), "no page has a Colab button"
    assert any(_has_math(p) for p in pages), "no page has a formula"


def _chapter_pages(html: Path, *, index: bool = True) -> list[str]:
    """The first built page of every chapter folder: its index page (``index=True``, if it has one)
    or its first numbered section."""
    first: dict[str, str] = {}
    for rel in _pages(html):
        parts = rel.split("/")
        if parts[0] == "chapters" and len(parts) == 3:
            if parts[2] == "index.html":
                if index:
                    first[parts[1]] = rel
            elif parts[1] not in first or (not index and first[parts[1]].endswith("index.html")):
                first[parts[1]] = rel
    return [first[k] for k in sorted(first)]


def _search_terms(html: Path) -> list[tuple[str, str]]:
    """(query, folder a result must be in): the worked page's topic, and a word of each chapter's title."""
    terms = [("power law", "book/")]
    for rel in _chapter_pages(html):
        title = re.search(r"<h1>(.*?)<", (html / rel).read_text(encoding="utf-8"), re.S)
        words = re.findall(r"[A-Za-z]{6,}", html_lib.unescape(title.group(1))) if title else []
        words = [w for w in words if w.lower() not in ("chapter", "section")]
        if words:
            terms.append((words[0].lower(), "/".join(rel.split("/")[:2]) + "/"))
    return terms


def test_search_finds_the_chapters(site, open_page):
    misses = []
    for query, folder in _search_terms(site):
        visit = open_page(f"search.html?q={urllib.parse.quote(query)}")
        try:
            visit.page.wait_for_selector("#search-results ul.search li a", timeout=30_000)
            hits = visit.page.eval_on_selector_all("#search-results ul.search li a", "els => els.map(a => a.getAttribute('href'))")
            errors = _known(visit.errors)
        except Exception as exc:  # noqa: BLE001 - a search that shows nothing times out: report it with the others
            hits, errors = [], [f"no results shown: {type(exc).__name__}"]
        finally:
            visit.page.close()
        if errors or not any(folder in (h or "") for h in hits):
            misses.append(f"searching {query!r}: {errors or ''} found {hits[:8]}, nothing in {folder}")
    assert not misses, "\n".join(misses)


def test_explorers_show_their_static_figure(site, open_page):
    pages = []
    for src in sorted(SOURCE.glob("*/**/*.md")):
        rel = src.relative_to(SOURCE)
        if rel.parts[0] in ("book", "chapters", "exercises") and re.search(r"\bexplorer\(", src.read_text(encoding="utf-8")):
            if (site / rel.with_suffix(".html")).exists():
                pages.append(rel.with_suffix(".html").as_posix())
    if not pages:
        pytest.skip("no built page calls widgets.explorer yet")
    bad = []
    for path in pages:
        visit = open_page(path)
        try:
            cells = visit.page.evaluate("""() => Array.from(document.querySelectorAll('div.cell')).filter(c => {
                const src = c.querySelector('.cell_input'); return src && /\\bexplorer\\(/.test(src.textContent); })
                .map(c => Array.from(c.querySelectorAll('.cell_output img')).map(i => i.naturalWidth))""")
        finally:
            visit.page.close()
        if not cells:
            bad.append(f"{path}: no code cell calling explorer( was found in the page")
        elif not all(widths and all(w > 0 for w in widths) for widths in cells):
            bad.append(f"{path}: an explorer cell shows no figure (image widths per cell: {cells})")
    assert not bad, "\n".join(bad)


def test_screenshots(site, open_page):
    """Screenshots to look at: the top of each page, and the whole page."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    wanted = ["index.html", "book/how-to-read.html", "book/claims.html"]
    wanted += sorted(set(_chapter_pages(site)) | set(_chapter_pages(site, index=False)))
    taken = []
    for path in [p for p in wanted if (site / p).exists()]:
        visit = open_page(path)
        try:
            name = path.replace("/", "_").removesuffix(".html")
            # a whole long page (the ledger, a chapter page) can take over Playwright's default 30 s to paint on a
            # loaded 2-core machine (it did once, with seed sweeps beside the suite): a picture, not a timing
            visit.page.screenshot(path=str(SHOTS / f"{name}.png"), timeout=120_000)
            visit.page.screenshot(path=str(SHOTS / f"{name}-full.png"), full_page=True, timeout=120_000)
            taken.append(SHOTS / f"{name}.png")
        finally:
            visit.page.close()
    assert taken and all(p.stat().st_size > 10_000 for p in taken)


def test_checks_catch_broken_pages(tmp_path, browser):
    """The checks can fail: a page with a TeX error, an undefined macro, a missing image, a dead link
    and a Colab button to a notebook that does not exist is reported on every count."""
    es5 = mathjax_dir()
    (tmp_path / "ok.html").write_text('<p id="here">target</p>', encoding="utf-8")
    (tmp_path / "bad.html").write_text(
        """<html><head><script>window.MathJax = {tex: {inlineMath: [['\\\\(', '\\\\)']]}};</script>
        <script defer src="https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-mml-chtml.js"></script></head><body>
        <p><span class="math">\\(\\frac{1}{\\)</span> and <span class="math">\\(\\nosuchmacro x\\)</span>
        <span class="math">\\(x^^2\\)</span></p><img src="missing.png"><a href="ok.html#here">fine</a><a href="ok.html#gone">dead anchor</a>
        <a href="nowhere.html">dead</a>
        <a href="https://colab.research.google.com/github/o/r/blob/main/chapters/none.ipynb">colab</a>
        <figure id="fig-lost"><figcaption>A figure whose image is gone</figcaption></figure>
        <div class="cell_output"><div class="output traceback"><pre>ValueError   Traceback (most recent call last)
ValueError: \\frac14</pre></div></div>
        <div class="cell_output"><pre>&lt;Figure size 640x480 with 1 Axes&gt;</pre></div>
        <script>undefined_function();</script></body></html>""", encoding="utf-8")
    # a page that loads MathJax from the CDN, as the site did before it served its own copy
    (tmp_path / "cdn.html").write_text(
        """<html><head><script defer src="https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-mml-chtml.js"></script></head>
        <body><p><span class="math notranslate">\\(x^2\\)</span></p></body></html>""", encoding="utf-8")
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(tmp_path)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    server = f"http://127.0.0.1:{httpd.server_address[1]}"
    context = browser.new_context()
    try:
        context.route("**/*", lambda r: r.fulfill(path=str(es5 / CDN_MATHJAX.match(r.request.url).group(1)))
                      if CDN_MATHJAX.match(r.request.url) else r.continue_())
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(f"{server}/bad.html", wait_until="load")
        page.evaluate(_WAIT_FOR_MATHJAX)
        facts = page.evaluate(_PAGE_FACTS)
        # with the network blocked, as every page of the site is opened
        offline_context = browser.new_context()
        current = {"visit": Visit(None, f"{server}/cdn.html")}
        offline_context.route("**/*", offline(server, current))
        cdn = offline_context.new_page()
        cdn.goto(f"{server}/cdn.html", wait_until="load")
        cdn.evaluate(_WAIT_FOR_MATHJAX)
        cdn_facts = cdn.evaluate(_PAGE_FACTS)
        offline_context.close()
    finally:
        context.close()
        httpd.shutdown()
        httpd.server_close()
    problems = "\n".join(page_problems(facts, has_math=True, origin=server))
    assert errors and "undefined_function" in errors[0]
    for expected in ("MathJax errors", "undefined TeX macros", "raw TeX", "images that did not load",
                     "figures without an image that loaded: ['fig-lost']", "Python tracebacks in cell outputs: ['ValueError",
                     "figures shown as text, not as images: 1"):
        assert expected in problems, f"{expected!r} not reported:\n{problems}\n{json.dumps(facts)[:2000]}"
    offline_problems = "\n".join(page_problems(cdn_facts, has_math=True, origin=server))
    assert "MathJax did not load" in offline_problems and "MathJax loaded from outside the site" in offline_problems, offline_problems
    assert current["visit"].blocked == ["https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-mml-chtml.js"]
    dead = "\n".join(link_problems(facts["links"], server, tmp_path))
    assert "nowhere.html: no such file" in dead and "no anchor #gone" in dead and "#here" not in dead
    assert "chapters/none.ipynb is not in the repository" in colab_problems(facts["colab"], tmp_path)[0]
