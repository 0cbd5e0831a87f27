"""The README's deployment example (deploy/nginx.conf) in front of the real app: TLS, no framing, metrics closed.

nginx runs the committed file (only its @…@ markers filled in: a throw-away certificate, a free port, the app's
address) as an unprivileged process; the app behind it is the real ``streamlit run``; chromium signs in through it,
which proves the websocket passes the proxy. Skips with the install command where nginx or openssl is missing
(scripts/test.sh installs nginx).
"""

from __future__ import annotations

import contextlib
import http.client
import shutil
import ssl
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from .conftest import PROJECT_ROOT, VIEWPORT, WAIT_MS, free_port, sign_in
from .test_overview_browser import wait_idle

pytestmark = [pytest.mark.browser, pytest.mark.timeout(240)]

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
CONF = PROJECT_ROOT / "deploy" / "nginx.conf"


def _https_get(port: int, path: str) -> tuple[int, dict[str, str], bytes]:
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE  # the test's own self-signed certificate
    conn = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=10)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


@contextlib.contextmanager
def _proxy(upstream: str, runtime: Path) -> Iterator[int]:
    if not Path(NGINX).exists() or not shutil.which("openssl"):
        pytest.skip("nginx or openssl missing: apt-get install nginx openssl (scripts/test.sh does)")
    runtime.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
         "-keyout", str(runtime / "key.pem"), "-out", str(runtime / "cert.pem")],
        check=True, capture_output=True,
    )  # fmt: skip
    port = free_port()
    text = CONF.read_text(encoding="utf-8")
    conf = runtime / "nginx.conf"
    conf.write_text(
        text.replace("@RUNTIME@", str(runtime)).replace("@PORT@", str(port)).replace("@UPSTREAM@", upstream),
        encoding="utf-8",
    )
    checked = subprocess.run(
        [NGINX, "-t", "-c", str(conf), "-p", str(runtime)], capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stderr
    proc = subprocess.Popen(
        [NGINX, "-c", str(conf), "-p", str(runtime), "-g", "daemon off;"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                if _https_get(port, "/_stcore/health")[0] == 200:
                    break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(
                    f"nginx did not come up: {proc.stderr.read().decode(errors='replace') if proc.stderr else ''}"
                )
            time.sleep(0.2)
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_deployment_example_closes_metrics_forbids_framing_and_serves_the_app(
    app_url: str, chromium_browser, tmp_path: Path, artifacts_dir: Path
) -> None:
    from playwright.sync_api import expect

    # the app's own server, as the proxy hides it: metrics open to anyone, no frame protection
    assert _plain_status(app_url, "/_stcore/metrics") == 200

    with _proxy(urlsplit(app_url).netloc, tmp_path / "nginx") as port:
        status, headers, _ = _https_get(port, "/_stcore/metrics")
        assert status == 404
        status, headers, body = _https_get(port, "/")
        assert status == 200 and b"<html" in body.lower()
        assert headers["x-frame-options"] == "DENY"
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert headers["strict-transport-security"].startswith("max-age=")
        assert "server" not in headers or "nginx/" not in headers["server"]  # no version shown

        # a person signs in through the proxy: the websocket passes, the app answers
        context = chromium_browser.new_context(
            viewport=VIEWPORT, locale="zh-CN", timezone_id="Asia/Shanghai", ignore_https_errors=True
        )
        context.set_default_timeout(WAIT_MS)
        page = context.new_page()
        try:
            page.goto(f"https://127.0.0.1:{port}/")
            sign_in(page, "manager")
            expect(page.get_by_test_id("stSidebarNav")).to_be_visible(timeout=WAIT_MS)
            wait_idle(page)
            expect(page.get_by_test_id("stMetric").first).to_be_visible()  # figures arrived over the socket
            page.screenshot(path=str(artifacts_dir / "deploy-proxy-signed-in.png"))
        finally:
            context.close()


def _plain_status(base: str, path: str) -> int:
    import urllib.request

    with urllib.request.urlopen(f"{base}{path}", timeout=10) as resp:
        return resp.status
