import datetime as dt

from exports.batches import changed_since, last_change


def _hh(n, updated=None, approved=None):
    return {"household_no": n, "updated_at": updated, "approved_at": approved}


def test_changed_since_takes_later_of_update_and_approval():
    rows = [_hh("a", "2026-03-01T00:00:00Z"), _hh("b", "2026-03-01T00:00:00Z", "2026-03-10T08:00:00+08:00"),
            _hh("c", "2026-03-20T00:00:00+00:00"), _hh("d")]
    # b was approved 2026-03-10 08:00 +08:00 = 2026-03-10 00:00 UTC
    got = [h["household_no"] for h in changed_since(rows, "2026-03-10T00:00:00Z")]
    assert got == ["c", "d"]
    got = [h["household_no"] for h in changed_since(rows, dt.datetime(2026, 3, 9, 23, 0))]
    assert got == ["b", "c", "d"]


def test_full_export_takes_everything():
    rows = [_hh("a", "2020-01-01"), _hh("b")]
    assert len(list(changed_since(rows, None))) == 2


def test_last_change_handles_naive_and_dates():
    assert last_change(_hh("a", dt.date(2026, 1, 2))) == dt.datetime(2026, 1, 2, tzinfo=dt.timezone.utc)
    assert last_change(_hh("a")) is None
