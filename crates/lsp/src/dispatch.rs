//! The one boundary every request crosses: the work runs on a snapshot in
//! `spawn_blocking`, inside salsa's cancellation catcher.
//!
//! - an edit arriving while the work runs cancels it (salsa unwinds with `Cancelled`): the
//!   answer is `ContentModified` (-32801), and the client asks again;
//! - the client's `$/cancelRequest` drops the handler's future: a guard then cancels the
//!   snapshot's salsa computation, and tower-lsp-server answers `RequestCancelled`;
//! - any other panic becomes an `InternalError` naming it; the server lives on.

use std::panic::AssertUnwindSafe;

use salsa::Database as _;
use tower_lsp_server::jsonrpc::{Error, ErrorCode, Result};

use crate::world::Snapshot;

/// `ContentModified`: the document changed while the request ran.
pub fn content_modified() -> Error {
    Error {
        code: ErrorCode::ContentModified,
        message: "the document changed while this request ran; ask again".into(),
        data: None,
    }
}

/// `RequestCancelled`.
pub fn request_cancelled() -> Error {
    Error {
        code: ErrorCode::RequestCancelled,
        message: "the request was cancelled".into(),
        data: None,
    }
}

pub fn invalid_params(message: impl Into<String>) -> Error {
    Error {
        code: ErrorCode::InvalidParams,
        message: message.into().into(),
        data: None,
    }
}

pub fn internal_error(message: impl Into<String>) -> Error {
    Error {
        code: ErrorCode::InternalError,
        message: message.into().into(),
        data: None,
    }
}

/// Cancels a snapshot's salsa work when dropped before being disarmed: the handler's future
/// was dropped (the client cancelled the request).
struct CancelOnDrop(Option<salsa::CancellationToken>);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        if let Some(token) = self.0.take() {
            token.cancel();
        }
    }
}

/// The text of a panic payload.
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic with no message".to_string()
    }
}

/// Whether `MLFORGE_LSP_TIMING` is set: each request's time on its snapshot then goes to
/// standard error.
pub fn timing() -> bool {
    static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ON.get_or_init(|| std::env::var_os("MLFORGE_LSP_TIMING").is_some_and(|v| !v.is_empty()))
}

/// Runs `f` on `snapshot` behind the panic boundary and cancellation (see the module docs).
pub async fn on_snapshot<T, F>(what: &'static str, snapshot: Snapshot, f: F) -> Result<T>
where
    T: Send + 'static,
    F: FnOnce(&Snapshot) -> Result<T> + Send + 'static,
{
    let mut guard = CancelOnDrop(Some(snapshot.db.cancellation_token()));
    let task = tokio::task::spawn_blocking(move || {
        let snapshot = snapshot;
        let started = timing().then(std::time::Instant::now);
        let outcome = salsa::Cancelled::catch(AssertUnwindSafe(|| f(&snapshot)));
        if let Some(started) = started {
            eprintln!(
                "mlforge lsp: {what}: {:.2} ms{}",
                started.elapsed().as_secs_f64() * 1000.0,
                if outcome.is_err() { " (cancelled)" } else { "" }
            );
        }
        outcome
    });
    let outcome = task.await;
    guard.0 = None;
    match outcome {
        Ok(Ok(answer)) => answer,
        Ok(Err(salsa::Cancelled::Local)) => Err(request_cancelled()),
        // A query this work waited on was being computed by another thread that unwound:
        // by an edit's cancellation (that thread's own request reports any real panic).
        Ok(Err(salsa::Cancelled::PendingWrite | salsa::Cancelled::PropagatedPanic)) => {
            Err(content_modified())
        }
        Ok(Err(other)) => Err(internal_error(format!("{what}: {other}"))),
        Err(join) if join.is_panic() => {
            let message = panic_message(join.into_panic().as_ref());
            Err(internal_error(format!(
                "{what} failed inside the server: {message} (this is a bug; the server keeps running)"
            )))
        }
        Err(_) => Err(request_cancelled()),
    }
}

/// Whether an error is a cancellation (the work is stale), not a failure.
pub fn is_cancellation(error: &Error) -> bool {
    matches!(
        error.code,
        ErrorCode::ContentModified | ErrorCode::RequestCancelled
    )
}
