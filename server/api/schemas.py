"""Wire schemas (marshmallow): inputs are loaded and validated here, outputs dumped through here."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from scoring import codes
from server.roles import ROLE_CODES
from server.register.comparison import SOURCES
from server.workflow import ENTRY_CHANNELS

_REGION = fields.String(validate=validate.Regexp(r"^\d{12}$"))


class LoginIn(Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=64))
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=256))


class PasswordChangeIn(Schema):
    current_password = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=256))
    new_password = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=256))


class RegionOut(Schema):
    code = fields.String()
    name = fields.String()
    level = fields.String()
    parent_code = fields.String(allow_none=True)
    vintage = fields.Integer()


class UserIn(Schema):
    username = fields.String(required=True)
    display_name = fields.String(load_default="")
    role = fields.String(required=True, validate=validate.OneOf(ROLE_CODES))
    password = fields.String(required=True, load_only=True)
    region_codes = fields.List(_REGION, load_default=list)


class UserRegionsIn(Schema):
    region_codes = fields.List(_REGION, required=True)


class UserOut(Schema):
    id = fields.Integer()
    username = fields.String()
    display_name = fields.String()
    role = fields.String()
    active = fields.Boolean()
    region_codes = fields.List(fields.String())


class MemberOut(Schema):
    id = fields.Integer()
    id_number = fields.String()
    name = fields.String()
    relation = fields.String(allow_none=True)
    active = fields.Boolean()


class HouseholdOut(Schema):
    id = fields.Integer()
    key = fields.String()
    household_no = fields.String(allow_none=True)
    entity_id = fields.String()
    entity_version = fields.Integer()
    region_code = fields.String()
    head_name = fields.String()
    household_type = fields.String(allow_none=True)
    category = fields.String(allow_none=True)
    status = fields.String()
    status_reason = fields.String(allow_none=True)
    identified_on = fields.Date(allow_none=True)
    eliminated_on = fields.Date(allow_none=True)
    conflict = fields.String(allow_none=True)
    updated_at = fields.DateTime()


class HouseholdDetailOut(HouseholdOut):
    record = fields.Dict(attribute="current_version.record", allow_none=True)
    members = fields.List(fields.Nested(MemberOut))


class VersionOut(Schema):
    id = fields.Integer()
    number = fields.Integer()
    submission_version_id = fields.Integer(allow_none=True)
    form_id = fields.String(allow_none=True)
    base_version = fields.Integer(allow_none=True)
    conflict = fields.String(allow_none=True)
    conflict_fields = fields.List(fields.String())
    record = fields.Dict()
    created_at = fields.DateTime()


class AssessmentOut(Schema):
    id = fields.Integer()
    household_version_id = fields.Integer(allow_none=True)
    policy_region = fields.String()
    policy_year = fields.Integer()
    policy_version = fields.String()
    category = fields.String(allow_none=True)
    eligible = fields.Boolean(allow_none=True)
    elimination_eligible = fields.Boolean(allow_none=True)
    result = fields.Dict()
    job_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime()


class CaseIn(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(("identification", "gradual_exit")))
    entry_channel = fields.String(load_default=None, validate=validate.OneOf(tuple(ENTRY_CHANNELS)))
    # re-identifying an eliminated or exited household: why, and an explicit confirmation
    reason = fields.String(load_default=None, validate=validate.Length(max=2000))
    confirm = fields.Boolean(load_default=False)


class StepOut(Schema):
    id = fields.Integer()
    transition = fields.String()
    from_state = fields.String()
    to_state = fields.String()
    role = fields.String()
    user_id = fields.Integer(allow_none=True)
    on = fields.Date()
    data = fields.Dict()


class DeadlineOut(Schema):
    id = fields.Integer()
    case_id = fields.Integer()
    household_id = fields.Integer()
    region_code = fields.String()
    code = fields.String()
    started_on = fields.Date()
    due_on = fields.Date()
    met_on = fields.Date(allow_none=True)


class CaseOut(Schema):
    id = fields.Integer()
    household_id = fields.Integer()
    kind = fields.String()
    procedure = fields.String()
    state = fields.String()
    entry_channel = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)
    open = fields.Boolean()
    opened_at = fields.DateTime()
    closed_at = fields.DateTime(allow_none=True)


class TransitionIn(Schema):
    name = fields.String(required=True)
    data = fields.Dict(load_default=dict)
    on = fields.Date(load_default=None)     # the day the step happened (default today; never in the future)


class ObjectionIn(Schema):
    raised = fields.Boolean(required=True)
    note = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class ComparisonImportIn(Schema):
    source = fields.String(required=True, validate=validate.OneOf(tuple(SOURCES)))
    region_code = _REGION
    mapping = fields.Dict(keys=fields.String(), values=fields.String(), load_default=dict)
    options = fields.Dict(load_default=dict)


class BatchOut(Schema):
    id = fields.Integer()
    source = fields.String()
    region_code = fields.String()
    filename = fields.String()
    state = fields.String()
    stats = fields.Dict()
    job_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime()


class WarningOut(Schema):
    id = fields.Integer()
    batch_id = fields.Integer()
    household_id = fields.Integer()
    member_id = fields.Integer(allow_none=True)
    source = fields.String()
    exclusion = fields.String()
    record_date = fields.String(allow_none=True)
    detail = fields.Dict()
    status = fields.String()
    reason = fields.String(allow_none=True)
    decided_at = fields.DateTime(allow_none=True)


class DecisionIn(Schema):
    status = fields.String(required=True, validate=validate.OneOf(("confirmed", "overridden")))
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class RescoreIn(Schema):
    region_code = _REGION
    year = fields.Integer(load_default=None, validate=validate.Range(min=2015, max=2100))


class SubmissionOut(Schema):
    id = fields.Integer()
    instance_id = fields.String()
    form_id = fields.String()
    household_id = fields.Integer(allow_none=True)
    processing_state = fields.String()
    received_at = fields.DateTime()


EXCLUSION_CODES = codes.EXCLUSION.codes
