//! Positions: LSP `(line, character)` in the negotiated encoding ⇄ byte offsets into a rope.
//!
//! Lines end at `\n`, `\r\n` or `\r`, as LSP says (ropey is built with `cr_lines` and without
//! `unicode_lines`). A character column counts UTF-8 bytes or UTF-16 code units of the line,
//! whichever encoding was negotiated. A column inside a character (the middle of a surrogate
//! pair, or of a multi-byte UTF-8 sequence) means that character's start.
//!
//! Requests at a single position are strict: a line past the end of the text or a column past
//! the end of its line is an error the handler answers with `InvalidParams`. Ranges that edit or
//! select text (changes, formatting ranges, code action ranges) are clamped instead, as LSP
//! asks.

use ropey::Rope;
use tower_lsp_server::ls_types::{Position, PositionEncodingKind, Range};

/// The unit of `Position::character`, negotiated at `initialize`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Encoding {
    /// UTF-8 code units (bytes): offered by the client in `general.positionEncodings`.
    Utf8,
    /// UTF-16 code units: LSP's default, what every client supports.
    #[default]
    Utf16,
}

impl Encoding {
    /// UTF-8 when the client lists it, otherwise UTF-16 (the mandatory default).
    pub fn negotiate(offered: Option<&[PositionEncodingKind]>) -> Encoding {
        match offered {
            Some(kinds) if kinds.contains(&PositionEncodingKind::UTF8) => Encoding::Utf8,
            _ => Encoding::Utf16,
        }
    }

    pub fn kind(self) -> PositionEncodingKind {
        match self {
            Encoding::Utf8 => PositionEncodingKind::UTF8,
            Encoding::Utf16 => PositionEncodingKind::UTF16,
        }
    }
}

/// Why a position does not name a place in the text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutOfRange(pub String);

impl std::fmt::Display for OutOfRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The number of lines LSP sees: one more than the number of line breaks.
pub fn line_count(rope: &Rope) -> usize {
    rope.len_lines()
}

/// Byte range of line `line`'s content (without its line break).
fn line_content(rope: &Rope, line: usize) -> (usize, usize) {
    let start = rope.line_to_byte(line);
    let mut end = rope.line_to_byte(line + 1);
    // Strip the line break: `\n`, `\r\n` or `\r`.
    if end > start && rope.byte(end - 1) == b'\n' {
        end -= 1;
    }
    if end > start && rope.byte(end - 1) == b'\r' {
        end -= 1;
    }
    (start, end)
}

/// The byte offset of `pos`, or why it is outside the text.
pub fn offset(rope: &Rope, pos: Position, encoding: Encoding) -> Result<usize, OutOfRange> {
    let line = pos.line as usize;
    let lines = line_count(rope);
    if line >= lines {
        return Err(OutOfRange(format!(
            "line {} is past the end of the document, which has {lines} line{}",
            pos.line,
            if lines == 1 { "" } else { "s" }
        )));
    }
    let (start, end) = line_content(rope, line);
    let column = pos.character as usize;
    let width = column_of(rope, start, end, encoding);
    if column > width {
        return Err(OutOfRange(format!(
            "character {column} is past the end of line {line}, which is {width} {} long",
            match encoding {
                Encoding::Utf8 => "bytes",
                Encoding::Utf16 => "UTF-16 code units",
            }
        )));
    }
    Ok(offset_in_line(rope, start, column, encoding))
}

/// The byte offset of `pos`, moved into the text when it lies outside: a line past the end
/// means the end of the text, a column past the end of its line the end of that line.
pub fn offset_clamped(rope: &Rope, pos: Position, encoding: Encoding) -> usize {
    let line = pos.line as usize;
    if line >= line_count(rope) {
        return rope.len_bytes();
    }
    let (start, end) = line_content(rope, line);
    let width = column_of(rope, start, end, encoding);
    offset_in_line(rope, start, (pos.character as usize).min(width), encoding)
}

/// The byte range of `range`, clamped into the text (start never after end).
pub fn range_clamped(rope: &Rope, range: Range, encoding: Encoding) -> (usize, usize) {
    let start = offset_clamped(rope, range.start, encoding);
    let end = offset_clamped(rope, range.end, encoding);
    (start.min(end), end.max(start))
}

/// The byte range of `range`, strictly (both ends must be in the text; start ≤ end).
pub fn range(rope: &Rope, range: Range, encoding: Encoding) -> Result<(usize, usize), OutOfRange> {
    let start = offset(rope, range.start, encoding)?;
    let end = offset(rope, range.end, encoding)?;
    if start > end {
        return Err(OutOfRange("the range ends before it starts".to_string()));
    }
    Ok((start, end))
}

/// The column of byte `at` (a char boundary) in the line starting at byte `start`.
fn column_of(rope: &Rope, start: usize, at: usize, encoding: Encoding) -> usize {
    match encoding {
        Encoding::Utf8 => at - start,
        Encoding::Utf16 => {
            let a = rope.char_to_utf16_cu(rope.byte_to_char(start));
            let b = rope.char_to_utf16_cu(rope.byte_to_char(at));
            b - a
        }
    }
}

/// The byte offset of column `column` (within bounds) of the line starting at byte `start`.
fn offset_in_line(rope: &Rope, start: usize, column: usize, encoding: Encoding) -> usize {
    match encoding {
        // `byte_to_char` gives the character a byte belongs to: round down to its start.
        Encoding::Utf8 => rope.char_to_byte(rope.byte_to_char(start + column)),
        Encoding::Utf16 => {
            let line_cu = rope.char_to_utf16_cu(rope.byte_to_char(start));
            // Inside a surrogate pair, ropey answers the character it belongs to.
            rope.char_to_byte(rope.utf16_cu_to_char(line_cu + column))
        }
    }
}

/// The LSP position of byte offset `offset` (clamped to the text; an offset inside a
/// character means that character).
pub fn position(rope: &Rope, offset: usize, encoding: Encoding) -> Position {
    let offset = rope.char_to_byte(rope.byte_to_char(offset.min(rope.len_bytes())));
    let line = rope.byte_to_line(offset);
    let start = rope.line_to_byte(line);
    Position::new(line as u32, column_of(rope, start, offset, encoding) as u32)
}

/// The LSP range of the byte range `start..end`.
pub fn lsp_range(rope: &Rope, start: usize, end: usize, encoding: Encoding) -> Range {
    Range::new(
        position(rope, start, encoding),
        position(rope, end.max(start), encoding),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pos(line: u32, character: u32) -> Position {
        Position::new(line, character)
    }

    /// Every char boundary maps to a position and back, in both encodings.
    fn round_trips(text: &str) {
        let rope = Rope::from_str(text);
        for encoding in [Encoding::Utf8, Encoding::Utf16] {
            for (offset, _) in text.char_indices().chain([(text.len(), ' ')]) {
                // An offset between the `\r` and `\n` of a line break has no position of
                // its own.
                if text[..offset].ends_with('\r') && text[offset..].starts_with('\n') {
                    continue;
                }
                let p = position(&rope, offset, encoding);
                assert_eq!(
                    offset_clamped(&rope, p, encoding),
                    offset,
                    "{text:?} {encoding:?} {p:?}"
                );
                assert_eq!(
                    offset_of(&rope, p, encoding),
                    offset,
                    "{text:?} {encoding:?}"
                );
            }
        }
    }

    fn offset_of(rope: &Rope, p: Position, encoding: Encoding) -> usize {
        offset(rope, p, encoding).unwrap()
    }

    #[test]
    fn ascii() {
        let rope = Rope::from_str("op a\nstep b\n");
        assert_eq!(offset_of(&rope, pos(1, 5), Encoding::Utf16), 10);
        assert_eq!(position(&rope, 10, Encoding::Utf8), pos(1, 5));
        assert_eq!(offset_of(&rope, pos(2, 0), Encoding::Utf8), 12);
        round_trips("op a\nstep b\n");
    }

    #[test]
    fn emoji_count_two_utf16_units_and_four_bytes() {
        // "🦀" is U+1F980: 4 UTF-8 bytes, 2 UTF-16 units (a surrogate pair).
        let text = "x = \"🦀\" y\n";
        let rope = Rope::from_str(text);
        let y = text.find('y').unwrap();
        assert_eq!(position(&rope, y, Encoding::Utf16), pos(0, 9));
        assert_eq!(position(&rope, y, Encoding::Utf8), pos(0, 11));
        assert_eq!(offset_of(&rope, pos(0, 9), Encoding::Utf16), y);
        assert_eq!(offset_of(&rope, pos(0, 11), Encoding::Utf8), y);
        // The middle of the surrogate pair means the emoji's start.
        let crab = text.find('🦀').unwrap();
        assert_eq!(offset_of(&rope, pos(0, 6), Encoding::Utf16), crab);
        // A byte inside the emoji's UTF-8 sequence means its start too.
        assert_eq!(offset_of(&rope, pos(0, 7), Encoding::Utf8), crab);
        round_trips(text);
    }

    #[test]
    fn combining_characters_are_separate_code_points() {
        // "é" written as e + U+0301 (combining acute): 1 + 2 bytes, 1 + 1 UTF-16 units.
        let text = "// cafe\u{301} ok\nstep s\n";
        let rope = Rope::from_str(text);
        let ok = text.find("ok").unwrap();
        assert_eq!(position(&rope, ok, Encoding::Utf16), pos(0, 9));
        assert_eq!(position(&rope, ok, Encoding::Utf8), pos(0, 10));
        round_trips(text);
    }

    #[test]
    fn mixed_unicode_lines() {
        round_trips("ab\u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467}c\nд\u{0308}ж\n\u{10FFFF}\n𝕏𝕐\n");
        round_trips("汉字\r\nline two 🎉\rthird\u{2028}still third\n");
    }

    #[test]
    fn line_breaks_crlf_and_cr() {
        let text = "a\r\nb\rc\nd";
        let rope = Rope::from_str(text);
        assert_eq!(line_count(&rope), 4);
        assert_eq!(offset_of(&rope, pos(1, 0), Encoding::Utf16), 3);
        assert_eq!(offset_of(&rope, pos(2, 0), Encoding::Utf16), 5);
        assert_eq!(offset_of(&rope, pos(3, 1), Encoding::Utf16), 8);
        // Column 1 of line 0 is the end of `a`, before `\r\n`; column 2 is past the line.
        assert_eq!(offset_of(&rope, pos(0, 1), Encoding::Utf16), 1);
        assert!(offset(&rope, pos(0, 2), Encoding::Utf16).is_err());
    }

    #[test]
    fn out_of_range_is_an_error_when_strict_and_clamped_otherwise() {
        let text = "é\n";
        let rope = Rope::from_str(text);
        assert!(offset(&rope, pos(5, 0), Encoding::Utf16).is_err());
        assert!(offset(&rope, pos(0, 2), Encoding::Utf16).is_err());
        assert!(offset(&rope, pos(0, 3), Encoding::Utf8).is_err());
        assert!(offset(&rope, pos(u32::MAX, u32::MAX), Encoding::Utf8).is_err());
        assert_eq!(offset_of(&rope, pos(0, 2), Encoding::Utf8), 2);
        assert_eq!(offset_of(&rope, pos(1, 0), Encoding::Utf8), 3);
        assert_eq!(offset_clamped(&rope, pos(0, 99), Encoding::Utf16), 2);
        assert_eq!(offset_clamped(&rope, pos(99, 0), Encoding::Utf16), 3);
        assert_eq!(
            range_clamped(&rope, Range::new(pos(9, 0), pos(0, 0)), Encoding::Utf16),
            (0, 3)
        );
        assert!(range(&rope, Range::new(pos(0, 1), pos(0, 0)), Encoding::Utf16).is_err());
    }

    #[test]
    fn empty_text() {
        let rope = Rope::from_str("");
        assert_eq!(line_count(&rope), 1);
        assert_eq!(offset_of(&rope, pos(0, 0), Encoding::Utf16), 0);
        assert!(offset(&rope, pos(0, 1), Encoding::Utf16).is_err());
        assert_eq!(position(&rope, 10, Encoding::Utf16), pos(0, 0));
    }

    #[test]
    fn negotiation() {
        assert_eq!(Encoding::negotiate(None), Encoding::Utf16);
        assert_eq!(
            Encoding::negotiate(Some(&[
                PositionEncodingKind::UTF16,
                PositionEncodingKind::UTF8
            ])),
            Encoding::Utf8
        );
        assert_eq!(
            Encoding::negotiate(Some(&[PositionEncodingKind::UTF32])),
            Encoding::Utf16
        );
    }
}
