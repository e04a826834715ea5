//! `mlforge graph`: draws one pipeline as DOT, SVG (through Graphviz's `dot`) or JSON.
//!
//! The graph is drawn whenever the pipeline can be found: steps with errors are drawn and
//! marked broken, and the command still succeeds (one line on stderr says how many are
//! broken; warnings print nothing).

use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};
use mlforge_analysis::items::select_pipeline;
use mlforge_analysis::RootDatabase;
use mlforge_graph::{build, to_dot_with, to_svg, write_dot_with, DotOptions};

use crate::check::{emit_streamed, load_root};
use crate::error::{fail, CliError, CliResult};

#[derive(Args)]
pub struct GraphArgs {
    /// The .mlf file that defines the pipeline.
    file: PathBuf,
    /// The pipeline to draw; needed when the file defines more than one.
    #[arg(long, value_name = "NAME")]
    pipeline: Option<String>,
    /// What to write: Graphviz DOT, SVG (needs Graphviz's `dot` program), or the graph as
    /// JSON (nodes, edges and clusters with ids, types, source ranges and diagnostics; a
    /// range is `[start_line, start_column, end_line, end_column, start_offset, end_offset]`,
    /// and `file`, empty lists, `false` and `null` are left out; one line unless `--pretty`).
    #[arg(long, value_enum, default_value_t = GraphFormat::Dot)]
    format: GraphFormat,
    /// Write to this file instead of standard output.
    #[arg(short = 'o', long = "output", value_name = "OUT")]
    output: Option<PathBuf>,
    /// Draw this cluster (a sub-pipeline's calling step like `te`, or a block like `for#1`)
    /// as a single node. Repeat to collapse several. DOT and SVG only.
    #[arg(long, value_name = "ID")]
    collapse: Vec<String>,
    /// Indent the JSON for people to read (the default is one line, for machines, as the
    /// language server sends it).
    #[arg(long)]
    pretty: bool,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum GraphFormat {
    /// Graphviz DOT text.
    Dot,
    /// SVG, rendered by Graphviz's `dot` program.
    Svg,
    /// The graph model as JSON.
    Json,
}

pub fn run(args: &GraphArgs) -> CliResult {
    let (db, file) = load_root(&args.file)?;
    let key = select_pipeline(&db, file, args.pipeline.as_deref())?;
    let model = build(&db, key);
    if let Some(unknown) = args
        .collapse
        .iter()
        .find(|id| model.cluster(id.as_str()).is_none())
    {
        let known: Vec<String> = model
            .clusters
            .iter()
            .map(|c| format!("`{}`", c.id))
            .collect();
        if known.is_empty() {
            fail!(
                "cannot collapse `{unknown}`: the pipeline `{}` has no clusters",
                model.pipeline
            );
        }
        fail!(
            "cannot collapse `{unknown}`: the clusters of `{}` are {}",
            model.pipeline,
            known.join(", ")
        );
    }
    let options = DotOptions {
        collapse: args.collapse.clone(),
    };
    let output = args.output.as_deref();
    match args.format {
        GraphFormat::Json => emit_streamed(output, |out| {
            model.write_json(&mut *out, args.pretty)?;
            out.write_all(b"\n")
        })?,
        GraphFormat::Dot => emit_streamed(output, |out| write_dot_with(&model, &options, out))?,
        GraphFormat::Svg => {
            let svg = to_svg(&to_dot_with(&model, &options)).map_err(|e| e.to_string())?;
            write_out(output, &svg)?;
        }
    }
    let broken = model.broken_count();
    let undrawn = errors_not_drawn(&db, file, &model);
    // Exiting frees all of it: freeing the analysis and the model piece by piece first is a
    // tenth of the command's time on a big program (as in `check`).
    std::mem::forget((db, model));
    if broken > 0 {
        eprintln!(
            "note: {broken} {} errors and {} marked broken; `mlforge check {}` lists them",
            if broken == 1 {
                "part has"
            } else {
                "parts have"
            },
            if broken == 1 { "is" } else { "are" },
            args.file.display()
        );
    }
    if undrawn > 0 {
        eprintln!(
            "error: {undrawn} {} outside the steps drawn, so the graph may be incomplete; \
             `mlforge check {}` lists {}",
            if undrawn == 1 {
                "error lies"
            } else {
                "errors lie"
            },
            args.file.display(),
            if undrawn == 1 { "it" } else { "them" },
        );
        return Err(CliError::Problems);
    }
    Ok(())
}

/// The errors of the file (and what it imports) that no node or cluster of the graph
/// carries: in an op, an import, the pipeline's params or outputs.
fn errors_not_drawn(
    db: &RootDatabase,
    file: mlforge_analysis::SourceFile,
    model: &mlforge_graph::GraphModel,
) -> usize {
    let drawn: HashSet<(&str, &str)> = model
        .nodes
        .iter()
        .flat_map(|n| &n.diagnostics)
        .chain(model.clusters.iter().flat_map(|c| &c.diagnostics))
        .map(|d| (d.code.as_str(), d.message.as_str()))
        .collect();
    mlforge_analysis::check_files(db, &[file])
        .iter()
        .flat_map(|(_, diagnostics)| diagnostics)
        .filter(|d| d.severity == mlforge_analysis::Severity::Error)
        .filter(|d| !drawn.contains(&(d.code.as_str(), d.message.as_str())))
        .count()
}

fn write_out(output: Option<&Path>, bytes: &[u8]) -> Result<(), String> {
    match output {
        Some(path) => std::fs::write(path, bytes)
            .map_err(|e| format!("cannot write `{}`: {}", path.display(), e)),
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout
                .write_all(bytes)
                .and_then(|()| stdout.flush())
                .map_err(|e| format!("cannot write to standard output: {e}"))
        }
    }
}
