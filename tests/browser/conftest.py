"""Real Chromium (Debian's /usr/bin/chromium) against a real Streamlit server on loopback."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _require_browser() -> None:
    missing = []
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("pip install playwright")
    if not CHROMIUM.exists():
        missing.append("apt-get install -y chromium")
    if missing:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must run the browser tests: {'; '.join(missing)}")
        pytest.skip(f"browser tests need: {'; '.join(missing)}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_healthy(port: int, proc: subprocess.Popen, timeout: float = 90) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with code {proc.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1):
                return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"streamlit did not answer on port {port} within {timeout:.0f} s")


@contextlib.contextmanager
def running_app(stores: Path, env: dict[str, str] | None = None) -> Iterator[str]:
    """Start ``streamlit run dashboard/app.py`` on loopback with its own store folder; yield
    its URL and stop it afterwards (its log is ``stores/streamlit.log``)."""
    _require_browser()
    port = _free_port()
    with open(stores / "streamlit.log", "w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "dashboard/app.py",
             "--server.headless=true", f"--server.port={port}", "--server.address=127.0.0.1",
             "--browser.gatherUsageStats=false", "--server.fileWatcherType=none"],
            cwd=REPO_ROOT, env={**os.environ, "LANDALLOC_STORES": str(stores), **(env or {})},
            stdout=log, stderr=subprocess.STDOUT)
        try:
            _wait_healthy(port, proc)
            yield f"http://127.0.0.1:{port}"
        finally:
            proc.terminate()
            proc.wait(timeout=20)


@pytest.fixture(scope="session")
def app_url(tmp_path_factory) -> Iterator[str]:
    """A dashboard server on its own store folder (the demo is built on first start)."""
    with running_app(tmp_path_factory.mktemp("browser_stores")) as url:
        yield url


@pytest.fixture(scope="session")
def browser():
    _require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    """A fresh browser context per test: no shared cookies or session."""
    context = browser.new_context(viewport={"width": 1600, "height": 1000}, locale="zh-CN")
    yield context.new_page()
    context.close()
