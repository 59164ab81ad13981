//! Pool quorum (R9): how many Front Ends must run for the pool to function.

/// Which quorum table applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuorumRule {
    /// No quorum: the pool never stops as a whole.
    None,
    /// Lync Server 2013 / Skype for Business 2015 table, pools of 2–12.
    Lync2013,
    /// Skype for Business Server 2019: the 2013 table plus pools of 13–16 ("any 7 of the first 12").
    Sfb2019,
}

impl QuorumRule {
    /// Name used in scenarios and reports.
    pub fn name(self) -> &'static str {
        match self {
            QuorumRule::None => "none",
            QuorumRule::Lync2013 => "lync2013",
            QuorumRule::Sfb2019 => "sfb2019",
        }
    }

    /// The requirement for a pool of `servers`: `(must_run, among_first)`, meaning at least
    /// `must_run` of servers `1..=among_first` must run. `None` if the table does not cover
    /// that size; `Some((0, 0))` when no quorum applies.
    pub fn requirement(self, servers: u32) -> Option<(u32, u32)> {
        let n = servers;
        let max = match self {
            QuorumRule::None => return Some((0, 0)),
            QuorumRule::Lync2013 => 12,
            QuorumRule::Sfb2019 => 16,
        };
        if !(2..=max).contains(&n) {
            return None;
        }
        Some(match n {
            2 => (1, n),
            3..=4 => (2, n),
            5..=6 => (3, n),
            7 => (4, n),
            8..=9 => (4, 7),
            10..=12 => (5, 9),
            _ => (7, 12),
        })
    }

    /// Whether a pool of `servers` has quorum, given which servers (0-based) run.
    pub fn holds(self, servers: u32, running: impl Fn(usize) -> bool) -> bool {
        match self.requirement(servers) {
            None => true,
            Some((need, among)) => {
                (0..among as usize).filter(|&s| running(s)).count() as u32 >= need
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_matches_design() {
        let expect = [
            (2, (1, 2)),
            (3, (2, 3)),
            (4, (2, 4)),
            (5, (3, 5)),
            (6, (3, 6)),
            (7, (4, 7)),
            (8, (4, 7)),
            (9, (4, 7)),
            (10, (5, 9)),
            (11, (5, 9)),
            (12, (5, 9)),
        ];
        for (n, req) in expect {
            assert_eq!(
                QuorumRule::Lync2013.requirement(n),
                Some(req),
                "pool of {n}"
            );
            assert_eq!(QuorumRule::Sfb2019.requirement(n), Some(req), "pool of {n}");
        }
        for n in 13..=16 {
            assert_eq!(QuorumRule::Lync2013.requirement(n), None);
            assert_eq!(QuorumRule::Sfb2019.requirement(n), Some((7, 12)));
        }
        assert_eq!(QuorumRule::Lync2013.requirement(1), None);
        assert_eq!(QuorumRule::Sfb2019.requirement(17), None);
    }

    #[test]
    fn first_servers_matter_in_large_pools() {
        // 8 servers: 4 of the first 7. Servers 1–4 down (0..4) leaves 3 of the first 7.
        assert!(!QuorumRule::Lync2013.holds(8, |s| s >= 4));
        // Servers 5–8 down leaves servers 1–4: 4 of the first 7.
        assert!(QuorumRule::Lync2013.holds(8, |s| s < 4));
    }
}
