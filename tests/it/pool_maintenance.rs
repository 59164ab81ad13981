//! Pool-wide maintenance: quorum (R9), upgrade domains and readiness, SfB failover, survivors'
//! capacity.

use drainsim::engine::SimTime;
use drainsim::model::{QuorumRule, ServiceState};

use crate::common::{errors, run_config, sim};

fn pool_text(servers: u32, quorum: &str, steps: &str) -> String {
    format!(
        r#"
horizon = "3h"
[pool]
servers = {servers}
quorum = "{quorum}"

[[feature]]
name = "av_conference"
arrivals_per_hour = 600
duration = {{ distribution = "deterministic", value = "4h" }}

{steps}
"#
    )
}

/// R9: for every pool size 2–16 and both tables, the pool keeps quorum with exactly the required
/// number of the first servers running, and loses it (cutting every session, reason
/// `quorum_loss`) with one fewer.
#[test]
fn r9_quorum_table_for_every_pool_size() {
    for rule in [QuorumRule::Lync2013, QuorumRule::Sfb2019] {
        let max = if rule == QuorumRule::Lync2013 { 12 } else { 16 };
        for n in 2..=max {
            let (need, among) = rule.requirement(n).unwrap();
            // Stop servers from the top of the "first `among`" block down, keeping `keep` of
            // them; servers beyond `among` keep running and must not count.
            for keep in [need, need - 1] {
                let stop: Vec<String> = (keep + 1..=among).map(|s| s.to_string()).collect();
                if stop.is_empty() {
                    continue;
                }
                let steps = format!(
                    "[[step]]\nat = \"1h\"\naction = \"stop\"\nservers = [{}]\n",
                    stop.join(", ")
                );
                let cfg = run_config(&pool_text(n, rule.name(), &steps));
                let mut s = sim(&cfg, 1, 0);
                s.run_until(SimTime::from_secs(3600 + 1));
                let lost = s.pool().quorum_lost();
                assert_eq!(
                    lost,
                    keep < need,
                    "{} pool of {n}: {keep} of the first {among} running (need {need})",
                    rule.name()
                );
                if lost {
                    let m = s.metrics();
                    // The stopped servers' own sessions are cut by the stop; the quorum loss
                    // cuts those of every server still running.
                    if keep > 0 || n > among {
                        assert!(m.features[0].cut_by[2] > 0, "quorum loss cuts sessions");
                    }
                    for srv in 0..n as usize {
                        assert_eq!(s.pool().active_on_server(srv), 0);
                    }
                }
            }
        }
    }
}

/// R9: pool sizes outside a table are refused with a clear message.
#[test]
fn r9_pool_sizes_outside_the_table_are_refused() {
    let e = errors(&pool_text(13, "lync2013", ""));
    assert!(
        e.iter()
            .any(|m| m.contains("pool.quorum") && m.contains("2–12") && m.contains("13")),
        "{e:?}"
    );
    let e = errors(&pool_text(17, "sfb2019", ""));
    assert!(e.iter().any(|m| m.contains("2–16")), "{e:?}");
    // Without an explicit quorum, large pools simply have none.
    let cfg = run_config(&pool_text(13, "none", ""));
    assert_eq!(cfg.pool.quorum, QuorumRule::None);
}

/// R9: the shipped example — in an 8-server pool, stopping FE 1–4 loses quorum, FE 5–8 does not;
/// the pool comes back when FE 1–4 start again.
#[test]
fn r9_first_servers_decide_quorum_in_an_8_server_pool() {
    let steps = r#"
[[step]]
at = "1h"
action = "stop"
servers = [5, 6, 7, 8]
[[step]]
at = "1h10m"
action = "start"
servers = [5, 6, 7, 8]
[[step]]
at = "1h20m"
action = "stop"
servers = [1, 2, 3, 4]
[[step]]
at = "1h30m"
action = "start"
servers = [1, 2, 3, 4]
"#;
    let cfg = run_config(&pool_text(8, "lync2013", steps));
    let mut s = sim(&cfg, 7, 0);
    s.run_until(SimTime::from_secs(3600 + 60));
    assert!(!s.pool().quorum_lost(), "FE 1–4 keep quorum");
    assert_eq!(s.metrics().features[0].cut_by[2], 0);
    s.run_until(SimTime::from_secs(4800 + 60));
    assert!(s.pool().quorum_lost(), "FE 5–7 alone do not");
    let blocked_before = s.metrics().features[0].blocked;
    s.run_until(SimTime::from_secs(5400 - 60));
    assert!(
        s.metrics().features[0].blocked > blocked_before,
        "new sessions are blocked"
    );
    s.run_until(SimTime::from_secs(5400 + 60));
    assert!(!s.pool().quorum_lost(), "the pool comes back");
}

fn rolling_text(pool_extra: &str, timeout: &str) -> String {
    format!(
        r#"
horizon = "10h"
[pool]
servers = 8
quorum = "lync2013"
{pool_extra}

[[feature]]
name = "pstn_call"
arrivals_per_hour = 2000
duration = {{ distribution = "exponential", mean = "3m" }}

[[step]]
at = "1h"
action = "rolling_restart"
downtime = "10m"
{timeout}
"#
    )
}

/// Readiness Ready on every domain: the rolling restart walks the domains in order, pausing,
/// draining and restarting each, and waits 20 minutes after Ready before the next one.
#[test]
fn rolling_restart_walks_every_domain_when_ready() {
    let cfg = run_config(&rolling_text(
        "upgrade_domains = 4\nrouting_groups = 40",
        "",
    ));
    let m = sim(&cfg, 3, 0).run().unwrap();
    assert!(m.plan_failure.is_none(), "{:?}", m.plan_failure);
    assert_eq!(m.domains.len(), 4);
    for (k, d) in m.domains.iter().enumerate() {
        assert_eq!(d.domain, k);
        assert_eq!(d.outcome.name(), "done");
        assert_eq!(d.busy_polls, 0);
        let ready = d.ready_at.unwrap();
        let paused = d.paused_at.unwrap();
        // 20 minutes after Ready before every domain but the first.
        let settle = if k == 0 { 0 } else { 1200 };
        assert_eq!(paused.since(ready), SimTime::from_secs(settle));
        assert!(d.drained, "3-minute calls drain without a timeout");
        assert_eq!(
            d.up_at.unwrap().since(d.restarted_at.unwrap()),
            SimTime::from_secs(600)
        );
    }
    assert!(m.plan_ended.is_some());
    assert_eq!(m.restarts.len(), 8, "every server restarted once");
    // PSTN calls drain under DNS: nothing is cut.
    assert_eq!(m.features[0].cut(), 0);
}

/// Readiness Busy: with replicas rebuilding for 15 minutes after a domain comes back, the next
/// poll answers Busy and is retried after 10 minutes; rebuilding for 45 minutes gives three Busy
/// in a row and the plan stops.
#[test]
fn rolling_restart_busy_retries_then_fails_after_three() {
    // Four domains of two: any one down keeps quorum (4 of the first 7).
    let cfg = run_config(&rolling_text(
        "upgrade_domains = 4\nreplica_rebuild = \"15m\"",
        "",
    ));
    let m = sim(&cfg, 3, 0).run().unwrap();
    assert!(m.plan_failure.is_none(), "{:?}", m.plan_failure);
    let d1 = &m.domains[1];
    assert_eq!(d1.busy_polls, 2, "Busy at 0 and 10 min, Ready at 20 min");
    assert_eq!(
        d1.ready_at.unwrap().since(d1.first_poll),
        SimTime::from_secs(1200)
    );

    let cfg = run_config(&rolling_text(
        "upgrade_domains = 4\nreplica_rebuild = \"45m\"",
        "",
    ));
    let m = sim(&cfg, 3, 0).run().unwrap();
    let failure = m.plan_failure.expect("three Busy in a row stop the plan");
    assert!(failure.contains("Busy 3 times"), "{failure}");
    assert_eq!(m.domains[1].outcome.name(), "busy");
    assert_eq!(m.domains.len(), 2);
    assert_eq!(m.restarts.len(), 2, "only the first domain was restarted");
    let step = m.steps.last().unwrap();
    assert_eq!(step.outcome.name(), "failed");
}

/// Readiness InsufficientActiveFrontEnds: a domain whose absence loses quorum (FE 1–4 of 8), or
/// one holding every replica of a routing group, is refused and the plan stops at once.
#[test]
fn rolling_restart_insufficient_active_front_ends() {
    let cfg = run_config(&rolling_text(
        "upgrade_domains = [[1, 2, 3, 4], [5, 6, 7, 8]]",
        "",
    ));
    let m = sim(&cfg, 3, 0).run().unwrap();
    let failure = m.plan_failure.expect("quorum would be lost");
    assert!(failure.contains("InsufficientActiveFrontEnds"), "{failure}");
    assert_eq!(m.domains[0].outcome.name(), "insufficient");
    assert!(m.restarts.is_empty(), "nothing was restarted");

    // Quorum holds with FE 5–8 down, but with 8 domains of one server the routing groups would
    // lose two replicas at once only if two were in one domain — so use two domains of
    // {1,2,3} / rest with no quorum and routing groups placed across only two domains.
    let cfg = run_config(
        &rolling_text(
            "quorum = \"none\"\nupgrade_domains = [[1, 2, 3, 4], [5, 6, 7, 8]]\nrouting_groups = 8",
            "",
        )
        .replace("quorum = \"lync2013\"\n", ""),
    );
    let m = sim(&cfg, 3, 0).run().unwrap();
    let failure = m
        .plan_failure
        .expect("a routing group would lose two of three replicas");
    assert!(failure.contains("InsufficientActiveFrontEnds"), "{failure}");
}

fn failover_text(lb: &str) -> String {
    format!(
        r#"
horizon = "4h"
[pool]
servers = 4
load_balancing = "{lb}"
quorum = "none"

# Busy enough that a server taking a quarter of the calls is never empty for long.
[[feature]]
name = "response_group"
arrivals_per_hour = 2000
duration = {{ distribution = "exponential", mean = "2m" }}

[[step]]
at = "1h"
action = "failover"
server = 1
wait_time = "30m"

[[step]]
action = "restart"
server = 1
downtime = "5m"

[[step]]
action = "wait"
duration = "5m"

[[step]]
action = "failback"
server = 1
"#
    )
}

/// SfB failover under DNS: FE 1 drains, its services are stopped and Disabled, a reboot keeps
/// them down, and failback starts them again.
#[test]
fn failover_drains_disables_and_failback_restores() {
    let cfg = run_config(&failover_text("dns"));
    let mut s = sim(&cfg, 5, 0);
    // Step through the failover: after it ends, FE 1's services are stopped and disabled.
    while s.current_step() < 1 {
        assert!(s.step().is_some(), "the failover should end");
    }
    for svc in 0..cfg.services.len() {
        assert_eq!(s.pool().service_state(0, svc), ServiceState::Stopped);
        assert_eq!(
            s.pool().startup(0, svc),
            drainsim::model::StartupType::Disabled
        );
    }
    // After the reboot they are still stopped, then failback starts them.
    while s.current_step() < 2 {
        assert!(s.step().is_some());
    }
    assert!(s.pool().is_up(0));
    assert_eq!(s.pool().service_state(0, 0), ServiceState::Stopped);
    while s.current_step() < 4 {
        assert!(s.step().is_some());
    }
    assert_eq!(s.pool().service_state(0, 0), ServiceState::Running);
    let m = s.run().unwrap();
    assert!(m.plan_failure.is_none());
    assert_eq!(m.features[0].cut(), 0, "nothing cut: FE 1 was drained");
}

/// SfB failover behind a hardware load balancer: Response Group calls keep landing on the paused
/// server, it never drains, the failover times out after `wait_time`, "no action is taken" (FE 1
/// is resumed) and the plan stops.
#[test]
fn failover_times_out_and_takes_no_action() {
    let cfg = run_config(&failover_text("hardware"));
    let m = sim(&cfg, 5, 0).run().unwrap();
    let failure = m.plan_failure.clone().expect("the failover times out");
    assert!(failure.contains("did not drain within 30m"), "{failure}");
    let step = &m.steps[0];
    assert_eq!(step.outcome.name(), "failed");
    assert_eq!(
        step.ended.unwrap().since(step.started),
        SimTime::from_secs(1800)
    );
    assert_eq!(
        m.steps.len(),
        1,
        "the plan stopped: no restart, no failback"
    );
    assert!(m.restarts.is_empty());
    // FE 1 was resumed: it takes sessions again.
    let cfg2 = cfg.clone();
    let mut s = sim(&cfg2, 5, 0);
    s.run_until(SimTime::from_secs(3600 + 1800 + 1));
    assert_eq!(s.pool().service_state(0, 0), ServiceState::Running);
}

/// Survivors' capacity: with Mediation's 150 calls per Front End, draining one of 8 servers
/// blocks nothing but draining five blocks calls; the peak per server and the time above the
/// utilisation threshold are reported.
#[test]
fn capacity_caps_block_when_too_many_servers_are_drained() {
    let text = |paused: &str| {
        format!(
            r#"
horizon = "2h"
[pool]
servers = 8
quorum = "none"
max_sessions_per_server = 200
utilisation_threshold = 0.5

[[feature]]
name = "pstn_call"
arrivals_per_hour = 14112
duration = {{ distribution = "exponential", mean = "3m" }}
max_per_server = 150

[[step]]
at = "1h"
action = "pause"
servers = [{paused}]

[[step]]
action = "wait"
duration = "30m"

[[step]]
action = "resume"
servers = [{paused}]
"#
        )
    };
    let one = run_config(&text("1"));
    let m1 = sim(&one, 9, 0).run().unwrap();
    assert_eq!(m1.features[0].blocked_in_maintenance, 0);
    let peak1 = *m1.peak_active.iter().max().unwrap();
    assert!(peak1 > 88 && peak1 <= 150, "peak {peak1}");

    let five = run_config(&text("1, 2, 3, 4, 5"));
    let m5 = sim(&five, 9, 0).run().unwrap();
    let c = &m5.features[0];
    assert!(c.blocked_in_maintenance > 100, "{c:?}");
    assert!(c.blocked_in_maintenance <= c.arrivals_in_maintenance);
    assert!(c.conserved());
    // Three survivors carry ~705 calls: they sit at the 150 cap, above 50 % of 200.
    let peak5 = *m5.peak_active.iter().max().unwrap();
    assert_eq!(peak5, 150);
    let above = m5.above_threshold.iter().max().unwrap();
    assert!(above.as_secs_f64() > 1500.0, "{above}");
    assert_eq!(m5.plan_ended, Some(SimTime::from_secs(5400)));
}
