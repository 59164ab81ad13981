//! Time of day (R12): a feature's arrival rate as a piecewise-constant function of the
//! wall-clock time, and the exact sampling of its non-homogeneous Poisson arrivals.
//!
//! A [`Profile`] holds multipliers of the feature's `arrivals_per_hour`, each from a time of
//! day until the next one (24 hourly values, or the rows of a profile file), repeating every
//! day. Arrivals are drawn by inverting the integrated rate: an `Exp(1)` number of expected
//! arrivals is spent across the segments, so the process is exact — no small time steps.

/// Seconds in a day.
pub const DAY_S: f64 = 86_400.0;

/// The level of the built-in `lync2013_workday` shape outside the working day, as a fraction
/// of the busy hour, when the scenario does not give one.
pub const DEFAULT_NIGHT: f64 = 0.1;

/// `t` seconds wrapped into a day, `[0, DAY_S)`: `rem_euclid` of a tiny negative time rounds to
/// `DAY_S` itself, which is midnight of the next day.
fn time_of_day(t: f64) -> f64 {
    let tod = t.rem_euclid(DAY_S);
    if tod >= DAY_S { 0.0 } else { tod }
}

/// Names of the built-in shapes.
pub const BUILTIN: &[&str] = &["flat", "lync2013_workday"];

/// A day's rate multipliers: `segments[i] = (start, multiplier)` holds from `start` (seconds
/// after midnight) until the next segment's start; the first starts at midnight.
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    starts: Vec<f64>,
    multipliers: Vec<f64>,
}

impl Profile {
    /// A profile from `(seconds after midnight, multiplier)` rows in increasing order, the
    /// last holding until the first of the next day. A first row after midnight is preceded
    /// by the last row's value (the day wraps).
    pub fn from_rows(rows: &[(f64, f64)]) -> Result<Profile, String> {
        if rows.is_empty() {
            return Err("a profile needs at least one row".into());
        }
        for w in rows.windows(2) {
            if w[1].0 <= w[0].0 {
                return Err("profile times must increase".into());
            }
        }
        for &(t, m) in rows {
            if !(0.0..DAY_S).contains(&t) {
                return Err(format!("time {t} s is not within a day"));
            }
            if !(m.is_finite() && m >= 0.0) {
                return Err(format!("multiplier {m} is not a finite number >= 0"));
            }
        }
        let mut starts = Vec::with_capacity(rows.len() + 1);
        let mut multipliers = Vec::with_capacity(rows.len() + 1);
        if rows[0].0 > 0.0 {
            starts.push(0.0);
            multipliers.push(rows[rows.len() - 1].1);
        }
        for &(t, m) in rows {
            starts.push(t);
            multipliers.push(m);
        }
        Ok(Profile {
            starts,
            multipliers,
        })
    }

    /// 24 hourly multipliers, hour 0 first.
    pub fn hourly(values: &[f64]) -> Result<Profile, String> {
        if values.len() != 24 {
            return Err(format!(
                "a profile list needs 24 hourly multipliers (00:00 to 23:00), got {}",
                values.len()
            ));
        }
        let rows: Vec<(f64, f64)> = (values.iter().enumerate())
            .map(|(h, &m)| (h as f64 * 3600.0, m))
            .collect();
        Profile::from_rows(&rows)
    }

    /// A built-in shape by name (`night`: the `lync2013_workday` level outside working hours).
    pub fn builtin(name: &str, night: f64) -> Option<Profile> {
        match name {
            "flat" => Profile::hourly(&[1.0; 24]).ok(),
            "lync2013_workday" => Profile::hourly(&lync2013_workday(night)).ok(),
            _ => None,
        }
    }

    /// The multiplier at `t` seconds after midnight (any `t`: the day repeats).
    pub fn at(&self, t: f64) -> f64 {
        self.multipliers[self.segment(time_of_day(t))]
    }

    /// Largest multiplier.
    pub fn peak(&self) -> f64 {
        self.multipliers.iter().fold(0.0, |a, &b| a.max(b))
    }

    /// Mean multiplier over the day.
    pub fn daily_mean(&self) -> f64 {
        self.integral(0.0, DAY_S) / DAY_S
    }

    /// `∫ multiplier dt` from `a` to `b` seconds after midnight (`a <= b`, any values).
    pub fn integral(&self, a: f64, b: f64) -> f64 {
        // Also when either end is NaN.
        if b.partial_cmp(&a) != Some(std::cmp::Ordering::Greater) {
            return 0.0;
        }
        // Whole days at once: a span of 10⁸ days costs what one day costs.
        let days = ((b - a) / DAY_S).floor();
        if days >= 1.0 {
            let day: f64 = (0..self.multipliers.len())
                .map(|i| self.multipliers[i] * (self.segment_end(i) - self.starts[i]))
                .sum();
            return days * day + self.integral(a + days * DAY_S, b);
        }
        let (mut t, mut total) = (a, 0.0);
        while t < b {
            let tod = time_of_day(t);
            let i = self.segment(tod);
            let end = t + (self.segment_end(i) - tod);
            let stop = end.min(b);
            total += self.multipliers[i] * (stop - t);
            t = stop;
        }
        total
    }

    /// Index of the segment holding `tod` (seconds after midnight, in `[0, DAY_S)`).
    fn segment(&self, tod: f64) -> usize {
        self.starts.partition_point(|&s| s <= tod) - 1
    }

    /// End of segment `i`, seconds after midnight (`DAY_S` for the last).
    fn segment_end(&self, i: usize) -> f64 {
        self.starts.get(i + 1).copied().unwrap_or(DAY_S)
    }

    /// A sampler of arrivals at `rate_per_s × multiplier`, for a run whose time 0 is
    /// `clock_start_s` seconds after midnight.
    pub fn sampler(&self, rate_per_s: f64, clock_start_s: f64) -> ProfileSampler {
        let tod = time_of_day(clock_start_s);
        let segment = self.segment(tod);
        let rates: Vec<f64> = self.multipliers.iter().map(|m| m * rate_per_s).collect();
        let ends: Vec<f64> = (0..self.starts.len())
            .map(|i| self.segment_end(i))
            .collect();
        let day: f64 = (rates.iter().zip(&self.starts).zip(&ends))
            .map(|((r, a), b)| r * (b - a))
            .sum();
        ProfileSampler {
            rates,
            ends,
            t: 0.0,
            end: self.segment_end(segment) - tod,
            segment,
            day,
            any: day > 0.0 && day.is_finite(),
        }
    }
}

/// One feature's non-homogeneous Poisson arrivals, in simulated seconds. It keeps the time of
/// the last arrival and the end of its segment, so an arrival in the same segment costs one
/// comparison more than a constant rate.
#[derive(Debug, Clone)]
pub struct ProfileSampler {
    /// Rate per second of each segment.
    rates: Vec<f64>,
    /// End of each segment, seconds after midnight.
    ends: Vec<f64>,
    /// Simulated time of the last arrival (s).
    t: f64,
    /// Simulated time at which the current segment ends.
    end: f64,
    segment: usize,
    /// Expected arrivals in a whole day.
    day: f64,
    /// Whether any arrival is expected at all (rates that underflow to 0 count as none).
    any: bool,
}

/// Simulated time past which a sampler draws no more arrivals: far beyond the longest
/// horizon, so that a rate too small to matter cannot keep it searching.
const NEVER_S: f64 = 1e12;

impl ProfileSampler {
    /// The simulated time (s) of the next arrival, spending `e ~ Exp(1)` expected arrivals
    /// over the segments from the last one; `None` when the rate is zero all day.
    pub fn next(&mut self, mut e: f64) -> Option<f64> {
        if !self.any {
            return None;
        }
        loop {
            let rate = self.rates[self.segment];
            if rate > 0.0 {
                let at = self.t + e / rate;
                if at < self.end {
                    self.t = at;
                    return Some(at);
                }
                e -= rate * (self.end - self.t);
            }
            self.t = self.end;
            if self.t > NEVER_S {
                self.any = false;
                return None;
            }
            let from = self.ends[self.segment];
            self.segment = (self.segment + 1) % self.rates.len();
            if self.segment == 0 && e > self.day {
                // At midnight with more than a day's arrivals still to spend: skip whole days.
                let days = (e / self.day).floor();
                e -= days * self.day;
                self.t += days * DAY_S;
                self.end = self.t;
            }
            let to = self.ends[self.segment];
            self.end += if self.segment == 0 { to } else { to - from };
        }
    }
}

/// The `lync2013_workday` shape: 24 hourly multipliers of the busy hour.
///
/// Microsoft's user model for Lync Server 2013 describes an 8-hour working day:
/// - conferences: 75 % of a day's conferences fall in 4 peak hours, at 1.5 × the day's
///   average hour. 75 % / 4 = 18.75 % of the day per peak hour; the other 25 % spread over the
///   other 4 working hours is 6.25 % per hour, a third of a peak hour. So: 4 hours at 1.0 and
///   4 at 1/3;
/// - peer-to-peer sessions: half of a day's calls in 20 % of the 8-hour day (1.6 h), hence the
///   busy-hour rate = calls × 0.5 / 1.6. That is peakier than an hour can show; at hourly
///   resolution the conference shape above is used for every feature, and the busy hour
///   (multiplier 1.0) is the rate the scenario writes as `arrivals_per_hour`.
///
/// The working day is taken as 08:00–16:00 with the peaks at 09:00–11:00 and 13:00–15:00
/// (morning and afternoon meetings around a lunch hour; the placement is our assumption, the
/// shares are Microsoft's). Microsoft publishes nothing for the other 16 hours: they hold
/// `night` × the busy hour (default [`DEFAULT_NIGHT`] = 10 %: shift workers, other time zones,
/// and clients that stay signed in; measure your own with `drainsim fit`).
pub fn lync2013_workday(night: f64) -> [f64; 24] {
    let off_peak = 1.0 / 3.0;
    let mut h = [night; 24];
    for hour in [8, 11, 12, 15] {
        h[hour] = off_peak;
    }
    for hour in [9, 10, 13, 14] {
        h[hour] = 1.0;
    }
    h
}

/// Parses a wall-clock time of day `HH:MM` (or `HH:MM:SS`), 00:00 to 23:59:59, into seconds
/// after midnight.
pub fn parse_clock(text: &str) -> Result<f64, String> {
    let t = text.trim();
    let parts: Vec<&str> = t.split(':').collect();
    let bad =
        || format!("\"{text}\" is not a time of day; write HH:MM (24-hour clock, 00:00 to 23:59)");
    if !(2..=3).contains(&parts.len()) {
        return Err(bad());
    }
    let num = |s: &str, max: u32, what: &str| -> Result<u32, String> {
        if s.is_empty() || s.len() > 2 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let v: u32 = s.parse().map_err(|_| bad())?;
        if v > max {
            return Err(format!(
                "\"{text}\" is not a time of day: {what} {v} is out of range (0 to {max})"
            ));
        }
        Ok(v)
    };
    let h = num(parts[0], 23, "hour")?;
    let m = num(parts[1], 59, "minute")?;
    let s = match parts.get(2) {
        Some(p) => num(p, 59, "second")?,
        None => 0,
    };
    Ok(f64::from(h * 3600 + m * 60 + s))
}

/// `HH:MM` for `s` seconds after midnight (wrapped into a day).
pub fn format_clock(s: f64) -> String {
    let s = s.rem_euclid(DAY_S).round() as u64 % 86_400;
    if s.is_multiple_of(60) {
        format!("{:02}:{:02}", s / 3600, s / 60 % 60)
    } else {
        format!("{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_times_parse_and_refuse_25_00() {
        assert_eq!(parse_clock("02:30"), Ok(9000.0));
        assert_eq!(parse_clock("23:59:59"), Ok(86_399.0));
        assert!(parse_clock("25:00").unwrap_err().contains("hour 25"));
        assert!(parse_clock("12:60").is_err());
        assert!(parse_clock("noon").is_err());
        assert!(parse_clock("1:2:3:4").is_err());
        assert_eq!(format_clock(-3600.0), "23:00");
        assert_eq!(format_clock(9000.0), "02:30");
    }

    #[test]
    fn the_workday_keeps_microsofts_shares() {
        let h = lync2013_workday(0.0);
        let day: f64 = h.iter().sum();
        let peak4: f64 = [9, 10, 13, 14].iter().map(|&i| h[i]).sum();
        assert!(
            (peak4 / day - 0.75).abs() < 1e-12,
            "75 % in the 4 peak hours"
        );
        assert!(
            (1.0 / (day / 8.0) - 1.5).abs() < 1e-12,
            "peak 1.5 x the mean hour"
        );
    }

    #[test]
    fn integral_wraps_the_day() {
        let p = Profile::hourly(&lync2013_workday(0.1)).unwrap();
        let day = p.integral(0.0, DAY_S);
        assert!((p.integral(5.0 * 3600.0, 5.0 * 3600.0 + 3.0 * DAY_S) - 3.0 * day).abs() < 1e-6);
        assert!((p.integral(-3600.0, 0.0) - 0.1 * 3600.0).abs() < 1e-9);
        // Just below zero: the time of day must not round to 24:00 (no progress).
        assert!((p.integral(-1e-13, 10.0) - 1.0).abs() < 1e-9);
        assert_eq!(p.at(-1e-13), 0.1);
        // A horizon of 10⁸ days is whole days at once, not a walk through each.
        let long = p.integral(3600.0, 3600.0 + 1e8 * DAY_S + 7200.0);
        let expected = 1e8 * day + p.integral(3600.0, 3.0 * 3600.0);
        assert!((long - expected).abs() / expected < 1e-9);
    }

    #[test]
    fn file_rows_before_the_first_wrap_from_the_last() {
        let p = Profile::from_rows(&[(6.0 * 3600.0, 1.0), (18.0 * 3600.0, 0.2)]).unwrap();
        assert_eq!(p.at(3.0 * 3600.0), 0.2);
        assert_eq!(p.at(7.0 * 3600.0), 1.0);
        assert_eq!(p.at(20.0 * 3600.0), 0.2);
    }

    /// Spending the expected arrivals exactly: with `e` equal to the integral of the rate
    /// between two times, the sampler moves from one to the other, across segments and days.
    #[test]
    fn sampler_inverts_the_integrated_rate() {
        let p = Profile::hourly(&lync2013_workday(0.05)).unwrap();
        let rate = 2.0 / 3600.0;
        for start in [0.0, 7.5 * 3600.0, 22.0 * 3600.0] {
            let mut s = p.sampler(rate, start);
            let mut now = 0.0;
            for target in [1000.0, 30_000.0, 90_000.0, 200_000.0, 200_001.0] {
                let e = rate * p.integral(start + now, start + target);
                let t = s.next(e).unwrap();
                assert!((t - target).abs() < 1e-6, "{t} vs {target}");
                now = t;
            }
        }
        let zero = Profile::hourly(&[0.0; 24]).unwrap();
        assert_eq!(zero.sampler(1.0, 0.0).next(1.0), None);
        // A rate so small that it underflows, or whose next arrival lies beyond any horizon,
        // ends the search instead of looping; whole days are skipped at once.
        assert_eq!(p.sampler(1e-320, 0.0).next(1.0), None);
        assert_eq!(p.sampler(1e-300, 0.0).next(1.0), None);
        let mut s = p.sampler(rate, 0.0);
        let day = rate * p.integral(0.0, DAY_S);
        let t = s.next(10.5 * day).unwrap();
        assert!(
            (rate * p.integral(0.0, t) - 10.5 * day).abs() < 1e-9 * day,
            "{t}"
        );
        assert!(t > 10.0 * DAY_S && t < 11.0 * DAY_S, "{t}");
    }
}
