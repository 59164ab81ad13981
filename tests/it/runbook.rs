//! `drainsim runbook` (R22) and `drainsim init`: the runbook of a scenario's steps in both
//! formats against golden files (`tests/golden/runbook-*`; regenerate with
//! `DRAINSIM_BLESS=1 cargo test --test it runbook`), what it refuses, how it writes its
//! file, and the starter scenario of `init`.
//!
//! There is no PowerShell here: the `.ps1` goldens are read, not run (docs/runbook.md).

use std::path::{Path, PathBuf};

use crate::common::{TempDir, drainsim, stderr};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The runbook of `tests/runbook/<name>.toml` in `format`, from 40 replications.
fn runbook(name: &str, format: &str) -> String {
    let o = drainsim(
        &root(),
        &[
            "runbook",
            &format!("tests/runbook/{name}.toml"),
            "--format",
            format,
            "--replications",
            "40",
            "--jobs",
            "2",
        ],
    );
    assert!(o.status.success(), "{name}: {}", stderr(&o));
    String::from_utf8(o.stdout).expect("utf-8")
}

fn golden(name: &str, text: &str) {
    let path = root().join("tests/golden").join(name);
    if std::env::var_os("DRAINSIM_BLESS").is_some() {
        std::fs::write(&path, text).expect("bless");
        return;
    }
    let want = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (DRAINSIM_BLESS=1 writes it)", path.display()));
    assert!(
        want == text,
        "{name} differs from its golden file; if the change is intended, regenerate with \
         DRAINSIM_BLESS=1 cargo test --test it runbook\n--- got:\n{text}"
    );
}

#[test]
fn runbooks_match_their_golden_files() {
    for name in ["hardware", "dns"] {
        for format in ["md", "ps1"] {
            golden(&format!("runbook-{name}.{format}"), &runbook(name, format));
        }
    }
}

#[test]
fn the_script_supports_whatif_stops_at_the_first_failure_and_maps_every_action() {
    let ps1 = runbook("hardware", "ps1");
    assert!(ps1.contains("[CmdletBinding(SupportsShouldProcess)]"));
    assert!(ps1.contains("$ErrorActionPreference = 'Stop'"));
    assert!(
        ps1.is_ascii(),
        "Windows PowerShell reads a script without BOM as ANSI"
    );
    // Every state-changing command sits inside a ShouldProcess block.
    let mut depth = 0i32;
    for line in ps1.lines() {
        if line.starts_with("if ($PSCmdlet.ShouldProcess(") {
            depth += 1;
        }
        for cmd in [
            "Suspend-Service",
            "Restart-Computer",
            "Set-Service",
            "Invoke-CsComputerFailOver",
            "Invoke-RestMethod",
        ] {
            if line.contains(cmd) && !line.trim_start().starts_with('#') {
                assert_eq!(depth, 1, "{cmd} outside ShouldProcess: {line}");
            }
        }
        if line == "}" {
            depth = 0;
        }
    }
    let md = runbook("hardware", "md");
    for want in [
        "Invoke-Command -ComputerName fe02.contoso.com -ScriptBlock { Suspend-Service",
        "Get-CsWindowsService -ComputerName fe02.contoso.com",
        "Set-Service -ComputerName fe02.contoso.com -Name RTCSRV -StartupType Manual",
        "Restart-Computer -ComputerName fe02.contoso.com -Force -Wait -For PowerShell",
        "Start-CsWindowsService -ComputerName fe02.contoso.com",
        "Invoke-CsComputerFailOver -ComputerName fe03.contoso.com -WaitTime 00:45:00",
        "Invoke-CsComputerFailBack -ComputerName fe03.contoso.com",
        "session user-disabled state user-up",
        "session user-enabled state user-up",
        "Get-CsPoolFabricState -PoolFqdn",
        "in 95 % of nights at most",
    ] {
        assert!(md.contains(want), "the runbook lacks {want:?}:\n{md}");
    }
    let dns = runbook("dns", "md");
    for want in [
        "Remove-DnsServerResourceRecord -ComputerName <DNS server> -ZoneName <zone> -RRType A",
        "Add-DnsServerResourceRecordA -ComputerName <DNS server>",
        "Stop-CsWindowsService -ComputerName <FQDN of FE 4> -Graceful",
        "Get-CsPoolUpgradeReadinessState",
        "<FQDN of FE 1>",
    ] {
        assert!(dns.contains(want), "the runbook lacks {want:?}:\n{dns}");
    }
}

#[test]
fn same_seed_same_runbook_whatever_the_threads() {
    let run = |jobs: &str| {
        drainsim(
            &root(),
            &[
                "runbook",
                "tests/runbook/dns.toml",
                "--replications",
                "30",
                "--jobs",
                jobs,
            ],
        )
        .stdout
    };
    assert_eq!(run("1"), run("2"));
}

#[test]
fn a_plan_without_steps_and_a_sweep_have_no_runbook() {
    let o = drainsim(&root(), &["runbook", "scenarios/plan-night.toml"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("run `drainsim plan scenarios/plan-night.toml` first"));
    let dir = TempDir::new("runbook-sweep");
    let text = std::fs::read_to_string(root().join("tests/runbook/dns.toml")).unwrap();
    dir.write(
        "s.toml",
        &format!("{text}\n[sweep]\nwait = [\"10m\", \"20m\"]\n"),
    );
    let o = drainsim(dir.path(), &["runbook", "s.toml"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("a runbook follows one run"),
        "{}",
        stderr(&o)
    );
}

fn write_runbook(dir: &Path, out: &str) -> std::process::Output {
    let scenario = root().join("tests/runbook/dns.toml");
    drainsim(
        dir,
        &[
            "runbook",
            scenario.to_str().unwrap(),
            "--replications",
            "10",
            "--out",
            out,
        ],
    )
}

#[test]
fn the_runbook_file_replaces_only_its_own_and_never_a_link() {
    let dir = TempDir::new("runbook-out");
    let o = write_runbook(dir.path(), "night.md");
    assert!(o.status.success(), "{}", stderr(&o));
    let first = std::fs::read_to_string(dir.path().join("night.md")).unwrap();
    // Its own file is replaced.
    let o = write_runbook(dir.path(), "night.md");
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        first,
        std::fs::read_to_string(dir.path().join("night.md")).unwrap()
    );
    // Someone else's is not.
    dir.write("notes.md", "my notes\n");
    let o = write_runbook(dir.path(), "notes.md");
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("was not written by drainsim runbook"));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("notes.md")).unwrap(),
        "my notes\n"
    );
    // Nor a link, even to its own runbook.
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(dir.path().join("night.md"), dir.path().join("link.md"))
            .unwrap();
        let o = write_runbook(dir.path(), "link.md");
        assert_eq!(o.status.code(), Some(2));
        assert!(stderr(&o).contains("is a link"));
    }
    // No temporary file is left behind.
    let left: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn init_writes_a_named_starter_that_checks_runs_and_plans_and_never_replaces_a_file() {
    let dir = TempDir::new("init");
    let args = [
        "init",
        "pool.toml",
        "--servers",
        "fe01.contoso.com,fe02.contoso.com,fe03.contoso.com,fe04.contoso.com",
        "--domains",
        "2",
        "--load-balancing",
        "F5",
        "--users",
        "2000",
        "--window",
        "01:00-03:30",
    ];
    let o = drainsim(dir.path(), &args);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = std::fs::read_to_string(dir.path().join("pool.toml")).unwrap();
    for want in [
        "servers = [\"fe01.contoso.com\", \"fe02.contoso.com\", \"fe03.contoso.com\", \"fe04.contoso.com\"]",
        "upgrade_domains = [[\"fe01.contoso.com\", \"fe02.contoso.com\"], [\"fe03.contoso.com\", \"fe04.contoso.com\"]]",
        "load_balancing = \"hardware\"",
        "users = 2000",
        "start = [\"01:00\"]",
        "window = \"01:00-03:30\"",
    ] {
        assert!(text.contains(want), "lacks {want:?}:\n{text}");
    }
    let o = drainsim(dir.path(), &["check", "pool.toml"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = drainsim(
        dir.path(),
        &["run", "pool.toml", "--replications", "2", "--quiet"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    // A second init does not replace it, nor anything else.
    let o = drainsim(dir.path(), &args);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("never replaces a file"));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("pool.toml")).unwrap(),
        text
    );
    let o = drainsim(
        dir.path(),
        &["init", "x.toml", "--servers", "fe01", "--window", "2-5"],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--window: expected HH:MM-HH:MM"));
    assert!(!dir.path().join("x.toml").exists());
}
