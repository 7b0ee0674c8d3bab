"""The package's boundaries and its documentation."""
import subprocess
import sys
from pathlib import Path

from exports import formatters, layout, notices

ROOT = Path(__file__).resolve().parents[2]


def test_exports_imports_no_server_flask_or_sqlalchemy():
    code = ("import sys, exports.national, exports.notices, exports.central_csv, exports.photos, "
            "exports.batches; bad = [m for m in ('server', 'flask', 'sqlalchemy', 'forms') "
            "if m in sys.modules]; print(bad); sys.exit(1 if bad else 0)")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_formatter_layout_and_notice_kind_is_documented():
    doc = (ROOT / "docs" / "exports.md").read_text(encoding="utf-8")
    for name in formatters.FORMATTERS:
        assert f"| `{name}` |" in doc, f"formatter {name} is not in docs/exports.md"
    for layout_id in layout.builtin_ids():
        assert f"`{layout_id}`" in doc, f"layout {layout_id} is not in docs/exports.md"
    for kind in notices.kinds():
        assert f"`{kind}`" in doc, f"notice kind {kind} is not in docs/exports.md"
