//! Secrets never reach a log: the output of a step that reads secrets is masked on its
//! way into the log (`log::pump`), every secret's value replaced by `***`, also where a
//! value is split between two reads of the pipe.

/// What stands for a secret's value in logs.
pub const MASK: &str = "***";

/// Masks a stream given in pieces.
pub struct Masker {
    /// The values, longest first, so that a value holding another is masked whole.
    values: Vec<Vec<u8>>,
    /// Bytes held back because they may begin a value the next piece completes.
    pending: Vec<u8>,
}

impl Masker {
    /// A masker for these values; `None` when there is nothing to mask (the log then takes
    /// the output as it is).
    pub fn new(secrets: &[String]) -> Option<Masker> {
        let mut values: Vec<Vec<u8>> = secrets
            .iter()
            .filter(|s| !s.is_empty())
            .map(|s| s.as_bytes().to_vec())
            .collect();
        values.sort_by_key(|v| std::cmp::Reverse(v.len()));
        values.dedup();
        (!values.is_empty()).then_some(Masker {
            values,
            pending: Vec::new(),
        })
    }

    /// The next piece, masked: what can be said for sure now.
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<u8> {
        self.pending.extend_from_slice(bytes);
        let (out, used) = self.scan(false);
        self.pending.drain(..used);
        out
    }

    /// The end of the stream: what was held back, masked.
    pub fn finish(mut self) -> Vec<u8> {
        let (out, _) = self.scan(true);
        out
    }

    /// Masks `pending` from its start; stops (unless at the end) where the rest may begin
    /// a value. Returns the output and how many bytes of `pending` it covers.
    fn scan(&mut self, at_end: bool) -> (Vec<u8>, usize) {
        let bytes = &self.pending;
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        'outer: while i < bytes.len() {
            let rest = &bytes[i..];
            for value in &self.values {
                if rest.starts_with(value) {
                    out.extend_from_slice(MASK.as_bytes());
                    i += value.len();
                    continue 'outer;
                }
            }
            if !at_end && self.values.iter().any(|v| v.starts_with(rest)) {
                break;
            }
            out.push(bytes[i]);
            i += 1;
        }
        (out, i)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mask(bytes: &[u8], secrets: &[String]) -> Vec<u8> {
        match Masker::new(secrets) {
            Some(mut masker) => {
                let mut out = masker.feed(bytes);
                out.extend(masker.finish());
                out
            }
            None => bytes.to_vec(),
        }
    }

    #[test]
    fn every_occurrence_is_masked_longest_first() {
        let secrets = vec!["abc".to_string(), "abcdef".to_string(), String::new()];
        assert_eq!(
            mask(b"token=abcdef; again abc; none here\n", &secrets),
            b"token=***; again ***; none here\n".to_vec()
        );
        assert_eq!(mask(b"plain", &[]), b"plain".to_vec());
    }

    #[test]
    fn a_value_split_between_pieces_is_masked() {
        let secrets = vec!["s3cret".to_string()];
        let mut masker = Masker::new(&secrets).unwrap();
        let mut out = Vec::new();
        for piece in [&b"x s3"[..], b"cr", b"et y s", b"3c"] {
            out.extend(masker.feed(piece));
        }
        out.extend(masker.finish());
        assert_eq!(String::from_utf8(out).unwrap(), "x *** y s3c");
    }
}
