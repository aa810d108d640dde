"""The templates are data officials edit: the shipped file loads, versions resolve by date,
and every mistake is named by item with a Chinese message."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml

from xinyong.catalog.loader import default_catalog
from xinyong.commitments.errors import TemplatesError
from xinyong.commitments.templates import (
    TEMPLATES_PATH,
    Filled,
    load_templates,
    render,
)

CATALOG = default_catalog()


def _shipped() -> dict:
    return yaml.safe_load(TEMPLATES_PATH.read_text(encoding="utf-8"))


def _write(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "templates.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def _problems(tmp_path: Path, data: dict) -> list[tuple[str, str]]:
    with pytest.raises(TemplatesError) as caught:
        load_templates(CATALOG, _write(tmp_path, data))
    assert caught.value.status == 500
    return [(e.field, e.message) for e in caught.value.errors]


def test_shipped_templates_load_and_render_without_placeholders_left():
    book = load_templates(CATALOG)
    on = date(2026, 11, 23)
    for template in book.current(on):
        text = render(
            template,
            Filled("某公司", "91330106MA2000086A", "张三", "某事项", "某局", on, on),
        )
        assert "{" not in text and "某公司" in text
        assert text.count("\n") == len(template.items)


def test_the_latest_version_in_force_is_chosen(tmp_path):
    data = _shipped()
    newer = {**data["templates"][0], "version": 2, "effective_from": date(2027, 1, 1)}
    newer["name"] = "新版承诺书"
    data["templates"].append(newer)
    book = load_templates(CATALOG, _write(tmp_path, data))
    tid = newer["id"]
    assert book.in_force(tid, date(2026, 12, 31)).version == 1
    assert book.in_force(tid, date(2027, 1, 1)).name == "新版承诺书"
    assert book.in_force(tid, date(2025, 1, 1)) is None


def test_an_unknown_placeholder_is_named_by_template(tmp_path):
    data = _shipped()
    data["templates"][0]["text"] = "{subject_name} 承诺办理 {no_such_field} 事项"
    [(field, message)] = _problems(tmp_path, data)
    assert field.startswith("templates[0]（涉企经营许可事项告知承诺书）")
    assert "no_such_field" in message


def test_public_must_agree_with_the_catalog(tmp_path):
    data = _shipped()
    data["templates"][0]["public"] = True
    [(field, message)] = _problems(tmp_path, data)
    assert field == "templates[0]（涉企经营许可事项告知承诺书）.public"
    assert "不公示" in message


def test_every_type_needs_a_template_and_a_rule(tmp_path):
    data = _shipped()
    data["templates"] = [t for t in data["templates"] if t["type"] != "行业自律型"]
    [(_, message)] = _problems(tmp_path, data)
    assert "行业自律型" in message


def test_a_missing_reference_is_refused(tmp_path):
    data = _shipped()
    del data["templates"][1]["reference"]
    fields = [f for f, _ in _problems(tmp_path, data)]
    assert fields == ["templates[1]（容缺受理承诺书）.reference"]
