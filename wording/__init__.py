"""The one wording catalogue (zh/en) of the project: status words, lever names and labels
(:mod:`wording.levers`, one entry per lever), explanations, report text and page labels.

Results carry structured facts (status, numbers, lever keys); the solver's messages, the
dashboard's pages and the briefing report render them from here, so a word is changed in one
place. This package imports nothing else of the project: every layer may use it.

Each section module holds a ``TEXT`` dict of ``key: (zh, en)``; :data:`TEXT` is their union
(a key defined in two sections is an error at import).
"""

from __future__ import annotations

from wording import (
    compare,
    grid,
    indicators,
    levers,
    monitoring,
    monitoring_page,
    monitoring_report,
    pages,
    province,
    province_page,
    report,
    results,
    upload,
    validation,
)

LANGUAGES = ("zh", "en")
SECTIONS = (results, levers, pages, compare, grid, upload, report, indicators, validation,
            monitoring, monitoring_page, monitoring_report, province, province_page)


def _merged(sections) -> dict[str, tuple[str, str]]:
    merged: dict[str, tuple[str, str]] = {}
    for section in sections:
        twice = merged.keys() & section.TEXT.keys()
        if twice:
            raise ValueError(f"wording keys defined twice ({section.__name__}): {sorted(twice)}")
        merged.update(section.TEXT)
    return merged


TEXT: dict[str, tuple[str, str]] = _merged(SECTIONS)


def translate(text_key: str, lang: str = "zh", /, **values: object) -> str:
    """The text of ``text_key`` in ``lang`` ("zh" or "en") with ``values`` filled in.

    An unknown key comes back as itself (a missing label shows, it never breaks a page).
    """
    pair = TEXT.get(text_key)
    if pair is None:
        return text_key
    text = pair[0] if lang == "zh" else pair[1]
    return text.format(**values) if values else text


def both(text_key: str, /, **values: object) -> tuple[str, str]:
    """``(zh, en)`` of ``text_key`` with the same values (for results that carry both)."""
    return translate(text_key, "zh", **values), translate(text_key, "en", **values)


def join_list(items, lang: str) -> str:
    """Items of a list in running text: 甲、乙 in Chinese, "a, b" in English."""
    return ("、" if lang == "zh" else ", ").join(items)


def join_sentences(parts, lang: str) -> str:
    """Sentences one after another (Chinese needs no space after its full stop)."""
    return ("" if lang == "zh" else " ").join(parts)


def gap_percent(gap: float) -> str:
    """A proven relative gap as "x.xx %", rounded up so that "at most x %" stays true."""
    import math

    return f"{math.ceil(100 * gap * 100 - 1e-9) / 100:.2f} %"
