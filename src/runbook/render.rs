//! The runbook as a Markdown page (`--format md`) and as a PowerShell script (`--format ps1`)
//! that supports `-WhatIf` and stops at the first failure.

use std::fmt::Write;

use super::commands::{Cmd, Names, SOURCES, Shell, commands, title, undo};
use super::{Runbook, RunbookStep};
use crate::model::Action;

/// Server `i` on the page: its FQDN, or a placeholder the administrator fills in.
fn page_server(rb: &Runbook) -> impl Fn(usize) -> String + '_ {
    move |i| match rb.named {
        true => rb.servers[i].clone(),
        false => format!("<FQDN of {}>", rb.servers[i]),
    }
}

/// The heading of step `s`: its number, clock time and what it does.
fn heading(rb: &Runbook, s: &RunbookStep) -> String {
    let when = match &s.start {
        Some((m, p)) if m == p => format!("{m} — "),
        Some((m, p)) => format!("{m} (95 %: by {p}) — "),
        None => String::new(),
    };
    let label = |i: usize| rb.servers[i].clone();
    format!("{}. {when}{}", s.number, title(&s.step.action, &label))
}

/// The Markdown runbook.
pub fn markdown(rb: &Runbook, services: &[String]) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "<!-- Written by drainsim runbook; safe to replace. -->");
    let _ = writeln!(o, "# Runbook: {}\n", rb.title);
    let _ = writeln!(
        o,
        "From `{}`: every step at the wall-clock time the simulation reached it, the \
         commands for it, what {} simulated nights (seed {}) saw at that moment, and when to \
         stop. If you start late, shift every time by the same amount.\n",
        rb.file, rb.replications, rb.seed
    );
    before_you_start(&mut o, rb);
    let _ = writeln!(o, "## Steps\n");
    let server = page_server(rb);
    let names = Names {
        server: &server,
        all_services: &rb.services,
        services,
        script: false,
        domains: &rb.domains,
    };
    for s in &rb.steps {
        let _ = writeln!(o, "### {}\n", heading(rb, s));
        code_blocks(&mut o, &commands(&s.step.action, &names));
        for e in &s.expect {
            let _ = writeln!(o, "- **Expect:** {e}");
        }
        for e in &s.stop {
            let _ = writeln!(o, "- **Stop if:** {e}");
        }
        if !s.expect.is_empty() || !s.stop.is_empty() {
            o.push('\n');
        }
    }
    roll_back(&mut o, rb);
    night(&mut o, rb);
    let _ = writeln!(o, "## Sources\n");
    let _ = writeln!(o, "| Command | Documentation |\n|---|---|");
    for (c, u) in SOURCES {
        let _ = writeln!(o, "| {} | <{u}> |", c.replace('|', "\\|"));
    }
    o
}

fn code_blocks(o: &mut String, cmds: &[Cmd]) {
    let mut shell: Option<Shell> = None;
    for c in cmds {
        if shell != Some(c.shell) {
            if shell.is_some() {
                o.push_str("```\n");
            }
            o.push_str(match c.shell {
                Shell::PowerShell => "```powershell\n",
                Shell::Tmsh => "On the BIG-IP (tmsh):\n\n```\n",
            });
            shell = Some(c.shell);
        }
        o.push_str(&c.line);
        o.push('\n');
    }
    if shell.is_some() {
        o.push_str("```\n\n");
    }
}

fn before_you_start(o: &mut String, rb: &Runbook) {
    let _ = writeln!(o, "## Before you start\n");
    let _ = writeln!(
        o,
        "- Front Ends: {}{}.",
        rb.servers.join(", "),
        if rb.named {
            ""
        } else {
            " (the scenario numbers them: replace each `<FQDN of FE n>` below, or list the \
             FQDNs in `[pool] servers` and generate the runbook again)"
        }
    );
    if rb.domains.len() < rb.servers.len() {
        let d: Vec<String> = (rb.domains.iter())
            .map(|d| {
                let v: Vec<String> = d.iter().map(|&s| rb.servers[s as usize].clone()).collect();
                format!("[{}]", v.join(", "))
            })
            .collect();
        let _ = writeln!(o, "- Upgrade domains: {}.", d.join(", "));
    }
    if let Some((must, among)) = rb.quorum.filter(|q| q.0 > 0) {
        let _ = writeln!(
            o,
            "- Pool quorum: at least {must} of the first {among} Front Ends must run at all \
             times; never take down a server that would leave fewer."
        );
    }
    if rb.routing_groups > 0 {
        let _ = writeln!(
            o,
            "- {} routing groups: a restart must never leave one without a running replica; \
             `Get-CsPoolFabricState -PoolFqdn <pool FQDN>` shows them.",
            rb.routing_groups
        );
    }
    let _ = writeln!(
        o,
        "- Open the Skype for Business Server (Lync Server) Management Shell as a member of \
         RTCUniversalServerAdmins; PowerShell remoting (Invoke-Command) must reach every \
         Front End. Check the pool first: `Get-CsPoolFabricState -PoolFqdn <pool FQDN>` and \
         `Get-CsWindowsService -ComputerName <each Front End>`."
    );
    if rb.hardware {
        let _ = writeln!(
            o,
            "- Hardware load balancing: the member states are set on the BIG-IP (tmsh, or the \
             iControl REST calls of the `.ps1` runbook); SIP members listen on 5061."
        );
    }
    o.push('\n');
}

fn roll_back(o: &mut String, rb: &Runbook) {
    let _ = writeln!(o, "## Roll back\n");
    let _ = writeln!(
        o,
        "Stop at the first *Stop if* that holds, or at any command that fails. Then undo \
         what was done, last step first:\n"
    );
    let label = |i: usize| rb.servers[i].clone();
    let mut any = false;
    for s in rb.steps.iter().rev() {
        if let Some(u) = undo(&s.step.action) {
            any = true;
            let _ = writeln!(
                o,
                "- after step {} ({}): {u}",
                s.number,
                title(&s.step.action, &label)
            );
        }
    }
    if !any {
        let _ = writeln!(
            o,
            "- nothing to undo: no step leaves a server out of service."
        );
    }
    let _ = writeln!(
        o,
        "- a restarted server that does not come back: `Get-CsWindowsService -ComputerName \
         <server>`, then `Start-CsWindowsService -ComputerName <server>`; keep the others \
         running until the pool's fabric state is healthy again.\n"
    );
}

fn night(o: &mut String, rb: &Runbook) {
    let n = &rb.night;
    let _ = writeln!(o, "## The night as simulated\n");
    let _ = writeln!(
        o,
        "- The plan ran to its end in {} of {} nights{}.",
        n.finished,
        rb.replications,
        n.end
            .as_ref()
            .map(|(m, p)| format!(", by {m} on a median night and by {p} in 95 % of nights"))
            .unwrap_or_default()
    );
    let _ = writeln!(
        o,
        "- Sessions cut in all: {} on a median night, at most {} in 95 % of nights.",
        n.cut.0, n.cut.1
    );
    let _ = writeln!(
        o,
        "- The pool lost quorum in {} nights; a routing group lost quorum in {} nights.\n",
        n.pool_quorum_lost, n.rg_quorum_lost
    );
}

/// PowerShell single-quoted string.
fn sq(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// The runbook as a PowerShell script.
pub fn powershell(rb: &Runbook, services: &[String]) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "# Written by drainsim runbook; safe to replace.");
    let _ = writeln!(o, "#Requires -Version 5.1");
    let _ = writeln!(
        o,
        "<#\n.SYNOPSIS\nRunbook: {}\n\n.DESCRIPTION\nThe steps of {} as commands, each with what {} \
         simulated nights (seed {}) saw at that\nmoment. Run it first with -WhatIf. It stops at \
         the first error ($ErrorActionPreference = 'Stop')\nand asks before every step that takes \
         a server down.\n#>",
        rb.title, rb.file, rb.replications, rb.seed
    );
    params(&mut o, rb);
    o.push_str(
        "$ErrorActionPreference = 'Stop'\nSet-StrictMode -Version Latest\n\n\
         function Confirm-Step([string]$Question) {\n    \
         if ($WhatIfPreference) { return }\n    \
         $answer = Read-Host \"$Question [y/N]\"\n    \
         if ($answer -ne 'y') { throw \"Stopped by the operator: $Question\" }\n}\n\n",
    );
    let server = |i: usize| format!("$FrontEnds[{i}]");
    let names = Names {
        server: &server,
        all_services: &rb.services,
        services,
        script: true,
        domains: &rb.domains,
    };
    for s in &rb.steps {
        script_step(&mut o, rb, s, &names);
    }
    let _ = writeln!(
        o,
        "Write-Host 'Runbook finished. Check the pool: Get-CsPoolFabricState -PoolFqdn' $PoolFqdn"
    );
    windows_powershell_text(&o)
}

/// `text` as Windows PowerShell 5.1 reads it: a script without a byte-order mark is read in
/// the ANSI code page, where the UTF-8 bytes of a dash or an ellipsis become other
/// characters (some of them quotes). The usual punctuation becomes ASCII; anything else
/// left (a non-ASCII title) gets a UTF-8 byte-order mark.
fn windows_powershell_text(text: &str) -> String {
    let ascii: String = text
        .chars()
        .flat_map(|c| {
            let s: &str = match c {
                '—' | '–' => "-",
                '…' => "...",
                '‘' | '’' => "'",
                '“' | '”' => "\"",
                '×' => "x",
                ' ' => " ",
                _ => return vec![c],
            };
            s.chars().collect()
        })
        .collect();
    if ascii.is_ascii() {
        ascii
    } else {
        format!("\u{feff}{ascii}")
    }
}

fn params(o: &mut String, rb: &Runbook) {
    o.push_str("[CmdletBinding(SupportsShouldProcess)]\nparam(\n");
    let fes: Vec<String> = rb.servers.iter().map(|s| sq(s)).collect();
    if rb.named {
        let _ = writeln!(
            o,
            "    # The Front Ends, in the scenario's order.\n    [string[]]$FrontEnds = @({}),",
            fes.join(", ")
        );
    } else {
        let _ = writeln!(
            o,
            "    # The FQDNs of the scenario's {} ({} in order).\n    [Parameter(Mandatory)]\n    [ValidateCount({n}, {n})]\n    [string[]]$FrontEnds,",
            rb.servers.join(", "),
            rb.servers.len(),
            n = rb.servers.len()
        );
    }
    o.push_str("    # The pool's FQDN (Get-CsPoolFabricState).\n    [Parameter(Mandatory)]\n    [string]$PoolFqdn");
    let acts: Vec<&Action> = rb.steps.iter().map(|s| &s.step.action).collect();
    if acts.iter().any(|a| matches!(a, Action::LbMember { .. })) {
        o.push_str(
            ",\n    # The BIG-IP, its pool, each Front End's member name (node) and credentials.\n    \
             [Parameter(Mandatory)] [string]$F5Host,\n    \
             [Parameter(Mandatory)] [string]$F5Pool,\n    \
             [Parameter(Mandatory)] [hashtable]$F5Member,\n    \
             [Parameter(Mandatory)] [pscredential]$F5Credential",
        );
    }
    if acts.iter().any(|a| matches!(a, Action::DnsRecord { .. })) {
        o.push_str(
            ",\n    # The DNS server, the pool's zone and host name, each Front End's address.\n    \
             [Parameter(Mandatory)] [string]$DnsServer,\n    \
             [Parameter(Mandatory)] [string]$DnsZone,\n    \
             [Parameter(Mandatory)] [string]$PoolHost,\n    \
             [Parameter(Mandatory)] [hashtable]$Address",
        );
    }
    o.push_str("\n)\n\n");
}

fn script_step(o: &mut String, rb: &Runbook, s: &RunbookStep, names: &Names<'_>) {
    let head = heading(rb, s);
    let _ = writeln!(o, "# ---- Step {head}");
    let _ = writeln!(o, "Write-Host {}", sq(&format!("== Step {head}")));
    for e in &s.expect {
        let _ = writeln!(o, "Write-Host {}", sq(&format!("   Expect: {e}")));
    }
    for e in &s.stop {
        let _ = writeln!(o, "# Stop if: {e}");
    }
    let down = matches!(
        s.step.action,
        Action::Restart { .. }
            | Action::Failover { .. }
            | Action::RollingRestart { .. }
            | Action::Stop(_)
    );
    if down && !s.stop.is_empty() {
        let _ = writeln!(
            o,
            "Confirm-Step {}",
            sq(&format!(
                "Step {}: none of its stop conditions holds (see the comments above); go on?",
                s.number
            ))
        );
    }
    let label = |i: usize| rb.servers[i].clone();
    let what = title(&s.step.action, &label);
    let _ = writeln!(
        o,
        "if ($PSCmdlet.ShouldProcess($PoolFqdn, {})) {{",
        sq(&what)
    );
    match &s.step.action {
        Action::WaitUntilDrained { target, timeout } => {
            let t = timeout.map_or(86_400, |t| t.as_secs_f64().round() as u64);
            let _ = writeln!(o, "    $deadline = (Get-Date).AddSeconds({t})\n    do {{");
            for &srv in &target.servers {
                let _ = writeln!(
                    o,
                    "        Get-CsWindowsService -ComputerName $FrontEnds[{srv}] | Format-Table Name, Status, ActivityLevel | Out-Host"
                );
            }
            let _ = writeln!(
                o,
                "        $drained = (Read-Host 'Drained (no activity left)? [y/N]') -eq 'y'\n        \
                 if (-not $drained) {{ Start-Sleep -Seconds 60 }}\n    }} until ($drained -or (Get-Date) -gt $deadline)"
            );
        }
        Action::RollingRestart { downtime, .. } => rolling_script(o, rb, downtime.as_secs_f64()),
        action => {
            for c in commands(action, names) {
                let _ = writeln!(o, "    {}", c.line);
            }
        }
    }
    o.push_str("}\n\n");
}

/// `rolling_restart`: per upgrade domain, readiness (on another Front End), failover,
/// restart, failback.
fn rolling_script(o: &mut String, rb: &Runbook, downtime_s: f64) {
    let timeout = (downtime_s * 3.0).max(1800.0).round() as u64;
    for (k, d) in rb.domains.iter().enumerate() {
        let other = (0..rb.servers.len() as u32)
            .find(|s| !d.contains(s))
            .unwrap_or(0);
        // The readiness object's property names are not in the cmdlet's documentation:
        // the operator reads the answer rather than the script parsing it.
        let _ = writeln!(
            o,
            "    # Upgrade domain {} (Get-CsPoolUpgradeReadinessState runs on a Front End of the pool)\n    \
             Invoke-Command -ComputerName $FrontEnds[{other}] -ScriptBlock {{ Get-CsPoolUpgradeReadinessState }} | Out-Host\n    \
             Confirm-Step 'Upgrade domain {}: does the pool say it is ready for this domain? (Busy: wait 10 min and ask again; three Busy answers: stop)'",
            k + 1,
            k + 1
        );
        for &s in d {
            let _ = writeln!(
                o,
                "    Invoke-CsComputerFailOver -ComputerName $FrontEnds[{s}]\n    \
                 Restart-Computer -ComputerName $FrontEnds[{s}] -Force -Wait -For PowerShell -Timeout {timeout}\n    \
                 Invoke-CsComputerFailBack -ComputerName $FrontEnds[{s}]"
            );
        }
    }
}
