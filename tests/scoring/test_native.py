"""The compiled (mypyc) scoring modules: same results as pure Python, never stale.

``make setup`` builds them into ``scoring/_native/`` (setup.py); ``scoring/_loader.py`` uses them only
while every ``scoring/*.py`` matches the hashes recorded at build time. These tests run in
subprocesses (the implementation is chosen once, at import). Tests that need a compiled build skip
when there is none, except under CI (``CI`` set), where ``make setup`` must have built it.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import scoring

ROOT = Path(__file__).resolve().parents[2]
PKG = ROOT / "scoring"
NATIVE = PKG / "_native"
FIXTURE = Path(__file__).with_name("fixtures") / "assess_golden.json"

REPORT = ("import json, scoring, scoring.members as m; "
          "print(json.dumps({'impl': scoring.IMPLEMENTATION, 'reason': scoring.IMPLEMENTATION_REASON,"
          " 'members_file': m.__file__}))")


def _need_compiled() -> None:
    if (NATIVE / "manifest.json").is_file() and scoring.IMPLEMENTATION == "compiled":
        return
    msg = f"no usable compiled scoring build: {scoring.IMPLEMENTATION_REASON}"
    if os.environ.get("CI"):
        pytest.fail(msg + " (make setup must build it in CI)")
    pytest.skip(msg)


def _run(code: str, pythonpath: Path, **env: str) -> subprocess.CompletedProcess:
    e = {k: v for k, v in os.environ.items() if k != "SHOUDI_SCORING_PURE"}
    e.update(env)
    e["PYTHONPATH"] = str(pythonpath)
    e["PYTHONWARNINGS"] = "always"
    return subprocess.run([sys.executable, "-c", code], cwd=pythonpath, env=e,
                          capture_output=True, text=True, timeout=300)


def _report(pythonpath: Path, **env: str) -> tuple[dict, str]:
    p = _run(REPORT, pythonpath, **env)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout.strip().splitlines()[-1]), p.stderr


@pytest.fixture
def copy_of_package(tmp_path: Path) -> Path:
    """A copy of the scoring package (with its compiled build, if any) under tmp_path."""
    shutil.copytree(PKG, tmp_path / "scoring", ignore=shutil.ignore_patterns("__pycache__"))
    return tmp_path


@pytest.mark.parametrize("impl", ["compiled", "pure"])
def test_golden_digest_in_both_implementations(impl):
    if impl == "compiled":
        _need_compiled()
    code = ("import json, sys; sys.path[:0] = ['tests/scoring']; import scoring, test_golden; "
            "print(json.dumps({'impl': scoring.IMPLEMENTATION, 'digests': test_golden._digests()}))")
    env = {"SHOUDI_SCORING_PURE": "1"} if impl == "pure" else {}
    p = _run(code, ROOT, **env)
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout.strip().splitlines()[-1])
    assert out["impl"] == impl
    golden = json.loads(FIXTURE.read_text(encoding="utf-8"))["digests"]
    changed = [i for i, (a, b) in enumerate(zip(out["digests"], golden)) if a != b]
    assert len(out["digests"]) == len(golden) and not changed, f"{impl}: {changed[:10]}"


def test_compiled_build_is_used_when_sources_match(copy_of_package):
    _need_compiled()
    out, err = _report(copy_of_package)
    assert out["impl"] == "compiled", out
    assert "/_native/" in out["members_file"] and out["members_file"].endswith(".so")
    assert "RuntimeWarning" not in err


@pytest.mark.parametrize("change", ["edit compiled module", "edit pure module", "new module"])
def test_edited_source_is_never_shadowed_by_stale_compiled_code(copy_of_package, change):
    _need_compiled()
    pkg = copy_of_package / "scoring"
    if change == "edit compiled module":
        # A behaviour change the compiled build does not have: the pure module must run.
        src = (pkg / "members.py").read_text(encoding="utf-8")
        (pkg / "members.py").write_text(src.replace("LABOUR_AGE_MIN = 16", "LABOUR_AGE_MIN = 15"),
                                        encoding="utf-8")
        changed = "members.py"
    elif change == "edit pure module":
        with open(pkg / "codes.py", "a", encoding="utf-8") as f:
            f.write("\n# edited\n")
        changed = "codes.py"
    else:
        (pkg / "extra.py").write_text("X = 1\n", encoding="utf-8")
        changed = "extra.py"
    out, err = _report(copy_of_package)
    assert out["impl"] == "pure", out
    assert out["members_file"] == str(pkg / "members.py")
    assert "stale" in out["reason"] and changed in out["reason"]
    assert "RuntimeWarning" in err and "stale" in err
    if change == "edit compiled module":
        p = _run("import scoring.members as m; print(m.LABOUR_AGE_MIN)", copy_of_package)
        assert p.stdout.strip() == "15"


def test_missing_build_falls_back_with_a_warning(copy_of_package):
    shutil.rmtree(copy_of_package / "scoring" / "_native", ignore_errors=True)
    out, err = _report(copy_of_package)
    assert out["impl"] == "pure"
    assert out["members_file"].endswith("members.py")
    assert "not built" in out["reason"]
    assert "RuntimeWarning" in err and "pure Python" in err


def test_forced_pure_is_silent(copy_of_package):
    out, err = _report(copy_of_package, SHOUDI_SCORING_PURE="1")
    assert out["impl"] == "pure" and out["reason"] == "SHOUDI_SCORING_PURE is set"
    assert out["members_file"].endswith("members.py")
    assert "RuntimeWarning" not in err


def test_unloadable_build_falls_back_whole(copy_of_package):
    """A compiled file that does not load: nothing compiled stays, the pure modules all run."""
    _need_compiled()
    native = copy_of_package / "scoring" / "_native"
    manifest = json.loads((native / "manifest.json").read_text(encoding="utf-8"))
    (native / manifest["modules"]["scoring.members"]).write_bytes(b"not an ELF file")
    code = ("import json, sys, scoring; "
            "mods = {n: getattr(sys.modules[n], '__file__', '') for n in sys.modules "
            "        if n.startswith('scoring') or n.endswith('__mypyc')}; "
            "print(json.dumps({'impl': scoring.IMPLEMENTATION, 'reason': scoring.IMPLEMENTATION_REASON,"
            " 'mods': mods}))")
    p = _run(code, copy_of_package)
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout.strip().splitlines()[-1])
    assert out["impl"] == "pure" and "failed to load" in out["reason"]
    scoring_mods = {n: f for n, f in out["mods"].items() if n.startswith("scoring.")}
    assert scoring_mods and all(f.endswith(".py") for f in scoring_mods.values()), scoring_mods
    assert "RuntimeWarning" in p.stderr


def test_wrong_python_falls_back(copy_of_package):
    _need_compiled()
    mf = copy_of_package / "scoring" / "_native" / "manifest.json"
    manifest = json.loads(mf.read_text(encoding="utf-8"))
    manifest["cache_tag"] = "cpython-299"
    mf.write_text(json.dumps(manifest), encoding="utf-8")
    out, _ = _report(copy_of_package)
    assert out["impl"] == "pure" and "another Python" in out["reason"]
