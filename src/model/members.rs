//! The hardware load balancer's members (R5, R14): each server's member state as the
//! administrator set it, whether the health monitor sees it up, and the indexes that let every
//! balancing algorithm pick a member in O(log n) whatever the pool size.
//!
//! A member is *eligible* for load balancing when the monitor sees it up and it is
//! [`Member::Enabled`]. Two indexes follow eligibility:
//!
//! - a Fenwick tree of eligible members, for `random` (the k-th eligible member) and for
//!   `round_robin` past a run of ineligible ones (the first eligible member at or after the
//!   cursor);
//! - for `least_connections` only, a min segment tree of each member's sessions (`u32::MAX`
//!   when ineligible), giving the least loaded member and the first one, in cyclic order from
//!   the cursor, with that load.
//!
//! Both give exactly the member the former linear scans gave (same ties, same random draw), so
//! results are unchanged; they only stop costing O(n) per session.

/// A member's administrative state on the hardware load balancer, as F5 names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Member {
    /// Takes new connections (the default).
    #[default]
    Enabled,
    /// F5 "Disabled": existing connections continue; new ones only from clients whose
    /// persistence record names this member.
    Disabled,
    /// F5 "Forced Offline": existing connections continue; no new ones at all.
    ForcedOffline,
}

impl Member {
    /// Name used in reports.
    pub fn name(self) -> &'static str {
        match self {
            Member::Enabled => "enabled",
            Member::Disabled => "disabled",
            Member::ForcedOffline => "forced offline",
        }
    }
}

/// Counts of eligible members with prefix sums and k-th search in O(log n).
#[derive(Debug, Clone)]
struct Fenwick {
    tree: Vec<u32>,
    /// Largest power of two not above the length (for the k-th search).
    top: usize,
}

impl Fenwick {
    /// Every one of `n` members counted once.
    fn all_ones(n: usize) -> Fenwick {
        let mut tree = vec![0u32; n + 1];
        for i in 1..=n {
            tree[i] += 1;
            let j = i + (i & i.wrapping_neg());
            if j <= n {
                let v = tree[i];
                tree[j] += v;
            }
        }
        let top = if n == 0 {
            0
        } else {
            1 << (usize::BITS - 1 - n.leading_zeros())
        };
        Fenwick { tree, top }
    }

    fn add(&mut self, i: usize, delta: i32) {
        let mut k = i + 1;
        while k < self.tree.len() {
            self.tree[k] = self.tree[k].wrapping_add_signed(delta);
            k += k & k.wrapping_neg();
        }
    }

    /// Members counted among `0..i`.
    fn prefix(&self, i: usize) -> u32 {
        let (mut k, mut sum) = (i, 0);
        while k > 0 {
            sum += self.tree[k];
            k -= k & k.wrapping_neg();
        }
        sum
    }

    /// The 0-based index of the counted member with `k` counted before it (`k` < total).
    fn kth(&self, mut k: u32) -> usize {
        let (mut pos, mut step) = (0usize, self.top);
        while step > 0 {
            let next = pos + step;
            if next < self.tree.len() && self.tree[next] <= k {
                pos = next;
                k -= self.tree[next];
            }
            step >>= 1;
        }
        pos
    }
}

/// A min segment tree over members' loads (`u32::MAX`: not eligible).
#[derive(Debug, Clone)]
struct MinTree {
    /// Leaves start at `size`; node `i` holds the minimum of `2i` and `2i + 1`.
    node: Vec<u32>,
    size: usize,
}

impl MinTree {
    fn new(loads: impl ExactSizeIterator<Item = u32>) -> MinTree {
        let size = loads.len().next_power_of_two().max(1);
        let mut node = vec![u32::MAX; 2 * size];
        for (i, l) in loads.enumerate() {
            node[size + i] = l;
        }
        for i in (1..size).rev() {
            node[i] = node[2 * i].min(node[2 * i + 1]);
        }
        MinTree { node, size }
    }

    fn set(&mut self, i: usize, v: u32) {
        let mut k = self.size + i;
        if self.node[k] == v {
            return;
        }
        self.node[k] = v;
        while k > 1 {
            k /= 2;
            let m = self.node[2 * k].min(self.node[2 * k + 1]);
            if self.node[k] == m {
                break;
            }
            self.node[k] = m;
        }
    }

    fn min(&self) -> u32 {
        self.node[1]
    }

    /// The first index at or after `from` whose value is at most `v`.
    fn first_at_most(&self, from: usize, v: u32) -> Option<usize> {
        self.descend(1, 0, self.size, from, v)
    }

    fn descend(&self, k: usize, lo: usize, hi: usize, from: usize, v: u32) -> Option<usize> {
        if hi <= from || self.node[k] > v {
            return None;
        }
        if hi - lo == 1 {
            return Some(lo);
        }
        let mid = (lo + hi) / 2;
        self.descend(2 * k, lo, mid, from, v)
            .or_else(|| self.descend(2 * k + 1, mid, hi, from, v))
    }
}

/// The members of one pool behind the hardware load balancer.
#[derive(Debug, Clone)]
pub struct Members {
    state: Vec<Member>,
    up: Vec<bool>,
    eligible: Fenwick,
    count: u32,
    load: Option<MinTree>,
}

impl Members {
    /// `n` members, all enabled and seen up; `track_load` keeps the least-connections index.
    pub fn new(n: usize, track_load: bool) -> Members {
        Members {
            state: vec![Member::Enabled; n],
            up: vec![true; n],
            eligible: Fenwick::all_ones(n),
            count: n as u32,
            load: track_load.then(|| MinTree::new(std::iter::repeat_n(0, n))),
        }
    }

    /// Whether the monitor sees member `s` up.
    pub fn seen_up(&self, s: usize) -> bool {
        self.up[s]
    }

    /// Member `s`'s administrative state.
    pub fn state(&self, s: usize) -> Member {
        self.state[s]
    }

    /// Whether member `s` takes new load-balanced connections.
    pub fn eligible(&self, s: usize) -> bool {
        self.up[s] && self.state[s] == Member::Enabled
    }

    /// Whether a client whose persistence record names member `s` may be sent there.
    pub fn takes_persistent(&self, s: usize) -> bool {
        self.up[s] && self.state[s] != Member::ForcedOffline
    }

    /// Number of eligible members.
    pub fn eligible_count(&self) -> u32 {
        self.count
    }

    /// The `k`-th eligible member in index order (`k` < [`Members::eligible_count`]).
    pub fn kth_eligible(&self, k: u32) -> usize {
        self.eligible.kth(k)
    }

    /// The first eligible member at or after `from`, wrapping around, if any.
    pub fn next_eligible(&self, from: usize) -> Option<usize> {
        if self.count == 0 {
            return None;
        }
        let before = self.eligible.prefix(from.min(self.up.len()));
        Some(
            self.eligible
                .kth(if before < self.count { before } else { 0 }),
        )
    }

    /// The eligible member with the fewest sessions, ties to the first in cyclic order from
    /// `cursor`. Needs the least-connections index.
    pub fn least_loaded(&self, cursor: usize) -> Option<usize> {
        let t = self.load.as_ref()?;
        let m = t.min();
        if m == u32::MAX {
            return None;
        }
        t.first_at_most(cursor, m).or_else(|| t.first_at_most(0, m))
    }

    /// Whether the least-connections index is kept.
    pub fn tracks_load(&self) -> bool {
        self.load.is_some()
    }

    /// Member `s` now carries `sessions`.
    #[inline]
    pub(crate) fn load_changed(&mut self, s: usize, sessions: u32) {
        if self.load.is_some() && self.eligible(s) {
            if let Some(t) = &mut self.load {
                t.set(s, sessions);
            }
        }
    }

    pub(crate) fn set_up(&mut self, s: usize, up: bool, sessions: u32) {
        let was = self.eligible(s);
        self.up[s] = up;
        self.refresh(s, was, sessions);
    }

    pub(crate) fn set_state(&mut self, s: usize, state: Member, sessions: u32) {
        let was = self.eligible(s);
        self.state[s] = state;
        self.refresh(s, was, sessions);
    }

    fn refresh(&mut self, s: usize, was: bool, sessions: u32) {
        let now = self.eligible(s);
        if was != now {
            self.eligible.add(s, if now { 1 } else { -1 });
            if now {
                self.count += 1;
            } else {
                self.count -= 1;
            }
        }
        if let Some(t) = &mut self.load {
            t.set(s, if now { sessions } else { u32::MAX });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The former linear scans, as the reference.
    fn scan_least(m: &Members, loads: &[u32], cursor: usize) -> Option<usize> {
        let n = loads.len();
        let mut best: Option<(u32, usize)> = None;
        for k in 0..n {
            let s = (cursor + k) % n;
            if m.eligible(s) && best.is_none_or(|(b, _)| loads[s] < b) {
                best = Some((loads[s], s));
            }
        }
        best.map(|(_, s)| s)
    }

    #[test]
    fn indexes_agree_with_linear_scans() {
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for n in [1usize, 2, 3, 7, 12, 33] {
            let mut m = Members::new(n, true);
            let mut loads = vec![0u32; n];
            for _ in 0..2000 {
                let s = (next() % n as u64) as usize;
                match next() % 4 {
                    0 => m.set_up(s, next() % 3 != 0, loads[s]),
                    1 => {
                        let st = [Member::Enabled, Member::Disabled, Member::ForcedOffline]
                            [(next() % 3) as usize];
                        m.set_state(s, st, loads[s]);
                    }
                    _ => {
                        loads[s] = (next() % 5) as u32;
                        m.load_changed(s, loads[s]);
                    }
                }
                let cursor = (next() % n as u64) as usize;
                assert_eq!(m.least_loaded(cursor), scan_least(&m, &loads, cursor));
                let elig: Vec<usize> = (0..n).filter(|&s| m.eligible(s)).collect();
                assert_eq!(m.eligible_count() as usize, elig.len());
                for (k, &s) in elig.iter().enumerate() {
                    assert_eq!(m.kth_eligible(k as u32), s);
                }
                let want = (0..n).map(|k| (cursor + k) % n).find(|&s| m.eligible(s));
                assert_eq!(m.next_eligible(cursor), want);
            }
        }
    }
}
