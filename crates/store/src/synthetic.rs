//! A synthetic lineage for tests and benchmarks of the lineage walks.

use crate::lineage::{now_ms, NewArtifact, NewAttempt, NewRun};
use crate::{ArtifactKind, AttemptStatus, Lineage};

/// A run with `chains` chains of `length` steps: step k of chain c reads artifact
/// k - 1 of chain c (and, every 10th step, of chain c + 1) and writes artifact k. Returns
/// the artifact hashes per chain. Panics on a store error: it serves tests and benchmarks.
pub fn synthetic_chains(db: &mut Lineage, chains: usize, length: usize) -> Vec<Vec<String>> {
    let params = serde_json::json!({});
    db.begin_batch().unwrap();
    let run = db
        .write(|w| {
            w.begin_run(&NewRun {
                uuid: "gen",
                pipeline: "gen",
                file: "gen.mlf",
                file_hash: "fh",
                program_hash: "ph",
                program_json: "{}",
                params: &params,
                options: &params,
                resumed_from: None,
                started_ms: now_ms(),
                user: None,
                host: None,
                pid: None,
                git_commit: None,
            })
        })
        .unwrap();
    let hash = |c: usize, k: usize| crate::sha256_hex(format!("{c}/{k}").as_bytes());
    let mut all = vec![Vec::new(); chains];
    for k in 0..length {
        for (c, chain) in all.iter_mut().enumerate() {
            let h = hash(c, k);
            db.write(|w| {
                let step = format!("s{k}");
                let element = crate::Element::new(vec![c as u32]);
                let id = w.start_attempt(&NewAttempt {
                    run_id: run,
                    step: &step,
                    element: &element,
                    attempt: 1,
                    op: "op",
                    started_ms: 0,
                    key: None,
                    cached_from: None,
                    log_path: None,
                })?;
                if k > 0 {
                    w.add_consumed(id, "data", "", &hash(c, k - 1), None)?;
                    if k % 10 == 0 && c + 1 < chains {
                        w.add_consumed(id, "extra", "", &hash(c + 1, k - 1), None)?;
                    }
                }
                w.add_artifact(&NewArtifact {
                    hash: &h,
                    kind: ArtifactKind::File,
                    size: 1,
                    type_name: "Dataset",
                    name: Some("out"),
                    produced_by: Some(id),
                })?;
                w.add_output(id, "out", &serde_json::json!({ "artifact": h }), Some(&h))?;
                w.end_attempt(id, AttemptStatus::Succeeded, Some(0), None)
            })
            .unwrap();
            chain.push(h);
        }
    }
    db.commit_batch().unwrap();
    all
}
