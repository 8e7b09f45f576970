"""Plain encodings of the student's values, shared by the exporters.
Runs in the student's kernel."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np


class ExportError(Exception):
    """An object could not be exported; the message is for the student."""


def write_json(data: Any, name: str, export_dir: Path) -> str:
    """Write ``data`` to ``<name>.json`` in ``export_dir``; return the file name."""
    path = export_dir / f"{name}.json"
    path.write_text(json.dumps(data))
    return path.name


def number(value: Any) -> float | None:
    number = float(value)
    return number if math.isfinite(number) else None


def plain(obj: Any) -> Any:
    """Convert NumPy scalars and containers into JSON-able Python values."""
    if isinstance(obj, (str, bool)) or obj is None:
        return obj
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, (int, float, np.integer, np.floating)):
        value = obj.item() if hasattr(obj, "item") else obj
        return value if not isinstance(value, float) or math.isfinite(value) else str(value)
    if isinstance(obj, np.ndarray) and obj.size <= 10_000:
        return plain(obj.tolist())
    if isinstance(obj, (list, tuple)):
        return [plain(v) for v in obj]
    if isinstance(obj, dict):
        return {str(k): plain(v) for k, v in obj.items()}
    if hasattr(obj, "numpy"):  # a scalar tensor
        return plain(obj.numpy())
    raise ExportError(f"This value is a {type(obj).__name__}; a number, string, list or dict is expected.")

