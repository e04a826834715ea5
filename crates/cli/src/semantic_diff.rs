//! `mlforge diff`: what a change does to a pipeline. Loads and compiles both versions (two
//! files; a file at a git revision through `git.rs`; or the files git hands an external
//! diff driver), asks `mlforge_diff` to compare them, and prints the result. Exit 0 for no
//! semantic change, 1 for changes, 2 for errors; as a git driver always 0, since git stops
//! at an external diff that fails.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::{Args, ValueEnum};
use mlforge_analysis::items::pipeline_names;
use mlforge_analysis::{Db, DiskLoader, FileLoader, LoadError, RootDatabase};
use mlforge_diff::{compare, Comparison, Review};
use mlforge_ir::{CompileError, Program};

use crate::check::print_problems;
use crate::error::{fail, CliError, CliResult};
use crate::git::{check_revision, mlf_files, toplevel, GitLoader, OverlayLoader};

#[derive(Args)]
pub struct DiffArgs {
    /// OLD and NEW .mlf files; with --git, the files to compare with the revision (default:
    /// every .mlf file of the repository, since a change to an imported file changes the
    /// files importing it); with --git-external, git's seven (or nine) arguments.
    #[arg(value_name = "FILE")]
    files: Vec<PathBuf>,
    /// Compare the working tree's files with the same files at this git revision (imports
    /// read at the same revision).
    #[arg(long, value_name = "REV", conflicts_with = "git_external")]
    git: Option<String>,
    /// With --git: compare with this revision instead of the working tree.
    #[arg(long, value_name = "REV2", requires = "git")]
    to: Option<String>,
    /// Compare only this pipeline (default: every pipeline of the files).
    #[arg(long, value_name = "NAME")]
    pipeline: Option<String>,
    /// How to print: text (coloured on a terminal), md (a pull-request comment with a
    /// Mermaid graph), json (schemas/diff.schema.json), dot or svg (the merged graph).
    #[arg(long, value_enum, default_value_t = DiffFormat::Text)]
    format: DiffFormat,
    /// Write to this file instead of standard output.
    #[arg(short = 'o', long = "output", value_name = "OUT")]
    output: Option<PathBuf>,
    /// Run as git's external diff driver: FILE is `path old-file old-hex old-mode new-file
    /// new-hex new-mode`. Exits 0 when it could compare (git stops otherwise).
    #[arg(long)]
    git_external: bool,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum DiffFormat {
    Text,
    Md,
    Json,
    Dot,
    Svg,
}

/// One version of one file: where the database finds it, and what it says about it.
struct Side {
    loader: Arc<dyn FileLoader>,
    path: PathBuf,
    /// How the messages name this version.
    name: String,
}

pub fn run(args: &DiffArgs) -> CliResult {
    let (pairs, root) = if args.git_external {
        // git runs the driver at the top of the work tree, and `path` is relative to it.
        (external_pair(&args.files)?, std::env::current_dir().ok())
    } else if let Some(rev) = &args.git {
        let (pairs, root) = git_pairs(rev, args.to.as_deref(), &args.files)?;
        (pairs, Some(root))
    } else {
        let [old, new] = args.files.as_slice() else {
            fail!("name two files, OLD and NEW (or compare with a git revision: `mlforge diff --git HEAD FILE`)");
        };
        let side = |path: &Path, name: &str| Side {
            loader: Arc::new(DiskLoader),
            path: path.to_path_buf(),
            name: format!("{name} `{}`", path.display()),
        };
        (
            vec![(
                Some(side(old, "the old file")),
                Some(side(new, "the new file")),
            )],
            None,
        )
    };
    // `--git REV` alone compares every .mlf file of the repository, named by no one.
    let implicit = args.git.is_some() && args.files.is_empty();
    let mut comparisons = Vec::new();
    let mut skipped = Vec::new();
    for (old, new) in &pairs {
        // The two versions are checked and compiled at the same time, one per core.
        let only = args.pipeline.as_deref();
        let (old_programs, new_programs) = std::thread::scope(|s| {
            let old = s.spawn(|| programs(old.as_ref(), only, !implicit));
            let new = programs(new.as_ref(), only, !implicit);
            (old.join().expect("compiling does not panic"), new)
        });
        match (old_programs, new_programs) {
            (Ok(a), Ok(b)) => comparisons.extend(paired(&a, &b)),
            // Broken before and after (an example of an error, a file being written): not
            // this change's doing, and nothing to compare.
            (Err(_), Err(_)) if implicit => {
                let side = new.as_ref().or(old.as_ref()).expect("one side exists");
                skipped.push(side.path.clone());
            }
            (Err(e), _) | (_, Err(e)) => return Err(e),
        }
    }
    if !skipped.is_empty() {
        let root = root.as_deref().unwrap_or(Path::new(""));
        let names: Vec<String> = skipped
            .iter()
            .take(5)
            .map(|p| format!("`{}`", p.strip_prefix(root).unwrap_or(p).display()))
            .collect();
        let more = skipped.len().saturating_sub(names.len());
        eprintln!(
            "note: skipped {} {} with errors in both versions: {}{}",
            skipped.len(),
            if skipped.len() == 1 { "file" } else { "files" },
            names.join(", "),
            if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            }
        );
    }
    if comparisons.is_empty() {
        match &args.pipeline {
            Some(name) => fail!("no version of the files compared defines a pipeline `{name}`"),
            // `--git REV` alone compares every .mlf file; many define no pipeline.
            None if args.git.is_some() && args.files.is_empty() => {}
            None => fail!("the files compared define no pipeline"),
        }
    }
    let mut review = Review::new(comparisons);
    if let Some(root) = root {
        review.relative_to(&root.to_string_lossy());
    }
    let bytes = match args.format {
        DiffFormat::Text => review
            .to_text(args.output.is_none() && crate::report::use_color())
            .into_bytes(),
        DiffFormat::Md => review.to_markdown().into_bytes(),
        DiffFormat::Json => review.to_json().into_bytes(),
        DiffFormat::Dot => review.to_dot().into_bytes(),
        DiffFormat::Svg => mlforge_graph::to_svg(&review.to_dot()).map_err(|e| e.to_string())?,
    };
    match &args.output {
        Some(path) => std::fs::write(path, &bytes)
            .map_err(|e| format!("cannot write `{}`: {e}", path.display()))?,
        None => {
            use std::io::Write;
            let mut stdout = std::io::stdout().lock();
            stdout
                .write_all(&bytes)
                .and_then(|()| stdout.flush())
                .map_err(|e| format!("cannot write to standard output: {e}"))?;
        }
    }
    if review.report.changed && !args.git_external {
        Err(CliError::Problems)
    } else {
        Ok(())
    }
}

/// The compiled pipelines of one version of a file (none when the file does not exist in
/// that version), or why they cannot be compiled.
/// `report`: print the diagnostics when the file has errors.
fn programs(
    side: Option<&Side>,
    only: Option<&str>,
    report: bool,
) -> Result<Vec<Program>, CliError> {
    let Some(side) = side else {
        return Ok(Vec::new());
    };
    let db = RootDatabase::new(side.loader.clone());
    let file = db.file(&side.path);
    if file.text(&db).is_none() {
        let why = file.problem(&db).clone().unwrap_or(LoadError::NotFound);
        fail!("cannot read {}: it {}", side.name, why.describe());
    }
    let names: Vec<String> = pipeline_names(&db, file)
        .into_iter()
        .filter(|n| only.is_none_or(|o| o == *n))
        .map(String::from)
        .collect();
    let mut programs = Vec::new();
    for name in names {
        let key = mlforge_analysis::items::ItemKey::new(&db, file, name);
        match mlforge_ir::compile(&db, key) {
            Ok(program) => programs.push(program),
            Err(CompileError::Invalid(_)) if report => {
                print_problems(&db, file);
                fail!("{} has errors (above); fix them to compare it", side.name);
            }
            Err(CompileError::Invalid(_)) => {
                fail!(
                    "{} has errors; fix them to compare it (`mlforge check` lists them)",
                    side.name
                );
            }
        }
    }
    // The process ends soon: freeing the database's memos one by one would take a good part
    // of a big program's diff, and the OS reclaims them at once (as `mlforge check` does).
    std::mem::forget(db);
    Ok(programs)
}

/// Pipelines paired by name: the new version's order, then those only in the old one.
fn paired(old: &[Program], new: &[Program]) -> Vec<Comparison> {
    let mut out: Vec<Comparison> = new
        .iter()
        .map(|b| compare(old.iter().find(|a| a.pipeline == b.pipeline), Some(b)))
        .collect();
    out.extend(
        old.iter()
            .filter(|a| !new.iter().any(|b| b.pipeline == a.pipeline))
            .map(|a| compare(Some(a), None)),
    );
    out
}

type Pair = (Option<Side>, Option<Side>);

/// Each file at `rev` against the working tree (or `to`); a file missing on one side is
/// added or removed.
fn git_pairs(
    rev: &str,
    to: Option<&str>,
    files: &[PathBuf],
) -> Result<(Vec<Pair>, PathBuf), CliError> {
    let root = toplevel()?;
    check_revision(&root, rev)?;
    if let Some(to) = to {
        check_revision(&root, to)?;
    }
    let cwd = std::env::current_dir()
        .and_then(std::fs::canonicalize)
        .map_err(|e| format!("cannot read the current folder: {e}"))?;
    let paths: Vec<PathBuf> = if files.is_empty() {
        mlf_files(&root, rev, to)?
    } else {
        files
            .iter()
            .map(|f| mlforge_analysis::normalize(&cwd.join(f)))
            .collect()
    };
    let mut pairs = Vec::new();
    for path in paths {
        if !path.starts_with(&root) {
            fail!(
                "`{}` is not in the git repository at `{}`",
                path.display(),
                root.display()
            );
        }
        let shown = path
            .strip_prefix(&root)
            .unwrap_or(&path)
            .display()
            .to_string();
        let at = |rev: &str| Side {
            loader: Arc::new(GitLoader {
                root: root.clone(),
                rev: rev.to_string(),
            }),
            path: path.clone(),
            name: format!("`{shown}` at {rev}"),
        };
        let old = at(rev);
        let new = match to {
            Some(to) => at(to),
            None => Side {
                loader: Arc::new(DiskLoader),
                path: path.clone(),
                name: format!("`{shown}` in the working tree"),
            },
        };
        let exists = |side: &Side| side.loader.load(&side.path).is_ok();
        let (old, new) = (Some(old).filter(exists), Some(new).filter(exists));
        if old.is_none() && new.is_none() {
            fail!(
                "`{shown}` exists neither at {rev} nor {}",
                to.unwrap_or("in the working tree")
            );
        }
        pairs.push((old, new));
    }
    Ok((pairs, root))
}

/// git's external diff arguments: `path old-file old-hex old-mode new-file new-hex new-mode`
/// (nine for a rename: then `new-path` and a message follow). Each version is the file git
/// gives, read as if it were at `path`; its imports are read from the working tree (git
/// does not say which revision the old file is from).
fn external_pair(files: &[PathBuf]) -> Result<Vec<Pair>, CliError> {
    let (path, old_file, new_file, new_path) = match files {
        [path, old, _, _, new, _, _] => (path, old, new, path),
        [path, old, _, _, new, _, _, new_path, _] => (path, old, new, new_path),
        _ => fail!(
            "--git-external takes the seven arguments git gives an external diff (path old-file old-hex old-mode new-file new-hex new-mode); set it up with `git config diff.mlforge.command \"mlforge diff --git-external\"`"
        ),
    };
    let cwd =
        std::env::current_dir().map_err(|e| format!("cannot read the current folder: {e}"))?;
    let side = |file: &Path, at: &Path, name: &str| -> Result<Option<Side>, CliError> {
        if file == Path::new("/dev/null") {
            return Ok(None);
        }
        let text = std::fs::read(file).map_err(|e| {
            format!(
                "cannot read `{}`, which git gave as the {name} version: {e}",
                file.display()
            )
        })?;
        let at = mlforge_analysis::normalize(&cwd.join(at));
        let text = String::from_utf8(text)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
        Ok(Some(Side {
            loader: Arc::new(OverlayLoader {
                files: HashMap::from([(at.clone(), text)]),
            }),
            path: at,
            name: format!("the {name} version of `{}`", path.display()),
        }))
    };
    Ok(vec![(
        side(old_file, path, "old")?,
        side(new_file, new_path, "new")?,
    )])
}
