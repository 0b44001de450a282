#!/usr/bin/env python3
"""A province under load: drives the real server with N users for S seconds and reports the
latency of each page (p50/p95/p99), the errors and the server's peak memory.

    python3 bench/load/load.py --bin target-rel/release/phongthu \
        --database sqlite:///tmp/load/province.db --citizens 1000000 --users 50 --seconds 60

It builds the province first when the database has no citizens (`phongthu demo --citizens N`:
one province, one regional command, three communes, one account per role), starts
`phongthu serve` on --port, logs in --users sessions spread over the demo accounts (province
administrator, regional and commune commanders, leader, inspector: different units and roles),
and runs each session in a loop over a mix of pages (home, name and ID searches, registry list
pages, a commune's cycle page, the cycle dashboard, a document, and, for those who may write,
a new citizen record) for --seconds. Only the Python standard library is used; every request
goes to 127.0.0.1. Peak RSS is the server's VmHWM (/proc). The client shares the machine's
cores with the server: its own CPU time is reported beside the figures.
"""

import argparse
import html
import http.client
import os
import random
import re
import subprocess
import sys
import threading
import time
import urllib.parse

PASSWORD = "phongthu-demo-2026"
ACCOUNTS = ["quantri", "chihuy", "chihuy.xa2", "chihuy.ptkv", "lanhdao", "thanhtra"]
WRITERS = {"quantri", "chihuy", "chihuy.xa2", "chihuy.ptkv"}
# Name searches: common words (many candidates), rarer given names, diacritics or not, and
# beginnings of ID numbers.
QUERIES = [
    "nguyen van", "Nguyễn Văn Đức", "tran thi", "le", "pham minh", "hoang", "duc", "hung",
    "Thị Lan", "vu quoc", "ngoc anh", "bui", "dang van tuan", "do thi hoa", "khanh", "thu",
    "0", "03", "001", "nguyen van an", "tuan anh", "ly", "trinh", "quang",
]


class Session:
    def __init__(self, port):
        self.port = port
        self.conn = None
        self.cookies = {}
        self.citizens = []

    def _connect(self):
        self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)

    def request(self, method, path, body=None):
        if self.conn is None:
            self._connect()
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if body is not None:
            body = urllib.parse.urlencode(body)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in (0, 1):
            try:
                self.conn.request(method, path, body=body, headers=headers)
                res = self.conn.getresponse()
                data = res.read()
                break
            except (http.client.HTTPException, ConnectionError, OSError):
                self.conn.close()
                self._connect()
                if attempt:
                    raise
        for k, v in res.getheaders():
            if k.lower() == "set-cookie":
                name, _, rest = v.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        return res.status, data

    def login(self, username):
        status, page = self.request("GET", "/login")
        token = re.search(rb'name="_csrf" value="([^"]+)"', page).group(1).decode()
        status, page = self.request(
            "POST", "/login", {"username": username, "password": PASSWORD, "_csrf": token, "next": "/"}
        )
        if status not in (302, 303):
            raise SystemExit(f"đăng nhập {username} thất bại: {status} {page[:300]!r}")

    def csrf(self, path):
        _, page = self.request("GET", path)
        m = re.search(rb'name="_csrf" value="([^"]+)"', page)
        return m.group(1).decode() if m else ""


def run(cmd, **kw):
    print("+", " ".join(cmd), flush=True)
    return subprocess.run(cmd, check=True, **kw)


def percentile(xs, p):
    if not xs:
        return 0.0
    xs = sorted(xs)
    k = min(len(xs) - 1, max(0, int(round(p / 100 * len(xs) + 0.5)) - 1))
    return xs[k]


def discover(s):
    """Ids the mix needs, read from the pages as an administrator (a call-up cycle of the
    province is opened when there is none)."""
    _, page = s.request("GET", "/nvqs")
    cycles = [int(x) for x in re.findall(rb'href="/nvqs/(\d+)"', page)]
    if not cycles:
        token = re.search(rb'name="_csrf" value="([^"]+)"', page).group(1).decode()
        unit = re.search(rb'name="unit_id"><option value="(\d+)"', page).group(1).decode()
        year = re.search(rb'name="year" value="(\d+)"', page).group(1).decode()
        s.request("POST", "/nvqs", {"_csrf": token, "unit_id": unit, "year": year, "quota": "300"})
        _, page = s.request("GET", "/nvqs")
        cycles = [int(x) for x in re.findall(rb'href="/nvqs/(\d+)"', page)]
    _, page = s.request("GET", "/citizens/new")
    communes = [int(x) for x in re.findall(rb'<option value="(\d+)"', page)]
    return {"cycle": cycles[0] if cycles else None, "communes": communes}


def own_citizens(s):
    """Records this user may open (in its scope)."""
    _, page = s.request("GET", "/citizens?page=3")
    return [int(x) for x in re.findall(rb'href="/citizens/(\d+)"', page)]


def mix(user, ids, citizens):
    """(weight, page name, method, path or None for a write) for this user."""
    cycle = ids["cycle"]
    commune = random.choice(ids["communes"]) if ids["communes"] else None
    own = {"chihuy": 0, "chihuy.xa2": 1}.get(user)
    if own is not None and len(ids["communes"]) > own:
        commune = ids["communes"][own]
    q = random.choice(QUERIES)
    page_no = random.choice([1, 1, 1, 2, 3, 10])
    items = [
        (20, "home", "/"),
        (25, "search", "/citizens?q=" + urllib.parse.quote(q)),
        (15, "list", f"/citizens?page={page_no}"),
        (5, "citizen", f"/citizens/{random.choice(citizens)}" if citizens else "/citizens"),
    ]
    if cycle:
        items += [
            (10, "dashboard", f"/nvqs/{cycle}/tong-hop"),
            (8, "commune-cycle", f"/nvqs/{cycle}/xa/{commune}"),
            (5, "document", f"/nvqs/{cycle}/bao-cao.pdf"),
        ]
    if user in WRITERS:
        items.append((2, "write", None))
    return items


def worker(sess, user, ids, deadline, results, lock, rng_seed):
    random.seed(rng_seed)
    local = []
    n = 0
    while time.monotonic() < deadline:
        items = mix(user, ids, sess.citizens)
        total = sum(w for w, _, _ in items)
        r = random.uniform(0, total)
        for w, name, path in items:
            r -= w
            if r <= 0:
                break
        t0 = time.monotonic()
        try:
            if path is None:
                token = sess.csrf("/citizens/new")
                unit = ids["communes"][{"chihuy": 0, "chihuy.xa2": 1}.get(user, 0) % len(ids["communes"])]
                n += 1
                status, body = sess.request(
                    "POST",
                    "/citizens/new",
                    {
                        "_csrf": token,
                        "unit_id": str(unit),
                        "full_name": f"Nguyễn Văn Tải {rng_seed} {n}",
                        "birth_date": "15/03/2007",
                        "sex": "male",
                    },
                )
                ok = status in (200, 302, 303)
            else:
                status, body = sess.request("GET", path)
                ok = status == 200
        except Exception as e:  # noqa: BLE001 - any failure is an error of the run
            status, body, ok = 0, str(e).encode(), False
        dt = (time.monotonic() - t0) * 1000
        local.append((name, dt, ok, status, body[:200] if not ok else b""))
    with lock:
        results.extend(local)


def start_server(bin_path, port, env, stderr=None):
    """`phongthu serve` on 127.0.0.1:`port`, once it answers (at most a minute)."""
    server = subprocess.Popen([bin_path, "serve", "--listen", f"127.0.0.1:{port}"], env=env,
                              stdout=subprocess.DEVNULL, stderr=stderr)
    for _ in range(600):
        try:
            http.client.HTTPConnection("127.0.0.1", port, timeout=1).request("GET", "/login")
            break
        except OSError:
            time.sleep(0.1)
    return server


def rss_sampler(pid, stop, peak):
    while not stop.is_set():
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        peak[0] = max(peak[0], int(line.split()[1]))
        except FileNotFoundError:
            return
        time.sleep(0.1)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", required=True)
    ap.add_argument("--database", required=True)
    ap.add_argument("--citizens", type=int, default=1_000_000)
    ap.add_argument("--users", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--port", type=int, default=18084)
    ap.add_argument("--warmup", type=float, default=5, help="seconds of the mix before measuring")
    ap.add_argument("--built", action="store_true", help="the province is already in the database")
    args = ap.parse_args()

    env = dict(os.environ, PHONGTHU_DATABASE_URL=args.database, RUST_LOG="warn")
    if not args.built:
        t0 = time.time()
        run([args.bin, "demo", "--citizens", str(args.citizens)], env=env)
        print(f"province ready in {time.time() - t0:.1f} s", flush=True)
    server = start_server(args.bin, args.port, env)
    try:
        admin = Session(args.port)
        admin.login("quantri")
        ids = discover(admin)
        print("ids:", {k: (v if not isinstance(v, list) else v[:5]) for k, v in ids.items()}, flush=True)
        users = []
        for i in range(args.users):
            user = ACCOUNTS[i % len(ACCOUNTS)]
            s = Session(args.port)
            s.login(user)
            s.citizens = own_citizens(s)
            users.append((s, user))
        lock = threading.Lock()
        # Warm-up: the same mix, not counted (caches, the first reading of the stored pools).
        if args.warmup > 0:
            scratch = []
            end = time.monotonic() + args.warmup
            ts = [threading.Thread(target=worker, args=(s, u, ids, end, scratch, lock, 10_000 + i))
                  for i, (s, u) in enumerate(users)]
            [t.start() for t in ts]
            [t.join() for t in ts]
        results = []
        stop = threading.Event()
        peak = [0]
        sampler = threading.Thread(target=rss_sampler, args=(server.pid, stop, peak))
        sampler.start()
        cpu0 = os.times()
        end = time.monotonic() + args.seconds
        ts = [threading.Thread(target=worker, args=(s, u, ids, end, results, lock, i))
              for i, (s, u) in enumerate(users)]
        [t.start() for t in ts]
        [t.join() for t in ts]
        cpu1 = os.times()
        stop.set()
        sampler.join()
        with open(f"/proc/{server.pid}/status") as f:
            hwm = next(int(l.split()[1]) for l in f if l.startswith("VmHWM:"))
    finally:
        server.terminate()
        server.wait()

    pages = sorted({r[0] for r in results})
    print()
    print(f"{args.users} users, {args.seconds:.0f} s, {len(results)} requests "
          f"({len(results) / args.seconds:.0f}/s), database {args.database.split('://')[0]}")
    print("| page | requests | p50 ms | p95 ms | p99 ms | max ms | errors |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for p in pages + ["all"]:
        rs = [r for r in results if p == "all" or r[0] == p]
        lat = [r[1] for r in rs]
        errs = sum(1 for r in rs if not r[2])
        print(f"| {p} | {len(rs)} | {percentile(lat, 50):.0f} | {percentile(lat, 95):.0f} | "
              f"{percentile(lat, 99):.0f} | {max(lat):.0f} | {errs} |")
    print(f"\nserver peak RSS: {hwm / 1024:.0f} MiB (VmHWM; sampled VmRSS max {peak[0] / 1024:.0f} MiB)")
    print(f"client CPU: {cpu1.user - cpu0.user + cpu1.system - cpu0.system:.1f} s over {args.seconds:.0f} s")
    errors = [r for r in results if not r[2]]
    for name, dt, _, status, body in errors[:10]:
        snippet = html.unescape(re.sub(rb"<[^>]+>", b" ", body).decode(errors="replace"))[:160]
        print(f"error: {name} {status} {dt:.0f} ms {' '.join(snippet.split())}")
    return 0 if not errors else 1


if __name__ == "__main__":
    sys.exit(main())
