//! Files that are not what they seem, through the real binary: special files, folders,
//! huge files, and paths out of the project. Nothing hangs (every run has a deadline),
//! nothing is read without limit, nothing outside the project is quoted, and each refusal
//! says what the file is.

mod lsp_support;

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;

/// Runs `mlforge args` in `dir`, killed after 20 s (a hang is a failure, not a stuck test).
fn mlforge(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_mlforge"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the mlforge binary runs");
    let deadline = Instant::now() + Duration::from_secs(20);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!("`mlforge {}` hangs", args.join(" "));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

const SECRET: &str = "s3cr3t-token-value";

/// A project (it has `.git`) in a folder that also holds a file outside it.
fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("p/.git")).unwrap();
    std::fs::write(
        dir.path().join("outside.mlf"),
        format!("op leak() {{\n  python \"\"\"{SECRET}\"\"\"\n}}\n"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("p/ok.mlf"),
        "op fine() -> (y: File) {\n  shell \"\"\"touch ${y}\"\"\"\n}\n",
    )
    .unwrap();
    dir
}

#[test]
fn imports_and_bodies_outside_the_project_are_refused_and_never_quoted() {
    let dir = project();
    let p = dir.path().join("p");
    std::os::unix::fs::symlink(dir.path().join("outside.mlf"), p.join("link.mlf")).unwrap();
    let main = "import \"/proc/self/environ\" as e\nimport \"../outside.mlf\" as o\nimport \"link.mlf\" as l\nimport \"/etc/passwd\" as pw\nimport \"ok.mlf\"\nop b() -> (y: File) {\n  shell file \"/proc/self/environ\"\n}\n";
    std::fs::write(p.join("main.mlf"), main).unwrap();
    let output = mlforge(
        &p,
        &["check", "main.mlf"],
        &[("MLFORGE_TEST_SECRET", SECRET)],
    );
    let report = text(&output);
    assert_eq!(output.status.code(), Some(1), "{report}");
    assert!(!report.contains(SECRET), "{report}");
    assert!(
        !report.contains("root:"),
        "no line of /etc/passwd: {report}"
    );
    assert_eq!(report.matches("is not a .mlf file").count(), 2, "{report}");
    assert_eq!(
        report.matches("is outside the project").count(),
        3,
        "{report}"
    );
    // `ir` compiles no body it was refused.
    let output = mlforge(&p, &["ir", "main.mlf"], &[("MLFORGE_TEST_SECRET", SECRET)]);
    assert!(!text(&output).contains(SECRET));

    // A setting allows more.
    std::fs::write(p.join("main.mlf"), "import \"../outside.mlf\" as o\n").unwrap();
    let allowed = dir.path().to_str().unwrap();
    let output = mlforge(
        &p,
        &["check", "main.mlf"],
        &[("MLFORGE_ALLOW_READ", allowed)],
    );
    assert!(
        !text(&output).contains("outside the project"),
        "{}",
        text(&output)
    );
}

#[test]
fn special_files_are_named_for_what_they_are_and_never_hang() {
    let dir = project();
    let p = dir.path().join("p");
    nix::unistd::mkfifo(&p.join("x.mlf"), nix::sys::stat::Mode::S_IRWXU).unwrap();
    std::fs::create_dir(p.join("d.mlf")).unwrap();
    let big = format!(
        "// {}\n",
        "x".repeat(mlforge_analysis::MAX_FILE_SIZE as usize)
    );
    std::fs::write(p.join("big.mlf"), big).unwrap();
    let main = "import \"x.mlf\" as x\nimport \"d.mlf\" as d\nimport \"big.mlf\" as b\nimport \"/dev/zero.mlf\" as z\nop zero() -> (y: File) {\n  python file \"/dev/zero\"\n}\n";
    std::fs::write(p.join("main.mlf"), main).unwrap();
    let output = mlforge(&p, &["check", "main.mlf"], &[]);
    let report = text(&output);
    assert_eq!(output.status.code(), Some(1), "{report}");
    assert!(report.contains("is not a regular file"), "{report}");
    assert!(report.contains("is a folder, not a file"), "{report}");
    assert!(report.contains("is larger than 16 MiB"), "{report}");
    assert!(report.contains("does not exist"), "{report}");
    assert!(report.contains("is outside the project"), "{report}");

    for args in [
        &["check", "x.mlf"][..],
        &["check", "."],
        &["ir", "x.mlf"],
        &["graph", "x.mlf", "--format", "dot"],
        &["fmt", "x.mlf"],
        &["fmt", "--check", "."],
        &["run", "x.mlf"],
        &["ir", "d.mlf"],
    ] {
        let output = mlforge(&p, args, &[]);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {}", text(&output));
        let said = text(&output);
        assert!(
            ["is not a regular file", "is a folder", "is larger than"]
                .iter()
                .any(|why| said.contains(why)),
            "{args:?}: {said}"
        );
    }
    // Not UTF-8: the same refusal from every command.
    std::fs::write(p.join("l.mlf"), b"pipeline p() {\n  // caf\xe9\n}\n").unwrap();
    for command in ["check", "ir", "fmt"] {
        let output = mlforge(&p, &[command, "l.mlf"], &[]);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{command}: {}",
            text(&output)
        );
        assert!(
            text(&output).contains("is not UTF-8 text (the byte at line 2, column 9 is not)"),
            "{command}: {}",
            text(&output)
        );
    }
}

#[test]
fn the_language_server_never_hangs_on_special_files() {
    let dir = project();
    let p = dir.path().join("p");
    nix::unistd::mkfifo(&p.join("x.mlf"), nix::sys::stat::Mode::S_IRWXU).unwrap();
    let main =
        "import \"x.mlf\" as x\nimport \"/dev/zero.mlf\" as z\nimport \"../outside.mlf\" as o\n";
    std::fs::write(p.join("main.mlf"), main).unwrap();
    let mut server = lsp_support::Server::start();
    let root = format!("file://{}", p.display());
    server.request(
        "initialize",
        json!({"processId": null, "capabilities": {}, "rootUri": root, "workspaceFolders": [{"uri": root, "name": "p"}]}),
    );
    server.notify("initialized", json!({}));
    let symbols = server.request("workspace/symbol", json!({"query": "fine"}));
    assert!(symbols["result"].is_array(), "{symbols}");
    let uri = format!("{root}/main.mlf");
    server.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "mlforge", "version": 1, "text": main}}),
    );
    let diagnostics = server.diagnostics(&uri);
    let messages: Vec<&str> = diagnostics
        .iter()
        .filter_map(|d| d["message"].as_str())
        .collect();
    assert!(
        messages.iter().any(|m| m.contains("is not a regular file")),
        "{messages:?}"
    );
    assert!(
        messages
            .iter()
            .any(|m| m.contains("is outside the project")),
        "{messages:?}"
    );
    let hover = server.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": uri}, "position": {"line": 1, "character": 26}}),
    );
    assert!(hover.get("result").is_some(), "{hover}");
    server.shut_down();
}

/// A byte order mark, and old Mac line endings (`\r` alone), are read like any other file:
/// an example checks clean and compiles either way.
#[test]
fn byte_order_marks_and_lone_carriage_returns_are_read() {
    let dir = project();
    let p = dir.path().join("p");
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let source = std::fs::read_to_string(examples.join("compose.mlf")).unwrap();
    std::fs::create_dir(p.join("wine")).unwrap();
    std::fs::copy(examples.join("wine/ops.mlf"), p.join("wine/ops.mlf")).unwrap();
    for (name, variant) in [
        ("bom.mlf", format!("\u{feff}{source}")),
        ("mac.mlf", source.replace('\n', "\r")),
    ] {
        std::fs::write(p.join(name), variant).unwrap();
        let output = mlforge(&p, &["check", name], &[]);
        assert_eq!(output.status.code(), Some(0), "{name}: {}", text(&output));
        let output = mlforge(&p, &["ir", name, "--pipeline", "nightly"], &[]);
        assert_eq!(output.status.code(), Some(0), "{name}: {}", text(&output));
        let output = mlforge(&p, &["fmt", "--check", name], &[]);
        assert_ne!(output.status.code(), Some(2), "{name}: {}", text(&output));
    }
}
