//! Request handlers: each runs on a [`Snapshot`] (inside the panic and cancellation boundary
//! of [`crate::dispatch`]), turns LSP positions into byte offsets, calls `mlforge_ide`, and
//! turns the answer back into LSP types.

use std::path::Path;

use mlforge_analysis::SourceFile;
use mlforge_ide as ide;
use mlforge_syntax::Span;
use ropey::Rope;
use tower_lsp_server::jsonrpc::{Error, ErrorCode, Result};
use tower_lsp_server::ls_types as lsp;
use tower_lsp_server::ls_types::Uri;

use crate::commands;
use crate::dispatch::invalid_params;
use crate::position;
use crate::to_proto::{self, Converter};
use crate::world::Snapshot;

/// `RequestFailed` (LSP 3.17): the request was valid but could not be carried out; the
/// message says why (the formatter refused, a rename is not possible).
pub fn request_failed(message: impl Into<String>) -> Error {
    Error {
        code: ErrorCode::ServerError(-32803),
        message: message.into().into(),
        data: None,
    }
}

/// A document of a request: its input and the rope the snapshot pairs with it.
pub struct Doc {
    pub file: SourceFile,
    pub rope: Rope,
}

pub fn doc(snap: &Snapshot, uri: &Uri) -> Result<Doc> {
    match snap.document(uri) {
        Some((file, rope)) => Ok(Doc { file, rope }),
        None => Err(invalid_params(format!(
            "the document {} is not open and cannot be read",
            uri.as_str()
        ))),
    }
}

/// The document and the byte offset of a position in it (an error when outside the text).
pub fn doc_at(snap: &Snapshot, at: &lsp::TextDocumentPositionParams) -> Result<(Doc, usize)> {
    let doc = doc(snap, &at.text_document.uri)?;
    let offset = position::offset(&doc.rope, at.position, snap.config.encoding)
        .map_err(|e| invalid_params(format!("invalid position: {e}")))?;
    Ok((doc, offset))
}

fn span_of(doc: &Doc, range: lsp::Range, snap: &Snapshot) -> Span {
    let (start, end) = position::range_clamped(&doc.rope, range, snap.config.encoding);
    Span::new(start, end)
}

/// Removes snippet syntax (`${1:x}` → `x`, `$1`/`$0` → nothing, `\$` → `$`) for a client
/// that does not support snippets.
pub fn strip_snippet(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(&next) = chars.peek() {
                    if matches!(next, '$' | '}' | '\\') {
                        out.push(next);
                        chars.next();
                        continue;
                    }
                }
                out.push(c);
            }
            '$' => match chars.peek() {
                Some(d) if d.is_ascii_digit() => {
                    while chars.peek().is_some_and(|d| d.is_ascii_digit()) {
                        chars.next();
                    }
                }
                Some('{') => {
                    chars.next();
                    while chars.peek().is_some_and(|d| d.is_ascii_digit()) {
                        chars.next();
                    }
                    match chars.peek() {
                        Some(':') => {
                            chars.next();
                            // The placeholder's text, up to the matching `}`; it may
                            // hold placeholders itself.
                            let mut depth = 0;
                            let mut inner = String::new();
                            for c in chars.by_ref() {
                                match c {
                                    '{' => depth += 1,
                                    '}' if depth == 0 => break,
                                    '}' => depth -= 1,
                                    _ => {}
                                }
                                inner.push(c);
                            }
                            out.push_str(&strip_snippet(&inner));
                        }
                        Some('|') => {
                            // A choice: keep the first option.
                            chars.next();
                            let mut first = true;
                            for c in chars.by_ref() {
                                match c {
                                    '}' => break,
                                    ',' | '|' => first = false,
                                    _ if first => out.push(c),
                                    _ => {}
                                }
                            }
                        }
                        _ => {
                            for c in chars.by_ref() {
                                if c == '}' {
                                    break;
                                }
                            }
                        }
                    }
                }
                _ => out.push(c),
            },
            _ => out.push(c),
        }
    }
    out
}

/// Above this many items, documentation is left out of a completion answer to keep it small
/// (the detail line with the signature stays).
const COMPLETION_DOCS_LIMIT: usize = 500;

pub fn completion(
    snap: &Snapshot,
    params: lsp::CompletionParams,
) -> Result<Option<lsp::CompletionResponse>> {
    let (doc, offset) = doc_at(snap, &params.text_document_position)?;
    let db = &snap.db;
    let config = ide::CompletionConfig {
        snippets: snap.config.snippets,
    };
    let mut items = ide::completions(db, doc.file, offset, &config);
    if let Some(dir) = ide::path_completion_dir(db, doc.file, offset) {
        // A std module's path is virtual (relative): it has no folder to list.
        let entries = if mlforge_analysis::is_std_file(db, doc.file) {
            Vec::new()
        } else {
            list_dir(doc.file.path(db), &dir)
        };
        items.extend(ide::path_completions(db, doc.file, offset, &entries));
    }
    let encoding = snap.config.encoding;
    let with_docs = items.len() <= COMPLETION_DOCS_LIMIT;
    // Items nearly all replace the same word: convert each distinct span once (a position
    // costs a walk of the rope, and a list can hold thousands of items).
    let mut last: Option<(Span, lsp::Range)> = None;
    let items = items
        .into_iter()
        .map(|item| {
            let snippet = item.is_snippet && snap.config.snippets;
            let new_text = if item.is_snippet && !snap.config.snippets {
                strip_snippet(&item.insert_text)
            } else {
                item.insert_text
            };
            let range = match last {
                Some((span, range)) if span == item.replace => range,
                _ => {
                    let range = position::lsp_range(
                        &doc.rope,
                        item.replace.start as usize,
                        item.replace.end as usize,
                        encoding,
                    );
                    last = Some((item.replace, range));
                    range
                }
            };
            lsp::CompletionItem {
                label: item.label,
                kind: Some(to_proto::completion_kind(item.kind)),
                detail: item.detail,
                documentation: match item.documentation {
                    Some(text) if with_docs => Some(lsp::Documentation::MarkupContent(
                        to_proto::markup(text, snap.config.markdown),
                    )),
                    _ => None,
                },
                sort_text: Some(item.sort_text),
                // Plain text is the default: said only for snippets, to keep long lists small.
                insert_text_format: snippet.then_some(lsp::InsertTextFormat::SNIPPET),
                text_edit: Some(lsp::CompletionTextEdit::Edit(lsp::TextEdit::new(
                    range, new_text,
                ))),
                ..Default::default()
            }
        })
        .collect();
    Ok(Some(lsp::CompletionResponse::List(lsp::CompletionList {
        is_incomplete: false,
        items,
    })))
}

/// The entries of the folder `rel` (relative to `file`'s folder), as `(name, is_dir)`:
/// folders and `.mlf` files (and any file, for bodies' `file "…"`), hidden ones left out,
/// at most 500.
fn list_dir(file: &Path, rel: &str) -> Vec<(String, bool)> {
    let Some(base) = file.parent() else {
        return Vec::new();
    };
    let Ok(entries) = std::fs::read_dir(base.join(rel)) else {
        return Vec::new();
    };
    let mut out: Vec<(String, bool)> = entries
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') {
                return None;
            }
            let is_dir = e.file_type().ok()?.is_dir();
            Some((name, is_dir))
        })
        .take(500)
        .collect();
    out.sort();
    out
}

pub fn hover(snap: &Snapshot, params: lsp::HoverParams) -> Result<Option<lsp::Hover>> {
    let (doc, offset) = doc_at(snap, &params.text_document_position_params)?;
    let Some(hover) = ide::hover(&snap.db, doc.file, offset) else {
        return Ok(None);
    };
    Ok(Some(lsp::Hover {
        contents: lsp::HoverContents::Markup(to_proto::markup(
            hover.markdown,
            snap.config.markdown,
        )),
        range: Some(position::lsp_range(
            &doc.rope,
            hover.span.start as usize,
            hover.span.end as usize,
            snap.config.encoding,
        )),
    }))
}

/// The length of `text` in the negotiated encoding's units.
fn units(text: &str, snap: &Snapshot) -> u32 {
    match snap.config.encoding {
        position::Encoding::Utf8 => text.len() as u32,
        position::Encoding::Utf16 => text.encode_utf16().count() as u32,
    }
}

pub fn signature_help(
    snap: &Snapshot,
    params: lsp::SignatureHelpParams,
) -> Result<Option<lsp::SignatureHelp>> {
    let (doc, offset) = doc_at(snap, &params.text_document_position_params)?;
    let Some(help) = ide::signature_help(&snap.db, doc.file, offset) else {
        return Ok(None);
    };
    let label = help.label;
    let parameters = help
        .params
        .iter()
        .zip(&help.param_docs)
        .map(|((name, range), doc)| {
            let in_label = label.get(range.clone());
            let param_label = match in_label {
                Some(_) if snap.config.label_offsets => lsp::ParameterLabel::LabelOffsets([
                    units(&label[..range.start], snap),
                    units(&label[..range.end], snap),
                ]),
                Some(text) => lsp::ParameterLabel::Simple(text.to_string()),
                None => lsp::ParameterLabel::Simple(name.clone()),
            };
            lsp::ParameterInformation {
                label: param_label,
                documentation: doc.clone().map(lsp::Documentation::String),
            }
        })
        .collect();
    let active = help.active_param.map(|a| a as u32);
    Ok(Some(lsp::SignatureHelp {
        signatures: vec![lsp::SignatureInformation {
            label,
            documentation: help.documentation.map(|text| {
                lsp::Documentation::MarkupContent(to_proto::markup(text, snap.config.markdown))
            }),
            parameters: Some(parameters),
            active_parameter: active,
        }],
        active_signature: Some(0),
        active_parameter: active,
    }))
}

pub fn inlay_hints(
    snap: &Snapshot,
    params: lsp::InlayHintParams,
) -> Result<Option<Vec<lsp::InlayHint>>> {
    let doc = doc(snap, &params.text_document.uri)?;
    let span = span_of(&doc, params.range, snap);
    let hints = ide::inlay_hints(&snap.db, doc.file, span)
        .into_iter()
        .map(|hint| {
            // `: T` keeps a space from its name; `Opts` one from its `{`; defaults none.
            let (kind, left, right) = match hint.kind {
                ide::InlayKind::Type => (lsp::InlayHintKind::TYPE, Some(true), None),
                ide::InlayKind::RecordName => (lsp::InlayHintKind::TYPE, None, Some(true)),
                ide::InlayKind::Defaults => (lsp::InlayHintKind::PARAMETER, None, None),
            };
            lsp::InlayHint {
                position: position::position(&doc.rope, hint.offset, snap.config.encoding),
                label: lsp::InlayHintLabel::String(hint.label),
                kind: Some(kind),
                text_edits: None,
                tooltip: None,
                padding_left: left,
                padding_right: right,
                data: None,
            }
        })
        .collect();
    Ok(Some(hints))
}

fn locations(snap: &Snapshot, spans: Vec<ide::FileSpan>) -> Vec<lsp::Location> {
    let mut conv = Converter::new(snap);
    spans
        .into_iter()
        .filter_map(|fs| conv.location(fs.file, fs.span))
        .collect()
}

pub fn definition(
    snap: &Snapshot,
    params: lsp::GotoDefinitionParams,
) -> Result<Option<lsp::GotoDefinitionResponse>> {
    let (doc, offset) = doc_at(snap, &params.text_document_position_params)?;
    let targets = ide::goto_definition(&snap.db, doc.file, offset);
    if targets.is_empty() {
        return Ok(None);
    }
    Ok(Some(lsp::GotoDefinitionResponse::Array(locations(
        snap, targets,
    ))))
}

pub fn references(
    snap: &Snapshot,
    params: lsp::ReferenceParams,
) -> Result<Option<Vec<lsp::Location>>> {
    let (doc, offset) = doc_at(snap, &params.text_document_position)?;
    let workspace = snap.workspace();
    let refs = ide::references(
        &snap.db,
        doc.file,
        offset,
        params.context.include_declaration,
        &workspace,
    );
    Ok(Some(locations(snap, refs)))
}

pub fn document_highlight(
    snap: &Snapshot,
    params: lsp::DocumentHighlightParams,
) -> Result<Option<Vec<lsp::DocumentHighlight>>> {
    let (doc, offset) = doc_at(snap, &params.text_document_position_params)?;
    let highlights = ide::document_highlights(&snap.db, doc.file, offset)
        .into_iter()
        .map(|(span, kind)| lsp::DocumentHighlight {
            range: position::lsp_range(
                &doc.rope,
                span.start as usize,
                span.end as usize,
                snap.config.encoding,
            ),
            kind: Some(match kind {
                ide::HighlightKind::Read => lsp::DocumentHighlightKind::READ,
                ide::HighlightKind::Write => lsp::DocumentHighlightKind::WRITE,
            }),
        })
        .collect();
    Ok(Some(highlights))
}

pub fn prepare_rename(
    snap: &Snapshot,
    params: lsp::TextDocumentPositionParams,
) -> Result<Option<lsp::PrepareRenameResponse>> {
    let (doc, offset) = doc_at(snap, &params)?;
    match ide::prepare_rename(&snap.db, doc.file, offset) {
        Ok(span) => Ok(Some(lsp::PrepareRenameResponse::Range(
            position::lsp_range(
                &doc.rope,
                span.start as usize,
                span.end as usize,
                snap.config.encoding,
            ),
        ))),
        Err(message) => Err(request_failed(message)),
    }
}

pub fn rename(snap: &Snapshot, params: lsp::RenameParams) -> Result<Option<lsp::WorkspaceEdit>> {
    let (doc, offset) = doc_at(snap, &params.text_document_position)?;
    let workspace = snap.workspace();
    match ide::rename(&snap.db, doc.file, offset, &params.new_name, &workspace) {
        Ok(edits) => Ok(Some(Converter::new(snap).workspace_edit(&edits))),
        Err(message) => Err(request_failed(message)),
    }
}

fn document_symbol(
    conv: &mut Converter<'_>,
    file: SourceFile,
    s: ide::Symbol,
) -> lsp::DocumentSymbol {
    let range = conv.range(file, s.span);
    let mut selection_range = conv.range(file, s.selection);
    // LSP wants the selection inside the range.
    if selection_range.start < range.start || selection_range.end > range.end {
        selection_range = lsp::Range::new(range.start, range.start);
    }
    let children: Vec<lsp::DocumentSymbol> = s
        .children
        .into_iter()
        .map(|c| document_symbol(conv, file, c))
        .collect();
    #[allow(deprecated)]
    lsp::DocumentSymbol {
        name: if s.name.is_empty() {
            "_".into()
        } else {
            s.name
        },
        detail: s.detail,
        kind: to_proto::symbol_kind(s.kind),
        tags: None,
        deprecated: None,
        range,
        selection_range,
        children: if children.is_empty() {
            None
        } else {
            Some(children)
        },
    }
}

fn flatten(
    conv: &mut Converter<'_>,
    file: SourceFile,
    uri: &Uri,
    s: ide::Symbol,
    container: Option<&str>,
    out: &mut Vec<lsp::SymbolInformation>,
) {
    let range = conv.range(file, s.span);
    #[allow(deprecated)]
    out.push(lsp::SymbolInformation {
        name: if s.name.is_empty() {
            "_".into()
        } else {
            s.name.clone()
        },
        kind: to_proto::symbol_kind(s.kind),
        tags: None,
        deprecated: None,
        location: lsp::Location::new(uri.clone(), range),
        container_name: container.map(str::to_string),
    });
    for child in s.children {
        flatten(conv, file, uri, child, Some(&s.name), out);
    }
}

pub fn document_symbols(
    snap: &Snapshot,
    params: lsp::DocumentSymbolParams,
) -> Result<Option<lsp::DocumentSymbolResponse>> {
    let uri = params.text_document.uri;
    let doc = doc(snap, &uri)?;
    let symbols = ide::document_symbols(&snap.db, doc.file);
    let mut conv = Converter::new(snap);
    if snap.config.hierarchical_symbols {
        let tree = symbols
            .into_iter()
            .map(|s| document_symbol(&mut conv, doc.file, s))
            .collect();
        Ok(Some(lsp::DocumentSymbolResponse::Nested(tree)))
    } else {
        let mut flat = Vec::new();
        for s in symbols {
            flatten(&mut conv, doc.file, &uri, s, None, &mut flat);
        }
        Ok(Some(lsp::DocumentSymbolResponse::Flat(flat)))
    }
}

pub fn workspace_symbols(
    snap: &Snapshot,
    params: lsp::WorkspaceSymbolParams,
) -> Result<Option<lsp::WorkspaceSymbolResponse>> {
    let files = snap.workspace();
    let found = ide::workspace_symbols(&snap.db, &files, &params.query);
    let mut conv = Converter::new(snap);
    let mut out = Vec::new();
    for (file, symbol) in found.into_iter().take(1000) {
        let Some(location) = conv.location(file, symbol.span) else {
            continue;
        };
        #[allow(deprecated)]
        out.push(lsp::SymbolInformation {
            name: symbol.name,
            kind: to_proto::symbol_kind(symbol.kind),
            tags: None,
            deprecated: None,
            location,
            container_name: symbol.detail,
        });
    }
    Ok(Some(lsp::WorkspaceSymbolResponse::Flat(out)))
}

pub fn folding_ranges(
    snap: &Snapshot,
    params: lsp::FoldingRangeParams,
) -> Result<Option<Vec<lsp::FoldingRange>>> {
    let doc = doc(snap, &params.text_document.uri)?;
    let mut out = Vec::new();
    for (span, kind) in ide::folding_ranges(&snap.db, doc.file) {
        let start = position::position(&doc.rope, span.start as usize, snap.config.encoding);
        let end = position::position(&doc.rope, span.end as usize, snap.config.encoding);
        let mut end_line = end.line;
        // Keep a closing `}` visible: fold up to the line before it.
        if end_line > start.line {
            let line = doc.rope.line(end_line as usize).to_string();
            if line.trim_start().starts_with('}') || line.trim_start().starts_with("\"\"\"") {
                end_line -= 1;
            }
        }
        if end_line <= start.line {
            continue;
        }
        out.push(lsp::FoldingRange {
            start_line: start.line,
            start_character: None,
            end_line,
            end_character: None,
            kind: Some(match kind {
                ide::FoldKind::Region => lsp::FoldingRangeKind::Region,
                ide::FoldKind::Comment => lsp::FoldingRangeKind::Comment,
                ide::FoldKind::Imports => lsp::FoldingRangeKind::Imports,
            }),
            collapsed_text: None,
        });
    }
    if let Some(limit) = snap.config.folding_limit {
        out.truncate(limit);
    }
    Ok(Some(out))
}

pub fn selection_ranges(
    snap: &Snapshot,
    params: lsp::SelectionRangeParams,
) -> Result<Option<Vec<lsp::SelectionRange>>> {
    let doc = doc(snap, &params.text_document.uri)?;
    let encoding = snap.config.encoding;
    let mut out = Vec::new();
    for pos in params.positions {
        let offset = position::offset(&doc.rope, pos, encoding)
            .map_err(|e| invalid_params(format!("invalid position: {e}")))?;
        let mut spans = ide::selection_ranges(&snap.db, doc.file, offset);
        // Innermost first, each containing the one before.
        spans.sort_by_key(|s| s.len());
        let mut chain: Vec<Span> = Vec::new();
        for span in spans {
            if chain.last().is_none_or(|inner| {
                span.start <= inner.start && span.end >= inner.end && span != *inner
            }) {
                chain.push(span);
            }
        }
        if chain.is_empty() {
            chain.push(Span::empty(offset));
        }
        let mut range: Option<lsp::SelectionRange> = None;
        for span in chain.into_iter().rev() {
            range = Some(lsp::SelectionRange {
                range: position::lsp_range(
                    &doc.rope,
                    span.start as usize,
                    span.end as usize,
                    encoding,
                ),
                parent: range.map(Box::new),
            });
        }
        out.extend(range);
    }
    Ok(Some(out))
}

pub fn code_actions(
    snap: &Snapshot,
    params: lsp::CodeActionParams,
) -> Result<Option<lsp::CodeActionResponse>> {
    let doc = doc(snap, &params.text_document.uri)?;
    let span = span_of(&doc, params.range, snap);
    let wanted = params.context.only.as_ref();
    let mut conv = Converter::new(snap);
    let mut out = Vec::new();
    let workspace = snap.workspace();
    for action in ide::code_actions(&snap.db, doc.file, span, &workspace) {
        let kind = lsp::CodeActionKind::from(action.kind.to_string());
        if let Some(only) = wanted {
            if !only.iter().any(|k| {
                kind.as_str() == k.as_str()
                    || kind.as_str().starts_with(&format!("{}.", k.as_str()))
            }) {
                continue;
            }
        }
        let edit = conv.workspace_edit(&action.edits);
        if !snap.config.code_action_literals {
            // Such a client only runs commands: ours applies the edit (see `commands.rs`).
            if snap.config.fixes_as_commands() {
                out.push(lsp::CodeActionOrCommand::Command(commands::apply_edit(
                    action.title,
                    edit,
                    snap,
                )));
            }
            continue;
        }
        let diagnostics: Vec<lsp::Diagnostic> = match action.fixes {
            Some(code) => params
                .context
                .diagnostics
                .iter()
                .filter(|d| {
                    matches!(&d.code, Some(lsp::NumberOrString::String(c)) if c == code.as_str())
                })
                .cloned()
                .collect(),
            None => Vec::new(),
        };
        out.push(lsp::CodeActionOrCommand::CodeAction(lsp::CodeAction {
            title: action.title,
            kind: Some(kind),
            is_preferred: if action.fixes.is_some() && !diagnostics.is_empty() {
                Some(true)
            } else {
                None
            },
            diagnostics: if diagnostics.is_empty() {
                None
            } else {
                Some(diagnostics)
            },
            edit: Some(edit),
            command: None,
            disabled: None,
            data: None,
        }));
    }
    Ok(Some(out))
}

pub fn code_lenses(
    snap: &Snapshot,
    params: lsp::CodeLensParams,
) -> Result<Option<Vec<lsp::CodeLens>>> {
    let doc = doc(snap, &params.text_document.uri)?;
    let lenses = ide::code_lenses(&snap.db, doc.file)
        .into_iter()
        .map(|lens| lsp::CodeLens {
            range: position::lsp_range(
                &doc.rope,
                lens.span.start as usize,
                lens.span.end as usize,
                snap.config.encoding,
            ),
            command: Some(lsp::Command {
                title: lens.title,
                command: lens.command,
                arguments: Some(
                    lens.arguments
                        .into_iter()
                        .map(serde_json::Value::String)
                        .collect(),
                ),
            }),
            data: None,
        })
        .collect();
    Ok(Some(lenses))
}

#[cfg(test)]
mod tests {
    use super::strip_snippet;

    #[test]
    fn snippets_become_plain_text() {
        assert_eq!(
            strip_snippet("step ${1:name} = ${2:op}($0)"),
            "step name = op()"
        );
        assert_eq!(strip_snippet("a $1 b ${2} c"), "a  b  c");
        assert_eq!(strip_snippet("cost \\$5"), "cost $5");
        assert_eq!(strip_snippet("${1|int,float|}"), "int");
        assert_eq!(
            strip_snippet("x ${1:outer ${2:inner}} y"),
            "x outer inner y"
        );
        assert_eq!(strip_snippet("plain"), "plain");
    }
}
