//! The reader in front of tower-lsp-server's: every message it passes on is one that
//! tower-lsp-server can decode, because one it cannot decode ends its read loop (its framed
//! reader stops after the first error), and with it the server.
//!
//! What comes in is read as LSP frames (`Content-Length: N`, a blank line, N bytes) and:
//! - a body that is not JSON is answered `-32700` (parse error), one that is JSON but not a
//!   JSON-RPC message (`null`, an array, no `"jsonrpc": "2.0"`, an id that is neither a
//!   number nor a string) `-32600` (invalid request), with the request's id when it has one;
//! - a string escape naming half of a surrogate pair (`"\ud83d"` alone), which no Rust string
//!   can hold, becomes U+FFFD (one UTF-16 unit, like the half it replaces, so the positions of
//!   later edits still match), and bytes that are not UTF-8 become U+FFFD too;
//! - a wrong `Content-Length` is repaired when the bytes show where the message really ends
//!   (a JSON value, then the next header); otherwise the body is a parse error;
//! - when the framing is lost (no header, a header that is not one), the bytes up to the next
//!   `Content-Length` are skipped.
//!
//! Each of these is logged on standard error. The answers go through the server itself (a
//! request to `mlforge/invalidMessage` that fails with the code and message), so that they
//! are written between whole messages like every other answer.

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::{json, Value};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tower_lsp_server::jsonrpc::{Id, Request, Response};

/// The custom method that answers a bad message with an error.
pub(crate) const INVALID_MESSAGE: &str = "mlforge/invalidMessage";

/// The largest message read; a bigger `Content-Length` is taken for lost framing. Documents
/// are far smaller (the workspace reads files of at most `mlforge_analysis::MAX_FILE_SIZE`).
const MAX_MESSAGE: usize = 256 << 20;

/// The longest header block; beyond that, the framing is lost.
const MAX_HEADER: usize = 64 << 10;

const HEADER_NAME: &[u8] = b"Content-Length";

/// How long a message may pause half-sent before its declared length is doubted.
const IDLE: std::time::Duration = std::time::Duration::from_millis(100);

/// JSON-RPC's codes for a body that is not JSON, and for JSON that is not a request.
const PARSE_ERROR: i64 = -32700;
const INVALID_REQUEST: i64 = -32600;

/// The parameters of [`INVALID_MESSAGE`].
#[derive(Debug, Deserialize)]
pub(crate) struct InvalidMessage {
    pub code: i64,
    pub message: String,
}

/// Reads frames from `input` and writes the messages tower-lsp-server may read to `output`
/// (see the module docs), until `input` ends or `output` is closed.
pub(crate) async fn pump<R, W>(input: R, mut output: W)
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let mut reader = Reader {
        input,
        buf: Vec::new(),
        eof: false,
    };
    while let Some(frame) = reader.next_frame().await {
        let message = match frame {
            Frame::Message(body) => check(body),
            Frame::Bad(reply) => Some(reply),
        };
        if let Some(message) = message {
            let header = format!("Content-Length: {}\r\n\r\n", message.len());
            let written = async {
                output.write_all(header.as_bytes()).await?;
                output.write_all(&message).await?;
                output.flush().await
            };
            if written.await.is_err() {
                return;
            }
        }
    }
    let _ = output.shutdown().await;
}

fn log(what: &str) {
    eprintln!("mlforge lsp: {what}");
}

/// A request the server answers with error `code` (see [`INVALID_MESSAGE`]).
fn error_reply(id: Option<&Value>, code: i64, message: &str) -> Vec<u8> {
    let id = id.cloned().unwrap_or(Value::Null);
    serde_json::to_vec(&json!({
        "jsonrpc": "2.0",
        "id": id,
        "method": INVALID_MESSAGE,
        "params": {"code": code, "message": message},
    }))
    .expect("a JSON value serialises")
}

/// A body that parsed as JSON, passed on if tower-lsp-server can read it as a request or a
/// response, or else turned into an invalid-request answer.
fn check(body: Vec<u8>) -> Option<Vec<u8>> {
    if serde_json::from_slice::<Request>(&body).is_ok()
        || serde_json::from_slice::<Response>(&body).is_ok()
    {
        return Some(body);
    }
    let value: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    // An id is echoed only when it is one a client could match; a notification (no id)
    // that is not valid is answered with a null id, as JSON-RPC says.
    let id = value
        .get("id")
        .filter(|id| serde_json::from_value::<Id>((*id).clone()).is_ok());
    let summary = match &value {
        Value::Object(o) => match o.get("method") {
            Some(Value::String(m)) => format!("a `{m}` message that is not valid JSON-RPC 2.0"),
            _ => "a JSON object that is neither a request nor a response".to_string(),
        },
        Value::Null => "`null`".to_string(),
        Value::Array(_) => "a JSON array (batches are not part of LSP)".to_string(),
        _ => "a JSON value that is not an object".to_string(),
    };
    log(&format!(
        "ignored {summary}; answered -32600 (invalid request)"
    ));
    Some(error_reply(
        id,
        INVALID_REQUEST,
        &format!("the server received {summary}; it was ignored"),
    ))
}

enum Frame {
    /// A JSON body (repaired where needed).
    Message(Vec<u8>),
    /// An answer for a body that is not JSON.
    Bad(Vec<u8>),
}

struct Reader<R> {
    input: R,
    buf: Vec<u8>,
    eof: bool,
}

impl<R: AsyncRead + Unpin> Reader<R> {
    /// Reads more input; false at the end.
    async fn fill(&mut self) -> bool {
        if self.eof {
            return false;
        }
        let mut chunk = vec![0; 64 << 10];
        match self.input.read(&mut chunk).await {
            Ok(0) | Err(_) => {
                self.eof = true;
                false
            }
            Ok(n) => {
                self.buf.extend_from_slice(&chunk[..n]);
                true
            }
        }
    }

    /// Drops bytes up to the next `Content-Length` after the first byte, or else all but a
    /// tail that could be the start of one, and at least `at_least` bytes (always one).
    fn resync(&mut self, why: &str, at_least: usize) {
        let next = find(self.buf.get(1..).unwrap_or_default(), HEADER_NAME).map(|i| i + 1);
        let drop = next
            .unwrap_or_else(|| self.buf.len().saturating_sub(HEADER_NAME.len() - 1))
            .max(at_least.max(1))
            .min(self.buf.len());
        log(&format!(
            "{why}; skipped {drop} bytes to the next `Content-Length` header"
        ));
        self.buf.drain(..drop);
    }

    async fn next_frame(&mut self) -> Option<Frame> {
        loop {
            // Blank lines between messages are harmless.
            let blank = self
                .buf
                .iter()
                .position(|b| !matches!(b, b'\r' | b'\n'))
                .unwrap_or(self.buf.len());
            self.buf.drain(..blank);
            if self.buf.is_empty() {
                if !self.fill().await {
                    return None;
                }
                continue;
            }
            let Some(header_end) = find(&self.buf, b"\r\n\r\n") else {
                if self.buf.len() > MAX_HEADER {
                    self.resync("no end of a message header in 64 KiB", 1);
                } else if !self.fill().await {
                    if !self.buf.is_empty() {
                        log("the input ended inside a message header");
                    }
                    return None;
                }
                continue;
            };
            let length = match content_length(&self.buf[..header_end]) {
                Ok(length) => length,
                Err(why) => {
                    // Past this header block, unless another header starts inside it.
                    let inside = find(self.buf.get(1..header_end).unwrap_or_default(), HEADER_NAME)
                        .is_some();
                    let past = if inside { 1 } else { header_end + 4 };
                    self.resync(&why, past);
                    continue;
                }
            };
            let start = header_end + 4;
            loop {
                if self.buf.len() - start >= length {
                    return Some(self.body(start, length));
                }
                // Not all here yet. If nothing more comes for a moment, the length may be
                // too long (and the client waits for an answer): look for the message's end.
                match tokio::time::timeout(IDLE, self.fill()).await {
                    Ok(true) => continue,
                    Ok(false) => {
                        if let Some(frame) = self.repaired(start, length) {
                            return Some(frame);
                        }
                        let got = self.buf.len() - start;
                        log(&format!(
                            "the input ended {got} bytes into a message of {length} bytes"
                        ));
                        return None;
                    }
                    Err(_) => {
                        if let Some(frame) = self.repaired(start, length) {
                            return Some(frame);
                        }
                        // A whole header after a body that is not JSON: that body is
                        // broken, and the client may be waiting for an answer to the next.
                        if self.next_header(start).is_some() {
                            return Some(self.bad(start, start + length, length));
                        }
                        self.fill().await;
                    }
                }
            }
        }
    }

    /// The whole body at `start` with declared `length`, all of it buffered.
    fn body(&mut self, start: usize, length: usize) -> Frame {
        let end = start + length;
        if let Some(body) = Json::read(&self.buf[start..end]) {
            body.log();
            self.buf.drain(..end);
            return Frame::Message(body.bytes);
        }
        if let Some(frame) = self.repaired(start, length) {
            return frame;
        }
        self.bad(start, end, length)
    }

    /// The answer for the body at `start`, declared `length` long, which is not JSON: it is
    /// skipped up to the next header, wherever that is (inside a too-long body, or after the
    /// rest of a too-short one), or else up to `end`.
    fn bad(&mut self, start: usize, end: usize, length: usize) -> Frame {
        let end = self.next_header(start).unwrap_or(end).min(self.buf.len());
        log(&format!(
            "a message of {length} bytes is not JSON; answered -32700 (parse error)"
        ));
        self.buf.drain(..end);
        Frame::Bad(error_reply(
            None,
            PARSE_ERROR,
            "the server received a message that is not JSON; it was ignored",
        ))
    }

    /// The body at `start` when its declared `length` is wrong but the bytes show where it
    /// ends: before the next header, or at the end of what was sent (and the client waits).
    fn repaired(&mut self, start: usize, length: usize) -> Option<Frame> {
        let end = self.next_header(start).unwrap_or(self.buf.len());
        if end == start || end == start + length {
            return None;
        }
        let body = Json::read(&self.buf[start..end])?;
        log(&format!(
            "a message's Content-Length said {length} bytes, but the message is {} bytes \
             long; it was read as such",
            end - start
        ));
        body.log();
        self.buf.drain(..end);
        Some(Frame::Message(body.bytes))
    }

    /// Where the first complete, valid header after `start` begins. Raw line breaks cannot
    /// stand inside a JSON string, so a header found this way is never part of a message.
    fn next_header(&self, start: usize) -> Option<usize> {
        let mut from = start;
        while let Some(at) = find(&self.buf[from..], HEADER_NAME).map(|i| from + i) {
            let rest = &self.buf[at..];
            if let Some(end) = find(rest, b"\r\n\r\n") {
                if content_length(&rest[..end]).is_ok() {
                    return Some(at);
                }
            }
            from = at + 1;
        }
        None
    }
}

/// The `Content-Length` of a header block, or why the block is not a header.
fn content_length(header: &[u8]) -> Result<usize, String> {
    let text = std::str::from_utf8(header).map_err(|_| "a message header is not text")?;
    let mut length = None;
    for line in text.split("\r\n") {
        let Some((name, value)) = line.split_once(':') else {
            return Err(format!(
                "a message header line is not `Name: value`: {:.40?}",
                line
            ));
        };
        if name.trim().eq_ignore_ascii_case("content-length") {
            length =
                Some(value.trim().parse::<usize>().map_err(|_| {
                    format!("a Content-Length is not a number: {:.40?}", value.trim())
                })?);
        }
    }
    match length {
        None => Err("a message header has no Content-Length".to_string()),
        Some(n) if n > MAX_MESSAGE => Err(format!(
            "a Content-Length of {n} bytes is more than the {} MiB a message may have",
            MAX_MESSAGE >> 20
        )),
        Some(n) => Ok(n),
    }
}

/// A body read as JSON, after the repairs in the module docs.
struct Json {
    bytes: Vec<u8>,
    not_utf8: bool,
    lone_surrogate: bool,
}

impl Json {
    fn read(bytes: &[u8]) -> Option<Json> {
        let text = String::from_utf8_lossy(bytes);
        let not_utf8 = matches!(text, Cow::Owned(_));
        let repaired = replace_lone_surrogates(&text);
        let lone_surrogate = matches!(repaired, Cow::Owned(_));
        serde_json::from_str::<serde::de::IgnoredAny>(&repaired).ok()?;
        Some(Json {
            bytes: repaired.into_owned().into_bytes(),
            not_utf8,
            lone_surrogate,
        })
    }

    fn log(&self) {
        if self.not_utf8 {
            log("a message held bytes that are not UTF-8; they were read as U+FFFD");
        }
        if self.lone_surrogate {
            log("a message held half of a UTF-16 surrogate pair; it was read as U+FFFD");
        }
    }
}

/// `text` (JSON) with every `\uXXXX` escape of half a surrogate pair that is not part of a
/// pair replaced by `\uFFFD`.
fn replace_lone_surrogates(text: &str) -> Cow<'_, str> {
    let bytes = text.as_bytes();
    let unit = |at: usize| -> Option<u16> {
        if bytes.get(at..at + 2)? != b"\\u" {
            return None;
        }
        u16::from_str_radix(text.get(at + 2..at + 6)?, 16).ok()
    };
    let mut out: Option<String> = None;
    let mut copied = 0;
    let mut in_string = false;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => in_string = !in_string,
            b'\\' if in_string => {
                let Some(u) = unit(i) else {
                    i += 2;
                    continue;
                };
                let high = (0xD800..0xDC00).contains(&u);
                let low = (0xDC00..0xE000).contains(&u);
                if high && unit(i + 6).is_some_and(|v| (0xDC00..0xE000).contains(&v)) {
                    i += 12;
                    continue;
                }
                if high || low {
                    let out = out.get_or_insert_with(String::new);
                    out.push_str(&text[copied..i]);
                    out.push_str("\\uFFFD");
                    copied = i + 6;
                }
                i += 6;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    match out {
        None => Cow::Borrowed(text),
        Some(mut out) => {
            out.push_str(&text[copied..]);
            Cow::Owned(out)
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lone_surrogates_become_replacement_characters_and_pairs_stay() {
        assert_eq!(replace_lone_surrogates(r#""a\ud83d""#), r#""a\uFFFD""#);
        assert_eq!(replace_lone_surrogates(r#""\ude00x""#), r#""\uFFFDx""#);
        assert_eq!(
            replace_lone_surrogates(r#""\ud83d\ude00""#),
            r#""\ud83d\ude00""#
        );
        // An escaped backslash followed by `ud83d` is text, not an escape.
        assert_eq!(replace_lone_surrogates(r#""\\ud83d""#), r#""\\ud83d""#);
        assert!(Json::read(br#"{"t":"\ud83d"}"#).is_some_and(|j| j.lone_surrogate));
    }

    async fn through(input: &[u8]) -> Vec<Value> {
        let (mut to_pump, pump_input) = tokio::io::duplex(1 << 16);
        let (pump_output, mut from_pump) = tokio::io::duplex(1 << 16);
        to_pump.write_all(input).await.unwrap();
        drop(to_pump);
        pump(pump_input, pump_output).await;
        let mut out = Vec::new();
        from_pump.read_to_end(&mut out).await.unwrap();
        let mut messages = Vec::new();
        let mut rest = &out[..];
        while let Some(end) = find(rest, b"\r\n\r\n") {
            let length = content_length(&rest[..end]).unwrap();
            let body = &rest[end + 4..end + 4 + length];
            messages.push(serde_json::from_slice(body).unwrap());
            rest = &rest[end + 4 + length..];
        }
        messages
    }

    fn frame(body: &str) -> Vec<u8> {
        format!("Content-Length: {}\r\n\r\n{body}", body.len()).into_bytes()
    }

    const GOOD: &str = r#"{"jsonrpc":"2.0","id":7,"method":"x"}"#;

    #[tokio::test]
    async fn bad_bodies_are_answered_and_good_ones_pass() {
        let input = [
            frame(r#"{"jsonrpc":"2.0","#),
            frame("null"),
            frame(r#"{"jsonrpc":"1.0","id":3,"method":"x"}"#),
            frame(GOOD),
        ]
        .concat();
        let out = through(&input).await;
        let codes: Vec<_> = out.iter().map(|m| m["params"]["code"].clone()).collect();
        assert_eq!(
            codes,
            [json!(-32700), json!(-32600), json!(-32600), Value::Null]
        );
        assert_eq!(out[2]["id"], 3);
        assert_eq!(out[3]["id"], 7);
    }

    #[tokio::test]
    async fn wrong_lengths_and_lost_framing_are_repaired() {
        let too_long = format!("Content-Length: {}\r\n\r\n{GOOD}", GOOD.len() + 40);
        let too_short = format!("Content-Length: {}\r\n\r\n{GOOD}", GOOD.len() - 5);
        let garbage = "garbage\r\nmore garbage\r\n\r\n";
        let input = [
            too_long.into_bytes(),
            frame(GOOD),
            too_short.into_bytes(),
            frame(GOOD),
            garbage.as_bytes().to_vec(),
            frame(GOOD),
            b"Content-Length: 99999999999\r\n\r\n".to_vec(),
            frame(GOOD),
        ]
        .concat();
        let out = through(&input).await;
        let ids: Vec<_> = out.iter().map(|m| m["id"].clone()).collect();
        assert_eq!(ids, vec![json!(7); 6], "{out:?}");
    }

    /// Found by `tests/hostile_frames.rs`: a header block that is not a header, with no
    /// other header after it, was skipped by zero bytes, forever.
    #[tokio::test]
    async fn skipping_lost_framing_always_makes_progress() {
        for input in [
            &b"x\r\n\r\n"[..],
            b"Content-Type: a\r\n\r\n",
            b"Content-Length: x\r\n\r\n",
        ] {
            let out = tokio::time::timeout(std::time::Duration::from_secs(5), through(input))
                .await
                .expect("the reader ends with its input");
            assert!(out.is_empty());
        }
    }
}
