"""The OpenAPI 3 document of the REST API (every route under /api/v1, including other packages'
blueprints such as exports), generated from the routes and the marshmallow schemas."""
from __future__ import annotations

import re

from flask import current_app, jsonify
from marshmallow import Schema, fields

from . import bp, schemas
from .problems import CODES

# endpoint -> (request schema, response schema) where one exists
IO = {
    "api.login": (schemas.LoginIn, None),
    "api.me": (None, schemas.UserOut),
    "api.regions": (None, schemas.RegionOut), "api.region": (None, schemas.RegionOut),
    "api.users": (None, schemas.UserOut), "api.create_user": (schemas.UserIn, schemas.UserOut),
    "api.set_user_regions": (schemas.UserRegionsIn, schemas.UserOut),
    "api.households": (None, schemas.HouseholdOut), "api.household": (None, schemas.HouseholdDetailOut),
    "api.members": (None, schemas.MemberOut), "api.versions": (None, schemas.VersionOut),
    "api.assessments": (None, schemas.AssessmentOut), "api.warnings": (None, schemas.WarningOut),
    "api.submissions": (None, schemas.SubmissionOut), "api.rescore": (schemas.RescoreIn, None),
    "api.create_case": (schemas.CaseIn, schemas.CaseOut), "api.case": (None, schemas.CaseOut),
    "api.transition": (schemas.TransitionIn, schemas.CaseOut), "api.objection": (schemas.ObjectionIn, schemas.CaseOut),
    "api.overdue_deadlines": (None, schemas.DeadlineOut),
    "api.batches": (None, schemas.BatchOut), "api.batch": (None, schemas.BatchOut),
    "api.all_warnings": (None, schemas.WarningOut), "api.decide_warning": (schemas.DecisionIn, schemas.WarningOut),
}
PAGINATED = {"api.regions", "api.users", "api.households", "api.members", "api.versions", "api.assessments",
             "api.warnings", "api.submissions", "api.batches", "api.all_warnings", "api.household_audit"}

_TYPES = [(fields.Integer, "integer"), (fields.Float, "number"), (fields.Boolean, "boolean"),
          (fields.Dict, "object"), (fields.List, "array"), (fields.Nested, "object")]


def json_schema(schema_cls: type[Schema], *, for_input: bool) -> dict:
    props, required = {}, []
    for name, field in schema_cls().fields.items():
        if (field.load_only and not for_input) or (field.dump_only and for_input):
            continue
        kind = next((t for cls, t in _TYPES if isinstance(field, cls)), "string")
        prop: dict = {"type": kind}
        if isinstance(field, fields.Date):
            prop["format"] = "date"
        elif isinstance(field, fields.DateTime):
            prop["format"] = "date-time"
        if isinstance(field, fields.Nested):
            prop = {"type": "array", "items": json_schema(type(field.schema), for_input=for_input)} \
                if field.many else json_schema(type(field.schema), for_input=for_input)
        if field.allow_none:
            prop["nullable"] = True
        for validator in field.validators:
            if hasattr(validator, "choices"):
                prop["enum"] = list(validator.choices)
        props[name] = prop
        if for_input and field.required:
            required.append(name)
    out = {"type": "object", "properties": props}
    if required:
        out["required"] = required
    return out


def document() -> dict:
    paths: dict = {}
    for rule in current_app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.endpoint in ("api.openapi", "static"):
            continue
        path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule)
        view = current_app.view_functions[rule.endpoint]
        doc = (view.__doc__ or rule.endpoint).strip()
        request_schema, response_schema = IO.get(rule.endpoint, (None, None))
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            several = len(rule.methods - {"HEAD", "OPTIONS"}) > 1
            op: dict = {"operationId": rule.endpoint.replace(".", "_") + (f"_{method.lower()}" if several else ""),
                        "summary": doc.splitlines()[0], "description": doc,
                        "parameters": [{"name": a, "in": "path", "required": True,
                                        "schema": {"type": "integer" if "int:" in rule.rule else "string"}}
                                       for a in rule.arguments],
                        "responses": {"default": {"$ref": "#/components/responses/Problem"}}}
            if rule.endpoint in PAGINATED:
                op["parameters"] += [{"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1}},
                                     {"name": "per_page", "in": "query",
                                      "schema": {"type": "integer", "minimum": 1, "maximum": 500}}]
            if request_schema is not None:
                op["requestBody"] = {"content": {"application/json": {
                    "schema": json_schema(request_schema, for_input=True)}}}
            ok: dict = {"description": "OK"}
            if response_schema is not None:
                item = json_schema(response_schema, for_input=False)
                body = ({"type": "object", "properties": {"items": {"type": "array", "items": item},
                                                          "page": {"type": "integer"}, "per_page": {"type": "integer"},
                                                          "total": {"type": "integer"}}}
                        if rule.endpoint in PAGINATED else item)
                ok["content"] = {"application/json": {"schema": body}}
            op["responses"]["200"] = ok
            if rule.endpoint != "api.login":
                op["security"] = [{"bearer": []}, {"cookie": []}]
            paths.setdefault(path, {})[method.lower()] = op
    return {
        "openapi": "3.0.3",
        "info": {"title": "shoudi 守底 REST API", "version": "1",
                 "description": "Household register, workflow, department data comparison. Errors are JSON "
                                "problems {message, code, details}; codes: " + ", ".join(sorted(CODES))},
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"},
                                "cookie": {"type": "apiKey", "in": "cookie", "name": "session"}},
            "responses": {"Problem": {"description": "Error", "content": {"application/json": {"schema": {
                "type": "object", "required": ["message", "code"],
                "properties": {"message": {"type": "string"}, "code": {"type": "string", "enum": sorted(CODES)},
                               "details": {"type": "object"}}}}}}},
        },
    }


@bp.get("/openapi.json")
def openapi():
    """The OpenAPI document of this API."""
    return jsonify(document())
