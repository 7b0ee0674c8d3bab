"""forms.compile_xlsform with small inline XLSForms (Markdown tables, read by pyxform itself)."""
from __future__ import annotations

import pytest

from forms import FormBuildError, compile_xlsform

SMALL = """
| survey |
| | type | name | label |
| | integer | age | Age |
| | image | photo | Photo |
| settings |
| | form_id | version |
| | small | 1 |
"""

BROKEN = """
| survey |
| | type | name | label |
| | begin_group | g | G |
| | text | a | A |
"""


def test_compiles_a_markdown_xlsform_and_returns_warnings(tmp_path):
    path = tmp_path / "small.md"
    path.write_text(SMALL, "utf-8")
    xml, warnings = compile_xlsform(path)
    assert b'id="small"' in xml and b'version="1"' in xml
    assert any("max-pixels" in w for w in warnings)


def test_refuses_an_xlsform_that_does_not_compile(tmp_path):
    path = tmp_path / "broken.md"
    path.write_text(BROKEN, "utf-8")
    with pytest.raises(FormBuildError, match="does not compile"):
        compile_xlsform(path)


def test_refuses_bytes_that_are_not_a_workbook():
    with pytest.raises(FormBuildError):
        compile_xlsform(b"this is not a spreadsheet")


def test_refuses_other_file_types(tmp_path):
    path = tmp_path / "form.txt"
    path.write_text("x", "utf-8")
    with pytest.raises(FormBuildError, match="not an XLSForm"):
        compile_xlsform(path)
