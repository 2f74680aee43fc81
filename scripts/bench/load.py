#!/usr/bin/env python3
"""Loads a realistic large data set through the public API (so every row is validated and
audited like real use): N extra projects and enough tasks to reach the target count.

Scope items go in by importing one CSV per project (the BOQ import a user would make), so
a project of the data set has a few hundred items in eight groups.

Comments go in one POST each (as people write them), from 8 connections at once, on the
projects, tasks and scope items of the data set: a few sentences of site and workshop talk
(materials, finishes, deliveries, item codes), a quarter of them visible to the client
(never on scope items, which are internal). COMMENTS is how many to add.

usage: load.py BASE_URL TOKEN PROJECTS TASKS [SCOPE_ITEMS [COMMENTS]]
"""
import http.client
import json
import random
import sys
import threading
import urllib.parse
from datetime import date, timedelta

base, token, n_projects, n_tasks = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
n_scope = int(sys.argv[5]) if len(sys.argv) > 5 else 0
n_comments = int(sys.argv[6]) if len(sys.argv) > 6 else 0
url = urllib.parse.urlparse(base)
HEADERS = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}


def conn():
    return http.client.HTTPConnection(url.hostname, url.port, timeout=30)


def call(c, method, path, body=None, raw=None, headers=HEADERS):
    c.request(method, path, body=raw if raw is not None else json.dumps(body) if body is not None else None,
              headers=headers)
    r = c.getresponse()
    data = r.read()
    if r.status >= 300:
        raise SystemExit(f"{method} {path} -> {r.status}: {data[:300]!r}")
    return json.loads(data) if data else None


c = conn()
me = call(c, "GET", "/api/v1/auth/me")["user"]
clients = call(c, "GET", "/api/v1/clients?limit=200")["items"]
sectors = ["commercial", "residential", "retail", "hospitality", "healthcare", "education"]
lines = ["millwork", "fit_out", "electrical", "mep"]
today = date.today()
for i in range(n_projects):
    p = call(c, "POST", "/api/v1/projects", {
        "name": f"Benchmark fit-out {i + 1:03d}",
        "client_id": clients[i % len(clients)]["id"],
        "sector": sectors[i % len(sectors)],
        "business_line": lines[i % len(lines)],
        "manager_id": me["id"],
        "start_date": str(today - timedelta(days=90)),
        "end_date": str(today + timedelta(days=180)),
        "contract_value_minor": 100_000_00 + i * 1_000_00,
        "budget_minor": 80_000_00 + i * 1_000_00,
    })
    # Move into delivery: on_tender -> awarded -> active.
    v = p["version"]
    for s in ("awarded", "active"):
        v = call(c, "POST", f"/api/v1/projects/{p['id']}/status", {"status": s, "version": v})["version"]

all_projects = call(c, "GET", "/api/v1/projects?limit=200")["items"]
have = sum(p["task_total"] for p in all_projects)
# Tasks go to the projects this user manages (assignees must be on the team).
projects = [p for p in all_projects if p["manager_id"] == me["id"]]
# A realistic spread: each benchmark project gets a team of staff, and tasks go round-robin
# to its members, so nobody holds thousands of open tasks.
staff = [u for u in call(c, "GET", "/api/v1/users?limit=200&status=active")["items"]
         if u["role"] in ("designer", "coordinator", "craftsman", "project_manager")]
roles = {"designer": "designer", "coordinator": "coordinator", "craftsman": "craftsman",
         "project_manager": "project_manager"}
teams = {}
for i, p in enumerate(projects):
    members = [me["id"]]
    for k in range(4):
        u = staff[(i * 4 + k) % len(staff)]
        call(c, "POST", f"/api/v1/projects/{p['id']}/members", {"user_id": u["id"], "role": roles[u["role"]]})
        members.append(u["id"])
    teams[p["id"]] = members
todo = max(0, n_tasks - have)
titles = ["Site survey", "Shop drawings", "Veneer sample approval", "CNC cutting", "Edge banding",
          "Spray finishing", "Dry fit in workshop", "Delivery to site", "Installation", "Snagging"]
statuses = ["pending", "in_progress", "review", "completed"]


def worker(k, count):
    c = conn()
    for j in range(count):
        n = k * count + j
        p = projects[n % len(projects)]
        call(c, "POST", f"/api/v1/projects/{p['id']}/tasks", {
            "title": f"{titles[n % len(titles)]} #{n}",
            "status": statuses[n % len(statuses)],
            "priority": ["low", "medium", "high", "urgent"][n % 4],
            "assignee_id": teams[p["id"]][n % len(teams[p["id"]])],
            "due_date": str(today + timedelta(days=(n % 120) - 30)),
            "estimated_hours": 4 + n % 16,
        })


failures = []


def guarded(k, count):
    try:
        worker(k, count)
    except BaseException as e:  # noqa: BLE001 - report any failure of a loader thread
        failures.append(repr(e))


threads = [threading.Thread(target=guarded, args=(k, todo // 4)) for k in range(4)]
for t in threads:
    t.start()
for t in threads:
    t.join()
if failures:
    raise SystemExit("loading failed: " + "; ".join(failures))
c = conn()  # idle while the loaders ran: the server closes a keep-alive connection after 10 s

# Scope: one CSV import per project this user manages, all-or-nothing like a user's import.
groups = ["Joinery", "Doors and frames", "Wall panelling", "Ceilings", "Reception desk",
          "Wardrobes", "Kitchen units", "Loose furniture"]
units = ["pcs", "m", "m2", "set", "lm"]
csv_headers = {"Authorization": f"Bearer {token}", "Content-Type": "text/csv"}
have_scope = sum(call(c, "GET", f"/api/v1/projects/{p['id']}/scope-items?limit=1")["total"] for p in projects)
scope_todo = max(0, n_scope - have_scope)
per_project = -(-scope_todo // len(projects)) if scope_todo else 0
for i, p in enumerate(projects):
    count = min(per_project, scope_todo - i * per_project)
    if count <= 0:
        break
    rows = ["Group,Item code,Name,Location,Quantity,Unit,Unit price,Budget cost,Status,Progress %,"
            "Shop drawing required,Material spec required"]
    for n in range(count):
        rows.append(",".join([
            groups[n % len(groups)], f"BM{i:03d}-{n:04d}", f"{titles[n % len(titles)]} item {n}",
            f"Level {n % 6} room {n % 40}", str(1 + n % 12), units[n % len(units)],
            f"{150 + (n * 37) % 4000}.00", f"{100 + (n * 29) % 3000}.00",
            ["not_started", "in_progress", "completed"][n % 3], str((n * 7) % 101 if n % 3 == 1 else 0 if n % 3 == 0 else 100),
            "yes" if n % 2 else "no", "yes" if n % 3 else "no",
        ]))
    call(c, "POST", f"/api/v1/projects/{p['id']}/scope/import?dry_run=false&file_name=bench.csv",
         raw="\n".join(rows).encode(), headers=csv_headers)
scope_total = sum(call(c, "GET", f"/api/v1/projects/{p['id']}/scope-items?limit=1")["total"] for p in projects)

# Comments: site and workshop talk on the projects, their tasks and their scope items.
# A contractor's vocabulary: each word of it turns up in a few percent of the comments at
# most, as in real talk, and the same sentence rarely twice.
materials = ["American black walnut", "European oak", "white oak", "rift-sawn oak", "fumed oak",
             "ash", "ebonised ash", "maple", "birch ply", "teak", "sapele", "wenge", "zebrano",
             "eucalyptus", "cherry", "elm", "beech", "iroko", "MR MDF", "FR MDF", "HPL laminate",
             "Fenix", "Corian", "quartz", "Calacatta marble", "Nero Marquina", "travertine", "onyx",
             "terrazzo", "brushed brass", "antique bronze", "blackened steel", "stainless steel",
             "satin nickel", "smoked glass", "fluted glass", "back-painted glass", "leather", "linen",
             "velvet", "rattan", "cane", "cork", "linoleum", "acrylic", "anodised aluminium", "copper",
             "zinc", "bronze mirror", "crown-cut veneer", "quarter-cut veneer", "burl veneer",
             "walnut", "oak veneer", "bamboo", "rosewood", "mahogany", "padauk", "bubinga", "olive ash"]
finishes = ["matt lacquer", "10 % sheen lacquer", "hard wax oil", "open-pore stain", "high gloss",
            "powder coat", "clear sealer", "fumed finish", "liming wax", "pigmented lacquer",
            "osmo polyx", "danish oil", "shellac", "UV lacquer", "brushed texture", "sandblasted"]
things = ["reception desk", "concierge desk", "lobby wall panelling", "bar counter", "back bar shelving",
          "luggage rack", "wardrobe doors", "kitchen island", "vanity unit", "headboard", "bedside table",
          "TV unit", "bookcase", "ceiling raft", "acoustic slats", "door frame", "architrave", "skirting",
          "window board", "handrail", "balustrade", "banquette seating", "booth", "wine display",
          "humidor", "pantry shelving", "linen cupboard", "minibar unit", "mirror frame", "wall cladding",
          "column casing", "bulkhead", "reception backdrop", "signage panel", "display plinth",
          "feature wall", "pivot door", "sliding panel", "drawer fronts", "shaker doors", "dado rail",
          "coffer", "cornice", "pelmet", "console table", "dressing table", "shoe cabinet", "desk pedestal"]
happenings = ["is approved", "needs another look", "is on hold until the client confirms",
              "arrived on site today", "arrived with a damaged corner", "is ready for the dry fit",
              "has to be re-sprayed", "passed the workshop QC", "waits for the client's sign-off",
              "is waiting for the revised shop drawing", "is booked for Thursday morning",
              "was measured again on site", "goes to the CNC tomorrow", "is two days late",
              "was rejected by the interior designer", "needs a mock-up first", "is in the spray booth",
              "was templated yesterday", "is wrapped and on the truck", "has a colour mismatch",
              "needs new fixings", "is out of square by 4 mm", "goes in after the ceiling grid",
              "clashes with the sprinkler pipe", "was signed off by the architect",
              "is short of two panels", "needs a second coat", "is ready for collection"]
people = ["Hannah", "Daniel", "Grace", "Piotr", "Omar", "Lena", "Marco", "Aisha", "Tom", "Yuki",
          "Sofia", "Ravi", "Chen", "Fatima", "Lucas", "Ingrid"]
brands = ["Blum", "Hettich", "Häfele", "Egger", "Kronospan", "Formica", "Dekton", "Silestone", "Grass",
          "Salice", "Hafele", "Sugatsune", "FSB", "Dorma", "Simonswerk"]
asides = ["Please check the dimensions against {code}.", "Grain must run vertical on {code}.",
          "{who} says the client wants a warmer tone than the sample board.",
          "Site access is from the service road only, 07:00-16:00.",
          "Use {brand} soft-close hinges and push latches.",
          "{brand} quotes a lead time of {n} weeks.",
          "Moisture content measured at {n} %, fine to proceed.",
          "Order {n} sheets, book-matched.", "{who} attached photos to the task.",
          "Keep the shadow gap at {n} mm all round.", "Spray booth is free from Monday, ask {who}.",
          "Fixings must stay concealed behind the panels.", "Stock is in the workshop, rack {n}.",
          "{who} will call the supplier about {code}.", "Runners are {brand}, {n} kg rated.",
          "Tolerance on {code} is {n} mm.", "Delivery slot {n}:00, loading bay B.",
          "Snag list item {n}: chipped edge on {code}."]
ids = {}  # project id -> (task ids, [(item id, code)])
if n_comments:
    for p in projects:
        tasks = call(c, "GET", f"/api/v1/projects/{p['id']}/tasks?limit=200")["items"]
        items = call(c, "GET", f"/api/v1/projects/{p['id']}/scope-items?limit=200")["items"]
        ids[p["id"]] = ([t["id"] for t in tasks], [(i["id"], i["code"]) for i in items])


def comment_text(rng, code):
    def sentence():
        return f"The {rng.choice(things)} in {rng.choice(materials)} {rng.choice(happenings)}."
    parts = [sentence()]
    if rng.random() < 0.7:
        parts.append(rng.choice(asides).format(code=code, who=rng.choice(people), brand=rng.choice(brands),
                                               n=rng.randint(2, 40)))
    if rng.random() < 0.3:
        parts.append(f"Finish: {rng.choice(finishes)}.")
    if rng.random() < 0.15:
        parts.append(sentence())
    return " ".join(parts)


def commenter(k, count):
    rng = random.Random(k)
    c = conn()
    for j in range(count):
        p = projects[(k * count + j) % len(projects)]
        task_ids, items = ids[p["id"]]
        code = rng.choice(items)[1] if items else p["code"]
        roll = rng.random()
        if roll < 0.5 and task_ids:
            kind, rid, shared = "task", rng.choice(task_ids), rng.random() < 0.25
        elif roll < 0.85 and items:
            kind, rid, shared = "scope_item", rng.choice(items)[0], False
        else:
            kind, rid, shared = "project", p["id"], rng.random() < 0.25
        call(c, "POST", "/api/v1/comments", {
            "record_type": kind, "record_id": rid, "body": comment_text(rng, code),
            "visibility": "client" if shared else "internal",
        })


def guarded_comments(k, count):
    try:
        commenter(k, count)
    except BaseException as e:  # noqa: BLE001 - report any failure of a loader thread
        failures.append(repr(e))


workers = 8
per = -(-n_comments // workers) if n_comments else 0
counts = [min(per, max(0, n_comments - k * per)) for k in range(workers)]
threads = [threading.Thread(target=guarded_comments, args=(k, counts[k])) for k in range(workers)]
for t in threads:
    t.start()
for t in threads:
    t.join()
if failures:
    raise SystemExit("loading comments failed: " + "; ".join(failures))
c = conn()  # idle while the loaders ran (see above)

total = sum(p["task_total"] for p in call(c, "GET", "/api/v1/projects?limit=200")["items"])
print(f"projects={len(all_projects)} tasks={total} scope_items={scope_total} comments={sum(counts)}",
      file=sys.stderr)
if total < n_tasks * 0.99:
    raise SystemExit(f"only {total} tasks after loading, wanted {n_tasks}")
if scope_total < n_scope:
    raise SystemExit(f"only {scope_total} scope items after loading, wanted {n_scope}")
