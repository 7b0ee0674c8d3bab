"""The register's batch writer (server/register/batch.py) writes the rows the step-by-step path writes.

The same pending submissions — new households scored under a shipped policy, one under the demo's local
2026 layer, one unscored (no policy for its year), an update of a household already registered, the
same household twice in one batch, one in an unknown region — are processed by `ingest.run_batch`
once step by step and once with the batch writer, each time in a transaction rolled back afterwards;
every row the two runs write is compared (ids mapped to stable keys, timestamps and step timings left
out).
"""
from __future__ import annotations

import io
from datetime import date

import pytest
from sqlalchemy import select

from server import plugins
from server.db import get_db, session_scope
from server.ingest import process_pending, run_batch
from server.models import Form, FormVersion, Project, Region, SubmissionVersion
from server.register.models import Assessment, AuditEntry, Household, HouseholdVersion, Member, WorkflowCase


def _quiet(*_args, **_kwargs) -> None:  # noqa: ANN002, ANN003
    pass


@pytest.fixture
def seeded(app):
    """The demo county (`shoudi init --demo`), a collector with an app-user token, the shipped form."""
    from server.accounts import create_user, issue_token
    from server.bootstrap import publish_shipped_forms, seed_demo

    app.config["PROCESS_INLINE"] = False
    seed_demo(app, echo=_quiet)
    publish_shipped_forms(app, echo=_quiet)
    with session_scope(app) as session:
        project = session.scalars(select(Project).order_by(Project.id)).first()
        village = session.scalars(select(Region).where(Region.level == "village",
                                                       Region.code.startswith(project.region_code[:6]))
                                  .order_by(Region.code)).first()
        user = create_user(session, app, "batch01", role="collector", password=None, region_codes=[village.code],
                           display_name="采集员")
        token = issue_token(session, user, project, label="test").token
        form_xml = session.scalar(select(FormVersion.xml).join(Form, Form.id == FormVersion.form_id)
                                  .where(Form.xml_form_id == "household_survey").order_by(FormVersion.id.desc()))
        return {"project": project.id, "village": (village.code, village.name), "token": token, "form": form_xml}


def _post(app, seeded, xml: bytes) -> None:  # noqa: ANN001
    client = app.test_client()
    data = {"xml_submission_file": (io.BytesIO(b"<?xml version='1.0' ?>" + xml), "submission.xml", "text/xml")}
    r = client.post(f"/v1/key/{seeded['token']}/projects/{seeded['project']}/submission", data=data,
                    headers={"X-OpenRosa-Version": "1.0"}, content_type="multipart/form-data")
    assert r.status_code == 201, r.data[:300]
    r.close()


def _households(seeded, n: int, seed: int, today: date) -> list[tuple[str, bytes]]:
    from bench.ingest.households import generate
    return generate(seeded["form"], n, [seeded["village"]], seed=seed, today=today)


def _renamed(iid: str, xml: bytes, k: int) -> bytes:
    """The same instance under a new instanceID (an edit of the household, as a new submission)."""
    return xml.replace(iid.encode(), f"uuid:{k:08x}-0000-4000-8000-00000000beef".encode())


def _entity_id(xml: bytes) -> bytes:
    return xml.split(b'<entity ', 1)[1].split(b'id="', 1)[1].split(b'"', 1)[0]


@pytest.fixture
def pending(app, seeded):
    """Two registered households (processed now; the second identified, its category decided), then the
    pending mix described in the module docstring."""
    from sqlalchemy import update
    shipped = _households(seeded, 7, seed=5, today=date(2021, 6, 1))
    local = _households(seeded, 1, seed=6, today=date(date.today().year, 3, 1))
    unscored = _households(seeded, 1, seed=7, today=date(2012, 3, 1))
    (registered_iid, registered_xml), (decided_iid, decided_xml), (other_iid, other_xml) = \
        _households(seeded, 3, seed=8, today=date(2021, 6, 1))
    _post(app, seeded, registered_xml)
    _post(app, seeded, decided_xml)
    assert process_pending(app) == {"done": 2}
    with session_scope(app) as session:
        session.execute(update(Household).where(Household.entity_id == _entity_id(decided_xml).decode())
                        .values(status="monitored", category="decided-before"))
    for _, xml in shipped[1:4] + local + unscored:
        _post(app, seeded, xml)
    # an update of the first (same members), and one of the decided household by another household's
    # answers under its entity (every member replaced: the old ones inactive, the new ones added)
    _post(app, seeded, _renamed(registered_iid, registered_xml.replace(b"<survey_date>2021-06-01<",
                                                                       b"<survey_date>2021-06-02<"), 1))
    _post(app, seeded, _renamed(other_iid, other_xml.replace(_entity_id(other_xml), _entity_id(decided_xml)), 3))
    iid, xml = shipped[4]
    _post(app, seeded, xml)
    _post(app, seeded, _renamed(iid, xml, 2))           # the same household again, in the same batch
    iid, xml = shipped[5]
    _post(app, seeded, xml.replace(seeded["village"][0].encode(), b"150121999999"))   # unknown region
    _post(app, seeded, shipped[6][1])
    return seeded


def _snapshot(session) -> dict:  # noqa: ANN001
    """Every row processing writes, with ids replaced by stable keys and timestamps left out."""
    conn = session.connection()
    hh = {r.id: r for r in conn.execute(select(Household.__table__))}
    hkey = {i: r.entity_id for i, r in hh.items()}
    hv = {r.id: r for r in conn.execute(select(HouseholdVersion.__table__))}
    vkey = {i: (hkey[r.household_id], r.number) for i, r in hv.items()}
    asm = {r.id: r for r in conn.execute(select(Assessment.__table__))}
    akey = {i: ("assessment", hkey[r.household_id], vkey.get(r.household_version_id)) for i, r in asm.items()}
    skey = {r.id: r.instance_id for r in conn.execute(select(SubmissionVersion.id, SubmissionVersion.instance_id))}
    members = {r.id: r.id_number for r in conn.execute(select(Member.id, Member.id_number))}
    stamps = ("created_at", "updated_at", "at", "processed_at", "opened_at")

    def plain(row, **mapped) -> dict:  # noqa: ANN001, ANN003
        out = {k: v for k, v in row._mapping.items() if k not in stamps and k != "id"}
        for k in stamps:
            if k in row._mapping:
                out[k + "_set"] = row._mapping[k] is not None
        out.update(mapped)
        return out

    def entity(row) -> object:  # noqa: ANN001
        if row.entity_id is None:
            return None
        ident = int(row.entity_id) if row.entity_id.isdigit() else row.entity_id
        table = {"household": hkey, "household_version": vkey, "assessment": akey, "member": members}
        return table[row.entity_type].get(ident, row.entity_id) if row.entity_type in table else row.entity_id

    audit: dict = {}
    for row in conn.execute(select(AuditEntry.__table__).order_by(AuditEntry.id)):   # in order per household
        after = dict(row.after or {})
        if "submission_version_id" in after:
            after["submission_version_id"] = skey.get(after["submission_version_id"])
        audit.setdefault(hkey.get(row.household_id), []).append(
            plain(row, household_id=hkey.get(row.household_id), entity_id=entity(row), after=after))
    versions = {}
    for row in conn.execute(select(SubmissionVersion.__table__)):
        log = [{k: v for k, v in e.items() if k != "ms"} for e in row.processing_log or []]
        versions[row.instance_id] = plain(row, processing_log=log, submission_id=None)
    return {
        "households": sorted((plain(r, current_version_id=vkey.get(r.current_version_id),
                                    current_assessment_id=akey.get(r.current_assessment_id))
                              for r in hh.values()), key=lambda d: d["entity_id"]),
        "versions": sorted((plain(r, household_id=hkey[r.household_id],
                                  submission_version_id=skey.get(r.submission_version_id))
                            for r in hv.values()), key=lambda d: (d["household_id"], d["number"])),
        "members": sorted((plain(r, household_id=hkey[r.household_id])
                           for r in conn.execute(select(Member.__table__))), key=lambda d: d["id_number"]),
        "assessments": sorted((plain(r, household_id=hkey[r.household_id],
                                     household_version_id=vkey.get(r.household_version_id))
                               for r in asm.values()), key=lambda d: (d["household_id"], d["household_version_id"])),
        "audit": audit,
        "cases": sorted((plain(r, household_id=hkey[r.household_id])
                         for r in conn.execute(select(WorkflowCase.__table__))), key=lambda d: d["household_id"]),
        "submission_versions": versions,
    }


def _run(app, *, batch_writer: bool) -> tuple[dict, dict]:  # noqa: ANN001
    session = get_db(app).sessionmaker()
    try:
        versions = list(session.scalars(select(SubmissionVersion).where(SubmissionVersion.processing_state == "pending")
                                        .order_by(SubmissionVersion.id)))
        assert len(versions) == 11
        counts = run_batch(app, session, versions, plugins.processing_steps(), batch_writer=batch_writer)
        session.flush()
        return counts, _snapshot(session)
    finally:
        session.rollback()
        session.close()


def test_batch_writer_writes_the_rows_of_the_step_by_step_path(app, pending, monkeypatch):
    from server.register import batch

    written: list[int] = []
    real = batch.write_households

    def spy(session, ctxs):  # noqa: ANN001, ANN202
        out = real(session, ctxs)
        written.extend(out)
        return out
    monkeypatch.setattr(batch, "write_households", spy)

    import scoring
    histories: list = []
    real_assess = scoring.assess

    def assess(record, policy, history=None, as_of=None):  # noqa: ANN001, ANN202 — the history scoring gets
        histories.append((record.get("instance_id"), history))
        return real_assess(record, policy, history, as_of)
    monkeypatch.setattr(scoring, "assess", assess)

    with get_db(app).sessionmaker() as session:   # closed: a read left open would block the tables' emptying
        before = _snapshot(session)
    counts_steps, steps = _run(app, batch_writer=False)
    assert written == []
    steps_histories, histories[:] = sorted(histories, key=repr), []
    counts_batch, batched = _run(app, batch_writer=True)
    assert sorted(histories, key=repr) == steps_histories
    assert sum(1 for _, h in steps_histories if h and h["assessments"]) == 3   # the updates' scoring history
    assert counts_steps == counts_batch == {"done": 10, "failed": 1}
    # through the batch writer: the new households in a known region (3 shipped-policy ones, the
    # local-layer one, the unscored one, the first of the pair, the last one) and the two updates; not
    # the second of the pair (its household is the first's) or the unknown region
    assert len(written) == 9
    for table in steps:
        assert batched[table] == steps[table], table
    # and the runs did write: 7 new households, 3 updates, one failure recorded
    assert len(steps["households"]) == len(before["households"]) + 7
    assert len(steps["versions"]) == len(before["versions"]) + 10
    states = {iid: v["processing_state"] for iid, v in steps["submission_versions"].items()}
    assert list(states.values()).count("done") == 12   # the 2 registered ones and 10 of the batch
    scored = [a for a in steps["assessments"] if a not in before["assessments"]]
    assert len(scored) == 9 and len({a["policy_year"] for a in scored}) == 2
    members = [m for m in steps["members"] if m not in before["members"]]
    assert any(not m["active"] for m in members) and len({m["household_id"] for m in members}) >= 8
    decided = [h for h in steps["households"] if h["status"] == "monitored"]
    assert decided[0]["category"] == "decided-before" and decided[0]["entity_version"] == 2
    unscored = [e for entries in steps["audit"].values() for e in entries
                if e["action"] == "assessment.create" and "unscored" in (e["after"] or {})]
    assert len(unscored) == 1
    failed = [v for v in steps["submission_versions"].values() if v["processing_state"] == "failed"]
    assert "150121999999" in failed[0]["processing_error"]


def test_a_failing_batch_writer_leaves_every_version_to_the_step_by_step_path(app, pending, monkeypatch):
    """The writer's savepoint is rolled back (its rows are gone) and each version runs step by step."""
    from server.register import batch

    real = batch.write_households

    def broken(session, ctxs):  # noqa: ANN001, ANN202
        real(session, ctxs)
        raise RuntimeError("disk on fire")
    monkeypatch.setattr(batch, "write_households", broken)
    counts_batch, batched = _run(app, batch_writer=True)
    monkeypatch.setattr(batch, "write_households", real)
    counts_steps, steps = _run(app, batch_writer=False)
    assert counts_batch == counts_steps == {"done": 10, "failed": 1}
    assert batched == steps


def test_two_processors_write_the_rows_of_one(app, pending):
    """PostgreSQL processors claim concurrently (small batches, so the pair of versions of one household
    may land in different batches): every version is processed once and the rows are those of the
    step-by-step path — a batch that meets a household another batch is creating waits for it, falls
    back and applies its version as an update."""
    import threading

    from server import ingest
    if get_db(app).is_sqlite:
        pytest.skip("SQLite processors do not claim batches (the write lock serialises them)")
    _, steps = _run(app, batch_writer=False)
    results: list[dict] = []
    barrier = threading.Barrier(2)

    def processor() -> None:
        barrier.wait()
        counts: dict = {}
        while batch := ingest.claim_batch(app, size=3):
            for state, n in batch.items():
                counts[state] = counts.get(state, 0) + n
        results.append(counts)
    threads = [threading.Thread(target=processor) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert sum(r.get("done", 0) for r in results) == 10 and sum(r.get("failed", 0) for r in results) == 1
    session = get_db(app).sessionmaker()
    try:
        processed = _snapshot(session)
    finally:
        session.close()
    for table in steps:
        assert processed[table] == steps[table], table
