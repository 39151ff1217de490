"""The one wording catalogue: every text the code asks for exists in both languages, with the
same placeholders, and English text is free of Chinese (issue 15, item 7)."""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import pytest

import wording
from tests.conftest import REPO_ROOT

CJK = re.compile(r"[\u4e00-\u9fff]")
# English entries that must name a Chinese term: the language switch, the 三调 survey.
CHINESE_ON_PURPOSE = {"language", "up_classes_help"}
LOOKUPS = {"t", "translate", "both"}
# Entries whose Chinese leaves a value out (the dotted lever key, a region already named).
FEWER_VALUES_IN_CHINESE = {"explain_alternative", "explain_lever", "explain_period_room"}


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def keys_asked_for() -> dict[str, list[str]]:
    """Literal keys passed to t()/translate()/both() anywhere in the project's code."""
    asked: dict[str, list[str]] = {}
    for package in ("dashboard", "data", "solver"):
        for path in (REPO_ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not (isinstance(node, ast.Call) and node.args):
                    continue
                name = getattr(node.func, "id", getattr(node.func, "attr", None))
                first = node.args[0]
                if name in LOOKUPS and isinstance(first, ast.Constant) and isinstance(first.value, str):
                    asked.setdefault(first.value, []).append(str(path.relative_to(REPO_ROOT)))
    return asked


def test_every_key_the_code_asks_for_is_in_the_catalogue():
    missing = {k: v for k, v in keys_asked_for().items() if k not in wording.TEXT}
    assert missing == {}


@pytest.mark.parametrize("key", sorted(wording.TEXT))
def test_each_entry_has_both_languages_with_the_same_placeholders(key):
    zh, en = wording.TEXT[key]
    assert zh.strip() and en.strip()
    if key in FEWER_VALUES_IN_CHINESE:
        assert placeholders(zh) < placeholders(en)
    else:
        assert placeholders(zh) == placeholders(en)
    if key not in CHINESE_ON_PURPOSE:
        assert not CJK.search(en), en


def test_a_key_defined_in_two_sections_is_refused():
    class Section:
        __name__ = "twice"
        TEXT = {"solve_OPTIMAL": ("x", "y")}

    with pytest.raises(ValueError, match="solve_OPTIMAL"):
        wording._merged((wording.results, Section))


def test_the_dashboard_reads_the_same_catalogue():
    from dashboard import i18n

    assert i18n.TEXT is wording.TEXT
    assert Path(i18n.__file__).read_text(encoding="utf-8").count("(\"") == 0  # no own entries
