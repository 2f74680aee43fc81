#!/usr/bin/env python3
"""Parses an iCalendar document (stdin) with the `icalendar` package, as calendar
applications would, and prints what it found as JSON: the calendar's name and each event's
UID, summary, all-day start and end, and URL. Exits non-zero when the document does not
parse or an event lacks what RFC 5545 requires (UID, DTSTAMP, DTSTART).

Used by the API tests of calendar feeds (ICAL_PYTHON: a Python with `icalendar`, installed
by scripts/test.sh into its tools venv)."""

import datetime
import json
import sys

import icalendar

raw = sys.stdin.buffer.read()
cal = icalendar.Calendar.from_ical(raw)
if cal.name != "VCALENDAR":
    sys.exit(f"not a VCALENDAR: {cal.name}")
for key in ("VERSION", "PRODID"):
    if key not in cal:
        sys.exit(f"the calendar has no {key}")
events = []
for ev in cal.walk("VEVENT"):
    for key in ("UID", "DTSTAMP", "DTSTART"):
        if key not in ev:
            sys.exit(f"an event has no {key}: {ev.to_ical()!r}")
    start = ev.decoded("DTSTART")
    end = ev.decoded("DTEND")
    # All-day events are DATE values, not date-times.
    if isinstance(start, datetime.datetime) or isinstance(end, datetime.datetime):
        sys.exit(f"not an all-day event: {ev.to_ical()!r}")
    stamp = ev.decoded("DTSTAMP")
    if not isinstance(stamp, datetime.datetime) or stamp.tzinfo is None:
        sys.exit("DTSTAMP must be a UTC date-time")
    events.append(
        {
            "uid": str(ev["UID"]),
            "summary": str(ev.get("SUMMARY", "")),
            "description": str(ev.get("DESCRIPTION", "")),
            "start": start.isoformat(),
            "end": end.isoformat(),
            "url": str(ev.get("URL", "")),
        }
    )
print(json.dumps({"name": str(cal.get("X-WR-CALNAME", "")), "events": events}))
