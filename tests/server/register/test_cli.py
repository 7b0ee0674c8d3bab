"""The register's CLI: regions import, compare, rescore, overdue."""
from sqlalchemy import select

from server.models import Region
from server.register.households import apply_record
from server.register.models import Assessment, ComparisonWarning
from tests.server.register.world import HEAD_ID, record


def test_regions_import_compare_rescore_overdue(cli_runner, db_session, world, tmp_path):
    regions = tmp_path / "r.csv"
    regions.write_text("区划代码,名称\n150121100203,新村\n", encoding="utf-8")
    result = cli_runner("regions", "import", str(regions), "--vintage", "2024")
    assert result.exit_code == 0, result.output
    assert db_session.get(Region, "150121100203").name == "新村"
    bad = tmp_path / "bad.csv"
    bad.write_text("区划代码,名称\n15012110020,短\n", encoding="utf-8")
    assert cli_runner("regions", "import", str(bad), "--vintage", "2024").exit_code != 0

    apply_record(db_session, record(survey_date="2021-05-01"))
    db_session.commit()
    cars = tmp_path / "cars.csv"
    cars.write_text(f"身份证号码,号牌号码\n{HEAD_ID},蒙A1\n", encoding="utf-8")
    result = cli_runner("compare", "vehicles", str(cars), "--region", "150121000000", "--now")
    assert result.exit_code == 0, result.output
    db_session.rollback()
    assert db_session.scalars(select(ComparisonWarning.exclusion)).all() == ["vehicle"]

    result = cli_runner("rescore", "150121000000", "--year", "2021", "--now")
    assert result.exit_code == 0, result.output
    db_session.rollback()
    assert db_session.scalars(select(Assessment.policy_year)).all() == [2021]

    result = cli_runner("overdue", "--region", "150121000000")
    assert result.exit_code == 0 and "0 overdue" in result.output


def test_worker_once_runs_queued_jobs(cli_runner, db_session, world):
    from server.jobs import Job, enqueue
    apply_record(db_session, record(survey_date="2021-05-01"))
    job = enqueue(db_session, "rescore", {"region_code": "150121000000"})
    db_session.commit()
    result = cli_runner("worker", "--once")
    assert result.exit_code == 0, result.output
    db_session.refresh(job)
    done = job
    assert done.state == "done", result.output
    assert done.result == {"households": 1, "categories_changed": 1}
