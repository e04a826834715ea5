//! `mlforge store verify [--repair]` and `mlforge store gc [--delete]`: flags and printing
//! over `mlforge_store`'s upkeep (what is checked and what is kept is decided there).

use std::path::PathBuf;

use clap::{Args, Subcommand};
use mlforge_store::Verification;

use crate::error::{CliError, CliResult};
use crate::history::open;

#[derive(Args)]
pub struct StoreCli {
    #[command(subcommand)]
    pub command: StoreCommand,
}

#[derive(Subcommand)]
pub enum StoreCommand {
    /// Hash every stored artifact and report each whose bytes no longer match its name, with
    /// the outputs that recorded it. Exit 1 when one is damaged and left in place.
    Verify {
        /// Move damaged artifacts to DIR/damaged/ (the next run produces them again), and seal
        /// again sound ones whose read-only mode or time was changed.
        #[arg(long)]
        repair: bool,
        /// The store folder.
        #[arg(long, value_name = "DIR", default_value_os_t = crate::settings::default_store())]
        store: PathBuf,
    },
    /// Report what the store holds that no recorded run needs: artifacts no run recorded,
    /// stale temporaries, trash, and work folders of runs that are not running. Everything a
    /// recorded run references is kept. Changes nothing unless --delete is given.
    Gc {
        /// Remove what is reported.
        #[arg(long)]
        delete: bool,
        /// The store folder.
        #[arg(long, value_name = "DIR", default_value_os_t = crate::settings::default_store())]
        store: PathBuf,
    },
}

pub fn run(args: &StoreCli) -> CliResult {
    match &args.command {
        StoreCommand::Verify { repair, store } => verify(store, *repair),
        StoreCommand::Gc { delete, store } => gc(store, *delete),
    }
}

fn verify(dir: &std::path::Path, repair: bool) -> CliResult {
    let store = open(dir)?;
    let report = store
        .verify(repair)
        .map_err(|e| CliError::Failed(format!("cannot verify `{}`: {e}", dir.display())))?;
    print_verification(&report);
    if !report.damaged.is_empty() && !repair {
        return Err(CliError::Problems);
    }
    Ok(())
}

fn print_verification(report: &Verification) {
    for damaged in &report.damaged {
        println!("damaged: {}", damaged.path.display());
        if damaged.recorded_as.is_empty() {
            println!("  recorded by no run");
        } else {
            println!("  recorded as {}", damaged.recorded_as.join(", "));
        }
        println!("  its bytes hash to {}, not to its name", damaged.actual);
        if let Some(moved) = &damaged.moved_to {
            println!("  moved to {}", moved.display());
        }
    }
    for stray in &report.strays {
        println!("not an artifact (left alone): {}", stray.display());
    }
    let objects = plural(report.objects, "artifact");
    match (report.damaged.len(), report.damaged.first()) {
        (0, _) => println!("checked {objects}: all sound"),
        (n, Some(first)) if first.moved_to.is_some() => println!(
            "checked {objects}: {} moved aside; the next run produces {} again",
            plural(n, "damaged artifact"),
            if n == 1 { "it" } else { "them" }
        ),
        (n, _) => println!(
            "checked {objects}: {} (runs do not use {}; `mlforge store verify --repair` moves {} aside so the next run produces {} again)",
            plural(n, "damaged artifact"),
            if n == 1 { "it" } else { "them" },
            if n == 1 { "it" } else { "them" },
            if n == 1 { "it" } else { "them" },
        ),
    }
    if report.resealed > 0 {
        println!(
            "sealed again: {} whose mode or time had changed (their bytes were sound)",
            plural(report.resealed, "artifact")
        );
    }
}

fn gc(dir: &std::path::Path, delete: bool) -> CliResult {
    let store = open(dir)?;
    let garbage = store
        .gc(delete)
        .map_err(|e| CliError::Failed(format!("cannot collect `{}`: {e}", dir.display())))?;
    for item in &garbage {
        println!(
            "{} {} ({})",
            item.what.label(),
            item.path.display(),
            size(item.bytes)
        );
    }
    let total = size(garbage.iter().map(|g| g.bytes).sum());
    if garbage.is_empty() {
        println!("nothing to collect: every stored artifact is recorded by a run");
    } else if delete {
        println!("removed {}, {total}", plural(garbage.len(), "entry"));
    } else {
        println!(
            "would remove {}, {total}; nothing was changed (`mlforge store gc --delete` removes them)",
            plural(garbage.len(), "entry")
        );
    }
    Ok(())
}

fn plural(n: usize, noun: &str) -> String {
    match (n, noun.strip_suffix('y')) {
        (1, _) => format!("1 {noun}"),
        (_, Some(stem)) => format!("{n} {stem}ies"),
        _ => format!("{n} {noun}s"),
    }
}

fn size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}
