"""Labels and messages of the monitoring page (监测评估, issue 16), in zh and en."""

from __future__ import annotations

TEXT: dict[str, tuple[str, str]] = {}
