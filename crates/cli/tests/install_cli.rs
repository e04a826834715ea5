//! `mlforge completions` and `mlforge man`, from the real binary.

use std::process::{Command, Output};

fn mlforge(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mlforge"))
        .args(args)
        .output()
        .expect("the mlforge binary runs")
}

fn stdout(output: &Output) -> String {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone()).unwrap()
}

#[test]
fn completions_name_the_commands_in_each_shell() {
    let bash = stdout(&mlforge(&["completions", "bash"]));
    assert!(bash.contains("complete -F _mlforge"), "{bash}");
    let zsh = stdout(&mlforge(&["completions", "zsh"]));
    assert!(zsh.starts_with("#compdef mlforge"), "{zsh}");
    let fish = stdout(&mlforge(&["completions", "fish"]));
    assert!(fish.contains("complete -c mlforge"), "{fish}");
    for script in [&bash, &zsh, &fish] {
        for command in ["check", "run", "init", "lineage", "completions"] {
            assert!(
                script.contains(command),
                "`{command}` missing from a script"
            );
        }
    }
    // The bash script is one bash reads.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mlforge.bash");
    std::fs::write(&path, &bash).unwrap();
    if let Ok(status) = Command::new("bash").arg("-n").arg(&path).status() {
        assert!(status.success(), "bash -n rejects the completion script");
    }
}

#[test]
fn an_unknown_shell_is_bad_usage() {
    let output = mlforge(&["completions", "tcsh"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("bash"));
}

#[test]
fn man_prints_the_main_page_and_writes_one_page_per_command() {
    let page = stdout(&mlforge(&["man"]));
    assert!(page.contains(".TH mlforge 1"), "{page}");
    assert!(page.contains("run"), "the page lists the commands: {page}");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("man1");
    stdout(&mlforge(&["man", "--dir", out.to_str().unwrap()]));
    for name in [
        "mlforge.1",
        "mlforge-run.1",
        "mlforge-runs-diff.1",
        "mlforge-init.1",
    ] {
        let text = std::fs::read_to_string(out.join(name))
            .unwrap_or_else(|e| panic!("{name} was not written: {e}"));
        assert!(text.contains(".TH"), "{name} is not a manual page");
    }
}
