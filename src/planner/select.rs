//! Ranking and selection: the fully sequential procedure of Kim and Nelson (2001), "A fully
//! sequential procedure for indifference-zone selection in simulation", ACM TOMACS 11(3),
//! 251–273, for the smallest mean, with common random numbers.
//!
//! After `n0` replications of every feasible candidate, the variance of each pair's
//! per-replication difference `S²_il` is estimated (common random numbers make it small). Then,
//! one replication at a time, a candidate `i` is eliminated when some `l` has
//! `X̄_i(r) > X̄_l(r) + W_il(r)`, `W_il(r) = max(0, δ/(2r)·(h²·S²_il/δ² − r))`, with
//! `h² = 2η(n0 − 1)` and `η = ½[(2α/(k − 1))^(−2/(n0 − 1)) − 1]`. With probability at least
//! `1 − α` the survivor is the best, or within `δ` (the indifference zone) of it. The
//! procedure ends by itself once `r` exceeds `h²·S²_il/δ²` for every pair; a cap stops it
//! earlier, and the survivor with the smallest mean is chosen.
//!
//! Used under [`super::plan`]'s constraint on eliminations: [`Selection::screen`] names the
//! candidate that beats each one (a feasible one if any does), the caller eliminates or only
//! holds it, and [`Selection::readmit`] brings a held one back.
//!
//! Two candidates whose differences have no variance (identical on the same sessions: both
//! cut nothing, say) can never be told apart by their means; the procedure then keeps the
//! one with the shorter maintenance ([`Tiebreak`]), so it does not run them to the cap.

/// What decides between candidates identical on every replication: smaller is preferred.
pub type Tiebreak = (f64, usize);

/// The procedure's constants for `k` candidates, `n0` first-stage replications, error `alpha`.
pub fn h_squared(k: usize, n0: u32, alpha: f64) -> f64 {
    if k < 2 || n0 < 2 {
        return 0.0;
    }
    let eta = 0.5 * ((2.0 * alpha / (k as f64 - 1.0)).powf(-2.0 / (f64::from(n0) - 1.0)) - 1.0);
    2.0 * eta * (f64::from(n0) - 1.0)
}

/// Variance of the per-replication differences of `a` and `b` over their first `n` values.
pub fn diff_variance(a: &[f64], b: &[f64], n: usize) -> f64 {
    let d: Vec<f64> = a[..n].iter().zip(&b[..n]).map(|(x, y)| x - y).collect();
    let m = d.iter().sum::<f64>() / n as f64;
    d.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (n as f64 - 1.0).max(1.0)
}

/// The state of a selection among candidates, advanced one replication count at a time.
#[derive(Debug, Clone)]
pub struct Selection {
    /// Indices still in contention.
    pub alive: Vec<usize>,
    /// `h²`.
    pub h2: f64,
    /// Indifference zone.
    pub delta: f64,
    /// `S²_il` for the alive candidates at the start, keyed by position pairs.
    s2: Vec<Vec<f64>>,
    /// Candidate index → row of `s2`.
    row: Vec<Option<usize>>,
}

impl Selection {
    /// Starts the procedure on `alive` with the first `n0` values of each in `x`.
    pub fn new(alive: Vec<usize>, x: &[Vec<f64>], n0: u32, alpha: f64, delta: f64) -> Selection {
        let k = alive.len();
        let n = x.len();
        let mut row = vec![None; n];
        for (p, &i) in alive.iter().enumerate() {
            row[i] = Some(p);
        }
        let s2 = (0..k)
            .map(|a| {
                (0..k)
                    .map(|b| diff_variance(&x[alive[a]], &x[alive[b]], n0 as usize))
                    .collect()
            })
            .collect();
        Selection {
            alive,
            h2: h_squared(k, n0, alpha),
            delta,
            s2,
            row,
        }
    }

    fn s2(&self, i: usize, l: usize) -> f64 {
        match (self.row[i], self.row[l]) {
            (Some(a), Some(b)) => self.s2[a][b],
            _ => 0.0,
        }
    }

    /// The smallest mean of the candidates in contention over their first `r` values.
    pub fn best_mean(&self, x: &[Vec<f64>], r: usize) -> f64 {
        self.alive
            .iter()
            .map(|&i| x[i][..r].iter().sum::<f64>() / r as f64)
            .fold(f64::NAN, f64::min)
    }

    /// Applies the elimination rule at `r` replications (`x[i]` holds at least `r` values of
    /// every candidate in contention); returns each candidate beaten with the one that beats
    /// it (a `feasible` one when any does, else the smallest mean), and takes them out of
    /// contention.
    pub fn screen(
        &mut self,
        x: &[Vec<f64>],
        r: usize,
        tiebreak: &[Tiebreak],
        feasible: &[bool],
    ) -> Vec<(usize, usize)> {
        let mean = |i: usize| x[i][..r].iter().sum::<f64>() / r as f64;
        let means: Vec<(usize, f64)> = self.alive.iter().map(|&i| (i, mean(i))).collect();
        let mut out = Vec::new();
        for &(i, xi) in &means {
            let beats = |&&(l, xl): &&(usize, f64)| {
                if l == i {
                    return false;
                }
                let s2 = self.s2(i, l);
                let w = (self.delta / (2.0 * r as f64)
                    * (self.h2 * s2 / (self.delta * self.delta) - r as f64))
                    .max(0.0);
                xi > xl + w || (s2 == 0.0 && xi == xl && tiebreak[l] < tiebreak[i])
            };
            let by = means
                .iter()
                .filter(beats)
                .min_by(|a, b| {
                    (!feasible[a.0])
                        .cmp(&!feasible[b.0])
                        .then(a.1.total_cmp(&b.1))
                        .then(a.0.cmp(&b.0))
                })
                .map(|&(l, _)| l);
            if let Some(l) = by {
                out.push((i, l));
            }
        }
        self.alive.retain(|i| !out.iter().any(|(o, _)| o == i));
        out
    }

    /// Removes a candidate (found infeasible, or undecided at the cap).
    pub fn drop_candidate(&mut self, i: usize) {
        self.alive.retain(|&a| a != i);
    }

    /// Brings a held candidate back into contention (kept in index order).
    pub fn readmit(&mut self, i: usize) {
        if !self.alive.contains(&i) {
            self.alive.push(i);
            self.alive.sort_unstable();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constants_follow_kim_and_nelson() {
        // k = 2, n0 = 10, α = 0.05: η = ½(0.1^(−2/9) − 1) = 0.33405…, h² = 2η·9 = 6.0129…
        let h2 = h_squared(2, 10, 0.05);
        assert!((h2 - 6.0129).abs() < 1e-3, "{h2}");
        assert_eq!(h_squared(1, 10, 0.05), 0.0);
    }

    #[test]
    fn a_clearly_worse_candidate_is_eliminated_and_identical_ones_tie_broken() {
        let x = vec![
            vec![1.0, 2.0, 1.5, 1.0],
            vec![9.0, 8.0, 9.5, 9.0],
            vec![1.0, 2.0, 1.5, 1.0],
        ];
        let mut s = Selection::new(vec![0, 1, 2], &x, 4, 0.05, 0.5);
        let tb = [(2.0, 0), (1.0, 1), (1.0, 2)];
        let out = s.screen(&x, 4, &tb, &[true; 3]);
        // 1 is beaten by both; the smaller mean, then the order, names 0.
        assert_eq!(out, vec![(0, 2), (1, 0)]);
        assert_eq!(s.alive, vec![2]);
        // A beater shown feasible is named before one that is not.
        let mut s = Selection::new(vec![0, 1, 2], &x, 4, 0.05, 0.5);
        let out = s.screen(&x, 4, &tb, &[false, true, true]);
        assert_eq!(out, vec![(0, 2), (1, 2)]);
        s.readmit(1);
        assert_eq!(s.alive, vec![1, 2]);
    }
}
