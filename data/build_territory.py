#!/usr/bin/env python3
"""Rebuild data/territory.tsv.gz from the MIT-licensed PyPI package `vietnamadminunits`.

Usage:
    pip download vietnamadminunits==1.0.4 --no-deps -d /tmp/vau
    (cd /tmp/vau && unzip -o vietnamadminunits-1.0.4-py3-none-any.whl)
    python3 data/build_territory.py /tmp/vau/vietnamadminunits/data data/territory.tsv.gz

The package keys its old->new mapping by folded names ("tinhhungyen_huyenkimdong_xatoanthang");
this script resolves every name key to official codes and fails loudly when one does not resolve.

Output: gzip'd, tab-separated, UTF-8 (NFC), one record per line, sorted for a stable fingerprint.
    U  code  level  kind  name  parent_code  valid_from  valid_to
    S  from_code  from_level  to_code  to_level  date  partial(0|1)
level: province | district | commune. Empty fields are empty strings.
"""
import gzip
import json
import sqlite3
import sys
import unicodedata

REFORM = "2025-07-01"
LAST_OLD_DAY = "2025-06-30"

PROVINCE_KIND = {"Tỉnh": "tinh", "Thành phố": "thanh_pho_tw"}
DISTRICT_KIND = {"Huyện": "huyen", "Quận": "quan", "Thị xã": "thi_xa", "Thành phố": "thanh_pho"}
COMMUNE_KIND = {"Xã": "xa", "Phường": "phuong", "Thị trấn": "thi_tran", "Đặc khu": "dac_khu"}


def nfc(s):
    return unicodedata.normalize("NFC", s.strip())


def kind_of(name, table, what):
    for prefix, kind in sorted(table.items(), key=lambda kv: -len(kv[0])):
        if name.lower().startswith(prefix.lower() + " "):
            return kind
    raise SystemExit(f"unknown {what} kind: {name!r}")


def main(src, out):
    db = sqlite3.connect(f"{src}/dataset.db")
    conv = json.load(open(f"{src}/converter_2025.json", encoding="utf-8"))
    units = {}  # (code, level, period) -> row
    succ = set()

    # --- after the reform: 34 provinces, 3,321 communes -------------------------------------
    new_prov = {}  # provinceKey -> code
    new_ward = {}  # (provinceKey, wardKey) -> code
    for pcode, pname, pkey, wcode, wname, wkey in db.execute(
        "SELECT provinceCode, province, provinceKey, wardCode, ward, wardKey FROM admin_units"
    ):
        new_prov[pkey] = pcode
        if (pkey, wkey) in new_ward:
            raise SystemExit(f"duplicate new ward key {pkey}/{wkey}")
        new_ward[(pkey, wkey)] = wcode
        units[(pcode, "province", "new")] = (pcode, "province", kind_of(nfc(pname), PROVINCE_KIND, "province"), nfc(pname), "", REFORM, "")
        units[(wcode, "commune", "new")] = (wcode, "commune", kind_of(nfc(wname), COMMUNE_KIND, "commune"), nfc(wname), pcode, REFORM, "")

    # --- before the reform: 63 provinces, 696 districts, communes ----------------------------
    old_prov = {}
    old_dist = {}  # (provinceKey, districtKey) -> code
    old_ward = {}  # (provinceKey, districtKey, wardKey) -> code
    for row in db.execute(
        "SELECT provinceCode, province, provinceKey, districtCode, district, districtKey, wardCode, ward, wardKey "
        "FROM admin_units_legacy"
    ):
        pcode, pname, pkey, dcode, dname, dkey, wcode, wname, wkey = row
        old_prov[pkey] = pcode
        old_dist[(pkey, dkey)] = dcode
        units[(pcode, "province", "old")] = (pcode, "province", kind_of(nfc(pname), PROVINCE_KIND, "province"), nfc(pname), "", "", LAST_OLD_DAY)
        units[(dcode, "district", "old")] = (dcode, "district", kind_of(nfc(dname), DISTRICT_KIND, "district"), nfc(dname), pcode, "", LAST_OLD_DAY)
        if wcode:
            if (pkey, dkey, wkey) in old_ward:
                raise SystemExit(f"duplicate old ward key {pkey}/{dkey}/{wkey}")
            old_ward[(pkey, dkey, wkey)] = wcode
            units[(wcode, "commune", "old")] = (wcode, "commune", kind_of(nfc(wname), COMMUNE_KIND, "commune"), nfc(wname), dcode, "", LAST_OLD_DAY)

    # --- provinces: merged ones are new units; the 11 unchanged ones continue ----------------
    for new_key, olds in conv["DICT_PROVINCE"].items():
        ncode = new_prov[new_key]
        if olds == [new_key] and old_prov[new_key] == ncode:
            new_row = units.pop((ncode, "province", "new"))
            old_row = units.pop((ncode, "province", "old"))
            if new_row[3] != old_row[3]:
                # Same unit, renamed only ("Thành phố Huế" was "Tỉnh Thừa Thiên Huế"? keep the new name)
                pass
            units[(ncode, "province", "both")] = new_row[:5] + ("", "")
            continue
        for ok in olds:
            succ.add((old_prov[ok], "province", ncode, "province", REFORM, 0))

    # --- communes -----------------------------------------------------------------------------
    def old_from_full_key(full):
        pkey, dkey, wkey = full.split("_")
        if wkey == "":
            return old_dist[(pkey, dkey)], "district"
        return old_ward[(pkey, dkey, wkey)], "commune"

    mapped_old = set()
    for new_pkey, wards in conv["DICT_PROVINCE_WARD_NO_DIVIDED"].items():
        for new_wkey, olds in wards.items():
            ncode = new_ward[(new_pkey, new_wkey)]
            for full in olds:
                ocode, olevel = old_from_full_key(full)
                succ.add((ocode, olevel, ncode, "commune", REFORM, 0))
                mapped_old.add((ocode, olevel))
    for new_pkey, olds in conv["DICT_PROVINCE_WARD_DIVIDED"].items():
        for full, targets in olds.items():
            ocode, olevel = old_from_full_key(full)
            if (ocode, olevel) in mapped_old:
                raise SystemExit(f"{full} is both whole and divided")
            for t in targets:
                ncode = new_ward[(new_pkey, t["newWardKey"])]
                succ.add((ocode, olevel, ncode, "commune", REFORM, 1))

    # Every old commune must go somewhere; every new commune must come from somewhere.
    froms = {(s[0], s[1]) for s in succ}
    tos = {s[2] for s in succ if s[3] == "commune"}
    missing = [k for k in units if k[1] == "commune" and k[2] == "old" and (k[0], "commune") not in froms]
    if missing:
        raise SystemExit(f"{len(missing)} old communes have no successor, e.g. {missing[:5]}")
    orphans = [k for k in units if k[1] == "commune" and k[2] == "new" and k[0] not in tos]
    if orphans:
        raise SystemExit(f"{len(orphans)} new communes have no predecessor, e.g. {orphans[:5]}")

    lines = []
    for row in sorted(units.values(), key=lambda r: (r[1], r[0], r[5], r[6])):
        lines.append("U\t" + "\t".join(row))
    for s in sorted(succ):
        lines.append("S\t" + "\t".join(str(x) for x in s))
    data = ("\n".join(lines) + "\n").encode("utf-8")
    with gzip.GzipFile(out, "wb", mtime=0) as f:
        f.write(data)
    count = lambda lvl, per: sum(1 for k in units if k[1] == lvl and k[2] in per)
    print(
        f"provinces before {count('province', ('old', 'both'))}, after {count('province', ('new', 'both'))}; "
        f"districts {count('district', ('old',))}; communes before {count('commune', ('old',))}, "
        f"after {count('commune', ('new',))}; successions {len(succ)} "
        f"({sum(1 for s in succ if s[5])} partial)"
    )


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    main(sys.argv[1], sys.argv[2])
