#!/usr/bin/env python3
"""Hostile uploads against the real server: bombs, huge pages, many pages, all at once, while
another user logs in again and again. Reports the server's peak memory and the login times.

    python3 bench/hostile_uploads/run.py --bin target/release/phongthu

It seeds the demo into a fresh SQLite file (`phongthu demo`), starts `phongthu serve` on --port,
logs in as the commune commander (`chihuy`) and the province administrator (`quantri`), makes the
hostile files on the spot (nothing is downloaded) and sends every one of them --copies times, from
one thread per upload, to every upload form of the product:

- XLSX shared-strings bombs (a few hundred KB that expand to hundreds of MB of strings) and a
  DEFLATE bomb (a 1 GiB sheet of zeros in about 1 MB) to the citizen, reservist, equipment,
  militia and defence-education imports and the medical-examination sheet;
- a 1,000-page blank scanned PDF, a one-page PDF of 4,000 × 4,000 points and a PNG declaring
  40,000 × 40,000 pixels to the document reader;
- a citizen CSV of 100 MB (one million rows).

Meanwhile a second thread logs `thanhtra` in every 200 ms and times the POST /login. Peak
memory is the server's VmHWM (/proc); the sampled VmRSS max and the RSS after the run (memory
kept once the work is done) are printed beside it. The exit status is 0 only when the peak
stays under 1 GiB, every login took under 1 s and every upload was answered without a 5xx.
Only the Python standard library is used (and bench/load/load.py for the session).
"""

import argparse
import io
import os
import re
import struct
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import zipfile
import zlib

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "load"))
from load import Session, percentile, rss_sampler, start_server  # noqa: E402


# ---------------------------------------------------------------- hostile files

def xlsx(sheet_xml, shared_xml=None):
    """A minimal workbook whose one sheet and shared strings are the given XML (bytes)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("[Content_Types].xml",
                   '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                   '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                   '<Default Extension="xml" ContentType="application/xml"/>'
                   '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
                   '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
                   '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
                   '</Types>')
        z.writestr("_rels/.rels",
                   '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                   '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
                   '</Relationships>')
        z.writestr("xl/workbook.xml",
                   '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
                   'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
                   '<sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>')
        z.writestr("xl/_rels/workbook.xml.rels",
                   '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                   '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
                   '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
                   '</Relationships>')
        z.writestr("xl/worksheets/sheet1.xml", sheet_xml)
        if shared_xml is not None:
            z.writestr("xl/sharedStrings.xml", shared_xml)
    return buf.getvalue()


def shared_strings_bomb(strings, length):
    """`strings` shared strings of `length` letters each, referenced by a small sheet."""
    body = ("<si><t>" + "A" * length + "</t></si>").encode() * strings
    shared = (b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
              + f'count="{strings}" uniqueCount="{strings}">'.encode() + body + b"</sst>")
    rows = "".join(f'<row r="{r}"><c r="A{r}" t="s"><v>{r - 1}</v></c><c r="B{r}" t="s"><v>{r - 1}</v></c></row>'
                   for r in range(1, 2001))
    sheet = ('<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
             f"<sheetData>{rows}</sheetData></worksheet>").encode()
    return xlsx(sheet, shared)


def deflate_bomb():
    """A sheet part of 1 GiB of zeros (not even XML), in about 1 MB of DEFLATE."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as f:
            chunk = b"\0" * (16 * 1024 * 1024)
            for _ in range(64):
                f.write(chunk)
    return buf.getvalue()


def blank_pdf(pages, width, height):
    objects = ["<< /Type /Catalog /Pages 2 0 R >>",
               "<< /Type /Pages /Kids [%s] /Count %d >>" % (" ".join(f"{i + 3} 0 R" for i in range(pages)), pages)]
    objects += [f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {width} {height}] /Resources << >> >>"] * pages
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, o in enumerate(objects):
        offsets.append(len(out))
        out += f"{i + 1} 0 obj\n{o}\nendobj\n".encode()
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for off in offsets:
        out += f"{off:010} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def huge_png(width, height):
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    return (b"\x89PNG\r\n\x1a\n" + struct.pack(">I", len(ihdr)) + chunk
            + struct.pack(">I", zlib.crc32(chunk) & 0xFFFFFFFF))


def big_csv(path, rows):
    with open(path, "w", encoding="utf-8") as f:
        f.write("Họ và tên,Ngày sinh,Giới tính,Số định danh,Trình độ văn hóa\n")
        line = "Nguyễn Văn " + "A" * 40 + ",01/01/2006,Nam,{:012d},12/12\n"
        for i in range(rows):
            f.write(line.format(1_000_000_000 + i))


# ---------------------------------------------------------------- the requests

def multipart(s, path, fields, file_name, data):
    """POSTs a multipart form; `data` is bytes or a path. Returns (status, seconds, body head)."""
    boundary = uuid.uuid4().hex
    head = b"".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
        for k, v in fields)
    head += (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{file_name}"\r\n'
             "Content-Type: application/octet-stream\r\n\r\n").encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    if isinstance(data, (bytes, bytearray)):
        body = head + data + tail
    else:
        with open(data, "rb") as f:
            body = head + f.read() + tail
    headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in s.cookies.items()),
               "Content-Type": f"multipart/form-data; boundary={boundary}"}
    import http.client
    conn = http.client.HTTPConnection("127.0.0.1", s.port, timeout=600)
    t0 = time.monotonic()
    conn.request("POST", path, body=body, headers=headers)
    res = conn.getresponse()
    out = res.read()
    status = res.status
    location = res.getheader("Location")
    # A background reading: follow it until it has an answer.
    # A background job: its page refreshes itself (Refresh header) until it has an answer.
    if status in (302, 303) and location and ("/upload/" in location or "/import/" in location):
        while True:
            conn.request("GET", location, headers={"Cookie": headers["Cookie"]})
            res = conn.getresponse()
            out = res.read()
            status = res.status
            if not res.getheader("Refresh"):
                break
            time.sleep(0.5)
    conn.close()
    return status, time.monotonic() - t0, out


def form_fields(s, path):
    _, page = s.request("GET", path)
    token = re.search(rb'name="_csrf" value="([^"]+)"', page)
    unit = re.search(rb'name="unit_id"[^>]*>\s*(?:<option value="">[^<]*</option>\s*)?<option value="(\d+)"', page)
    fields = [("_csrf", token.group(1).decode() if token else "")]
    if unit:
        fields.append(("unit_id", unit.group(1).decode()))
    fields.append(("date", time.strftime("%d/%m/%Y")))
    return fields


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", required=True)
    ap.add_argument("--port", type=int, default=18085)
    ap.add_argument("--copies", type=int, default=2, help="each hostile file is sent this many times at once")
    ap.add_argument("--only-csv", action="store_true", help="send only the large citizen CSV")
    ap.add_argument("--csv-rows", type=int, default=1_000_000,
                    help="rows of the large citizen CSV sent with the hostile files (0: none)")
    args = ap.parse_args()

    work = tempfile.mkdtemp(prefix="phongthu-hostile-")
    env = dict(os.environ, PHONGTHU_DATABASE_URL=f"sqlite://{work}/hostile.db", RUST_LOG="warn")
    subprocess.run([args.bin, "demo"], env=env, check=True, stdout=subprocess.DEVNULL)
    csv_path = os.path.join(work, "cong-dan.csv")
    if args.csv_rows:
        big_csv(csv_path, args.csv_rows)
    bombs = {
        "chuỗi chung 200 MB": shared_strings_bomb(20_000, 10_000),
        "DEFLATE 1 GiB": deflate_bomb(),
    }
    print("hostile files:", {k: f"{len(v) / 1024:.0f} KiB" for k, v in bombs.items()},
          f"CSV {os.path.getsize(csv_path) / 2**20:.0f} MiB" if args.csv_rows else "", flush=True)

    server = start_server(args.bin, args.port, env, stderr=subprocess.DEVNULL)
    try:
        commune = Session(args.port)
        commune.login("chihuy")
        admin = Session(args.port)
        admin.login("quantri")
        _, page = commune.request("GET", "/militia")
        militia = re.search(rb'href="/militia/(\d+)"', page)
        _, page = commune.request("GET", "/nvqs")
        cycle = re.search(rb'href="/nvqs/(\d+)"', page)
        _, me = commune.request("GET", "/citizens/new")
        unit = re.search(rb'<option value="(\d+)"', me)
        forms = [("/citizens/import", commune), ("/reserve/import", commune),
                 ("/reserve/equipment/import", commune), ("/giao-duc-qp/nhap", admin)]
        if militia:
            forms.append((f"/militia/{militia.group(1).decode()}/import", commune))
        if cycle and unit:
            forms.append((f"/nvqs/{cycle.group(1).decode()}/xa/{unit.group(1).decode()}/kham/nhap", commune))
        jobs = []
        for path, s in ([] if args.only_csv else forms):
            fields = form_fields(s, path)
            for name, data in bombs.items():
                jobs.append((f"{path} ← {name}", s, path, fields, "bom.xlsx", data))
        doc_fields = form_fields(commune, "/documents/new")
        for name, file_name, data in [] if args.only_csv else [("PDF 1.000 trang trắng", "trang.pdf", blank_pdf(1000, 595, 842)),
                                      ("PDF 4.000 × 4.000 điểm", "lon.pdf", blank_pdf(1, 4000, 4000)),
                                      ("PNG 40.000 × 40.000", "bom.png", huge_png(40_000, 40_000))]:
            jobs.append((f"/documents/upload ← {name}", commune, "/documents/upload", doc_fields, file_name, data))
        if args.csv_rows:
            jobs.append((f"/citizens/import ← CSV {args.csv_rows:,} dòng".replace(",", "."), commune,
                         "/citizens/import", form_fields(commune, "/citizens/import"), "cong-dan.csv", csv_path))
        jobs = [j for j in jobs for _ in range(args.copies)]

        stop = threading.Event()
        peak = [0]
        sampler = threading.Thread(target=rss_sampler, args=(server.pid, stop, peak))
        sampler.start()
        logins = []

        def login_loop():
            while not stop.is_set():
                s = Session(args.port)
                _, page = s.request("GET", "/login")
                token = re.search(rb'name="_csrf" value="([^"]+)"', page).group(1).decode()
                t0 = time.monotonic()
                status, _ = s.request("POST", "/login", {"username": "thanhtra", "password": "phongthu-demo-2026",
                                                         "_csrf": token, "next": "/"})
                logins.append((time.monotonic() - t0, status))
                time.sleep(0.2)

        results = []
        lock = threading.Lock()

        def send(job):
            label, s, path, fields, file_name, data = job
            try:
                status, secs, body = multipart(s, path, fields, file_name, data)
            except Exception as e:  # a dropped connection is a failure of the server
                status, secs, body = 0, 0.0, str(e).encode()
            text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body.decode(errors="replace")))
            msg = re.search(r"(Tệp[^.]{0,160}\.|[^.]{0,80}(quá|vượt|không đọc|từ chối)[^.]{0,120}\.)", text)
            with lock:
                results.append((label, status, secs, msg.group(0).strip() if msg else text[:400].strip()))

        t_login = threading.Thread(target=login_loop)
        t_login.start()
        t0 = time.monotonic()
        threads = [threading.Thread(target=send, args=(j,)) for j in jobs]
        [t.start() for t in threads]
        [t.join() for t in threads]
        elapsed = time.monotonic() - t0
        time.sleep(1)
        stop.set()
        t_login.join()
        sampler.join()
        with open(f"/proc/{server.pid}/status") as f:
            status_lines = f.read().splitlines()
        hwm = next(int(l.split()[1]) for l in status_lines if l.startswith("VmHWM:"))
        rss = next(int(l.split()[1]) for l in status_lines if l.startswith("VmRSS:"))
        # The server still answers afterwards.
        after_status, _ = commune.request("GET", "/")
    finally:
        server.terminate()
        server.wait()

    print(f"\n{len(jobs)} uploads at once, all answered in {elapsed:.1f} s")
    print("| upload | status | seconds | answer |")
    print("| --- | ---: | ---: | --- |")
    for label, status, secs, msg in sorted(results):
        print(f"| {label} | {status} | {secs:.1f} | {msg[:400]} |")
    times = [t for t, _ in logins]
    print(f"\nlogins meanwhile: {len(times)}, p50 {percentile(times, 50) * 1000:.0f} ms, "
          f"p99 {percentile(times, 99) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms, "
          f"failed {sum(1 for _, st in logins if st not in (302, 303))}")
    print(f"server peak RSS {hwm / 1024:.0f} MiB (VmHWM; sampled max {peak[0] / 1024:.0f} MiB), "
          f"RSS after {rss / 1024:.0f} MiB; home page afterwards: {after_status}")
    ok = (hwm < 1024 * 1024 and max(times) < 1.0 and after_status == 200
          and all(0 < st < 500 for _, st, _, _ in results)
          and all(st in (302, 303) for _, st in logins))
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
