//! Shards: `drainsim run SCENARIO --shard K/N` computes a fixed share of a run's cells and
//! writes a shard folder; `drainsim merge DIR… --out DIR` checks the shards and writes the
//! report the unsharded run writes, byte for byte (see docs/formats.md, "Shard folder").
//!
//! The cells are the (run, replication) pairs the unsharded run simulates first — every run
//! not identical to an earlier one, each with the scenario's `replications` — in their fixed
//! order ([`runner::cells`]); cell `i` belongs to shard `i mod N`. Merge reads the N cell files
//! in lockstep, in that order, into the same stores the unsharded run fills, then decides the
//! expectations exactly as `run` does: when they need more replications than the shards hold,
//! merge simulates the further batches itself (saying so on stderr).

use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::finish::{Finish, finish};
use super::load::{Source, parse_hashed};
use super::pipeline::Pipeline;
use super::{CliError, MergeArgs, Outcome, Overrides, RunArgs};
use crate::model::Seeds;
use crate::report::folder::{self, FolderError, Kind};
use crate::runner::{self, RunOptions, SpillDir, cells};

/// The marker of a complete shard folder, written last.
pub const SHARD_MARKER: &str = ".drainsim-shard";
/// The manifest.
const MANIFEST: &str = "shard.json";
/// The cell records.
const CELLS: &str = "cells.bin";
/// The scenario's text.
const SCENARIO: &str = "scenario.toml";
/// Version of the shard folder format (4: checksummed cell records that name their run,
/// carry the users counts of R21 and the seed of the replication's resample pair, R13).
const FORMAT: u32 = 4;

/// A shard folder.
const SHARD: Kind = Kind {
    marker: SHARD_MARKER,
    is_ours: |name| [MANIFEST, CELLS, SCENARIO].contains(&name),
    what: "shard",
};

/// The environment variables `--shard auto/N` reads the index from (0-based).
pub const INDEX_VARIABLES: [&str; 3] = [
    "JOB_COMPLETION_INDEX",
    "SLURM_ARRAY_TASK_ID",
    "AWS_BATCH_JOB_ARRAY_INDEX",
];

/// `shard.json`: what a shard computed, and of what.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
struct Manifest {
    /// Shard folder format.
    format: u32,
    /// drainsim's version.
    drainsim: String,
    /// FNV-1a 64 of the scenario's text and of the files it reads, hex.
    scenario_hash: String,
    /// The scenario path as given (`None`: the embedded default).
    scenario: Option<String>,
    /// Name of the default report folder under `reports/`.
    stem: String,
    /// This shard's index, 0-based.
    shard: u32,
    /// Shards in all.
    shards: u32,
    /// The seed, replications and max_replications the run used (overrides applied).
    seed: u64,
    replications: u32,
    max_replications: u32,
    /// Runs of the sweep.
    runs: usize,
    /// Cells in this shard.
    cells: u64,
}

/// Parses `K/N` or `auto/N`.
fn parse_spec(spec: &str) -> Result<(u32, u32), CliError> {
    let bad = |why: String| CliError::Shard(format!("--shard {spec}: {why}"));
    let (k, n) = spec
        .split_once('/')
        .ok_or_else(|| bad("expected K/N or auto/N, e.g. 0/4".into()))?;
    let n: u32 = n
        .trim()
        .parse()
        .map_err(|_| bad(format!("N must be a whole number, got {n:?}")))?;
    if n == 0 {
        return Err(bad("N must be at least 1".into()));
    }
    let k = if k.trim() == "auto" {
        auto_index(spec)?
    } else {
        k.trim()
            .parse()
            .map_err(|_| bad(format!("K must be a whole number or auto, got {k:?}")))?
    };
    if k >= n {
        return Err(bad(format!(
            "K must be between 0 and {} (shards are numbered from 0), got {k}",
            n - 1
        )));
    }
    Ok((k, n))
}

/// The shard index from the batch engine's environment.
fn auto_index(spec: &str) -> Result<u32, CliError> {
    let set: Vec<(&str, String)> = INDEX_VARIABLES
        .iter()
        .filter_map(|v| {
            std::env::var(v)
                .ok()
                .filter(|x| !x.trim().is_empty())
                .map(|x| (*v, x))
        })
        .collect();
    let Some((first, value)) = set.first() else {
        return Err(CliError::Shard(format!(
            "--shard {spec}: none of {} is set; give the index as --shard K/N",
            INDEX_VARIABLES.join(", ")
        )));
    };
    if let Some((other, v)) = set.iter().find(|(_, v)| v.trim() != value.trim()) {
        return Err(CliError::Shard(format!(
            "--shard {spec}: {first}={value} and {other}={v} disagree"
        )));
    }
    value.trim().parse().map_err(|_| {
        CliError::Shard(format!(
            "--shard {spec}: {first}={value:?} is not a whole number"
        ))
    })
}

/// `drainsim run SCENARIO --shard K/N`.
pub fn run_shard(args: &RunArgs, spec: &str) -> Result<Outcome, CliError> {
    let (k, n) = parse_spec(spec)?;
    let pipeline = Pipeline::new(args.overrides)?;
    let source = Source::load(args.scenario.as_deref())?;
    let (_, hash) = parse_hashed(&source.text, source.shown.as_deref())?;
    let prepared = pipeline.prepare(source.scenario)?;
    let (scenario, runs) = (prepared.scenario, prepared.runs);
    let out_dir = args.out.clone().unwrap_or_else(|| {
        PathBuf::from("reports").join(format!("{}.shard-{k}-of-{n}", source.stem))
    });
    folder::check_target_of(&out_dir, SHARD).map_err(CliError::Folder)?;
    let mine = move |(i, _): &(usize, (usize, u32))| *i as u64 % u64::from(n) == u64::from(k);
    let count = cells(&runs, scenario.replications)
        .enumerate()
        .filter(mine)
        .count() as u64;
    let manifest = Manifest {
        format: FORMAT,
        drainsim: env!("CARGO_PKG_VERSION").to_string(),
        scenario_hash: hash,
        scenario: source.shown.clone(),
        stem: source.stem.clone(),
        shard: k,
        shards: n,
        seed: scenario.seed,
        replications: scenario.replications,
        max_replications: scenario.max_replications,
        runs: runs.len(),
        cells: count,
    };
    let opts = pipeline.options(None);
    let started = Instant::now();
    let mut run_error = None;
    let written = folder::write_atomically_of(&out_dir, SHARD, |tmp| {
        let path = tmp.join(CELLS);
        let file = File::create(&path).map_err(crate::report::folder::io_err(&path))?;
        let header = cells::ShardHeader {
            shard: k,
            shards: n,
            seed: scenario.seed,
        };
        let mut w = cells::ShardWriter::new(BufWriter::with_capacity(1 << 16, file), header)
            .map_err(crate::report::folder::io_err(&path))?;
        let mine = cells(&runs, scenario.replications)
            .enumerate()
            .filter(mine)
            .map(|(_, c)| c);
        let simulated = runner::simulate_cells(&scenario, &runs, mine, &opts, |r, o| {
            w.write(r, &o)
                .map_err(|e| runner::RunError::Spill(format!("{}: {e}", path.display())))
        });
        if let Err(e) = simulated {
            run_error = Some(e);
            return Err(FolderError::Interrupted);
        }
        w.finish()
            .and_then(|mut w| w.flush())
            .map_err(crate::report::folder::io_err(&path))?;
        let text = serde_json::to_string_pretty(&manifest).unwrap_or_default() + "\n";
        let m = tmp.join(MANIFEST);
        std::fs::write(&m, text).map_err(crate::report::folder::io_err(&m))?;
        let s = tmp.join(SCENARIO);
        std::fs::write(&s, &source.text).map_err(crate::report::folder::io_err(&s))?;
        if pipeline.interrupted() {
            return Err(FolderError::Interrupted);
        }
        Ok(())
    });
    if let Some(e) = run_error {
        return Err(pipeline.error(&scenario, e));
    }
    written.map_err(|e| match e {
        FolderError::Interrupted => CliError::Interrupted,
        e => CliError::Write(e),
    })?;
    if !args.quiet {
        eprintln!(
            "shard {k} of {n}: {count} cells of {} runs × {} replications in {:.1} s → {}",
            runs.len(),
            scenario.replications,
            started.elapsed().as_secs_f64(),
            out_dir.display()
        );
    }
    Ok(Outcome::Success)
}

/// One shard folder given to merge, checked.
struct Shard {
    dir: PathBuf,
    manifest: Manifest,
    text: String,
}

/// Reads and checks the folder `dir` as a complete shard folder.
fn read_shard(dir: &Path) -> Result<Shard, CliError> {
    let bad = |why: String| CliError::Shard(format!("{}: {why}", dir.display()));
    if !dir.is_dir() {
        return Err(bad("not a folder".into()));
    }
    if !dir.join(SHARD_MARKER).is_file() {
        return Err(bad(format!(
            "not a complete shard folder (no {SHARD_MARKER}): an interrupted or unfinished \
             `drainsim run --shard`, or not a shard folder"
        )));
    }
    let read = |name: &str| {
        crate::files::read_text(&dir.join(name), super::load::MAX_SCENARIO_BYTES)
            .map_err(|e| bad(format!("cannot read {name}: {e}")))
    };
    let manifest: Manifest = serde_json::from_str(&read(MANIFEST)?)
        .map_err(|e| bad(format!("{MANIFEST} is not a drainsim shard manifest: {e}")))?;
    if manifest.format != FORMAT {
        return Err(bad(format!(
            "shard folder format {} (this drainsim reads format {FORMAT})",
            manifest.format
        )));
    }
    let ours = env!("CARGO_PKG_VERSION");
    if manifest.drainsim != ours {
        return Err(bad(format!(
            "written by drainsim {}, this is drainsim {ours}: every shard must be computed by \
             the version that merges them",
            manifest.drainsim
        )));
    }
    if manifest.shard >= manifest.shards {
        return Err(bad(format!(
            "shard {} of {} is out of range (shards are numbered 0 to {})",
            manifest.shard,
            manifest.shards,
            manifest.shards.saturating_sub(1)
        )));
    }
    // The stem names the report folder merge writes under reports/ without --out: a name, not
    // a path that leads elsewhere.
    let stem = &manifest.stem;
    if stem.is_empty()
        || stem.contains(['/', '\\', '\0'])
        || stem == ".."
        || stem == "."
        || Path::new(stem).is_absolute()
    {
        return Err(bad(format!(
            "{MANIFEST}: the stem {stem:?} is not a folder name (it names the report folder \
             under reports/)"
        )));
    }
    let text = read(SCENARIO)?;
    Ok(Shard {
        dir: dir.to_path_buf(),
        manifest,
        text,
    })
}

/// Checks that the shards are the N shards of one run, each once; returns them in index order.
fn check_set(mut shards: Vec<Shard>) -> Result<Vec<Shard>, CliError> {
    let first = &shards[0];
    let same = |a: &Manifest, b: &Manifest| {
        (&a.scenario_hash, a.shards, a.seed, a.replications)
            == (&b.scenario_hash, b.shards, b.seed, b.replications)
            && (a.max_replications, a.runs, &a.scenario, &a.stem)
                == (b.max_replications, b.runs, &b.scenario, &b.stem)
    };
    for s in &shards[1..] {
        if !same(&s.manifest, &first.manifest) || s.text != first.text {
            let m = &s.manifest;
            let f = &first.manifest;
            return Err(CliError::Shard(format!(
                "{}: a shard of another run than {}: scenario {} (hash {}), seed {}, {} \
                 replications, {} shards — against scenario {} (hash {}), seed {}, {} \
                 replications, {} shards",
                s.dir.display(),
                first.dir.display(),
                m.scenario.as_deref().unwrap_or("(default)"),
                m.scenario_hash,
                m.seed,
                m.replications,
                m.shards,
                f.scenario.as_deref().unwrap_or("(default)"),
                f.scenario_hash,
                f.seed,
                f.replications,
                f.shards,
            )));
        }
    }
    shards.sort_by_key(|s| s.manifest.shard);
    for w in shards.windows(2) {
        if w[0].manifest.shard == w[1].manifest.shard {
            return Err(CliError::Shard(format!(
                "{} and {} are both shard {} of {}",
                w[0].dir.display(),
                w[1].dir.display(),
                w[0].manifest.shard,
                w[0].manifest.shards
            )));
        }
    }
    let n = shards[0].manifest.shards;
    let missing: Vec<String> = (0..n)
        .filter(|k| !shards.iter().any(|s| s.manifest.shard == *k))
        .map(|k| k.to_string())
        .collect();
    if !missing.is_empty() {
        return Err(CliError::Shard(format!(
            "missing shard{} {} of {n} (given: {})",
            if missing.len() == 1 { "" } else { "s" },
            missing.join(", "),
            shards
                .iter()
                .map(|s| s.dir.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    Ok(shards)
}

/// `drainsim merge DIR… --out DIR`.
pub fn merge(args: &MergeArgs) -> Result<Outcome, CliError> {
    let shards = args
        .shards
        .iter()
        .map(|d| read_shard(d))
        .collect::<Result<Vec<_>, _>>()?;
    let shards = check_set(shards)?;
    let m = shards[0].manifest.clone();
    let shown = m.scenario.as_deref();
    let (scenario, hash) = parse_hashed(&shards[0].text, shown)?;
    if hash != m.scenario_hash {
        return Err(CliError::Shard(format!(
            "{}: the files the scenario reads have changed since the shards were computed \
             (hash {hash}, shards {}): merge where the shards ran, with the same files",
            shown.unwrap_or("the scenario"),
            m.scenario_hash
        )));
    }
    // The settings the shards ran with, through the path `run` takes.
    let pipeline = Pipeline::new(Overrides {
        replications: Some(m.replications),
        max_replications: Some(m.max_replications),
        seed: Some(m.seed),
        jobs: args.jobs,
    })?;
    let prepared = pipeline.prepare(scenario)?;
    let (scenario, runs) = (prepared.scenario, prepared.runs);
    if runs.len() != m.runs {
        return Err(CliError::Shard(format!(
            "{}: the scenario expands to {} runs here, the shards hold {}",
            shards[0].dir.display(),
            runs.len(),
            m.runs
        )));
    }
    let out_dir = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("reports").join(&m.stem));
    folder::check_target(&out_dir, false).map_err(CliError::Folder)?;
    let spill = SpillDir::beside(&out_dir).map_err(|source| {
        CliError::Write(FolderError::Io {
            path: out_dir.clone(),
            source,
        })
    })?;
    let started = Instant::now();
    let opts = RunOptions {
        spill: Some(spill.path().to_path_buf()),
        ..pipeline.options(None)
    };
    let mut results = runner::empty_results(runs, &opts);
    read_cells(&shards, &mut results, scenario.replications, m.seed)?;
    runner::copy_identical(&mut results, &opts);
    let (quiet, held) = (args.quiet, m.replications);
    let decided = crate::expect::decide_from(&scenario, results, &opts, &|n, next| {
        if !quiet {
            eprintln!(
                "merge: expectations undecided at {n} replications per run (the shards hold \
                 {held}): simulating replications {n}–{} of every run here",
                next - 1
            );
        }
    })
    .map_err(|e| pipeline.error(&scenario, e))?;
    let start = scenario.replications;
    finish(Finish {
        pipeline: &pipeline,
        scenario,
        source: &shards[0].text,
        shown,
        start,
        decided,
        out_dir: &out_dir,
        force: false,
        format: args.format,
        quiet: args.quiet,
        detail: args.detail,
        started,
    })
}

/// Reads every shard's cells in the order of [`runner::cells`] (cell `i` from shard
/// `i mod N`) into `results`, a chunk at a time.
fn read_cells(
    shards: &[Shard],
    results: &mut [runner::RunResult],
    replications: u32,
    seed: u64,
) -> Result<(), CliError> {
    let n = shards.len();
    let mut readers = Vec::with_capacity(n);
    for s in shards {
        let p = s.dir.join(CELLS);
        let f = File::open(&p)
            .map_err(|e| CliError::Shard(format!("{}: cannot read: {e}", p.display())))?;
        let header = cells::ShardHeader {
            shard: s.manifest.shard,
            shards: s.manifest.shards,
            seed: s.manifest.seed,
        };
        let reader = cells::ShardReader::new(BufReader::with_capacity(1 << 16, f), header)
            .map_err(|e| {
                CliError::Shard(format!(
                    "{}: {e}; the shard folder is damaged: compute shard {} again",
                    p.display(),
                    s.manifest.shard
                ))
            })?;
        readers.push(reader);
    }
    let runs: Vec<crate::scenario::Run> = results.iter().map(|r| r.run.clone()).collect();
    let corrupt = |k: usize, why: String| {
        CliError::Shard(format!(
            "{}: {why}; the shard folder is damaged: compute shard {} again",
            shards[k].dir.join(CELLS).display(),
            shards[k].manifest.shard
        ))
    };
    let mut batch: Vec<runner::ReplicationOutcome> = Vec::new();
    let mut batch_run = None;
    let flush = |results: &mut [runner::RunResult],
                 run: Option<usize>,
                 batch: &mut Vec<runner::ReplicationOutcome>| {
        match run {
            Some(r) if !batch.is_empty() => results[r]
                .replications
                .append(std::mem::take(batch))
                .map_err(CliError::Shard),
            _ => Ok(()),
        }
    };
    for (i, (r, k)) in cells(&runs, replications).enumerate() {
        let from = i % n;
        let (run, o) = match readers[from].next_record() {
            Ok(Some(x)) => x,
            Ok(None) => return Err(corrupt(from, "ends early".into())),
            Err(e) => return Err(corrupt(from, e.to_string())),
        };
        if (run, o.replication) != (r, k) {
            return Err(corrupt(
                from,
                format!(
                    "holds replication {} of run {run} where replication {k} of run {r} \
                     belongs",
                    o.replication
                ),
            ));
        }
        if o.seeds != Seeds::derive(seed, u64::from(k)) {
            return Err(corrupt(
                from,
                format!("replication {k} of run {r} was not simulated with seed {seed}"),
            ));
        }
        if let Some(why) = broken(&o, results[r].run.config.features.len()) {
            return Err(corrupt(from, format!("replication {k} of run {r} {why}")));
        }
        if batch_run != Some(r) || batch.len() >= 256 {
            flush(results, batch_run, &mut batch)?;
            batch_run = Some(r);
        }
        batch.push(o);
    }
    flush(results, batch_run, &mut batch)?;
    for (k, rd) in readers.iter_mut().enumerate() {
        match rd.next_record() {
            Ok(None) => {}
            Ok(Some(_)) => return Err(corrupt(k, "holds more cells than its share".into())),
            Err(e) => return Err(corrupt(k, e.to_string())),
        }
    }
    Ok(())
}

/// What is wrong with a record that decoded (its checksum matched) but cannot be a replication
/// of a run with `features` features: counts that break conservation (R10), a session still
/// connecting after the horizon.
fn broken(o: &runner::ReplicationOutcome, features: usize) -> Option<String> {
    let counts = &o.metrics.features;
    if counts.len() != features {
        return Some(format!(
            "holds {} features where the run has {features}",
            counts.len()
        ));
    }
    counts.iter().enumerate().find_map(|(i, c)| {
        (!c.conserved() || c.connecting != 0).then(|| {
            format!(
                "breaks conservation for feature {i}: arrivals {} = accepted {} + blocked {} + \
                 failed {}, accepted = completed {} + cut {} + disrupted {} + active at end {}",
                c.arrivals,
                c.accepted,
                c.blocked,
                c.failed,
                c.completed,
                c.cut(),
                c.disrupted,
                c.active_at_end
            )
        })
    })
}
