//! What an administrator runs for each step action, checked against Microsoft's and F5's
//! documentation ([`SOURCES`]; docs/runbook.md cites the page for every mapping). Each
//! command is one PowerShell line (or a tmsh line for the BIG-IP) written with the server as
//! the caller spells it: the FQDN in the Markdown runbook, `$FrontEnds[i]` in the script.

use crate::model::{Action, Member, ServiceMask, StartupType, Target};

/// The documentation pages the mappings were checked against: (command, page).
pub const SOURCES: &[(&str, &str)] = &[
    (
        "Suspend-Service / Resume-Service (no -ComputerName: run through Invoke-Command)",
        "https://learn.microsoft.com/en-us/powershell/module/Microsoft.PowerShell.Management/suspend-service",
    ),
    (
        "Invoke-Command -ComputerName -ScriptBlock",
        "https://learn.microsoft.com/powershell/module/microsoft.powershell.core/invoke-command",
    ),
    (
        "Stop-CsWindowsService -ComputerName -Graceful [-Name]",
        "https://learn.microsoft.com/en-us/powershell/module/skype/Stop-CsWindowsService",
    ),
    (
        "Start-CsWindowsService; Stop-CsWindowsService -Graceful = \"prevent new sessions\"",
        "https://technet.microsoft.com/en-us/library/gg182553(v=ocs.14).aspx",
    ),
    (
        "Get-CsWindowsService -ComputerName (activity level unless -ExcludeActivityLevel)",
        "https://learn.microsoft.com/en-us/powershell/module/skype/Get-CsWindowsService",
    ),
    (
        "Set-Service -ComputerName -Name -StartupType",
        "https://learn.microsoft.com/en-us/powershell/module/microsoft.powershell.management/set-service?view=powershell-5.1",
    ),
    (
        "Restart-Computer -ComputerName -Force -Wait -For PowerShell -Timeout",
        "https://learn.microsoft.com/de-de/powershell/module/microsoft.powershell.management/restart-computer",
    ),
    (
        "Get-CsPoolUpgradeReadinessState (run locally on a Front End of the pool)",
        "https://learn.microsoft.com/en-us/powershell/module/skypeforbusiness/get-cspoolupgradereadinessstate?view=skype-ps",
    ),
    (
        "Invoke-CsComputerFailOver -ComputerName -WaitTime",
        "https://learn.microsoft.com/en-ie/powershell/module/skypeforbusiness/invoke-cscomputerfailover?view=skype-ps",
    ),
    (
        "Invoke-CsComputerFailBack -ComputerName",
        "https://learn.microsoft.com/en-ie/powershell/module/skypeforbusiness/invoke-cscomputerfailback?view=skype-ps",
    ),
    (
        "Get-CsPoolFabricState -PoolFqdn",
        "https://learn.microsoft.com/en-us/powershell/module/skype/Get-CsPoolFabricState",
    ),
    (
        "tmsh modify ltm pool … members modify { … { session user-enabled|user-disabled state user-up|user-down } }",
        "https://clouddocs.f5.com/cli/tmsh-reference/latest/modules/ltm/ltm_pool.html",
    ),
    (
        "iControl REST /mgmt/tm/ltm/pool (PATCH a member's session and state)",
        "https://clouddocs.f5.com/api/icontrol-rest/APIRef_tm_ltm_pool.html",
    ),
    (
        "Remove-DnsServerResourceRecord -ZoneName -RRType A -Name -RecordData -ComputerName -Force",
        "https://learn.microsoft.com/en-us/powershell/module/dnsserver/remove-dnsserverresourcerecord",
    ),
    (
        "Add-DnsServerResourceRecordA -ZoneName -Name -IPv4Address -ComputerName",
        "https://learn.microsoft.com/en-us/powershell/module/dnsserver/add-dnsserverresourcerecorda",
    ),
];

/// Where a command runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shell {
    /// The Lync Server / Skype for Business Server Management Shell (or any PowerShell with
    /// its module), as an administrator of the pool.
    PowerShell,
    /// tmsh on the BIG-IP.
    Tmsh,
}

/// One command of a step.
#[derive(Debug, Clone)]
pub struct Cmd {
    /// Where it runs.
    pub shell: Shell,
    /// The command line.
    pub line: String,
}

fn ps(line: String) -> Cmd {
    Cmd {
        shell: Shell::PowerShell,
        line,
    }
}

/// How commands name things: the servers, the pool, the BIG-IP pool.
pub struct Names<'a> {
    /// Server `i` (0-based) as the commands write it.
    pub server: &'a dyn Fn(usize) -> String,
    /// The services of `services = all`.
    pub all_services: &'a [String],
    /// Every service name by index (for masks).
    pub services: &'a [String],
    /// Whether this is for the script (quoted variables) or the page (literals).
    pub script: bool,
    /// The upgrade domains (0-based servers), for `rolling_restart`.
    pub domains: &'a [Vec<u32>],
}

impl Names<'_> {
    fn services(&self, m: ServiceMask) -> Vec<String> {
        if m == ServiceMask::ALL {
            return self.all_services.to_vec();
        }
        (self.services.iter().enumerate())
            .filter(|(i, _)| m.contains(*i))
            .map(|(_, s)| s.clone())
            .collect()
    }

    fn quoted_services(&self, m: ServiceMask) -> String {
        let s: Vec<String> = self.services(m).iter().map(|s| format!("'{s}'")).collect();
        s.join(",")
    }

    fn pool(&self) -> String {
        if self.script {
            "$PoolFqdn".into()
        } else {
            "<pool FQDN>".into()
        }
    }
}

/// The commands of `action`, one or more lines; the first names what is done.
pub fn commands(action: &Action, n: &Names<'_>) -> Vec<Cmd> {
    let each = |t: &[u32], f: &dyn Fn(String) -> String| -> Vec<Cmd> {
        t.iter().map(|&s| ps(f((n.server)(s as usize)))).collect()
    };
    match action {
        Action::Pause(t) => remote_service(n, t, "Suspend-Service"),
        Action::Resume(t) => remote_service(n, t, "Resume-Service"),
        Action::StopGraceful(t) => cs_service(n, t, "Stop-CsWindowsService", " -Graceful"),
        Action::Stop(t) => cs_service(n, t, "Stop-CsWindowsService", ""),
        Action::Start(t) => cs_service(n, t, "Start-CsWindowsService", ""),
        Action::SetStartup { target, startup } => {
            let st = match startup {
                StartupType::Automatic => "Automatic",
                StartupType::Manual => "Manual",
                StartupType::Disabled => "Disabled",
            };
            let mut out = Vec::new();
            for &s in &target.servers {
                for svc in n.services(target.services) {
                    out.push(ps(format!(
                        "Set-Service -ComputerName {} -Name {svc} -StartupType {st}",
                        (n.server)(s as usize)
                    )));
                }
            }
            out
        }
        Action::Wait { duration } => vec![ps(format!(
            "Start-Sleep -Seconds {}",
            duration.as_secs_f64().round() as u64
        ))],
        Action::WaitUntilDrained { target, .. } => each(&target.servers, &|s| {
            format!(
                "Get-CsWindowsService -ComputerName {s} | Format-Table Name, Status, ActivityLevel"
            )
        }),
        Action::Restart { servers, downtime } => {
            let timeout = (downtime.as_secs_f64() * 3.0).max(1800.0).round() as u64;
            let mut out = fabric(n);
            out.extend(each(servers, &|s| {
                format!("Restart-Computer -ComputerName {s} -Force -Wait -For PowerShell -Timeout {timeout}")
            }));
            out.extend(each(servers, &|s| {
                format!("Get-CsWindowsService -ComputerName {s} | Format-Table Name, Status")
            }));
            out
        }
        Action::RollingRestart { downtime, .. } => {
            let timeout = (downtime.as_secs_f64() * 3.0).max(1800.0).round() as u64;
            let mut out = Vec::new();
            for (k, d) in n.domains.iter().enumerate() {
                out.push(ps(format!(
                    "Get-CsPoolUpgradeReadinessState   # upgrade domain {}: on a Front End of the pool, until it answers Ready",
                    k + 1
                )));
                for &s in d {
                    let srv = (n.server)(s as usize);
                    out.push(ps(format!("Invoke-CsComputerFailOver -ComputerName {srv}")));
                    out.push(ps(format!(
                        "Restart-Computer -ComputerName {srv} -Force -Wait -For PowerShell -Timeout {timeout}"
                    )));
                    out.push(ps(format!("Invoke-CsComputerFailBack -ComputerName {srv}")));
                }
            }
            out
        }
        Action::Failover { servers, wait_time } => {
            let w = wait_time.as_secs_f64() as u64;
            let span = format!("{:02}:{:02}:{:02}", w / 3600, (w % 3600) / 60, w % 60);
            let mut out = fabric(n);
            out.extend(each(servers, &|s| {
                format!("Invoke-CsComputerFailOver -ComputerName {s} -WaitTime {span}")
            }));
            out
        }
        Action::Failback { servers } => each(servers, &|s| {
            format!("Invoke-CsComputerFailBack -ComputerName {s}")
        }),
        Action::LbMember { servers, state } => lb_member(n, servers, *state),
        Action::DnsRecord { servers, listed } => dns_record(n, servers, *listed),
    }
}

/// `Get-CsPoolFabricState`: quorum and routing groups before servers go down.
fn fabric(n: &Names<'_>) -> Vec<Cmd> {
    vec![ps(format!("Get-CsPoolFabricState -PoolFqdn {}", n.pool()))]
}

/// A Windows service cmdlet without -ComputerName, run on each server.
fn remote_service(n: &Names<'_>, t: &Target, cmdlet: &str) -> Vec<Cmd> {
    t.servers
        .iter()
        .map(|&s| {
            ps(format!(
                "Invoke-Command -ComputerName {} -ScriptBlock {{ {cmdlet} -Name {} }}",
                (n.server)(s as usize),
                n.quoted_services(t.services)
            ))
        })
        .collect()
}

/// A `*-CsWindowsService` cmdlet: all Lync services when the step names none, else one
/// command per service (its -Name takes one).
fn cs_service(n: &Names<'_>, t: &Target, cmdlet: &str, flags: &str) -> Vec<Cmd> {
    let mut out = Vec::new();
    for &s in &t.servers {
        let srv = (n.server)(s as usize);
        if t.services == ServiceMask::ALL {
            out.push(ps(format!("{cmdlet} -ComputerName {srv}{flags}")));
        } else {
            for svc in n.services(t.services) {
                out.push(ps(format!(
                    "{cmdlet} -ComputerName {srv} -Name {svc}{flags}"
                )));
            }
        }
    }
    out
}

/// The BIG-IP member state: `session` and `state` as tmsh (page) or iControl REST (script).
fn lb_member(n: &Names<'_>, servers: &[u32], state: Member) -> Vec<Cmd> {
    let (session, up) = match state {
        Member::Enabled => ("user-enabled", "user-up"),
        Member::Disabled => ("user-disabled", "user-up"),
        Member::ForcedOffline => ("user-disabled", "user-down"),
    };
    servers
        .iter()
        .map(|&s| {
            let srv = (n.server)(s as usize);
            if n.script {
                ps(format!(
                    "Invoke-RestMethod -Method Patch -Credential $F5Credential -ContentType 'application/json' -Uri \"https://$F5Host/mgmt/tm/ltm/pool/~Common~$F5Pool/members/~Common~$(${{F5Member}}[{srv}])\" -Body '{{\"session\":\"{session}\",\"state\":\"{up}\"}}'"
                ))
            } else {
                Cmd {
                    shell: Shell::Tmsh,
                    line: format!(
                        "modify ltm pool <F5 pool> members modify {{ <member of {srv}>:5061 {{ session {session} state {up} }} }}"
                    ),
                }
            }
        })
        .collect()
}

/// The server's A record under the pool FQDN.
fn dns_record(n: &Names<'_>, servers: &[u32], listed: bool) -> Vec<Cmd> {
    servers
        .iter()
        .map(|&s| {
            let srv = (n.server)(s as usize);
            let (zone, host, dns, ip) = if n.script {
                (
                    "$DnsZone".to_string(),
                    "$PoolHost".to_string(),
                    "$DnsServer".to_string(),
                    format!("$($Address[{srv}])"),
                )
            } else {
                let who = srv.trim_start_matches("<FQDN of ").trim_end_matches('>');
                (
                    "<zone>".into(),
                    "<pool host>".into(),
                    "<DNS server>".into(),
                    format!("<address of {who}>"),
                )
            };
            ps(if listed {
                format!(
                    "Add-DnsServerResourceRecordA -ComputerName {dns} -ZoneName {zone} -Name {host} -IPv4Address {ip}"
                )
            } else {
                format!(
                    "Remove-DnsServerResourceRecord -ComputerName {dns} -ZoneName {zone} -RRType A -Name {host} -RecordData {ip} -Force"
                )
            })
        })
        .collect()
}

/// The step in a few words, for headings.
pub fn title(action: &Action, label: &dyn Fn(usize) -> String) -> String {
    let list = |v: &[u32]| {
        v.iter()
            .map(|&s| label(s as usize))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match action {
        Action::Pause(t) => format!("Pause {} (no new sessions)", list(&t.servers)),
        Action::Resume(t) => format!("Resume {}", list(&t.servers)),
        Action::StopGraceful(t) => format!("Drain and stop {} gracefully", list(&t.servers)),
        Action::Stop(t) => format!("Stop {}", list(&t.servers)),
        Action::Start(t) => format!("Start the services of {}", list(&t.servers)),
        Action::SetStartup { target, startup } => format!(
            "Set the startup type of {} to {}",
            list(&target.servers),
            startup.name()
        ),
        Action::Wait { duration } => format!("Wait {duration}"),
        Action::WaitUntilDrained { target, .. } => {
            format!("Watch {} drain", list(&target.servers))
        }
        Action::Restart { servers, downtime } => {
            format!("Restart {} (down about {downtime})", list(servers))
        }
        Action::RollingRestart { .. } => "Rolling restart, one upgrade domain at a time".into(),
        Action::Failover { servers, .. } => format!("Fail over {}", list(servers)),
        Action::Failback { servers } => format!("Fail back {}", list(servers)),
        Action::LbMember { servers, state } => {
            format!(
                "Set {} {} on the load balancer",
                list(servers),
                state.name()
            )
        }
        Action::DnsRecord { servers, listed } => format!(
            "{} the DNS A record of {}",
            if *listed { "Add back" } else { "Remove" },
            list(servers)
        ),
    }
}

/// What undoes `action` if the night has to stop after it.
pub fn undo(action: &Action) -> Option<&'static str> {
    Some(match action {
        Action::Pause(_) => {
            "if their restart has not happened yet: Resume-Service on the paused servers \
             (Invoke-Command)"
        }
        Action::StopGraceful(_) | Action::Stop(_) => {
            "if their restart has not happened yet: Start-CsWindowsService on the servers"
        }
        Action::SetStartup { .. } => "Set-Service -StartupType Automatic on the servers",
        Action::Failover { .. } | Action::RollingRestart { .. } => {
            "Invoke-CsComputerFailBack on every server failed over"
        }
        Action::LbMember { .. } => "set the members back to user-enabled / user-up",
        Action::DnsRecord { listed: false, .. } => {
            "Add-DnsServerResourceRecordA for the removed records"
        }
        _ => return None,
    })
}
