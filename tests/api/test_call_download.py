"""The CSV download of the call's participants (reference 3.12)."""

import csv
import io

import pytest
from django.utils import timezone

from talk_calls.models import Room
from tests.factories import AttendeeFactory, UserFactory
from tests.helpers import call_url, in_call, in_room

pytestmark = pytest.mark.django_db


def download(client, room, **params):
    return client.get(call_url(room.token, "/download"), {"format": "csv", **params})


def test_csv_lists_who_joined_the_call_with_the_users_email(room):
    Room.objects.filter(pk=room.pk).update(name="Team: weekly/sync")
    client, owner = in_call(room, owner=True)
    _, bob = in_call(room)
    AttendeeFactory(room=room)  # never joined
    response = download(client, room)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert f"Team-weekly-sync {timezone.localdate():%Y-%m-%d}.csv" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["name", "email", "type", "identifier"]
    assert sorted(rows[1:]) == sorted(
        [
            [owner.display_name, owner.user.email, "users", owner.actor_id],
            [bob.display_name, bob.user.email, "users", bob.actor_id],
        ]
    )


@pytest.mark.parametrize("evil", ['=HYPERLINK("x")', "+1+1", "-2", "@SUM(A1)", "\tx", "\rx"])
def test_csv_cells_cannot_start_a_formula(room, evil):
    user = UserFactory(email="a@example.com")
    client, _ = in_call(room, owner=True, user=user, display_name=evil)
    rows = list(csv.reader(io.StringIO(download(client, room).content.decode())))
    assert rows[1][0] == "'" + evil


def test_csv_400_without_a_call_or_with_another_format(room):
    client, _ = in_room(room, owner=True)
    response = download(client, room)
    assert response.status_code == 400
    assert response.json()["ocs"] == {
        "meta": {
            "status": "failure",
            "statuscode": 400,
            "message": "There is no call in this conversation to download the participants of",
        },
        "data": [],
    }
    in_call(room)
    response = download(client, room, format="pdf")
    assert response.status_code == 400
    assert response.json()["ocs"]["data"] == []
    assert "format=csv" in response.json()["ocs"]["meta"]["message"]
    assert download(client, room).status_code == 200
