//! `[[step]]`: the operator's plan. Each step names an action of the one vocabulary
//! ([`ActionKind`]); what fields an action takes is [`fields`], and each action (or group of
//! actions alike) is built by its own function, every `match` on the kind exhaustive so that a
//! new action cannot be forgotten here.

use super::super::ctx::{Ctx, OwnWords, did_you_mean, one_of, own_word};
use super::super::raw::RawStep;
use super::super::span::FieldPath;
use crate::engine::SimTime;
use crate::model::plan::ActionKind;
use crate::model::service::MAX_SERVICES;
use crate::model::{Action, Member, ServiceMask, StartupType, Step, Target};

/// What steps are checked against: the services, the pool size and horizon when valid.
pub(super) struct StepEnv<'a> {
    /// Windows services by index.
    pub services: &'a [String],
    /// The pool's servers (number and names).
    pub servers: super::servers::PoolServers<'a>,
    /// End of simulated time.
    pub horizon: Option<SimTime>,
    /// Wall-clock time of day at simulated time 0, seconds after midnight.
    pub clock_start_s: f64,
}

/// The plan (`None` when any step is invalid).
pub(super) fn validate_steps(
    ctx: &mut Ctx<'_>,
    raw: &[RawStep],
    env: &StepEnv<'_>,
) -> Option<Vec<Step>> {
    let root = FieldPath::root().key("step");
    let before = ctx.diags.len();
    let mut out = Vec::new();
    for (i, rs) in raw.iter().enumerate() {
        out.extend(validate_step(ctx, &root.index(i), rs, env));
    }
    (ctx.diags.len() == before).then_some(out)
}

/// The optional fields an action takes besides `at`; `server` means it names servers.
fn fields(kind: ActionKind) -> &'static [&'static str] {
    use ActionKind::*;
    match kind {
        Pause | Resume | StopGraceful | Stop | Start => &["server", "servers", "services"],
        Restart => &["server", "servers", "downtime"],
        SetStartup => &["server", "servers", "services", "startup"],
        Wait => &["duration"],
        WaitUntilDrained => &["server", "servers", "services", "timeout"],
        RollingRestart => &["downtime", "timeout"],
        Failover => &["server", "servers", "wait_time"],
        Failback => &["server", "servers"],
        LbDisable | LbForceOffline | LbEnable | DnsRemove | DnsAdd => &["server", "servers"],
    }
}

/// The administrator's words for the actions: the Services console's, the cmdlets', the
/// change ticket's.
const ACTION_WORDS: &[OwnWords] = &[
    OwnWords {
        words: &["suspend", "suspendservice", "pauseservice", "pauseservices"],
        meant: "pause",
        why: "Suspend-Service, \"Pause\" in the Services console: the services keep their \
              sessions and take no new ones",
    },
    OwnWords {
        words: &[
            "drain",
            "graceful",
            "gracefulstop",
            "stopgracefully",
            "stopcswindowsservice",
            "stopcswindowsservicegraceful",
        ],
        meant: "stop_graceful",
        why: "Stop-CsWindowsService -Graceful drains the server and stops it once its \
              sessions end; \"pause\" drains while the services keep running",
    },
    OwnWords {
        words: &["resumeservice", "unpause", "continue"],
        meant: "resume",
        why: "Resume-Service: a paused service takes new sessions again",
    },
    OwnWords {
        words: &["stopservice", "kill", "hardstop"],
        meant: "stop",
        why: "Stop-Service: the services stop now and their sessions are cut",
    },
    OwnWords {
        words: &["startservice", "startcswindowsservice"],
        meant: "start",
        why: "Start-CsWindowsService starts the server's Lync services",
    },
    OwnWords {
        words: &[
            "reboot",
            "restartcomputer",
            "restartserver",
            "patch",
            "bounce",
        ],
        meant: "restart",
        why: "Restart-Computer: the server is down for `downtime`, its sessions cut",
    },
    OwnWords {
        words: &["setservice", "startuptype", "setstartuptype"],
        meant: "set_startup",
        why: "Set-Service -StartupType",
    },
    OwnWords {
        words: &["sleep", "delay", "pausefor", "hold"],
        meant: "wait",
        why: "a fixed wait takes `duration`",
    },
    OwnWords {
        words: &[
            "drained",
            "waitfordrain",
            "waitdrain",
            "untildrained",
            "watch",
        ],
        meant: "wait_until_drained",
        why: "waits until the servers hold no session, at most `timeout`",
    },
    OwnWords {
        words: &[
            "rollingupgrade",
            "upgrade",
            "patchpool",
            "rolling",
            "invokecspoolupgrade",
        ],
        meant: "rolling_restart",
        why: "one upgrade domain after another, each when Get-CsPoolUpgradeReadinessState \
              says Ready",
    },
    OwnWords {
        words: &["invokecscomputerfailover"],
        meant: "failover",
        why: "Invoke-CsComputerFailOver",
    },
    OwnWords {
        words: &["invokecscomputerfailback"],
        meant: "failback",
        why: "Invoke-CsComputerFailBack",
    },
    OwnWords {
        words: &["disable", "lbdrain", "disablemember", "memberdisable"],
        meant: "lb_disable",
        why: "the load balancer sends the member no new connection; existing ones stay",
    },
    OwnWords {
        words: &["forceoffline", "offline", "memberforceoffline"],
        meant: "lb_force_offline",
        why: "the load balancer sends the member nothing new, not even persistent clients",
    },
    OwnWords {
        words: &["enable", "enablemember", "memberenable"],
        meant: "lb_enable",
        why: "the load balancer sends the member connections again",
    },
    OwnWords {
        words: &[
            "removednsserverresourcerecord",
            "removedns",
            "dnsremoverecord",
        ],
        meant: "dns_remove",
        why: "Remove-DnsServerResourceRecord: the server's A record leaves the pool FQDN",
    },
    OwnWords {
        words: &["adddnsserverresourcerecord", "adddns", "dnsaddrecord"],
        meant: "dns_add",
        why: "Add-DnsServerResourceRecord: the server's A record is back in the pool FQDN",
    },
];

/// One step at `p`, every problem recorded.
fn validate_step(
    ctx: &mut Ctx<'_>,
    p: &FieldPath,
    rs: &RawStep,
    env: &StepEnv<'_>,
) -> Option<Step> {
    let Some(kind) = ActionKind::from_name(&rs.action) else {
        let list: Vec<String> = (ActionKind::ALL.iter())
            .map(|a| format!("\"{}\"", a.name()))
            .collect();
        let hint = match own_word(&rs.action, ACTION_WORDS) {
            Some(w) => format!("; did you mean \"{}\"? ({})", w.meant, w.why),
            None => did_you_mean(&rs.action, ActionKind::ALL.iter().map(|a| a.name())),
        };
        let msg = format!(
            "unknown action \"{}\"; expected one of {}{hint}",
            rs.action,
            list.join(", "),
        );
        ctx.err(&p.key("action"), msg);
        return None;
    };
    let at = validate_at(ctx, p, rs, env);
    check_fields(ctx, p, rs, kind);
    let servers = if fields(kind).contains(&"server") {
        validate_servers(ctx, p, rs, kind, env.servers)
    } else {
        Vec::new()
    };
    let target = Target {
        servers,
        services: validate_services(ctx, p, rs, env.services),
    };
    let action = build_action(ctx, p, rs, kind, target)?;
    Some(Step { at, action })
}

/// `at`: optional, a simulated time or a wall-clock `HH:MM` (the first such instant at or
/// after `clock_start`), before the horizon.
fn validate_at(
    ctx: &mut Ctx<'_>,
    p: &FieldPath,
    rs: &RawStep,
    env: &StepEnv<'_>,
) -> Option<SimTime> {
    let text = rs.at.as_ref()?;
    let at = if text.contains(':') {
        let clock = ctx.pick(p.key("at"), crate::model::profile::parse_clock(text))?;
        let after = (clock - env.clock_start_s).rem_euclid(crate::model::profile::DAY_S);
        Some(SimTime::from_secs_f64(after))
    } else {
        ctx.duration(&p.key("at"), &rs.at, None)
    };
    if let (Some(a), Some(h)) = (at, env.horizon)
        && a >= h
    {
        ctx.err(&p.key("at"), format!("{a} is not before the horizon ({h})"));
    }
    at
}

/// Refuses the fields given that the action does not take.
fn check_fields(ctx: &mut Ctx<'_>, p: &FieldPath, rs: &RawStep, kind: ActionKind) {
    let given = [
        ("server", rs.server.is_some()),
        ("servers", rs.servers.is_some()),
        ("services", rs.services.is_some()),
        ("duration", rs.duration.is_some()),
        ("downtime", rs.downtime.is_some()),
        ("startup", rs.startup.is_some()),
        ("timeout", rs.timeout.is_some()),
        ("wait_time", rs.wait_time.is_some()),
    ];
    for (f, g) in given {
        if g && !fields(kind).contains(&f) {
            let msg = format!("`{f}` does not apply to action \"{}\"", kind.name());
            ctx.err(&p.key(f), msg);
        }
    }
}

/// `server` or `servers` (1-based numbers or names as written), 0-based, each once and
/// within the pool.
fn validate_servers(
    ctx: &mut Ctx<'_>,
    p: &FieldPath,
    rs: &RawStep,
    kind: ActionKind,
    pool: super::servers::PoolServers<'_>,
) -> Vec<u32> {
    let mut written = Vec::new();
    match (&rs.server, &rs.servers) {
        (Some(_), Some(_)) => ctx.err(&p.key("servers"), "give `server` or `servers`, not both"),
        (None, None) => {
            let msg = format!("action \"{}\" needs `server` (or `servers`)", kind.name());
            ctx.err(p, msg)
        }
        (Some(s), None) => written.push((p.key("server"), s)),
        (None, Some(list)) => {
            if list.is_empty() {
                ctx.err(&p.key("servers"), "is empty");
            }
            for (k, s) in list.iter().enumerate() {
                written.push((p.key("servers").index(k), s));
            }
        }
    }
    let mut ids = Vec::new();
    for (sp, s) in written {
        if let Some(ix) = super::servers::resolve(ctx, &sp, s, pool) {
            if ids.contains(&ix) {
                ctx.err(&sp, format!("server {} is listed twice", written_as(s)));
            }
            ids.push(ix);
        }
    }
    ids
}

/// A server as the file writes it, for messages: `3` or `"fe03.contoso.com"`.
pub(super) fn written_as(s: &super::super::raw::RawServer) -> String {
    match s {
        super::super::raw::RawServer::Number(n) => n.to_string(),
        super::super::raw::RawServer::Name(n) => format!("\"{n}\""),
    }
}

/// `services` by name (any case), every service when absent.
fn validate_services(
    ctx: &mut Ctx<'_>,
    p: &FieldPath,
    rs: &RawStep,
    services: &[String],
) -> ServiceMask {
    let Some(list) = &rs.services else {
        return ServiceMask::ALL;
    };
    let mut mask = ServiceMask(0);
    if list.is_empty() {
        ctx.err(
            &p.key("services"),
            "is empty; leave it out to mean every service",
        );
    }
    for (k, name) in list.iter().enumerate() {
        match services
            .iter()
            .position(|s| s.eq_ignore_ascii_case(name.trim()))
        {
            // Beyond MAX_SERVICES the file is already refused (`feature`): a mask
            // has no bit for the service, and shifting past 63 would overflow.
            Some(ix) if ix < MAX_SERVICES => mask.0 |= 1u64 << ix,
            Some(_) => {}
            None => ctx.err(
                &p.key("services").index(k),
                format!(
                    "unknown Windows service \"{name}\"; known: {}{}",
                    services.join(", "),
                    did_you_mean(name, services.iter().map(String::as_str))
                ),
            ),
        }
    }
    mask
}

/// The action of kind `kind` on `target`, with its own fields.
fn build_action(
    ctx: &mut Ctx<'_>,
    p: &FieldPath,
    rs: &RawStep,
    kind: ActionKind,
    target: Target,
) -> Option<Action> {
    match kind {
        ActionKind::Pause => Some(Action::Pause(target)),
        ActionKind::Resume => Some(Action::Resume(target)),
        ActionKind::StopGraceful => Some(Action::StopGraceful(target)),
        ActionKind::Stop => Some(Action::Stop(target)),
        ActionKind::Start => Some(Action::Start(target)),
        ActionKind::Restart => restart(ctx, p, rs, target.servers),
        ActionKind::SetStartup => set_startup(ctx, p, rs, target),
        ActionKind::Wait => ctx
            .duration(&p.key("duration"), &rs.duration, None)
            .map(|duration| Action::Wait { duration }),
        ActionKind::WaitUntilDrained => {
            drain_timeout(ctx, p, rs).map(|timeout| Action::WaitUntilDrained { target, timeout })
        }
        ActionKind::RollingRestart => rolling_restart(ctx, p, rs),
        ActionKind::Failover => failover(ctx, p, rs, target.servers),
        ActionKind::Failback => Some(Action::Failback {
            servers: target.servers,
        }),
        ActionKind::LbDisable | ActionKind::LbForceOffline | ActionKind::LbEnable => {
            Some(lb_member(kind, target.servers))
        }
        ActionKind::DnsRemove | ActionKind::DnsAdd => Some(Action::DnsRecord {
            servers: target.servers,
            listed: kind == ActionKind::DnsAdd,
        }),
    }
}

/// How long restarted servers stay down (default 10 minutes).
fn downtime(ctx: &mut Ctx<'_>, p: &FieldPath, rs: &RawStep) -> Option<SimTime> {
    ctx.duration(
        &p.key("downtime"),
        &rs.downtime,
        Some(SimTime::from_secs(600)),
    )
}

/// `timeout`, the longest wait for a drain: `Some(None)` when absent (no limit).
fn drain_timeout(ctx: &mut Ctx<'_>, p: &FieldPath, rs: &RawStep) -> Option<Option<SimTime>> {
    match &rs.timeout {
        None => Some(None),
        Some(_) => ctx
            .positive_duration(&p.key("timeout"), &rs.timeout, None)
            .map(Some),
    }
}

fn restart(ctx: &mut Ctx<'_>, p: &FieldPath, rs: &RawStep, servers: Vec<u32>) -> Option<Action> {
    downtime(ctx, p, rs).map(|downtime| Action::Restart { servers, downtime })
}

fn set_startup(ctx: &mut Ctx<'_>, p: &FieldPath, rs: &RawStep, target: Target) -> Option<Action> {
    let Some(v) = rs.startup.as_deref() else {
        ctx.err(
            &p.key("startup"),
            "is required: \"automatic\", \"manual\" or \"disabled\"",
        );
        return None;
    };
    let options = [
        ("automatic", StartupType::Automatic),
        ("manual", StartupType::Manual),
        ("disabled", StartupType::Disabled),
    ];
    let startup = ctx.pick(p.key("startup"), one_of(v, &options))?;
    Some(Action::SetStartup { target, startup })
}

fn rolling_restart(ctx: &mut Ctx<'_>, p: &FieldPath, rs: &RawStep) -> Option<Action> {
    let downtime = downtime(ctx, p, rs);
    let drain_timeout = drain_timeout(ctx, p, rs);
    Some(Action::RollingRestart {
        downtime: downtime?,
        drain_timeout: drain_timeout?,
    })
}

fn failover(ctx: &mut Ctx<'_>, p: &FieldPath, rs: &RawStep, servers: Vec<u32>) -> Option<Action> {
    ctx.positive_duration(
        &p.key("wait_time"),
        &rs.wait_time,
        Some(SimTime::from_secs(3600)),
    )
    .map(|wait_time| Action::Failover { servers, wait_time })
}

/// `lb_enable`, `lb_disable`, `lb_force_offline`: the member state the step sets.
fn lb_member(kind: ActionKind, servers: Vec<u32>) -> Action {
    let state = match kind {
        ActionKind::LbDisable => Member::Disabled,
        ActionKind::LbForceOffline => Member::ForcedOffline,
        _ => Member::Enabled,
    };
    Action::LbMember { servers, state }
}
