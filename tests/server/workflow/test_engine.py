"""The procedures as state machines: roles, preconditions with zh/en reasons, records, deadlines."""
from datetime import date

import pytest

from server.workflow import (PROCEDURES, TransitionError, deadlines, load_calendar, options, procedure_for,
                             take)

IM8 = PROCEDURES["identification_im8"]
SIMPLE = PROCEDURES["identification_simplified"]


def allowed(opts):
    return {o.transition.name for o in opts if o.allowed}


def blocked(opts, name):
    return {r.code for o in opts if o.transition.name == name for r in o.blocked_by}


def walk(proc, steps, ctx):
    """Take (name, role, data, day) steps, applying context updates; returns final state and ctx."""
    state = proc.initial
    ctx = dict(ctx)
    history = []
    for name, role, data, day in steps:
        ctx["today"] = day
        step = take(proc, state, name, ctx, role, data)
        ctx.update(step.context_updates)
        state = step.to_state
        history.append((name, day))
    return state, ctx, history


def test_self_declaration_must_be_accepted_first():
    ctx = {"entry_channel": "self_declaration", "today": date(2024, 3, 1)}
    opts = options(IM8, "new", ctx, "village")
    assert allowed(opts) == {"apply"}
    assert "not_self_declared" in blocked(opts, "visit_direct")


@pytest.mark.parametrize("channel", ["cadre_check", "department_warning", "social_supervision"])
def test_other_entry_channels_skip_the_application(channel):
    ctx = {"entry_channel": channel, "today": date(2024, 3, 1)}
    opts = options(IM8, "new", ctx, "collector")
    assert allowed(opts) == {"visit_direct"}
    assert "self_declared" in blocked(opts, "apply")


def test_authorization_needs_photo_and_survey_and_reasons_are_bilingual():
    opts = options(IM8, "visited", {"today": date(2024, 3, 1)}, "collector")
    auth = next(o for o in opts if o.transition.name == "authorize")
    assert not auth.allowed
    codes = {r.code: r for r in auth.blocked_by}
    assert set(codes) == {"authorization_photo", "survey_collected"}
    assert "承诺授权书" in codes["authorization_photo"].zh
    assert "authorization" in codes["authorization_photo"].en
    ok = options(IM8, "visited", {"today": date(2024, 3, 1), "authorization_photo": "a.jpg", "has_survey": True},
                 "collector")
    assert "authorize" in allowed(ok)


def test_wrong_role_is_a_blocking_reason():
    opts = options(IM8, "village_notice", {"today": date(2024, 3, 20), "notice_started_on": date(2024, 3, 1)},
                   "village")
    assert "role" in blocked(opts, "township_verify")
    with pytest.raises(TransitionError) as err:
        take(IM8, "village_notice", "township_verify", {"today": date(2024, 3, 20),
                                                         "notice_started_on": date(2024, 3, 1)}, "village")
    assert [r.code for r in err.value.reasons] == ["role"]


def test_notice_of_five_days_and_objection():
    base = {"notice_started_on": date(2024, 3, 1)}
    assert "notice_elapsed" in blocked(options(IM8, "village_notice", {**base, "today": date(2024, 3, 5)},
                                               "township"), "township_verify")
    assert "township_verify" in allowed(options(IM8, "village_notice", {**base, "today": date(2024, 3, 6)},
                                                "township"))
    assert "no_objection" in blocked(options(IM8, "village_notice",
                                             {**base, "today": date(2024, 3, 9), "objection": True}, "township"),
                                     "township_verify")


def test_im8_full_walk_records_identification_date_and_household_no():
    ctx = {"entry_channel": "self_declaration", "authorization_photo": "auth.jpg", "has_survey": True,
           "comparison_done": True, "open_exclusion_warnings": 0, "assessment": {"eligible": True}}
    steps = [
        ("apply", "village", {"note": "本人到村申请"}, date(2024, 3, 1)),
        ("visit", "collector", {}, date(2024, 3, 4)),
        ("authorize", "collector", {}, date(2024, 3, 4)),
        ("publish_village_notice", "village", {"meeting_note": "村民代表大会通过"}, date(2024, 3, 5)),
        ("township_verify", "township", {}, date(2024, 3, 11)),
        ("compare_data", "county", {}, date(2024, 3, 12)),
        ("county_approve", "county", {}, date(2024, 3, 13)),
        ("enter_system", "township", {"household_no": "H-0001"}, date(2024, 3, 19)),
    ]
    state, ctx, history = walk(IM8, steps, ctx)
    assert state == "entered"
    assert ctx["identified_on"] == date(2024, 3, 19)
    assert ctx["household_no"] == "H-0001"
    status = {d.code: d for d in deadlines(IM8, history, load_calendar(), date(2024, 3, 19))}
    assert status["self_declaration_check"].due_on == date(2024, 3, 8)
    assert not status["self_declaration_check"].overdue
    assert status["identification_total"].met_on == date(2024, 3, 19)
    assert not status["identification_total"].overdue
    # township re-check: notice 5 days (to 10 Mar, Sunday) then 3 working days → 13 Mar
    assert status["township_recheck"].due_on == date(2024, 3, 13)


def test_open_deadline_becomes_overdue():
    history = [("apply", date(2024, 9, 27))]
    status = deadlines(IM8, history, load_calendar(), date(2024, 10, 10))
    check = next(d for d in status if d.code == "self_declaration_check")
    # 5 working days from Fri 27 Sep 2024: Sun 29 Sep (adjusted), 30 Sep, then 8, 9, 10 Oct
    assert check.due_on == date(2024, 10, 10) and check.met_on is None and not check.overdue
    later = deadlines(IM8, history, load_calendar(), date(2024, 10, 11))
    assert next(d for d in later if d.code == "self_declaration_check").overdue


def test_county_approval_requires_eligible_assessment_and_clear_comparison():
    opts = options(IM8, "data_compared", {"today": date(2024, 3, 1), "assessment": {"eligible": False}}, "county")
    assert "assessment_eligible" in blocked(opts, "county_approve")
    opts = options(IM8, "township_verified", {"today": date(2024, 3, 1), "comparison_done": True,
                                              "open_exclusion_warnings": 2}, "county")
    assert "comparison_clear" in blocked(opts, "compare_data")


def test_reject_requires_a_reason_which_is_recorded():
    with pytest.raises(TransitionError) as err:
        take(IM8, "visited", "reject", {"today": date(2024, 3, 1)}, "township", {"reason": "  "})
    assert err.value.reasons[0].code == "field_required:reason"
    step = take(IM8, "visited", "reject", {"today": date(2024, 3, 1)}, "township",
                {"reason": "家庭成员有财政供养人员"})
    assert step.to_state == "rejected" and step.data == {"reason": "家庭成员有财政供养人员"}


def test_unknown_record_field_is_refused():
    with pytest.raises(TransitionError) as err:
        take(IM8, "new", "apply", {"today": date(2024, 3, 1), "entry_channel": "self_declaration"}, "village",
             {"income": 1})
    assert err.value.reasons[0].code == "field_unknown"


def test_return_clears_the_notice_and_goes_back_to_visited():
    step = take(IM8, "township_verified", "return", {"today": date(2024, 3, 1)}, "county", {"reason": "收入核算有误"})
    assert step.to_state == "visited" and step.context_updates == {"notice_started_on": None}


def test_simplified_variant_has_one_notice_and_authorization_at_the_home_check():
    names = [t.name for t in SIMPLE.transitions]
    assert names.count("publish_village_notice") == 1
    assert "authorize" not in names and "county_notice" not in SIMPLE.states
    opts = options(SIMPLE, "new", {"today": date(2024, 3, 1), "entry_channel": "cadre_check"}, "collector")
    assert blocked(opts, "visit_direct") == {"authorization_photo", "survey_collected"}


ELIM = PROCEDURES["elimination"]


def elim_ctx(**kw):
    ctx = {"identified_on": date(2024, 1, 15), "assessment": {"elimination_eligible": True}, "measures_count": 2,
           "whole_household_no_labour": False}
    ctx.update(kw)
    return ctx


def test_elimination_not_in_identification_month_nor_before_six_months():
    opts = options(ELIM, "monitoring", elim_ctx(today=date(2024, 1, 30)), "village")
    assert {"not_identification_month", "monitored_long_enough"} <= blocked(opts, "check")
    opts = options(ELIM, "monitoring", elim_ctx(today=date(2024, 7, 14)), "village")
    assert blocked(opts, "check") == {"monitored_long_enough"}
    assert "check" in allowed(options(ELIM, "monitoring", elim_ctx(today=date(2024, 7, 15)), "village"))


def test_inner_mongolia_2021_has_no_minimum_but_keeps_the_month_rule():
    im = procedure_for("elimination", "150102001001")
    assert im.params["min_months_monitored"] == 0
    assert blocked(options(im, "monitoring", elim_ctx(today=date(2024, 1, 30)), "village"), "check") == \
        {"not_identification_month"}
    assert "check" in allowed(options(im, "monitoring", elim_ctx(today=date(2024, 2, 1)), "village"))


def test_elimination_guards_labour_measures_and_assessment():
    opts = options(ELIM, "monitoring", elim_ctx(today=date(2024, 9, 1), whole_household_no_labour=True,
                                                measures_count=0, assessment={"elimination_eligible": False}),
                   "collector")
    assert blocked(opts, "check") == {"has_labour", "has_measure", "elimination_eligible"}


def test_marking_only_inside_the_quarterly_window_with_a_method():
    ctx = elim_ctx(today=date(2024, 8, 20), notice_started_on=date(2024, 8, 10))
    assert "quarterly_window" in blocked(options(ELIM, "county_notice", ctx, "township"), "mark")
    ctx["today"] = date(2024, 9, 2)
    with pytest.raises(TransitionError) as err:
        take(ELIM, "county_notice", "mark", ctx, "township", {})
    assert [r.code for r in err.value.reasons] == ["field_required:method"]
    with pytest.raises(TransitionError):
        take(ELIM, "county_notice", "mark", ctx, "township", {"method": "magic"})
    step = take(ELIM, "county_notice", "mark", ctx, "township", {"method": "assisted"})
    assert step.to_state == "eliminated" and step.context_updates["eliminated_on"] == date(2024, 9, 2)


GRAD = PROCEDURES["gradual_exit"]


def test_gradual_exit_period_between_6_and_12_months():
    with pytest.raises(TransitionError):
        take(GRAD, "cause_removed", "start_taper", {"today": date(2024, 1, 31)}, "county", {"taper_months": 3})
    step = take(GRAD, "cause_removed", "start_taper", {"today": date(2024, 1, 31)}, "county", {"taper_months": 6})
    ctx = {**step.context_updates}
    ctx["today"] = date(2024, 7, 30)
    assert "taper_elapsed" in blocked(options(GRAD, "tapering", ctx, "county"), "complete_exit")
    ctx["today"] = date(2024, 7, 31)
    assert "complete_exit" in allowed(options(GRAD, "tapering", ctx, "county"))


def test_region_configuration_picks_procedure_by_longest_prefix():
    assert procedure_for("identification", "150102001001").name == "identification_im8"
    assert procedure_for("identification", "410502001001").name == "identification_simplified"
    config = {"identification": {"default": "identification_im8", "4105": "identification_simplified"}}
    assert procedure_for("identification", "410502001001", config).name == "identification_simplified"
    assert procedure_for("identification", "410602001001", config).name == "identification_im8"


def test_every_transition_is_well_formed():
    from server.workflow import GUARDS, ROLES
    for proc in PROCEDURES.values():
        assert proc.initial in proc.states
        for t in proc.transitions:
            assert t.target in proc.states and set(t.sources) <= set(proc.states)
            assert set(t.roles) <= set(ROLES) and set(t.guards) <= set(GUARDS)
            assert t.zh and t.en
        reachable = {proc.initial}
        changed = True
        while changed:
            changed = False
            for t in proc.transitions:
                if reachable & set(t.sources) and t.target not in reachable:
                    reachable.add(t.target)
                    changed = True
        assert reachable == set(proc.states), proc.name
