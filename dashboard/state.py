"""Session-state keys and the Scenario ⇄ URL query-parameter codec.

A share link holds the whole scenario: ``?store=demo&preset=balanced&farmland.quota_pct=95``.
Only values that differ from the preset travel in the URL, so links stay short; tables (per-region
levers, the demand table ``demand.rows``) travel as compact JSON. Anything
malformed falls back to the default with a warning; nothing from the URL reaches SQL or the
file system unchecked (the store name is matched against the list of stores).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from data.library import is_valid_token
from data.presets import PRESET_KEYS, load_preset
from solver.scenario import Scenario, ScenarioError, documented_keys

LANG_KEY = "lang"
MODE_KEY = "mode"           # "" | "readonly" | "present"
STORE_KEY = "store"
PRESET_KEY = "preset"
SAVED_KEY = "scenario"     # share token of a saved scenario
EDIT_KEY = "key"           # editing key of a shared server (never written back into the URL)
DEFAULT_PRESET = "balanced"
MODES = ("", "readonly", "present")
MAX_VALUE_LENGTH = 200
#: Keys whose values may be longer: the demand table travels as compact JSON (≈ 50 characters
#: a row, so 4,000 hold some 70 rows, e.g. six classes in each of a dozen townships).
LONG_VALUE_LENGTHS: dict[str, int] = {"demand.rows": 4000}
RESERVED = (LANG_KEY, MODE_KEY, STORE_KEY, PRESET_KEY, SAVED_KEY, EDIT_KEY)


def lever_specs() -> dict[str, dict[str, Any]]:
    """Documented scenario keys by dotted name (unit, range, default, doc)."""
    return {row["key"]: row for row in documented_keys()}


def flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested sections → ``{"farmland.quota_pct": 95, ...}`` (region dicts stay whole)."""
    flat: dict[str, Any] = {}
    for key, value in data.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, Mapping) and not prefix:
            flat.update(flatten(value, f"{dotted}."))
        else:
            flat[dotted] = value
    return flat


def encode_value(value: Any) -> str:
    """A scenario value as URL text: bools as 1/0, numbers shortest, tables as JSON."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int | float):
        return format(value, "g") if isinstance(value, float) else str(value)
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def max_length(key: str) -> int:
    """Longest URL value accepted for a scenario key (a hostile link cannot send megabytes)."""
    return LONG_VALUE_LENGTHS.get(key, MAX_VALUE_LENGTH)


def too_long(params: Mapping[str, str]) -> list[str]:
    """Keys of ``params`` whose values a link could not carry back (over :func:`max_length`)."""
    return [k for k, v in params.items() if k not in RESERVED and len(v) > max_length(k)]


def decode_value(text: str, spec: Mapping[str, Any]) -> Any:
    """URL text → a value of the lever's type; ``ValueError`` naming what was expected."""
    limit = max_length(str(spec.get("key", "")))
    if len(text) > limit:
        raise ValueError(f"longer than {limit} characters")
    if spec.get("unit") == "bool":
        if text.lower() in ("1", "true", "yes", "on"):
            return True
        if text.lower() in ("0", "false", "no", "off"):
            return False
        raise ValueError("expected 1 or 0")
    default = spec.get("default")
    if isinstance(default, str):
        return text
    if isinstance(default, tuple | list) or spec.get("per_region"):
        return _load_json(text)
    number = float(text)
    if not math.isfinite(number):
        raise ValueError("expected a finite number")
    return int(number) if isinstance(default, int) and number.is_integer() else number


def _load_json(text: str) -> Any:
    try:
        return json.loads(text)
    except RecursionError:  # "[[[[…" nested past Python's limit: garbage, not a crash
        raise ValueError("JSON nested too deeply") from None


def scenario_to_params(scenario: Scenario, preset: str) -> dict[str, str]:
    """Query parameters for a scenario: the preset plus every lever that differs from it."""
    base = flatten(load_preset(preset).to_dict())
    params = {PRESET_KEY: preset}
    for key, value in flatten(scenario.to_dict()).items():
        if key in lever_specs() and base.get(key) != value:
            params[key] = encode_value(value)
    return params


@dataclass
class DecodedLink:
    """What a URL asked for, after validation; ``warnings`` go on screen."""

    preset: str
    scenario: Scenario
    lang: str = "zh"
    mode: str = ""
    store: str | None = None
    token: str | None = None
    warnings: list[tuple[str, dict[str, str]]] = field(default_factory=list)


def params_to_scenario(params: Mapping[str, str]) -> DecodedLink:
    """Decode query parameters; each bad entry becomes a warning and keeps its default."""
    warnings: list[tuple[str, dict[str, str]]] = []
    preset = str(params.get(PRESET_KEY, DEFAULT_PRESET))
    if preset not in PRESET_KEYS:
        warnings.append(("bad_param", _warning(PRESET_KEY, preset, f"presets: {', '.join(PRESET_KEYS)}")))
        preset = DEFAULT_PRESET
    scenario = load_preset(preset)
    specs, unknown = lever_specs(), []
    for key, text in params.items():
        if key in RESERVED:
            continue
        if key not in specs:
            unknown.append(key[:40])
            continue
        try:
            scenario = scenario.with_value(key, decode_value(str(text), specs[key]))
        except (ValueError, ScenarioError, json.JSONDecodeError) as exc:
            warnings.append(("bad_param", _warning(key, str(text), str(exc))))
    if unknown:
        warnings.append(("unknown_param", {"keys": ", ".join(sorted(unknown))}))
    token = params.get(SAVED_KEY)
    if token is not None and not is_valid_token(token):
        warnings.append(("bad_param", _warning(SAVED_KEY, str(token), "not a share token")))
        token = None
    lang = params.get(LANG_KEY, "zh")
    mode = params.get(MODE_KEY, "")
    return DecodedLink(preset=preset, scenario=scenario,
                       lang=lang if lang in ("zh", "en") else "zh",
                       mode=mode if mode in MODES else "",
                       store=params.get(STORE_KEY), token=token, warnings=warnings)


def _warning(key: str, value: str, reason: str) -> dict[str, str]:
    # Shown as plain text (never as HTML); cut so a hostile value cannot flood the page.
    return {"key": key[:40], "value": value[:60], "reason": reason[:200]}
