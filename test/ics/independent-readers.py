"""Reads iCalendar objects with engines that share no code with tripcal or ical.js.

Input (stdin): a JSON list of iCalendar texts. Output (stdout): a JSON list, one entry per text:
  {"libical": [errors of libical's RFC 5546 restriction check],
   "icalendar": [events as python-icalendar reads them],
   "vobject": [events as vobject reads them]}
Each event: {"uid", "sequence", "status", "summary", "start", "end", "alarms"}, where a DATE-TIME
is its instant in UTC ("2026-11-01T08:30:00Z") and a DATE stays a date ("2026-06-02").
Used by test/ics/independent-readers.ts.
"""
import datetime
import json
import sys

import gi

gi.require_version("ICalGLib", "3.0")
from gi.repository import ICalGLib  # noqa: E402
import icalendar  # noqa: E402
import vobject  # noqa: E402


def instant(value):
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            return "floating " + value.isoformat()
        return value.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return value.isoformat()


def libical_errors(text):
    """libical's RFC 5546 restriction check: it marks each failure with an X-LIC-ERROR property."""
    component = ICalGLib.Component.new_from_string(text)
    if component is None:
        return ["libical could not parse the object"]
    component.check_restrictions()
    unfolded = component.as_ical_string().replace("\r\n ", "").replace("\n ", "")
    return [line.split(":", 1)[1] for line in unfolded.splitlines() if line.startswith("X-LIC-ERROR")]


def with_icalendar(text):
    events = []
    for event in icalendar.Calendar.from_ical(text).walk("VEVENT"):
        events.append({
            "uid": str(event.get("UID")),
            "sequence": int(event.get("SEQUENCE", 0)),
            "status": str(event.get("STATUS", "")),
            "summary": str(event.get("SUMMARY", "")),
            "start": instant(event.decoded("DTSTART")),
            "end": instant(event.decoded("DTEND")),
            "alarms": [str(a.get("TRIGGER").to_ical().decode()) for a in event.walk("VALARM")],
        })
    return events


def with_vobject(text):
    events = []
    calendar = vobject.readOne(text)
    for event in getattr(calendar, "vevent_list", []):
        contents = event.contents
        events.append({
            "uid": event.uid.value,
            "sequence": int(event.sequence.value) if "sequence" in contents else 0,
            "status": event.status.value if "status" in contents else "",
            "summary": event.summary.value if "summary" in contents else "",
            "start": instant(event.dtstart.value),
            "end": instant(event.dtend.value),
            "alarms": [a.trigger.serialize().strip().split(":", 1)[1] for a in contents.get("valarm", [])],
        })
    return events


def main():
    texts = json.load(sys.stdin)
    out = []
    for text in texts:
        out.append({"libical": libical_errors(text), "icalendar": with_icalendar(text), "vobject": with_vobject(text)})
    json.dump(out, sys.stdout, ensure_ascii=False)


main()
