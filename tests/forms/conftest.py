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


JAVAROSA_SOURCE = ENGINE_DIR / "javarosa" / "Fill.java"


class JavaRosa:
    """Runs tests/engine/javarosa/Fill.java (JavaRosa from pyxform's ODK_Validate.jar): fills a
    form question by question as ODK Collect does, checking constraints on the way."""

    def __init__(self, jar: Path, classes: Path, workdir: Path):
        self.jar, self.classes, self.workdir = jar, classes, workdir

    def run(self, xml: bytes, answers: list[tuple[str, str]], media: dict[str, bytes] | None = None) -> dict:
        import tempfile
        with tempfile.TemporaryDirectory(dir=self.workdir) as tmp:
            form = Path(tmp) / "form.xml"
            form.write_bytes(xml)
            for name, data in (media or {}).items():
                (Path(tmp) / name).write_bytes(data)
            stdin = "\n".join(f"{ref}\t{value}" for ref, value in answers)
            proc = subprocess.run(["java", "-cp", f"{self.jar}:{self.classes}", "Fill", str(form), tmp],
                                  input=stdin, capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0 and proc.stdout, f"JavaRosa failed: {proc.stderr[-3000:]}"
        return json.loads(proc.stdout)


@pytest.fixture(scope="session")
def javarosa(tmp_path_factory) -> JavaRosa:
    if shutil.which("java") is None or shutil.which("javac") is None:
        msg = "!!! SKIPPED: no Java JDK — JavaRosa (ODK Collect engine) fill tests did not run !!!"
        print("\n" + msg)
        pytest.skip(msg)
    from pyxform.validators import odk_validate
    jar = Path(odk_validate.__file__).parent / "bin" / "ODK_Validate.jar"
    assert jar.is_file(), f"pyxform's ODK_Validate.jar is missing at {jar}"
    classes = tmp_path_factory.mktemp("javarosa-classes")
    proc = subprocess.run(["javac", "-nowarn", "-cp", str(jar), "-d", str(classes), str(JAVAROSA_SOURCE)],
                          capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr
    return JavaRosa(jar, classes, tmp_path_factory.mktemp("javarosa-runs"))
