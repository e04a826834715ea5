//! `mlforge lineage` on a large store: 100,000 artifacts in 1,000 chains of 100 steps
//! (step k of chain c reads artifact k - 1 of chain c and, every 10th step, of chain
//! c + 1), generated through the store API. Measures one upstream walk from the end of a
//! chain and one downstream walk from the start of one, and a hash-prefix lookup.
//!
//!     cargo bench -p mlforge-store --bench lineage

use divan::Bencher;
use mlforge_store::{
    now_ms, sha256_hex, ArtifactKind, AttemptStatus, Lineage, NewArtifact, NewAttempt, NewRun,
};

const CHAINS: usize = 1_000;
const LENGTH: usize = 100;

fn main() {
    divan::main();
}

fn hash(c: usize, k: usize) -> String {
    sha256_hex(format!("{c}/{k}").as_bytes())
}

fn generate() -> (tempfile::TempDir, Lineage) {
    let dir = tempfile::tempdir().unwrap();
    let mut db = Lineage::open(&dir.path().join("lineage.db")).unwrap();
    let params = serde_json::json!({});
    db.begin_batch().unwrap();
    let run = db
        .write(|w| {
            w.begin_run(&NewRun {
                uuid: "bench",
                pipeline: "bench",
                file: "bench.mlf",
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
    for k in 0..LENGTH {
        let step = format!("s{k}");
        for c in 0..CHAINS {
            let h = hash(c, k);
            let element = c.to_string();
            db.write(|w| {
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
                    w.add_consumed(id, "data", "", &hash(c, k - 1))?;
                    if k % 10 == 0 && c + 1 < CHAINS {
                        w.add_consumed(id, "extra", "", &hash(c + 1, k - 1))?;
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
        }
    }
    db.commit_batch().unwrap();
    let count: i64 = db
        .connection()
        .query_row("SELECT COUNT(*) FROM artifacts", [], |r| r.get(0))
        .unwrap();
    assert_eq!(count as usize, CHAINS * LENGTH);
    (dir, db)
}

thread_local! {
    static STORE: (tempfile::TempDir, Lineage) = generate();
}

#[divan::bench(sample_count = 20)]
fn upstream_of_a_chain_end(bencher: Bencher) {
    STORE.with(|(_, db)| {
        let target = hash(500, LENGTH - 1);
        let graph = db.lineage_graph(&target, None, false).unwrap().unwrap();
        assert!(graph.nodes.len() > 2 * LENGTH);
        eprintln!(
            "upstream: {} nodes, {} edges",
            graph.nodes.len(),
            graph.edges.len()
        );
        bencher.bench_local(|| db.lineage_graph(&target, None, false).unwrap());
    });
}

#[divan::bench(sample_count = 20)]
fn downstream_of_a_chain_start(bencher: Bencher) {
    STORE.with(|(_, db)| {
        let target = hash(500, 0);
        let graph = db.lineage_graph(&target, None, true).unwrap().unwrap();
        assert!(graph.nodes.len() > 2 * LENGTH);
        eprintln!(
            "downstream: {} nodes, {} edges",
            graph.nodes.len(),
            graph.edges.len()
        );
        bencher.bench_local(|| db.lineage_graph(&target, None, true).unwrap());
    });
}

#[divan::bench(sample_count = 20)]
fn find_by_prefix(bencher: Bencher) {
    STORE.with(|(_, db)| {
        let target = hash(123, 45);
        bencher.bench_local(|| db.find_artifact(&target[..8]).unwrap());
    });
}
