"""Choose the implementation of the compiled scoring modules: mypyc-compiled or pure Python.

Imported first by ``scoring/__init__.py``. The compiled modules (built by
``setup.py`` into ``scoring/_native/``) are used only when

- ``SHOUDI_SCORING_PURE`` is not set (set it to ``1`` to force pure Python, silently),
- ``_native/manifest.json`` exists, was built for this interpreter (cache tag, extension suffix),
- every ``scoring/*.py`` has exactly the SHA-256 recorded at build time (an edited, added or
  removed source makes the whole build stale), and
- all of them load.

Otherwise the pure-Python modules run and a ``RuntimeWarning`` says why (not when forced).
It is all or nothing: either every module of the manifest is the compiled one or none is.
``scoring.IMPLEMENTATION`` is ``"compiled"`` or ``"pure"``, ``scoring.IMPLEMENTATION_REASON`` why.
"""
from __future__ import annotations

import hashlib
import importlib
import importlib.machinery
import importlib.util
import json
import os
import sys
import warnings
from pathlib import Path

PACKAGE = __name__.rpartition(".")[0]  # "scoring"
HERE = Path(__file__).resolve().parent
NATIVE = HERE / "_native"

implementation = "pure"
reason = "not loaded yet"


class _NativeFinder:
    """Finds the compiled modules listed in the manifest (and only those)."""

    def __init__(self, files: dict[str, Path]):
        self.files = files

    def find_spec(self, fullname, path=None, target=None):  # noqa: ANN001 - importlib protocol
        f = self.files.get(fullname)
        if f is None:
            return None
        loader = importlib.machinery.ExtensionFileLoader(fullname, str(f))
        return importlib.util.spec_from_file_location(fullname, str(f), loader=loader)

    def invalidate_caches(self) -> None:
        pass


def _hashes(package_dir: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(package_dir.glob("*.py"))}


def _check(native: Path, package_dir: Path) -> tuple[dict | None, str]:
    """(manifest, "") when the compiled build may be used, else (None, why not)."""
    mf = native / "manifest.json"
    if not mf.is_file():
        return None, ("the compiled scoring modules are not built (no compiler at install "
                      "time?): run `make native`")
    try:
        manifest = json.loads(mf.read_text(encoding="utf-8"))
        modules = manifest["modules"]
        sources = manifest["sources"]
    except (ValueError, KeyError, TypeError, OSError) as exc:
        return None, f"unreadable {mf}: {exc}"
    if (manifest.get("cache_tag") != sys.implementation.cache_tag
            or manifest.get("ext_suffix") not in importlib.machinery.EXTENSION_SUFFIXES):
        return None, (f"the compiled scoring modules were built for another Python "
                      f"({manifest.get('cache_tag')}): run `make native`")
    current = _hashes(package_dir)
    changed = sorted(n for n in set(current) | set(sources) if current.get(n) != sources.get(n))
    if changed:
        return None, (f"the compiled scoring modules are stale ({', '.join(changed[:5])} changed "
                      "since they were built): run `make native`")
    missing = [f for f in modules.values() if not (native / f).is_file()]
    if missing:
        return None, f"compiled scoring files missing: {', '.join(missing)}"
    return manifest, ""


def install(native: Path = NATIVE, package_dir: Path = HERE) -> str:
    """Load the compiled modules when allowed (see module doc); returns the implementation."""
    global implementation, reason
    if os.environ.get("SHOUDI_SCORING_PURE", "") not in ("", "0"):
        implementation, reason = "pure", "SHOUDI_SCORING_PURE is set"
        return implementation
    manifest, why = _check(native, package_dir)
    if manifest is None:
        return _fallback(why)
    files = {name: native / f for name, f in manifest["modules"].items()}
    shared = manifest["shared"]
    early = sorted(n for n in files if n in sys.modules)
    if early:  # e.g. scoring.idcard imported by path before the package: cannot switch now
        return _fallback(f"{', '.join(early)} imported before the scoring package")
    finder = _NativeFinder(files)
    sys.meta_path.insert(0, finder)
    try:
        # The shared library first (the per-module shims import it by its top-level name),
        # then every compiled module, so a failure leaves nothing half-loaded.
        for name in [shared] + sorted(n for n in files if n != shared):
            importlib.import_module(name)  # (compiled siblings come in with their importers)
        for name in files:
            spec = sys.modules[name].__spec__
            if spec is None or not isinstance(spec.loader, importlib.machinery.ExtensionFileLoader):
                raise ImportError(f"{name} is not the compiled module")
    except Exception as exc:  # noqa: BLE001 - any failure: run the pure modules
        sys.meta_path.remove(finder)
        pkg = sys.modules.get(PACKAGE)
        for name in files:
            if sys.modules.pop(name, None) is not None and name.startswith(PACKAGE + "."):
                attr = name.rpartition(".")[2]
                if pkg is not None and attr in vars(pkg):
                    delattr(pkg, attr)
        return _fallback(f"the compiled scoring modules failed to load ({exc})")
    implementation = "compiled"
    reason = f"{manifest.get('compiler', 'mypyc')} build in {native}"
    return implementation


def _fallback(why: str) -> str:
    global implementation, reason
    implementation, reason = "pure", why
    warnings.warn(f"scoring runs as pure Python (about 1.7x slower): {why}", RuntimeWarning,
                  stacklevel=3)
    return implementation
