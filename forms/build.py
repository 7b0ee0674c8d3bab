"""Build the shipped forms: catalog + policy → XLSForm workbook → XForm, with their media files."""
from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .catalog import FORMS
from .compile import compile_xlsform
from .errors import FormBuildError
from .fields import FORM_IDS
from .policy import REGIONS_CSV, FormPolicy, regions_csv, villages_from_csv
from .xlsform import sheets, workbook_bytes

DEMO_POLICY = Path(__file__).parent / "data" / "demo_policy.toml"


@dataclass(frozen=True)
class BuiltForm:
    """One generated form: the workbook a county can edit, the XForm the server publishes, and
    the media files its manifest lists (``households.csv`` is the server's entity list, not here)."""

    form_id: str
    version: str
    title: str
    xlsx_bytes: bytes
    xml_bytes: bytes
    media: dict[str, bytes] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()


def build_form(form_id: str, policy: FormPolicy) -> BuiltForm:
    """Generate and compile one form. Same inputs → byte-identical ``xlsx_bytes`` and ``xml_bytes``."""
    if form_id not in FORMS:
        raise FormBuildError(f"unknown form {form_id!r}; known: {', '.join(FORM_IDS)}")
    if not policy.villages:
        raise FormBuildError("the policy lists no villages: the location selects would be empty")
    s = sheets(form_id, policy)
    xlsx = workbook_bytes(s)
    xml, warnings = compile_xlsform(xlsx)
    title, _, version, _, _ = s.settings[0]
    return BuiltForm(form_id, version, title, xlsx, xml, {REGIONS_CSV: regions_csv(policy)}, tuple(warnings))


def build_all(policy: FormPolicy) -> list[BuiltForm]:
    """Every shipped form, in ``FORM_IDS`` order."""
    return [build_form(form_id, policy) for form_id in FORM_IDS]


def load_policy_file(path: str | Path) -> FormPolicy:
    """Read a policy file (TOML or JSON): region_code, region_name, year, floor, income_period,
    and ``villages`` = a CSV path relative to the file (columns of ``policy.Village``)."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text("utf-8")) if path.suffix == ".toml" \
            else json.loads(path.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise FormBuildError(f"cannot read policy file {path}: {exc}") from exc
    villages_path = data.get("villages")
    if not villages_path:
        raise FormBuildError(f"{path}: 'villages' (a CSV file) is required")
    try:
        villages = villages_from_csv((path.parent / villages_path).read_bytes())
        return FormPolicy(region_code=str(data["region_code"]), region_name=str(data["region_name"]),
                          year=int(data["year"]), floor=data["floor"],
                          income_period=str(data.get("income_period", "")), villages=villages)
    except KeyError as exc:
        raise FormBuildError(f"{path}: missing {exc.args[0]!r}") from exc
    except (OSError, ValueError) as exc:
        raise FormBuildError(f"{path}: {exc}") from exc


def cli_build(out_dir: str | Path, policy: FormPolicy | str | Path | None = None,
              form_ids: list[str] | tuple[str, ...] | None = None) -> list[Path]:
    """``shoudi forms build [--policy FILE] --out DIR``: write ``<form_id>.xlsx``,
    ``<form_id>.xml`` and ``<form_id>-media/<file>`` for each form; return the written paths.

    ``policy`` is a ``FormPolicy``, a policy file path, or ``None`` for the bundled demo policy.
    """
    if policy is None:
        policy = load_policy_file(DEMO_POLICY)
    elif not isinstance(policy, FormPolicy):
        policy = load_policy_file(policy)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for form_id in form_ids or FORM_IDS:
        built = build_form(form_id, policy)
        for name, data in ((f"{form_id}.xlsx", built.xlsx_bytes), (f"{form_id}.xml", built.xml_bytes)):
            (out / name).write_bytes(data)
            written.append(out / name)
        media_dir = out / f"{form_id}-media"
        media_dir.mkdir(exist_ok=True)
        for name, data in sorted(built.media.items()):
            (media_dir / name).write_bytes(data)
            written.append(media_dir / name)
    return written
