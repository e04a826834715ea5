//! `mlforge-synth N OUT_DIR [--changed]`: writes a synthetic program of N steps (see the
//! library); with `--changed`, the same program changed in ten places (`mlforge diff`'s
//! benchmark compares the two); with `--structured`, the second-edition program (records,
//! dicts and zip) as `structured.mlf`.

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let changed = args.iter().any(|a| a == "--changed");
    let structured = args.iter().any(|a| a == "--structured");
    args.retain(|a| a != "--changed" && a != "--structured");
    let [steps, dir] = args.as_slice() else {
        eprintln!("usage: mlforge-synth N OUT_DIR [--changed | --structured]\n  writes ops.mlf, more_ops.mlf and main.mlf (a pipeline of about N steps) into OUT_DIR;\n  --changed: the same program changed in ten places;\n  --structured: structured.mlf, a pipeline of about N steps with records, dicts and zip");
        return ExitCode::from(2);
    };
    let Ok(steps) = steps.parse::<usize>() else {
        eprintln!("error: N must be a whole number of steps, not `{steps}`");
        return ExitCode::from(2);
    };
    let dir = PathBuf::from(dir);
    let written = if structured {
        std::fs::create_dir_all(&dir).and_then(|()| {
            mlforge_synth::generate_structured(steps)
                .into_iter()
                .try_for_each(|(path, text)| std::fs::write(dir.join(path), text))
        })
    } else if changed {
        std::fs::create_dir_all(&dir).and_then(|()| {
            mlforge_synth::changed(steps)
                .into_iter()
                .try_for_each(|(path, text)| std::fs::write(dir.join(path), text))
        })
    } else {
        mlforge_synth::write_to(&dir, steps)
    };
    if let Err(e) = written {
        eprintln!("error: cannot write to `{}`: {e}", dir.display());
        return ExitCode::from(1);
    }
    println!(
        "wrote {} (pipeline `{}`, {} steps)",
        dir.display(),
        if structured {
            mlforge_synth::STRUCTURED_PIPELINE
        } else {
            mlforge_synth::PIPELINE
        },
        mlforge_synth::step_count(steps)
    );
    ExitCode::SUCCESS
}
