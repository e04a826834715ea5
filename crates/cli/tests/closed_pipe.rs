//! A command whose reader goes away (`mlforge plan | head`) ends quietly, as `cat` does,
//! instead of panicking on the failed write.

use std::io::Read;
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Stdio};

#[test]
fn printing_commands_end_quietly_when_the_reader_has_gone() {
    let dir = tempfile::tempdir().unwrap();
    mlforge_synth::write_to(dir.path(), 2_000).unwrap();
    let main = dir.path().join("main.mlf");
    let main = main.to_str().unwrap();
    for args in [
        vec!["plan", main, "--format", "json"],
        vec!["ir", main, "--pretty"],
        vec!["graph", main, "--format", "json"],
    ] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_mlforge"))
            .args(&args)
            .current_dir(dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Read a little, then go away: the rest of the (megabytes of) output meets a
        // closed pipe.
        let mut stdout = child.stdout.take().unwrap();
        let mut first = [0u8; 16];
        stdout.read_exact(&mut first).unwrap();
        drop(stdout);
        let mut stderr = String::new();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut stderr)
            .unwrap();
        let status = child.wait().unwrap();
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert!(
            status.signal() == Some(nix::libc::SIGPIPE) || status.success(),
            "{args:?}: {status:?}: {stderr}"
        );
    }
}
