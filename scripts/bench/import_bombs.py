"""Sends spreadsheet import bombs to a running Formula PM and reports, for each, the answer,
how long it took and the server's memory (VmRSS) after it.

    python3 scripts/bench/import_bombs.py BASE_URL TOKEN PROJECT_ID SERVER_PID WORK_DIR

The files are generated here, at full size (a gigabyte of zeros, ten million rows, sixteen
thousand columns), so that none is committed to the repository. Each is a real .xlsx zip
that a reader without limits would unpack; the "lying" ones declare a small size in the
zip directory and unpack to far more.
"""

import http.client
import json
import os
import struct
import sys
import time
import urllib.parse
import zipfile
from concurrent.futures import ThreadPoolExecutor

base, token, project, pid, work = sys.argv[1:6]
url = urllib.parse.urlparse(base)

CONTENT_TYPES = b'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/></Types>'
RELS = b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
WORKBOOK = b'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
WORKBOOK_RELS = b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>'
SHEET_HEAD = b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
HEADER_ROW = b'<row r="1"><c r="A1" t="inlineStr"><is><t>Group</t></is></c><c r="B1" t="inlineStr"><is><t>Name</t></is></c></row>'
CHUNK = 1 << 20


def workbook(path, sheet_chunks, shared_chunks=None):
    """Writes an .xlsx whose sheet (and shared strings) are streamed from generators."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("[Content_Types].xml", CONTENT_TYPES)
        z.writestr("_rels/.rels", RELS)
        z.writestr("xl/workbook.xml", WORKBOOK)
        z.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        with z.open("xl/worksheets/sheet1.xml", "w") as f:
            for chunk in sheet_chunks:
                f.write(chunk)
        if shared_chunks is not None:
            with z.open("xl/sharedStrings.xml", "w") as f:
                for chunk in shared_chunks:
                    f.write(chunk)


def declare(path, part, size):
    """Rewrites the size `part` declares (central directory and local header)."""
    data = bytearray(open(path, "rb").read())
    name = part.encode()
    for sig, name_len_at, name_at, size_at in ((b"PK\x01\x02", 28, 46, 24), (b"PK\x03\x04", 26, 30, 22)):
        i = data.find(sig)
        while i >= 0:
            n = struct.unpack_from("<H", data, i + name_len_at)[0]
            if data[i + name_at:i + name_at + n] == name:
                struct.pack_into("<I", data, i + size_at, size)
            i = data.find(sig, i + 4)
    open(path, "wb").write(bytes(data))


def repeated(head, unit, count, tail):
    yield head
    block = unit * max(1, CHUNK // len(unit))
    per = CHUNK // len(unit) or 1
    left = count
    while left > 0:
        n = min(per, left)
        yield block if n == per else unit * n
        left -= n
    yield tail


def files():
    out = []
    gib = 1 << 30
    p = os.path.join(work, "zip_bomb.xlsx")
    workbook(p, repeated(SHEET_HEAD + b"<!--", b" " * 1024, gib // 1024, b"--><sheetData>" + HEADER_ROW + b"</sheetData></worksheet>"))
    out.append(("zip bomb: sheet unpacks to 1 GiB", p))
    p = os.path.join(work, "zip_bomb_lying.xlsx")
    workbook(p, repeated(SHEET_HEAD + b"<!--", b" " * 1024, gib // 1024, b"--><sheetData>" + HEADER_ROW + b"</sheetData></worksheet>"))
    declare(p, "xl/worksheets/sheet1.xml", 4096)
    out.append(("zip bomb: 1 GiB declared as 4 KiB", p))
    row = b"<row><c t=\"inlineStr\"><is><t>G</t></is></c><c><v>1</v></c></row>"
    p = os.path.join(work, "ten_million_rows.xlsx")
    workbook(p, repeated(SHEET_HEAD + b"<sheetData>" + HEADER_ROW, row, 10_000_000, b"</sheetData></worksheet>"))
    out.append(("10 M rows (no dimension)", p))
    p = os.path.join(work, "ten_million_rows_lying.xlsx")
    workbook(p, repeated(SHEET_HEAD + b"<sheetData>" + HEADER_ROW, row, 10_000_000, b"</sheetData></worksheet>"))
    declare(p, "xl/worksheets/sheet1.xml", 4 << 20)
    out.append(("10 M rows declared as 4 MiB (streamed to the row limit)", p))
    p = os.path.join(work, "ten_million_rows_dimension.xlsx")
    workbook(p, repeated(SHEET_HEAD + b'<dimension ref="A1:B10000001"/><sheetData>' + HEADER_ROW, row, 10_000_000, b"</sheetData></worksheet>"))
    declare(p, "xl/worksheets/sheet1.xml", 1 << 20)
    out.append(("10 M rows, dimension A1:B10000001, declared as 1 MiB", p))
    sheet = SHEET_HEAD + b"<sheetData>" + b'<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>' + b"</sheetData></worksheet>"
    sst = b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    p = os.path.join(work, "shared_strings.xlsx")
    workbook(p, [sheet], repeated(sst, b"<si><t>Group name</t></si>", 20_000_000, b"</sst>"))
    out.append(("shared strings: 20 M entries (500 MB)", p))
    p = os.path.join(work, "shared_strings_lying.xlsx")
    workbook(p, [sheet], repeated(sst, b"<si><t>Group name</t></si>", 20_000_000, b"</sst>"))
    declare(p, "xl/sharedStrings.xml", 4096)
    out.append(("shared strings: 500 MB declared as 4 KiB", p))
    cells = b"<c><v>1</v></c>" * 16_384
    p = os.path.join(work, "wide.xlsx")
    workbook(p, repeated(SHEET_HEAD + b'<dimension ref="A1:XFD1000"/><sheetData>', b"<row>" + cells + b"</row>", 1000, b"</sheetData></worksheet>"))
    declare(p, "xl/worksheets/sheet1.xml", 1 << 20)
    out.append(("16,384 columns x 1,000 rows, dimension A1:XFD1000", p))
    p = os.path.join(work, "wide_undeclared.xlsx")
    workbook(p, repeated(SHEET_HEAD + b"<sheetData>", b"<row>" + cells + b"</row>", 1000, b"</sheetData></worksheet>"))
    declare(p, "xl/worksheets/sheet1.xml", 1 << 20)
    out.append(("16,384 columns x 1,000 rows, no dimension", p))
    return out


def rss_mb():
    with open(f"/proc/{pid}/status") as f:
        fields = dict(line.split(":", 1) for line in f)
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def send(kind, path):
    body = open(path, "rb").read()
    c = http.client.HTTPConnection(url.hostname, url.port, timeout=120)
    t0 = time.monotonic()
    c.request("POST", f"/api/v1/projects/{project}/{kind}/import?dry_run=true&file_name=bomb.xlsx", body,
              {"Authorization": f"Bearer {token}", "Content-Type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"})
    r = c.getresponse()
    answer = r.read()
    elapsed = time.monotonic() - t0
    try:
        detail = json.loads(answer).get("detail", "")
    except ValueError:
        detail = answer[:80].decode(errors="replace")
    return r.status, elapsed, detail, len(body)


print(f"idle: VmRSS {rss_mb()[0]:.1f} MB")
print("| file | size | scope import | materials import | VmRSS after |")
print("|---|---:|---|---|---:|")
made = files()
worst = 0.0
for what, path in made:
    cells = []
    for kind in ("scope", "specs"):
        status, elapsed, detail, size = send(kind, path)
        worst = max(worst, elapsed)
        cells.append(f"{status} in {elapsed * 1000:.0f} ms")
    print(f"| {what} | {size / 1e6:.2f} MB | {cells[0]} | {cells[1]} | {rss_mb()[0]:.1f} MB |")
    print(f"|  ↳ *{detail}* | | | | |")
# All of them at once, four times over, through both imports.
jobs = [(kind, path) for _ in range(4) for _, path in made for kind in ("scope", "specs")]
t0 = time.monotonic()
with ThreadPoolExecutor(max_workers=16) as pool:
    results = list(pool.map(lambda j: send(*j), jobs))
statuses = {}
for status, *_ in results:
    statuses[status] = statuses.get(status, 0) + 1
print()
print(f"{len(jobs)} at once (16 connections): answers {statuses}, slowest {max(r[1] for r in results) * 1000:.0f} ms, all in {(time.monotonic() - t0):.2f} s")
rss, hwm = rss_mb()
print(f"slowest single refusal {worst * 1000:.0f} ms; VmRSS afterwards {rss:.1f} MB (peak VmHWM {hwm:.1f} MB)")
