"""Opening the dashboard with Streamlit's AppTest on a small demo store of its own."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from tests.conftest import REPO_ROOT

APP = str(REPO_ROOT / "dashboard" / "app.py")
TIMEOUT = 120


def open_app(params: dict[str, str], page: str | None = None) -> AppTest:
    """Run the app once with ``params`` in the URL; then switch to ``page`` if given."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    if page is not None:
        at.switch_page(page).run()
    return at


def texts(at: AppTest) -> str:
    """Every warning, error, info and caption on the page, for 'what did the user see'."""
    parts = [e.value for e in (*at.warning, *at.error, *at.info, *at.caption)]
    return "\n".join(str(p) for p in parts)


def html_blocks(at: AppTest) -> list[str]:
    """Markdown rendered with ``unsafe_allow_html`` (the only way HTML could reach the page)."""
    return [m.value for m in at.markdown if getattr(m.proto, "allow_html", False)]


def store_files(folder: Path) -> dict[str, int]:
    """Name → mtime of every file in a folder (to show nothing was written or replaced)."""
    return {p.name: p.stat().st_mtime_ns for p in sorted(folder.iterdir()) if p.is_file()}
