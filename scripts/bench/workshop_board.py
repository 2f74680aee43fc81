#!/usr/bin/env python3
"""Measures the workshop board of a project with 500 items in flight through HTTP, as a browser
and an API client get it (issue 17: ≤ 100 ms p95).

Builds the project through the public API as a project manager would: 500 scope items of 8
pieces each (no drawings or materials needed, so the manager releases them), spread over every
position of the board — item n goes as far as position n mod 8, all its pieces but the last
stage's move leaving 3 behind, so most items show on two cards (about 940 cards); items that
reach past QA pass a QA check, and every 25th item fails 1 piece back to edge-banding. Then it
asks for the Workshop tab (`/projects/{id}/workshop`, gzip, signed in with a session) and for
`GET /api/v1/projects/{id}/workshop/board` (bearer token) REPEAT times each, one at a time, and
prints p50, p95 and max of each with the compressed size; then the same for the company-wide
board (`/workshop` and `GET /api/v1/workshop/board`: this project and every other project the
account may see).

usage: workshop_board.py BASE_URL EMAIL PASSWORD [REPEAT]
(the server with RATE_LIMIT_ENABLED=false; the account may create clients and projects)
"""
import http.client
import json
import statistics
import sys
import time
import urllib.parse

base, email, password = sys.argv[1], sys.argv[2], sys.argv[3]
repeat = int(sys.argv[4]) if len(sys.argv) > 4 else 200
ITEMS = 500
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
_, data = call("POST", "/api/v1/me/tokens", {"name": "workshop board bench"}, {"Cookie": cookie,
               "X-CSRF-Token": login.get("csrf_token", "")})
token = json.loads(data)["secret"]
AUTH = {"Authorization": f"Bearer {token}"}


def api(method, path, body=None):
    return json.loads(call(method, "/api/v1" + path, body, AUTH)[1] or b"null")


me = api("GET", "/auth/me")
client = api("POST", "/clients", {"name": f"Bench Workshop {time.time_ns()}"})
project = api("POST", "/projects", {"name": "Workshop board bench, 500 items", "client_id": client["id"],
                                     "manager_id": me["user"]["id"], "sector": "hospitality",
                                     "business_line": "millwork"})
p = project["id"]
group = api("GET", f"/projects/{p}/scope")["groups"][1]["id"]
stages = [s for s in api("GET", f"/projects/{p}/workshop/stages")["stages"] if not s["archived"]]
stages.sort(key=lambda s: s["position"])
edge = stages[1]["id"]
started = time.perf_counter()
moves = 0
for n in range(ITEMS):
    item = api("POST", f"/projects/{p}/scope-items", {"group_id": group, "name": f"Joinery item {n + 1}",
               "quantity": "8", "unit": "pcs", "drawing_required": False, "spec_required": False})
    api("POST", f"/scope-items/{item['id']}/release", {"version": item["version"]})
    reach = n % (len(stages) + 1)
    for i, s in enumerate(stages[:reach]):
        # All 8 go through each stage but the last one reached, which takes 5.
        q = "5" if i == reach - 1 else "8"
        if s["kind"] == "qa":
            api("POST", f"/projects/{p}/workshop/qa-checks",
                {"scope_item_id": item["id"], "quantity": q, "result": "pass"})
        else:
            api("POST", f"/projects/{p}/workshop/moves",
                {"scope_item_id": item["id"], "stage_id": s["id"], "quantity": q})
        moves += 1
    qa_at = next(i for i, s in enumerate(stages) if s["kind"] == "qa")
    if n % 25 == 0 and reach == qa_at:
        api("POST", f"/projects/{p}/workshop/qa-checks",
            {"scope_item_id": item["id"], "quantity": "1", "result": "fail", "rework_stage_id": edge,
             "notes": "Edge banding lifting"})
        moves += 1
board = api("GET", f"/projects/{p}/workshop/board")
cards = sum(len(col["cards"]) for col in board["columns"])
print(f"built in {time.perf_counter() - started:.0f} s: {ITEMS} items released, {moves} moves and "
      f"checks, {cards} cards over {len(board['columns'])} columns "
      f"({', '.join(str(len(col['cards'])) for col in board['columns'])})")
assert board["items"] == ITEMS, board["items"]


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
    ("page /projects/{id}/workshop (gzip)", f"/projects/{p}/workshop",
     {"Cookie": cookie, "Accept-Encoding": "gzip"}),
    ("API workshop/board (gzip)", f"/api/v1/projects/{p}/workshop/board",
     {**AUTH, "Accept-Encoding": "gzip"}),
    # The company-wide board: this project and whatever else the account may see.
    ("page /workshop, all projects (gzip)", "/workshop", {"Cookie": cookie, "Accept-Encoding": "gzip"}),
    ("API /workshop/board, all projects (gzip)", "/api/v1/workshop/board",
     {**AUTH, "Accept-Encoding": "gzip"}),
]:
    p50, p95, worst, size = measure(path, headers)
    print(f"{name}: p50 {p50:.1f} ms, p95 {p95:.1f} ms, max {worst:.1f} ms, {size / 1024:.1f} KB")
