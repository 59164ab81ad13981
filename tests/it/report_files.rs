//! The report folder a person reads first (docs/formats.md): every file is rendered, the charts are
//! real pictures with the right words on them, the verdict quotes the summary's numbers, and
//! the same seed gives the same bytes.

use drainsim::model::LoadBalancing;
use drainsim::report::{self, ReportData, fixed};
use drainsim::runner::{RunOptions, RunResult, run_all};
use drainsim::scenario;
use drainsim::summary::{self, Comparison, SummaryRow};

use crate::common;

/// A small pool: FE 1 paused at 30 min, restarted 10 min later; two features that drain under
/// any load balancing and two that need DNS load balancing. `sweep` is the `[sweep]` table body.
fn scenario_text(sweep: &str) -> String {
    format!(
        r#"
name = "Report test: pause FE 1, wait, restart"
seed = 7
replications = 4
horizon = "1h"

[pool]
servers = 4
load_balancing = "dns"
quorum = "none"

[[feature]]
name = "im"
arrivals_per_hour = 1500
duration = {{ distribution = "exponential", mean = "3m" }}

[[feature]]
name = "av_conference"
arrivals_per_hour = 40
duration = {{ distribution = "lognormal", median = "8m", sigma = 0.6 }}

[[feature]]
name = "response_group"
arrivals_per_hour = 300
duration = {{ distribution = "lognormal", median = "2m", sigma = 0.6 }}

[[feature]]
name = "call_park"
arrivals_per_hour = 200
duration = {{ distribution = "uniform", min = "10s", max = "90s" }}

[[step]]
at = "30m"
action = "pause"
server = 1

[[step]]
action = "wait"
duration = "10m"

[[step]]
action = "restart"
server = 1
downtime = "2m"

{sweep}
"#
    )
}

/// What a report is made of, owned.
struct Rendered {
    results: Vec<RunResult>,
    rows: Vec<SummaryRow>,
    comparisons: Vec<Comparison>,
    files: Vec<(String, Vec<u8>)>,
}

impl Rendered {
    fn file(&self, name: &str) -> &[u8] {
        match self.files.iter().find(|(n, _)| n == name) {
            Some((_, b)) => b,
            None => panic!("{name} missing; rendered: {:?}", self.names()),
        }
    }

    fn text(&self, name: &str) -> String {
        String::from_utf8(self.file(name).to_vec()).expect("UTF-8")
    }

    fn names(&self) -> Vec<&str> {
        self.files.iter().map(|(n, _)| n.as_str()).collect()
    }

    fn cut(&self, run: usize, feature: &str) -> drainsim::stats::Estimate {
        *self
            .rows
            .iter()
            .find(|r| r.run == run && r.feature == feature)
            .and_then(|r| r.measure("cut"))
            .expect("summary row")
    }
}

fn render(text: &str, jobs: usize) -> Rendered {
    let s = common::scenario(text);
    let runs = scenario::expand(&s).expect("expands");
    let opts = RunOptions {
        jobs: Some(jobs),
        ..RunOptions::default()
    };
    let results = run_all(&s, runs, &opts).expect("runs");
    let rows = summary::summarize(&results);
    let comparisons = summary::compare(&results);
    let files = {
        let d = ReportData {
            scenario: &s,
            source: text,
            results: &results,
            rows: &rows,
            comparisons: &comparisons,
            command: format!(
                "drainsim run test.toml --seed {} --replications {}",
                s.seed, s.replications
            ),
            detail: true,
        };
        report::render(&d)
    };
    // A name the folder rule does not know would make drainsim refuse to replace its own
    // report folder.
    for (name, _) in &files {
        assert!(
            report::folder::is_report_file(name),
            "{name} is missing from report::folder's list of report files"
        );
    }
    Rendered {
        results,
        rows,
        comparisons,
        files,
    }
}

/// Decodes a PNG and checks it is a picture: the expected size at least, and many colours
/// (text is anti-aliased, features have their own colours) rather than a blank canvas.
fn check_png(name: &str, bytes: &[u8]) {
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    let mut reader = decoder
        .read_info()
        .unwrap_or_else(|e| panic!("{name}: not a PNG: {e}"));
    let mut buf = vec![0; reader.output_buffer_size().expect("size")];
    let info = reader
        .next_frame(&mut buf)
        .unwrap_or_else(|e| panic!("{name}: cannot decode: {e}"));
    assert!(
        info.width >= 1200 && info.height >= 700,
        "{name}: {}×{}",
        info.width,
        info.height
    );
    assert_eq!(info.color_type, png::ColorType::Rgb, "{name}");
    let pixels = &buf[..info.buffer_size()];
    let mut colours: Vec<[u8; 3]> = pixels.chunks_exact(3).map(|p| [p[0], p[1], p[2]]).collect();
    let white = colours.iter().filter(|p| **p == [255, 255, 255]).count();
    colours.sort_unstable();
    colours.dedup();
    assert!(
        colours.len() >= 50,
        "{name}: only {} distinct colours",
        colours.len()
    );
    let inked = 1.0 - white as f64 / (pixels.len() / 3) as f64;
    assert!(
        inked > 0.02,
        "{name}: only {:.1} % of pixels are not white",
        inked * 100.0
    );
}

/// Every chart of `names` exists as SVG and decodable PNG, and its SVG contains `words`.
fn check_chart(r: &Rendered, name: &str, words: &[&str]) {
    check_png(name, r.file(&format!("{name}.png")));
    let svg = r.text(&format!("{name}.svg"));
    assert!(svg.starts_with("<svg"), "{name}.svg is not an SVG");
    for w in words {
        assert!(svg.contains(w), "{name}.svg lacks {w:?}");
    }
}

const FEATURES: [&str; 4] = ["im", "av_conference", "response_group", "call_park"];

#[test]
fn lb_sweep_report_has_every_file_and_legible_charts() {
    let r = render(
        &scenario_text("[sweep]\nload_balancing = [\"dns\", \"hardware\"]"),
        2,
    );
    for f in [
        "summary.csv",
        "replications.csv",
        "restarts.csv",
        "drains.csv",
        "timeseries.csv",
        "compare.csv",
        "scenario.toml",
        "report.md",
    ] {
        assert!(!r.file(f).is_empty(), "{f} is empty");
    }
    // No wait or feature_sets axis: those charts do not apply.
    for absent in ["cut_vs_wait.svg", "cut_by_feature_set.svg"] {
        assert!(!r.names().contains(&absent), "{absent} should not be drawn");
    }
    let mut cut_words = vec![
        "sessions cut per night",
        "feature",
        "DNS load balancing",
        "hardware load balancing",
    ];
    cut_words.extend(FEATURES);
    check_chart(&r, "cut_by_feature", &cut_words);
    let mut occ_words = vec![
        "simulated time (h:mm)",
        "sessions on FE 1",
        "pause 0:30",
        "restart 0:40",
    ];
    occ_words.extend(FEATURES);
    check_chart(&r, "occupancy", &occ_words);
    check_chart(
        &r,
        "drain_time_cdf",
        &[
            "minutes after the pause",
            "pauses drained",
            "DNS load balancing",
        ],
    );

    let md = r.text("report.md");
    for chart in ["cut_by_feature", "occupancy", "drain_time_cdf"] {
        assert!(
            md.contains(&format!("]({chart}.svg)")),
            "report.md does not embed {chart}.svg"
        );
        assert!(
            md.contains(&format!("]({chart}.png)")),
            "report.md does not link {chart}.png"
        );
    }
    assert!(
        md.contains("drainsim run test.toml --seed 7 --replications 4"),
        "reproducing command missing"
    );
    assert!(
        md.contains("## The scenario in brief") && md.contains("1. at 30m: pause FE 1"),
        "{md}"
    );
    assert!(
        md.contains("restarting FE 1 10 min after pausing it"),
        "{md}"
    );
}

/// The number after `marker` in `s` (digits and one dot), and the rest of `s` after it.
fn number_after<'a>(s: &'a str, marker: &str) -> (String, &'a str) {
    let i = s
        .find(marker)
        .unwrap_or_else(|| panic!("{marker:?} not in {s:?}"))
        + marker.len();
    let rest = &s[i..];
    let end = rest
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(rest.len());
    (rest[..end].to_string(), &rest[end..])
}

#[test]
fn verdict_quotes_the_summary_numbers() {
    let r = render(
        &scenario_text("[sweep]\nload_balancing = [\"dns\", \"hardware\"]"),
        2,
    );
    let md = r.text("report.md");
    let verdict = md
        .lines()
        .find(|l| l.starts_with("- With **hardware** load balancing"))
        .unwrap_or_else(|| panic!("no hardware verdict in:\n{md}"));
    let run_of = |lb: LoadBalancing| {
        r.results
            .iter()
            .find(|x| x.run.config.pool.load_balancing == lb)
            .expect("run")
            .run
            .index
    };
    let (hw, dns) = (
        r.cut(run_of(LoadBalancing::Hardware), "all"),
        r.cut(run_of(LoadBalancing::Dns), "all"),
    );
    assert!(
        hw.low.is_finite() && dns.low.is_finite(),
        "4 replications give intervals"
    );

    let (mean, rest) = number_after(verdict, "cuts **");
    let (low, rest) = number_after(rest, "(95 % CI ");
    let (high, rest) = number_after(rest, "–");
    assert_eq!(
        (mean, low, high),
        (fixed(hw.mean, 2), fixed(hw.low, 2), fixed(hw.high, 2)),
        "{verdict}"
    );

    let (mean, rest) = number_after(rest, "with **DNS** load balancing **");
    let (low, rest) = number_after(rest, "(95 % CI ");
    let (high, rest) = number_after(rest, "–");
    assert_eq!(
        (mean, low, high),
        (fixed(dns.mean, 2), fixed(dns.low, 2), fixed(dns.high, 2)),
        "{verdict}"
    );

    // The paired difference, when it is significant, is the comparison's.
    let c = r
        .comparisons
        .iter()
        .find(|c| c.feature == "all")
        .expect("comparison");
    if c.diff.low > 0.0 {
        let (diff, rest) = number_after(rest, "hardware load balancing cuts ");
        let (low, rest) = number_after(rest, "(95 % CI ");
        let (high, _) = number_after(rest, "–");
        assert_eq!(
            (diff, low, high),
            (
                fixed(c.diff.mean, 2),
                fixed(c.diff.low, 2),
                fixed(c.diff.high, 2)
            )
        );
    }
    // The same numbers in the table, with the same rounding.
    for e in [hw, dns] {
        assert!(
            md.contains(&format!(" | {} | ", report::mean_ci(&e))),
            "table lacks {}",
            report::mean_ci(&e)
        );
    }
}

#[test]
fn same_seed_same_bytes_whatever_the_threads() {
    let text = scenario_text("[sweep]\nload_balancing = [\"dns\", \"hardware\"]");
    let a = render(&text, 1);
    let b = render(&text, 2);
    assert_eq!(a.names(), b.names());
    for ((name, x), (_, y)) in a.files.iter().zip(&b.files) {
        assert!(x == y, "{name} differs between two runs of the same seed");
    }
}

#[test]
fn wait_sweep_draws_cut_vs_wait() {
    let r = render(
        &scenario_text(
            "[sweep]\nload_balancing = [\"dns\", \"hardware\"]\nwait = [\"2m\", \"10m\", \"20m\"]",
        ),
        2,
    );
    check_chart(
        &r,
        "cut_vs_wait",
        &[
            "wait between pause and restart (min)",
            "sessions cut per night",
            "DNS load balancing",
            "hardware load balancing",
        ],
    );
    // Three contexts (waits) of a DNS/hardware pair: small multiples, every feature named.
    let mut words = vec!["wait_s = 120", "wait_s = 600", "wait_s = 1200"];
    words.extend(FEATURES);
    check_chart(&r, "cut_by_feature", &words);
    check_chart(&r, "occupancy", &["sessions on FE 1"]);
    let md = r.text("report.md");
    assert!(md.contains("](cut_vs_wait.svg)"));
    assert!(!r.names().contains(&"cut_by_feature_set.svg"));
    // One verdict per wait, each with its own time since the pause.
    for w in ["2 min", "10 min", "20 min"] {
        assert!(
            md.contains(&format!("restarting FE 1 {w} after pausing it")),
            "no verdict for {w}:\n{md}"
        );
    }
}

#[test]
fn feature_set_sweep_draws_cut_by_feature_set() {
    let r = render(
        &scenario_text(
            "[sweep]\nload_balancing = [\"dns\", \"hardware\"]\nfeature_sets = [[\"im\", \"av_conference\"], [\"im\", \"response_group\", \"call_park\"], [\"im\", \"av_conference\", \"response_group\", \"call_park\"]]",
        ),
        2,
    );
    check_chart(
        &r,
        "cut_by_feature_set",
        &[
            "feature set",
            "sessions cut per night (all features)",
            "im+av_conference",
            "DNS load balancing",
            "hardware load balancing",
        ],
    );
    check_chart(&r, "cut_by_feature", &FEATURES);
    let md = r.text("report.md");
    assert!(md.contains("](cut_by_feature_set.svg)"));
    // The set without a DNS-dependent feature cuts the same under both load balancings: the
    // verdict says so rather than naming a feature that is not there.
    assert!(md.contains("(feature_set = im+av_conference)"), "{md}");
}

#[test]
fn a_run_without_sweep_gets_a_verdict_and_one_bar_per_feature() {
    let r = render(&scenario_text(""), 1);
    assert_eq!(r.results.len(), 1);
    let e = r.cut(0, "all");
    let md = r.text("report.md");
    let line = format!(
        "- With **DNS** load balancing, restarting FE 1 10 min after pausing it cuts **{}** sessions per night (95 % CI {}–{})",
        fixed(e.mean, 2),
        fixed(e.low, 2),
        fixed(e.high, 2)
    );
    assert!(md.contains(&line), "expected {line:?} in:\n{md}");
    let mut words = vec!["sessions cut per night", "DNS load balancing"];
    words.extend(FEATURES);
    check_chart(&r, "cut_by_feature", &words);
    assert!(!r.names().contains(&"compare.csv"));
}

/// A small pool with two features, `pool` after `[pool]`'s fixed keys and `steps` as the plan.
fn plain_scenario(horizon: &str, pool: &str, steps: &str) -> String {
    format!(
        r#"
name = "Report test: warnings"
seed = 11
replications = 4
horizon = "{horizon}"

[pool]
servers = 4
quorum = "none"
{pool}

[[feature]]
name = "im"
arrivals_per_hour = 1500
duration = {{ distribution = "exponential", mean = "3m" }}

[[feature]]
name = "response_group"
arrivals_per_hour = 300
duration = {{ distribution = "lognormal", median = "2m", sigma = 0.6 }}

{steps}
"#
    )
}

/// The text of the verdict section, from its heading to the next.
fn verdict_section(md: &str) -> &str {
    let start = md.find("## Verdict\n\n").expect("a verdict") + "## Verdict\n\n".len();
    let end = md[start..].find("\n## ").map_or(md.len(), |i| start + i);
    &md[start..end]
}

/// The `all` row of `run`.
fn all_row(r: &Rendered, run: usize) -> &SummaryRow {
    r.rows
        .iter()
        .find(|x| x.run == run && x.feature == "all")
        .expect("all row")
}

const TABLE: &str = "## Sessions that did not get through";

#[test]
fn a_plan_that_cannot_finish_leads_the_verdict_with_a_warning() {
    // The restart keeps FE 1 down for 30 min from 0:40: past the 1 h horizon.
    let r = render(
        &plain_scenario(
            "1h",
            "load_balancing = \"dns\"",
            "[[step]]\nat = \"30m\"\naction = \"pause\"\nserver = 1\n\n[[step]]\naction = \"wait\"\nduration = \"10m\"\n\n[[step]]\naction = \"restart\"\nserver = 1\ndowntime = \"30m\"",
        ),
        2,
    );
    let row = all_row(&r, 0);
    assert_eq!(row.column("plan_finished_fraction"), Some(0.0));
    let md = r.text("report.md");
    let v = verdict_section(&md);
    assert!(
        v.starts_with("> **Warning"),
        "the verdict must start with the warning:\n{v}"
    );
    let warning = v
        .lines()
        .find(|l| l.contains("did not finish within the horizon"))
        .unwrap_or_else(|| panic!("no horizon warning:\n{v}"));
    assert!(
        warning.contains("100 % of nights in run 0 (load_balancing = dns)")
            && warning.contains("Raise `horizon` (now 1 h)"),
        "{warning}"
    );
    // The warning comes before the sentence that quotes the cut.
    let w = v.find("did not finish").expect("warning");
    let s = v.find("- With **DNS**").expect("verdict sentence");
    assert!(w < s, "{v}");
    assert!(!v.contains("plan failed"), "{v}");
}

#[test]
fn sessions_sent_to_a_dead_member_are_warned_about_and_tabled() {
    // No pause: the hardware load balancer sends to FE 1 for 3 min after it went down.
    let r = render(
        &plain_scenario(
            "1h",
            "load_balancing = \"hardware\"\n\n[pool.hardware]\ndetect_delay = \"3m\"",
            "[[step]]\nat = \"20m\"\naction = \"restart\"\nserver = 1\ndowntime = \"10m\"",
        ),
        2,
    );
    let failed = *all_row(&r, 0).measure("failed").expect("failed");
    assert!(failed.mean > 0.0, "the scenario should fail sessions");
    let md = r.text("report.md");
    let v = verdict_section(&md);
    assert!(v.starts_with("> **Warning"), "{v}");
    let warning = v
        .lines()
        .find(|l| l.contains("Sessions failed"))
        .unwrap_or_else(|| panic!("no failed warning:\n{v}"));
    assert!(
        warning.contains(&format!(
            "{} per night in run 0 (load_balancing = hardware)",
            fixed(failed.mean, 2)
        )) && warning.contains("(`detect_delay`, now 3 min)")
            && warning.contains("take the member out on the load balancer"),
        "{warning}"
    );
    assert!(md.contains(TABLE), "{md}");
    assert!(
        md.contains(&format!(" | {} |", report::mean_ci(&failed))),
        "the table lacks the failed sessions {}:\n{md}",
        report::mean_ci(&failed)
    );
}

#[test]
fn nothing_lost_no_warning_and_no_table() {
    // A pause under hardware load balancing: nothing goes down, nobody retries.
    let r = render(
        &plain_scenario(
            "1h",
            "load_balancing = \"hardware\"",
            "[[step]]\nat = \"20m\"\naction = \"pause\"\nserver = 1",
        ),
        1,
    );
    let row = all_row(&r, 0);
    assert_eq!(row.measure("failed").map(|e| e.mean), Some(0.0));
    assert_eq!(row.measure("blocked").map(|e| e.mean), Some(0.0));
    let md = r.text("report.md");
    assert!(!md.contains("> **Warning"), "{md}");
    assert!(!md.contains(TABLE), "{md}");
}

#[test]
fn the_default_scenario_shows_the_table_when_it_should() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scenarios/default.toml"
    ))
    .expect("default.toml")
    .replace("replications = 200", "replications = 6");
    let r = render(&text, 2);
    let md = r.text("report.md");
    let all: Vec<&SummaryRow> = r.rows.iter().filter(|x| x.feature == "all").collect();
    let mean = |x: &SummaryRow, m: &str| x.measure(m).map_or(0.0, |e| e.mean);
    let lost = all
        .iter()
        .any(|x| mean(x, "failed") > 0.0 || mean(x, "blocked") > 0.0);
    let dns_delay = r.results.iter().any(|res| {
        res.run.config.pool.load_balancing == LoadBalancing::Dns
            && mean(all_row(&r, res.run.index), "setup_delay_s") > 0.0
    });
    assert_eq!(md.contains(TABLE), lost || dns_delay, "{md}");
    assert_eq!(md.contains("> **Warning"), lost, "{md}");
    if md.contains(TABLE) {
        for x in &all {
            let line = format!(
                "| {} | {} | {} | {} | {} | {} s |",
                x.run,
                x.label("load_balancing").expect("axis"),
                fixed(mean(x, "arrivals"), 2),
                report::mean_ci(x.measure("blocked").expect("blocked")),
                report::mean_ci(x.measure("failed").expect("failed")),
                fixed(mean(x, "setup_delay_s"), 2)
            );
            assert!(md.contains(&line), "expected {line:?} in:\n{md}");
        }
    }
}

/// Two features on the `lync2013_workday` profile; the plan's first step an hour after the
/// clock starts, moved by a `start` sweep to 02:00 and to 12:00.
const WHEN_TO_PATCH: &str = r#"
name = "Report test: when to patch"
seed = 5
replications = 4
horizon = "3h"
clock_start = "20:00"

[pool]
servers = 4
quorum = "none"

[[feature]]
name = "im"
arrivals_per_hour = 1500
duration = { distribution = "exponential", mean = "3m" }
profile = "lync2013_workday"

[[feature]]
name = "av_conference"
arrivals_per_hour = 60
duration = { distribution = "lognormal", median = "20m", sigma = 0.6 }
profile = "lync2013_workday"

[[step]]
at = "21:00"
action = "pause"
server = 1

[[step]]
action = "wait_until_drained"
server = 1
timeout = "30m"

[[step]]
action = "restart"
server = 1
downtime = "2m"

[sweep]
start = ["02:00", "12:00"]
"#;

/// "02:00–02:41": the mean window of `run` on its clock, as the report should write it,
/// computed here from the raw plan records.
fn expected_window(r: &Rendered, run: usize) -> String {
    use drainsim::model::profile::format_clock;
    let res = &r.results[run];
    let clock = res.run.config.clock_start_s;
    let mean = |v: Vec<f64>| v.iter().sum::<f64>() / v.len() as f64;
    let reps = &res.replications;
    let start = mean(
        reps.iter()
            .map(|o| o.metrics.plan_started.expect("started").as_secs_f64())
            .collect(),
    );
    let end = mean(
        reps.iter()
            .map(|o| o.metrics.plan_ended.expect("finished").as_secs_f64())
            .collect(),
    );
    let hhmm = |s: f64| format_clock(((clock + s) / 60.0).round() * 60.0);
    format!("{}–{}", hhmm(start), hhmm(end))
}

#[test]
fn a_start_sweep_draws_the_days_load_and_speaks_wall_clock_time() {
    let r = render(WHEN_TO_PATCH, 2);
    check_chart(
        &r,
        "day_load",
        &[
            "time of day",
            "sessions in progress (pool)",
            "im",
            "av_conference",
            "maintenance window (mean)",
            &expected_window(&r, 0),
            &expected_window(&r, 1),
        ],
    );
    let md = r.text("report.md");
    assert!(md.contains("](day_load.svg)"), "{md}");
    assert!(
        md.contains(
            "- Clock: each run's clock is set so that the plan's first step falls at its `start` \
             time (02:00 or 12:00); every feature's traffic follows lync2013_workday (night \
             level 10 %)."
        ),
        "{md}"
    );
    assert!(md.contains("1. at 1h (02:00 or 12:00): pause FE 1"), "{md}");
    let verdict = verdict_section(&md);
    for run in 0..2 {
        let w = expected_window(&r, run);
        assert!(
            verdict.contains(&format!("Maintenance {w} on average.")),
            "{w}: {verdict}"
        );
        assert!(md.contains(&format!("| {w} |")), "capacity table lacks {w}");
    }
    assert!(expected_window(&r, 0).starts_with("02:00"));
    assert!(expected_window(&r, 1).starts_with("12:00"));
    assert!(verdict.contains("- **When to patch**"), "{verdict}");
    // The axis column is in every per-run CSV, as the sweep labels it.
    let summary = r.text("summary.csv");
    assert!(
        summary.starts_with("run,load_balancing,start,feature,"),
        "{summary}"
    );
    assert!(summary.contains("\n0,dns,02:00,im,") && summary.contains("\n1,dns,12:00,im,"));
    for f in ["replications.csv", "drains.csv", "timeseries.csv"] {
        assert!(r.text(f).starts_with("run,load_balancing,start,"), "{f}");
    }
}

#[test]
fn a_clock_start_alone_puts_steps_on_the_clock_and_windows_wrap_midnight() {
    let text = plain_scenario(
        "2h",
        "",
        "[[step]]\nat = \"20m\"\naction = \"pause\"\nserver = 1\n\n[[step]]\naction = \"wait\"\n\
         duration = \"10m\"\n\n[[step]]\naction = \"restart\"\nserver = 1\ndowntime = \"2m\"\n",
    )
    .replace(
        "horizon = \"2h\"",
        "horizon = \"2h\"\nclock_start = \"23:30\"",
    );
    let r = render(&text, 1);
    let md = r.text("report.md");
    assert!(
        md.contains(
            "- Clock: simulated time 0 is 23:30; every feature's traffic follows the same rate \
             all day."
        ),
        "{md}"
    );
    assert!(md.contains("1. at 20m (23:50): pause FE 1"), "{md}");
    // Pause at 23:50, restart 10 min later, up 2 min after: the window crosses midnight.
    assert!(
        verdict_section(&md).contains("Maintenance 23:50–00:02 on average."),
        "{md}"
    );
    check_chart(&r, "day_load", &["23:50–00:02", "im", "response_group"]);
}

#[test]
fn without_time_of_day_the_report_says_nothing_of_the_clock() {
    let r = render(&scenario_text(""), 1);
    assert!(
        !r.names().iter().any(|n| n.starts_with("day_load")),
        "{:?}",
        r.names()
    );
    let md = r.text("report.md");
    for absent in ["Clock:", "day_load", "window (clock)", "When to patch"] {
        assert!(!md.contains(absent), "{absent}: {md}");
    }
    assert!(!verdict_section(&md).contains("Maintenance"), "{md}");
    assert!(md.contains("1. at 30m: pause FE 1"), "{md}");
}

/// With a clock, the occupancy chart reads the wall clock on its axes and step labels, and it
/// has a panel for every paused server of every configuration.
#[test]
fn occupancy_shows_every_paused_server_on_the_wall_clock() {
    let text = crate::browser::FRESH.replace(
        "[[step]]\nat = \"15m\"\naction = \"pause\"\nserver = 1\n",
        "[[step]]\nat = \"15m\"\naction = \"pause\"\nserver = 1\n\n[[step]]\naction = \"pause\"\nserver = 2\n",
    );
    assert_ne!(text, crate::browser::FRESH);
    let dir = common::TempDir::new("occupancy-clock");
    let scenario = dir.write("night.toml", &text);
    let out = dir.path().join("report");
    let o = common::drainsim(
        dir.path(),
        &[
            "run",
            scenario.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "-q",
        ],
    );
    assert!(o.status.success(), "{}", common::stderr(&o));
    let svg = std::fs::read_to_string(out.join("occupancy.svg")).unwrap();
    for words in [
        "time of day (hh:mm)",
        "pause 02:00",
        "01:45",
        "FE 1: DNS load balancing",
        "FE 2: DNS load balancing",
        "FE 1: hardware load balancing",
        "FE 2: hardware load balancing",
        "Occupancy of the paused servers",
    ] {
        assert!(svg.contains(words), "occupancy.svg lacks {words:?}");
    }
    assert!(
        !svg.contains("simulated time"),
        "simulated time on a clocked chart"
    );
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(
        md.contains("### Occupancy of the paused servers over time"),
        "{md}"
    );
}

/// Under DNS load balancing, web (HTTPS) sessions still go through the hardware load balancer:
/// those sent to the down server are blamed on that path, with the advice to take the member
/// out on the load balancer, not to pause and drain.
#[test]
fn failures_through_the_web_path_get_the_load_balancer_advice() {
    let r = render(
        &plain_scenario(
            "1h",
            "load_balancing = \"dns\"\n\n[pool.hardware]\ndetect_delay = \"3m\"",
            "[[feature]]\nname = \"web_app\"\nservice = \"RTCSRV\"\ntransport = \"https\"\narrivals_per_hour = 1500\n\
             duration = { distribution = \"exponential\", mean = \"3m\" }\n\n\
             [[step]]\nat = \"20m\"\naction = \"restart\"\nserver = 1\ndowntime = \"10m\"",
        ),
        2,
    );
    let failed = *all_row(&r, 0).measure("failed").expect("failed");
    assert!(failed.mean > 0.0, "the scenario should fail sessions");
    let md = r.text("report.md");
    let v = verdict_section(&md);
    let warning = v
        .lines()
        .find(|l| l.contains("Sessions failed"))
        .unwrap_or_else(|| panic!("no failed warning:\n{v}"));
    assert!(
        warning.contains("came through the hardware load balancer that carries the web services")
            && warning.contains("web_app")
            && warning.contains("take the member out on the load balancer")
            && warning.contains("(`detect_delay`, now 3 min)")
            && !warning.contains("Pause servers and let them drain"),
        "{warning}"
    );
}

/// The cells of every table of `report.md`, in order, as plain text.
fn markdown_cells(md: &str) -> Vec<String> {
    md.lines()
        .filter(|l| l.starts_with('|') && !l.starts_with("|---"))
        .flat_map(|l| {
            l.trim()
                .trim_matches('|')
                .split('|')
                .map(|c| c.trim().replace(['*', '`'], ""))
                .collect::<Vec<_>>()
        })
        .collect()
}

/// The cells of every table of `report.html`, in order, as plain text.
fn html_cells(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find("<t") {
        rest = &rest[i + 2..];
        if !(rest.starts_with('d') || rest.starts_with('h')) || rest[1..].starts_with("ead") {
            continue;
        }
        let Some(open_end) = rest.find('>') else {
            break;
        };
        let close = if rest.starts_with('d') {
            "</td>"
        } else {
            "</th>"
        };
        let end = rest.find(close).expect("a closed cell");
        let inner = &rest[open_end + 1..end];
        let mut text = String::new();
        let mut in_tag = false;
        for c in inner.chars() {
            match c {
                '<' => in_tag = true,
                '>' => in_tag = false,
                c if !in_tag => text.push(c),
                _ => {}
            }
        }
        out.push(
            text.replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&quot;", "\"")
                .replace("&#39;", "'")
                .replace("&amp;", "&")
                .trim()
                .to_string(),
        );
        rest = &rest[end..];
    }
    out
}

/// report.html holds every table of report.md, cell for cell, and every chart inline.
#[test]
fn report_html_has_the_tables_and_charts_of_report_md() {
    let r = render(
        &scenario_text("[sweep]\nload_balancing = [\"dns\", \"hardware\"]"),
        2,
    );
    let md = r.text("report.md");
    let html = r.text("report.html");
    let cells = markdown_cells(&md);
    assert!(cells.len() > 50, "{cells:?}");
    assert_eq!(html_cells(&html), cells);
    for (name, _) in r.files.iter().filter(|(n, _)| n.ends_with(".svg")) {
        let chart = name.trim_end_matches(".svg");
        assert!(
            html.contains(&format!("data-chart=\"{chart}\"")),
            "{chart} is not inline"
        );
    }
    // Verdict first: the verdict section comes before the scenario in brief.
    let v = html.find("<section class=\"verdict\">").expect("a verdict");
    let b = html.find("The scenario in brief").expect("the brief");
    assert!(v < b);
}

#[test]
fn restarts_csv_counts_the_users_of_the_sessions_each_restart_cut() {
    // Conferences have several participants (R21): a restart's users cut exceed its sessions
    // cut, and summed over a night's restarts both are the night's restart cuts.
    let r = render(
        &scenario_text("[sweep]\nload_balancing = [\"dns\", \"hardware\"]"),
        2,
    );
    let mut csv = csv::Reader::from_reader(r.file("restarts.csv"));
    let header = csv.headers().unwrap().clone();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (run, rep, feature) = (col("run"), col("replication"), col("feature"));
    let (cut, users_cut) = (col("cut"), col("users_cut"));
    let (disrupted, users_disrupted) = (col("disrupted"), col("users_disrupted"));
    let mut sums = std::collections::BTreeMap::<(usize, u32, String), [u64; 4]>::new();
    for row in csv.records() {
        let row = row.unwrap();
        let n = |i: usize| row[i].parse::<u64>().unwrap();
        let key = (n(run) as usize, n(rep) as u32, row[feature].to_string());
        let s = sums.entry(key).or_default();
        for (k, i) in [cut, users_cut, disrupted, users_disrupted]
            .into_iter()
            .enumerate()
        {
            s[k] += n(i);
        }
    }
    let mut more_users = false;
    for res in &r.results {
        for o in res.replications.iter() {
            for (f, feat) in res.run.config.features.iter().enumerate() {
                let c = &o.metrics.features[f];
                let got = sums
                    .get(&(res.run.index, o.replication, feat.name.clone()))
                    .copied()
                    .unwrap_or_default();
                let want = [
                    c.cut_by[0],
                    c.users.cut_by[0],
                    c.disrupted,
                    c.users.disrupted,
                ];
                assert_eq!(
                    got, want,
                    "run {} replication {} {}",
                    res.run.index, o.replication, feat.name
                );
                more_users |= got[1] > got[0];
            }
        }
    }
    assert!(more_users, "no restart cut a conference of several users");
}
