//! End-to-end tests of `mlforge check` and `mlforge explain`, running the real binary.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use mlforge_analysis::Code;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn mlforge(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mlforge"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("the mlforge binary runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("output is UTF-8")
}

fn json_codes(output: &Output) -> BTreeSet<String> {
    let report: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("--format json prints JSON");
    report["diagnostics"]
        .as_array()
        .expect("a diagnostics array")
        .iter()
        .map(|d| d["code"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn the_spec_examples_check_clean() {
    let examples = root().join("examples");
    for file in [
        "quickstart.mlf",
        "compose.mlf",
        "wine/pipeline.mlf",
        "wine/ops.mlf",
    ] {
        let output = mlforge(&examples, &["check", "--format", "json", file]);
        assert_eq!(output.status.code(), Some(0), "{file}: {}", stdout(&output));
        assert!(
            json_codes(&output).is_empty(),
            "{file} has diagnostics: {}",
            stdout(&output)
        );
    }
    let output = mlforge(
        &examples,
        &["check", "quickstart.mlf", "compose.mlf", "wine"],
    );
    assert_eq!(stdout(&output), "0 errors, 0 warnings in 4 files\n");
}

#[test]
fn every_code_has_an_example_that_reports_exactly_that_code() {
    for code in Code::ALL {
        let dir = root().join("docs/diagnostics").join(code.as_str());
        let output = mlforge(&dir, &["check", "--format", "json", "bad.mlf"]);
        let expected_exit = if code.severity() == mlforge_analysis::Severity::Error {
            1
        } else {
            0
        };
        assert_eq!(
            output.status.code(),
            Some(expected_exit),
            "{code}: {}",
            stdout(&output)
        );
        assert_eq!(
            json_codes(&output),
            BTreeSet::from([code.to_string()]),
            "{code}'s bad.mlf must report exactly {code}: {}",
            stdout(&output)
        );

        let fixed = mlforge(&dir, &["check", "--format", "json", "fixed.mlf"]);
        assert_eq!(
            fixed.status.code(),
            Some(0),
            "{code} fixed.mlf: {}",
            stdout(&fixed)
        );
        assert!(
            json_codes(&fixed).is_empty(),
            "{code}'s fixed.mlf must check clean: {}",
            stdout(&fixed)
        );
    }
}

#[test]
fn reports_for_every_code_match_their_snapshots() {
    for code in Code::ALL {
        let dir = root().join("docs/diagnostics").join(code.as_str());
        let output = mlforge(&dir, &["check", "bad.mlf"]);
        insta::assert_snapshot!(format!("report_{code}"), stdout(&output));
    }
}

#[test]
fn json_output_matches_its_snapshot() {
    let dir = root().join("docs/diagnostics/E0301");
    let output = mlforge(&dir, &["check", "--format", "json", "bad.mlf"]);
    insta::assert_snapshot!("json_E0301", stdout(&output));
}

#[test]
fn errors_in_several_places_are_all_reported() {
    let dir = tempdir("several");
    std::fs::write(
        dir.join("broken.mlf"),
        "op a(x: int) -> (y: File) { python \"\"\" ${y} ${x} \"\"\" }\n\
         pipeline p() {\n  step s1 = a(x: )\n  step s2 = nope(x: 1)\n  step s3 = a(x: \"text\")\n}\n",
    )
    .unwrap();
    let output = mlforge(&dir, &["check", "--format", "json", "broken.mlf"]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        json_codes(&output),
        BTreeSet::from([
            "E0101".to_string(),
            "E0203".to_string(),
            "E0401".to_string()
        ])
    );
}

#[test]
fn explain_prints_a_page_for_every_code() {
    for code in Code::ALL {
        let output = mlforge(&root(), &["explain", code.as_str()]);
        assert_eq!(output.status.code(), Some(0));
        let page = stdout(&output);
        assert!(
            page.starts_with(&format!("# {code}: {}", code.title())),
            "{page}"
        );
        assert!(page.contains("## Example") && page.contains("## Fixed"));
    }
    let listing = stdout(&mlforge(&root(), &["explain"]));
    assert_eq!(listing.lines().count(), Code::ALL.len());
}

#[test]
fn bad_usage_and_unreadable_input_exit_2() {
    let missing = mlforge(&root(), &["check", "no/such/file.mlf"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no/such/file.mlf"));

    let empty = tempdir("empty");
    assert_eq!(mlforge(&empty, &["check", "."]).status.code(), Some(2));
    assert_eq!(
        mlforge(&root(), &["explain", "E9999"]).status.code(),
        Some(2)
    );
    assert_eq!(
        mlforge(&root(), &["check", "--format", "yaml"])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(mlforge(&root(), &["frobnicate"]).status.code(), Some(2));
}

#[test]
fn junk_gets_diagnostics_and_binary_junk_a_refusal_not_a_crash() {
    let dir = tempdir("junk");
    let junk: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    std::fs::write(dir.join("junk.mlf"), &junk).unwrap();
    let output = mlforge(&dir, &["check", "junk.mlf"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("is not UTF-8 text"), "{stderr}");
    // Text junk is read, and gets diagnostics.
    let text: String = junk.iter().map(|&b| char::from(b)).collect();
    std::fs::write(dir.join("junk.mlf"), text).unwrap();
    let output = mlforge(&dir, &["check", "junk.mlf"]);
    assert_eq!(
        output.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

fn tempdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mlforge-cli-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn the_projects_own_folders_pass_its_own_checks() {
    // `examples/` as users run it, and the whole repository: what is broken or unformatted
    // on purpose is excluded by the root's mlforge.toml (add new fixtures there).
    for args in [
        &["check", "examples"][..],
        &["fmt", "--check", "examples"],
        &["check"],
        &["fmt", "--check"],
    ] {
        let output = mlforge(&root(), args);
        assert_eq!(
            output.status.code(),
            Some(0),
            "`mlforge {}` at the repository's root:\n{}{}",
            args.join(" "),
            stdout(&output),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}
