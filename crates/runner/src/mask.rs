//! Secrets never reach a log: the output of a step that reads secrets goes through the
//! runner, line by line, with every secret's value replaced by `***`.

use std::io::Write;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};

/// What stands for a secret's value in logs.
pub const MASK: &str = "***";

/// `bytes` with every occurrence of every secret's value replaced by [`MASK`]. Longer
/// values go first, so that a value holding another is masked whole.
pub fn mask(bytes: &[u8], secrets: &[String]) -> Vec<u8> {
    let mut values: Vec<&[u8]> = secrets
        .iter()
        .map(String::as_bytes)
        .filter(|v| !v.is_empty())
        .collect();
    values.sort_by_key(|v| std::cmp::Reverse(v.len()));
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    'outer: while i < bytes.len() {
        for value in &values {
            if bytes[i..].starts_with(value) {
                out.extend_from_slice(MASK.as_bytes());
                i += value.len();
                continue 'outer;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    out
}

/// Copies `reader` into `log` a line at a time, masked.
pub async fn copy_masked<R: AsyncRead + Unpin>(
    reader: R,
    log: Arc<Mutex<std::fs::File>>,
    secrets: Arc<Vec<String>>,
) {
    let mut reader = BufReader::new(reader);
    let mut line = Vec::new();
    loop {
        line.clear();
        match reader.read_until(b'\n', &mut line).await {
            Ok(0) | Err(_) => break,
            Ok(_) => {
                let masked = mask(&line, &secrets);
                if let Ok(mut log) = log.lock() {
                    let _ = log.write_all(&masked);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_occurrence_is_masked_longest_first() {
        let secrets = vec!["abc".to_string(), "abcdef".to_string(), String::new()];
        assert_eq!(
            mask(b"token=abcdef; again abc; none here\n", &secrets),
            b"token=***; again ***; none here\n".to_vec()
        );
        assert_eq!(mask(b"plain", &[]), b"plain".to_vec());
    }
}
