//! From editor terms (byte offsets, spans, `SourceFile`s, analysis diagnostics, `mlforge_ide`
//! values) to LSP types. The only place besides `from_proto` helpers in `position` that knows
//! both sides.

use std::collections::HashMap;

use mlforge_analysis::{Code, Severity, SourceFile};
use mlforge_ide as ide;
use mlforge_syntax::Span;
use ropey::Rope;
use tower_lsp_server::ls_types as lsp;
use tower_lsp_server::ls_types::Uri;

use crate::position::{self, Encoding};
use crate::world::Snapshot;

/// Where `mlforge explain CODE` is published (the same text as the command prints).
pub const EXPLAIN_URL: &str = "https://mlforge.dev/explain/";

/// Converts spans of any file, keeping one rope per file it has seen.
pub struct Converter<'s> {
    pub snap: &'s Snapshot,
    ropes: HashMap<SourceFile, Rope>,
}

impl<'s> Converter<'s> {
    pub fn new(snap: &'s Snapshot) -> Converter<'s> {
        Converter {
            snap,
            ropes: HashMap::new(),
        }
    }

    pub fn encoding(&self) -> Encoding {
        self.snap.config.encoding
    }

    pub fn rope(&mut self, file: SourceFile) -> &Rope {
        let snap = self.snap;
        self.ropes.entry(file).or_insert_with(|| snap.rope_of(file))
    }

    pub fn range(&mut self, file: SourceFile, span: Span) -> lsp::Range {
        let encoding = self.encoding();
        let rope = self.rope(file);
        position::lsp_range(rope, span.start as usize, span.end as usize, encoding)
    }

    pub fn location(&mut self, file: SourceFile, span: Span) -> Option<lsp::Location> {
        let uri = self.snap.uri_of(file)?;
        Some(lsp::Location::new(uri, self.range(file, span)))
    }

    pub fn text_edit(&mut self, file: SourceFile, edit: &ide::TextEdit) -> lsp::TextEdit {
        lsp::TextEdit::new(self.range(file, edit.span), edit.new_text.clone())
    }

    /// A workspace edit from ide's edits, as `documentChanges`: each file's edits with the
    /// version of the open document they were made against (`null` for a file not open), so
    /// that a client applies them to that version only, as one change.
    pub fn versioned_workspace_edit(&mut self, edits: &[ide::FileEdits]) -> lsp::WorkspaceEdit {
        let mut changes = Vec::new();
        for file_edits in edits {
            let Some(uri) = self.snap.uri_of(file_edits.file) else {
                continue;
            };
            let version = self
                .snap
                .docs
                .by_file(file_edits.file, &self.snap.db)
                .map(|d| d.version);
            let edits = file_edits
                .edits
                .iter()
                .map(|e| lsp::OneOf::Left(self.text_edit(file_edits.file, e)))
                .collect();
            changes.push(lsp::TextDocumentEdit {
                text_document: lsp::OptionalVersionedTextDocumentIdentifier { uri, version },
                edits,
            });
        }
        lsp::WorkspaceEdit {
            document_changes: Some(lsp::DocumentChanges::Edits(changes)),
            ..Default::default()
        }
    }

    /// A workspace edit from ide's edits, as `changes` (no versions).
    pub fn workspace_edit(&mut self, edits: &[ide::FileEdits]) -> lsp::WorkspaceEdit {
        let mut changes: HashMap<Uri, Vec<lsp::TextEdit>> = HashMap::new();
        for file_edits in edits {
            let Some(uri) = self.snap.uri_of(file_edits.file) else {
                continue;
            };
            let converted: Vec<lsp::TextEdit> = file_edits
                .edits
                .iter()
                .map(|e| self.text_edit(file_edits.file, e))
                .collect();
            changes.entry(uri).or_default().extend(converted);
        }
        lsp::WorkspaceEdit {
            changes: Some(changes),
            ..Default::default()
        }
    }

    /// One analysis diagnostic in LSP terms (its file's rope must be the one it was computed
    /// on, which a snapshot guarantees).
    pub fn diagnostic(&mut self, d: &mlforge_analysis::Diagnostic) -> lsp::Diagnostic {
        let config = self.snap.config.clone();
        let range = self.range(d.file, d.span);
        let mut message = d.message.clone();
        if let Some(label) = &d.label {
            if !label.is_empty() && !message.contains(label.as_str()) {
                message.push_str(&format!("\n{label}"));
            }
        }
        if let Some(help) = &d.help {
            message.push_str(&format!("\nhelp: {help}"));
        }
        let related: Vec<lsp::DiagnosticRelatedInformation> = d
            .related
            .iter()
            .filter_map(|r| {
                Some(lsp::DiagnosticRelatedInformation {
                    location: self.location(r.file, r.span)?,
                    message: r.message.clone(),
                })
            })
            .collect();
        let code = d.code.as_str();
        let tags = if config.diagnostic_tags
            && matches!(
                d.code,
                Code::UnusedParam | Code::UnusedStep | Code::UnusedImport
            ) {
            Some(vec![lsp::DiagnosticTag::UNNECESSARY])
        } else {
            None
        };
        lsp::Diagnostic {
            range,
            severity: Some(match d.severity {
                Severity::Error => lsp::DiagnosticSeverity::ERROR,
                Severity::Warning => lsp::DiagnosticSeverity::WARNING,
            }),
            code: Some(lsp::NumberOrString::String(code.to_string())),
            code_description: if config.code_description {
                explain_uri(d.code).map(|href| lsp::CodeDescription { href })
            } else {
                None
            },
            source: Some("mlforge".to_string()),
            message,
            related_information: if config.related_information && !related.is_empty() {
                Some(related)
            } else {
                None
            },
            tags,
            data: Some(serde_json::json!({
                "code": code,
                "title": d.code.title(),
                "explain": format!("mlforge explain {code}"),
                "url": format!("{EXPLAIN_URL}{code}"),
            })),
        }
    }
}

pub fn explain_uri(code: Code) -> Option<Uri> {
    format!("{EXPLAIN_URL}{}", code.as_str()).parse().ok()
}

pub fn markup(text: String, markdown: bool) -> lsp::MarkupContent {
    lsp::MarkupContent {
        kind: if markdown {
            lsp::MarkupKind::Markdown
        } else {
            lsp::MarkupKind::PlainText
        },
        value: text,
    }
}

pub fn completion_kind(kind: ide::CompletionKind) -> lsp::CompletionItemKind {
    use ide::CompletionKind as K;
    match kind {
        K::Keyword => lsp::CompletionItemKind::KEYWORD,
        K::Snippet => lsp::CompletionItemKind::SNIPPET,
        K::Op => lsp::CompletionItemKind::FUNCTION,
        K::Pipeline => lsp::CompletionItemKind::CLASS,
        K::Step => lsp::CompletionItemKind::VARIABLE,
        K::Output => lsp::CompletionItemKind::FIELD,
        K::Field => lsp::CompletionItemKind::FIELD,
        K::Key => lsp::CompletionItemKind::VALUE,
        K::Param => lsp::CompletionItemKind::VARIABLE,
        K::Argument => lsp::CompletionItemKind::PROPERTY,
        K::Type => lsp::CompletionItemKind::TYPE_PARAMETER,
        K::Attribute => lsp::CompletionItemKind::PROPERTY,
        K::Interpolation => lsp::CompletionItemKind::VARIABLE,
        K::Namespace => lsp::CompletionItemKind::MODULE,
        K::File => lsp::CompletionItemKind::FILE,
        K::LoopVar => lsp::CompletionItemKind::VARIABLE,
    }
}

pub fn symbol_kind(kind: ide::SymbolKind) -> lsp::SymbolKind {
    use ide::SymbolKind as K;
    match kind {
        K::Op => lsp::SymbolKind::FUNCTION,
        K::Pipeline => lsp::SymbolKind::CLASS,
        K::Artifact => lsp::SymbolKind::STRUCT,
        K::Record => lsp::SymbolKind::STRUCT,
        K::Import => lsp::SymbolKind::MODULE,
        K::Step => lsp::SymbolKind::VARIABLE,
        K::Param => lsp::SymbolKind::VARIABLE,
        K::Output => lsp::SymbolKind::FIELD,
        K::For => lsp::SymbolKind::NAMESPACE,
        K::If => lsp::SymbolKind::NAMESPACE,
    }
}

/// The smallest single edit turning `old` into `new`: the common prefix and suffix kept
/// (cut at character boundaries), so that a formatting answer moves the cursor as little as
/// possible. `None` when they are equal.
pub fn minimal_edit(old: &str, new: &str) -> Option<(usize, usize, String)> {
    if old == new {
        return None;
    }
    let mut prefix = old
        .bytes()
        .zip(new.bytes())
        .take_while(|(a, b)| a == b)
        .count();
    while !old.is_char_boundary(prefix) || !new.is_char_boundary(prefix) {
        prefix -= 1;
    }
    let max_suffix = (old.len() - prefix).min(new.len() - prefix);
    let mut suffix = old
        .bytes()
        .rev()
        .zip(new.bytes().rev())
        .take(max_suffix)
        .take_while(|(a, b)| a == b)
        .count();
    while !old.is_char_boundary(old.len() - suffix) || !new.is_char_boundary(new.len() - suffix) {
        suffix -= 1;
    }
    Some((
        prefix,
        old.len() - suffix,
        new[prefix..new.len() - suffix].to_string(),
    ))
}

#[cfg(test)]
mod tests {
    use super::minimal_edit;

    fn apply(old: &str, edit: Option<(usize, usize, String)>) -> String {
        match edit {
            None => old.to_string(),
            Some((s, e, t)) => format!("{}{}{}", &old[..s], t, &old[e..]),
        }
    }

    #[test]
    fn minimal_edits_apply() {
        for (a, b) in [
            ("abc", "abc"),
            ("abc", "abxc"),
            ("step  x = f()\n", "step x = f()\n"),
            ("é🦀a", "é🦁a"),
            ("aaaa", "aa"),
            ("", "x"),
            ("x", ""),
            ("🦀🦀", "🦀"),
        ] {
            let edit = minimal_edit(a, b);
            assert_eq!(apply(a, edit), b, "{a:?} -> {b:?}");
        }
        assert_eq!(minimal_edit("abxc", "abc"), Some((2, 3, String::new())));
    }
}
