//! `mlforge-synth N OUT_DIR`: writes a synthetic program of N steps (see the library).

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [steps, dir] = args.as_slice() else {
        eprintln!("usage: mlforge-synth N OUT_DIR\n  writes ops.mlf, more_ops.mlf and main.mlf (a pipeline of about N steps) into OUT_DIR");
        return ExitCode::from(2);
    };
    let Ok(steps) = steps.parse::<usize>() else {
        eprintln!("error: N must be a whole number of steps, not `{steps}`");
        return ExitCode::from(2);
    };
    let dir = PathBuf::from(dir);
    if let Err(e) = mlforge_synth::write_to(&dir, steps) {
        eprintln!("error: cannot write to `{}`: {e}", dir.display());
        return ExitCode::from(1);
    }
    println!(
        "wrote {} (pipeline `{}`, {} steps)",
        dir.display(),
        mlforge_synth::PIPELINE,
        mlforge_synth::step_count(steps)
    );
    ExitCode::SUCCESS
}
