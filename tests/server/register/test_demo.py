"""Demo households: plausible, valid ID numbers, registered and scored."""
from datetime import date

from sqlalchemy import func, select

from scoring.idcard import is_valid
from server.register.demo import seed_households
from server.register.models import Assessment, Household, Member


def test_demo_households_are_registered_and_scored(db_session, world):
    n = seed_households(db_session, ["150121100201", "150121100202"], per_village=3,
                        survey=date(2021, 6, 1), policy_year=2021)
    db_session.commit()
    assert n == 6 and db_session.scalar(select(func.count()).select_from(Household)) == 6
    ids = db_session.scalars(select(Member.id_number)).all()
    assert len(ids) == len(set(ids)) >= 12 and all(is_valid(i) for i in ids)
    assert db_session.scalar(select(func.count()).select_from(Assessment)) == 6
    categories = set(db_session.scalars(select(Household.category)))
    assert len(categories) >= 2          # some below the floor or hit by illness, some not


def test_without_policy_the_demo_stays_unscored(db_session, world):
    seed_households(db_session, ["150121100201"], per_village=1, survey=date(2026, 6, 1))
    db_session.commit()
    assert db_session.scalar(select(func.count()).select_from(Assessment)) == 0


def test_demo_records_use_only_codes_of_the_shared_vocabulary():
    """The demo is built by hand, not through forms.parse_submission: check every coded field
    against scoring/codes.py so that a misspelt code cannot reach the register or the exports."""
    import random

    from scoring import codes
    from server.register.demo import demo_record

    member_fields = {"sex": codes.SEX, "id_type": codes.ID_TYPE, "ethnicity": codes.ETHNICITY,
                     "relation": codes.RELATION, "political": codes.POLITICAL, "education": codes.EDUCATION,
                     "school_status": codes.SCHOOL_STATUS, "labour_skill": codes.LABOUR_SKILL,
                     "dibao": codes.DIBAO, "tekun": codes.TEKUN}
    rnd = random.Random(7)
    for n in range(200):
        record = demo_record(rnd, "150121100201", n, date(2026, 6, 1))
        assert record["household_type"] in codes.HOUSEHOLD_TYPE
        for risk in record.get("risks") or []:
            assert risk["code"] in codes.RISK
        for member in record["members"]:
            for name, code_list in member_fields.items():
                value = member.get(name)
                assert value is None or value in code_list, (name, value)
            assert all(h in codes.HEALTH for h in member["health"]), member["health"]
