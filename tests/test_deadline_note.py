"""How every public page says when a pledge is due (the ``deadline_note`` filter): the
tracker's calendar day decides, and a final verdict turns "overdue" into "was due"."""

import datetime as dt

import pytest
import time_machine

from commitments.models import Status
from commitments.templatetags.tracker import deadline_note
from tests.factories import PledgeFactory

pytestmark = pytest.mark.django_db

# 1 July 2021, mid-morning in the tracker's zone (America/Los_Angeles in tests).
NOW = dt.datetime(2021, 7, 1, 17, tzinfo=dt.UTC)


def note(**fields):
    return str(deadline_note(PledgeFactory.build(**fields)))


@time_machine.travel(NOW)
@pytest.mark.parametrize(
    ("deadline", "status", "reads"),
    [
        (dt.date(2021, 7, 13), Status.IN_PROGRESS, "Due 13 July 2021 — in 12 days"),
        (dt.date(2021, 7, 2), Status.IN_PROGRESS, "Due 2 July 2021 — in 1 day"),
        (dt.date(2021, 7, 1), Status.IN_PROGRESS, "Due 1 July 2021 — today"),
        (dt.date(2021, 6, 30), Status.IN_PROGRESS, "Due 30 June 2021 — overdue 1 day"),
        (dt.date(2021, 6, 1), Status.NOT_YET_RATED, "Due 1 June 2021 — overdue 30 days"),
        (dt.date(2021, 6, 1), Status.KEPT, "Was due 1 June 2021"),
    ],
)
def test_the_deadline_reads_as_the_day_it_is_where_the_tracker_is(deadline, status, reads):
    assert reads in note(deadline=deadline, status=status)


def test_an_overdue_deadline_is_marked_for_the_eye():
    with time_machine.travel(NOW):
        html = note(deadline=dt.date(2021, 6, 30), status=Status.IN_PROGRESS)
    assert html == (
        '<span class="deadline deadline-overdue">Due 30 June 2021 — overdue 1 day</span>'
    )


def test_no_deadline_says_whether_one_was_lifted():
    assert ">No deadline<" in note(deadline=None)
    moved = PledgeFactory.build(deadline=None)
    moved.deadline_moves = 1  # as the lists annotate it
    assert ">Extended with no end date<" in str(deadline_note(moved))


def test_a_deadline_passes_at_the_end_of_its_day_in_the_trackers_zone():
    # 05:00 UTC on 2 July is still 22:00 on 1 July in Los Angeles.
    with time_machine.travel(dt.datetime(2021, 7, 2, 5, tzinfo=dt.UTC)):
        assert "today" in note(deadline=dt.date(2021, 7, 1), status=Status.IN_PROGRESS)
    with time_machine.travel(dt.datetime(2021, 7, 2, 8, tzinfo=dt.UTC)):
        assert "overdue 1 day" in note(deadline=dt.date(2021, 7, 1), status=Status.IN_PROGRESS)
