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
//! - for `least_connections` only, eligible members bucketed by their sessions (a bitset per
//!   load level), giving the least loaded member, the first one in cyclic order from the
//!   cursor among ties.
//!
//! They give exactly the member the former linear scans gave (same ties, same random draw), so
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

/// Eligible members bucketed by load: one bitset of members per load level, with a summary
/// bit per non-empty word, and the lowest non-empty level. A session admitted or ended moves
/// one member one level (two bit flips); the least loaded member at or after a cursor is a scan
/// of one level's summary and one word. For pools up to 4,096 members the summary is one word:
/// O(1) per operation (a binary segment tree, the first version, cost 2.6× the DNS run at
/// 1,000 servers; this costs about as much as round robin).
#[derive(Debug, Clone)]
struct LoadBuckets {
    words: usize,
    levels: Vec<Level>,
    /// Each member's load, and whether it is in a level (eligible).
    load: Vec<u32>,
    in_level: Vec<bool>,
    /// Members in levels.
    total: usize,
    /// Lowest non-empty level when `total > 0`.
    min: usize,
}

/// The members at one load level.
#[derive(Debug, Clone, Default)]
struct Level {
    bits: Vec<u64>,
    summary: Vec<u64>,
    count: u32,
}

impl Level {
    fn insert(&mut self, s: usize, words: usize) {
        if self.bits.is_empty() {
            self.bits = vec![0; words];
            self.summary = vec![0; words.div_ceil(64)];
        }
        let w = s / 64;
        self.bits[w] |= 1 << (s % 64);
        self.summary[w / 64] |= 1 << (w % 64);
        self.count += 1;
    }

    fn remove(&mut self, s: usize) {
        let w = s / 64;
        self.bits[w] &= !(1 << (s % 64));
        if self.bits[w] == 0 {
            self.summary[w / 64] &= !(1 << (w % 64));
        }
        self.count -= 1;
    }

    /// The first member at or after `from` in this level.
    fn first_from(&self, from: usize) -> Option<usize> {
        if self.count == 0 {
            return None;
        }
        let w = from / 64;
        if let Some(&word) = self.bits.get(w) {
            let here = word & (!0u64 << (from % 64));
            if here != 0 {
                return Some(w * 64 + here.trailing_zeros() as usize);
            }
        }
        // The next non-empty word after `w`, from the summary.
        let next = w + 1;
        let mut sw = next / 64;
        let mut mask = !0u64 << (next % 64);
        while sw < self.summary.len() {
            let bits = self.summary[sw] & mask;
            if bits != 0 {
                let word = sw * 64 + bits.trailing_zeros() as usize;
                return Some(word * 64 + self.bits[word].trailing_zeros() as usize);
            }
            sw += 1;
            mask = !0;
        }
        None
    }
}

impl LoadBuckets {
    fn new(n: usize) -> LoadBuckets {
        let mut b = LoadBuckets {
            words: n.div_ceil(64).max(1),
            levels: Vec::new(),
            load: vec![0; n],
            in_level: vec![false; n],
            total: 0,
            min: 0,
        };
        for s in 0..n {
            b.insert(s, 0);
        }
        b
    }

    fn insert(&mut self, s: usize, load: u32) {
        let l = load as usize;
        if self.levels.len() <= l {
            self.levels.resize_with(l + 1, Level::default);
        }
        self.levels[l].insert(s, self.words);
        self.load[s] = load;
        self.in_level[s] = true;
        if self.total == 0 || l < self.min {
            self.min = l;
        }
        self.total += 1;
    }

    fn remove(&mut self, s: usize) {
        let l = self.load[s] as usize;
        self.levels[l].remove(s);
        self.in_level[s] = false;
        self.total -= 1;
        if self.total > 0 {
            while self.levels[self.min].count == 0 {
                self.min += 1;
            }
        }
    }

    fn set(&mut self, s: usize, load: u32) {
        if !self.in_level[s] || self.load[s] == load {
            self.load[s] = load;
            return;
        }
        self.remove(s);
        self.insert(s, load);
    }

    /// The least loaded member, the first at or after `cursor` among ties (cyclically).
    fn least_from(&self, cursor: usize) -> Option<usize> {
        if self.total == 0 {
            return None;
        }
        let level = &self.levels[self.min];
        level.first_from(cursor).or_else(|| level.first_from(0))
    }
}

/// The members of one pool behind the hardware load balancer.
#[derive(Debug, Clone)]
pub struct Members {
    state: Vec<Member>,
    up: Vec<bool>,
    eligible: Fenwick,
    count: u32,
    load: Option<LoadBuckets>,
}

impl Members {
    /// `n` members, all enabled and seen up; `track_load` keeps the least-connections index.
    pub fn new(n: usize, track_load: bool) -> Members {
        Members {
            state: vec![Member::Enabled; n],
            up: vec![true; n],
            eligible: Fenwick::all_ones(n),
            count: n as u32,
            load: track_load.then(|| LoadBuckets::new(n)),
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
        self.load.as_ref()?.least_from(cursor)
    }

    /// Whether the least-connections index is kept.
    pub fn tracks_load(&self) -> bool {
        self.load.is_some()
    }

    /// Member `s` now carries `sessions`.
    #[inline]
    pub(crate) fn load_changed(&mut self, s: usize, sessions: u32) {
        if let Some(b) = &mut self.load {
            b.set(s, sessions);
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
        if let Some(b) = &mut self.load {
            match (was, now) {
                (false, true) => b.insert(s, sessions),
                (true, false) => b.remove(s),
                _ => b.set(s, sessions),
            }
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
