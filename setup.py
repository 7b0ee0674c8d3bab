"""Packaging for shoudi; metadata is in pyproject.toml. This file adds one build step:
the mypyc-compiled scoring modules, built into ``scoring/_native/`` — never next to the sources.

``pip install [-e] .`` (so ``make setup``) runs it from ``build_py``; after editing ``scoring/``
run ``make native`` (``python setup.py build_scoring``, which needs mypy in the
environment: it is a dev dependency) to rebuild in place.

The compiled extension modules go to a separate directory with a ``manifest.json`` that records
the SHA-256 of every ``scoring/*.py`` at build time. Python never finds them by itself (they are
not named like the package's modules); ``scoring/_loader.py`` loads them only when every recorded
hash matches the current sources, otherwise the pure-Python modules run with a ``RuntimeWarning``
saying why. So an edited ``.py`` can never be shadowed by stale compiled code.

A build that cannot compile (no mypy, no C compiler, no Python headers) prints a notice, removes
any older compiled modules and goes on: scoring then runs as pure Python (same results, slower).
``SHOUDI_SCORING_COMPILE=0`` skips the compilation.
"""
from __future__ import annotations

import hashlib
import importlib.machinery
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

#: The modules of the assess() hot path that are compiled. Everything else stays pure Python
#: (policy loading, the rule registry, code lists, message rendering).
COMPILED = ("assessment", "members", "income", "idcard", "spending", "guarantees", "risks",
            "category", "exclusions", "plausibility", "elimination", "measures")
NATIVE_DIR = "_native"
MANIFEST = "manifest.json"
SHARED = "scoring_native"  # mypyc's shared library: scoring_native__mypyc
SCHEMA = 1


def source_hashes(package_dir: Path) -> dict[str, str]:
    """SHA-256 of every ``*.py`` of the package (not only the compiled ones: compiled code also
    relies on the types of the modules it imports)."""
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(package_dir.glob("*.py"))}


def _notice(msg: str) -> None:
    print(f"*** shoudi scoring: {msg}", file=sys.stderr, flush=True)


def build(package_dir: Path, out_dir: Path | None = None, *, quiet: bool = True) -> bool:
    """Compile :data:`COMPILED` of ``package_dir`` into ``out_dir`` (default ``package_dir/_native``).

    Returns True on success. On failure prints why, leaves no compiled modules behind and
    returns False (scoring then runs as pure Python).
    """
    package_dir = Path(package_dir).resolve()
    out_dir = Path(out_dir).resolve() if out_dir else package_dir / NATIVE_DIR
    if os.environ.get("SHOUDI_SCORING_COMPILE", "1") == "0":
        shutil.rmtree(out_dir, ignore_errors=True)
        _notice("SHOUDI_SCORING_COMPILE=0: compiled scoring modules not built; pure Python will run")
        return False
    with tempfile.TemporaryDirectory(prefix="shoudi-mypyc-") as tmp:
        work = Path(tmp)
        try:
            exts = _compile(package_dir, work, quiet)
            hashes = source_hashes(work / "src" / "scoring")  # exactly what was compiled
        except BaseException as exc:  # noqa: BLE001 - any failure means "no compiled modules"
            if isinstance(exc, KeyboardInterrupt):
                raise
            shutil.rmtree(out_dir, ignore_errors=True)
            what = ("mypy found errors, printed above" if isinstance(exc, SystemExit)
                    else f"{type(exc).__name__}: {str(exc).strip()[:300]}")
            _notice(f"could not compile the scoring modules with mypyc ({what}); "
                    "the pure-Python modules will run "
                    "(same results, about 1.7x slower). Needs mypy, a C compiler and the "
                    "Python headers; then run `make native`.")
            return False
        # Assemble the new directory beside the old one, then swap it in.
        staging = Path(tempfile.mkdtemp(prefix=".native-", dir=out_dir.parent))
        modules = {}
        for name, built in exts.items():
            shutil.copy2(built, staging / built.name)
            modules[name] = built.name
        manifest = {
            "schema": SCHEMA,
            "cache_tag": sys.implementation.cache_tag,
            "ext_suffix": importlib.machinery.EXTENSION_SUFFIXES[0],
            "shared": f"{SHARED}__mypyc",
            "modules": modules,
            "sources": hashes,
            "compiler": _mypy_version(),
        }
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n",
                                        encoding="utf-8")
        shutil.rmtree(out_dir, ignore_errors=True)
        os.replace(staging, out_dir)
    if not quiet:
        _notice(f"compiled {len(COMPILED)} scoring modules into {out_dir}")
    return True


def _mypy_version() -> str:
    try:
        from mypy.version import __version__
        return f"mypyc {__version__}"
    except ImportError:  # pragma: no cover
        return "mypyc"


def _compile(package_dir: Path, work: Path, quiet: bool) -> dict[str, Path]:
    """Compile a copy of the package in ``work``; {module name: built extension file}."""
    from mypyc.build import mypycify
    from setuptools import Distribution

    src = work / "src"
    shutil.copytree(package_dir, src / "scoring",
                    ignore=shutil.ignore_patterns(NATIVE_DIR, "__pycache__", "*.so", "*.pyd"))
    paths = [f"scoring/{m}.py" for m in COMPILED]
    cwd = os.getcwd()
    os.chdir(src)
    try:
        exts = mypycify(paths, opt_level="3", separate=[(paths, SHARED)],
                        target_dir=str(work / "c"))
        dist = Distribution({"name": "shoudi-scoring-native", "ext_modules": exts})
        cmd = dist.get_command_obj("build_ext")
        cmd.build_lib = str(work / "lib")
        cmd.build_temp = str(work / "tmp")
        cmd.inplace = False
        cmd.ensure_finalized()
        if quiet:
            sys.stdout.flush()
            with open(os.devnull, "w") as null:  # the compiler command lines (errors stay on stderr)
                saved = os.dup(1)
                os.dup2(null.fileno(), 1)
                try:
                    cmd.run()
                finally:
                    os.dup2(saved, 1)
                    os.close(saved)
        else:
            cmd.run()
        out = {}
        for ext in exts:
            built = Path(cmd.get_ext_fullpath(ext.name))
            if not built.is_file():
                raise RuntimeError(f"mypyc produced no {built.name}")
            out[ext.name] = built
    finally:
        os.chdir(cwd)
    expected = {f"scoring.{m}" for m in COMPILED} | {f"{SHARED}__mypyc"}
    if set(out) != expected:
        raise RuntimeError(f"unexpected extension modules: {sorted(out)}")
    return out


_ROOT = Path(__file__).resolve().parent


class BuildPy(build_py):
    """build_py + the compiled scoring modules (in the source tree for an editable install)."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            build(_ROOT / "scoring")
        else:
            build(_ROOT / "scoring", Path(self.build_lib) / "scoring" / NATIVE_DIR)


if sys.argv[1:] == ["build_scoring"]:
    # `make native`: rebuild scoring/_native/ in place with the environment's mypy, without
    # going through setuptools (whose metadata checks need a newer setuptools than the venv's).
    sys.exit(0 if build(_ROOT / "scoring", quiet=False) else 1)

setup(cmdclass={"build_py": BuildPy})
