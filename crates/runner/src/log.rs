//! A step's log: everything the step prints (standard output and error through one pipe,
//! so their order is kept) is streamed into its log file with a bound. The first
//! [`KEEP_HEAD`] bytes are written as they come; past that, only the last [`KEEP_TAIL`]
//! bytes are kept in memory and written when the step ends, after a line saying how much
//! was cut. A step printing gigabytes costs neither the disk nor the runner's memory, and
//! the end of the log (where failures show) is always there.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, Read, Write};

/// Bytes written from the start of a step's output.
pub const KEEP_HEAD: u64 = 16 << 20;
/// Bytes kept from the end of a step's output once the head is full.
pub const KEEP_TAIL: usize = 1 << 20;

/// Writes a step's output to its log within the bounds.
pub struct BoundedLog<W: Write> {
    out: W,
    head: u64,
    head_left: u64,
    tail: VecDeque<u8>,
    tail_limit: usize,
    /// Bytes neither written nor kept in the tail.
    dropped: u64,
}

impl<W: Write> BoundedLog<W> {
    pub fn new(out: W, head: u64, tail: usize) -> BoundedLog<W> {
        BoundedLog {
            out,
            head,
            head_left: head,
            tail: VecDeque::new(),
            tail_limit: tail,
            dropped: 0,
        }
    }

    pub fn write(&mut self, mut bytes: &[u8]) -> io::Result<()> {
        if self.head_left > 0 {
            let n = bytes.len().min(self.head_left as usize);
            self.out.write_all(&bytes[..n])?;
            self.head_left -= n as u64;
            bytes = &bytes[n..];
        }
        if bytes.len() >= self.tail_limit {
            self.dropped += (self.tail.len() + bytes.len() - self.tail_limit) as u64;
            self.tail.clear();
            self.tail.extend(&bytes[bytes.len() - self.tail_limit..]);
            return Ok(());
        }
        let overflow = (self.tail.len() + bytes.len()).saturating_sub(self.tail_limit);
        self.tail.drain(..overflow);
        self.dropped += overflow as u64;
        self.tail.extend(bytes);
        Ok(())
    }

    /// Writes what the tail holds (after a line saying what was cut, if anything was).
    pub fn finish(mut self) -> io::Result<W> {
        if self.dropped > 0 {
            write!(
                self.out,
                "\n[mlforge: the log was cut here: {} bytes the step printed are not kept \
                 (a log keeps the first {} and the last {})]\n",
                self.dropped,
                size_text(self.head),
                size_text(self.tail_limit as u64),
            )?;
        }
        let (a, b) = self.tail.as_slices();
        self.out.write_all(a)?;
        self.out.write_all(b)?;
        self.out.flush()?;
        Ok(self.out)
    }
}

fn size_text(bytes: u64) -> String {
    if bytes >= 1 << 20 && bytes.is_multiple_of(1 << 20) {
        format!("{} MiB", bytes >> 20)
    } else {
        format!("{bytes} bytes")
    }
}

/// Reads `from` to its end (every writer gone) into `log` within the bounds, masked by
/// `masker` when the step reads secrets.
pub fn pump(mut from: File, log: File, mut masker: Option<crate::mask::Masker>) -> io::Result<()> {
    let mut bounded = BoundedLog::new(io::BufWriter::new(log), KEEP_HEAD, KEEP_TAIL);
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        match masker.as_mut() {
            Some(masker) => bounded.write(&masker.feed(&buf[..n]))?,
            None => bounded.write(&buf[..n])?,
        }
    }
    if let Some(masker) = masker {
        bounded.write(&masker.finish())?;
    }
    bounded.finish().map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(head: u64, tail: usize, chunks: &[&[u8]]) -> String {
        let mut log = BoundedLog::new(Vec::new(), head, tail);
        for chunk in chunks {
            log.write(chunk).unwrap();
        }
        String::from_utf8(log.finish().unwrap()).unwrap()
    }

    #[test]
    fn output_within_the_bounds_is_kept_whole() {
        assert_eq!(run(10, 5, &[b"abc", b"def"]), "abcdef");
        assert_eq!(run(3, 5, &[b"abc", b"defgh"]), "abcdefgh");
        assert_eq!(run(3, 5, &[]), "");
    }

    #[test]
    fn past_the_bounds_the_head_and_tail_are_kept_and_the_cut_is_said() {
        let text = run(3, 4, &[b"abcdef", b"ghij", b"kl"]);
        assert!(text.starts_with("abc\n[mlforge: the log was cut here: 5 bytes"));
        assert!(text.ends_with(")]\nijkl"), "{text}");
        // One huge chunk.
        let big = vec![b'x'; 100];
        let text = run(2, 3, &[&big, b"end"]);
        assert!(text.contains("cut here: 98 bytes"), "{text}");
        assert!(text.ends_with("end"), "{text}");
    }
}
