//! The `LanguageServer` implementation: notifications change the world synchronously (no
//! `.await` between receiving an edit and writing it, so edits apply in order); requests run
//! on snapshots through [`dispatch::on_snapshot`]; diagnostics and graph updates run in a
//! per-document debounced task.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use mlforge_analysis::{DiskLoader, RootDatabase};
use mlforge_ide as ide;
use mlforge_syntax::Span;
use tokio::task::AbortHandle;
use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::ls_types::{self as lsp, Uri};
use tower_lsp_server::{Client, LanguageServer};

use crate::commands;
use crate::config::Config;
use crate::diagnostics;
use crate::dispatch::{self, internal_error, is_cancellation, on_snapshot};
use crate::formatting;
use crate::graph::{self, GraphCache, GraphChanged, GraphChangedParams, GraphParams};
use crate::handlers;
use crate::memory;
use crate::position;
use crate::raw::{Placeholder, RawJson, RawTable};
use crate::semantic_tokens;
use crate::std_source;
use crate::world::{scan_workspace, uri_to_path, Snapshot, World};

/// At most this many `.mlf` files are indexed from the workspace folders at start.
const WORKSPACE_FILE_LIMIT: usize = 20_000;

/// How long a document must be left alone after its diagnostics before its graphs are
/// rebuilt for `mlforge/graphChanged`.
const GRAPH_IDLE: Duration = Duration::from_millis(200);

/// How long a workspace-wide request waits for the first scan of the workspace folders.
const WORKSPACE_SCAN_WAIT: Duration = Duration::from_secs(3);

/// The last semantic tokens answered for a document: the result id and the tokens.
type TokenCache = HashMap<Uri, (String, Arc<Vec<lsp::SemanticToken>>)>;

/// The language server. Cheap to clone: everything lives in one shared [`Inner`].
#[derive(Clone)]
pub struct Backend {
    inner: Arc<Inner>,
}

pub struct Inner {
    client: Client,
    world: Mutex<World>,
    config: RwLock<Arc<Config>>,
    /// The pending analysis task of each document (debounce timer, then the work).
    timers: Mutex<HashMap<Uri, AbortHandle>>,
    /// The last semantic tokens answered per document, for deltas.
    tokens: Mutex<TokenCache>,
    graphs: Mutex<GraphCache>,
    /// Big answers serialised by their handlers, waiting to be spliced into the output.
    raw: Arc<RawTable>,
    next_result_id: AtomicU64,
    roots: Mutex<Vec<PathBuf>>,
    /// True once the workspace folders have been scanned for `.mlf` files.
    scanned: tokio::sync::watch::Sender<bool>,
    /// Set by work that allocates; the trimmer gives memory back after it.
    activity: memory::Activity,
    shutdown_requested: AtomicBool,
}

impl Backend {
    pub fn new(client: Client) -> Backend {
        Backend {
            inner: Arc::new(Inner {
                client,
                world: Mutex::new(World::new(RootDatabase::new(Arc::new(DiskLoader)))),
                config: RwLock::new(Arc::new(Config::default())),
                timers: Mutex::default(),
                tokens: Mutex::default(),
                graphs: Mutex::default(),
                raw: Arc::default(),
                next_result_id: AtomicU64::new(1),
                roots: Mutex::default(),
                scanned: tokio::sync::watch::Sender::new(false),
                activity: memory::Activity::default(),
                shutdown_requested: AtomicBool::new(false),
            }),
        }
    }

    /// Whether the client sent `shutdown` (the exit code depends on it).
    pub fn shutdown_requested(&self) -> bool {
        self.inner.shutdown_requested.load(Ordering::SeqCst)
    }

    /// `mlforge/graph`: answers a placeholder that [`crate::raw::Splice`] replaces by the
    /// JSON text of the answer (see `graph::response_json`).
    pub async fn graph(&self, params: GraphParams) -> Result<Placeholder> {
        self.inner.clone().graph(params).await
    }

    /// `mlforge/opCatalog`: what a step of the document can call (see `catalog.rs`).
    pub async fn op_catalog(
        &self,
        params: crate::catalog::CatalogParams,
    ) -> Result<crate::catalog::Catalog> {
        self.inner
            .read_workspace("mlforge/opCatalog", move |snap| {
                crate::catalog::op_catalog(snap, params)
            })
            .await
    }

    /// `mlforge/graphEdit`: a graph editor's change as a `WorkspaceEdit` (see `graph_edit.rs`).
    pub async fn graph_edit(
        &self,
        params: crate::graph_edit::GraphEditParams,
    ) -> Result<crate::graph_edit::GraphEditResult> {
        self.inner
            .read("mlforge/graphEdit", move |snap| {
                crate::graph_edit::graph_edit(snap, params)
            })
            .await
    }

    /// `mlforge/stdSource`: the text of a std module's `mlforge-std:` document (see
    /// `std_source.rs`).
    pub async fn std_source(
        &self,
        params: std_source::StdSourceParams,
    ) -> Result<std_source::StdSource> {
        std_source::std_source(&params)
    }

    /// `textDocument/completion`, always rerouted here by [`crate::raw::Reroute`] (so the
    /// `LanguageServer` method keeps its default): serialised on the snapshot's thread and
    /// spliced in (a list of thousands of items is a megabyte of JSON).
    pub async fn raw_completion(&self, params: lsp::CompletionParams) -> Result<Placeholder> {
        let json = self
            .inner
            .read("completion", move |snap| {
                let answer = handlers::completion(snap, params)?;
                RawJson::new(&answer)
                    .map_err(|e| internal_error(format!("completion: cannot serialise: {e}")))
            })
            .await?;
        Ok(self.inner.raw.answer(json))
    }

    /// `textDocument/semanticTokens/full`, always rerouted here by [`crate::raw::Reroute`]
    /// (so the `LanguageServer` method keeps its default): serialised once, straight from
    /// the token list.
    pub async fn raw_semantic_tokens_full(
        &self,
        params: lsp::SemanticTokensParams,
    ) -> Result<Placeholder> {
        let (id, data) = self
            .inner
            .whole_file_tokens(params.text_document.uri)
            .await?;
        let json = semantic_tokens::tokens_json(&id, &data)
            .map_err(|e| internal_error(format!("semantic tokens: cannot serialise: {e}")))?;
        Ok(self.inner.raw.answer(json))
    }

    /// The answers a [`crate::raw::Splice`] under this server's output writes in.
    pub fn raw_table(&self) -> Arc<RawTable> {
        self.inner.raw.clone()
    }

    /// `mlforge/invalidMessage`: fails with the error that `framing.rs` chose for a message
    /// it could not pass on, so that the answer is written like any other.
    pub(crate) async fn invalid_message(
        &self,
        params: crate::framing::InvalidMessage,
    ) -> Result<()> {
        Err(tower_lsp_server::jsonrpc::Error {
            code: tower_lsp_server::jsonrpc::ErrorCode::from(params.code),
            message: params.message.into(),
            data: None,
        })
    }

    /// `mlforge/debugPanic`: panics inside a handler, to test the panic boundary. Answers
    /// `MethodNotFound` unless the client set `{"testHooks": true}` at initialize.
    pub async fn debug_panic(&self, _params: serde_json::Value) -> Result<()> {
        if !self.inner.config().options.test_hooks.unwrap_or(false) {
            return Err(tower_lsp_server::jsonrpc::Error::method_not_found());
        }
        self.inner
            .read("mlforge/debugPanic", |_| -> Result<()> {
                panic!("a deliberate panic for the test of the panic boundary")
            })
            .await
    }
}

impl Inner {
    fn config(&self) -> Arc<Config> {
        self.config.read().expect("config lock").clone()
    }

    fn snapshot(&self) -> Snapshot {
        let config = self.config();
        self.world.lock().expect("world lock").snapshot(config)
    }

    async fn read<T, F>(&self, what: &'static str, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Snapshot) -> Result<T> + Send + 'static,
    {
        self.activity.touch();
        on_snapshot(what, self.snapshot(), f).await
    }

    /// Like [`Inner::read`], for requests that search the whole workspace: waits (a little)
    /// for the scan of the workspace folders started at `initialized`.
    async fn read_workspace<T, F>(&self, what: &'static str, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Snapshot) -> Result<T> + Send + 'static,
    {
        let mut scanned = self.scanned.subscribe();
        let _ = tokio::time::timeout(WORKSPACE_SCAN_WAIT, scanned.wait_for(|done| *done)).await;
        self.read(what, f).await
    }

    fn version_of(&self, uri: &Uri) -> Option<i32> {
        self.world
            .lock()
            .expect("world lock")
            .docs
            .get(uri)
            .map(|d| d.version)
    }

    fn open_uris(&self) -> Vec<Uri> {
        self.world
            .lock()
            .expect("world lock")
            .docs
            .iter()
            .map(|d| d.uri.clone())
            .collect()
    }

    /// Starts (or restarts) the analysis of `uri` after `delay`. Never for a std module's
    /// document: the library's text has no diagnostics to publish and no graph to send.
    fn schedule(self: &Arc<Self>, uri: Uri, delay: Duration) {
        if std_source::is_std(&uri) {
            return;
        }
        let inner = self.clone();
        let target = uri.clone();
        let task = tokio::spawn(async move {
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            inner.analyse(target).await;
        });
        let previous = self
            .timers
            .lock()
            .expect("timers lock")
            .insert(uri, task.abort_handle());
        if let Some(previous) = previous {
            previous.abort();
        }
    }

    /// Publishes the diagnostics of `uri` and of the open documents importing it, then
    /// refreshes their graphs and tells the client when one changed.
    async fn analyse(self: Arc<Self>, uri: Uri) {
        let target = uri.clone();
        let outcome = self
            .read("diagnostics", move |snap| {
                let mut uris = vec![target.clone()];
                uris.extend(diagnostics::dependents(snap, &target));
                Ok((diagnostics::compute(snap, &uris)?, uris))
            })
            .await;
        let (published, uris) = match outcome {
            Ok(answer) => answer,
            Err(e) if is_cancellation(&e) => return,
            Err(e) => {
                self.client
                    .log_message(lsp::MessageType::ERROR, e.message)
                    .await;
                return;
            }
        };
        for p in published {
            // A newer edit has its own analysis coming: do not publish stale results.
            if self.version_of(&p.uri) == Some(p.version) {
                self.client
                    .publish_diagnostics(p.uri, p.diagnostics, Some(p.version))
                    .await;
            }
        }
        let config = self.config();
        if uris.len() > 1 {
            self.refresh_views(&config);
        }
        if config.graph_notifications() {
            // Graphs wait until typing pauses: a new edit aborts this task, so building
            // them never delays the next edit's diagnostics.
            tokio::time::sleep(GRAPH_IDLE).await;
            for uri in uris {
                self.refresh_graph(uri).await;
            }
        }
    }

    /// Asks the client to re-request views that depend on other files (an imported file
    /// changed), when it supports being asked.
    fn refresh_views(&self, config: &Config) {
        let client = self.client.clone();
        let (tokens, hints, lenses) = (
            config.refresh_semantic_tokens,
            config.refresh_inlay_hints,
            config.refresh_code_lens,
        );
        tokio::spawn(async move {
            if tokens {
                let _ = client.semantic_tokens_refresh().await;
            }
            if hints {
                let _ = client.inlay_hint_refresh().await;
            }
            if lenses {
                let _ = client.code_lens_refresh().await;
            }
        });
    }

    async fn refresh_graph(&self, uri: Uri) {
        let (previous, preview) = {
            let cache = self.graphs.lock().expect("graph lock");
            (
                cache
                    .docs
                    .get(&uri)
                    .map(|g| g.last_good.clone())
                    .unwrap_or_default(),
                cache.subscribed.get(&uri).copied(),
            )
        };
        let target = uri.clone();
        let Ok((generation, graphs)) = self
            .read("graph refresh", move |snap| {
                Ok((
                    snap.generation,
                    graph::refresh(snap, &target, &previous, preview)?,
                ))
            })
            .await
        else {
            return;
        };
        let changed = {
            let mut cache = self.graphs.lock().expect("graph lock");
            if graphs.is_empty() && !cache.docs.contains_key(&uri) {
                false
            } else {
                cache
                    .docs
                    .entry(uri.clone())
                    .or_default()
                    .update(generation, graphs)
            }
        };
        if changed && self.version_of(&uri).is_some() {
            self.client
                .send_notification::<GraphChanged>(GraphChangedParams { uri })
                .await;
        }
    }

    async fn graph(self: Arc<Self>, params: GraphParams) -> Result<Placeholder> {
        let want_dot = params.dot.unwrap_or(true);
        // A position is read against the document's current text.
        let rope = match params.focus.as_ref().and_then(|f| f.position) {
            Some(_) => self.snapshot().document(&params.uri).map(|(_, rope)| rope),
            None => None,
        };
        let focus = graph::focus_on(params.focus.as_ref(), rope.as_ref(), self.config().encoding)?;
        let ask = graph::Ask {
            dot: want_dot,
            stale: false,
            focus,
        };
        let wants = graph::Wants::of(&ask);
        let generation = self.world.lock().expect("world lock").generation;
        let cached = {
            let mut cache = self.graphs.lock().expect("graph lock");
            cache.subscribed.insert(params.uri.clone(), wants);
            cache
                .docs
                .get(&params.uri)
                .and_then(|g| g.fresh(generation, params.pipeline.as_deref()))
        };
        let (entry, stale) =
            match cached {
                Some(entry) => (entry, false),
                None => {
                    let uri = params.uri.clone();
                    let wanted = params.pipeline.clone();
                    let built = self
                        .read("mlforge/graph", move |snap| {
                            Ok(graph::build(snap, &uri, wanted.as_deref())?.map(|model| {
                                graph::Entry {
                                    drawn: Arc::new(graph::Drawn::new(model)),
                                    generation: snap.generation,
                                }
                            }))
                        })
                        .await?;
                    let mut cache = self.graphs.lock().expect("graph lock");
                    match built {
                        Ok(entry) => {
                            cache
                                .docs
                                .entry(params.uri.clone())
                                .or_default()
                                .answered(entry.clone(), params.pipeline.is_none());
                            (entry, false)
                        }
                        Err(message) => match cache
                            .docs
                            .get(&params.uri)
                            .and_then(|g| g.stale(params.pipeline.as_deref()))
                        {
                            Some(entry) => (entry, true),
                            None => return Err(graph::no_graph(message)),
                        },
                    }
                }
            };
        // The JSON and DOT are made once per graph and kept with it (see `graph::Drawn`);
        // making them, or copying them into the answer, is work for a blocking thread.
        self.activity.touch();
        let started = dispatch::timing().then(std::time::Instant::now);
        let ask = graph::Ask { stale, ..ask };
        let json = tokio::task::spawn_blocking(move || graph::response_json(&entry.drawn, &ask))
            .await
            .map_err(|e| internal_error(format!("mlforge/graph: {e}")))??;
        if let Some(started) = started {
            eprintln!(
                "mlforge lsp: mlforge/graph answer: {:.2} ms ({} bytes)",
                started.elapsed().as_secs_f64() * 1000.0,
                json.0.len()
            );
        }
        Ok(self.raw.answer(json))
    }

    /// The whole file's semantic tokens, remembered (with a new result id) for the next
    /// delta request.
    async fn whole_file_tokens(&self, uri: Uri) -> Result<(String, Arc<Vec<lsp::SemanticToken>>)> {
        let target = uri.clone();
        let data = self
            .read("semantic tokens", move |snap| {
                encoded_tokens(snap, &target, None)
            })
            .await?;
        let id = self.next_result_id();
        let data = Arc::new(data);
        self.tokens
            .lock()
            .expect("tokens lock")
            .insert(uri, (id.clone(), data.clone()));
        Ok((id, data))
    }

    fn next_result_id(&self) -> String {
        self.next_result_id
            .fetch_add(1, Ordering::Relaxed)
            .to_string()
    }
}

fn capabilities(config: &Config) -> lsp::ServerCapabilities {
    use lsp::*;
    ServerCapabilities {
        position_encoding: Some(config.encoding.kind()),
        text_document_sync: Some(TextDocumentSyncCapability::Options(
            TextDocumentSyncOptions {
                open_close: Some(true),
                change: Some(TextDocumentSyncKind::INCREMENTAL),
                will_save: None,
                will_save_wait_until: None,
                save: Some(TextDocumentSyncSaveOptions::Supported(true)),
            },
        )),
        completion_provider: Some(CompletionOptions {
            resolve_provider: Some(false),
            trigger_characters: Some(
                [".", ":", "{", "\"", "/", "(", ",", "["]
                    .iter()
                    .map(|s| s.to_string())
                    .collect(),
            ),
            ..Default::default()
        }),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        signature_help_provider: Some(SignatureHelpOptions {
            // `{` opens a record literal, whose fields are shown like a call's params.
            trigger_characters: Some(vec!["(".into(), ",".into(), "{".into()]),
            retrigger_characters: Some(vec![",".into()]),
            work_done_progress_options: Default::default(),
        }),
        definition_provider: Some(OneOf::Left(true)),
        references_provider: Some(OneOf::Left(true)),
        document_highlight_provider: Some(OneOf::Left(true)),
        document_symbol_provider: Some(OneOf::Left(true)),
        workspace_symbol_provider: Some(OneOf::Left(true)),
        code_action_provider: Some(if config.code_action_literals {
            CodeActionProviderCapability::Options(CodeActionOptions {
                code_action_kinds: Some(vec![CodeActionKind::QUICKFIX, CodeActionKind::REFACTOR]),
                resolve_provider: Some(false),
                work_done_progress_options: Default::default(),
            })
        } else {
            CodeActionProviderCapability::Simple(true)
        }),
        execute_command_provider: Some(ExecuteCommandOptions {
            commands: config
                .fixes_as_commands()
                .then(|| commands::APPLY_EDIT.to_string())
                .into_iter()
                .chain([commands::EXPORT.to_string()])
                .collect(),
            work_done_progress_options: Default::default(),
        }),
        code_lens_provider: Some(CodeLensOptions {
            resolve_provider: Some(false),
        }),
        document_formatting_provider: Some(OneOf::Left(true)),
        document_range_formatting_provider: Some(OneOf::Left(true)),
        rename_provider: Some(if config.prepare_rename {
            OneOf::Right(RenameOptions {
                prepare_provider: Some(true),
                work_done_progress_options: Default::default(),
            })
        } else {
            OneOf::Left(true)
        }),
        folding_range_provider: Some(FoldingRangeProviderCapability::Simple(true)),
        selection_range_provider: Some(SelectionRangeProviderCapability::Simple(true)),
        semantic_tokens_provider: Some(SemanticTokensServerCapabilities::SemanticTokensOptions(
            SemanticTokensOptions {
                legend: semantic_tokens::legend(config.token_types.as_deref()),
                range: Some(true),
                full: Some(SemanticTokensFullOptions::Delta { delta: Some(true) }),
                work_done_progress_options: Default::default(),
            },
        )),
        inlay_hint_provider: Some(OneOf::Left(true)),
        experimental: Some(serde_json::json!({
            "mlforgeGraph": { "request": "mlforge/graph", "notification": "mlforge/graphChanged" },
            "mlforgeStdSource": { "request": std_source::METHOD, "scheme": std_source::SCHEME }
        })),
        ..Default::default()
    }
}

/// The tokens of a whole document, encoded.
fn encoded_tokens(
    snap: &Snapshot,
    uri: &Uri,
    range: Option<lsp::Range>,
) -> Result<Vec<lsp::SemanticToken>> {
    let doc = handlers::doc(snap, uri)?;
    let mut tokens = ide::semantic_tokens(&snap.db, doc.file);
    if let Some(range) = range {
        let (start, end) = position::range_clamped(&doc.rope, range, snap.config.encoding);
        let wanted = Span::new(start, end);
        tokens.retain(|t| t.span.end >= wanted.start && t.span.start <= wanted.end);
    }
    let text = doc.file.text(&snap.db).clone().unwrap_or_default();
    Ok(semantic_tokens::encode(
        &text,
        &tokens,
        snap.config.encoding,
    ))
}

impl LanguageServer for Backend {
    async fn initialize(&self, params: lsp::InitializeParams) -> Result<lsp::InitializeResult> {
        let config = Config::from_params(&params);
        let capabilities = capabilities(&config);
        let encoding = config.encoding;
        *self.inner.config.write().expect("config lock") = Arc::new(config);
        let mut roots = Vec::new();
        if let Some(folders) = &params.workspace_folders {
            roots.extend(
                folders
                    .iter()
                    .filter_map(|f| f.uri.to_file_path().map(|p| p.into_owned())),
            );
        }
        #[allow(deprecated)]
        if roots.is_empty() {
            if let Some(path) = params.root_uri.as_ref().and_then(|u| u.to_file_path()) {
                roots.push(path.into_owned());
            }
        }
        *self.inner.roots.lock().expect("roots lock") = roots;
        Ok(lsp::InitializeResult {
            capabilities,
            // clangd's extension, read by older clients (Neovim before 0.9).
            offset_encoding: Some(
                match encoding {
                    position::Encoding::Utf8 => "utf-8",
                    position::Encoding::Utf16 => "utf-16",
                }
                .to_string(),
            ),
            server_info: Some(lsp::ServerInfo {
                name: "mlforge".to_string(),
                version: Some(env!("CARGO_PKG_VERSION").to_string()),
            }),
        })
    }

    async fn initialized(&self, _: lsp::InitializedParams) {
        let inner = self.inner.clone();
        memory::spawn_trimmer(inner.activity.clone());
        let roots = inner.roots.lock().expect("roots lock").clone();
        if roots.is_empty() {
            inner.scanned.send_replace(true);
        } else {
            // Index the workspace folders' .mlf files in the background.
            let scanner = inner.clone();
            tokio::spawn(async move {
                let found = tokio::task::spawn_blocking(move || {
                    let mut all = Vec::new();
                    for root in roots {
                        all.extend(scan_workspace(&root, WORKSPACE_FILE_LIMIT));
                    }
                    all
                })
                .await
                .unwrap_or_default();
                {
                    let mut world = scanner.world.lock().expect("world lock");
                    for path in found {
                        world.set_workspace_file(&path, true);
                    }
                }
                scanner.scanned.send_replace(true);
            });
        }
        if inner.config().dynamic_watchers {
            let options = lsp::DidChangeWatchedFilesRegistrationOptions {
                watchers: vec![lsp::FileSystemWatcher {
                    glob_pattern: lsp::GlobPattern::String("**/*.mlf".to_string()),
                    kind: None,
                }],
            };
            let registration = lsp::Registration {
                id: "mlforge-watch-mlf".to_string(),
                method: "workspace/didChangeWatchedFiles".to_string(),
                register_options: serde_json::to_value(options).ok(),
            };
            let client = inner.client.clone();
            // Not awaited here: the client answers while it goes on sending us messages.
            tokio::spawn(async move {
                if let Err(e) = client.register_capability(vec![registration]).await {
                    client
                        .log_message(
                            lsp::MessageType::WARNING,
                            format!("could not register the .mlf file watcher: {}", e.message),
                        )
                        .await;
                }
            });
        }
    }

    async fn shutdown(&self) -> Result<()> {
        self.inner.shutdown_requested.store(true, Ordering::SeqCst);
        let timers: Vec<AbortHandle> = self
            .inner
            .timers
            .lock()
            .expect("timers lock")
            .drain()
            .map(|(_, t)| t)
            .collect();
        for timer in timers {
            timer.abort();
        }
        Ok(())
    }

    async fn did_open(&self, params: lsp::DidOpenTextDocumentParams) {
        let doc = params.text_document;
        let opened = self
            .inner
            .world
            .lock()
            .expect("world lock")
            .open(doc.uri.clone(), doc.version, doc.text)
            .is_some();
        if opened {
            self.inner.schedule(doc.uri, Duration::ZERO);
        }
    }

    async fn did_change(&self, params: lsp::DidChangeTextDocumentParams) {
        let config = self.inner.config();
        let uri = params.text_document.uri;
        let started = dispatch::timing().then(std::time::Instant::now);
        let applied = self.inner.world.lock().expect("world lock").change(
            &uri,
            params.text_document.version,
            params.content_changes,
            config.encoding,
        );
        if let Some(started) = started {
            eprintln!(
                "mlforge lsp: didChange applied in {:.2} ms",
                started.elapsed().as_secs_f64() * 1000.0
            );
        }
        if applied {
            self.inner.schedule(uri, config.debounce());
        }
    }

    async fn did_save(&self, _: lsp::DidSaveTextDocumentParams) {}

    async fn did_close(&self, params: lsp::DidCloseTextDocumentParams) {
        let uri = params.text_document.uri;
        self.inner.world.lock().expect("world lock").close(&uri);
        if std_source::is_std(&uri) {
            // Nothing was published for it, and no other document's analysis changes.
            return;
        }
        if let Some(timer) = self.inner.timers.lock().expect("timers lock").remove(&uri) {
            timer.abort();
        }
        self.inner.tokens.lock().expect("tokens lock").remove(&uri);
        {
            let mut graphs = self.inner.graphs.lock().expect("graph lock");
            graphs.docs.remove(&uri);
            graphs.subscribed.remove(&uri);
        }
        // The file is the disk's again: files importing it may see other diagnostics.
        let delay = self.inner.config().debounce();
        for other in self.inner.open_uris() {
            self.inner.schedule(other, delay);
        }
        self.inner
            .client
            .publish_diagnostics(uri, Vec::new(), None)
            .await;
    }

    async fn did_change_watched_files(&self, params: lsp::DidChangeWatchedFilesParams) {
        {
            let mut world = self.inner.world.lock().expect("world lock");
            for change in params.changes {
                let path = uri_to_path(&change.uri);
                let exists = change.typ != lsp::FileChangeType::DELETED;
                world.file_changed_on_disk(&path);
                if path.extension().is_some_and(|e| e == "mlf") {
                    world.set_workspace_file(&path, exists);
                }
            }
        }
        let delay = self.inner.config().debounce();
        for uri in self.inner.open_uris() {
            self.inner.schedule(uri, delay);
        }
    }

    async fn hover(&self, params: lsp::HoverParams) -> Result<Option<lsp::Hover>> {
        self.inner
            .read("hover", move |snap| handlers::hover(snap, params))
            .await
    }

    async fn signature_help(
        &self,
        params: lsp::SignatureHelpParams,
    ) -> Result<Option<lsp::SignatureHelp>> {
        self.inner
            .read("signature help", move |snap| {
                handlers::signature_help(snap, params)
            })
            .await
    }

    async fn inlay_hint(
        &self,
        params: lsp::InlayHintParams,
    ) -> Result<Option<Vec<lsp::InlayHint>>> {
        self.inner
            .read("inlay hints", move |snap| {
                handlers::inlay_hints(snap, params)
            })
            .await
    }

    async fn goto_definition(
        &self,
        params: lsp::GotoDefinitionParams,
    ) -> Result<Option<lsp::GotoDefinitionResponse>> {
        self.inner
            .read("definition", move |snap| handlers::definition(snap, params))
            .await
    }

    async fn references(&self, params: lsp::ReferenceParams) -> Result<Option<Vec<lsp::Location>>> {
        self.inner
            .read_workspace("references", move |snap| handlers::references(snap, params))
            .await
    }

    async fn document_highlight(
        &self,
        params: lsp::DocumentHighlightParams,
    ) -> Result<Option<Vec<lsp::DocumentHighlight>>> {
        self.inner
            .read("document highlight", move |snap| {
                handlers::document_highlight(snap, params)
            })
            .await
    }

    async fn prepare_rename(
        &self,
        params: lsp::TextDocumentPositionParams,
    ) -> Result<Option<lsp::PrepareRenameResponse>> {
        self.inner
            .read("prepare rename", move |snap| {
                handlers::prepare_rename(snap, params)
            })
            .await
    }

    async fn rename(&self, params: lsp::RenameParams) -> Result<Option<lsp::WorkspaceEdit>> {
        self.inner
            .read_workspace("rename", move |snap| handlers::rename(snap, params))
            .await
    }

    async fn document_symbol(
        &self,
        params: lsp::DocumentSymbolParams,
    ) -> Result<Option<lsp::DocumentSymbolResponse>> {
        self.inner
            .read("document symbols", move |snap| {
                handlers::document_symbols(snap, params)
            })
            .await
    }

    async fn symbol(
        &self,
        params: lsp::WorkspaceSymbolParams,
    ) -> Result<Option<lsp::WorkspaceSymbolResponse>> {
        self.inner
            .read_workspace("workspace symbols", move |snap| {
                handlers::workspace_symbols(snap, params)
            })
            .await
    }

    async fn folding_range(
        &self,
        params: lsp::FoldingRangeParams,
    ) -> Result<Option<Vec<lsp::FoldingRange>>> {
        self.inner
            .read("folding ranges", move |snap| {
                handlers::folding_ranges(snap, params)
            })
            .await
    }

    async fn selection_range(
        &self,
        params: lsp::SelectionRangeParams,
    ) -> Result<Option<Vec<lsp::SelectionRange>>> {
        self.inner
            .read("selection ranges", move |snap| {
                handlers::selection_ranges(snap, params)
            })
            .await
    }

    async fn code_action(
        &self,
        params: lsp::CodeActionParams,
    ) -> Result<Option<lsp::CodeActionResponse>> {
        self.inner
            .read_workspace("code actions", move |snap| {
                handlers::code_actions(snap, params)
            })
            .await
    }

    async fn execute_command(
        &self,
        params: lsp::ExecuteCommandParams,
    ) -> Result<Option<lsp::LSPAny>> {
        if params.command == commands::EXPORT {
            return self
                .inner
                .read("export", move |snap| crate::export::export(snap, &params))
                .await
                .map(Some);
        }
        let edit = {
            let world = self.inner.world.lock().expect("world lock");
            commands::edit_to_apply(&params, |uri| world.docs.get(uri).map(|d| d.version))?
        };
        let answer = self.inner.client.apply_edit(edit).await?;
        if !answer.applied {
            let why = answer
                .failure_reason
                .map(|r| format!(": {r}"))
                .unwrap_or_default();
            return Err(internal_error(format!(
                "the editor did not apply the fix{why}"
            )));
        }
        Ok(None)
    }

    async fn code_lens(&self, params: lsp::CodeLensParams) -> Result<Option<Vec<lsp::CodeLens>>> {
        self.inner
            .read("code lens", move |snap| handlers::code_lenses(snap, params))
            .await
    }

    async fn formatting(
        &self,
        params: lsp::DocumentFormattingParams,
    ) -> Result<Option<Vec<lsp::TextEdit>>> {
        self.inner
            .read("formatting", move |snap| {
                formatting::format_document(snap, params)
            })
            .await
    }

    async fn range_formatting(
        &self,
        params: lsp::DocumentRangeFormattingParams,
    ) -> Result<Option<Vec<lsp::TextEdit>>> {
        self.inner
            .read("range formatting", move |snap| {
                formatting::format_range(snap, params)
            })
            .await
    }

    async fn semantic_tokens_full_delta(
        &self,
        params: lsp::SemanticTokensDeltaParams,
    ) -> Result<Option<lsp::SemanticTokensFullDeltaResult>> {
        let uri = params.text_document.uri;
        let target = uri.clone();
        let data = self
            .inner
            .read("semantic tokens", move |snap| {
                encoded_tokens(snap, &target, None)
            })
            .await?;
        let id = self.inner.next_result_id();
        let data = Arc::new(data);
        let previous = self
            .inner
            .tokens
            .lock()
            .expect("tokens lock")
            .insert(uri, (id.clone(), data.clone()));
        match previous {
            Some((previous_id, old)) if previous_id == params.previous_result_id => {
                let edits = semantic_tokens::diff(&old, &data);
                Ok(Some(lsp::SemanticTokensFullDeltaResult::TokensDelta(
                    lsp::SemanticTokensDelta {
                        result_id: Some(id),
                        edits,
                    },
                )))
            }
            _ => Ok(Some(lsp::SemanticTokensFullDeltaResult::Tokens(
                lsp::SemanticTokens {
                    result_id: Some(id),
                    data: Arc::unwrap_or_clone(data),
                },
            ))),
        }
    }

    async fn semantic_tokens_range(
        &self,
        params: lsp::SemanticTokensRangeParams,
    ) -> Result<Option<lsp::SemanticTokensRangeResult>> {
        let uri = params.text_document.uri;
        let range = params.range;
        let data = self
            .inner
            .read("semantic tokens", move |snap| {
                encoded_tokens(snap, &uri, Some(range))
            })
            .await?;
        Ok(Some(lsp::SemanticTokensRangeResult::Tokens(
            lsp::SemanticTokens {
                result_id: None,
                data,
            },
        )))
    }
}
