//! What the commands that read run history share: opening the store and finding the run a
//! user names, worded for the command line.

use std::path::Path;

use mlforge_store::{RunRecord, RunRef, Store};

use crate::error::{fail, CliResult};

/// The store under `dir`, opened for reading its records only (nothing is written to it;
/// `store verify --repair` and `store gc --delete` change only its files).
pub fn open(dir: &Path) -> CliResult<Store> {
    match Store::open_read_only(dir) {
        Ok(Some(store)) => Ok(store),
        Ok(None) => fail!(
            "no runs recorded yet: `{}` holds no lineage store (run a pipeline with `mlforge run FILE` first)",
            dir.display()
        ),
        Err(e) => fail!("cannot open the store `{}`: {e}", dir.display()),
    }
}

/// The store under `dir` and the run `text` names in it.
pub fn open_run(dir: &Path, text: &str) -> CliResult<(Store, RunRecord)> {
    let store = open(dir)?;
    let run = find_run(&store, text)?;
    Ok((store, run))
}

/// The run `text` names: a run number (`3`, `#3`) or `latest`.
pub fn find_run(store: &Store, text: &str) -> CliResult<RunRecord> {
    let Some(run) = RunRef::parse(text) else {
        fail!("`{text}` is not a run number; `mlforge runs` lists them");
    };
    match (store.lineage.find_run(&run)?, run) {
        (Some(record), _) => Ok(record),
        (None, RunRef::Latest) => fail!("no runs recorded yet"),
        (None, RunRef::Id(id)) => fail!("there is no run {id}; `mlforge runs` lists them"),
    }
}

/// `2024-05-01 12:00:03` (UTC) from Unix milliseconds.
pub fn utc(ms: i64) -> String {
    let at = jiff::Timestamp::from_millisecond(ms).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    at.strftime("%Y-%m-%d %H:%M:%S").to_string()
}

/// The first 12 hex digits of a hash, as people compare them.
pub fn short_hash(hash: &str) -> &str {
    &hash[..hash.len().min(12)]
}

/// Writes a command's product to standard output; a closed pipe is not an error.
pub fn print_out(text: &str) {
    use std::io::Write;
    let _ = std::io::stdout().write_all(text.as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_formats_known_instants() {
        assert_eq!(utc(0), "1970-01-01 00:00:00");
        assert_eq!(utc(951_782_400_000), "2000-02-29 00:00:00");
        assert_eq!(utc(1_700_000_000_123), "2023-11-14 22:13:20");
        assert_eq!(utc(-1), "1969-12-31 23:59:59");
    }
}
