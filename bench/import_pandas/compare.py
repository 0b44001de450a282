#!/usr/bin/env python3
"""The pandas baseline for `phongthu bench import` ("Measured").

Loads the SAME generated registry file that phongthu imports (CSV with `read_csv`, XLSX with
`read_excel`) and writes it with `DataFrame.to_sql` into a fresh SQLite file and, when --pg is
given, into a fresh database created on that PostgreSQL server (dropped afterwards). Prints the
read, write and total times and rows/s per run, as a Markdown table.

pandas does no validation here: no ID check, no date check, no duplicate detection, no search or
sort keys, no audit. phongthu does all of these; the comparison is of the whole "file to table"
job as a person would script it with pandas.

With --sqlite-floor, each CSV is also loaded by the sqlite3 command-line shell's own `.import`
(C code: the cells as text into a table without indexes, nothing checked or derived), once into
a file with phongthu's settings (WAL, synchronous NORMAL) and once into memory with no journal.
No importer that stores the rows in SQLite can be faster than that on the same machine; it shows
how much of pandas' time is left for everything else ("5x pandas").
"""

import argparse
import os
import resource
import shutil
import sqlite3  # noqa: F401  (the driver SQLAlchemy uses for sqlite://)
import subprocess
import tempfile
import time

import pandas as pd
from sqlalchemy import create_engine, text


def read(path):
    t0 = time.perf_counter()
    if path.endswith(".xlsx"):
        # dtype=str keeps the leading zeros of ID numbers and commune codes, as phongthu does.
        df = pd.read_excel(path, dtype=str, engine="openpyxl")
    else:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    return df, time.perf_counter() - t0


def write(df, url, chunksize, method):
    engine = create_engine(url)
    t0 = time.perf_counter()
    df.to_sql("citizen", engine, if_exists="replace", index=False, chunksize=chunksize, method=method)
    dt = time.perf_counter() - t0
    engine.dispose()
    return dt


def sqlite_floor(path, target):
    """Seconds the sqlite3 shell takes to `.import` the CSV `path` into `target` (a file name or
    ":memory:")."""
    pragmas = ("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;" if target != ":memory:"
               else "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;")
    t0 = time.perf_counter()
    # The shell reads a double-quoted argument with backslash escapes: any path goes through.
    quoted = '"' + path.replace("\\", "\\\\").replace('"', '\\"') + '"'
    subprocess.run(["sqlite3", target, pragmas, ".mode csv", f".import {quoted} citizen_raw"],
                   check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0


def fresh_pg(admin_url, name):
    eng = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with eng.connect() as c:
        c.execute(text(f"DROP DATABASE IF EXISTS {name}"))
        c.execute(text(f"CREATE DATABASE {name}"))
    eng.dispose()
    return admin_url.rsplit("/", 1)[0] + "/" + name


def drop_pg(admin_url, name):
    eng = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with eng.connect() as c:
        c.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    eng.dispose()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("files", nargs="+", help="registry files written by `phongthu bench import --generate-only DIR`")
    ap.add_argument("--pg", help="PostgreSQL server URL, e.g. postgres://postgres@127.0.0.1:5432/test")
    ap.add_argument("--chunksize", type=int, default=10000, help="rows per to_sql chunk (default 10000)")
    ap.add_argument("--method", choices=["default", "multi"], default="default",
                    help="to_sql insertion method: executemany (default) or multi-row INSERT")
    ap.add_argument("--sqlite-floor", action="store_true",
                    help="also time the sqlite3 shell's own .import of each CSV (needs sqlite3 on PATH)")
    args = ap.parse_args()
    if args.sqlite_floor and shutil.which("sqlite3") is None:
        ap.error("--sqlite-floor needs the sqlite3 command-line shell (apt-get install sqlite3)")
    method = None if args.method == "default" else "multi"
    print(f"pandas {pd.__version__}, to_sql chunksize={args.chunksize}, method={args.method}")
    print("| backend | file | rows | read s | to_sql s | total s | rows/s | peak RSS MB (process so far) |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for path in args.files:
        df, t_read = read(path)
        n = len(df)
        targets = [("SQLite", None)]
        if args.pg:
            targets.append(("PostgreSQL", args.pg))
        for backend, admin in targets:
            if admin is None:
                tmp = tempfile.mkdtemp(prefix="pandas-bench-")
                db = os.path.join(tmp, "bench.db")
                t_write = write(df, f"sqlite:///{db}", args.chunksize, method)
                os.remove(db)
                os.rmdir(tmp)
            else:
                name = f"pandas_bench_{os.getpid()}"
                url = fresh_pg(admin.replace("postgres://", "postgresql+psycopg2://", 1), name)
                try:
                    t_write = write(df, url, args.chunksize, method)
                finally:
                    drop_pg(admin.replace("postgres://", "postgresql+psycopg2://", 1), name)
            total = t_read + t_write
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(f"| {backend} | {os.path.basename(path)} | {n} | {t_read:.2f} | {t_write:.2f} | "
                  f"{total:.2f} | {n / total:.0f} | {rss:.0f} |", flush=True)
        if args.sqlite_floor and not path.endswith(".xlsx"):
            tmp = tempfile.mkdtemp(prefix="sqlite-floor-")
            db = os.path.join(tmp, "floor.db")
            for label, target in [("sqlite3 .import, WAL file", db), ("sqlite3 .import, memory", ":memory:")]:
                t = sqlite_floor(path, target)
                print(f"| {label} | {os.path.basename(path)} | {n} | – | – | {t:.2f} | {n / t:.0f} | – |",
                      flush=True)
            shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
