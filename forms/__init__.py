"""forms — the shipped ODK forms: catalog + policy → XLSForm (.xlsx) → XForm, and back.

Public API (what the server calls):

``FormPolicy(region_code, region_name, year, floor, income_period="", villages=())``
    The policy input; ``villages`` are ``Village`` rows (county/township/village code + name)
    that become the ``regions.csv`` media file behind the cascading location selects.
    ``policy_from_scoring(policy, villages=..., income_period=None)`` adapts a
    ``scoring.load_policy(...)`` result; ``load_policy_file(path)`` reads a TOML/JSON file.
``FORM_IDS``
    ``household_survey``, ``followup_visit``, ``elimination_check``, ``self_declaration``,
    ``authorization``.
``build_form(form_id, policy) -> BuiltForm`` / ``build_all(policy) -> list[BuiltForm]``
    ``BuiltForm`` has ``.form_id``, ``.version`` (``<year>.<digest>``, changes with the content),
    ``.title``, ``.xlsx_bytes``, ``.xml_bytes``, ``.media`` ({file name: bytes}) and ``.warnings``.
    Same inputs give byte-identical outputs. ``households.csv`` (the entity list read by
    ``followup_visit`` and ``elimination_check``) is not in ``.media``: the server serves it as an
    entity list with header ``name,label,__version,*ENTITY_PROPERTIES``.
``cli_build(out_dir, policy=None, form_ids=None) -> list[Path]``
    Backs ``shoudi forms build [--policy FILE] --out DIR``: writes ``<id>.xlsx``, ``<id>.xml`` and
    ``<id>-media/*``; ``policy`` may be a ``FormPolicy``, a file path or None (bundled demo).
``compile_xlsform(xlsx_bytes_or_path) -> (xml_bytes, warnings)``
    For ``shoudi forms publish FILE.xlsx``; raises ``FormBuildError``.
``parse_submission(xml_bytes) -> ParsedSubmission``
    ``.form_id``, ``.form_version``, ``.instance_id``, ``.deprecated_id``, ``.instance_name``,
    ``.entity`` (dataset, id, create, update, base_version, label, properties), ``.attachments``
    and ``.record`` (docs/household-record.md). Raises ``SubmissionParseError``.
``ENTITY_PROPERTIES``
    Ordered entity property names (dataset ``households``); ``entity_list_header()`` and
    ``households_csv(rows)`` write the entity list file in the layout the forms read;
    ``entity_properties(record)`` gives a household record's property values;
    ``picker_label(head_name, properties)`` the label the follow-up picker shows (head, household
    size, last visit).
"""
from __future__ import annotations

from .build import BuiltForm, build_all, build_form, cli_build, load_policy_file
from .catalog import CATALOG, DATASET, ENTITY_PROPERTIES, FORMS, HOUSEHOLDS_CSV
from .compile import compile_xlsform
from .entities import entity_list_header, entity_properties, households_csv, picker_label
from .errors import FormBuildError, FormsError, SubmissionParseError
from .fields import FORM_IDS
from .policy import REGIONS_CSV, FormPolicy, Village, policy_from_scoring, regions_csv
from .submission import ParsedSubmission, parse_submission

__all__ = [
    "BuiltForm", "CATALOG", "DATASET", "ENTITY_PROPERTIES", "FORMS", "FORM_IDS", "FormBuildError",
    "FormPolicy", "FormsError", "HOUSEHOLDS_CSV", "ParsedSubmission", "REGIONS_CSV",
    "SubmissionParseError", "Village", "build_all", "build_form", "cli_build", "compile_xlsform",
    "entity_list_header", "entity_properties", "households_csv",
    "load_policy_file", "parse_submission", "picker_label", "policy_from_scoring", "regions_csv",
]
