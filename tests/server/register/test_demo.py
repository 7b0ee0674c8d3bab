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
