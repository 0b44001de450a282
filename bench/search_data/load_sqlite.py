#!/usr/bin/env python3
"""Loads the documents written by gen_documents.py (CSV) into a SQLite register seeded by
`phongthu --database sqlite://FILE bench search --documents 0` (the FTS5 triggers fill the
full-text indexes). Usage: load_sqlite.py FILE.db documents.csv"""
import csv, sqlite3, sys
db, path = sys.argv[1], sys.argv[2]
con = sqlite3.connect(db)
cols = "id, unit_id, province_code, direction, kind, number_symbol, number, family, type_code, year, issuer, place, issued_on, title, signer_name, signer_title, authority, recipients, secrecy, urgency, topics, cited, body_text, series, period, incoming_number, received_on, status, number_folded, title_folded, search_folded, created_by, created_at"
names = [c.strip() for c in cols.split(",")]
keep = {"authority", "recipients", "topics", "cited"}
ints = {"id", "unit_id", "number", "incoming_number", "year", "created_by"}
def conv(row):
    out = []
    for n, v in zip(names, row):
        if v == "" and n not in keep: out.append(None)
        elif n in ints and v != "": out.append(int(v))
        else: out.append(v)
    return out
with con:
    con.executemany(f"INSERT INTO document ({cols}) VALUES ({','.join('?' * len(names))})", (conv(r) for r in csv.reader(open(path))))
con.close()
