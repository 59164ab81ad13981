//! `report.html` in a real browser: headless Chromium loads every shipped report folder's page
//! (and one rendered now), and the test fails on any console message, on a chart of the folder
//! that the page does not draw inline, on anything the page would fetch, and when the page does
//! not lead with the verdict that the folder's markdown holds.
//!
//! Without Chromium the test says so and passes, except under CI (`CI=true`), where `.ci/run`
//! installs Debian's `chromium` and its absence is a failure. `DRAINSIM_CHROMIUM` names another
//! binary.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common;

/// The Chromium binary, or `None` (after saying why) when the test cannot run here.
fn chromium() -> Option<PathBuf> {
    let named = std::env::var_os("DRAINSIM_CHROMIUM").map(PathBuf::from);
    let found = named.or_else(|| {
        ["chromium", "chromium-browser", "google-chrome"]
            .iter()
            .find_map(|name| {
                std::env::var_os("PATH").and_then(|path| {
                    std::env::split_paths(&path)
                        .map(|dir| dir.join(name))
                        .find(|p| p.is_file())
                })
            })
    });
    if found.is_none() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI=true but no Chromium found: .ci/run installs Debian's `chromium` so that \
             report.html is tested in a real browser"
        );
        eprintln!(
            "SKIPPED: report.html browser test: no `chromium` on PATH (apt-get install chromium, \
             or set DRAINSIM_CHROMIUM); CI runs it"
        );
    }
    found
}

/// What Chromium made of a page: its DOM after loading, and the console messages it logged.
struct Loaded {
    dom: String,
    console: Vec<String>,
}

/// Loads `page` headless (a fresh profile, no network services) and dumps its DOM; `extra`
/// flags come before the page.
fn load(chromium: &Path, page: &Path, extra: &[&str]) -> Loaded {
    let profile = common::TempDir::new("chromium-profile");
    let page = page.canonicalize().expect("the page exists");
    let out = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(extra)
        .arg("--dump-dom")
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("Chromium starts");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "Chromium failed on {}: {}\n{stderr}",
        page.display(),
        out.status
    );
    Loaded {
        dom: String::from_utf8_lossy(&out.stdout).into_owned(),
        // Chromium logs each console message of the page as `…:INFO:CONSOLE(…)] "message"`, an
        // error, a warning or a log alike: a page without script has none at all.
        console: stderr
            .lines()
            .filter(|l| l.contains(":CONSOLE"))
            .map(str::to_string)
            .collect(),
    }
}

/// The text of some HTML: tags dropped, the entities the page uses decoded, spaces collapsed.
fn text(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => {
                in_tag = true;
                out.push(' ');
            }
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    let out = out
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&");
    words(&out).join(" ")
}

fn words(s: &str) -> Vec<&str> {
    s.split_whitespace().collect()
}

/// The verdict of a folder's markdown as lines of plain words (its tables left out):
/// `## Verdict` of `report.md`, or what `plan.md` says before its first section.
fn markdown_verdict(folder: &Path) -> Vec<String> {
    let (md, start) = match std::fs::read_to_string(folder.join("report.md")) {
        Ok(md) => {
            let start = md.find("\n## Verdict\n").expect("report.md has a verdict") + 12;
            (md, start)
        }
        Err(_) => {
            let md = std::fs::read_to_string(folder.join("plan.md")).expect("a plan.md");
            let start = md.find('\n').expect("a title line");
            (md, start)
        }
    };
    let rest = &md[start..];
    let verdict = &rest[..rest.find("\n## ").unwrap_or(rest.len())];
    // Markdown's marks are not text: emphasis, code, quotes, list bullets.
    verdict
        .lines()
        .map(|l| {
            l.trim_start()
                .trim_start_matches('>')
                .trim_start()
                .trim_start_matches("- ")
        })
        .filter(|l| !l.is_empty() && !l.starts_with('|'))
        .map(|l| words(&l.replace(['*', '`'], "")).join(" "))
        .collect()
}

/// The section the page leads with, after its title.
fn first_section(dom: &str) -> &str {
    let body = &dom[dom.find("<main>").expect("a <main>")..];
    let title_end = body.find("</section>").expect("a title section");
    let rest = &body[title_end + "</section>".len()..];
    let start = rest.find("<section").expect("a section after the title");
    let end = rest[start..].find("</section>").expect("closed") + start;
    &rest[start..end]
}

/// Checks one folder's `report.html` in the browser.
fn check_folder(chromium: &Path, folder: &Path) {
    let page = folder.join("report.html");
    assert!(page.is_file(), "{} is missing", page.display());
    let loaded = load(chromium, &page, &[]);
    let where_ = page.display();
    assert!(
        loaded.console.is_empty(),
        "{where_}: console messages:\n{}",
        loaded.console.join("\n")
    );
    assert!(loaded.dom.contains("</main>"), "{where_}: not loaded whole");

    // Every chart of the folder drawn inline, none fetched.
    let mut charts: Vec<String> = std::fs::read_dir(folder)
        .unwrap()
        .filter_map(|e| {
            let name = e.unwrap().file_name().into_string().unwrap();
            name.strip_suffix(".svg").map(str::to_string)
        })
        .collect();
    charts.sort();
    assert!(!charts.is_empty(), "{}: no chart", folder.display());
    let mut inline: Vec<String> = loaded
        .dom
        .split("data-chart=\"")
        .skip(1)
        .map(|s| s[..s.find('"').unwrap()].to_string())
        .collect();
    inline.sort();
    assert_eq!(inline, charts, "{where_}: the charts drawn inline");
    for chart in &charts {
        let at = loaded.dom.find(&format!("data-chart=\"{chart}\"")).unwrap();
        let svg = &loaded.dom[at..at + loaded.dom[at..].find("</svg>").unwrap()];
        let marks = [
            "<rect",
            "<path",
            "<polyline",
            "<polygon",
            "<line",
            "<circle",
        ]
        .iter()
        .map(|m| svg.matches(m).count())
        .sum::<usize>();
        assert!(
            svg.matches("<text").count() >= 3 && marks >= 5,
            "{where_}: chart {chart} has no drawing"
        );
    }
    for fetch in ["<img", "<script", "<link", "<iframe", "src=\"", "url("] {
        assert!(!loaded.dom.contains(fetch), "{where_}: holds {fetch:?}");
    }

    // The page leads with the verdict, word for word the markdown's.
    let verdict = text(first_section(&loaded.dom));
    let expected = markdown_verdict(folder);
    assert!(
        loaded.dom.contains("<section class=\"verdict\">")
            && first_section(&loaded.dom).starts_with("<section class=\"verdict\">"),
        "{where_}: the first section after the title is not the verdict"
    );
    // Compared without spaces: markup between words and punctuation adds some.
    let bare = |s: &str| s.split_whitespace().collect::<String>();
    assert!(
        expected.iter().map(String::len).sum::<usize>() > 40,
        "{where_}: no verdict in the markdown"
    );
    for line in &expected {
        assert!(
            bare(&verdict).contains(&bare(line)),
            "{where_}: the page's verdict\n  {verdict}\ndoes not hold the markdown's\n  {line}"
        );
    }
}

/// The method catches what it must: a console message and a chart missing from the page.
#[test]
fn the_browser_check_catches_a_console_error_and_a_missing_chart() {
    let Some(chromium) = chromium() else { return };
    let dir = common::TempDir::new("browser-planted");
    let page = dir.write(
        "planted.html",
        "<!DOCTYPE html><html><head><meta http-equiv=\"Content-Security-Policy\" \
         content=\"default-src 'none'\"></head><body><main><p>x</p>\
         <img src=\"https://example.invalid/x.png\"></main></body></html>",
    );
    let loaded = load(&chromium, &page, &[]);
    assert!(
        loaded
            .console
            .iter()
            .any(|l| l.contains("Content Security Policy")),
        "a blocked fetch must show as a console message: {:?}",
        loaded.console
    );

    // A real folder whose page lost a chart.
    let copy = common::TempDir::new("browser-lost-chart");
    let folder = fresh_report(&copy);
    let html = std::fs::read_to_string(folder.join("report.html")).unwrap();
    let lost = html.replacen("data-chart=\"occupancy\"", "", 1);
    assert_ne!(lost, html);
    std::fs::write(folder.join("report.html"), lost).unwrap();
    let caught = std::panic::catch_unwind(|| check_folder(&chromium, &folder));
    assert!(caught.is_err(), "a page without its occupancy chart passed");
}

/// Every shipped report and plan folder, and a report rendered now with a wall clock.
#[test]
fn every_report_html_loads_clean_in_chromium_and_leads_with_the_verdict() {
    let Some(chromium) = chromium() else { return };
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("reports");
    let mut folders: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("report.md").is_file() || p.join("plan.md").is_file())
        .collect();
    folders.sort();
    assert!(
        folders.len() >= 3,
        "the shipped report folders: {folders:?}"
    );

    let dir = common::TempDir::new("browser-fresh");
    folders.push(fresh_report(&dir));

    for folder in &folders {
        check_folder(&chromium, folder);
    }

    // Printing: Chromium's print-to-PDF gives an A4 document.
    let pdf = dir.path().join("report.pdf");
    let _ = load(
        &chromium,
        &folders[0].join("report.html"),
        &[
            "--no-pdf-header-footer",
            &format!("--print-to-pdf={}", pdf.display()),
        ],
    );
    let bytes = std::fs::read(&pdf).expect("Chromium printed the page");
    assert!(bytes.starts_with(b"%PDF"), "not a PDF");
    let text = String::from_utf8_lossy(&bytes);
    assert!(
        text.contains("/MediaBox [0 0 594.95996 841.91998]")
            || text.contains("/MediaBox [0 0 595 842]"),
        "the printed page is not A4"
    );
}

/// Renders [`FRESH`] into `dir`/report with the drainsim binary; returns the folder.
fn fresh_report(dir: &common::TempDir) -> PathBuf {
    let scenario = dir.write("night.toml", FRESH);
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
    out
}

/// A night with a wall clock: two configurations, FE 1 paused at 02:00.
pub(crate) const FRESH: &str = r#"
name = "Browser test: pause FE 1 at 02:00"
seed = 3
replications = 6
horizon = "40m"
clock_start = "01:45"

[pool]
servers = 3
load_balancing = "dns"
quorum = "none"

[[feature]]
name = "im"
arrivals_per_hour = 600
duration = { distribution = "exponential", mean = "3m" }

[[feature]]
name = "response_group"
arrivals_per_hour = 200
duration = { distribution = "exponential", mean = "2m" }

[[step]]
at = "15m"
action = "pause"
server = 1

[[step]]
action = "wait"
duration = "10m"

[[step]]
action = "restart"
server = 1
downtime = "2m"

[sweep]
load_balancing = ["dns", "hardware"]
"#;
