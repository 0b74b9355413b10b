"""The docs site: built once per module by `tools/build_docs.py --out <tmp>` (the worktree's docs/ is not touched),
then checked as plain HTML and in Debian's headless chromium (selenium + /usr/bin/chromedriver, nothing downloaded).

Browser tests skip only when chromium or chromedriver is missing (`apt-get install chromium chromium-driver`).
Set LLMCOURSE_DOCS_SHOTS=/some/dir to save screenshots (core page, its first plot, typeset math, search results) there.
Content these tests need: the core notebook saved with its outputs (a plot, a text output) and an exported
`seed_everything`; somewhere in the course, inline and display math."""
import html
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from functools import partial
from html.parser import HTMLParser
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[1]
NBS = ROOT/"nbs"
pytestmark = pytest.mark.docs

CORE_NB, CORE = "00_core.ipynb", "core.html"  # the chapter whose page carries a plot, text outputs and API docs
API_NAME = "seed_everything"                    # an exported function: nbdev adds its show_doc section
MIN_MATH = 2                                    # formulas on the page with the most math, at least
SEARCH_QUERY = API_NAME
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage", "--window-size=1280,1000",
                  "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"]  # a stray request is logged, never sent
LOCAL_SCHEMES = {"data", "blob", "about"}


# ---------------------------------------------------------------- building and parsing

def build_into(out: Path):
    return subprocess.run([sys.executable, "tools/build_docs.py", "--out", str(out)], cwd=ROOT, capture_output=True,
                          text=True, timeout=300, check=False, env={**os.environ, "PYTHONWARNINGS": "ignore"})


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    "Build the site once into a temporary folder; returns that folder (with docs/ and README.md)"
    if not shutil.which("smalldocs", path=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"):
        pytest.skip("smalldocs is not installed (pip install -e '.[dev]')")
    out = tmp_path_factory.mktemp("site")
    r = build_into(out)
    if r.returncode: pytest.fail(f"tools/build_docs.py failed:\n{(r.stdout + r.stderr)[-4000:]}", pytrace=False)
    return out


@pytest.fixture(scope="module")
def site(built): return built/"docs"


class _Page(HTMLParser):
    "Collect ids, links (tag, attr, value) and visible text of one HTML page"
    def __init__(self):
        super().__init__(convert_charrefs=True); self.ids, self.links, self.text, self._skip = set(), [], [], 0
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for k in ("id", "name"):
            if a.get(k) and (k == "id" or tag == "a"): self.ids.add(a[k])
        for k in ("href", "src"):
            if a.get(k) is not None: self.links.append((tag, k, a[k]))
        if a.get("srcset"): self.links += [(tag, "srcset", s.split()[0]) for s in a["srcset"].split(",") if s.strip()]
        if tag in ("script", "style"): self._skip += 1
    def handle_endtag(self, tag):
        if tag in ("script", "style"): self._skip = max(0, self._skip - 1)
    def handle_data(self, d):
        if not self._skip: self.text.append(d)


def parse(path: Path) -> _Page:
    p = _Page(); p.feed(path.read_text(encoding="utf-8")); return p


def norm(s: str) -> str: return " ".join(s.split())


def expected_pages():
    "Page names in notebook order: index first, then the notebooks sorted by file name (nbdev's rule for sidebar.yml)"
    from nbdev.config import nbpath2html
    nbs = sorted(p.name for p in NBS.glob("*.ipynb") if not p.name.startswith(("_", ".")))
    pages = [nbpath2html(n).name for n in sorted(nbs, key=lambda n: (n != "index.ipynb", n))]
    if any(corrected(NBS/n) for n in nbs):  # the generated "Corrections to the sources" page follows the chapters
        pages.insert(pages.index("cli.html") if "cli.html" in pages else len(pages), "corrections.html")
    return pages


def corrected(nb: Path) -> bool:
    "Whether a notebook has a 'The source notes, corrected' section, which the corrections page collects"
    cells = json.loads(nb.read_text(encoding="utf-8"))["cells"]
    return any(c["cell_type"] == "markdown" and "".join(c["source"]).startswith("## The source notes, corrected")
               for c in cells)


def sidebar(page: Path):
    return re.findall(r'<a href="([^"]+)" class="sidebar-item-text sidebar-link', page.read_text(encoding="utf-8"))


# ---------------------------------------------------------------- plain HTML

def test_sidebar_in_notebook_order(site):
    want = expected_pages()
    assert want[0] == "index.html" and CORE in want
    for page in want:  # every page carries the same sidebar
        assert sidebar(site/page) == want, page


def test_corrections_page_collects_every_chapter(site):
    from nbdev.config import nbpath2html
    page = (site/"corrections.html").read_text(encoding="utf-8")
    chapters = [nb for nb in sorted(NBS.glob("*.ipynb")) if corrected(nb)]
    assert len(chapters) >= 3
    for nb in chapters:
        assert f'href="{nbpath2html(nb.name).name}"' in page, f"corrections page does not link {nb.name}"
    assert page.count("<table") >= len(chapters)  # each chapter contributes its table
    assert "$k=q$" in page or "k=q" in page  # the RoPE correction of chapter 02, as a spot check


def test_core_page_has_plot_and_api_docs(site):
    core = (site/CORE).read_text(encoding="utf-8")
    assert re.search(r'<img[^>]+src="data:image/png;base64,', core), f"no inline PNG plot on {CORE} (outputs saved?)"
    assert re.search(rf'<h3[^>]*\bid="{API_NAME}"', core), f"no show_doc section <h3 id={API_NAME!r}> on {CORE}"


MATH_SPAN = re.compile(r'<span class="math (inline|display)">')


def most_math(site):
    "The page with the most formulas (core has none yet: math arrives with the model chapters)"
    counts = {p: len(MATH_SPAN.findall((site/p).read_text(encoding="utf-8"))) for p in expected_pages()}
    page = max(counts, key=counts.get)
    if counts[page] < MIN_MATH:
        pytest.fail(f"no page has {MIN_MATH}+ formulas, so KaTeX goes untested: {counts}", pytrace=False)
    return page


def test_math_is_marked_up_for_katex(site):
    math_page = most_math(site)
    kinds = {k for p in expected_pages() for k in MATH_SPAN.findall((site/p).read_text(encoding="utf-8"))}
    assert kinds == {"inline", "display"}, f"want inline and display math somewhere in the course, got {kinds}"
    assert 'site_libs/katex/katex.min.js' in (site/math_page).read_text(encoding="utf-8")


def _visible_outputs(nb_path: Path):
    "First lines of the saved text outputs of cells the docs show (no hide/include/output directives)"
    nb = json.loads(nb_path.read_text(encoding="utf-8"))
    for c in nb["cells"]:
        if c["cell_type"] != "code": continue
        src = "".join(c["source"])
        if re.search(r"^#\|\s*(hide|include:\s*false|output:\s*false|exports?|exporti|gpu)\b", src, re.MULTILINE):
            continue
        for o in c.get("outputs", []):
            data = o.get("data", {})
            if any(k in data for k in ("image/png", "text/html", "text/markdown", "image/svg+xml")): continue
            text = "".join(o.get("text") or data.get("text/plain") or "")
            line = text.strip().splitlines()[0].strip() if text.strip() else ""
            if len(line) >= 4: yield line


def test_saved_outputs_are_shown(site):
    outs = list(_visible_outputs(NBS/CORE_NB))[:3]
    assert outs, f"{CORE_NB} has no saved text output (run it and save before building the docs)"
    text = norm(html.unescape("".join(parse(site/CORE).text)))
    for line in outs: assert norm(line) in text, line


def test_cross_links(site):
    core = (site/CORE).read_text(encoding="utf-8")
    assert f'href="{CORE}#{API_NAME}"' in core, "backticked names should link to the API section"
    assert not re.search(r'href="https?://[^"]*\.github\.io/', core), "doclinks should be relative"


def _internal_targets(site: Path):
    "(page, attribute value) for every site-relative href/src, plus the hrefs in search.json"
    for f in sorted(site.rglob("*.html")):
        for tag, attr, v in parse(f).links:
            u = urlsplit(v)
            if u.scheme or u.netloc or v.startswith(("mailto:", "javascript:")) or v in ("", "#"): continue
            yield f, v
    for e in json.loads((site/"search.json").read_text(encoding="utf-8")):
        yield site/"index.html", e["href"]


def test_internal_links_resolve(site):
    ids, bad = {}, []
    for f, v in _internal_targets(site):
        u = urlsplit(v)
        target = (f.parent/unquote(u.path)).resolve() if u.path else f
        if target.is_dir(): target = target/"index.html"
        if not target.is_file() or site.resolve() not in target.parents:
            bad.append(f"{f.name}: {v} (no such file)"); continue
        if u.fragment and target.suffix == ".html":
            if target not in ids: ids[target] = parse(target).ids
            if unquote(u.fragment) not in ids[target]: bad.append(f"{f.name}: {v} (no id={u.fragment!r})")
    assert not bad, "\n".join(bad)


EXTERNAL_RESOURCE = re.compile(r"""\b(?:src|srcset)\s*=\s*["']?\s*(?:https?:)?//"""
                               r"""|<link\b[^>]*\bhref\s*=\s*["']?(?:https?:)?//"""
                               r"""|url\(\s*["']?(?:https?:)?//|@import\s+["'](?:https?:)?//""", re.IGNORECASE)


def test_nothing_loaded_from_other_hosts(site):
    "No src/srcset/<link href>/CSS url() to another host; plain <a> links may leave the site (GitHub, papers...)"
    bad = []
    for f in sorted([*site.rglob("*.html"), *site.rglob("*.css")]):
        text = f.read_text(encoding="utf-8", errors="replace")
        bad += [f"{f.relative_to(site)}: {text[m.start():m.end() + 60]!r}" for m in EXTERNAL_RESOURCE.finditer(text)]
        if f.suffix == ".html":
            for tag, attr, v in parse(f).links:
                u = urlsplit(v)
                if u.netloc and tag != "a": bad.append(f"{f.relative_to(site)}: <{tag} {attr}={v}>")
    assert not bad, "\n".join(bad)
    assert "fonts.googleapis" not in "".join(p.read_text(errors="replace") for p in site.rglob("*.css"))


def test_katex_is_local_and_pinned(site):
    import importlib.util

    import smalldocs.layout
    spec = importlib.util.spec_from_file_location("build_docs", ROOT/"tools"/"build_docs.py")
    build_docs = importlib.util.module_from_spec(spec); spec.loader.exec_module(build_docs)
    k = site/"site_libs"/"katex"
    assert f"katex@{build_docs.KATEX_VERSION}/" in smalldocs.layout.KATEX, "smalldocs links another KaTeX version"
    assert f'version:"{build_docs.KATEX_VERSION}"' in (k/"katex.min.js").read_text().replace(" ", "")
    fonts = set(re.findall(r"url\((fonts/[^)]+\.woff2)\)", (k/"katex.min.css").read_text()))
    assert fonts and all((k/f).is_file() for f in fonts) and (k/"LICENSE").is_file()
    assert (k/"contrib"/"auto-render.min.js").is_file()
    for f in site.rglob("*.html"): assert "cdn.jsdelivr" not in f.read_text(encoding="utf-8"), f
    assert not (site/"sitemap.xml").exists()


def test_readme(built):
    readme = (built/"README.md").read_text(encoding="utf-8")
    assert readme.startswith("# ") and "AUTOGENERATED" not in readme and ".llms.md" not in readme
    for link in re.findall(r"\]\(([^)\s]+)", readme):  # links must work on GitHub/PyPI: absolute or in-page
        assert link.startswith(("https://", "#", "mailto:")), link


def test_rebuild_is_byte_identical(built, tmp_path):
    r = build_into(tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    files = lambda d: {p.relative_to(d).as_posix(): p.read_bytes() for p in d.rglob("*") if p.is_file()}
    a, b = files(built), files(tmp_path)
    assert sorted(a) == sorted(b)
    assert [k for k in a if a[k] != b[k]] == []


# ---------------------------------------------------------------- in a real browser

class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args): pass


@pytest.fixture(scope="module")
def server(site):
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Quiet, directory=str(site)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown(); httpd.server_close()


@pytest.fixture(scope="module")
def browser(server):
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver") or "/usr/bin/chromedriver"
    if not chromium or not Path(driver).is_file():
        if os.environ.get("LLMCOURSE_REQUIRE_BROWSER"):  # set by tools/test.sh under CI: the checks must run there
            pytest.fail("LLMCOURSE_REQUIRE_BROWSER is set but chromium/chromedriver are missing")
        pytest.skip("browser checks need Debian's chromium and chromium-driver "
                    "(apt-get install chromium chromium-driver)")
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (pip install -e '.[dev]')")
    from selenium.webdriver.chrome.service import Service
    opts = webdriver.ChromeOptions()
    opts.binary_location = chromium
    with tempfile.TemporaryDirectory(prefix="llmcourse-chromium-") as profile:
        for a in [*CHROMIUM_FLAGS, f"--user-data-dir={profile}"]: opts.add_argument(a)
        opts.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
        # an explicit driver path: selenium-manager is never run, so nothing is downloaded
        d = webdriver.Chrome(service=Service(executable_path=driver), options=opts)
        d.set_page_load_timeout(30); d.set_script_timeout(15)
        d.get("about:blank"); network(d); d.get_log("browser")  # drop the start page's chrome:// loads
        try: yield d
        finally: d.quit()


def network(d):
    "Requests made, responses with their status, and failed loads since the last call"
    reqs, status, failed = {}, {}, []
    for e in d.get_log("performance"):
        m = json.loads(e["message"])["message"]; p = m.get("params", {})
        if m["method"] == "Network.requestWillBeSent": reqs[p["requestId"]] = p["request"]["url"]
        elif m["method"] == "Network.responseReceived": status[p["response"]["url"]] = p["response"]["status"]
        elif m["method"] == "Network.loadingFailed": failed.append((p["requestId"], p.get("errorText")))
    failed = [(reqs.get(i, i), err) for i, err in failed if err != "net::ERR_ABORTED"]
    return list(reqs.values()), status, failed


def assert_local(d):
    urls, status, failed = network(d)
    assert urls, "no network events recorded"
    off = [u for u in urls if urlsplit(u).scheme not in LOCAL_SCHEMES and urlsplit(u).hostname != "127.0.0.1"]
    assert not off, f"requests left the site: {off}"
    broken = [(u, s) for u, s in status.items() if s >= 400 and not u.endswith("/favicon.ico")]
    assert not broken and not failed, f"broken loads: {broken} {failed}"
    return urls


def _wait(d, js, what, timeout=10):
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait
    try: return WebDriverWait(d, timeout).until(lambda d: d.execute_script(js))
    except TimeoutException:
        assert_local(d)  # a resource fetched from elsewhere is the usual cause: report it first
        pytest.fail(f"{d.current_url}: timed out waiting for {what}", pytrace=False)


def _shot(d, name):
    if os.environ.get("LLMCOURSE_DOCS_SHOTS"):
        out = Path(os.environ["LLMCOURSE_DOCS_SHOTS"]); out.mkdir(parents=True, exist_ok=True)
        d.save_screenshot(str(out/name))


def test_math_typeset_in_browser(browser, server, site):
    d, math_page = browser, most_math(site)
    d.get(server + math_page)
    _wait(d, "return document.querySelectorAll('.katex').length > 0", "KaTeX to typeset the math")
    d.execute_async_script("document.fonts.ready.then(() => arguments[arguments.length - 1](true))")
    math = d.execute_script("""return {
        katex: document.querySelectorAll('.katex').length,
        display: document.querySelectorAll('.katex-display').length,
        errors: document.querySelectorAll('.katex-error').length,
        raw: [...document.querySelectorAll('span.math')].filter(s => !s.querySelector('.katex')).length,
        fonts: [...document.fonts].filter(f => f.family.startsWith('KaTeX') && f.status === 'loaded').length}""")
    spans = MATH_SPAN.findall((site/math_page).read_text(encoding="utf-8"))
    assert math["katex"] >= max(MIN_MATH, len(spans)) and math["display"] >= spans.count("display"), math
    assert math["errors"] == 0 and math["raw"] == 0 and math["fonts"] >= 1, math
    d.execute_script("document.querySelector('.katex').scrollIntoView({block: 'center', behavior: 'instant'})")
    _shot(d, "math.png")
    assert_local(d)


def test_core_page_in_browser(browser, server):
    d = browser
    d.get(server + CORE)
    imgs = d.execute_script("""return [...document.querySelectorAll('img[src^="data:image/png"]')]
        .map(i => [i.complete, i.naturalWidth, i.getBoundingClientRect().width])""")
    assert imgs and all(c and w > 0 and shown > 0 for c, w, shown in imgs), f"plots not drawn: {imgs}"
    assert d.execute_script(f"const h = document.getElementById('{API_NAME}'); "
                            "return !!h && h.tagName === 'H3' && h.getBoundingClientRect().height > 0")
    _shot(d, "core_top.png")
    d.execute_script("document.querySelector('img[src^=\"data:image/png\"]')"
                     ".scrollIntoView({block: 'center', behavior: 'instant'})")
    _shot(d, "core_plot.png")
    assert_local(d)


def test_search_finds_the_api_section(browser, server):
    from selenium.webdriver.common.by import By
    d = browser
    d.get(server + "index.html")
    boxes = d.find_elements(By.CSS_SELECTOR, ".smalldocs-search input, input[type=search]")
    box = next(i for i in boxes if i.is_displayed())
    box.click(); box.send_keys(SEARCH_QUERY)
    _wait(d, "return [...document.querySelectorAll('.search-result')].some(a => a.offsetParent !== null)",
          f"search results for {SEARCH_QUERY!r}")
    hrefs = [a.get_attribute("href") for a in d.find_elements(By.CSS_SELECTOR, ".search-result") if a.is_displayed()]
    assert any(urlsplit(h).path.endswith("/" + CORE) for h in hrefs), hrefs
    _shot(d, "search.png")
    assert_local(d)


def test_every_page_loads_offline_without_errors(browser, server):
    d = browser
    network(d); d.get_log("browser")  # drain earlier events
    for page in expected_pages():
        d.get(server + page)
        assert d.execute_script("return !!document.querySelector('.sidebar-link.active')"), page
    assert_local(d)
    errors = [e["message"] for e in d.get_log("browser")
              if e["level"] == "SEVERE" and "favicon.ico" not in e["message"]]
    assert not errors, errors
