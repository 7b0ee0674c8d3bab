"""scoring imports none of the other packages, no web/database library and sets up no logging."""
import ast
import pathlib

import pytest

PKG = pathlib.Path(__file__).resolve().parents[2] / "scoring"
FORBIDDEN = ("server", "forms", "exports", "flask", "sqlalchemy", "logging", "requests", "psycopg")


@pytest.mark.parametrize("path", sorted(PKG.glob("*.py")), ids=lambda p: p.name)
def test_imports(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names = [node.module or ""]
        for name in names:
            assert name.split(".")[0] not in FORBIDDEN, f"{path.name} imports {name}"


def test_no_print_or_open_in_scoring():
    for path in PKG.glob("*.py"):
        src = path.read_text(encoding="utf-8")
        assert "print(" not in src and "open(" not in src, path.name
