//! The MLForge language server (`mlforge lsp`): LSP 3.17 over stdio.
//!
//! A thin shell over the same layers as the CLI: the salsa database of `mlforge_analysis`
//! (open buffers override the disk), editor features from `mlforge_ide`, graphs from
//! `mlforge_graph`, formatting from `mlforge_fmt`. This is the only crate that knows LSP
//! types.
//!
//! ```text
//! stdin ─ tower-lsp-server ─ server.rs ─┬ notifications: world.rs (ropes + salsa inputs, under one lock)
//!                                       └ requests: dispatch.rs (snapshot, spawn_blocking,
//!                                           panic boundary, salsa cancellation)
//!                                           ─ handlers.rs / formatting.rs / graph.rs /
//!                                             catalog.rs / graph_edit.rs
//!                                           ─ mlforge_ide ─ position.rs + to_proto.rs
//! ```
//!
//! See `README.md` beside this crate for the custom request `mlforge/graph`, the
//! notification `mlforge/graphChanged`, and editor setup.

mod catalog;
mod commands;
mod config;
mod diagnostics;
pub mod dispatch;
mod export;
mod formatting;
mod framing;
pub mod graph;
mod graph_edit;
mod handlers;
mod memory;
pub mod position;
mod raw;
mod semantic_tokens;
mod server;
mod std_source;
mod to_proto;
mod world;

use tokio::io::{AsyncRead, AsyncWrite};
use tower_lsp_server::{ClientSocket, LspService, Server};

pub use crate::server::Backend;
pub use crate::to_proto::EXPLAIN_URL;

/// How many requests may run at once. Handlers spend their time in `spawn_blocking`, so a
/// generous limit keeps a slow request (a rename across the workspace) from holding up the
/// edits queued behind it.
const CONCURRENCY: usize = 64;

/// The service and the socket for messages to the client. Not public: its big answers are
/// placeholders until [`serve`]'s output writer splices their JSON in (see `raw.rs`).
fn service() -> (LspService<Backend>, ClientSocket) {
    LspService::build(Backend::new)
        .custom_method("mlforge/graph", Backend::graph)
        .custom_method("mlforge/opCatalog", Backend::op_catalog)
        .custom_method("mlforge/graphEdit", Backend::graph_edit)
        .custom_method(std_source::METHOD, Backend::std_source)
        .custom_method(raw::REROUTED[0].1, Backend::raw_completion)
        .custom_method(raw::REROUTED[1].1, Backend::raw_semantic_tokens_full)
        .custom_method("mlforge/debugPanic", Backend::debug_panic)
        .custom_method(framing::INVALID_MESSAGE, Backend::invalid_message)
        .finish()
}

/// Serves one client over `input`/`output` until it sends `exit` or closes the stream.
/// Returns whether the client sent `shutdown` first (the exit code is 0 then, 1 otherwise).
/// Malformed input never ends it: `framing.rs` reads `input` first.
pub async fn serve<I, O>(input: I, output: O) -> bool
where
    I: AsyncRead + Unpin,
    O: AsyncWrite + Unpin,
{
    let (service, socket) = service();
    let backend = service.inner().clone();
    let output = raw::Splice::new(output, backend.raw_table());
    let (checked, server_input) = tokio::io::duplex(1 << 20);
    let server = Server::new(server_input, output, socket)
        .concurrency_level(CONCURRENCY)
        .serve(raw::Reroute(service));
    // When the input ends, the pump closes `checked` and the server sees the end; the
    // server may also end first (on `exit`), while the pump still waits for input.
    let pump = async {
        framing::pump(input, checked).await;
        std::future::pending::<()>().await
    };
    tokio::select! {
        () = server => {}
        () = pump => {}
    }
    backend.shutdown_requested()
}

/// The stack of the runtime's threads, where every request is answered. Trees are never
/// deeper than `mlforge_syntax::MAX_NESTING`, but the walks over them (checker, formatter,
/// graph, editor features) take a few frames per level, and a stack overflow cannot be
/// caught: it would end the server. Tokio's default is 2 MiB; this is only reserved, not
/// used, until a deep document needs it.
const THREAD_STACK: usize = 32 << 20;

/// Runs the server on standard input and output; returns the process exit code.
pub fn run_stdio() -> i32 {
    memory::limit_arenas();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_stack_size(THREAD_STACK)
        .thread_name("mlforge-lsp")
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the language server's runtime: {e}");
            return 2;
        }
    };
    let clean = runtime.block_on(serve(tokio::io::stdin(), tokio::io::stdout()));
    // Work still running on a snapshot is of no use any more: do not wait for it.
    runtime.shutdown_timeout(std::time::Duration::from_millis(200));
    if clean {
        0
    } else {
        1
    }
}
