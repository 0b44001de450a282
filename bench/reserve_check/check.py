#!/usr/bin/env python3
"""Independent cross-check of `phongthu reserve assign` (contract reserve-assign.md).

    check.py gen --seed 1 --reservists 5000 --positions 300 --units 30 > instance.json
    check.py solve instance.json [--method milp|networkx] [--compare assignment.json]

`solve` re-implements the eligibility rules from the contract (not from the Rust code) and finds
the lexicographic optimum (max exact seats, then max near seats):
  * milp (default): two MILPs with scipy.optimize.milp; first maximise exact seats, then fix that
    count and maximise near seats;
  * networkx: one min-cost flow with costs -W (exact) / -1 (near), W = seats + 1, and a zero-cost
    source->sink bypass so that the flow value is free.
With --compare it also validates a solver output (feasibility, match kinds, totals) and exits 1 on
any disagreement.
"""
import argparse
import datetime as dt
import json
import random
import re
import sys


def load(path):
    text = open(path, encoding="utf-8").read() if path != "-" else sys.stdin.read()
    # Drop // comments outside strings (the contract's example is annotated).
    text = re.sub(r'("(?:\\.|[^"\\])*")|//[^\n]*', lambda m: m.group(1) or "", text)
    return json.loads(text)


def parse_date(s):
    return dt.date.fromisoformat(s)


def nth_birthday(birth, n):
    y = birth.year + n
    try:
        return birth.replace(year=y)
    except ValueError:  # 29 February in a common year
        return dt.date(y, 2, 28)


def within_end_of_age(birth, n, on):
    return on < nth_birthday(birth, n + 1)


def edges_of(inst):
    """All (reservist index, position index, kind) edges allowed by the contract."""
    on = parse_date(inst["reference_date"])
    near = set()
    for a, b in inst.get("near_specialties", []):
        if a != b:
            near.add((a, b))
            near.add((b, a))
    positions = []  # (id, specialty, count, unit)
    for u in inst["units"]:
        for p in u["positions"]:
            positions.append((p["id"], p["specialty"], p["count"], u))
    by_commune = {}
    for pi, (_, _, _, u) in enumerate(positions):
        for c in set(u["communes"]):
            by_commune.setdefault(c, []).append(pi)
    edges = []
    for ri, r in enumerate(inst["reservists"]):
        birth = parse_date(r["birth_date"])
        for pi in by_commune.get(r["commune"], []):
            pid, spec, count, u = positions[pi]
            if count == 0:
                continue
            limit = 35 if u["combat"] else (45 if r["sex"] == "male" else 40)
            if not within_end_of_age(birth, limit, on):
                continue
            if r["specialty"] == spec:
                edges.append((ri, pi, "exact"))
            elif (r["specialty"], spec) in near:
                edges.append((ri, pi, "near"))
    return positions, edges


def solve_milp(inst, positions, edges):
    import numpy as np
    from scipy.optimize import milp, LinearConstraint, Bounds
    from scipy.sparse import coo_matrix

    n_r, n_p, n_e = len(inst["reservists"]), len(positions), len(edges)
    if n_e == 0:
        return 0, 0
    rows, cols = [], []
    for e, (ri, pi, _) in enumerate(edges):
        rows += [ri, n_r + pi]
        cols += [e, e]
    a = coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(n_r + n_p, n_e)).tocsr()
    ub = np.array([1] * n_r + [p[2] for p in positions], dtype=float)
    cons = [LinearConstraint(a, -np.inf, ub)]
    is_exact = np.array([k == "exact" for _, _, k in edges], dtype=float)
    is_near = 1.0 - is_exact
    integ = np.ones(n_e)
    bounds = Bounds(0, 1)
    r1 = milp(-is_exact, constraints=cons, integrality=integ, bounds=bounds)
    assert r1.success, r1.message
    best_exact = round(-r1.fun)
    cons.append(LinearConstraint(is_exact.reshape(1, -1), best_exact, np.inf))
    r2 = milp(-is_near, constraints=cons, integrality=integ, bounds=bounds)
    assert r2.success, r2.message
    return best_exact, round(-r2.fun)


def solve_networkx(inst, positions, edges):
    import networkx as nx

    seats = sum(p[2] for p in positions)
    w = seats + 1
    g = nx.DiGraph()
    n_r = len(inst["reservists"])
    g.add_node("s", demand=-n_r)
    g.add_node("t", demand=n_r)
    g.add_edge("s", "t", capacity=n_r, weight=0)
    for ri in range(n_r):
        g.add_edge("s", ("r", ri), capacity=1, weight=0)
    for pi, p in enumerate(positions):
        g.add_edge(("p", pi), "t", capacity=p[2], weight=0)
    for ri, pi, k in edges:
        g.add_edge(("r", ri), ("p", pi), capacity=1, weight=-w if k == "exact" else -1)
    flow = nx.min_cost_flow(g)
    exact = sum(flow[("r", ri)][("p", pi)] for ri, pi, k in edges if k == "exact")
    near = sum(flow[("r", ri)][("p", pi)] for ri, pi, k in edges if k == "near")
    return exact, near


def compare(inst, positions, edges, out):
    kinds = {(inst["reservists"][ri]["id"], positions[pi][0]): k for ri, pi, k in edges}
    count = {p[0]: p[2] for p in positions}
    used, seen, errors = {}, set(), []
    exact = near = 0
    for a in out["assignments"]:
        key = (a["reservist"], a["position"])
        if a["reservist"] in seen:
            errors.append(f"reservist {a['reservist']} placed twice")
        seen.add(a["reservist"])
        k = kinds.get(key)
        if k is None:
            errors.append(f"ineligible placement {key}")
        elif k != a["match"]:
            errors.append(f"wrong match kind for {key}: {a['match']} vs {k}")
        used[a["position"]] = used.get(a["position"], 0) + 1
        exact += a["match"] == "exact"
        near += a["match"] == "near"
    for pid, n in used.items():
        if n > count.get(pid, 0):
            errors.append(f"position {pid} over-filled: {n} > {count.get(pid, 0)}")
    t = out["totals"]
    if (t["exact"], t["near"]) != (exact, near):
        errors.append(f"totals {t} disagree with the assignments ({exact}, {near})")
    if t["empty_seats"] != sum(count.values()) - exact - near:
        errors.append("empty_seats is wrong")
    return exact, near, errors


def generate(args):
    rnd = random.Random(args.seed)
    on = dt.date(2026, 6, 30)
    specs = [f"{d}{l}" for d in range(1, args.specialty_groups + 1) for l in "ABCD"]
    near = [[a, b] for a in specs for b in specs if a < b and a[0] == b[0] and rnd.random() < 0.5]
    communes = [f"{70000 + i}" for i in range(args.units + 5)]
    units = []
    per = max(1, args.positions // max(1, args.units))
    for u in range(args.units):
        cs = rnd.sample(communes, rnd.randint(1, min(6, len(communes))))
        units.append({
            "id": f"U{u}", "combat": rnd.random() < 0.5, "communes": cs,
            "positions": [{"id": f"U{u}.{k}", "specialty": rnd.choice(specs),
                           "count": rnd.randint(0, 2 * max(1, args.reservists // max(1, args.positions)))}
                          for k in range(per)],
        })
    reservists = []
    for i in range(args.reservists):
        birth = on - dt.timedelta(days=rnd.randint(18 * 365, 50 * 365))
        if rnd.random() < 0.01:
            birth = dt.date(rnd.choice([1980, 1984, 1988, 1992]), 2, 29)
        reservists.append({"id": f"R{i}", "specialty": rnd.choice(specs[: rnd.randint(1, len(specs))]),
                           "birth_date": birth.isoformat(), "sex": "female" if rnd.random() < 0.2 else "male",
                           "commune": rnd.choice(communes)})
    json.dump({"reference_date": on.isoformat(), "near_specialties": near,
               "reservists": reservists, "units": units}, sys.stdout)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("gen")
    g.add_argument("--seed", type=int, default=1)
    g.add_argument("--reservists", type=int, default=5000)
    g.add_argument("--positions", type=int, default=300)
    g.add_argument("--units", type=int, default=30)
    g.add_argument("--specialty-groups", type=int, default=6, help="groups of 4 codes")
    s = sub.add_parser("solve")
    s.add_argument("instance")
    s.add_argument("--method", choices=["milp", "networkx"], default="milp")
    s.add_argument("--compare", help="assignment JSON printed by `phongthu reserve assign`")
    args = ap.parse_args()
    if args.cmd == "gen":
        generate(args)
        return 0
    inst = load(args.instance)
    positions, edges = edges_of(inst)
    solver = solve_milp if args.method == "milp" else solve_networkx
    exact, near = solver(inst, positions, edges)
    seats = sum(p[2] for p in positions)
    print(json.dumps({"method": args.method, "exact": exact, "near": near,
                      "empty_seats": seats - exact - near, "eligible_edges": len(edges)}))
    if args.compare:
        ce, cn, errors = compare(inst, positions, edges, load(args.compare))
        for e in errors[:20]:
            print("ERROR:", e)
        same = (ce, cn) == (exact, near)
        print(json.dumps({"compared": args.compare, "exact": ce, "near": cn, "optimal": same,
                          "valid": not errors}))
        return 0 if same and not errors else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
