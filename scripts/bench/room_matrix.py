#!/usr/bin/env python3
"""Measures the room matrix of a 300-room × 30-item project through HTTP, as a browser and an
API client get it (DESIGN.md §9: ≤ 100 ms p95, the page within 60 KB compressed).

Builds the project through the public API as a project manager would (a building, a room type,
a pattern of 10 levels × 30 rooms, 30 items on the room type, 24 of them released, taken through
the workshop stages, packed in part and delivered in part), records
installations in a third of the rooms (a ledger row per item and room) and raises a few snags,
then asks for the Site tab (`/projects/{id}/site`, gzip, signed in with a session) and for
`GET /api/v1/projects/{id}/room-matrix` (bearer token) REPEAT times each, one at a time, and
prints p50, p95 and max of each with the page's compressed size.

usage: room_matrix.py BASE_URL EMAIL PASSWORD [REPEAT]
"""
import http.client
import json
import statistics
import sys
import time
import urllib.parse

base, email, password = sys.argv[1], sys.argv[2], sys.argv[3]
repeat = int(sys.argv[4]) if len(sys.argv) > 4 else 200
url = urllib.parse.urlparse(base)
c = http.client.HTTPConnection(url.hostname, url.port, timeout=60)


def call(method, path, body=None, headers=None):
    h = {"Content-Type": "application/json"}
    h.update(headers or {})
    c.request(method, path, body=json.dumps(body) if body is not None else None, headers=h)
    r = c.getresponse()
    data = r.read()
    if r.status >= 300:
        raise SystemExit(f"{method} {path} -> {r.status}: {data[:300]!r}")
    return r, data


r, data = call("POST", "/api/v1/auth/login", {"email": email, "password": password})
cookie = "; ".join(v.split(";")[0] for k, v in r.getheaders() if k.lower() == "set-cookie")
login = json.loads(data)
_, data = call("POST", "/api/v1/me/tokens", {"name": "room matrix bench"}, {"Cookie": cookie,
               "X-CSRF-Token": login.get("csrf_token", "")})
token = json.loads(data)["secret"]
AUTH = {"Authorization": f"Bearer {token}"}


def api(method, path, body=None):
    return json.loads(call(method, "/api/v1" + path, body, AUTH)[1] or b"null")


me = api("GET", "/auth/me")
client = api("POST", "/clients", {"name": f"Bench Hotels {time.time_ns()}"})
project = api("POST", "/projects", {"name": "Room matrix bench, 300 rooms", "client_id": client["id"],
                                     "manager_id": me["user"]["id"], "sector": "hospitality",
                                     "business_line": "millwork"})
p = project["id"]
tower = api("POST", f"/projects/{p}/locations", {"kind": "building", "code": "B1", "name": "Block 1"})
rtype = api("POST", f"/projects/{p}/room-types", {"code": "STD", "name": "Standard room"})
api("POST", f"/projects/{p}/locations/pattern", {"building_id": tower["id"], "levels_from": 1,
    "levels_to": 10, "rooms_from": 1, "rooms_to": 30, "room_type_id": rtype["id"]})
group = api("GET", f"/projects/{p}/scope")["groups"][1]["id"]
items = []
for n in range(30):
    item = api("POST", f"/projects/{p}/scope-items", {"group_id": group, "name": f"Joinery item {n + 1}",
               "room_type_id": rtype["id"], "quantity_per_room": "2", "drawing_required": False,
               "spec_required": False})
    if n < 24:
        api("POST", f"/scope-items/{item['id']}/release", {"version": item["version"]})
    items.append(item["id"])
# The workshop and the road first (only what was received on site can be installed): each
# released item's 600 pieces are cut, 400 go on to be packed, a delivery note takes the 400
# of every released item and the site receives 220 of each.
released = items[:24]
stages = [s for s in api("GET", f"/projects/{p}/workshop/stages")["stages"] if not s["archived"]]
stages.sort(key=lambda s: s["position"])
for item in released:
    for i, s in enumerate(stages):
        q = "600" if i == 0 else "400"
        if s["kind"] == "qa":
            api("POST", f"/projects/{p}/workshop/qa-checks",
                {"scope_item_id": item, "quantity": q, "result": "pass"})
        else:
            api("POST", f"/projects/{p}/workshop/moves", {"scope_item_id": item, "stage_id": s["id"],
                                                          "quantity": q})
note = api("POST", f"/projects/{p}/delivery-notes",
           {"lines": [{"scope_item_id": item, "quantity": "400"} for item in released]})
note = api("POST", f"/delivery-notes/{note['id']}/dispatch", {"version": note["version"]})
api("POST", f"/delivery-notes/{note['id']}/receipts", {"signed_name": "Site gate", "lines": [
    {"line_id": line["id"], "quantity": "220"} for line in note["lines"]]})
rooms = [l for l in api("GET", f"/projects/{p}/locations")["locations"] if l["kind"] == "room"]
assert len(rooms) == 300, len(rooms)
for k, room in enumerate(rooms[:100]):
    for item in items[: 8 + k % 16]:
        api("POST", f"/rooms/{room['id']}/installations",
            {"scope_item_id": item, "quantity": "2" if k % 5 else "1"})
for room in rooms[:10]:
    api("POST", f"/projects/{p}/snags", {"room_id": room["id"], "scope_item_id": items[0],
        "title": "Door rubs on the frame"})


def measure(path, headers):
    times, size = [], 0
    for _ in range(repeat):
        t = time.perf_counter()
        r, data = call("GET", path, None, headers)
        times.append((time.perf_counter() - t) * 1000)
        size = len(data)
    times.sort()
    return (statistics.median(times), times[int(len(times) * 0.95) - 1], times[-1], size)


for name, path, headers in [
    ("page /projects/{id}/site (gzip)", f"/projects/{p}/site",
     {"Cookie": cookie, "Accept-Encoding": "gzip"}),
    ("API room-matrix (gzip)", f"/api/v1/projects/{p}/room-matrix", {**AUTH, "Accept-Encoding": "gzip"}),
]:
    p50, p95, worst, size = measure(path, headers)
    print(f"{name}: p50 {p50:.1f} ms, p95 {p95:.1f} ms, max {worst:.1f} ms, {size / 1024:.1f} KB")
