//! Holding-time distributions (R2).

use rand::RngExt;
use rand_distr::{Distribution, Exp, Gamma, LogNormal, Weibull};
use std::sync::Arc;

use super::SimRng;

/// A validated holding-time distribution, in seconds. Construct with [`HoldingTime::new`].
#[derive(Debug, Clone)]
pub struct HoldingTime {
    kind: DistKind,
    sampler: Sampler,
}

/// The parameters of a holding-time distribution, in seconds.
#[derive(Debug, Clone, PartialEq)]
pub enum DistKind {
    /// Exponential with the given mean.
    Exponential {
        /// Mean, s.
        mean_s: f64,
    },
    /// Log-normal: `ln S ~ Normal(mu, sigma)`; median = e^mu.
    LogNormal {
        /// Location of ln S.
        mu: f64,
        /// Scale of ln S (> 0).
        sigma: f64,
    },
    /// Always the same value.
    Deterministic {
        /// The value, s.
        value_s: f64,
    },
    /// Uniform on `[min_s, max_s]`.
    Uniform {
        /// Lower bound, s.
        min_s: f64,
        /// Upper bound, s.
        max_s: f64,
    },
    /// Gamma with the given mean and shape (scale = mean / shape).
    Gamma {
        /// Mean, s.
        mean_s: f64,
        /// Shape k (> 0).
        shape: f64,
    },
    /// Weibull with scale λ and shape k.
    Weibull {
        /// Scale, s.
        scale_s: f64,
        /// Shape (> 0).
        shape: f64,
    },
    /// Resampled uniformly from the given data points (each point exactly).
    Empirical {
        /// The data points, s, all finite and non-negative.
        values_s: Arc<[f64]>,
    },
}

#[derive(Debug, Clone)]
enum Sampler {
    Exp(Exp<f64>),
    LogNormal(LogNormal<f64>),
    Constant(f64),
    Uniform(f64, f64),
    Gamma(Gamma<f64>),
    Weibull(Weibull<f64>),
    Empirical(Arc<[f64]>),
}

fn positive(name: &str, v: f64) -> Result<(), String> {
    if v.is_finite() && v > 0.0 {
        Ok(())
    } else {
        Err(format!("{name} must be a finite number > 0, got {v}"))
    }
}

fn non_negative(name: &str, v: f64) -> Result<(), String> {
    if v.is_finite() && v >= 0.0 {
        Ok(())
    } else {
        Err(format!("{name} must be a finite number >= 0, got {v}"))
    }
}

impl HoldingTime {
    /// Checks the parameters and builds the sampler.
    pub fn new(kind: DistKind) -> Result<HoldingTime, String> {
        let sampler = match &kind {
            DistKind::Exponential { mean_s } => {
                positive("mean", *mean_s)?;
                Sampler::Exp(Exp::new(1.0 / mean_s).map_err(|e| e.to_string())?)
            }
            DistKind::LogNormal { mu, sigma } => {
                if !mu.is_finite() {
                    return Err(format!("log-normal location must be finite, got {mu}"));
                }
                positive("sigma", *sigma)?;
                Sampler::LogNormal(LogNormal::new(*mu, *sigma).map_err(|e| e.to_string())?)
            }
            DistKind::Deterministic { value_s } => {
                non_negative("value", *value_s)?;
                Sampler::Constant(*value_s)
            }
            DistKind::Uniform { min_s, max_s } => {
                non_negative("min", *min_s)?;
                non_negative("max", *max_s)?;
                if min_s > max_s {
                    return Err(format!("min ({min_s} s) is greater than max ({max_s} s)"));
                }
                Sampler::Uniform(*min_s, *max_s)
            }
            DistKind::Gamma { mean_s, shape } => {
                positive("mean", *mean_s)?;
                positive("shape", *shape)?;
                Sampler::Gamma(Gamma::new(*shape, mean_s / shape).map_err(|e| e.to_string())?)
            }
            DistKind::Weibull { scale_s, shape } => {
                positive("scale", *scale_s)?;
                positive("shape", *shape)?;
                Sampler::Weibull(Weibull::new(*scale_s, *shape).map_err(|e| e.to_string())?)
            }
            DistKind::Empirical { values_s } => {
                if values_s.is_empty() {
                    return Err("empirical distribution has no data points".into());
                }
                for v in values_s.iter() {
                    non_negative("every empirical duration", *v)?;
                }
                Sampler::Empirical(values_s.clone())
            }
        };
        Ok(HoldingTime { kind, sampler })
    }

    /// The parameters.
    pub fn kind(&self) -> &DistKind {
        &self.kind
    }

    /// Draws one holding time, in seconds. Exactly one call to the distribution per draw, so
    /// that streams stay aligned between runs (common random numbers).
    pub fn sample(&self, rng: &mut SimRng) -> f64 {
        match &self.sampler {
            Sampler::Exp(d) => d.sample(rng),
            Sampler::LogNormal(d) => d.sample(rng),
            Sampler::Constant(v) => {
                // Consume one draw anyway so that a distribution change keeps the other draws aligned.
                let _: u64 = rng.random();
                *v
            }
            Sampler::Uniform(a, b) => a + (b - a) * rng.random::<f64>(),
            Sampler::Gamma(d) => d.sample(rng),
            Sampler::Weibull(d) => d.sample(rng),
            Sampler::Empirical(v) => v[rng.random_range(0..v.len())],
        }
    }

    /// The mean E\[S\], in seconds.
    pub fn mean_s(&self) -> f64 {
        match &self.kind {
            DistKind::Exponential { mean_s } => *mean_s,
            DistKind::LogNormal { mu, sigma } => (mu + sigma * sigma / 2.0).exp(),
            DistKind::Deterministic { value_s } => *value_s,
            DistKind::Uniform { min_s, max_s } => (min_s + max_s) / 2.0,
            DistKind::Gamma { mean_s, .. } => *mean_s,
            DistKind::Weibull { scale_s, shape } => {
                scale_s * statrs::function::gamma::gamma(1.0 + 1.0 / shape)
            }
            DistKind::Empirical { values_s } => {
                values_s.iter().sum::<f64>() / values_s.len() as f64
            }
        }
    }

    /// A short description for reports, e.g. `lognormal(median 2m, sigma 0.9)`.
    pub fn describe(&self) -> String {
        match &self.kind {
            DistKind::Exponential { mean_s } => format!("exponential(mean {mean_s:.1} s)"),
            DistKind::LogNormal { mu, sigma } => {
                format!("lognormal(median {:.1} s, sigma {sigma:.2})", mu.exp())
            }
            DistKind::Deterministic { value_s } => format!("deterministic({value_s:.1} s)"),
            DistKind::Uniform { min_s, max_s } => format!("uniform({min_s:.1}–{max_s:.1} s)"),
            DistKind::Gamma { mean_s, shape } => {
                format!("gamma(mean {mean_s:.1} s, shape {shape})")
            }
            DistKind::Weibull { scale_s, shape } => {
                format!("weibull(scale {scale_s:.1} s, shape {shape})")
            }
            DistKind::Empirical { values_s } => format!("empirical({} points)", values_s.len()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn refuses_bad_parameters() {
        assert!(HoldingTime::new(DistKind::Exponential { mean_s: 0.0 }).is_err());
        assert!(
            HoldingTime::new(DistKind::LogNormal {
                mu: 1.0,
                sigma: 0.0
            })
            .is_err()
        );
        assert!(
            HoldingTime::new(DistKind::Uniform {
                min_s: 2.0,
                max_s: 1.0
            })
            .is_err()
        );
        assert!(
            HoldingTime::new(DistKind::Gamma {
                mean_s: 1.0,
                shape: f64::NAN
            })
            .is_err()
        );
        assert!(
            HoldingTime::new(DistKind::Empirical {
                values_s: Arc::from(vec![])
            })
            .is_err()
        );
    }

    #[test]
    fn empirical_draws_only_the_data_points() {
        let d = HoldingTime::new(DistKind::Empirical {
            values_s: Arc::from(vec![3.0, 7.5, 11.0]),
        })
        .unwrap();
        let mut rng = SimRng::seed_from_u64(1);
        for _ in 0..1000 {
            let v = d.sample(&mut rng);
            assert!(v == 3.0 || v == 7.5 || v == 11.0);
        }
    }
}
