//! Results written as JSON text once, instead of through `serde_json::Value`.
//!
//! tower-lsp-server turns every result into a `serde_json::Value`, prints that, and frees
//! it. For a big answer (the graph of a 5,000-step pipeline, megabytes of JSON) that is
//! millions of small allocations made, printed and freed: most of the request's time, and
//! memory that glibc keeps afterwards. So a handler with a big answer serialises it itself
//! (into a [`RawJson`]), puts the text in the [`RawTable`] and answers a short placeholder
//! string; [`Splice`], the writer under tower-lsp-server's framing, swaps the placeholder in
//! the framed response for the text and fixes the `Content-Length`.
//!
//! Standard methods cannot be answered that way through tower-lsp-server (their handlers'
//! result types are fixed), so [`Reroute`], a layer in front of its service, renames the
//! requests of the methods in [`REROUTED`] to custom methods that answer placeholders.
//!
//! A placeholder starts with a NUL character and holds a per-process random nonce, so no
//! text of a document can pose as one; and only a short message whose whole result is a
//! placeholder of a pending answer is touched.

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{ready, Context, Poll};

use serde::{Serialize, Serializer};
use tokio::io::AsyncWrite;
use tower::Service;
use tower_lsp_server::jsonrpc::Request;

/// Standard methods with big answers, and the custom methods that answer them raw.
pub const REROUTED: &[(&str, &str)] = &[
    ("textDocument/completion", "mlforge/rawCompletion"),
    // Whole-file tokens of a 5,000-step file are 500,000 numbers: as `Value`s, 20 MB.
    (
        "textDocument/semanticTokens/full",
        "mlforge/rawSemanticTokensFull",
    ),
];

/// Messages longer than this are never a placeholder answer (they are left alone unread).
const PLACEHOLDER_MESSAGE_MAX: usize = 256;

/// Most answers waiting to be written; beyond that the oldest is dropped (it can only be
/// one whose response was never written, as the server answers in far fewer at once).
const PENDING_MAX: usize = 128;

/// Output bytes buffered before `poll_write` waits for the writer underneath.
const OUT_HIGH_WATER: usize = 1 << 20;

/// A JSON text, serialised by [`RawJson::new`] or assembled by hand.
pub struct RawJson(pub Vec<u8>);

impl RawJson {
    pub fn new<T: Serialize + ?Sized>(value: &T) -> serde_json::Result<RawJson> {
        serde_json::to_vec(value).map(RawJson)
    }
}

/// What a handler returns for a raw answer: the placeholder the splice replaces.
#[derive(Debug)]
pub struct Placeholder(String);

impl Serialize for Placeholder {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

/// Answers waiting for their response to be written.
pub struct RawTable {
    /// The start of every placeholder, as it appears in JSON (`"\u0000mlforge-raw:…:`).
    prefix: String,
    nonce: u64,
    next: AtomicU64,
    pending: Mutex<HashMap<u64, Vec<u8>>>,
}

impl Default for RawTable {
    fn default() -> Self {
        let nonce = RandomState::new().hash_one(std::process::id());
        RawTable {
            prefix: format!("\"\\u0000mlforge-raw:{nonce:016x}:"),
            nonce,
            next: AtomicU64::new(1),
            pending: Mutex::default(),
        }
    }
}

impl RawTable {
    /// Keeps `json` for the response and gives the placeholder to answer instead.
    pub fn answer(&self, json: RawJson) -> Placeholder {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        let mut pending = self.pending.lock().expect("raw table lock");
        if pending.len() >= PENDING_MAX {
            if let Some(&oldest) = pending.keys().min() {
                pending.remove(&oldest);
            }
        }
        pending.insert(n, json.0);
        Placeholder(format!("\0mlforge-raw:{:016x}:{n}", self.nonce))
    }

    /// The JSON text for a message body that is exactly a placeholder answer: the body with
    /// the placeholder replaced, or `None` when it is not one.
    fn splice(&self, body: &[u8]) -> Option<Vec<u8>> {
        if body.len() > PLACEHOLDER_MESSAGE_MAX {
            return None;
        }
        let prefix = self.prefix.as_bytes();
        let start = body.windows(prefix.len()).position(|w| w == prefix)?;
        let digits = &body[start + prefix.len()..];
        let len = digits.iter().position(|b| !b.is_ascii_digit())?;
        if digits.get(len) != Some(&b'"') {
            return None;
        }
        let n: u64 = std::str::from_utf8(&digits[..len]).ok()?.parse().ok()?;
        // Only a `"result":` value is an answer (never a string inside some other message).
        if !body[..start].ends_with(b"\"result\":") {
            return None;
        }
        let json = self.pending.lock().expect("raw table lock").remove(&n)?;
        let end = start + prefix.len() + len + 1;
        let mut out = Vec::with_capacity(body.len() + json.len());
        out.extend_from_slice(&body[..start]);
        out.extend_from_slice(&json);
        out.extend_from_slice(&body[end..]);
        Some(out)
    }
}

/// The writer under tower-lsp-server's framing: passes messages through, splicing raw
/// answers in (see the module docs).
pub struct Splice<W> {
    inner: W,
    table: Arc<RawTable>,
    /// Bytes of messages not yet complete.
    input: Vec<u8>,
    /// Bytes ready for `inner`, and how many of them were written.
    out: Vec<u8>,
    written: usize,
    /// Framing that could not be read: everything passes through untouched from then on.
    passthrough: bool,
}

impl<W: AsyncWrite + Unpin> Splice<W> {
    pub fn new(inner: W, table: Arc<RawTable>) -> Splice<W> {
        Splice {
            inner,
            table,
            input: Vec::new(),
            out: Vec::new(),
            written: 0,
            passthrough: false,
        }
    }

    /// Moves every complete message of `input` to `out`, spliced.
    fn frame(&mut self) {
        let mut at = 0;
        while !self.passthrough {
            let rest = &self.input[at..];
            let Some(header_end) = find(rest, b"\r\n\r\n") else {
                break;
            };
            let Some(length) = content_length(&rest[..header_end]) else {
                // Not the framing this writer knows: stop interpreting.
                self.passthrough = true;
                break;
            };
            let body_start = header_end + 4;
            if rest.len() < body_start + length {
                break;
            }
            let body = &rest[body_start..body_start + length];
            match self.table.splice(body) {
                Some(spliced) => {
                    self.out.extend_from_slice(
                        format!("Content-Length: {}\r\n\r\n", spliced.len()).as_bytes(),
                    );
                    self.out.extend_from_slice(&spliced);
                }
                None => self.out.extend_from_slice(&rest[..body_start + length]),
            }
            at += body_start + length;
        }
        if self.passthrough {
            at = self.input.len();
            self.out.extend_from_slice(&self.input);
        }
        self.input.drain(..at);
    }

    /// Writes `out` to `inner` until it is all written or `inner` is not ready.
    fn poll_drain(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.written < self.out.len() {
            let n = ready!(Pin::new(&mut self.inner).poll_write(cx, &self.out[self.written..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.written += n;
        }
        self.out.clear();
        self.written = 0;
        Poll::Ready(Ok(()))
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The `Content-Length` of a header block.
fn content_length(header: &[u8]) -> Option<usize> {
    let header = std::str::from_utf8(header).ok()?;
    header.split("\r\n").find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.trim()
            .eq_ignore_ascii_case("content-length")
            .then(|| value.trim().parse().ok())
            .flatten()
    })
}

impl<W: AsyncWrite + Unpin> AsyncWrite for Splice<W> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.out.len() - this.written >= OUT_HIGH_WATER {
            ready!(this.poll_drain(cx))?;
        }
        this.input.extend_from_slice(buf);
        this.frame();
        // Start writing now; what `inner` does not take yet goes out on flush.
        if let Poll::Ready(Err(e)) = this.poll_drain(cx) {
            return Poll::Ready(Err(e));
        }
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_drain(cx))?;
        Pin::new(&mut this.inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_drain(cx))?;
        Pin::new(&mut this.inner).poll_shutdown(cx)
    }
}

/// The layer in front of tower-lsp-server's service that renames [`REROUTED`] requests (id
/// and params unchanged, so cancellation and the not-initialized check work as for any
/// request).
pub struct Reroute<S>(pub S);

impl<S: Service<Request>> Service<Request> for Reroute<S> {
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let request = match REROUTED.iter().find(|(from, _)| *from == request.method()) {
            Some(&(_, to)) => {
                let (_, id, params) = request.into_parts();
                let mut renamed = Request::build(to);
                if let Some(id) = id {
                    renamed = renamed.id(id);
                }
                if let Some(params) = params {
                    renamed = renamed.params(params);
                }
                renamed.finish()
            }
            None => request,
        };
        self.0.call(request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncWriteExt;

    fn framed(body: &str) -> Vec<u8> {
        format!("Content-Length: {}\r\n\r\n{body}", body.len()).into_bytes()
    }

    fn response(result: &str, id: u32) -> String {
        format!(r#"{{"jsonrpc":"2.0","result":{result},"id":{id}}}"#)
    }

    async fn through(table: Arc<RawTable>, chunks: &[&[u8]]) -> Vec<u8> {
        let mut splice = Splice::new(Vec::new(), table);
        for chunk in chunks {
            splice.write_all(chunk).await.unwrap();
        }
        splice.flush().await.unwrap();
        splice.inner
    }

    #[tokio::test]
    async fn a_placeholder_result_becomes_the_raw_json_with_its_length() {
        let table = Arc::new(RawTable::default());
        let placeholder = table.answer(RawJson(br#"{"big":[1,2,3]}"#.to_vec()));
        let result = serde_json::to_string(&placeholder).unwrap();
        let before = framed(&response("null", 1));
        let message = framed(&response(&result, 2));
        let after = framed(&response("\"x\"", 3));
        // Split across writes at awkward places, as a framing layer may write.
        let all = [before.clone(), message.clone(), after.clone()].concat();
        let (a, b) = all.split_at(before.len() + 7);
        let (b, c) = b.split_at(message.len() - 3);
        let out = through(table.clone(), &[a, b, c]).await;
        let expected = [before, framed(&response(r#"{"big":[1,2,3]}"#, 2)), after].concat();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            String::from_utf8(expected).unwrap()
        );
        assert!(table.pending.lock().unwrap().is_empty(), "spliced once");
    }

    #[tokio::test]
    async fn other_messages_pass_through_untouched() {
        let table = Arc::new(RawTable::default());
        let placeholder = table.answer(RawJson(b"[]".to_vec()));
        let text = serde_json::to_string(&placeholder).unwrap();
        // The placeholder's text inside a notification (a document could hold anything)
        // is not an answer.
        let notification = framed(&format!(
            r#"{{"jsonrpc":"2.0","method":"window/logMessage","params":{{"message":{text}}}}}"#
        ));
        // An unknown number is left alone too.
        let forged = text.replace(":1\"", ":99\"");
        let unknown = framed(&response(&forged, 4));
        let all = [notification.clone(), unknown.clone()].concat();
        assert_eq!(through(table.clone(), &[&all]).await, all);
        assert_eq!(table.pending.lock().unwrap().len(), 1);
    }
}
