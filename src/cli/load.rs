//! Scenario files from disk: reading one, finding them in folders, and the scenario `run` is
//! given (a file, or the embedded default).

use std::path::{Path, PathBuf};

use crate::scenario::{self, FileSource, Scenario, ScenarioError};

/// The longest scenario file drainsim reads (the default scenario is under 10 KiB): a longer
/// one, like `/dev/zero` or a file that is not a scenario, is refused before it fills memory.
pub const MAX_SCENARIO_BYTES: u64 = 16 << 20;

/// The longest file a scenario names that is read whole (an `empirical` durations CSV, a
/// profile). Traces are read as a stream and have limits of their own.
pub const MAX_DATA_FILE_BYTES: u64 = 256 << 20;

/// Reads empirical CSVs, profiles and traces relative to the scenario file's folder.
struct DiskFiles {
    base: PathBuf,
}

impl FileSource for DiskFiles {
    fn read(&self, path: &str) -> Result<String, String> {
        let p = self.base.join(path);
        crate::files::read_text(&p, MAX_DATA_FILE_BYTES)
            .map_err(|e| format!("cannot read {}: {e}", p.display()))
    }

    fn opener(&self, path: &str) -> Result<scenario::Opener, String> {
        let p = self.base.join(path);
        // A device or a pipe (`/dev/zero`) is refused here, not read.
        crate::files::open_regular(&p).map_err(|e| format!("cannot read {}: {e}", p.display()))?;
        Ok(std::sync::Arc::new(move || {
            let f = crate::files::open_regular(&p)
                .map_err(|e| format!("cannot read {}: {e}", p.display()))?;
            Ok(Box::new(std::io::BufReader::with_capacity(1 << 16, f))
                as Box<dyn std::io::Read + Send>)
        }))
    }

    fn display(&self, path: &str) -> String {
        self.base.join(path).display().to_string()
    }
}

/// Files named by the scenario at `path`, read relative to its folder.
pub(crate) fn disk_files(path: &Path) -> impl FileSource {
    DiskFiles {
        base: path.parent().map(Path::to_path_buf).unwrap_or_default(),
    }
}

/// Loads and validates a scenario file from disk; returns it with its text.
pub fn load_file(path: &Path) -> Result<(Scenario, String), ScenarioError> {
    let name = path.display().to_string();
    let text = crate::files::read_text(path, MAX_SCENARIO_BYTES).map_err(|e| ScenarioError {
        diagnostics: vec![scenario::Diagnostic {
            file: name.clone(),
            position: None,
            path: String::new(),
            message: format!("cannot read: {e}"),
        }],
    })?;
    let files = DiskFiles {
        base: path.parent().map(Path::to_path_buf).unwrap_or_default(),
    };
    scenario::parse(&text, &name, &files).map(|s| (s, text))
}

/// The scenario files under `paths` (default `scenarios/`): folders are searched for
/// `*.toml` (sorted), files are taken as given.
pub fn scenario_files(paths: &[PathBuf]) -> Vec<PathBuf> {
    let roots = if paths.is_empty() {
        vec![PathBuf::from("scenarios")]
    } else {
        paths.to_vec()
    };
    let mut out = Vec::new();
    for p in roots {
        if p.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(&p)
                .map(|rd| {
                    rd.filter_map(|e| e.ok().map(|e| e.path()))
                        .filter(|f| f.extension().is_some_and(|x| x == "toml"))
                        .collect()
                })
                .unwrap_or_default();
            found.sort();
            out.extend(found);
        } else {
            out.push(p);
        }
    }
    out
}

/// The scenario `run` is given, with what its report needs to know of where it came from.
pub struct Source {
    /// The validated scenario.
    pub scenario: Scenario,
    /// Its text, copied into the report.
    pub text: String,
    /// Name of the default report folder under `reports/`.
    pub stem: String,
    /// The path as given on the command line (`None`: the embedded default).
    pub shown: Option<String>,
}

impl Source {
    /// Loads `path`, or the embedded default scenario when there is none.
    pub fn load(path: Option<&Path>) -> Result<Source, ScenarioError> {
        let Some(p) = path else {
            let text = crate::DEFAULT_SCENARIO;
            let scenario = scenario::parse(text, "scenarios/default.toml", &scenario::NoFiles)?;
            return Ok(Source {
                scenario,
                text: text.to_string(),
                stem: "default".to_string(),
                shown: None,
            });
        };
        let (scenario, text) = load_file(p)?;
        let stem = p
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "report".into());
        Ok(Source {
            scenario,
            text,
            stem,
            shown: Some(p.display().to_string()),
        })
    }
}

/// [`DiskFiles`] that remembers every file the scenario names, to hash them.
struct RecordingFiles {
    disk: DiskFiles,
    seen: std::sync::Mutex<Vec<String>>,
}

impl RecordingFiles {
    fn note(&self, path: &str) {
        if let Ok(mut seen) = self.seen.lock() {
            seen.push(path.to_string());
        }
    }
}

impl FileSource for RecordingFiles {
    fn read(&self, path: &str) -> Result<String, String> {
        self.note(path);
        self.disk.read(path)
    }

    fn opener(&self, path: &str) -> Result<scenario::Opener, String> {
        self.note(path);
        self.disk.opener(path)
    }

    fn display(&self, path: &str) -> String {
        self.disk.display(path)
    }
}

/// 64-bit FNV-1a: identifies a scenario's text and files (not a cryptographic hash).
#[derive(Clone, Copy)]
struct Fnv(u64);

impl Fnv {
    fn new() -> Fnv {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
    fn bytes(&mut self, b: &[u8]) {
        for &x in b {
            self.0 ^= u64::from(x);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
}

/// A scenario parsed from `text` as `run` parses the file `shown` (the embedded default when
/// `None`), with the hash of its text and of every file it reads (traces, profiles, durations:
/// read relative to `shown`'s folder, as `run` reads them).
pub fn parse_hashed(text: &str, shown: Option<&str>) -> Result<(Scenario, String), ScenarioError> {
    let mut h = Fnv::new();
    h.bytes(b"drainsim scenario\0");
    h.bytes(text.as_bytes());
    let Some(shown) = shown else {
        let s = scenario::parse(text, "scenarios/default.toml", &scenario::NoFiles)?;
        return Ok((s, format!("{:016x}", h.0)));
    };
    let path = Path::new(shown);
    let files = RecordingFiles {
        disk: DiskFiles {
            base: path.parent().map(Path::to_path_buf).unwrap_or_default(),
        },
        seen: std::sync::Mutex::new(Vec::new()),
    };
    let s = scenario::parse(text, shown, &files)?;
    let mut seen = files.seen.into_inner().unwrap_or_default();
    seen.sort();
    seen.dedup();
    let unreadable = |p: &Path, e: crate::files::ReadError| ScenarioError {
        diagnostics: vec![scenario::Diagnostic {
            file: shown.to_string(),
            position: None,
            path: String::new(),
            message: format!("cannot read {}: {e}", p.display()),
        }],
    };
    for name in seen {
        h.bytes(b"\0");
        h.bytes(name.as_bytes());
        h.bytes(b"\0");
        let p = files.disk.base.join(&name);
        let mut f = crate::files::open_regular(&p).map_err(|e| unreadable(&p, e))?;
        let mut buf = vec![0u8; 1 << 16];
        loop {
            let n = std::io::Read::read(&mut f, &mut buf).map_err(|e| unreadable(&p, e.into()))?;
            if n == 0 {
                break;
            }
            h.bytes(&buf[..n]);
        }
    }
    Ok((s, format!("{:016x}", h.0)))
}
