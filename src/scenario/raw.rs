//! Stage one: the scenario file as written (serde, `deny_unknown_fields`). Names here are the
//! user contract of docs/scenario.md: add fields, never rename them. The same types derive the
//! JSON Schema of the format (`schema`), so that the schema cannot drift from what is read;
//! the doc comments below are its descriptions.

use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::Deserialize;
use serde::de::{self, Deserializer, SeqAccess, Visitor};

use crate::model::plan::ActionKind;

/// `replications`: a count, or a precision target.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum RawReplications {
    /// Replications per run.
    Count(u32),
    /// Replications until the sessions cut are known this precisely.
    Target(RawPrecision),
}

/// `replications = { half_width = …, relative = …, start = …, max = … }`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[schemars(rename = "Precision")]
#[serde(deny_unknown_fields)]
pub struct RawPrecision {
    /// Largest half-width of the 95 % interval of every run's mean sessions cut.
    pub half_width: Option<f64>,
    /// Largest half-width relative to the mean (0.05: ±5 %).
    pub relative: Option<f64>,
    /// Replications per run to start with (default 20).
    pub start: Option<u32>,
    /// Most replications per run (default 1,000).
    pub max: Option<u32>,
}

/// A whole scenario file.
#[derive(Debug, Clone, Deserialize, JsonSchema, Default)]
#[schemars(rename = "Scenario")]
#[serde(deny_unknown_fields)]
pub struct RawScenario {
    /// Title for reports.
    pub name: Option<String>,
    /// Longer description for reports.
    pub description: Option<String>,
    /// Root seed (default 1).
    pub seed: Option<u64>,
    /// Replications per run (default 100): the starting count when `[[expect]]` entries are
    /// undecided, which then get more, doubling, up to `max_replications`. Or a precision
    /// target: `{ half_width = 0.5, max = 2000 }` or `{ relative = 0.05 }` adds replications
    /// until the 95 % interval of every run's sessions cut is that narrow.
    pub replications: Option<RawReplications>,
    /// Most replications per run that undecided expectations may take (default: the larger of
    /// 1,000 and `replications`).
    pub max_replications: Option<u32>,
    /// End of simulated time, e.g. `"6h"`.
    pub horizon: Option<String>,
    /// Most events per replication (default 500 million).
    pub event_budget: Option<u64>,
    /// Occupancy sampling interval for `timeseries.csv` (default `"1m"`; `"0s"` turns it off).
    pub sample_interval: Option<String>,
    /// Wall-clock time of day at simulated time 0, `"HH:MM"` (default `"00:00"`, or the time of
    /// day of the trace's `start`): profiles and `at = "HH:MM"` steps read the clock from it.
    pub clock_start: Option<String>,
    /// Sessions replayed from a call-detail export (`[trace]`) for the features it maps.
    pub trace: Option<RawTrace>,
    /// The pool.
    #[serde(default)]
    pub pool: RawPool,
    /// A workload preset that derives the features from a user count (`[workload]`).
    pub workload: Option<RawWorkload>,
    /// Features (`[[feature]]`).
    #[serde(default)]
    pub feature: Vec<RawFeature>,
    /// Plan steps (`[[step]]`).
    #[serde(default)]
    pub step: Vec<RawStep>,
    /// Sweep axes: every combination is one run. Read by hand: keys may be dotted `pool.*` paths.
    #[serde(default)]
    #[schemars(with = "serde_json::Map<String, serde_json::Value>")]
    pub sweep: toml::Table,
    /// Expectations (`[[expect]]`), read by hand: selectors and bounds on any summary column.
    #[serde(default)]
    #[schemars(with = "Vec<serde_json::Map<String, serde_json::Value>>")]
    pub expect: Vec<toml::Table>,
    /// Maintenance planning (`[plan]`, read by `drainsim plan`): every combination of its
    /// choices is a candidate runbook; the one that cuts fewest sessions within the
    /// constraints is recommended.
    pub plan: Option<RawPlan>,
}

/// `[plan]`: the choices of a maintenance runbook, its constraints and its objective.
#[derive(Debug, Clone, Deserialize, JsonSchema, Default)]
#[schemars(rename = "Plan")]
#[serde(deny_unknown_fields)]
pub struct RawPlan {
    /// Procedures to try: `"batches"` (fixed batches of `parallel` servers, the default) and
    /// `"rolling_restart"` (Microsoft's readiness-polled procedure, one upgrade domain at a time).
    pub procedure: Option<Vec<String>>,
    /// Servers to patch, each once (1-based numbers or names; default every server), in
    /// this order.
    pub servers: Option<Vec<RawServer>>,
    /// How many servers are patched at once (default `[1]`).
    pub parallel: Option<Vec<i64>>,
    /// Wait between the pause and the restart: durations, or `"drained"` (until the servers
    /// have no session left, at most `drain_limit`). Default `["drained"]`.
    pub wait: Option<Vec<String>>,
    /// Longest wait of a `"drained"` choice (default `"1h"`).
    pub drain_limit: Option<String>,
    /// When the first pause may happen: `"HH:MM"` or a simulated time (default `["0s"]`).
    pub start: Option<Vec<String>>,
    /// Also disable the servers on the hardware load balancer (`lb_disable`) before pausing
    /// them, and enable them after the restart (hardware load balancing only).
    pub lb_disable: Option<Vec<bool>>,
    /// Startup type during the restart: `"automatic"` (services come back running) or
    /// `"manual"` (set Manual before the restart, started and set back to Automatic after).
    pub startup: Option<Vec<String>>,
    /// How long each restart keeps a server down (default `"10m"`).
    pub downtime: Option<String>,
    /// The change window: a length counted from the earliest `start` (`"3h"`), or wall-clock
    /// times (`"02:00-05:00"`); every server must be back by its end (default: no limit).
    pub window: Option<String>,
    /// Largest fraction of new sessions blocked during the maintenance (default 1: no limit).
    pub max_blocked_fraction: Option<f64>,
    /// Fraction of nights in which the window and `max_blocked_fraction` must hold (1 − ε of
    /// the chance constraints; default 0.95; a number or a percentage such as `"99%"`).
    #[schemars(with = "Option<serde_json::Value>")]
    pub nights: Option<toml::Value>,
    /// The objective: `"cut"` (sessions cut, the default).
    pub minimise: Option<String>,
    /// Weight of each feature's cut sessions in the objective (default 1 each).
    #[serde(default)]
    #[schemars(with = "std::collections::BTreeMap<String, f64>")]
    pub weights: toml::Table,
    /// Differences in the objective smaller than this are not worth telling apart (the
    /// indifference zone δ of the selection): a number of sessions, or a percentage of the best
    /// feasible mean such as `"10%"` (the default), at least `indifference_floor`.
    #[schemars(with = "Option<serde_json::Value>")]
    pub indifference: Option<toml::Value>,
    /// Smallest δ of a percentage `indifference` (default 0.1 session).
    pub indifference_floor: Option<f64>,
    /// What picks the recommendation among runbooks within the zone of the best:
    /// `"maintenance"` (shorter, the default), `"blocked"` or `"objective"`.
    pub secondary: Option<String>,
}

/// `[trace]`: a call-detail export replayed as the sessions of the features it maps.
#[derive(Debug, Clone, Deserialize, JsonSchema, Default)]
#[schemars(rename = "Trace")]
#[serde(deny_unknown_fields)]
pub struct RawTrace {
    /// The CSV file, relative to the scenario.
    pub file: String,
    /// The trace instant at simulated time 0 (same formats as the file's times; default: the
    /// first session's start).
    pub start: Option<String>,
    /// `"replay"` (default: the same sessions in every replication) or `"bootstrap"` (each
    /// pair of replications resamples the sessions, keeping their times of day; intervals are
    /// then for the process that produced the recorded night).
    pub mode: Option<String>,
    /// Column names of the export.
    #[serde(default)]
    pub columns: RawTraceColumns,
    /// Values of the feature column → feature names.
    #[serde(default)]
    #[schemars(with = "std::collections::BTreeMap<String, String>")]
    pub features: toml::Table,
}

/// `[trace.columns]`.
#[derive(Debug, Clone, Deserialize, JsonSchema, Default)]
#[schemars(rename = "TraceColumns")]
#[serde(deny_unknown_fields)]
pub struct RawTraceColumns {
    /// Start of a session (default `InviteTime`).
    pub start: Option<String>,
    /// End of a session (default `EndTime`).
    pub end: Option<String>,
    /// The column whose values `[trace.features]` maps (default `Media`).
    pub feature: Option<String>,
}

/// `[pool]`.
#[derive(Debug, Clone, Deserialize, JsonSchema, Default)]
#[schemars(rename = "Pool")]
#[serde(deny_unknown_fields)]
pub struct RawPool {
    /// Number of Front Ends, or their FQDNs in pool order (`["fe01.contoso.com", …]`).
    pub servers: Option<RawServers>,
    /// `"dns"` or `"hardware"`.
    pub load_balancing: Option<String>,
    /// `"lync2013"`, `"sfb2019"` or `"none"`.
    pub quorum: Option<String>,
    /// Cap on concurrent sessions per server.
    pub max_sessions_per_server: Option<i64>,
    /// Upgrade domains: a number (contiguous blocks of servers) or explicit lists of servers
    /// (numbers or names).
    /// Read by hand (`default` only tells the schema that it is optional, as any `Option`).
    #[serde(default)]
    #[schemars(schema_with = "upgrade_domains_schema")]
    pub upgrade_domains: Option<toml::Value>,
    /// Number of routing groups (3 replicas each, on distinct servers).
    pub routing_groups: Option<i64>,
    /// How long a restarted server's replicas take to rebuild (readiness says Busy meanwhile).
    pub replica_rebuild: Option<String>,
    /// Fraction of `max_sessions_per_server` above which a server counts as busy (default 0.8).
    pub utilisation_threshold: Option<f64>,
    /// `rolling_restart`: poll readiness again this long after a Busy answer (default `"10m"`).
    pub readiness_retry: Option<String>,
    /// `rolling_restart`: wait this long after Ready before the next upgrade domain (default
    /// `"20m"`).
    pub ready_wait: Option<String>,
    /// `rolling_restart`: Busy answers in a row that fail the procedure (default 3).
    pub max_busy: Option<i64>,
    /// `[pool.dns]`.
    #[serde(default)]
    pub dns: RawDns,
    /// `[pool.hardware]`.
    #[serde(default)]
    pub hardware: RawHardware,
}

/// `[pool.dns]`.
#[derive(Debug, Clone, Deserialize, JsonSchema, Default)]
#[schemars(rename = "Dns")]
#[serde(deny_unknown_fields)]
pub struct RawDns {
    /// Delay after a refusal.
    pub retry_delay: Option<String>,
    /// Delay after no answer.
    pub connect_timeout: Option<String>,
    /// How long clients cache the pool's A records: `dns_remove` / `dns_add` reach every client
    /// within it (default `"1h"`).
    pub ttl: Option<String>,
    /// Fraction of clients that try the next address after a refusal (default 1.0).
    pub failover_clients: Option<f64>,
}

/// `[pool.hardware]`.
#[derive(Debug, Clone, Deserialize, JsonSchema, Default)]
#[schemars(rename = "Hardware")]
#[serde(deny_unknown_fields)]
pub struct RawHardware {
    /// `round_robin`, `least_connections` or `random`.
    pub algorithm: Option<String>,
    /// `port` or `service`.
    pub health_monitor: Option<String>,
    /// Monitor detection delay.
    pub detect_delay: Option<String>,
    /// Probability a DNS-dependent session stays on a paused server.
    pub not_redirected: Option<f64>,
    /// `"none"` (default) or `"source_address"`.
    pub persistence: Option<String>,
    /// Persistence record lifetime after the client's last connection (default `"180s"`).
    pub persistence_timeout: Option<String>,
    /// Distinct client source addresses (a NAT'd site is one); needed for persistence.
    pub clients: Option<i64>,
}

/// `[workload]`.
#[derive(Debug, Clone, Deserialize, JsonSchema, Default)]
#[schemars(rename = "Workload")]
#[serde(deny_unknown_fields)]
pub struct RawWorkload {
    /// `"lync2013"`: Microsoft's Lync Server 2013 user model (needs `users`).
    pub preset: Option<String>,
    /// Users homed on the pool.
    pub users: Option<i64>,
    /// Time-of-day profile of every feature that does not set its own.
    #[serde(default)]
    #[schemars(schema_with = "profile_schema")]
    pub profile: Option<toml::Value>,
    /// Multiplies every feature's arrival rate (default 1).
    pub load_factor: Option<f64>,
}

/// `[[feature]]`.
#[derive(Debug, Clone, Deserialize, JsonSchema, Default)]
#[schemars(rename = "Feature")]
#[serde(deny_unknown_fields)]
pub struct RawFeature {
    /// Catalogue name or a new one.
    pub name: String,
    /// Hosting Windows service (catalogue default, required for new features).
    pub service: Option<String>,
    /// Needs DNS LB to drain.
    pub needs_dns_lb: Option<bool>,
    /// `dropped` or `recovers`.
    pub on_server_loss: Option<String>,
    /// Pool-wide Poisson rate per hour (at a profile multiplier of 1).
    pub arrivals_per_hour: Option<f64>,
    /// Time-of-day profile: 24 hourly multipliers, a built-in name (`"lync2013_workday"`,
    /// `"flat"`), `{ name = "lync2013_workday", night = 0.15 }` or `{ file = "profile.csv" }`.
    #[serde(default)]
    #[schemars(schema_with = "profile_schema")]
    pub profile: Option<toml::Value>,
    /// Multiplies the arrival rate (default 1; the workload's factor applies too).
    pub load_factor: Option<f64>,
    /// Holding time.
    pub duration: Option<RawDist>,
    /// Cap per server.
    pub max_per_server: Option<i64>,
    /// Whether a paused/stopped RTCSRV pauses/stops it too (default true).
    pub needs_front_end: Option<bool>,
    /// `false` leaves out a feature that the workload preset would add.
    pub enabled: Option<bool>,
    /// `"sip"` (default) or `"https"`: HTTPS goes through the hardware load balancer even
    /// under DNS load balancing.
    pub transport: Option<String>,
    /// Users per session (R21): a number, `"lync2013_conference"`,
    /// `{ distribution = "discrete", values = [4, 6, 11], weights = [0.85, 0.10, 0.05] }` or
    /// `{ distribution = "uniform", min = 2, max = 8 }`. Default: the Lync Server 2013 user
    /// model's conference sizes for conferences, 1 otherwise.
    #[serde(default)]
    #[schemars(schema_with = "participants_schema")]
    pub participants: Option<toml::Value>,
}

/// A holding-time distribution as written.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[schemars(rename = "Distribution")]
#[serde(tag = "distribution", rename_all = "snake_case", deny_unknown_fields)]
pub enum RawDist {
    /// `{ distribution = "exponential", mean = "3m" }`
    Exponential {
        /// Mean.
        mean: String,
    },
    /// `{ distribution = "lognormal", median = "2m", sigma = 0.9 }` or `{ mean = "2m", cv = 1.2 }`.
    Lognormal {
        /// Median.
        median: Option<String>,
        /// Sigma of ln S.
        sigma: Option<f64>,
        /// Mean.
        mean: Option<String>,
        /// Coefficient of variation.
        cv: Option<f64>,
    },
    /// `{ distribution = "deterministic", value = "90s" }`
    Deterministic {
        /// The value.
        value: String,
    },
    /// `{ distribution = "uniform", min = "1m", max = "5m" }`
    Uniform {
        /// Lower bound.
        min: String,
        /// Upper bound.
        max: String,
    },
    /// `{ distribution = "gamma", mean = "10m", shape = 0.5 }`
    Gamma {
        /// Mean.
        mean: String,
        /// Shape.
        shape: f64,
    },
    /// `{ distribution = "weibull", scale = "10m", shape = 0.7 }`
    Weibull {
        /// Scale.
        scale: String,
        /// Shape.
        shape: f64,
    },
    /// `{ distribution = "empirical", file = "durations.csv" }`: one duration per line, in
    /// seconds, or a duration string; a header line is allowed.
    Empirical {
        /// CSV path, relative to the scenario file.
        file: String,
    },
}

/// `[[step]]`.
#[derive(Debug, Clone, Deserialize, JsonSchema, Default)]
#[schemars(rename = "Step")]
#[serde(deny_unknown_fields)]
pub struct RawStep {
    /// Earliest start.
    pub at: Option<String>,
    /// What to do. A string here, checked in stage two so that an unknown name is one more
    /// collected problem with its position; the schema lists the names.
    #[schemars(schema_with = "action_schema")]
    pub action: String,
    /// One server (1-based number, or its name when `[pool] servers` lists names).
    pub server: Option<RawServer>,
    /// Several servers (1-based numbers or names).
    pub servers: Option<Vec<RawServer>>,
    /// Windows services (default all).
    pub services: Option<Vec<String>>,
    /// For `wait`.
    pub duration: Option<String>,
    /// For `restart`.
    pub downtime: Option<String>,
    /// For `set_startup`: `automatic`, `manual` or `disabled`.
    pub startup: Option<String>,
    /// For `wait_until_drained` and `rolling_restart` (longest wait for a drain).
    pub timeout: Option<String>,
    /// For `failover`: longest wait for the drain (default 1 h, as the cmdlet).
    pub wait_time: Option<String>,
}

/// `[pool] servers`: a count, or the Front Ends' names.
#[derive(Debug, Clone, PartialEq)]
pub enum RawServers {
    /// `servers = 6`.
    Count(i64),
    /// `servers = ["fe01.contoso.com", …]`.
    Names(Vec<String>),
}

impl<'de> Deserialize<'de> for RawServers {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawServers;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(
                    "a number of Front Ends, or a list of their FQDNs such as \
                     [\"fe01.contoso.com\", \"fe02.contoso.com\"]",
                )
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<RawServers, E> {
                Ok(RawServers::Count(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<RawServers, E> {
                Ok(RawServers::Count(i64::try_from(v).unwrap_or(i64::MAX)))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<RawServers, A::Error> {
                let mut names = Vec::new();
                while let Some(n) = seq.next_element::<String>()? {
                    names.push(n);
                }
                Ok(RawServers::Names(names))
            }
        }
        d.deserialize_any(V)
    }
}

impl JsonSchema for RawServers {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Servers".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "oneOf": [
                { "type": "integer", "minimum": 1 },
                { "type": "array", "items": { "type": "string" }, "minItems": 1 }
            ]
        })
    }
}

/// One server as a step, `[plan]` or an upgrade domain names it: its 1-based number, or its
/// name when `[pool] servers` lists names.
#[derive(Debug, Clone, PartialEq)]
pub enum RawServer {
    /// `server = 3`.
    Number(i64),
    /// `server = "fe03.contoso.com"`.
    Name(String),
}

impl<'de> Deserialize<'de> for RawServer {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = RawServer;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a server number (from 1) or a server's name")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<RawServer, E> {
                Ok(RawServer::Number(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<RawServer, E> {
                Ok(RawServer::Number(i64::try_from(v).unwrap_or(i64::MAX)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<RawServer, E> {
                Ok(RawServer::Name(v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

impl JsonSchema for RawServer {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Server".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "oneOf": [
                { "type": "integer", "minimum": 1 },
                { "type": "string", "minLength": 1 }
            ]
        })
    }
}

/// `action`: one of the names of [`ActionKind::ALL`].
fn action_schema(_: &mut SchemaGenerator) -> Schema {
    let names: Vec<&str> = ActionKind::ALL.iter().map(|k| k.name()).collect();
    json_schema!({ "type": "string", "enum": names })
}

/// `upgrade_domains`, read by hand as a TOML value: a count, or lists of servers (1-based
/// numbers or names).
fn upgrade_domains_schema(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "oneOf": [
            { "type": "integer", "minimum": 1 },
            {
                "type": "array",
                "items": {
                    "type": "array",
                    "items": {
                        "oneOf": [
                            { "type": "integer", "minimum": 1 },
                            { "type": "string", "minLength": 1 }
                        ]
                    },
                    "minItems": 1
                }
            }
        ]
    })
}

/// `profile`, read by hand as a TOML value: 24 numbers, a built-in name, or a table.
fn participants_schema(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "description": "Users per session (R21): a whole number, \"lync2013_conference\", a discrete distribution or a uniform one.",
        "oneOf": [
            { "type": "integer", "minimum": 1, "maximum": 10000 },
            { "type": "string", "enum": ["lync2013_conference"] },
            {
                "type": "object",
                "properties": {
                    "distribution": { "const": "discrete" },
                    "values": {
                        "type": "array",
                        "items": { "type": "integer", "minimum": 1, "maximum": 10000 },
                        "minItems": 1
                    },
                    "weights": {
                        "type": "array",
                        "items": { "type": "number", "exclusiveMinimum": 0 },
                        "minItems": 1
                    }
                },
                "required": ["distribution", "values", "weights"],
                "additionalProperties": false
            },
            {
                "type": "object",
                "properties": {
                    "distribution": { "const": "uniform" },
                    "min": { "type": "integer", "minimum": 1, "maximum": 10000 },
                    "max": { "type": "integer", "minimum": 1, "maximum": 10000 }
                },
                "required": ["distribution", "min", "max"],
                "additionalProperties": false
            }
        ]
    })
}

fn profile_schema(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "oneOf": [
            {
                "type": "array",
                "items": { "type": "number", "minimum": 0 },
                "minItems": 24,
                "maxItems": 24
            },
            { "type": "string", "enum": ["flat", "lync2013_workday"] },
            {
                "type": "object",
                "properties": {
                    "name": { "type": "string", "enum": ["flat", "lync2013_workday"] },
                    "night": { "type": "number", "minimum": 0 },
                    "file": { "type": "string" }
                },
                "additionalProperties": false
            }
        ]
    })
}
