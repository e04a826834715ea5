//! The minimum Rust version the workspace states (`rust-version` in Cargo.toml, and the
//! README's set-up section) is the highest any locked dependency declares: stating less
//! makes older toolchains fail on a dependency instead of with cargo's clear message.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `1.89` and `1.89.0` are the same version.
fn version(text: &str) -> (u64, u64, u64) {
    let mut parts = text.split('.').map(|p| {
        p.parse::<u64>()
            .unwrap_or_else(|_| panic!("`{text}` is not a Rust version"))
    });
    let major = parts.next().unwrap_or(0);
    let minor = parts.next().unwrap_or(0);
    let patch = parts.next().unwrap_or(0);
    (major, minor, patch)
}

fn show((major, minor, patch): (u64, u64, u64)) -> String {
    if patch == 0 {
        format!("{major}.{minor}")
    } else {
        format!("{major}.{minor}.{patch}")
    }
}

/// The host's target triple: the locked packages built here are those for this platform
/// (the others, e.g. Windows-only crates, are never downloaded, so `--offline` needs it).
fn host() -> String {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let output = Command::new(rustc).arg("-vV").output().expect("rustc runs");
    String::from_utf8(output.stdout)
        .expect("rustc prints UTF-8")
        .lines()
        .find_map(|l| l.strip_prefix("host: "))
        .expect("rustc -vV names the host")
        .to_string()
}

#[test]
fn rust_version_is_the_highest_that_a_locked_dependency_declares() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let output = Command::new(cargo)
        .args(["metadata", "--locked", "--offline", "--format-version", "1"])
        .args(["--filter-platform", &host()])
        .current_dir(root())
        .output()
        .expect("cargo metadata runs");
    assert!(
        output.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let metadata: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let members: Vec<&str> = metadata["workspace_members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap())
        .collect();
    let mut ours = None;
    let mut needed = ((0, 0, 0), String::new());
    for package in metadata["packages"].as_array().unwrap() {
        let Some(declared) = package["rust_version"].as_str() else {
            continue;
        };
        let declared = version(declared);
        let id = package["id"].as_str().unwrap();
        if members.contains(&id) {
            assert!(
                ours.is_none_or(|v| v == declared),
                "the workspace's crates state different rust-versions"
            );
            ours = Some(declared);
        } else if declared > needed.0 {
            needed = (
                declared,
                format!("{} {}", package["name"], package["version"]),
            );
        }
    }
    let ours = ours.expect("the workspace states a rust-version");
    assert_eq!(
        show(ours),
        show(needed.0),
        "Cargo.toml's rust-version must be the highest a locked dependency needs ({} needs {})",
        needed.1,
        show(needed.0)
    );
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let stated = format!("Rust {} or newer", show(ours));
    assert!(
        readme.contains(&stated),
        "README.md must say `{stated}` in its set-up section"
    );
}
