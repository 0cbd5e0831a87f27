"""Every page, in a real browser, on a dealer whose every stored text is hostile (issue 13 item 11): no link,
image, formula, colour, bold or HTML that came from data; no direction override shown raw; no exception.

AppTest sees the Markdown a page sends, not what it becomes: the browser is the judge of what renders. The
database is tests/hostile_data.py's (files through the importer, the workflow's own writes, the generator's
names overwritten); the import page is also given a hostile file under a hostile name.
"""

from __future__ import annotations

import json
from urllib.parse import quote, urlparse

import pytest
from playwright.sync_api import Page, expect

from core.storage.db import open_database
from tests.hostile_data import HOSTILE, LINK, LITERALS, build, hostile, registered_pages

from .conftest import VIEWPORT, WAIT_MS, sign_in
from .test_overview_browser import wait_idle

pytestmark = [pytest.mark.browser, pytest.mark.timeout(900)]

# what the page shows that came from data and renders as something else than text
FINDINGS_JS = """
(literals) => {
  const found = [];
  const short = (s) => (s || '').replace(/\\s+/g, ' ').slice(0, 60);
  const where = (el) => {
    const box = el.closest && el.closest('[data-testid]:not([data-testid=stMarkdownContainer])');
    return box ? box.getAttribute('data-testid') : '?';
  };
  for (const el of document.querySelectorAll('a')) {
    const href = el.getAttribute('href') || el.getAttribute('xlink:href') || '';
    if (href.includes('evil.example')) found.push(`${where(el)}: link to ${href}: "${short(el.textContent)}"`);
  }
  for (const el of document.querySelectorAll('img, image, iframe, video, audio, source')) {
    const src = el.getAttribute('src') || el.getAttribute('href') || el.getAttribute('xlink:href') || '';
    if (src.includes('evil.example') || src === 'x') found.push(`${where(el)}: ${el.tagName} from ${src}`);
  }
  for (const el of document.querySelectorAll('[onerror]')) found.push(`${where(el)}: onerror on ${el.tagName}`);
  for (const el of document.querySelectorAll('.katex, .katex-display, math')) {
    found.push(`${where(el)}: formula "${short(el.textContent)}"`);
  }
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    // st.dataframe cells are text (no Markdown): a direction override there stays inside its cell
    if (n.parentElement && n.parentElement.closest('[data-testid=stDataFrame]')) continue;
    if (n.data.includes('\\u202e')) found.push(`${where(n.parentElement)}: raw direction override in "${short(n.data)}"`);
  }
  const count = (text, part) => text.split(part).length - 1;
  for (const [token, literal] of Object.entries(literals)) {
    for (const el of document.body.querySelectorAll('*')) {
      if (['SCRIPT', 'STYLE', 'NOSCRIPT'].includes(el.tagName)) continue;
      // the uploader shows a file's name as text, shortened in the middle ("[点我Lk](...强调Em**.csv")
      if (el.closest('[data-testid=stFileChipName]')) continue;
      // plain() puts an invisible word joiner into "://", "www." and before "@" (GFM links them otherwise)
      const text = (el.textContent || '').replaceAll('\\u2060', '');
      if (!text.includes(token)) continue;
      if ([...el.children].some((c) => (c.textContent || '').includes(token))) continue;
      // the innermost element showing the token shows it inside its literal every time
      if (count(text, token) !== count(text, literal)) {
        found.push(`${where(el)}: ${el.tagName.toLowerCase()} shows ${token} without ${literal}: "${short(text)}"`);
      }
    }
  }
  return found;
}
"""


def findings(page: Page) -> list[str]:
    return list(dict.fromkeys(page.evaluate(FINDINGS_JS, LITERALS)))  # each distinct finding once


def errors(page: Page) -> list[str]:
    return [e.inner_text()[:300] for e in page.get_by_test_id("stException").all()]


@pytest.fixture(scope="module")
def hostile_app(start_app, tmp_path_factory):
    path = tmp_path_factory.mktemp("hostile") / "hostile.sqlite"
    url = f"sqlite:///{path}"
    engine = open_database(url)
    try:
        ids = build(engine)
    finally:
        engine.dispose()
    with start_app(url, tmp_path_factory.mktemp("hostile-logs")) as base:
        yield base, ids


def visit(page: Page, url: str) -> None:
    page.goto(url)
    page.get_by_test_id("stMain").wait_for(timeout=WAIT_MS)
    wait_idle(page)
    page.wait_for_timeout(800)  # a page that reruns once after its first draw (URL sync)
    wait_idle(page)
    charts = page.get_by_test_id("stPlotlyChart")
    for i in range(charts.count()):  # drawn, where shown (a chart in a tab not chosen is hidden)
        if charts.nth(i).is_visible():
            expect(charts.nth(i).locator(".main-svg").first).to_be_attached(timeout=WAIT_MS)


def landed(page: Page, path: str) -> bool:
    """The page opened is the one asked for (a page the role may not see opens the first page instead)."""
    shown = urlparse(page.url).path.rstrip("/").rsplit("/", 1)[-1]
    return shown == path or (shown == "" and path == "overview")


def test_no_page_renders_markup_from_data(chromium_browser, hostile_app, artifacts_dir):
    base, ids = hostile_app
    visits: dict[str, list[str]] = {}  # role → addresses, each page under the role registered for it
    for _file, path, role in registered_pages():
        visits.setdefault(role, []).append(path)
    visits["manager"] += [
        f"customer?customer={ids['customer']}",
        f"customer?customer={quote(LINK)}",
        f"review?meeting={ids['meeting']}&population=owners",
        f"review?print=1&meeting={ids['meeting']}&population=owners",
    ]
    report: dict[str, list[str]] = {}
    for role, addresses in visits.items():
        context = chromium_browser.new_context(viewport=VIEWPORT, locale="zh-CN", timezone_id="Asia/Shanghai")
        context.set_default_timeout(WAIT_MS)
        page = context.new_page()
        try:
            page.goto(f"{base}/{addresses[0].split('?')[0]}")
            sign_in(page, role)
            wait_idle(page)
            for i, address in enumerate(addresses):
                visit(page, f"{base}/{address}")
                name = address.split("?")[0]
                assert landed(page, name), f"{address} as {role} opened {page.url}"
                page.screenshot(path=str(artifacts_dir / f"hostile-{i:02d}-{name}.png"), full_page=True)
                problems = errors(page) + findings(page)
                if problems:
                    report[f"{address} ({role})"] = problems
            if role == "manager":
                problems = import_hostile_file(page, base, artifacts_dir)
                if problems:
                    report["import (hostile file)"] = problems
        finally:
            context.close()
    assert report == {}, "\n".join(f"{a}:\n  " + "\n  ".join(p[:12]) for a, p in report.items())


def import_hostile_file(page: Page, base: str, artifacts_dir) -> list[str]:
    """A hostile file under a hostile name, checked on the import page: its report quotes the cells, the
    references it would create name the new stores and regions; a mapping file whose kind is hostile is
    quoted by the warning that refuses it."""
    visit(page, f"{base}/import")
    rows = "姓名,电话,门店,区域\n" + "\n".join(
        f'"{hostile(f"客{i}", 120)}",{"abc" if i else "13900001111"},'
        f'"{hostile(f"新店{i}", 64)}","{hostile("新区", 64)}"'
        for i in range(2)
    )
    page.get_by_test_id("stFileUploaderDropzoneInput").first.set_input_files(
        {"name": f"{LINK} {HOSTILE[-20:]}.csv", "mimeType": "text/csv", "buffer": rows.encode()}
    )
    wait_idle(page)
    mapping = json.dumps({"kind": HOSTILE, "columns": {}}, ensure_ascii=False).encode()
    page.get_by_test_id("stFileUploaderDropzoneInput").nth(1).set_input_files(
        {"name": "mapping.json", "mimeType": "application/json", "buffer": mapping}
    )
    wait_idle(page)
    expect(page.get_by_test_id("stAlertContentWarning").first).to_be_attached(timeout=WAIT_MS)
    page.get_by_test_id("stMain").get_by_role("button", name="检查并预览").click()
    wait_idle(page)
    main = page.get_by_test_id("stMain")
    expect(main.get_by_text("校验报告").or_(main.get_by_text("无法导入这个文件")).first).to_be_attached(
        timeout=WAIT_MS
    )
    page.screenshot(path=str(artifacts_dir / "hostile-import-report.png"), full_page=True)
    return errors(page) + findings(page)
