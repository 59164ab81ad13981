//! Front Ends by name (R22): a pool written with its servers' FQDNs simulates exactly what the
//! same pool written as a count simulates; only the labels differ.

use std::path::Path;

use crate::common::{TempDir, drainsim, stderr};

const NAMES: [&str; 4] = [
    "fe01.contoso.com",
    "fe02.contoso.com",
    "fe03.contoso.com",
    "fe04.contoso.com",
];

/// A pool of four with upgrade domains, a pause/restart by server and a failover, written
/// with `servers` as `pool` and each server as `s(n)` (1-based).
fn scenario(pool: &str, s: impl Fn(usize) -> String) -> String {
    format!(
        r#"name = "Four Front Ends"
seed = 7
replications = 6
horizon = "3h"
sample_interval = "5m"

[pool]
servers = {pool}
load_balancing = "dns"
upgrade_domains = [[{a}, {b}], [{c}, {d}]]
routing_groups = 8

[[feature]]
name = "im"
arrivals_per_hour = 600
duration = {{ distribution = "exponential", mean = "3m" }}

[[feature]]
name = "av_conference"
arrivals_per_hour = 60
duration = {{ distribution = "lognormal", median = "20m", sigma = 0.8 }}

[[step]]
at = "30m"
action = "pause"
servers = [{b}]

[[step]]
action = "wait_until_drained"
server = {b}
timeout = "20m"

[[step]]
action = "restart"
server = {b}
downtime = "5m"

[[step]]
action = "failover"
servers = [{c}]
wait_time = "30m"

[[step]]
action = "failback"
servers = [{c}]
"#,
        a = s(1),
        b = s(2),
        c = s(3),
        d = s(4),
    )
}

/// Every text file of a report folder but the scenario's copy, by name.
fn texts(dir: &Path) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = std::fs::read_dir(dir)
        .expect("report folder")
        .map(|e| e.expect("entry").path())
        .filter(|p| {
            let ext = p.extension().and_then(|e| e.to_str()).unwrap_or("");
            ["csv", "md", "svg", "json", "html", "xml"].contains(&ext)
        })
        .filter(|p| p.file_name().is_some_and(|n| n != "scenario.toml"))
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&p).expect("text file"))
        })
        .collect();
    out.sort();
    out
}

#[test]
fn a_named_pool_reproduces_the_numbered_pools_reports_but_for_the_labels() {
    let dir = TempDir::new("names");
    let quoted: Vec<String> = NAMES.iter().map(|n| format!("\"{n}\"")).collect();
    let numbered = scenario("4", |n| n.to_string());
    let named = scenario(&format!("[{}]", quoted.join(", ")), |n| {
        format!("\"{}\"", NAMES[n - 1])
    });
    // The same file name in two folders: the reports quote the command that reproduces them.
    for (sub, text) in [("num", &numbered), ("name", &named)] {
        let d = dir.path().join(sub);
        std::fs::create_dir(&d).unwrap();
        std::fs::write(d.join("pool.toml"), text).unwrap();
        let o = drainsim(&d, &["run", "pool.toml", "--out", "r", "--quiet"]);
        assert!(o.status.success(), "{sub}: {}", stderr(&o));
    }
    let num = texts(&dir.path().join("num/r"));
    let name = texts(&dir.path().join("name/r"));
    assert_eq!(
        num.iter().map(|(n, _)| n).collect::<Vec<_>>(),
        name.iter().map(|(n, _)| n).collect::<Vec<_>>()
    );
    assert!(num.iter().any(|(n, _)| n == "summary.csv"));
    let mut labelled = 0;
    for ((file, a), (_, b)) in num.iter().zip(&name) {
        // A CSV column holds the number where the pool is numbered, text the "FE n" label.
        let mut back = b.clone();
        for (i, n) in NAMES.iter().enumerate() {
            let label = if file.ends_with(".csv") {
                (i + 1).to_string()
            } else {
                format!("FE {}", i + 1)
            };
            if back.contains(n) {
                labelled += 1;
            }
            back = back.replace(n, &label);
        }
        assert!(
            *a == back,
            "{file} differs beyond the labels between the numbered and the named pool"
        );
    }
    // The names do reach the reports (the paused server, the restarts, the domains).
    assert!(labelled >= 3, "the names appear in only {labelled} places");
    let summary = |d: &str| std::fs::read(dir.path().join(d).join("r/summary.csv")).unwrap();
    assert_eq!(summary("num"), summary("name"), "summary.csv byte for byte");
}

#[test]
fn servers_are_found_by_their_host_name_and_in_any_case() {
    let text = scenario(
        r#"["fe01.contoso.com", "fe02.contoso.com", "fe03.contoso.com", "fe04.contoso.com"]"#,
        |n| match n {
            1 => "\"FE01.CONTOSO.COM\"".into(),
            2 => "\"fe02\"".into(),
            n => n.to_string(),
        },
    );
    let s = crate::common::scenario(&text);
    assert_eq!(s.base.topology.upgrade_domains[0], vec![0, 1]);
    assert_eq!(s.base.plan[0].action.servers(), &[1]);
    assert_eq!(s.base.pool.label(1), "fe02.contoso.com");
}
