"""Uploaded and imported file names are stored as a bare, visible name: no path, no control
characters, bounded, with their Chinese characters and extension; base64 uploads are capped."""

from __future__ import annotations

import base64

import pytest

from xinyong.kit.uploads import (
    MAX_FILENAME_CHARS,
    MAX_UPLOAD_BYTES,
    UploadError,
    decode_upload,
    safe_filename,
)


@pytest.mark.parametrize(
    ("name", "stored"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\Windows\\证明材料.pdf", "证明材料.pdf"),
        ("C:\\Users\\张三\\信用修复申请.PDF", "信用修复申请.PDF"),
        ("整改\x00报告.pdf", "整改报告.pdf"),
        ("整改报告\r\nX-Injected: 1.pdf", "整改报告X-Injected_ 1.pdf"),
        ("\u202efdp.exe", "fdp.exe"),  # shown as exe.pdf with the right-to-left override
        ("零\u200b宽.docx", "零宽.docx"),
        ('"报告".pdf', "_报告_.pdf"),
        ("...隐藏.pdf. ", "隐藏.pdf"),
        ("营业执照（副本）.jpg", "营业执照（副本）.jpg"),
        ("", "未命名文件"),
        ("../", "未命名文件"),
        ("\x00\x01", "未命名文件"),
    ],
)
def test_file_name_is_its_last_component_without_control_characters(name, stored):
    assert safe_filename(name) == stored


def test_long_file_name_is_cut_keeping_its_extension():
    stored = safe_filename("杭州市市场监督管理局行政处罚决定书" * 30 + ".pdf")
    assert len(stored) == MAX_FILENAME_CHARS
    assert stored.startswith("杭州市市场监督管理局行政处罚决定书")
    assert stored.endswith(".pdf")


def test_upload_within_the_cap_is_decoded():
    assert decode_upload(base64.b64encode(b"%PDF-1.7").decode()) == b"%PDF-1.7"


def test_upload_over_the_cap_is_refused_before_decoding():
    text = "A" * (4 * (MAX_UPLOAD_BYTES // 3 + 2))
    with pytest.raises(UploadError) as exc:
        decode_upload(text)
    assert exc.value.kind == "too_large"
    with pytest.raises(UploadError) as exc:
        decode_upload(base64.b64encode(b"x" * 11).decode(), max_bytes=10)
    assert exc.value.kind == "too_large"


def test_upload_that_is_not_base64_is_refused():
    with pytest.raises(UploadError) as exc:
        decode_upload("不是base64")
    assert exc.value.kind == "encoding"
