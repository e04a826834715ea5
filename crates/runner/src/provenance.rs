//! Who ran what, where: user, git commit, run ids.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

/// The user running this process.
pub fn user() -> Option<String> {
    for var in ["USER", "LOGNAME", "USERNAME"] {
        if let Ok(name) = std::env::var(var) {
            if !name.is_empty() {
                return Some(name);
            }
        }
    }
    nix::unistd::User::from_uid(nix::unistd::getuid())
        .ok()
        .flatten()
        .map(|u| u.name)
}

/// A random (version 4) UUID.
pub fn uuid_v4() -> String {
    let mut bytes = [0u8; 16];
    let filled = fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .is_ok();
    if !filled {
        // Unlikely; fall back to time and pid.
        let seed = format!("{:?}{}", std::time::SystemTime::now(), std::process::id());
        let digest = mlforge_store::sha256_hex(seed.as_bytes());
        for (i, b) in bytes.iter_mut().enumerate() {
            *b = u8::from_str_radix(&digest[i * 2..i * 2 + 2], 16).unwrap_or(0);
        }
    }
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// The commit checked out in the git repository holding `start`, if any: read from
/// `.git` directly, falling back to `git rev-parse HEAD`.
pub fn git_commit(start: &Path) -> Option<String> {
    let start = if start.as_os_str().is_empty() {
        Path::new(".")
    } else {
        start
    };
    let start = start.canonicalize().ok()?;
    let mut dir: Option<&Path> = Some(&start);
    while let Some(d) = dir {
        let dot_git = d.join(".git");
        if dot_git.exists() {
            return read_head(&dot_git).or_else(|| rev_parse(d));
        }
        dir = d.parent();
    }
    None
}

fn git_dir(dot_git: &Path) -> Option<PathBuf> {
    if dot_git.is_dir() {
        return Some(dot_git.to_path_buf());
    }
    // A worktree or submodule: `gitdir: <path>`.
    let text = fs::read_to_string(dot_git).ok()?;
    let path = text.strip_prefix("gitdir:")?.trim();
    let path = Path::new(path);
    Some(if path.is_absolute() {
        path.to_path_buf()
    } else {
        dot_git.parent()?.join(path)
    })
}

fn is_commit(text: &str) -> bool {
    text.len() >= 40 && text.chars().all(|c| c.is_ascii_hexdigit())
}

fn read_head(dot_git: &Path) -> Option<String> {
    let dir = git_dir(dot_git)?;
    let head = fs::read_to_string(dir.join("HEAD")).ok()?;
    let head = head.trim();
    let Some(reference) = head.strip_prefix("ref:") else {
        return is_commit(head).then(|| head.to_string());
    };
    let reference = reference.trim();
    // Worktrees keep shared refs in the common folder.
    let common = fs::read_to_string(dir.join("commondir"))
        .ok()
        .map(|c| dir.join(c.trim()))
        .unwrap_or_else(|| dir.clone());
    for base in [&dir, &common] {
        if let Ok(text) = fs::read_to_string(base.join(reference)) {
            let text = text.trim();
            if is_commit(text) {
                return Some(text.to_string());
            }
        }
    }
    let packed = fs::read_to_string(common.join("packed-refs")).ok()?;
    packed.lines().find_map(|line| {
        let (hash, name) = line.split_once(' ')?;
        (name.trim() == reference && is_commit(hash)).then(|| hash.to_string())
    })
}

fn rev_parse(dir: &Path) -> Option<String> {
    let output = std::process::Command::new("git")
        .args(["rev-parse", "HEAD"])
        .current_dir(dir)
        .output()
        .ok()?;
    let text = String::from_utf8(output.stdout).ok()?;
    let text = text.trim();
    (output.status.success() && is_commit(text)).then(|| text.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_have_the_v4_shape() {
        let id = uuid_v4();
        assert_eq!(id.len(), 36);
        assert_eq!(&id[14..15], "4");
        assert_ne!(id, uuid_v4());
    }

    #[test]
    fn reads_a_branch_head_and_packed_refs() {
        let dir = tempfile::tempdir().unwrap();
        let git = dir.path().join(".git");
        fs::create_dir_all(git.join("refs/heads")).unwrap();
        fs::write(git.join("HEAD"), "ref: refs/heads/main\n").unwrap();
        let commit = "0123456789abcdef0123456789abcdef01234567";
        fs::write(
            git.join("packed-refs"),
            format!("# pack\n{commit} refs/heads/main\n"),
        )
        .unwrap();
        let sub = dir.path().join("a/b");
        fs::create_dir_all(&sub).unwrap();
        assert_eq!(git_commit(&sub).as_deref(), Some(commit));
        let newer = "fedcba9876543210fedcba9876543210fedcba98";
        fs::write(git.join("refs/heads/main"), format!("{newer}\n")).unwrap();
        assert_eq!(git_commit(&sub).as_deref(), Some(newer));
    }
}
