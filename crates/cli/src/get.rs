//! `mlforge get RUN/STEP.OUTPUT [-o PATH]`: one output of a recorded run copied out of the
//! store (a file, a folder, or a value as text), never over an existing path unless
//! `--force` says so.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;
use mlforge_store::{OutputAddress, OutputLookup, TargetError};

use crate::error::{fail, CliResult};
use crate::history::{find_run, open};

#[derive(Args)]
pub struct GetArgs {
    /// The output: RUN/STEP.OUTPUT, like `latest/fit.model` or `3/fitted[1].model`.
    pub output: String,
    /// Where to write it (default: the output's name, in the current folder); `-` writes a
    /// file or a value to standard output.
    #[arg(short = 'o', long = "output", value_name = "PATH")]
    pub path: Option<PathBuf>,
    /// Replace PATH if it exists.
    #[arg(long)]
    pub force: bool,
    /// The store folder.
    #[arg(long, value_name = "DIR", default_value_os_t = crate::settings::default_store())]
    pub store: PathBuf,
}

pub fn run(args: &GetArgs) -> CliResult {
    let Some(address) = OutputAddress::parse(&args.output) else {
        fail!("{}", TargetError::NotAnOutput(args.output.clone()));
    };
    let store = open(&args.store)?;
    let run = find_run(&store, &address.run)?;
    let instance = address.instance_name();
    let lookup =
        store
            .lineage
            .find_output(run.id, &address.step, &address.element, &address.output)?;
    let dest = args
        .path
        .clone()
        .unwrap_or_else(|| PathBuf::from(&address.output));
    let to_stdout = dest.as_os_str() == "-";
    let hash = match lookup {
        OutputLookup::Artifact { hash, .. } => hash,
        OutputLookup::Value(value) => {
            let text = match &value {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            if to_stdout {
                println!("{text}");
                return Ok(());
            }
            if dest.exists() && !args.force {
                fail!("`{}` exists; add --force to replace it, or choose another path with -o", dest.display());
            }
            std::fs::write(&dest, text + "\n")
                .map_err(|e| format!("cannot write `{}`: {e}", dest.display()))?;
            eprintln!("wrote the value of `{instance}.{}` (run {}) to {}", address.output, run.id, dest.display());
            return Ok(());
        }
        OutputLookup::NoOutputs => fail!(
            "`{instance}` did not succeed in run {}, so it has no outputs; `mlforge show {}` shows what happened",
            run.id,
            run.id
        ),
        OutputLookup::NoStep { steps } => fail!(
            "run {} (pipeline `{}`) has no step `{instance}`; its steps are {}",
            run.id,
            run.pipeline,
            steps.join(", ")
        ),
        OutputLookup::NoOutput { outputs } => fail!(
            "`{instance}` in run {} has no output `{}`; its outputs are {}",
            run.id,
            address.output,
            outputs.join(", ")
        ),
    };
    let Some(record) = store.lineage.artifact(&hash)? else {
        fail!("artifact {hash} is recorded as an output but not described in the store");
    };
    if to_stdout {
        if record.kind == mlforge_store::ArtifactKind::Dir {
            fail!(
                "`{}` is a folder, which cannot go to standard output; name a path with -o",
                args.output
            );
        }
        match store.artifacts.check(&hash, record.kind) {
            Ok(mlforge_store::Health::Sound) => {}
            Ok(mlforge_store::Health::Missing) => fail!(
                "the artifact of `{}` ({hash}) is no longer in the store",
                args.output
            ),
            Ok(mlforge_store::Health::Damaged { actual }) => {
                fail!("{}", store.artifacts.damaged(&hash, &actual))
            }
            Err(e) => fail!("cannot read artifact {hash}: {e}"),
        }
        let bytes = std::fs::read(store.artifacts.path_of(&hash))
            .map_err(|e| format!("cannot read artifact {hash}: {e}"))?;
        let _ = std::io::stdout().write_all(&bytes);
        return Ok(());
    }
    match store
        .artifacts
        .export(&hash, record.kind, &dest, args.force)
    {
        Ok(()) => {
            let what = match record.kind {
                mlforge_store::ArtifactKind::File => "file",
                mlforge_store::ArtifactKind::Dir => "folder",
            };
            eprintln!(
                "copied `{instance}.{}` of run {} ({what}, {} bytes) to {}",
                address.output,
                run.id,
                record.size,
                dest.display()
            );
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => fail!(
            "`{}` exists; add --force to replace it, or choose another path with -o",
            dest.display()
        ),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => fail!(
            "the artifact of `{}` ({hash}) is no longer in the store",
            args.output
        ),
        Err(e) => fail!("cannot copy `{}` to `{}`: {e}", args.output, dest.display()),
    }
}
