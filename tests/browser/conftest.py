"""Real-browser fixtures: a demo database, the app under `streamlit run`, and Debian's chromium via Playwright.

The app is started the way the README starts it (``streamlit run dashboard/app.py`` from the project root, the
database from ``DATABASE_URL``), on a free port on 127.0.0.1. Playwright cannot download browsers here, so the
system chromium at /usr/bin/chromium is launched; without it the browser tests skip with the install command.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import copy_sqlite

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
STARTUP_TIMEOUT = 60.0  # seconds until /_stcore/health must say "ok"
WAIT_MS = 60_000  # generous Playwright waits: a loaded CI machine is slow, a passing run is not
VIEWPORT = {"width": 1400, "height": 900}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_demo(url: str, *args: str) -> None:
    """``python -m core demo --if-empty ... --db URL`` from the project root; fails the test with its output."""
    cmd = [sys.executable, "-m", "core", "demo", *args, "--if-empty", "--db", url]
    proc = subprocess.run(cmd, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300)
    if proc.returncode != 0:
        pytest.fail(
            f"{' '.join(cmd[1:])} exited {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
        )


def _get(url: str, timeout: float = 2.0) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=timeout) as resp:
        return resp.status, resp.read().decode("utf-8", "replace")


def _stop(proc: subprocess.Popen) -> None:
    """Terminate the server and anything it started (it leads its own process group)."""
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


@contextlib.contextmanager
def streamlit_app(database_url: str, log_dir: Path) -> Iterator[str]:
    """Run ``streamlit run dashboard/app.py`` on a free port with DATABASE_URL set; yield its base URL.

    Another process (a parallel test worker, another checkout's tests) may take the port between
    :func:`free_port` and streamlit's bind: then streamlit exits saying so, and it is started again on another.
    """
    for attempt in range(3):
        port = free_port()
        proc, out_path, err_path = _launch(database_url, port, log_dir)
        base = f"http://127.0.0.1:{port}"
        try:
            if _wait_healthy(proc, base, out_path, err_path, retry_busy_port=attempt < 2):
                yield base
                return
        finally:
            _stop(proc)


def _launch(database_url: str, port: int, log_dir: Path) -> tuple[subprocess.Popen, Path, Path]:
    cmd = [
        sys.executable, "-m", "streamlit", "run", "dashboard/app.py",
        "--server.headless", "true",
        "--server.port", str(port),
        "--server.address", "127.0.0.1",
        "--browser.gatherUsageStats", "false",
    ]  # fmt: skip
    # PYTHONPATH: the server imports core/ and dashboard/ from this checkout, not from wherever the
    # package was installed in editable mode (a second clone or a git worktree would test the wrong code)
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "PYTHONUNBUFFERED": "1",
        "PYTHONPATH": str(PROJECT_ROOT),
    }
    log_dir.mkdir(parents=True, exist_ok=True)
    out_path, err_path = log_dir / f"streamlit-{port}.out", log_dir / f"streamlit-{port}.err"
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        # files, not pipes: a chatty server can never block on a full pipe nobody reads
        proc = subprocess.Popen(
            cmd, cwd=PROJECT_ROOT, env=env, stdout=out, stderr=err, start_new_session=True
        )
    return proc, out_path, err_path


def _wait_healthy(
    proc: subprocess.Popen, base: str, out_path: Path, err_path: Path, *, retry_busy_port: bool
) -> bool:
    """True once /_stcore/health says "ok"; False if the port was taken (and a retry is allowed); else fails."""
    deadline = time.monotonic() + STARTUP_TIMEOUT
    last = "no answer yet"
    while True:
        if proc.poll() is not None:
            output = err_path.read_text(errors="replace") + out_path.read_text(errors="replace")
            if retry_busy_port and ("is not available" in output or "already in use" in output):
                return False
            pytest.fail(
                f"streamlit exited with code {proc.returncode} before answering on {base}/_stcore/health\n"
                f"stderr:\n{err_path.read_text(errors='replace')}\nstdout:\n{out_path.read_text(errors='replace')}"
            )
        try:
            status, body = _get(f"{base}/_stcore/health")
            if status == 200 and body.strip() == "ok" and proc.poll() is None:
                return True
            last = f"HTTP {status}: {body[:200]!r}"
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError) as exc:
            last = repr(exc)
        if time.monotonic() > deadline:
            pytest.fail(
                f"streamlit did not answer 'ok' on {base}/_stcore/health within {STARTUP_TIMEOUT:.0f} s "
                f"(last: {last})\nstderr:\n{err_path.read_text(errors='replace')}\n"
                f"stdout:\n{out_path.read_text(errors='replace')}"
            )
        time.sleep(0.25)


@pytest.fixture(scope="session")
def start_app() -> Callable[[str, Path], contextlib.AbstractContextManager[str]]:
    """The server starter, for tests that need their own app process: ``with start_app(url, tmp_path) as base:``."""
    return streamlit_app


@pytest.fixture(scope="session")
def browser_demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The browser tests' demo database file (1,500 customers, seed 11, as of 2026-06-30: stable screenshots),
    made by the CLI once per session and never served: each database below is a copy (``copy_sqlite``)."""
    path = tmp_path_factory.mktemp("browser-demo") / "demo.sqlite"
    run_demo(f"sqlite:///{path}", "--customers", "1500", "--seed", "11", "--as-of", "2026-06-30")
    return path


@pytest.fixture(scope="session")
def browser_db_url(browser_demo: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A copy of the browser demo database, served by ``app_url`` to the tests that only read."""
    return copy_sqlite(browser_demo, tmp_path_factory.mktemp("browser-db") / "b.sqlite")


@pytest.fixture(scope="session")
def app_url(browser_db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of the dashboard served by ``streamlit run`` on the demo database; stopped after the session."""
    with streamlit_app(browser_db_url, tmp_path_factory.mktemp("streamlit-logs")) as base:
        yield base


@pytest.fixture(scope="session")
def chromium_browser():
    """Debian's chromium driven by Playwright's sync API (one browser per session)."""
    if not CHROMIUM.exists():
        pytest.skip(
            "Debian chromium not installed at /usr/bin/chromium: apt-get install chromium (scripts/test.sh does)"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium_browser, app_url: str):
    """A fresh browser context (so a fresh Streamlit session, Chinese UI) with a 1400x900 viewport."""
    context = chromium_browser.new_context(viewport=VIEWPORT, locale="zh-CN", timezone_id="Asia/Shanghai")
    context.set_default_timeout(WAIT_MS)
    pg = context.new_page()
    yield pg
    context.close()


@pytest.fixture(scope="session")
def artifacts_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Screenshots for people to look at, in pytest's temporary folder (``--basetemp=DIR`` to choose it; pytest
    keeps the last three runs'): tests never write into the checkout. ``python scripts/screenshots.py``
    refreshes the README's."""
    return tmp_path_factory.mktemp("artifacts", numbered=False)


DEMO_PASSWORDS = {
    "admin": "demo-admin",
    "manager": "demo-manager",
    "analyst": "demo-analyst",
    "staff": "demo-staff",
}


def sign_in(page, name: str = "manager", password: str | None = None) -> None:
    """Fill the login form of the page just opened and wait.

    A page opened in a browser context that signed in before is still signed in (the sign-in cookie outlives a
    page.goto as it outlives a refresh): then there is no form and nothing to do. Sign out first to change
    user within one context.
    """
    import re

    from playwright.sync_api import expect

    main = page.get_by_test_id("stMain")
    form = main.get_by_role("textbox", name="用户名")
    signed_in = page.get_by_test_id("stSidebar").get_by_text(re.compile("^(当前用户：|Signed in: )"))
    expect(form.or_(signed_in).first).to_be_visible(timeout=WAIT_MS)
    if not form.count():
        return
    main.get_by_role("textbox", name="用户名").fill(name)
    main.get_by_role("textbox", name="密码").fill(password or DEMO_PASSWORDS[name])
    main.get_by_role("button", name="登录").click()
    # signed in = the sidebar names the user (the users page itself has password boxes, so their absence
    # cannot be the sign)
    expect(signed_in).to_be_visible(timeout=WAIT_MS)
    expect(main.get_by_role("button", name="登录")).to_have_count(0, timeout=WAIT_MS)
