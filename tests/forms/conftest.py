"""Fixtures for forms tests: a small policy, and the ODK Web Forms engine run under Node."""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from forms import FormPolicy, Village

ENGINE_DIR = Path(__file__).resolve().parents[1] / "engine"


@pytest.fixture(scope="session")
def policy() -> FormPolicy:
    return FormPolicy(
        region_code="150121", region_name="土默特左旗", year=2026, floor=8000,
        income_period="2025年11月—2026年10月",
        villages=(
            Village("150121", "土默特左旗", "150121100", "察素齐镇", "150121100201", "东村"),
            Village("150121", "土默特左旗", "150121100", "察素齐镇", "150121100202", "西村"),
            Village("150121", "土默特左旗", "150121101", "毕克齐镇", "150121101201", "南村"),
        ))


class Engine:
    """Runs tests/engine/fill.mjs: load an XForm, apply fill steps, return the engine's view."""

    def run(self, xml: bytes, steps: list[dict], media: dict[str, bytes] | None = None) -> dict:
        payload = {"form": xml.decode("utf-8"), "steps": steps,
                   "media": {k: v.decode("utf-8") for k, v in (media or {}).items()}}
        proc = subprocess.run(["node", "--conditions=browser", "fill.mjs"], input=json.dumps(payload),
                              capture_output=True, text=True, cwd=ENGINE_DIR, timeout=120)
        assert proc.stdout, f"engine produced no output: {proc.stderr[-2000:]}"
        out = json.loads(proc.stdout)
        assert out.get("loaded"), f"engine failed: {out.get('error')}"
        return out


@pytest.fixture(scope="session")
def engine() -> Engine:
    if shutil.which("node") is None:
        msg = "!!! SKIPPED: Node.js is not installed — XForm engine tests did not run !!!"
        print("\n" + msg)
        pytest.skip(msg)
    if not (ENGINE_DIR / "node_modules" / "@getodk" / "xforms-engine").is_dir():
        pytest.fail("Node is present but the XForm engine is not installed: run "
                    "`cd tests/engine && npm ci` (tests/run_all.sh does it)")
    return Engine()
