"""How many taps a form costs: each shipped form walked in the ODK Web Forms engine for reference
households (bench/forms/reference.py), reporting

- answers: questions whose value the cadre had to give or change (a default left alone, a value
  computed or pre-filled, a question never shown cost nothing), and how many of them are 是/否;
- shown: questions and notes shown (relevant) once the form is complete, every member counted;
- pages: screens in ODK Collect with field-list groups (a field-list group or repeat entry is one
  screen, any other shown question or note is one screen);
- swipes: pages plus the "add another member?" dialog Collect shows after each repeat entry.

Run: .venv/bin/python bench/forms/bench_taps.py [--json] [--household NAME ...] [--form ID ...]
Needs Node and tests/engine (``cd tests/engine && npm ci``). Each fill must end complete and
without a constraint violation, else the bench reports the problem (the numbers would be wrong).
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import forms  # noqa: E402
from forms.catalog import fields_of  # noqa: E402
from forms.policy import FormPolicy, Village  # noqa: E402

from bench.forms import reference  # noqa: E402

ENGINE_DIR = ROOT / "tests" / "engine"
PROMPTS = ("input", "select", "upload", "note", "trigger", "range", "rank")
POLICY = FormPolicy(
    region_code="150121", region_name="土默特左旗", year=2026, floor=8000,
    income_period="2025年11月—2026年10月",
    villages=(Village("150121", "土默特左旗", "150121100", "察素齐镇", "150121100201", "东村"),
              Village("150121", "土默特左旗", "150121100", "察素齐镇", "150121100202", "西村")))
ENTITY_ID = "7d1f1e1e-0000-4000-8000-0000000000a1"


@dataclass
class Measure:
    form: str
    household: str
    answers: int = 0
    yes_no: int = 0
    shown: int = 0
    pages: int = 0
    swipes: int = 0
    problems: list = field(default_factory=list)


def run_engine(xml: bytes, steps: list[dict], media: dict[str, bytes]) -> dict:
    payload = {"form": xml.decode("utf-8"), "steps": steps, "tree": True,
               "media": {k: v.decode("utf-8") for k, v in media.items()}}
    proc = subprocess.run(["node", "--conditions=browser", "fill.mjs"], input=json.dumps(payload),
                          capture_output=True, text=True, cwd=ENGINE_DIR, timeout=300)
    if not proc.stdout:
        raise RuntimeError(f"engine produced no output: {proc.stderr[-2000:]}")
    out = json.loads(proc.stdout)
    if not out.get("loaded"):
        raise RuntimeError(f"engine failed: {out.get('error')}")
    return out


def _nodes(tree: dict, out: dict) -> dict:
    out[tree["ref"]] = tree
    for child in tree.get("children") or ():
        _nodes(child, out)
    return out


def _shown(node: dict) -> int:
    if not node["relevant"]:
        return 0
    if node["type"] in PROMPTS:
        return 1
    return sum(_shown(c) for c in node.get("children") or ())


def _screens(node: dict) -> tuple[int, int]:
    """(pages, repeat dialogs) Collect shows for ``node`` in field-list mode."""
    if not node["relevant"]:
        return 0, 0
    kind = node["type"]
    if kind in PROMPTS:
        return 1, 0
    if kind == "model-value":
        return 0, 0
    field_list = "field-list" in (node.get("appearances") or ())
    if kind.startswith("repeat-range"):
        pages = dialogs = 0
        for entry in node.get("children") or ():
            if field_list or "field-list" in (entry.get("appearances") or ()):
                pages += 1 if _shown(entry) else 0
            else:
                p, d = _screens(entry)
                pages, dialogs = pages + p, dialogs + d
            dialogs += 1
        return pages, dialogs
    if field_list and kind in ("group", "repeat-instance"):
        return (1 if _shown(node) else 0), 0
    pages = dialogs = 0
    for child in node.get("children") or ():
        p, d = _screens(child)
        pages, dialogs = pages + p, dialogs + d
    return pages, dialogs


def measure(form_id: str, name: str, steps: list[dict], built, media: dict[str, bytes]) -> Measure:
    out = run_engine(built.xml_bytes, steps, {**built.media, **media})
    nodes = _nodes(out["tree"], {})
    yes_no_names = {f.name for _, f in fields_of(form_id) if f.choices == "yes_no"}
    m = Measure(form_id, name)
    for entry in out["log"]:
        node = nodes.get(entry["ref"])
        if entry["skipped"] or node is None or not node["relevant"]:
            continue
        if (entry["before"] or "") != (entry["after"] or ""):
            m.answers += 1
            if entry["ref"].rsplit("/", 1)[-1] in yes_no_names:
                m.yes_no += 1
    m.shown = _shown(out["tree"])
    m.pages, dialogs = _screens(out["tree"])
    m.swipes = m.pages + dialogs
    if out["violations"]:
        m.problems.append({"violations": out["violations"]})
    if out["status"] != "ready":
        m.problems.append({"pending": out.get("payloadViolations")})
    m._instance = out["instance"]  # type: ignore[attr-defined]
    return m


def _entity_row(survey_instance: str) -> bytes:
    parsed = forms.parse_submission(survey_instance.encode("utf-8"))
    props = dict(parsed.entity["properties"])
    props["last_visit"] = props.get("last_visit") or "2026-10-01"
    return forms.households_csv([(ENTITY_ID, parsed.entity["label"] or "", 1, props)])


OTHER_FORMS = {
    "followup_visit": {"household": ENTITY_ID, "wage_migrant_work": "12000", "received_assistance": "no",
                       "visit_note": "务工收入减少"},
    "elimination_check": {"household": ENTITY_ID, "elim_measures_in_place": "yes",
                          "elim_guarantees_consolidated": "yes", "elim_income_stable": "yes",
                          "elim_spending_resolved": "yes", "elimination_method": "assisted",
                          "elimination_opinion": "收入稳定，同意消除"},
    "self_declaration": {"decl_description": "母亲摔伤住院", "decl_consent": "yes", "risks": "accident"},
    "authorization": {"proxy_reason": "户主外出务工", "proxy_name": "李秀兰", "proxy_relation": "spouse",
                      "proxy_id_number": reference.resident_id("19830820", "042"),
                      "thumbprint_photo": "thumb.jpg"},
}


def run(households: list[str] | None = None, form_ids: list[str] | None = None) -> list[Measure]:
    built = {b.form_id: b for b in forms.build_all(POLICY)}
    results: list[Measure] = []
    for name, make in reference.HOUSEHOLDS.items():
        if households and name not in households:
            continue
        hh = make()
        survey = None
        if not form_ids or "household_survey" in form_ids or name == reference.REFERENCE:
            survey = measure("household_survey", name, reference.fill_steps("household_survey", hh),
                             built["household_survey"], {})
            if not form_ids or "household_survey" in form_ids:
                results.append(survey)
        if name != reference.REFERENCE:
            continue
        for form_id, extra in OTHER_FORMS.items():
            if form_ids and form_id not in form_ids:
                continue
            media = {forms.HOUSEHOLDS_CSV: _entity_row(survey._instance)}  # type: ignore[attr-defined]
            results.append(measure(form_id, name, reference.fill_steps(form_id, hh, extra),
                                   built[form_id], media))
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--household", action="append", help=f"one of {list(reference.HOUSEHOLDS)}")
    parser.add_argument("--form", action="append", help="form id (default: all)")
    args = parser.parse_args(argv)
    results = run(args.household, args.form)
    if args.json:
        print(json.dumps([asdict(r) for r in results], ensure_ascii=False, indent=1))
    else:
        print(f"{'form':<18} {'household':<36} {'answers':>7} {'是/否':>5} {'shown':>6} {'pages':>6} {'swipes':>6}")
        for r in results:
            print(f"{r.form:<18} {r.household:<36} {r.answers:>7} {r.yes_no:>5} {r.shown:>6} {r.pages:>6}"
                  f" {r.swipes:>6}" + ("  PROBLEM " + json.dumps(r.problems, ensure_ascii=False)[:300]
                                      if r.problems else ""))
    return 1 if any(r.problems for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
