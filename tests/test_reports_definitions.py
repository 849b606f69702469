"""Stored report definitions: defined once, listed after the presets, removed, and due on their own schedule."""

from __future__ import annotations

from datetime import timedelta

import pytest

from metasync.connections.registry import upsert_connection
from metasync.infra.clock import utcnow
from metasync.reports.definitions import all_reports, define_report, due_reports, find_report, remove_report
from metasync.reports.spec import PRESETS, InvalidReport, ReportSpec
from metasync.store.reports import ReportPull

pytestmark = pytest.mark.services


def test_a_defined_report_is_listed_after_the_presets_and_found_by_name(shared_db):
    define_report(ReportSpec("ages", level="campaign", breakdowns=("age",), fields=("outbound_clicks",)))

    assert [spec.name for spec in all_reports()] == [*PRESETS, "ages"]
    found = find_report("ages")
    assert (found.level, found.breakdowns, found.fields) == ("campaign", ("age",), ("outbound_clicks",))


@pytest.mark.parametrize("name", ["age_gender", "taken"])
def test_a_preset_name_or_a_taken_name_is_refused(shared_db, name):
    define_report(ReportSpec("taken", breakdowns=("country",)))
    with pytest.raises(InvalidReport):
        define_report(ReportSpec(name, breakdowns=("country",)))


def test_removing_a_report_drops_its_schedule_state_and_presets_stay(shared_db):
    define_report(ReportSpec("ages", breakdowns=("age",)))
    ReportPull(id=ReportPull.key("ages", "c1"), report="ages", last_pulled_at=utcnow()).save()

    assert remove_report("ages") is True
    assert ReportPull.objects.count() == 0 and remove_report("ages") is False
    with pytest.raises(InvalidReport):
        remove_report("country")


def test_reports_are_due_on_their_own_schedule_for_the_connections_they_apply_to(shared_db, redis_client):
    mine, _ = upsert_connection("t1", "act_1", "EAAone")
    other, _ = upsert_connection("t2", "act_2", "EAAtwo")
    define_report(ReportSpec("hourly_ages", breakdowns=("age",), schedule_minutes=60, tenants=("t1",)))
    define_report(ReportSpec("daily_countries", breakdowns=("country",), schedule_minutes=1440))
    define_report(ReportSpec("manual", breakdowns=("region",), schedule_minutes=0))
    now = utcnow()
    ReportPull(id=ReportPull.key("hourly_ages", mine.id), last_pulled_at=now - timedelta(minutes=61)).save()
    ReportPull(id=ReportPull.key("daily_countries", mine.id), last_pulled_at=now - timedelta(hours=2)).save()

    assert [spec.name for spec in due_reports(mine, now)] == ["hourly_ages"]
    assert [spec.name for spec in due_reports(other, now)] == ["daily_countries"]  # never pulled for t2
