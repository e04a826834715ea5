//! What was negotiated at `initialize`: the client's declared capabilities that change what
//! the server sends, and the server's own options (`initializationOptions`).

use std::time::Duration;

use serde::Deserialize;
use tower_lsp_server::ls_types::{ClientCapabilities, InitializeParams, MarkupKind};

use crate::position::Encoding;

/// The default pause after the last keystroke before diagnostics are computed.
pub const DEFAULT_DEBOUNCE: Duration = Duration::from_millis(100);

#[derive(Clone, Debug, Default)]
pub struct Config {
    pub encoding: Encoding,
    /// Completion items may carry snippet syntax (`${1:x}`).
    pub snippets: bool,
    /// Hover and documentation may be Markdown (plain text otherwise).
    pub markdown: bool,
    /// `textDocument/documentSymbol` may answer a tree (`DocumentSymbol`).
    pub hierarchical_symbols: bool,
    /// Code actions may be `CodeAction` literals (else only `Command`s).
    pub code_action_literals: bool,
    /// The server may ask the client to apply a workspace edit (`workspace/applyEdit`).
    pub apply_edit: bool,
    /// The client lets the server register a file watcher at run time.
    pub dynamic_watchers: bool,
    /// Diagnostics may carry `relatedInformation`.
    pub related_information: bool,
    /// Diagnostics may carry `codeDescription`.
    pub code_description: bool,
    /// Signature help labels may be `[start, end]` offsets.
    pub label_offsets: bool,
    /// Diagnostics may be tagged `Unnecessary` / `Deprecated`.
    pub diagnostic_tags: bool,
    /// Prepare-rename is supported by the client.
    pub prepare_rename: bool,
    /// The client can be asked to refresh semantic tokens, inlay hints and code lenses.
    pub refresh_semantic_tokens: bool,
    pub refresh_inlay_hints: bool,
    pub refresh_code_lens: bool,
    /// The semantic token types the client lists, if it lists any.
    pub token_types: Option<Vec<String>>,
    /// The most folding ranges the client wants.
    pub folding_limit: Option<usize>,
    pub options: Options,
}

impl Config {
    /// Quick fixes reach a client without `CodeAction` literals as commands that the
    /// server carries out through `workspace/applyEdit`, if the client allows that.
    pub fn fixes_as_commands(&self) -> bool {
        !self.code_action_literals && self.apply_edit
    }
}

/// `initializationOptions` the server understands.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Options {
    /// Milliseconds to wait after the last edit before computing diagnostics (default 100;
    /// benchmarks set 0). Capped at 150.
    pub debounce_ms: Option<u64>,
    /// Send `mlforge/graphChanged` (default true).
    pub graph_notifications: Option<bool>,
    /// Enables `mlforge/debugPanic` (a request that panics, for testing the panic boundary).
    pub test_hooks: Option<bool>,
}

impl Config {
    pub fn from_params(params: &InitializeParams) -> Config {
        let caps: &ClientCapabilities = &params.capabilities;
        let text = caps.text_document.as_ref();
        let completion_item = text
            .and_then(|t| t.completion.as_ref())
            .and_then(|c| c.completion_item.as_ref());
        let hover_markdown = text
            .and_then(|t| t.hover.as_ref())
            .and_then(|h| h.content_format.as_ref())
            .is_some_and(|formats| formats.contains(&MarkupKind::Markdown));
        let publish = text.and_then(|t| t.publish_diagnostics.as_ref());
        let workspace = caps.workspace.as_ref();
        let options = params
            .initialization_options
            .clone()
            .and_then(|value| serde_json::from_value::<Options>(value).ok())
            .unwrap_or_default();
        Config {
            encoding: match caps
                .general
                .as_ref()
                .and_then(|g| g.position_encodings.as_deref())
            {
                Some(offered) => Encoding::negotiate(Some(offered)),
                // clangd's older extension, `offsetEncoding: ["utf-8", …]`.
                None if caps
                    .offset_encoding
                    .as_ref()
                    .is_some_and(|o| o.iter().any(|e| e == "utf-8")) =>
                {
                    Encoding::Utf8
                }
                None => Encoding::Utf16,
            },
            snippets: completion_item
                .and_then(|c| c.snippet_support)
                .unwrap_or(false),
            markdown: hover_markdown,
            hierarchical_symbols: text
                .and_then(|t| t.document_symbol.as_ref())
                .and_then(|d| d.hierarchical_document_symbol_support)
                .unwrap_or(false),
            code_action_literals: text
                .and_then(|t| t.code_action.as_ref())
                .is_some_and(|c| c.code_action_literal_support.is_some()),
            apply_edit: workspace.and_then(|w| w.apply_edit).unwrap_or(false),
            dynamic_watchers: workspace
                .and_then(|w| w.did_change_watched_files.as_ref())
                .and_then(|d| d.dynamic_registration)
                .unwrap_or(false),
            related_information: publish.and_then(|p| p.related_information).unwrap_or(false),
            code_description: publish
                .and_then(|p| p.code_description_support)
                .unwrap_or(false),
            diagnostic_tags: publish.is_some_and(|p| p.tag_support.is_some()),
            label_offsets: text
                .and_then(|t| t.signature_help.as_ref())
                .and_then(|s| s.signature_information.as_ref())
                .and_then(|s| s.parameter_information.as_ref())
                .and_then(|p| p.label_offset_support)
                .unwrap_or(false),
            prepare_rename: text
                .and_then(|t| t.rename.as_ref())
                .and_then(|r| r.prepare_support)
                .unwrap_or(false),
            refresh_semantic_tokens: workspace
                .and_then(|w| w.semantic_tokens.as_ref())
                .and_then(|s| s.refresh_support)
                .unwrap_or(false),
            refresh_inlay_hints: workspace
                .and_then(|w| w.inlay_hint.as_ref())
                .and_then(|s| s.refresh_support)
                .unwrap_or(false),
            refresh_code_lens: workspace
                .and_then(|w| w.code_lens.as_ref())
                .and_then(|s| s.refresh_support)
                .unwrap_or(false),
            token_types: text
                .and_then(|t| t.semantic_tokens.as_ref())
                .map(|s| {
                    s.token_types
                        .iter()
                        .map(|t| t.as_str().to_string())
                        .collect::<Vec<_>>()
                })
                .filter(|types| !types.is_empty()),
            folding_limit: text
                .and_then(|t| t.folding_range.as_ref())
                .and_then(|f| f.range_limit)
                .map(|l| l as usize),
            options,
        }
    }

    pub fn debounce(&self) -> Duration {
        self.options
            .debounce_ms
            .map(|ms| Duration::from_millis(ms.min(150)))
            .unwrap_or(DEFAULT_DEBOUNCE)
    }

    pub fn graph_notifications(&self) -> bool {
        self.options.graph_notifications.unwrap_or(true)
    }
}
