"""Scenario presets shipped as commented TOML files (one per typical Chinese planning scenario).

Each file holds every lever with its unit and effect; :func:`load_preset` returns a validated
:class:`solver.scenario.Scenario`.
"""

from __future__ import annotations

import functools
import tomllib
from pathlib import Path

from solver.scenario import Scenario, ScenarioError

PRESET_DIR = Path(__file__).resolve().parent
#: Preset keys in display order: 自然发展, 耕地保护, 生态保护, 城镇发展, 协调发展.
PRESET_KEYS: tuple[str, ...] = ("trend", "farmland", "ecology", "growth", "balanced")


def preset_path(key: str) -> Path:
    """Path of the TOML file of preset ``key``; raises ScenarioError for an unknown key."""
    if key not in PRESET_KEYS:
        raise ScenarioError(f"unknown preset '{key}'; known presets: {', '.join(PRESET_KEYS)}")
    return PRESET_DIR / f"{key}.toml"


# The preset files ship with the package and do not change while a process runs: read once
# (the dashboard asks for presets and their names on every rerun).
@functools.cache
def load_preset(key: str) -> Scenario:
    """The validated Scenario of preset ``key`` (immutable, so shared between callers)."""
    return Scenario.from_toml(preset_path(key))


@functools.cache
def _preset_names() -> tuple[tuple[str, str, str, str], ...]:
    out = []
    for key in PRESET_KEYS:
        data = tomllib.loads(preset_path(key).read_text(encoding="utf-8"))
        out.append((key, data["name_zh"], data["name_en"], data.get("description", "")))
    return tuple(out)


def list_presets() -> list[dict[str, str]]:
    """``[{"key", "name_zh", "name_en", "description"}]`` for every preset, in display order."""
    return [dict(zip(("key", "name_zh", "name_en", "description"), row, strict=True))
            for row in _preset_names()]
