//! The context validation runs in, shared by every section of a scenario (`validate/`) and by
//! the sweep axes (`sweep`), which sit above it and never import each other: where problems
//! go ([`Ctx`], [`Diagnostic`]), what files may be read ([`FileSource`]), what a scenario may
//! ask for ([`Limits`]), and the parsers of values that several sections accept (durations,
//! load balancing, quorum, hardware policies, probabilities).

use std::fmt;

use super::span::{FieldPath, line_col, span_of};
use crate::engine::{SimTime, parse_duration};
use crate::model::{HealthMonitor, HlbAlgorithm, LoadBalancing, Persistence, QuorumRule};

/// One problem in a scenario file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// File name as given (or `<default>` for the embedded scenario).
    pub file: String,
    /// 1-based line and column, when the problem has a position.
    pub position: Option<(usize, usize)>,
    /// Field path (empty for syntax errors).
    pub path: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        match self.position {
            Some((l, 0)) => write!(f, ":{l}")?,
            Some((l, c)) => write!(f, ":{l}:{c}")?,
            None => {}
        }
        if self.path.is_empty() {
            write!(f, ": {}", self.message)
        } else {
            write!(f, ": {}: {}", self.path, self.message)
        }
    }
}

impl Diagnostic {
    /// The diagnostic shown as a warning: `file:line:col: warning: field.path: message`.
    pub fn as_warning(&self) -> impl fmt::Display + '_ {
        AsWarning(self)
    }
}

/// [`Diagnostic::as_warning`].
struct AsWarning<'a>(&'a Diagnostic);

impl fmt::Display for AsWarning<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.0;
        write!(f, "{}", d.file)?;
        match d.position {
            Some((l, 0)) => write!(f, ":{l}")?,
            Some((l, c)) => write!(f, ":{l}:{c}")?,
            None => {}
        }
        f.write_str(": warning")?;
        if !d.path.is_empty() {
            write!(f, ": {}", d.path)?;
        }
        write!(f, ": {}", d.message)
    }
}

/// Every problem found in one scenario file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScenarioError {
    /// The problems, in file order as far as known.
    pub diagnostics: Vec<Diagnostic>,
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.diagnostics.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ScenarioError {}

/// Reads files a scenario refers to (empirical distributions), relative to the scenario. The
/// library never opens files itself: the CLI passes one that reads from disk, tests pass maps.
pub trait FileSource {
    /// The text of `path` (as written in the scenario), or a message saying why not.
    fn read(&self, path: &str) -> Result<String, String>;

    /// A way to read `path` as a stream, from its beginning each time (a call-detail trace is
    /// read this way when checked, never held in memory whole). By default the text is read
    /// once and kept.
    fn opener(&self, path: &str) -> Result<Opener, String> {
        let bytes: std::sync::Arc<[u8]> = self.read(path)?.into_bytes().into();
        Ok(std::sync::Arc::new(move || {
            Ok(Box::new(std::io::Cursor::new(bytes.clone())) as Box<dyn std::io::Read + Send>)
        }))
    }

    /// `path` as messages name it (relative to the working directory for files on disk).
    fn display(&self, path: &str) -> String {
        path.to_string()
    }
}

/// Opens a file for reading, each call from its beginning.
pub type Opener =
    std::sync::Arc<dyn Fn() -> Result<Box<dyn std::io::Read + Send>, String> + Send + Sync>;

/// A [`FileSource`] that has no files.
pub struct NoFiles;

impl FileSource for NoFiles {
    fn read(&self, path: &str) -> Result<String, String> {
        Err(format!("cannot read {path:?}: no files are available here"))
    }
}

/// Limits on what one scenario may ask for: exceeding one is an error, never a hang. A sweep
/// axis is held to the same limits as the field it varies.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Most replications per run.
    pub max_replications: u32,
    /// Most runs a sweep may expand to.
    pub max_runs: usize,
    /// Most replications in all runs together.
    pub max_total_replications: u64,
    /// Longest horizon.
    pub max_horizon: SimTime,
    /// Most servers in a pool.
    pub max_servers: u32,
    /// Most sessions the workload may keep active at once (λ·E\[S\] summed over features), so
    /// that an absurd rate is refused before it exhausts memory.
    pub max_active_sessions: f64,
    /// Most servers, routing-group replicas, plan steps and features summed over every run of
    /// a sweep: each run holds its own copy of the configuration, so that a large sweep of
    /// large pools is refused before it exhausts memory.
    pub max_expanded_size: u64,
    /// Most occupancy values (samples × servers × features, summed over runs) the time series
    /// of `timeseries.csv` may hold, so that a tiny `sample_interval` is refused up front.
    pub max_timeseries_values: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_replications: 100_000,
            max_runs: 10_000,
            max_total_replications: 2_000_000,
            max_horizon: SimTime::from_secs(366 * 86_400),
            max_servers: 1000,
            max_active_sessions: 20_000_000.0,
            max_expanded_size: 5_000_000,
            max_timeseries_values: 10_000_000,
        }
    }
}

impl Limits {
    /// `n` as a pool size, if it is one these limits allow (1 to `max_servers`). The plain
    /// `pool.servers` and both sweep axes that set it ask here, each with its own message.
    pub(super) fn pool_size(&self, n: i64) -> Option<u32> {
        (1..=i64::from(self.max_servers))
            .contains(&n)
            .then_some(n as u32)
    }
}

/// Collects diagnostics with positions.
pub(super) struct Ctx<'a> {
    /// File name as given, for messages.
    pub file: &'a str,
    /// The file's text, to turn spans into lines and columns.
    pub text: &'a str,
    /// The parsed document, to find the span of a field path (`None`: no positions).
    pub doc: Option<toml::Spanned<toml::de::DeTable<'a>>>,
    /// The problems found so far, in the order found.
    pub diags: Vec<Diagnostic>,
    /// What is allowed but probably not meant (the scenario stays valid), in the order found.
    pub warnings: Vec<Diagnostic>,
}

impl Ctx<'_> {
    /// Records a problem at `path`.
    pub fn err(&mut self, path: &FieldPath, msg: impl Into<String>) {
        let d = self.diagnostic(path, msg.into());
        self.diags.push(d);
    }

    /// Records a warning at `path`: allowed, but probably not what the author meant.
    pub fn warn(&mut self, path: &FieldPath, msg: impl Into<String>) {
        let d = self.diagnostic(path, msg.into());
        self.warnings.push(d);
    }

    fn diagnostic(&self, path: &FieldPath, message: String) -> Diagnostic {
        Diagnostic {
            file: self.file.to_string(),
            position: self.position(path),
            path: path.to_string(),
            message,
        }
    }

    /// `file:line:col` of `path`, or `file: path` when it has no position.
    pub fn location(&self, path: &FieldPath) -> String {
        match self.position(path) {
            Some((l, c)) => format!("{}:{l}:{c}", self.file),
            None => format!("{}: {path}", self.file),
        }
    }

    fn position(&self, path: &FieldPath) -> Option<(usize, usize)> {
        self.doc
            .as_ref()
            .and_then(|d| span_of(d, path))
            .map(|s| line_col(self.text, s.start))
    }

    /// The value of `r`, or `None` with its error recorded at `path`.
    pub fn pick<T>(&mut self, path: FieldPath, r: Result<T, String>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(e) => {
                self.err(&path, e);
                None
            }
        }
    }

    /// A duration field: `default` when absent (required when there is none).
    pub fn duration(
        &mut self,
        path: &FieldPath,
        v: &Option<String>,
        default: Option<SimTime>,
    ) -> Option<SimTime> {
        match v {
            None => {
                if default.is_none() {
                    self.err(path, "is required");
                }
                default
            }
            Some(s) => self.pick(path.clone(), parse_duration_hinted(s)),
        }
    }

    /// As [`Ctx::duration`], refusing zero.
    pub fn positive_duration(
        &mut self,
        path: &FieldPath,
        v: &Option<String>,
        default: Option<SimTime>,
    ) -> Option<SimTime> {
        let d = self.duration(path, v, default)?;
        if d == SimTime::ZERO {
            self.err(path, "must be longer than zero");
            return None;
        }
        Some(d)
    }
}

/// Words longer than this get no suggestion.
const MAX_SUGGESTED_LEN: usize = 100;

/// The candidate `word` was most likely meant to be, if one is close: the same word in
/// another case, else the nearest within an edit distance of about a third of its length (at
/// least 1, counting a swap of two neighbouring letters as one edit). Ties go to the first.
pub(super) fn suggest<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    let word = word.trim();
    let len = word.chars().count();
    // Typos are short; a long value would cost |word| × |candidate| per candidate.
    if len > MAX_SUGGESTED_LEN {
        return None;
    }
    let lower = word.to_lowercase();
    let max = (len / 3).max(1);
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        // A length difference beyond `max` is already more edits than allowed.
        if c == word || c.chars().count().abs_diff(len) > max {
            continue;
        }
        let d = if c.to_lowercase() == lower {
            0
        } else {
            edit_distance(&lower, &c.to_lowercase())
        };
        if d <= max && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c.to_string())
}

/// `; did you mean "x"?` when [`suggest`] has an answer, else nothing: the tail of a message
/// that names an unknown `word`.
pub(super) fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> String {
    suggest(word, candidates)
        .map(|s| format!("; did you mean \"{s}\"?"))
        .unwrap_or_default()
}

/// Edits (insert, delete, replace, or swap two neighbours) that turn `a` into `b`: the
/// optimal-string-alignment distance, on characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    // Rows i-2, i-1 and i of the table, each of length |b| + 1.
    let mut prev2: Vec<usize> = Vec::new();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for i in 1..=a.len() {
        let mut row = vec![i; b.len() + 1];
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            row[j] = (prev[j] + 1).min(row[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                row[j] = row[j].min(prev2[j - 2] + 1);
            }
        }
        prev2 = std::mem::replace(&mut prev, row);
    }
    prev[b.len()]
}

/// The value named `value` in `options`, or a message listing the names (and the one most
/// likely meant).
pub(super) fn one_of<T: Copy>(value: &str, options: &[(&str, T)]) -> Result<T, String> {
    one_of_or_word(value, options, &[])
}

/// As [`one_of`], and when `value` is none of the names but one of the administrator's own
/// `words` for one of them, the message says which name it is and why.
pub(super) fn one_of_or_word<T: Copy>(
    value: &str,
    options: &[(&str, T)],
    words: &[OwnWords],
) -> Result<T, String> {
    options
        .iter()
        .find(|(n, _)| *n == value)
        .map(|(_, v)| *v)
        .ok_or_else(|| {
            let names: Vec<String> = options.iter().map(|(n, _)| format!("\"{n}\"")).collect();
            let hint = match own_word(value, words) {
                Some(w) => format!("; did you mean \"{}\"? ({})", w.meant, w.why),
                None => did_you_mean(value, options.iter().map(|(n, _)| *n)),
            };
            format!(
                "unknown value \"{value}\"; expected one of {}{hint}",
                names.join(", "),
            )
        })
}

/// Words an administrator uses for one of drainsim's names: the product, the console or the
/// cmdlet rather than the model's vocabulary.
pub(super) struct OwnWords {
    /// The words, compared after dropping case and everything but letters and digits
    /// (`"Suspend-Service"` matches `"suspendservice"`).
    pub words: &'static [&'static str],
    /// The name drainsim knows.
    pub meant: &'static str,
    /// Why that name is the one, shown after the suggestion.
    pub why: &'static str,
}

/// `value` reduced to lower-case letters and digits, as [`OwnWords::words`] are written.
fn folded(value: &str) -> String {
    value
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// The entry of `words` that `value` is one of, if any.
pub(super) fn own_word<'a>(value: &str, words: &'a [OwnWords]) -> Option<&'a OwnWords> {
    let v = folded(value);
    if v.is_empty() {
        return None;
    }
    words.iter().find(|w| w.words.contains(&v.as_str()))
}

/// What administrators call the two kinds of load balancing.
const LB_WORDS: &[OwnWords] = &[
    OwnWords {
        words: &[
            "f5",
            "bigip",
            "f5bigip",
            "ltm",
            "hlb",
            "nlb",
            "loadbalancer",
            "hardwareloadbalancer",
            "hardwareloadbalancing",
            "hw",
            "kemp",
            "netscaler",
            "citrixnetscaler",
            "adc",
            "vip",
            "hardwarelb",
        ],
        meant: "hardware",
        why: "any load balancer in front of the pool (F5 BIG-IP, KEMP, NetScaler, or Windows \
              NLB, which Lync does not support for SIP) is \"hardware\": it spreads \
              connections to the pool's virtual IP",
    },
    OwnWords {
        words: &[
            "dnslb",
            "dnsloadbalancing",
            "dnsroundrobin",
            "roundrobindns",
            "rrdns",
        ],
        meant: "dns",
        why: "DNS load balancing: the pool FQDN resolves to every Front End's address",
    },
];

/// `load_balancing`.
pub(super) fn parse_lb(v: &str) -> Result<LoadBalancing, String> {
    one_of_or_word(
        v,
        &[
            ("dns", LoadBalancing::Dns),
            ("hardware", LoadBalancing::Hardware),
        ],
        LB_WORDS,
    )
}

/// [`parse_duration`], and when the text is a duration written another way (`"45 min"`,
/// `"45 minutes"`, `"1 hour 30 minutes"`, the clock form `"00:45:00"`) the message says how
/// drainsim writes it. The clock form is not accepted as a duration: `at` and `start` read
/// `"HH:MM"` as a time of day, and one string meaning either would be a trap.
pub(crate) fn parse_duration_hinted(text: &str) -> Result<SimTime, String> {
    parse_duration(text).map_err(|e| match duration_hint(text) {
        Some(h) => format!("{e}; did you mean \"{h}\"?"),
        None => e,
    })
}

/// `text` as drainsim writes the duration it most likely means, if it reads as one: numbers
/// with unit words (`"45 minutes"`, `"1 hr, 30 min"`) or a clock form (`"1:30:00"`, `"45:00"`
/// is minutes and seconds).
fn duration_hint(text: &str) -> Option<String> {
    let t = text.trim().to_ascii_lowercase();
    let secs = if t.contains(':') {
        clock_secs(&t)?
    } else {
        worded_secs(&t)?
    };
    (secs > 0.0 && secs.is_finite()).then(|| SimTime::from_secs_f64(secs).to_string())
}

/// `"H:MM:SS"` or `"MM:SS"` in seconds.
fn clock_secs(t: &str) -> Option<f64> {
    let parts: Vec<f64> = t
        .split(':')
        .map(|p| p.trim().parse::<f64>().ok().filter(|x| *x >= 0.0))
        .collect::<Option<_>>()?;
    match parts[..] {
        [m, s] if s < 60.0 => Some(m * 60.0 + s),
        [h, m, s] if m < 60.0 && s < 60.0 => Some(h * 3600.0 + m * 60.0 + s),
        _ => None,
    }
}

/// Numbers each followed by a unit word (`"45 min"`, `"1 hour 30 minutes"`, `"90 secs"`).
fn worded_secs(t: &str) -> Option<f64> {
    let mut total = 0.0;
    let mut number: Option<f64> = None;
    let mut any = false;
    let tokens = t
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|w| !w.is_empty() && *w != "and")
        .flat_map(split_number_word);
    for tok in tokens {
        match (tok.parse::<f64>(), number) {
            (Ok(x), None) => number = Some(x),
            (Ok(_), Some(_)) => return None,
            (Err(_), Some(x)) => {
                total += x * unit_word_secs(tok)?;
                number = None;
                any = true;
            }
            (Err(_), None) => return None,
        }
    }
    (any && number.is_none()).then_some(total)
}

/// `"45min"` → `["45", "min"]`; a word or a number alone is itself.
fn split_number_word(w: &str) -> Vec<&str> {
    match w.find(|c: char| c.is_ascii_alphabetic()) {
        Some(i) if i > 0 => vec![&w[..i], &w[i..]],
        _ => vec![w],
    }
}

/// Seconds in one unit named by `w`, in any of the usual spellings.
fn unit_word_secs(w: &str) -> Option<f64> {
    Some(match w.trim_end_matches('.') {
        "d" | "day" | "days" => 86_400.0,
        "h" | "hr" | "hrs" | "hour" | "hours" => 3_600.0,
        "m" | "min" | "mins" | "minute" | "minutes" => 60.0,
        "s" | "sec" | "secs" | "second" | "seconds" => 1.0,
        "ms" | "msec" | "millisecond" | "milliseconds" => 0.001,
        _ => return None,
    })
}

/// `quorum`.
pub(super) fn parse_quorum(v: &str) -> Result<QuorumRule, String> {
    one_of(
        v,
        &[
            ("lync2013", QuorumRule::Lync2013),
            ("sfb2019", QuorumRule::Sfb2019),
            ("none", QuorumRule::None),
        ],
    )
}

/// `hardware.algorithm`.
pub(super) fn parse_algorithm(v: &str) -> Result<HlbAlgorithm, String> {
    one_of(
        v,
        &[
            ("round_robin", HlbAlgorithm::RoundRobin),
            ("least_connections", HlbAlgorithm::LeastConnections),
            ("random", HlbAlgorithm::Random),
        ],
    )
}

/// `hardware.health_monitor`.
pub(super) fn parse_monitor(v: &str) -> Result<HealthMonitor, String> {
    one_of(
        v,
        &[
            ("port", HealthMonitor::Port),
            ("service", HealthMonitor::Service),
        ],
    )
}

/// A probability (`hardware.not_redirected`).
pub(super) fn parse_probability(v: f64) -> Result<f64, String> {
    if v.is_finite() && (0.0..=1.0).contains(&v) {
        Ok(v)
    } else {
        Err(format!("must be a probability between 0 and 1, got {v}"))
    }
}

/// `hardware.persistence`.
pub(super) fn parse_persistence(v: &str) -> Result<Persistence, String> {
    one_of(
        v,
        &[
            ("none", Persistence::None),
            ("source_address", Persistence::SourceAddress),
        ],
    )
}

/// Most distinct clients (`hardware.clients`): one persistence record each.
pub const MAX_CLIENTS: i64 = 10_000_000;

/// `hardware.clients`: 1 to [`MAX_CLIENTS`].
pub(super) fn parse_clients(n: i64) -> Result<u32, String> {
    if (1..=MAX_CLIENTS).contains(&n) {
        Ok(n as u32)
    } else {
        Err(format!(
            "must be a number of client source addresses from 1 to {MAX_CLIENTS}, got {n}"
        ))
    }
}

/// `dns.failover_clients`: a fraction of clients.
pub(super) fn parse_fraction(v: f64) -> Result<f64, String> {
    if v.is_finite() && (0.0..=1.0).contains(&v) {
        Ok(v)
    } else {
        Err(format!(
            "must be a fraction of clients between 0 and 1 (0.9: 90 % of clients try the next \
             address), got {v}"
        ))
    }
}

/// `n` as a session cap (`max_sessions_per_server`), if it is at least 1 and fits.
pub(super) fn session_cap(n: i64) -> Result<u32, String> {
    u32::try_from(n)
        .ok()
        .filter(|&c| c >= 1)
        .ok_or_else(|| format!("must be at least 1, got {n}"))
}

/// The quorum a pool of `servers` gets when the file does not name one: the Lync 2013 table
/// where it applies (2–12 Front Ends), none otherwise.
pub(super) fn default_quorum(servers: u32) -> QuorumRule {
    if QuorumRule::Lync2013.requirement(servers).is_some() {
        QuorumRule::Lync2013
    } else {
        QuorumRule::None
    }
}

/// Refuses a quorum rule that has no table for a pool of `servers`.
pub(super) fn check_quorum_size(rule: QuorumRule, servers: u32) -> Result<(), String> {
    if rule.requirement(servers).is_some() {
        return Ok(());
    }
    let range = match rule {
        QuorumRule::Sfb2019 => "2–16",
        _ => "2–12",
    };
    let head = format!(
        "quorum \"{}\" covers pools of {range} Front Ends, not {servers}",
        rule.name()
    );
    if rule != QuorumRule::Sfb2019 && QuorumRule::Sfb2019.requirement(servers).is_some() {
        return Err(format!(
            "{head}; Skype for Business Server 2019 allows up to 16 Front Ends in a pool: use \
             quorum = \"sfb2019\" for its quorum table, or quorum = \"none\""
        ));
    }
    Err(format!("{head}; use quorum = \"none\" for other sizes"))
}

#[cfg(test)]
mod tests {
    use super::{duration_hint, edit_distance, suggest};

    #[test]
    fn durations_written_otherwise_get_their_drainsim_spelling() {
        let cases = [
            ("45 min", Some("45m")),
            ("45 minutes", Some("45m")),
            ("45min ", Some("45m")),
            ("00:45:00", Some("45m")),
            ("1:30:00", Some("1h30m")),
            ("45:00", Some("45m")),
            ("1 hour 30 minutes", Some("1h30m")),
            ("1 hr, 30 mins", Some("1h30m")),
            ("90 secs", Some("1m30s")),
            ("2 days", Some("48h")),
            ("45", None),
            ("minutes", None),
            ("45 parsecs", None),
            ("00:75:00", None),
            ("0 min", None),
        ];
        for (text, want) in cases {
            assert_eq!(duration_hint(text).as_deref(), want, "{text:?}");
        }
    }

    #[test]
    fn edit_distance_counts_inserts_deletes_replacements_and_swaps() {
        assert_eq!(edit_distance("", ""), 0);
        assert_eq!(edit_distance("abc", ""), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("response_grup", "response_group"), 1);
        assert_eq!(edit_distance("hardwre", "hardware"), 1);
        assert_eq!(edit_distance("pasue", "pause"), 1);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("ü", "u"), 1);
    }

    #[test]
    fn suggest_finds_a_likely_typo_and_nothing_far() {
        let lb = ["dns", "hardware"];
        assert_eq!(suggest("DNS", lb).as_deref(), Some("dns"));
        assert_eq!(suggest("hardwar", lb).as_deref(), Some("hardware"));
        assert_eq!(suggest("f5", lb), None);
        assert_eq!(suggest("round", ["round_robin", "random"]), None);
        // Case-insensitive equality wins over a closer spelling.
        assert_eq!(
            suggest("rtcrgs", ["RTCRG", "RTCRGS"]).as_deref(),
            Some("RTCRGS")
        );
        // An exact candidate is never suggested for itself.
        assert_eq!(suggest("dns", lb), None);
        // Ties go to the first candidate.
        assert_eq!(suggest("ab", ["aa", "bb"]).as_deref(), Some("aa"));
        assert_eq!(suggest("x", Vec::<&str>::new()), None);
        let long = "a".repeat(200);
        assert_eq!(suggest(&long, [&long[1..]]), None);
    }
}
