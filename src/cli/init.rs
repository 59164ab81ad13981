//! `drainsim init FILE`: a commented starter scenario from a few flags — the Front Ends by
//! name, upgrade domains, load balancing, users and the change window — that passes `check`,
//! runs, and plans the night. It never replaces a file: the scenario is written to a
//! temporary file created exclusively beside it and linked into place only if nothing is
//! there.

use std::io::Write;
use std::path::Path;

use super::{CliError, InitArgs, Outcome};
use crate::scenario;

/// Writes the starter scenario and says what to do next.
pub fn init(args: &InitArgs) -> Result<Outcome, CliError> {
    let text = starter(args)?;
    // What init writes must pass check: a bug here would hand the administrator a broken
    // file.
    scenario::parse(&text, &args.out.display().to_string(), &scenario::NoFiles).map_err(|e| {
        CliError::Runbook(format!(
            "internal error: the starter scenario is invalid:\n{e}"
        ))
    })?;
    write_new(&args.out, text.as_bytes())?;
    println!(
        "wrote {p}\nnext: drainsim check {p}; drainsim plan {p}; then drainsim runbook on the \
         plan's recommended.toml",
        p = args.out.display()
    );
    Ok(Outcome::Success)
}

fn bad(msg: String) -> CliError {
    CliError::Runbook(msg)
}

/// `HH:MM` in minutes after midnight.
fn hhmm(s: &str) -> Option<u32> {
    let (h, m) = s.trim().split_once(':')?;
    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    (h < 24 && m < 60 && s.trim().len() == 5).then_some(h * 60 + m)
}

fn clock(min: u32) -> String {
    let m = min % 1440;
    format!("{:02}:{:02}", m / 60, m % 60)
}

/// Minutes as a duration string: `"10h"`, `"2h30m"`, `"45m"`.
fn span(min: u32) -> String {
    match (min / 60, min % 60) {
        (0, m) => format!("{m}m"),
        (h, 0) => format!("{h}h"),
        (h, m) => format!("{h}h{m}m"),
    }
}

fn quoted(v: &[String]) -> String {
    let q: Vec<String> = v.iter().map(|s| format!("\"{s}\"")).collect();
    q.join(", ")
}

/// The scenario text.
fn starter(a: &InitArgs) -> Result<String, CliError> {
    let servers: Vec<String> = a.servers.iter().map(|s| s.trim().to_string()).collect();
    if servers.is_empty() || servers.iter().any(String::is_empty) {
        return Err(bad(
            "--servers: give the Front Ends' FQDNs in pool order, e.g. --servers \
             fe01.contoso.com,fe02.contoso.com,fe03.contoso.com"
                .into(),
        ));
    }
    let lb = match a.load_balancing.to_ascii_lowercase().as_str() {
        "dns" => "dns",
        "hardware" | "f5" | "hlb" | "nlb" | "load balancer" | "bigip" | "big-ip" => "hardware",
        other => {
            return Err(bad(format!(
                "--load-balancing: unknown value \"{other}\"; expected \"dns\" or \"hardware\" \
                 (an F5 or any load balancer in front of the pool)"
            )));
        }
    };
    let (ws, we) = a
        .window
        .split_once('-')
        .and_then(|(s, e)| Some((hhmm(s)?, hhmm(e)?)))
        .ok_or_else(|| {
            bad(format!(
                "--window: expected HH:MM-HH:MM, got \"{}\"",
                a.window
            ))
        })?;
    let window_min = (we + 1440 - ws) % 1440;
    if window_min == 0 {
        return Err(bad("--window: the window must not be empty".into()));
    }
    let n = servers.len();
    let domains = match a.domains {
        None => None,
        Some(d) if d >= 1 && (d as usize) <= n => Some(d as usize),
        Some(d) => {
            return Err(bad(format!(
                "--domains: must be between 1 and the {n} servers, got {d}"
            )));
        }
    };
    if a.users == 0 {
        return Err(bad("--users: must be at least 1".into()));
    }
    let mut o = String::new();
    let w = |o: &mut String, s: &str| {
        o.push_str(s);
        o.push('\n');
    };
    w(
        &mut o,
        &format!(
            "# Starter scenario written by drainsim init: {n} Front End{} under {lb} load balancing,\n\
         # {} users, change window {}–{}. Edit what does not match your pool, then:\n\
         #   drainsim check {f}      # every problem as file:line:col\n\
         #   drainsim plan {f}       # which runbook for tonight (reports/<name>/recommended.toml)\n\
         #   drainsim runbook reports/<name>/recommended.toml --format ps1 --out patch-night.ps1\n\
         # `drainsim run` simulates the pool without maintenance (the quiet night to compare with).\n",
            if n == 1 { "" } else { "s" },
            a.users,
            clock(ws),
            clock(we),
            f = a.out.display()
        ),
    );
    // Six hours before the window let long conferences fill the pool before the first pause.
    let start = (ws + 1440 - 360) % 1440;
    let horizon_min = 360 + window_min + 60;
    w(
        &mut o,
        &format!(
            "name = \"Patch night: {n} Front Ends, {}–{}\"",
            clock(ws),
            clock(we)
        ),
    );
    w(&mut o, "seed = 1");
    w(
        &mut o,
        "replications = 20          # per candidate runbook in `plan`; per run in `run`",
    );
    w(&mut o, "max_replications = 400");
    w(
        &mut o,
        &format!(
            "horizon = \"{}\"          # from clock_start to an hour after the window",
            span(horizon_min)
        ),
    );
    w(
        &mut o,
        &format!(
            "clock_start = \"{}\"      # six hours before the window: the pool fills first",
            clock(start)
        ),
    );
    w(
        &mut o,
        "sample_interval = \"0s\"     # no time series (\"1m\" for the occupancy chart)\n",
    );
    w(
        &mut o,
        "# Microsoft's Lync Server 2013 user model; the night at 10 % of the busy hour.",
    );
    w(&mut o, "[workload]\npreset = \"lync2013\"");
    w(&mut o, &format!("users = {}", a.users));
    w(
        &mut o,
        "profile = { name = \"lync2013_workday\", night = 0.1 }\n",
    );
    w(&mut o, "[pool]");
    w(&mut o, &format!("servers = [{}]", quoted(&servers)));
    w(
        &mut o,
        &format!("load_balancing = \"{lb}\"       # \"dns\" | \"hardware\" (F5 or other)"),
    );
    if let Some(d) = domains {
        let size = n.div_ceil(d);
        let lists: Vec<String> = servers
            .chunks(size)
            .map(|c| format!("[{}]", quoted(c)))
            .collect();
        w(&mut o, &format!("upgrade_domains = [{}]", lists.join(", ")));
    } else {
        w(
            &mut o,
            "# upgrade_domains = [[\"fe01…\", \"fe02…\"], …]   # default: one per server",
        );
    }
    w(
        &mut o,
        "# routing_groups = 60          # 3 replicas each: planning then checks their quorum",
    );
    if lb == "hardware" {
        w(
            &mut o,
            "\n[pool.hardware]\nalgorithm = \"least_connections\"   # round_robin | least_connections | random\nhealth_monitor = \"port\"            # port | service",
        );
    }
    w(
        &mut o,
        "\n# The choices `drainsim plan` compares; each combination is a candidate runbook.",
    );
    w(&mut o, "[plan]");
    w(
        &mut o,
        &format!("servers = [{}]   # patched in this order", quoted(&servers)),
    );
    let parallel: Vec<String> = (1..=n.min(2)).map(|k| k.to_string()).collect();
    w(
        &mut o,
        &format!(
            "parallel = [{}]             # servers patched at once",
            parallel.join(", ")
        ),
    );
    w(
        &mut o,
        "wait = [\"10m\", \"30m\", \"drained\"]  # between the pause and the restart",
    );
    w(
        &mut o,
        "drain_limit = \"30m\"           # longest wait of \"drained\"",
    );
    w(&mut o, &format!("start = [\"{}\"]", clock(ws)));
    if lb == "hardware" {
        w(
            &mut o,
            "lb_disable = [false, true]    # also disable the member on the load balancer first",
        );
    }
    w(
        &mut o,
        "downtime = \"15m\"              # how long a restart keeps a server down",
    );
    w(
        &mut o,
        &format!(
            "window = \"{}-{}\"      # the change window: every server back by its end",
            clock(ws),
            clock(we)
        ),
    );
    w(
        &mut o,
        "max_blocked_fraction = 0.01   # at most 1 % of new sessions refused",
    );
    Ok(o)
}

/// Writes `bytes` at `path` only if nothing is there: a temporary file created exclusively in
/// the same folder, hard-linked to `path` (which fails if anything exists there, a link
/// included), then removed.
fn write_new(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    if std::fs::symlink_metadata(path).is_ok() {
        return Err(bad(format!(
            "{}: exists; drainsim init never replaces a file (choose another name)",
            path.display()
        )));
    }
    let (tmp, mut f) = super::runbook::exclusive_temp(path)?;
    let result = f
        .write_all(bytes)
        .and_then(|()| f.sync_all())
        .and_then(|()| std::fs::hard_link(&tmp, path))
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                bad(format!(
                    "{}: exists; drainsim init never replaces a file (choose another name)",
                    path.display()
                ))
            } else {
                bad(format!("cannot write {}: {e}", path.display()))
            }
        });
    let _ = std::fs::remove_file(&tmp);
    result
}
