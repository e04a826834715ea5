//! Byte ranges into a source text, and the mapping from offsets to lines and columns.

use std::fmt;
use std::ops::Range;

/// A half-open byte range `start..end` into one file's text.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct Span {
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Span {
        Span {
            start: start as u32,
            end: end.max(start) as u32,
        }
    }

    pub fn empty(at: usize) -> Span {
        Span::new(at, at)
    }

    pub fn range(self) -> Range<usize> {
        self.start as usize..self.end as usize
    }

    pub fn len(self) -> usize {
        (self.end - self.start) as usize
    }

    pub fn is_empty(self) -> bool {
        self.start == self.end
    }

    pub fn contains(self, offset: usize) -> bool {
        (self.start as usize) <= offset && offset <= (self.end as usize)
    }

    /// The smallest span covering both.
    pub fn cover(self, other: Span) -> Span {
        Span {
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }

    /// This span after an edit that ended at `from` (an offset of the old text) and changed
    /// the text's length by `delta`: offsets at or past `from` move, earlier ones stay.
    pub fn after_edit(self, from: u32, delta: i64) -> Span {
        let move_one = |x: u32| {
            if x >= from {
                (x as i64 + delta).max(0) as u32
            } else {
                x
            }
        };
        Span {
            start: move_one(self.start),
            end: move_one(self.end),
        }
    }

    /// This span moved by `delta` bytes (used to make spans relative to an item and back).
    pub fn shifted(self, delta: i64) -> Span {
        let move_by = |x: u32| (x as i64 + delta).max(0) as u32;
        Span {
            start: move_by(self.start),
            end: move_by(self.end),
        }
    }
}

impl fmt::Debug for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}..{}", self.start, self.end)
    }
}

/// A zero-based line and a zero-based column counted in bytes and in characters.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct LineCol {
    pub line: u32,
    /// Column in UTF-8 bytes from the start of the line.
    pub byte_col: u32,
    /// Column in Unicode scalar values from the start of the line.
    pub char_col: u32,
}

/// Maps byte offsets of one text to lines and columns.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct LineIndex {
    line_starts: Vec<u32>,
}

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        let mut line_starts = vec![0];
        let bytes = text.as_bytes();
        // `\n`, `\r\n` and a `\r` alone each end a line, as editors count them.
        line_starts.extend(
            bytes
                .iter()
                .enumerate()
                .filter(|&(i, &b)| b == b'\n' || (b == b'\r' && bytes.get(i + 1) != Some(&b'\n')))
                .map(|(i, _)| i as u32 + 1),
        );
        LineIndex { line_starts }
    }

    pub fn line_col(&self, text: &str, offset: usize) -> LineCol {
        let offset = offset.min(text.len());
        let line = self.line_starts.partition_point(|&s| s as usize <= offset) - 1;
        let start = self.line_starts[line] as usize;
        // An offset inside a multi-byte character counts up to that character.
        let mut end = offset;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        LineCol {
            line: line as u32,
            byte_col: (offset - start) as u32,
            char_col: text[start..end].chars().count() as u32,
        }
    }

    /// The byte offset at the start of a zero-based line (the end of the text past the last line).
    pub fn line_start(&self, line: usize) -> Option<usize> {
        self.line_starts.get(line).map(|&s| s as usize)
    }

    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }
}
