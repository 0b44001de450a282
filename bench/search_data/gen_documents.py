#!/usr/bin/env python3
"""Port of `phongthu bench search`'s document generator (crates/phongthu/src/cmd_bench.rs: the
same word lists, read from that file, the same xorshift sequence and seed, the same folding):
writes the same documents as CSV rows of the `document` table, to load into a register seeded
with `phongthu bench search --documents 0` in seconds instead of minutes (see README.md).
Usage: gen_documents.py crates/phongthu/src/cmd_bench.rs N UNIT_ID OUT.csv RECEIVED_ON PROVINCE"""
import csv, re, sys, unicodedata

src = open(sys.argv[1]).read()
def const_list(name):
    body = src.split(f"const {name}: &[&str] = &[", 1)[1].split("];", 1)[0]
    return re.findall(r'"([^"]*)"', body)
WORDS = const_list("WORDS")
SYLL = const_list("SYLLABLES")
M = (1 << 64) - 1

def xs(s):
    s ^= (s << 13) & M
    s ^= s >> 7
    s ^= (s << 17) & M
    return s & M

class Seed:
    def __init__(self, v): self.v = v
    def pick(self):
        self.v = xs(self.v); return WORDS[self.v % len(WORDS)]
    def phrase(self, n): return " ".join(self.pick() for _ in range(n))
    def syl(self):
        self.v = xs(self.v); return SYLL[self.v % len(SYLL)]
    def filler(self, n): return " ".join(f"{self.syl()} {self.syl()}" for _ in range(n))

def fold(s):
    out = []; pending = False
    for c in unicodedata.normalize("NFD", s):
        if "\u0300" <= c <= "\u036f": continue
        if c.isspace():
            pending = len(out) > 0; continue
        if pending: out.append(" "); pending = False
        out.append("d" if c in "đĐ" else c.lower())
    return "".join(out)

def main():
    n_docs = int(sys.argv[2]); unit = int(sys.argv[3]); out = sys.argv[4]
    received = sys.argv[5]  # ISO date
    province = sys.argv[6]
    now = received + "T12:00:00Z"
    seed = Seed(0x9E3779B97F4A7C15 ^ 0)
    w = csv.writer(open(out, "w", newline=""))
    for i in range(n_docs):
        p = seed.phrase(1)
        title = p[:1].upper() + p[1:] + " về " + seed.phrase(2)
        number = f"{i % 9000 + 1}/KH-BCH"
        issuer = f"Ban Chỉ huy {seed.pick()}"
        body = f"{seed.phrase(2)}. {seed.filler(40)}. {seed.phrase(1)}."
        title = unicodedata.normalize("NFC", title)
        search = fold(f"{number} {title} {issuer} {body} ")
        w.writerow([i + 1, unit, province, "incoming", "ke_hoach", number, i % 9000 + 1, "state", "KH", "",
                    issuer, "", "", title, "", "", "", "", "none", "none", "", "", body, "incoming",
                    received[:4], i + 1, received, "registered", fold(number), fold(title), search, "", now])

main()
