//! Workload presets: per-feature rates and holding times derived from a user count.
//!
//! `lync2013` follows Microsoft's "User models in Lync Server 2013" (docs/model.md, "Domain facts"). Every number
//! the model gives is used as given; where it is silent the assumption is named here, and the
//! same derivation is written out in `scenarios/default.toml`.

use super::dist::DistKind;

/// One feature as a preset derives it.
#[derive(Debug, Clone, PartialEq)]
pub struct PresetFeature {
    /// Catalogue name.
    pub name: &'static str,
    /// Pool-wide arrivals per hour.
    pub arrivals_per_hour: f64,
    /// Holding time.
    pub duration: DistKind,
    /// Per-server cap, when the model gives one.
    pub max_per_server: Option<u32>,
    /// How the numbers were derived.
    pub derivation: String,
}

/// Mean conference size: 85 % of conferences have 4 participants, 10 % 6, 5 % 11.
pub const MEAN_CONFERENCE_SIZE: f64 = 0.85 * 4.0 + 0.10 * 6.0 + 0.05 * 11.0;

/// The Lync Server 2013 user model for `users` users homed on the pool.
pub fn lync2013(users: f64) -> Vec<PresetFeature> {
    let active = users * 0.70 * 0.80; // enabled 70 %, logged on daily 80 %
    // P2P IM: 6 sessions per user per day; assumption: spread over an 8-hour working day.
    let im_rate = 6.0 * active / 8.0;
    // Conferences: 5 % of users in one at once; mean size 4.55; assumption: log-normal length,
    // median 30 min, sigma 0.8 (mean 41.3 min); Little's law gives the arrival rate.
    let (conf_mu, conf_sigma) = ((30.0f64 * 60.0).ln(), 0.8f64);
    let conf_mean_h = (conf_mu + conf_sigma * conf_sigma / 2.0).exp() / 3600.0;
    let concurrent_conferences = 0.05 * active / MEAN_CONFERENCE_SIZE;
    let conf_rate = concurrent_conferences / conf_mean_h;
    let conf = || DistKind::LogNormal {
        mu: conf_mu,
        sigma: conf_sigma,
    };
    // PSTN: 60 % Enterprise Voice × 60 % PSTN, 4 calls of 3 min in the busy hour, 35 % not
    // media-bypass (through the collocated Mediation service, 150 calls per Front End).
    let pstn_rate = 0.6 * 0.6 * active * 4.0 * 0.35;
    // Dial-in: assumption, 15 % of conference joins dial in through the Conferencing Attendant.
    let dial_in_rate = conf_rate * MEAN_CONFERENCE_SIZE * 0.15;
    // Attendant: 50 s per call, half the callers hear ~5 min of music on hold → mean 200 s
    // (cv 1, assumption).
    let cv: f64 = 1.0;
    let s2 = (1.0 + cv * cv).ln();
    let attendant = DistKind::LogNormal {
        mu: 200f64.ln() - s2 / 2.0,
        sigma: s2.sqrt(),
    };
    // Response Group: 0.15 % of users are agents; assumption: 10 calls per agent per hour, in
    // the application for a log-normal time with median 2 min.
    let rgs_rate = 0.0015 * active * 10.0;
    // Announcement: assumption, 60 calls per hour per 28,000 active users.
    let ann_rate = 60.0 * active / 28_000.0;
    // Call Park: 0.02 % of users have a parked call at any moment; parked 10–90 s (ring-back at
    // 90 s; mean 50 s, assumption) → Little's law.
    let park_rate = 0.0002 * active / 50.0 * 3600.0;
    let mut out = vec![PresetFeature {
        name: "im",
        arrivals_per_hour: im_rate,
        duration: DistKind::Exponential { mean_s: 180.0 },
        max_per_server: None,
        derivation: format!(
            "6 sessions/user/day × {active:.0} active users over 8 h; 3 min (assumption)"
        ),
    }];
    for (name, share) in [
        ("av_conference", 0.50),
        ("web_conference", 0.25),
        ("app_sharing", 0.15),
        ("im_conference", 0.10),
    ] {
        out.push(PresetFeature {
            name,
            arrivals_per_hour: conf_rate * share,
            duration: conf(),
            max_per_server: None,
            derivation: format!(
                "5 % of {active:.0} users in conferences of 4.55 on average, {:.0} % of conferences \
                 (assumption), log-normal median 30 min (assumption)",
                share * 100.0
            ),
        });
    }
    out.extend([
        PresetFeature {
            name: "pstn_call",
            arrivals_per_hour: pstn_rate,
            duration: DistKind::Exponential { mean_s: 180.0 },
            max_per_server: Some(150),
            derivation: "60 % EV × 60 % PSTN × 4 calls/h × 35 % non-bypass; 3 min; 150 per FE"
                .into(),
        },
        PresetFeature {
            name: "conferencing_attendant",
            arrivals_per_hour: dial_in_rate,
            duration: attendant,
            max_per_server: None,
            derivation:
                "15 % of conference joins dial in (assumption); 50 s + half hear 5 min of music"
                    .into(),
        },
        PresetFeature {
            name: "conferencing_announcement",
            arrivals_per_hour: dial_in_rate,
            duration: DistKind::Uniform {
                min_s: 5.0,
                max_s: 15.0,
            },
            max_per_server: None,
            derivation: "one announcement per dial-in join, 5–15 s (assumption)".into(),
        },
        PresetFeature {
            name: "response_group",
            arrivals_per_hour: rgs_rate,
            duration: DistKind::LogNormal {
                mu: 120f64.ln(),
                sigma: 0.9,
            },
            max_per_server: None,
            derivation: "0.15 % of users are agents, 10 calls/agent/h (assumption), median 2 min"
                .into(),
        },
        PresetFeature {
            name: "announcement",
            arrivals_per_hour: ann_rate,
            duration: DistKind::Uniform {
                min_s: 10.0,
                max_s: 30.0,
            },
            max_per_server: None,
            derivation: "60 calls/h per 28,000 active users, 10–30 s (assumption)".into(),
        },
        PresetFeature {
            name: "call_park",
            arrivals_per_hour: park_rate,
            duration: DistKind::Uniform {
                min_s: 10.0,
                max_s: 90.0,
            },
            max_per_server: None,
            derivation: "0.02 % of users parked at any moment, 10–90 s (ring-back at 90 s)".into(),
        },
    ]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_default_scenario_for_50000_users() {
        let f = lync2013(50_000.0);
        let rate = |n: &str| f.iter().find(|x| x.name == n).unwrap().arrivals_per_hour;
        assert!((rate("im") - 21_000.0).abs() < 1.0);
        assert!((rate("pstn_call") - 14_112.0).abs() < 1.0);
        assert!((rate("response_group") - 420.0).abs() < 1.0);
        assert!((rate("av_conference") - 224.0).abs() < 2.0);
        assert!((rate("call_park") - 403.2).abs() < 1.0);
        assert!((rate("conferencing_attendant") - 305.0).abs() < 3.0);
        assert_eq!(f.len(), 11);
    }
}
