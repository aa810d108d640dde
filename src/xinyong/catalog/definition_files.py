"""Reading a definition file that officials edit: YAML validated by a pydantic model, with
every problem named by file, item and message in Chinese (catalog, scorecards, lists)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from xinyong.errors import FieldError, XinyongError

M = TypeVar("M", bound=BaseModel)
ErrorFactory = Callable[[Path, list[FieldError]], XinyongError]


def item_path(data: Any, loc: tuple[Any, ...]) -> str:
    """``dimensions[1].indicators[0]（行政处罚）.fact``: where, with the item's name or id."""
    parts: list[str] = []
    node = data
    for step in loc:
        if isinstance(step, int):
            if parts:
                parts[-1] = f"{parts[-1]}[{step}]"
            else:
                parts.append(f"[{step}]")
            node = node[step] if isinstance(node, list) and step < len(node) else None
            label = node.get("name") or node.get("id") if isinstance(node, dict) else None
            if label:
                parts[-1] += f"（{label}）"
        else:
            parts.append(str(step))
            node = node.get(step) if isinstance(node, dict) else None
    return ".".join(parts) or "(根)"


def read_yaml(path: Path, *, prefix: str, error: ErrorFactory) -> tuple[Any, bytes]:
    """The parsed YAML and the raw bytes (for the definition hash)."""
    try:
        raw = path.read_bytes()
        return yaml.safe_load(raw), raw
    except OSError as exc:
        raise error(
            path,
            [FieldError("(文件)", f"{prefix}.unreadable", f"无法读取定义文件：{exc.strerror}")],
        ) from None
    except yaml.YAMLError as exc:
        raise error(
            path, [FieldError("(文件)", f"{prefix}.yaml_syntax", f"YAML 语法错误：{exc}")]
        ) from None


def validate(
    data: Any,
    model: type[M],
    path: Path,
    *,
    prefix: str,
    error: ErrorFactory,
    context: dict[str, Any] | None = None,
) -> M:
    """``model`` validated from ``data``; every pydantic problem named by its item."""
    try:
        return model.model_validate(data, context=context)
    except ValidationError as exc:
        problems = [
            FieldError(
                item_path(data, tuple(e["loc"])),
                f"{prefix}.{e['type']}",
                str(e["msg"]).removeprefix("Value error, "),
            )
            for e in exc.errors()
        ]
        raise error(path, problems) from None


def load_definition(
    path: Path, model: type[M], *, prefix: str, error: ErrorFactory
) -> tuple[M, bytes]:
    """Read and validate one definition file; returns the model and the file's bytes."""
    data, raw = read_yaml(path, prefix=prefix, error=error)
    return validate(data, model, path, prefix=prefix, error=error), raw
