//! `mlforge lineage` on a large store: 100,000 artifacts in 1,000 chains of 100 steps
//! (step k of chain c reads artifact k - 1 of chain c and, every 10th step, of chain
//! c + 1), generated through the store API. Measures one upstream walk from the end of a
//! chain and one downstream walk from the start of one, and a hash-prefix lookup.
//!
//!     cargo bench -p mlforge-store --bench lineage

use divan::Bencher;
use mlforge_store::{sha256_hex, Lineage};

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
    mlforge_store::synthetic_chains(&mut db, CHAINS, LENGTH);
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
