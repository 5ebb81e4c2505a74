"""The call minutes report: minutes per day, top rooms and top participants over a period.

Everything is aggregated in the database from the ``CallEvent`` history, so the page costs
the same few queries for ten events or a million. A call's minutes are the ``duration`` of
its end event (``call_ended``, ``call_ended_everyone`` or ``call_missed``), counted on the
day it ended. A participant is credited with the minutes of every call they started or
joined (once per call, however often they rejoined). The chart is an SVG drawn on the
server; ``?export=csv`` gives the same numbers as CSV.
"""

import csv
from datetime import date, datetime, time, timedelta

from django.db.models import Count, Exists, IntegerField, Max, OuterRef, Subquery, Sum
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, TruncDate
from django.http import HttpResponse
from django.utils import timezone

from ..constants import CallEventKind
from ..models import CallEvent, Room

ENDED_KINDS = (CallEventKind.CALL_ENDED, CallEventKind.CALL_ENDED_EVERYONE, CallEventKind.CALL_MISSED)
JOINED_KINDS = (CallEventKind.CALL_STARTED, CallEventKind.CALL_JOINED)
#: Default length of the period, in days, and the longest one the page draws.
DEFAULT_DAYS = 30
MAX_DAYS = 366
#: How many rooms and participants the "top" tables list.
TOP = 10
CHART_WIDTH, CHART_HEIGHT = 960, 200


def parse_period(params, today: date) -> tuple[date, date]:
    """Return ``(start, end)`` (inclusive) from ``start``/``end`` (YYYY-MM-DD); default the last 30 days.

    A bad date falls back to the default; the period is capped at ``MAX_DAYS``.
    """
    try:
        end = date.fromisoformat(params.get("end", "")) if params.get("end") else today
    except ValueError:
        end = today
    try:
        start = date.fromisoformat(params.get("start", "")) if params.get("start") else None
    except ValueError:
        start = None
    if start is None or start > end:
        start = end - timedelta(days=DEFAULT_DAYS - 1)
    start = max(start, end - timedelta(days=MAX_DAYS - 1))
    return start, end


def _duration():
    return Cast(KeyTextTransform("duration", "parameters"), IntegerField())


def ended_calls(start: date, end: date):
    """End events of the calls that ended in the period (local dates of the current time zone)."""
    tz = timezone.get_current_timezone()
    since = timezone.make_aware(datetime.combine(start, time.min), tz)
    until = timezone.make_aware(datetime.combine(end + timedelta(days=1), time.min), tz)
    return CallEvent.objects.filter(kind__in=ENDED_KINDS, created_at__gte=since, created_at__lt=until)


def minutes_per_day(start: date, end: date) -> list[dict]:
    """Return one ``{"day", "minutes", "calls"}`` per day of the period, zero days included (one query)."""
    rows = (
        ended_calls(start, end)
        .annotate(day=TruncDate("created_at", tzinfo=timezone.get_current_timezone()))
        .values("day")
        .annotate(seconds=Sum(_duration()), calls=Count("id"))
        .order_by("day")
    )
    by_day = {row["day"]: row for row in rows}
    days = []
    for offset in range((end - start).days + 1):
        day = start + timedelta(days=offset)
        row = by_day.get(day, {})
        days.append({"day": day, "minutes": round((row.get("seconds") or 0) / 60, 1), "calls": row.get("calls", 0)})
    return days


def top_rooms(start: date, end: date) -> list[dict]:
    """Return the rooms with the most call minutes in the period (one query)."""
    rows = (
        ended_calls(start, end)
        .values("room_id", "room__token", "room__name", "room__type")
        .annotate(seconds=Sum(_duration()), calls=Count("id"))
        .order_by("-seconds", "room__token")[:TOP]
    )
    return [
        {
            "room_id": row["room_id"],
            "token": row["room__token"],
            "label": Room(token=row["room__token"], name=row["room__name"], type=row["room__type"]).label,
            "minutes": round((row["seconds"] or 0) / 60, 1),
            "calls": row["calls"],
        }
        for row in rows
    ]


def top_participants(start: date, end: date) -> list[dict]:
    """Return the participants with the most minutes in calls they joined that ended in the period (one query)."""
    call_end = ended_calls(start, end).filter(room=OuterRef("room"), call_started_at=OuterRef("call_started_at"))
    earlier_join = CallEvent.objects.filter(
        kind__in=JOINED_KINDS,
        room=OuterRef("room"),
        call_started_at=OuterRef("call_started_at"),
        actor_type=OuterRef("actor_type"),
        actor_id=OuterRef("actor_id"),
        id__lt=OuterRef("id"),
    )
    rows = (
        CallEvent.objects.filter(kind__in=JOINED_KINDS, call_started_at__isnull=False)
        .annotate(call_seconds=Subquery(call_end.values(seconds=_duration())[:1]))
        .filter(call_seconds__isnull=False)
        .exclude(Exists(earlier_join))
        .values("actor_type", "actor_id")
        .annotate(seconds=Sum("call_seconds"), calls=Count("id"), name=Max("actor_display_name"))
        .order_by("-seconds", "actor_id")[:TOP]
    )
    return [
        {
            "actor": f"{row['actor_type']}/{row['actor_id']}",
            "label": row["name"] or guest_label(row["actor_type"], row["actor_id"]),
            "minutes": round((row["seconds"] or 0) / 60, 1),
            "calls": row["calls"],
        }
        for row in rows
    ]


def guest_label(actor_type: str, actor_id: str) -> str:
    """Return "Guest" and a short id for nameless guests, else the actor id."""
    if actor_type in ("guests", "emails"):
        return f"Guest {actor_id[:6]}"
    return actor_id


def bar_chart(days: list[dict]) -> dict:
    """Return the bars of the SVG chart: position and height of one bar per day, scaled to the busiest."""
    peak = max((day["minutes"] for day in days), default=0)
    scale = peak or 1
    slot = CHART_WIDTH / max(len(days), 1)
    bars = []
    for index, day in enumerate(days):
        height = round(day["minutes"] / scale * (CHART_HEIGHT - 20), 1)
        bars.append(
            {
                **day,
                "x": round(index * slot + slot * 0.1, 1),
                "width": round(slot * 0.8, 1),
                "height": height,
                "y": round(CHART_HEIGHT - height, 1),
            }
        )
    return {"bars": bars, "peak": peak}


def report(start: date, end: date) -> dict:
    """Return everything the report page shows for the period."""
    days = minutes_per_day(start, end)
    return {
        "start": start,
        "end": end,
        "days": days,
        "total_minutes": round(sum(day["minutes"] for day in days), 1),
        "total_calls": sum(day["calls"] for day in days),
        "rooms": top_rooms(start, end),
        "participants": top_participants(start, end),
        "chart": bar_chart(days),
        "chart_width": CHART_WIDTH,
        "chart_height": CHART_HEIGHT,
    }


def csv_response(data: dict) -> HttpResponse:
    """Return the report as CSV: one row per day, then the top rooms and participants."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="call-minutes-{data["start"]}-{data["end"]}.csv"'
    writer = csv.writer(response)
    writer.writerow(["section", "key", "name", "minutes", "calls"])
    for day in data["days"]:
        writer.writerow(["day", day["day"].isoformat(), "", day["minutes"], day["calls"]])
    for room in data["rooms"]:
        writer.writerow(["room", room["token"], _safe(room["label"]), room["minutes"], room["calls"]])
    for person in data["participants"]:
        writer.writerow(
            ["participant", _safe(person["actor"]), _safe(person["label"]), person["minutes"], person["calls"]]
        )
    return response


def _safe(value: str) -> str:
    """Keep spreadsheets from running a cell as a formula (names are user input)."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value
