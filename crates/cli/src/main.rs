//! The `mlforge` command: a thin shell that turns flags into calls to the layers below and
//! their results into text, JSON and exit codes (0 clean, 1 problems found, 2 bad usage or
//! unreadable input).

mod check;
mod diff;
mod error;
mod explain;
mod export;
mod fmt;
mod get;
mod git;
mod graph;
mod history;
mod init;
mod install;
mod ir;
mod lineage;
mod lsp;
mod metrics;
mod plan;
mod report;
mod run;
mod run_events;
mod runs;
mod semantic_diff;
mod settings;
mod stdlib;
mod upkeep;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand, ValueEnum};

/// The checker allocates a small node per name, span and type; mimalloc serves those about
/// twice as fast as glibc's malloc (a quarter of a 5,000-step check was spent in malloc).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "mlforge",
    version,
    about = "Write, check, run and review ML pipelines written in the MLForge language (.mlf)."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check .mlf files for errors and warnings.
    Check {
        /// Files or folders to check (folders are searched for .mlf files). Defaults to the current folder.
        paths: Vec<PathBuf>,
        /// How to print diagnostics.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Export a pipeline to an orchestrator: an Airflow DAG, a Kubeflow Pipelines spec or an
    /// Argo Workflow. What the target cannot express is printed as a warning.
    Export(export::ExportArgs),
    /// Compile a pipeline to the IR (JSON) that every back end consumes.
    Ir {
        /// The .mlf file that defines the pipeline.
        #[arg(required_unless_present = "schema")]
        file: Option<PathBuf>,
        /// The pipeline to compile; needed when the file defines several.
        #[arg(long)]
        pipeline: Option<String>,
        /// Write the IR to this file instead of standard output.
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// Print the IR's JSON Schema instead.
        #[arg(long, conflicts_with_all = ["pipeline", "output"])]
        schema: bool,
        /// Indent the JSON for people to read (the default is one line, for machines).
        #[arg(long)]
        pretty: bool,
    },
    /// Draw a pipeline's graph as Graphviz DOT, SVG (needs Graphviz's `dot`) or JSON. Steps with
    /// errors are drawn and marked broken.
    Graph(graph::GraphArgs),
    /// Rewrite .mlf files in the canonical layout (comments kept), or check that they are in it.
    Fmt {
        /// Files or folders (folders are searched for .mlf files); `-` reads standard input and
        /// writes standard output. Defaults to the current folder.
        paths: Vec<PathBuf>,
        /// Change nothing: list the files that would change (`would reformat PATH`) and exit with
        /// 1 if there are any.
        #[arg(long)]
        check: bool,
        /// Change nothing: print what would change as a unified diff (for `git apply`), and
        /// exit with 1 if anything would.
        #[arg(long)]
        diff: bool,
    },
    /// What a change does to a pipeline: steps added, removed, changed or renamed, ops, params,
    /// edges and blocks, and the steps that will re-run. Compares two files, or files with a
    /// git revision (--git REV). Exit 0 for no semantic change, 1 for changes, 2 for errors.
    Diff(semantic_diff::DiffArgs),
    /// Run a pipeline locally: steps in parallel, cached by content, recorded in the lineage
    /// store (.mlforge/). Exit 0 when it succeeded, 1 when a step failed or it was cancelled
    /// (or the mirror asked for with --mlflow failed).
    Run(run::RunArgs),
    /// Say what `mlforge run` would do, without running: each step cached, will run (and why),
    /// or waiting on a result not yet known.
    Plan(plan::PlanArgs),
    /// List recorded runs, latest first; `runs diff A B` compares two runs step by step;
    /// `runs mirror RUN --mlflow URI` copies a run to MLflow.
    Runs(runs::RunsCli),
    /// Show one run: its params, steps, outputs and metrics.
    Show(runs::ShowArgs),
    /// Print the log of a step of a run.
    Logs(runs::LogsArgs),
    /// Show the metrics of runs side by side (STEP.OUTPUT.NAME; nested names joined by `.`).
    Metrics(metrics::MetricsArgs),
    /// Copy one output of a recorded run out of the store (RUN/STEP.OUTPUT, like
    /// `latest/fit.model`): a file, a folder, or a value as text. Never replaces a path
    /// without --force.
    Get(get::GetArgs),
    /// Show what produced an artifact (or, with --downstream, everything that used it) as a
    /// tree, JSON or DOT; `lineage export --openlineage RUN` writes OpenLineage events.
    Lineage(lineage::LineageArgs),
    /// Look after the store: `store verify [--repair]` finds damaged artifacts, `store gc
    /// [--delete]` what no recorded run needs.
    Store(upkeep::StoreCli),
    /// Start the language server (LSP over standard input and output) for editors.
    Lsp(lsp::LspArgs),
    /// Explain a diagnostic code, with an example and its fix. Without a code, list every code.
    Explain {
        /// A code like E0401.
        code: Option<String>,
    },
    /// List the modules of the op library that ships inside mlforge (`import "std/NAME"`),
    /// a line each; with MODULE, print its documentation: each op's signature, requirements,
    /// doc comment and example.
    Std {
        /// A module, like `sklearn` (or `std/sklearn`).
        module: Option<String>,
    },
    /// Start a project: mlforge.toml, a first pipeline (main.mlf), a .gitignore for .mlforge/
    /// and VS Code settings. Never overwrites a file.
    Init(init::InitArgs),
    /// Print a shell completion script (bash, zsh or fish) on standard output.
    Completions(install::CompletionsArgs),
    /// Print the manual page, or with --dir write one page per command.
    Man(install::ManArgs),
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Format {
    /// Reports for people, in colour on a terminal (NO_COLOR turns colour off).
    Text,
    /// One JSON document for machines.
    Json,
}

/// Rust ignores SIGPIPE, so printing to a pipe whose reader has gone (`mlforge plan | head`)
/// panics. Commands that only read and print take the signal's default action instead, as
/// `cat` and `grep` do: they end quietly. Not `run` and `lsp`, which have a run to record or
/// a session to end when their reader goes away.
#[allow(unsafe_code)]
fn end_quietly_on_closed_pipe() {
    use nix::sys::signal::{signal, SigHandler, Signal};
    // SAFETY: restores a signal's default action, in `main` before any other thread starts.
    let _ = unsafe { signal(Signal::SIGPIPE, SigHandler::SigDfl) };
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    if !matches!(cli.command, Command::Run(_) | Command::Lsp(_)) {
        end_quietly_on_closed_pipe();
    }
    // A broken mlforge.toml is reported before any command that reads it runs.
    if matches!(
        cli.command,
        Command::Check { .. }
            | Command::Fmt { .. }
            | Command::Run(_)
            | Command::Plan(_)
            | Command::Runs(_)
            | Command::Show(_)
            | Command::Logs(_)
            | Command::Get(_)
            | Command::Metrics(_)
            | Command::Lineage(_)
            | Command::Store(_)
            | Command::Export(_)
    ) {
        if let Err(message) = settings::project() {
            eprintln!("error: {message}");
            return ExitCode::from(2);
        }
    }
    let result = match cli.command {
        Command::Check { paths, format } => check::run(&paths, format),
        Command::Explain { code } => explain::run(code.as_deref()),
        Command::Std { module } => stdlib::run(module.as_deref()),
        Command::Init(args) => init::run(&args),
        Command::Completions(args) => install::completions(&args, Cli::command()),
        Command::Man(args) => install::man(&args, Cli::command()),
        Command::Lsp(args) => lsp::run(&args),
        Command::Fmt { paths, check, diff } => fmt::run(&paths, fmt::Mode::of(check, diff)),
        Command::Graph(args) => graph::run(&args),
        Command::Diff(args) => semantic_diff::run(&args),
        Command::Run(args) => run::run(&args),
        Command::Plan(args) => plan::run(&args),
        Command::Runs(args) => runs::run(&args),
        Command::Lineage(args) => lineage::run(&args),
        Command::Show(args) => runs::show(&args),
        Command::Logs(args) => runs::logs(&args),
        Command::Get(args) => get::run(&args),
        Command::Metrics(args) => metrics::run(&args),
        Command::Store(args) => upkeep::run(&args),
        Command::Export(args) => export::run(&args),
        Command::Ir {
            file,
            pipeline,
            output,
            schema,
            pretty,
        } => ir::run(
            file.as_deref(),
            pipeline.as_deref(),
            output.as_deref(),
            schema,
            pretty,
        ),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if let error::CliError::Failed(message) = &e {
                eprintln!("error: {message}");
            }
            ExitCode::from(e.exit_code())
        }
    }
}
