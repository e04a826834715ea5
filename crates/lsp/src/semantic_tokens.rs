//! Semantic tokens: the legend, encoding ide's tokens (split at line ends, since not every
//! client supports multi-line tokens), and deltas against the previous answer.

use mlforge_ide as ide;
use tower_lsp_server::ls_types::{
    SemanticToken, SemanticTokenModifier, SemanticTokenType, SemanticTokensEdit,
    SemanticTokensLegend,
};

use serde::{Serialize, Serializer};

use crate::position::Encoding;
use crate::raw::RawJson;

/// Token types, in legend order: each kind ide distinguishes gets its own type. The second
/// type stands in when the client does not list the first among its `tokenTypes` (VS Code
/// 1.65, for one, lists no `decorator`).
const TYPES: &[(ide::TokenKind, SemanticTokenType, SemanticTokenType)] = &[
    (
        ide::TokenKind::Keyword,
        SemanticTokenType::KEYWORD,
        SemanticTokenType::KEYWORD,
    ),
    (
        ide::TokenKind::Op,
        SemanticTokenType::FUNCTION,
        SemanticTokenType::FUNCTION,
    ),
    (
        ide::TokenKind::Pipeline,
        SemanticTokenType::CLASS,
        SemanticTokenType::CLASS,
    ),
    (
        ide::TokenKind::Step,
        SemanticTokenType::VARIABLE,
        SemanticTokenType::VARIABLE,
    ),
    (
        ide::TokenKind::Param,
        SemanticTokenType::PARAMETER,
        SemanticTokenType::PARAMETER,
    ),
    (
        ide::TokenKind::Output,
        SemanticTokenType::PROPERTY,
        SemanticTokenType::PROPERTY,
    ),
    (
        ide::TokenKind::Type,
        SemanticTokenType::TYPE,
        SemanticTokenType::TYPE,
    ),
    (
        ide::TokenKind::Attribute,
        SemanticTokenType::DECORATOR,
        SemanticTokenType::MODIFIER,
    ),
    (
        ide::TokenKind::Interpolation,
        SemanticTokenType::MACRO,
        SemanticTokenType::MACRO,
    ),
    (
        ide::TokenKind::Namespace,
        SemanticTokenType::NAMESPACE,
        SemanticTokenType::NAMESPACE,
    ),
    (
        ide::TokenKind::LoopVar,
        SemanticTokenType::TYPE_PARAMETER,
        SemanticTokenType::TYPE_PARAMETER,
    ),
    (
        ide::TokenKind::String,
        SemanticTokenType::STRING,
        SemanticTokenType::STRING,
    ),
    (
        ide::TokenKind::Number,
        SemanticTokenType::NUMBER,
        SemanticTokenType::NUMBER,
    ),
    (
        ide::TokenKind::Comment,
        SemanticTokenType::COMMENT,
        SemanticTokenType::COMMENT,
    ),
    (
        ide::TokenKind::Operator,
        SemanticTokenType::OPERATOR,
        SemanticTokenType::OPERATOR,
    ),
];

const DECLARATION: u32 = 1 << 0;
const DOCUMENTATION: u32 = 1 << 1;

/// The legend, with types the client knows (`client_types`: its declared `tokenTypes`).
pub fn legend(client_types: Option<&[String]>) -> SemanticTokensLegend {
    let known =
        |t: &SemanticTokenType| client_types.is_none_or(|c| c.iter().any(|k| k == t.as_str()));
    SemanticTokensLegend {
        token_types: TYPES
            .iter()
            .map(|(_, preferred, fallback)| {
                if known(preferred) {
                    preferred.clone()
                } else {
                    fallback.clone()
                }
            })
            .collect(),
        token_modifiers: vec![
            SemanticTokenModifier::DECLARATION,
            SemanticTokenModifier::DOCUMENTATION,
        ],
    }
}

fn type_index(kind: ide::TokenKind) -> u32 {
    TYPES
        .iter()
        .position(|(k, _, _)| *k == kind)
        .expect("every token kind is in the legend") as u32
}

/// Walks a text forward, tracking the line and the column (in the encoding's units) of a
/// byte offset; tokens come sorted, so encoding a whole file is one pass over its text.
struct Cursor<'t> {
    text: &'t str,
    encoding: Encoding,
    offset: usize,
    line: u32,
    column: u32,
}

impl<'t> Cursor<'t> {
    fn advance_to(&mut self, target: usize) {
        let target = target.min(self.text.len());
        let bytes = self.text.as_bytes();
        while self.offset < target {
            let b = bytes[self.offset];
            if b == b'\n' || (b == b'\r' && bytes.get(self.offset + 1) != Some(&b'\n')) {
                self.line += 1;
                self.column = 0;
                self.offset += 1;
                continue;
            }
            let ch_len = utf8_len(b);
            if b == b'\r' {
                // `\r` of `\r\n`: the break is counted at the `\n`.
                self.column += 1;
                self.offset += 1;
                continue;
            }
            self.column += match self.encoding {
                Encoding::Utf8 => ch_len as u32,
                Encoding::Utf16 => {
                    if ch_len == 4 {
                        2
                    } else {
                        1
                    }
                }
            };
            self.offset += ch_len;
        }
    }
}

fn utf8_len(first: u8) -> usize {
    match first {
        0x00..=0x7F => 1,
        0xC0..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF7 => 4,
        _ => 1,
    }
}

/// Encodes ide's tokens for `text` (the text they were computed on).
pub fn encode(text: &str, tokens: &[ide::SemanticToken], encoding: Encoding) -> Vec<SemanticToken> {
    let mut tokens: Vec<&ide::SemanticToken> = tokens.iter().collect();
    tokens.sort_by_key(|t| (t.span.start, t.span.end));
    let mut out = Vec::with_capacity(tokens.len());
    let mut cursor = Cursor {
        text,
        encoding,
        offset: 0,
        line: 0,
        column: 0,
    };
    let (mut prev_line, mut prev_col) = (0u32, 0u32);
    let mut covered_to = 0usize;
    for token in tokens {
        let start = (token.span.start as usize).max(covered_to).min(text.len());
        let end = (token.span.end as usize).min(text.len());
        if start >= end || !text.is_char_boundary(start) || !text.is_char_boundary(end) {
            continue;
        }
        covered_to = end;
        let modifiers = if token.is_declaration { DECLARATION } else { 0 }
            | if token.is_documentation {
                DOCUMENTATION
            } else {
                0
            };
        let token_type = type_index(token.kind);
        // One piece per line the token spans.
        let mut piece_start = start;
        while piece_start < end {
            let line_end = text[piece_start..end]
                .find(['\n', '\r'])
                .map_or(end, |i| piece_start + i);
            if line_end > piece_start {
                cursor.advance_to(piece_start);
                let (line, col) = (cursor.line, cursor.column);
                cursor.advance_to(line_end);
                let length = cursor.column - col;
                let delta_line = line - prev_line;
                let delta_start = if delta_line == 0 { col - prev_col } else { col };
                out.push(SemanticToken {
                    delta_line,
                    delta_start,
                    length,
                    token_type,
                    token_modifiers_bitset: modifiers,
                });
                prev_line = line;
                prev_col = col;
            }
            // Skip the line break (`\r\n` as one).
            let mut next = line_end;
            if text[next..].starts_with("\r\n") {
                next += 2;
            } else if next < end {
                next += 1;
            }
            piece_start = next;
        }
    }
    out
}

/// The edits turning `old` into `new`: at most one, replacing the tokens between their
/// common prefix and suffix (indices into the flat integer array, in whole tokens).
pub fn diff(old: &[SemanticToken], new: &[SemanticToken]) -> Vec<SemanticTokensEdit> {
    let prefix = old.iter().zip(new).take_while(|(a, b)| a == b).count();
    let max_suffix = old.len().min(new.len()) - prefix;
    let suffix = old
        .iter()
        .rev()
        .zip(new.iter().rev())
        .take(max_suffix)
        .take_while(|(a, b)| a == b)
        .count();
    if prefix == old.len() && prefix == new.len() {
        return Vec::new();
    }
    let deleted = old.len() - prefix - suffix;
    let inserted = &new[prefix..new.len() - suffix];
    vec![SemanticTokensEdit {
        start: (prefix * 5) as u32,
        delete_count: (deleted * 5) as u32,
        data: if inserted.is_empty() {
            None
        } else {
            Some(inserted.to_vec())
        },
    }]
}

/// The JSON of a whole-file answer (`SemanticTokens`), written straight from the tokens:
/// no copy of the list and no `serde_json::Value` per number.
pub fn tokens_json(result_id: &str, data: &[SemanticToken]) -> serde_json::Result<RawJson> {
    struct Flat<'a>(&'a [SemanticToken]);
    impl Serialize for Flat<'_> {
        fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            serializer.collect_seq(self.0.iter().flat_map(|t| {
                [
                    t.delta_line,
                    t.delta_start,
                    t.length,
                    t.token_type,
                    t.token_modifiers_bitset,
                ]
            }))
        }
    }
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Answer<'a> {
        result_id: &'a str,
        data: Flat<'a>,
    }
    RawJson::new(&Answer {
        result_id,
        data: Flat(data),
    })
}

#[cfg(test)]
mod tests {
    use super::tokens_json;
    use tower_lsp_server::ls_types::{SemanticToken, SemanticTokens};

    #[test]
    fn the_raw_answer_is_what_serde_writes() {
        let data = vec![
            SemanticToken {
                delta_line: 0,
                delta_start: 4,
                length: 3,
                token_type: 2,
                token_modifiers_bitset: 1,
            },
            SemanticToken {
                delta_line: 2,
                delta_start: 0,
                length: 10,
                token_type: 0,
                token_modifiers_bitset: 0,
            },
        ];
        let expected = serde_json::to_value(SemanticTokens {
            result_id: Some("7".into()),
            data: data.clone(),
        })
        .unwrap();
        let raw = tokens_json("7", &data).unwrap();
        let got: serde_json::Value = serde_json::from_slice(&raw.0).unwrap();
        assert_eq!(got, expected);
    }

    use super::*;
    use mlforge_syntax::Span;

    fn integers(tokens: &[SemanticToken]) -> Vec<u32> {
        tokens
            .iter()
            .flat_map(|t| {
                [
                    t.delta_line,
                    t.delta_start,
                    t.length,
                    t.token_type,
                    t.token_modifiers_bitset,
                ]
            })
            .collect()
    }

    fn token(start: usize, end: usize, kind: ide::TokenKind) -> ide::SemanticToken {
        ide::SemanticToken {
            span: Span::new(start, end),
            kind,
            is_declaration: false,
            is_documentation: false,
        }
    }

    #[test]
    fn encodes_relative_positions_in_utf16() {
        let text = "op 🦀x\n  step y\n";
        let x = text.find('x').unwrap();
        let step = text.find("step").unwrap();
        let tokens = [
            token(0, 2, ide::TokenKind::Keyword),
            token(x, x + 1, ide::TokenKind::Op),
            token(step, step + 4, ide::TokenKind::Keyword),
        ];
        let encoded = encode(text, &tokens, Encoding::Utf16);
        assert_eq!(
            integers(&encoded),
            vec![0, 0, 2, 0, 0, 0, 5, 1, 1, 0, 1, 2, 4, 0, 0]
        );
        let encoded8 = encode(text, &tokens, Encoding::Utf8);
        assert_eq!(integers(&encoded8)[5..10], [0, 7, 1, 1, 0]);
    }

    #[test]
    fn splits_multi_line_tokens() {
        let text = "/* a\r\nbé\n*/ x";
        let tokens = [token(0, text.find(" x").unwrap(), ide::TokenKind::Comment)];
        let encoded = encode(text, &tokens, Encoding::Utf16);
        assert_eq!(
            integers(&encoded),
            vec![0, 0, 4, 13, 0, 1, 0, 2, 13, 0, 1, 0, 2, 13, 0]
        );
    }

    #[test]
    fn overlapping_tokens_are_trimmed() {
        let text = "abcdef";
        let tokens = [
            token(0, 4, ide::TokenKind::String),
            token(2, 6, ide::TokenKind::Interpolation),
        ];
        let encoded = encode(text, &tokens, Encoding::Utf16);
        assert_eq!(integers(&encoded), vec![0, 0, 4, 11, 0, 0, 4, 2, 8, 0]);
    }

    #[test]
    fn deltas_reconstruct_the_new_tokens() {
        let a = encode(
            "op a\nop b\nop c\n",
            &[
                token(0, 2, ide::TokenKind::Keyword),
                token(5, 7, ide::TokenKind::Keyword),
                token(10, 12, ide::TokenKind::Keyword),
            ],
            Encoding::Utf16,
        );
        let mut b = a.clone();
        b.remove(1);
        let edits = diff(&a, &b);
        let mut flat_a = integers(&a);
        for e in edits.iter().rev() {
            let data = e.data.as_deref().map(integers).unwrap_or_default();
            flat_a.splice(e.start as usize..(e.start + e.delete_count) as usize, data);
        }
        assert_eq!(flat_a, integers(&b));
        assert!(diff(&a, &a).is_empty());
    }

    #[test]
    fn legend_covers_every_kind_with_types_the_client_knows() {
        assert_eq!(legend(None).token_types.len(), TYPES.len());
        for (kind, _, _) in TYPES {
            type_index(*kind);
        }
        let vscode_1_65: Vec<String> = [
            "keyword",
            "function",
            "class",
            "variable",
            "parameter",
            "property",
            "type",
            "macro",
            "namespace",
            "typeParameter",
            "string",
            "number",
            "comment",
            "operator",
            "modifier",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let legend = legend(Some(&vscode_1_65));
        assert!(legend
            .token_types
            .iter()
            .all(|t| vscode_1_65.iter().any(|k| k == t.as_str())));
        assert!(legend.token_types.iter().any(|t| t.as_str() == "modifier"));
        let mut unique: Vec<&str> = legend.token_types.iter().map(|t| t.as_str()).collect();
        unique.sort();
        unique.dedup();
        assert_eq!(
            unique.len(),
            TYPES.len(),
            "every kind keeps a type of its own"
        );
    }
}
