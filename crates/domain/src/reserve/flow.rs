//! Exact minimum-cost flow (primal-dual: Dijkstra with potentials, then a blocking flow on the
//! zero-reduced-cost subgraph). The solver finds a flow of *any* value with minimum total cost: it
//! stops as soon as the cheapest augmenting path no longer has negative cost. Initial potentials come
//! from Bellman-Ford, so edge costs may be negative as long as the initial graph has no negative
//! cycle (true for the layered assignment graph).

use std::cmp::Reverse;
use std::collections::BinaryHeap;

#[derive(Debug, Clone)]
struct Edge {
    to: u32,
    cap: i64,
    cost: i64,
}

/// A flow network with edges stored in pairs (edge `e` and its reverse `e ^ 1`).
#[derive(Debug, Clone, Default)]
pub struct FlowGraph {
    edges: Vec<Edge>,
    adj: Vec<Vec<u32>>,
    original_cap: Vec<i64>,
}

const INF: i64 = i64::MAX / 4;

impl FlowGraph {
    pub fn new(nodes: usize) -> FlowGraph {
        FlowGraph {
            edges: Vec::new(),
            adj: vec![Vec::new(); nodes],
            original_cap: Vec::new(),
        }
    }

    pub fn node_count(&self) -> usize {
        self.adj.len()
    }

    /// Add an edge and return its id (use it with [`FlowGraph::flow`]).
    pub fn add_edge(&mut self, from: usize, to: usize, cap: i64, cost: i64) -> usize {
        let id = self.edges.len();
        self.edges.push(Edge {
            to: to as u32,
            cap,
            cost,
        });
        self.edges.push(Edge {
            to: from as u32,
            cap: 0,
            cost: -cost,
        });
        self.original_cap.push(cap);
        self.original_cap.push(0);
        self.adj[from].push(id as u32);
        self.adj[to].push(id as u32 + 1);
        id
    }

    /// The flow on edge `id` after solving.
    pub fn flow(&self, id: usize) -> i64 {
        self.original_cap[id] - self.edges[id].cap
    }

    fn initial_potentials(&self, s: usize) -> Vec<i64> {
        let n = self.adj.len();
        let mut pot = vec![INF; n];
        pot[s] = 0;
        for _ in 0..n {
            let mut changed = false;
            for u in 0..n {
                if pot[u] == INF {
                    continue;
                }
                for &e in &self.adj[u] {
                    let ed = &self.edges[e as usize];
                    if ed.cap > 0 && pot[u] + ed.cost < pot[ed.to as usize] {
                        pot[ed.to as usize] = pot[u] + ed.cost;
                        changed = true;
                    }
                }
            }
            if !changed {
                break;
            }
        }
        // Unreachable nodes never carry flow; any finite value keeps reduced costs meaningful.
        let max = pot.iter().copied().filter(|&p| p < INF).max().unwrap_or(0);
        for p in &mut pot {
            if *p == INF {
                *p = max;
            }
        }
        pot
    }

    /// Dijkstra on reduced costs; returns distances truncated at dist(t) (INF if t unreachable).
    fn dijkstra(&self, s: usize, t: usize, pot: &[i64], dist: &mut [i64]) -> i64 {
        dist.fill(INF);
        dist[s] = 0;
        let mut heap = BinaryHeap::new();
        heap.push(Reverse((0i64, s as u32)));
        let mut dt = INF;
        while let Some(Reverse((d, u))) = heap.pop() {
            let u = u as usize;
            if d > dist[u] {
                continue;
            }
            if u == t {
                dt = d;
                break;
            }
            for &e in &self.adj[u] {
                let ed = &self.edges[e as usize];
                if ed.cap <= 0 {
                    continue;
                }
                let v = ed.to as usize;
                let rc = ed.cost + pot[u] - pot[v];
                debug_assert!(rc >= 0, "negative reduced cost");
                let nd = d + rc;
                if nd < dist[v] {
                    dist[v] = nd;
                    heap.push(Reverse((nd, v as u32)));
                }
            }
        }
        dt
    }

    /// Blocking flow on admissible edges (residual, zero reduced cost); returns the amount pushed.
    fn blocking_flow(&mut self, s: usize, t: usize, pot: &[i64]) -> i64 {
        let n = self.adj.len();
        let mut total = 0;
        let mut level = vec![-1i32; n];
        loop {
            // BFS levels over admissible edges.
            level.fill(-1);
            level[s] = 0;
            let mut queue = std::collections::VecDeque::from([s]);
            while let Some(u) = queue.pop_front() {
                for &e in &self.adj[u] {
                    let ed = &self.edges[e as usize];
                    let v = ed.to as usize;
                    if ed.cap > 0 && level[v] < 0 && ed.cost + pot[u] - pot[v] == 0 {
                        level[v] = level[u] + 1;
                        queue.push_back(v);
                    }
                }
            }
            if level[t] < 0 {
                return total;
            }
            // Iterative DFS with current-arc pointers.
            let mut it = vec![0usize; n];
            let mut path: Vec<u32> = Vec::new();
            let mut u = s;
            loop {
                if u == t {
                    let push = path
                        .iter()
                        .map(|&e| self.edges[e as usize].cap)
                        .min()
                        .expect("non-empty path");
                    let mut cut = path.len();
                    for (i, &e) in path.iter().enumerate() {
                        self.edges[e as usize].cap -= push;
                        self.edges[e as usize ^ 1].cap += push;
                        if self.edges[e as usize].cap == 0 && cut == path.len() {
                            cut = i;
                        }
                    }
                    total += push;
                    path.truncate(cut);
                    u = if cut == 0 {
                        s
                    } else {
                        self.edges[path[cut - 1] as usize].to as usize
                    };
                    continue;
                }
                let mut advanced = false;
                while it[u] < self.adj[u].len() {
                    let e = self.adj[u][it[u]] as usize;
                    let ed = &self.edges[e];
                    let v = ed.to as usize;
                    if ed.cap > 0 && level[v] == level[u] + 1 && ed.cost + pot[u] - pot[v] == 0 {
                        path.push(e as u32);
                        u = v;
                        advanced = true;
                        break;
                    }
                    it[u] += 1;
                }
                if !advanced {
                    if u == s {
                        break;
                    }
                    level[u] = -1; // dead end
                    let e = path.pop().expect("not at source") as usize;
                    u = self.edges[e ^ 1].to as usize;
                    it[u] += 1;
                }
            }
        }
    }

    /// Find a minimum-cost flow from `s` to `t` (of any value). Returns (flow value, total cost).
    pub fn min_cost_flow(&mut self, s: usize, t: usize) -> (i64, i64) {
        let n = self.adj.len();
        let mut pot = self.initial_potentials(s);
        let mut dist = vec![INF; n];
        let mut flow = 0;
        loop {
            let dt = self.dijkstra(s, t, &pot, &mut dist);
            if dt >= INF {
                break;
            }
            for v in 0..n {
                pot[v] += dist[v].min(dt);
            }
            // Actual cost of the cheapest augmenting path.
            if pot[t] - pot[s] >= 0 {
                break;
            }
            let pushed = self.blocking_flow(s, t, &pot);
            if pushed == 0 {
                break;
            }
            flow += pushed;
        }
        let mut cost = 0;
        for (id, e) in self.edges.iter().enumerate().step_by(2) {
            cost += (self.original_cap[id] - e.cap) * e.cost;
        }
        (flow, cost)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefers_cheaper_paths_and_stops_at_nonnegative_cost() {
        // s=0, a=1, b=2, t=3
        let mut g = FlowGraph::new(4);
        let sa = g.add_edge(0, 1, 2, 0);
        let sb = g.add_edge(0, 2, 1, 0);
        g.add_edge(1, 3, 2, -5);
        g.add_edge(2, 3, 1, 3); // positive: should not be used
        let (f, c) = g.min_cost_flow(0, 3);
        assert_eq!((f, c), (2, -10));
        assert_eq!(g.flow(sa), 2);
        assert_eq!(g.flow(sb), 0);
    }

    #[test]
    fn reroutes_to_reach_the_minimum() {
        // r1 -> p1 (exact, -10), r1 -> p2 (near, -1), r2 -> p1 (near, -1). Optimum: r1-p1 only
        // (-10) vs r1-p2 + r2-p1 (-2): keep -10... and r2 cannot go elsewhere.
        let (s, r1, r2, p1, p2, t) = (0, 1, 2, 3, 4, 5);
        let mut g = FlowGraph::new(6);
        g.add_edge(s, r1, 1, 0);
        g.add_edge(s, r2, 1, 0);
        let e11 = g.add_edge(r1, p1, 1, -10);
        g.add_edge(r1, p2, 1, -1);
        g.add_edge(r2, p1, 1, -1);
        g.add_edge(p1, t, 1, 0);
        g.add_edge(p2, t, 1, 0);
        let (f, c) = g.min_cost_flow(s, t);
        assert_eq!(c, -10);
        assert_eq!(f, 1);
        assert_eq!(g.flow(e11), 1);
    }
}
