//! Simulated time: integer microseconds, so that ordering and sums are exact.

use std::fmt;

/// A point in simulated time (or a span of it), in microseconds since the start of the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct SimTime(pub u64);

impl SimTime {
    /// Time zero.
    pub const ZERO: SimTime = SimTime(0);
    /// Microseconds per second.
    pub const SECOND: u64 = 1_000_000;

    /// From whole seconds.
    pub const fn from_secs(s: u64) -> SimTime {
        SimTime(s * Self::SECOND)
    }

    /// From seconds as a float, rounded to the nearest microsecond; negative and NaN give zero,
    /// values beyond `u64` saturate.
    pub fn from_secs_f64(s: f64) -> SimTime {
        if s.is_nan() || s <= 0.0 {
            return SimTime::ZERO;
        }
        let us = s * Self::SECOND as f64;
        if us >= u64::MAX as f64 {
            return SimTime(u64::MAX);
        }
        // `us.round()` without the libm call (it was 3 % of a run): the cast truncates, and
        // `us - whole` is exact (below 2^53 both share the binade's grid, above it `us` is
        // whole), so this rounds half away from zero exactly as `f64::round` does.
        let whole = us as u64;
        SimTime(whole + u64::from(us - whole as f64 >= 0.5))
    }

    /// As seconds.
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / Self::SECOND as f64
    }

    /// Saturating addition (time never wraps).
    pub fn plus(self, d: SimTime) -> SimTime {
        SimTime(self.0.saturating_add(d.0))
    }

    /// Saturating difference `self - earlier`.
    pub fn since(self, earlier: SimTime) -> SimTime {
        SimTime(self.0.saturating_sub(earlier.0))
    }
}

impl fmt::Display for SimTime {
    /// Human form: `1h30m`, `90s`, `250ms`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let us = self.0;
        if us == 0 {
            return write!(f, "0s");
        }
        if !us.is_multiple_of(SimTime::SECOND) {
            return write!(f, "{}s", self.as_secs_f64());
        }
        let mut s = us / SimTime::SECOND;
        let h = s / 3600;
        s %= 3600;
        let m = s / 60;
        s %= 60;
        if h > 0 {
            write!(f, "{h}h")?;
        }
        if m > 0 {
            write!(f, "{m}m")?;
        }
        if s > 0 {
            write!(f, "{s}s")?;
        }
        Ok(())
    }
}

/// Parses a duration string such as `"90s"`, `"5m"`, `"1h30m"`, `"250ms"`, `"1.5h"` or `"2d"`.
///
/// Units: `d`, `h`, `m`, `s`, `ms`, `us`. Each part is a non-negative decimal number followed by
/// a unit; parts may repeat in any order and are added. A bare number is refused so that a
/// missing unit is never guessed.
pub fn parse_duration(text: &str) -> Result<SimTime, String> {
    let s = text.trim();
    if s.is_empty() {
        return Err("empty duration; expected e.g. \"90s\", \"5m\", \"1h30m\"".into());
    }
    let bytes = s.as_bytes();
    let mut i = 0;
    let mut total_us: f64 = 0.0;
    while i < bytes.len() {
        let start = i;
        while i < bytes.len() && (bytes[i].is_ascii_digit() || bytes[i] == b'.') {
            i += 1;
        }
        if start == i && bytes[i] == b'-' {
            return Err(format!(
                "invalid duration {text:?}: durations cannot be negative"
            ));
        }
        if start == i {
            return Err(format!(
                "invalid duration {text:?}: expected a number at position {}",
                start + 1
            ));
        }
        let number: f64 = s[start..i]
            .parse()
            .map_err(|_| format!("invalid duration {text:?}: bad number {:?}", &s[start..i]))?;
        let ustart = i;
        while i < bytes.len() && bytes[i].is_ascii_alphabetic() {
            i += 1;
        }
        let unit_us = match &s[ustart..i] {
            "d" => 86_400e6,
            "h" => 3_600e6,
            "m" | "min" => 60e6,
            "s" => 1e6,
            "ms" => 1e3,
            "us" => 1.0,
            "" => {
                return Err(format!(
                    "invalid duration {text:?}: missing unit after {number} (use d, h, m, s, ms or us)"
                ));
            }
            other => {
                return Err(format!(
                    "invalid duration {text:?}: unknown unit {other:?} (use d, h, m, s, ms or us)"
                ));
            }
        };
        total_us += number * unit_us;
    }
    if !total_us.is_finite() || total_us >= u64::MAX as f64 / 2.0 {
        return Err(format!("invalid duration {text:?}: too large"));
    }
    Ok(SimTime(total_us.round() as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The libm-free rounding in `from_secs_f64` agrees with `f64::round` everywhere: on
    /// halfway cases, on the largest value below one half, across binades up to 2^64, and on
    /// a million pseudo-random bit patterns.
    #[test]
    fn from_secs_f64_rounds_like_f64_round() {
        let reference = |s: f64| -> u64 {
            if s.is_nan() || s <= 0.0 {
                return 0;
            }
            let us = (s * 1e6).round();
            if us >= u64::MAX as f64 {
                u64::MAX
            } else {
                us as u64
            }
        };
        let mut cases = vec![
            0.5e-6,
            1.5e-6,
            2.5e-6,
            0.5f64.next_down() * 1e-6,
            1e-7,
            0.4e-6,
        ];
        for e in -30..70 {
            let x = 2f64.powi(e);
            cases.extend([
                x,
                x * 1.5,
                x + 0.5e-6,
                x - 0.5e-6,
                x * 0.999_999_9,
                x.next_up(),
            ]);
        }
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        for _ in 0..1_000_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            // Positive finite doubles from 2^-60 to 2^70, so that every binade is reached.
            let bits = (state >> 12) | ((((state & 0xFF) % 131) + 963) << 52);
            cases.push(f64::from_bits(bits));
        }
        for s in cases {
            assert_eq!(SimTime::from_secs_f64(s).0, reference(s), "{s:e} s");
        }
    }

    #[test]
    fn parses_the_documented_forms() {
        assert_eq!(parse_duration("90s"), Ok(SimTime::from_secs(90)));
        assert_eq!(parse_duration("5m"), Ok(SimTime::from_secs(300)));
        assert_eq!(parse_duration("1h30m"), Ok(SimTime::from_secs(5400)));
        assert_eq!(parse_duration("250ms"), Ok(SimTime(250_000)));
        assert_eq!(parse_duration("1.5h"), Ok(SimTime::from_secs(5400)));
        assert_eq!(parse_duration("0s"), Ok(SimTime::ZERO));
    }

    #[test]
    fn refuses_what_it_cannot_read() {
        for bad in ["", "5", "m", "5x", "-5s", "1h-", "5 s", "1e400s"] {
            assert!(parse_duration(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn displays_round_trip() {
        for s in ["1h30m", "90s", "2h", "1m1s"] {
            let t = parse_duration(s).unwrap();
            assert_eq!(parse_duration(&t.to_string()).unwrap(), t);
        }
        assert_eq!(SimTime::from_secs(5400).to_string(), "1h30m");
    }
}
