"""Hostile and broken share links, opened in the real dashboard script (AppTest).

tests/dashboard/test_state.py already feeds garbage to the URL codec and test_app.py checks
that garbage lever values and a SQL-looking share token warn and fall back. Here the remaining
parameters are attacked end to end: ``store=`` (paths, absolute files, SQL), ``scenario=``,
``preset=`` and lever keys with very long, HTML/script and SQL values. Each must leave the page
working (no exception), show a warning, and never open a file outside the store folder.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from data.demo import build_demo
from tests.reliability.apptest import html_blocks, open_app, store_files, texts

SCRIPT = "<script>alert('x')</script><img src=x onerror=alert(1)>"
SQL = "demo'; DROP TABLE parcels; --"
GROWTH = {"preset": "growth"}


@pytest.fixture(scope="module")
def outside_store(tmp_path_factory, app_stores: Path) -> Path:
    """A real store OUTSIDE the store folder, with a name a link could try to reach."""
    outside = tmp_path_factory.mktemp("outside") / "secret.duckdb"
    return build_demo(outside, rows=6, cols=8, cell_m=500.0)


def assert_calm(at, *needles: str) -> None:
    """No exception on the page; every needle appears in a warning (as text)."""
    assert not at.exception, [e.value for e in at.exception]
    shown = texts(at)
    for needle in needles:
        assert needle in shown, shown


def assert_no_payload_as_html(at) -> None:
    for block in html_blocks(at):
        assert "<script" not in block and "onerror" not in block


@pytest.mark.parametrize("value", [
    "../../etc/passwd", "/etc/passwd", "..%2F..%2Fetc%2Fpasswd", "demo/../../secret", SQL,
    SCRIPT, "x" * 5000, "demo\x00.duckdb", "",
])
def test_store_parameter_never_reaches_the_file_system(app_stores: Path, outside_store: Path,
                                                       value: str) -> None:
    """``store=`` is matched by name against the store list: anything else → demo + warning."""
    before = store_files(app_stores)
    at = open_app({**GROWTH, "store": value})
    assert_calm(at)
    assert at.session_state["store_name"] == "demo"
    if value:
        assert "store" in texts(at)
    assert store_files(app_stores) == before
    assert_no_payload_as_html(at)


@pytest.mark.parametrize("kind", ["absolute", "relative", "stem"])
def test_a_real_store_outside_the_folder_is_not_opened(app_stores: Path, outside_store: Path,
                                                       kind: str) -> None:
    """Even a path to a valid store elsewhere is refused; only names in the folder count."""
    value = {"absolute": str(outside_store),
             "relative": str(Path("..") / outside_store.parent.name / outside_store.name),
             "stem": outside_store.stem}[kind]
    at = open_app({**GROWTH, "store": value})
    assert_calm(at, "store")
    assert at.session_state["store_name"] == "demo"
    assert "secret" not in at.selectbox(key="store_choice").options


@pytest.mark.parametrize("value", ["../../../etc/passwd", SQL, SCRIPT, "A" * 10_000,
                                   "%00", "AAAAAAAAAAAAAAAAAAAAAA"])
def test_scenario_token_is_checked_before_any_lookup(app_stores: Path, value: str) -> None:
    """``scenario=`` must look like a share token; a well-formed unknown one finds nothing."""
    before = store_files(app_stores)
    at = open_app({**GROWTH, "scenario": value})
    assert not at.exception
    assert "scenario" in texts(at) or at.error, texts(at)
    assert len(at.metric) == 7  # the default is solved and shown
    assert store_files(app_stores) == before
    assert_no_payload_as_html(at)


@pytest.mark.parametrize("value", ["../../etc/passwd", "/tmp/x.toml", SQL, SCRIPT, "x" * 3000])
def test_preset_parameter_is_one_of_the_shipped_presets(app_stores: Path, value: str) -> None:
    at = open_app({"preset": value})
    assert_calm(at, "preset")
    assert at.selectbox(key="lv:preset").value == "balanced"
    assert_no_payload_as_html(at)


@pytest.mark.parametrize(("key", "value"), [
    ("farmland.quota_pct", SCRIPT),
    ("farmland.quota_pct", SQL),
    ("farmland.quota_pct", "9" * 100_000),
    ("ecology.red_line_mode", "../../etc/passwd"),
    ("weights.compactness", "1e308"),
    ("farmland.region_quota_pct", '{"__proto__": 1, "a": "b"}'),
    ("farmland.region_quota_pct", "[" * 150),
    (SCRIPT, "1"),
    ("x" * 5000, "1"),
    ("solver.time_limit_s", "0"),
    ("solver.workers", "100000"),
])
def test_lever_parameters_warn_and_fall_back(app_stores: Path, key: str, value: str) -> None:
    """Hostile lever keys and values: warned about as text, the preset value kept."""
    at = open_app({**GROWTH, key: value})
    assert_calm(at)
    assert at.warning, "a bad lever must be reported"
    assert len(at.metric) == 7
    assert_no_payload_as_html(at)
    for warning in at.warning:
        assert len(warning.value) < 600  # a hostile value cannot flood the page


def test_hostile_values_are_shown_as_text_not_markup(app_stores: Path) -> None:
    """The warning carries the (cut) value verbatim: Streamlit shows it, never runs it."""
    at = open_app({**GROWTH, "farmland.quota_pct": SCRIPT})
    warnings = " ".join(w.value for w in at.warning)
    assert "<script>" in warnings  # shown as literal text in a warning box
    assert_no_payload_as_html(at)


def test_every_parameter_hostile_at_once(app_stores: Path) -> None:
    """All of the above in one link, plus a mode and a language that do not exist."""
    at = open_app({"store": "../../etc/passwd", "scenario": SQL, "preset": SCRIPT, "lang": SCRIPT,
                   "mode": "admin", "key": SQL, "farmland.quota_pct": "NaN", SCRIPT: SQL})
    assert_calm(at)
    assert at.session_state["store_name"] == "demo"
    assert at.query_params.get("mode", "") in ("", "readonly")
    assert "key" not in at.query_params
