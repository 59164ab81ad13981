//! Candidate runbooks: every combination of `[plan]`'s choices, each written as plain
//! `[[step]]` entries appended to the scenario's own text (its pool, workload and features,
//! with `[plan]` and `[[expect]]` taken out). The same text is what is simulated and what
//! `recommended.toml` holds, so the two cannot disagree.

use std::fmt::Write as _;

use crate::model::StartupType;
use crate::scenario::{PlanProcedure, PlanSpec, PlanWait};

/// One candidate runbook: a choice from each list of `[plan]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    /// 0-based position in `candidates.csv`.
    pub index: usize,
    /// Fixed batches, or Microsoft's `rolling_restart` (which ignores the batch choices).
    pub procedure: PlanProcedure,
    /// Servers patched at once.
    pub parallel: u32,
    /// Wait before each restart.
    pub wait: PlanWait,
    /// Earliest first pause, as written.
    pub start: String,
    /// Whether servers are disabled on the hardware load balancer first.
    pub lb_disable: bool,
    /// Startup type during the restart.
    pub startup: StartupType,
}

impl Candidate {
    /// "2 at a time, wait 30m, from 02:00" (and the HLB and startup choices when they vary).
    pub fn describe(&self, spec: &PlanSpec) -> String {
        if self.procedure == PlanProcedure::RollingRestart {
            return format!(
                "rolling restart by upgrade domain (readiness-polled; each domain drained for at \
                 most {}), from {}",
                spec.drain_limit, self.start
            );
        }
        let mut s = format!(
            "{} at a time, {}, from {}",
            self.parallel,
            match &self.wait {
                PlanWait::Fixed(_, t) => format!("wait {t}"),
                PlanWait::Drained => format!("wait until drained (at most {})", spec.drain_limit),
            },
            self.start
        );
        if spec.lb_disable.len() > 1 || self.lb_disable {
            s.push_str(if self.lb_disable {
                ", disabled on the HLB first"
            } else {
                ", not disabled on the HLB"
            });
        }
        if spec.startup.len() > 1 || self.startup != StartupType::Automatic {
            let _ = write!(s, ", startup {}", self.startup.name());
        }
        s
    }

    /// The batches of 1-based servers, in order.
    pub fn batches(&self, spec: &PlanSpec) -> Vec<Vec<u32>> {
        spec.servers
            .chunks(self.parallel.max(1) as usize)
            .map(|c| c.iter().map(|s| s + 1).collect())
            .collect()
    }
}

/// Every combination, in a fixed order: start, then the rolling restart, then the batches
/// (parallel, wait, lb_disable, startup).
pub fn expand(spec: &PlanSpec) -> Vec<Candidate> {
    let mut out = Vec::new();
    let batches = spec.procedure.contains(&PlanProcedure::Batches);
    for (start, _) in &spec.start {
        if spec.procedure.contains(&PlanProcedure::RollingRestart) {
            out.push(Candidate {
                index: 0,
                procedure: PlanProcedure::RollingRestart,
                parallel: 0,
                wait: PlanWait::Drained,
                start: start.clone(),
                lb_disable: false,
                startup: StartupType::Automatic,
            });
        }
        for &parallel in spec.parallel.iter().filter(|_| batches) {
            for wait in &spec.wait {
                for &lb_disable in &spec.lb_disable {
                    for &startup in &spec.startup {
                        out.push(Candidate {
                            index: 0,
                            procedure: PlanProcedure::Batches,
                            parallel,
                            wait: wait.clone(),
                            start: start.clone(),
                            lb_disable,
                            startup,
                        });
                    }
                }
            }
        }
    }
    for (i, c) in out.iter_mut().enumerate() {
        c.index = i;
    }
    out
}

/// `[1, 2]`, or the servers' names when the pool names them (`servers` 1-based).
fn list(spec: &PlanSpec, servers: &[u32]) -> String {
    let s: Vec<String> = match spec.names.is_named() {
        true => (servers.iter())
            .map(|&s| format!("\"{}\"", spec.names.label(s as usize - 1)))
            .collect(),
        false => servers.iter().map(u32::to_string).collect(),
    };
    format!("[{}]", s.join(", "))
}

/// The candidate's `[[step]]` entries.
pub fn steps_toml(spec: &PlanSpec, c: &Candidate) -> String {
    let mut o = String::new();
    if c.procedure == PlanProcedure::RollingRestart {
        let _ = write!(
            o,
            "\n[[step]]\nat = \"{}\"\naction = \"rolling_restart\"\ndowntime = \"{}\"\ntimeout = \"{}\"\n",
            c.start, spec.downtime, spec.drain_limit
        );
        return o;
    }
    let mut first = true;
    let mut step = |o: &mut String, action: &str, servers: &[u32], extra: &str| {
        let at = if std::mem::take(&mut first) {
            format!("at = \"{}\"\n", c.start)
        } else {
            String::new()
        };
        let servers = if servers.is_empty() {
            String::new()
        } else {
            format!("servers = {}\n", list(spec, servers))
        };
        let _ = write!(o, "\n[[step]]\n{at}action = \"{action}\"\n{servers}{extra}");
    };
    let downtime = format!("downtime = \"{}\"\n", spec.downtime);
    for batch in c.batches(spec) {
        if c.lb_disable {
            step(&mut o, "lb_disable", &batch, "");
        }
        step(&mut o, "pause", &batch, "");
        match &c.wait {
            PlanWait::Fixed(_, t) => step(&mut o, "wait", &[], &format!("duration = \"{t}\"\n")),
            PlanWait::Drained => step(
                &mut o,
                "wait_until_drained",
                &batch,
                &format!("timeout = \"{}\"\n", spec.drain_limit),
            ),
        }
        if c.startup == StartupType::Manual {
            step(&mut o, "set_startup", &batch, "startup = \"manual\"\n");
        }
        step(&mut o, "restart", &batch, &downtime);
        if c.startup == StartupType::Manual {
            step(&mut o, "start", &batch, "");
            step(&mut o, "set_startup", &batch, "startup = \"automatic\"\n");
        }
        if c.lb_disable {
            step(&mut o, "lb_enable", &batch, "");
        }
    }
    o
}

/// Whether a trimmed line is a table header (`[pool]`, `[[feature]]`, `[pool.dns]`): a
/// bracketed key, not a line of a multi-line array such as `[1, 2],`.
fn header(line: &str) -> Option<String> {
    let t = line.trim();
    let t = t.split_once('#').map_or(t, |(h, _)| h).trim_end();
    let inner = t
        .strip_prefix("[[")
        .and_then(|r| r.strip_suffix("]]"))
        .or_else(|| t.strip_prefix('[').and_then(|r| r.strip_suffix(']')))?;
    let key = inner.trim();
    let ok = !key.is_empty()
        && key
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || "_-.\"".contains(ch))
        && !key.chars().all(|ch| ch.is_ascii_digit());
    ok.then(|| key.trim_matches('"').to_string())
}

/// Whether a table header belongs to what the runbook text leaves out.
fn dropped(key: &str) -> bool {
    key == "plan" || key.starts_with("plan.") || key == "expect" || key.starts_with("expect.")
}

/// The scenario's text without `[plan]` and `[[expect]]` (and the comments just above them),
/// its top-level `name` replaced by `name`. `None` when the text cannot be cut by lines
/// (the caller then re-serialises the parsed table).
pub fn base_text(source: &str, name: &str) -> Option<String> {
    let mut out: Vec<&str> = Vec::new();
    let mut skipping = false;
    let mut top_level = true;
    let mut named = false;
    let name_line = format!("name = {}", toml_string(name));
    let mut owned: Vec<(usize, String)> = Vec::new();
    for line in source.lines() {
        if let Some(key) = header(line) {
            top_level = false;
            skipping = dropped(&key);
            if skipping {
                while out
                    .last()
                    .is_some_and(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
                {
                    out.pop();
                }
                continue;
            }
        }
        if skipping {
            continue;
        }
        if top_level && !named && line.trim_start().starts_with("name") {
            let rest = line.trim_start()["name".len()..].trim_start();
            if rest.starts_with('=') {
                named = true;
                owned.push((out.len(), name_line.clone()));
                out.push("");
                continue;
            }
        }
        out.push(line);
    }
    let mut text = String::new();
    if !named {
        let _ = writeln!(text, "{name_line}");
    }
    for (i, l) in out.iter().enumerate() {
        match owned.iter().find(|(k, _)| *k == i) {
            Some((_, s)) => text.push_str(s),
            None => text.push_str(l),
        }
        text.push('\n');
    }
    // Checked by parsing: the same tables as the source, but for what was meant to change.
    let strip = |t: &str| -> Option<toml::Table> {
        let mut t: toml::Table = toml::from_str(t).ok()?;
        for k in ["plan", "expect", "name"] {
            t.remove(k);
        }
        Some(t)
    };
    (strip(&text)? == strip(source)?).then_some(text)
}

/// The same, by re-serialising the parsed file (comments are lost).
pub fn base_text_reserialised(source: &str, name: &str) -> Option<String> {
    let mut t: toml::Table = toml::from_str(source).ok()?;
    for k in ["plan", "expect", "name"] {
        t.remove(k);
    }
    let mut named = toml::Table::new();
    named.insert("name".into(), toml::Value::String(name.into()));
    named.extend(t);
    toml::to_string(&named).ok()
}

/// A TOML basic string.
pub fn toml_string(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_told_from_array_lines() {
        assert_eq!(header("[plan]").as_deref(), Some("plan"));
        assert_eq!(header("[[expect]]  # x").as_deref(), Some("expect"));
        assert_eq!(header("[pool.dns]").as_deref(), Some("pool.dns"));
        assert_eq!(header("  [1, 2],"), None);
        assert_eq!(header("[3]"), None);
    }

    #[test]
    fn plan_and_expectations_are_cut_and_the_name_replaced() {
        let src = "# top\nname = \"old\"\nseed = 3\n[pool]\nservers = 4\nupgrade_domains = [\n  [1, 2],\n  [3, 4],\n]\n\n# about the plan\n[plan]\nparallel = [1]\n[plan.weights]\nim = 2\n\n[[feature]]\nname = \"im\"\n[[expect]]\ncut_mean = { max = 1 }\n";
        let t = base_text(src, "new").expect("cut by lines");
        assert!(t.contains("name = \"new\"") && !t.contains("old"));
        assert!(!t.contains("[plan") && !t.contains("expect") && !t.contains("about the plan"));
        assert!(t.contains("[[feature]]\nname = \"im\"") && t.contains("# top"));
    }
}
