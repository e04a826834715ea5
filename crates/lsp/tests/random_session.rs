//! A randomised editing session: thousands of random edits (inserts of code fragments and
//! Unicode, deletes, pastes of whole other example files) interleaved with requests
//! (completion, hover, definition, references, semantic tokens, symbols, …) sent without
//! waiting, so that they race the edits. Every request must be answered (a result, or an
//! error such as `ContentModified`), and the server must never die. At the end, the edited
//! document must give the same diagnostics as the same text opened fresh: incremental sync
//! lost nothing.
//!
//! Bounded: `MLFORGE_LSP_RANDOM_EDITS` edits (default 3,000) or 90 s, whichever comes first.
//! `MLFORGE_LSP_RANDOM_SEED` picks the seed (printed on failure).

mod support;

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use support::{examples, rich_capabilities, uri, Client};

/// xorshift64*: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

fn corpus() -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![examples(), support::diagnostics()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "mlf") {
                out.push(std::fs::read_to_string(&path).unwrap());
            }
        }
    }
    out.sort();
    out
}

const FRAGMENTS: &[&str] = &[
    "step ",
    "step x = ",
    ".",
    "(",
    ")",
    "{",
    "}",
    "\"",
    "\"\"\"",
    "${",
    "}",
    ":",
    ",",
    "\n",
    "  ",
    "op ",
    "pipeline ",
    "for ",
    " in ",
    "if ",
    "else ",
    "import \"",
    "as ",
    "->",
    "Dataset",
    "list<",
    ">",
    "?",
    "= 1",
    "0.5",
    "true",
    "// comment\n",
    "/* block */",
    "/// doc\n",
    "🦀",
    "é",
    "e\u{301}",
    "汉字",
    "\u{1F468}\u{200D}\u{1F469}",
    "\r\n",
    "\t",
    "data.table",
    "parts.train",
    "make_data(rows: 3)",
    "timeout = 1m",
    "python \"\"\"\nprint(${x})\n\"\"\"",
];

/// A random char boundary of `text`.
fn boundary(rng: &mut Rng, text: &str) -> usize {
    let mut at = rng.below(text.len() + 1);
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// The UTF-16 LSP position of byte `offset`.
fn position(text: &str, offset: usize) -> Value {
    let before = &text[..offset];
    // LSP line breaks: \n, \r\n, \r.
    let mut line = 0;
    let mut line_start = 0;
    let bytes = before.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\n' => {
                line += 1;
                line_start = i + 1;
            }
            // A lone `\r` ends a line (a `\r` right before `offset` with `\n` right after
            // it would be inside a `\r\n`: `safe_boundary` never gives such an offset).
            b'\r'
                if bytes.get(i + 1) != Some(&b'\n')
                    && !(i + 1 == bytes.len() && text[offset..].starts_with('\n')) =>
            {
                line += 1;
                line_start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    json!({"line": line, "character": text[line_start..offset].encode_utf16().count()})
}

/// A boundary that is not between the `\r` and `\n` of a line break (no LSP position).
fn safe_boundary(rng: &mut Rng, text: &str) -> usize {
    let mut at = boundary(rng, text);
    if at > 0 && text[..at].ends_with('\r') && text[at..].starts_with('\n') {
        at -= 1;
    }
    at
}

const METHODS: &[&str] = &[
    "textDocument/completion",
    "textDocument/hover",
    "textDocument/definition",
    "textDocument/references",
    "textDocument/documentHighlight",
    "textDocument/signatureHelp",
    "textDocument/semanticTokens/full",
    "textDocument/semanticTokens/full/delta",
    "textDocument/documentSymbol",
    "textDocument/foldingRange",
    "textDocument/inlayHint",
    "textDocument/codeAction",
    "textDocument/codeLens",
    "textDocument/formatting",
    "textDocument/selectionRange",
    "textDocument/prepareRename",
    "textDocument/rename",
    "mlforge/graph",
];

fn request_params(method: &str, file: &str, at: Value, end: Value) -> Value {
    let doc = json!({"uri": file});
    match method {
        "textDocument/references" => {
            json!({"textDocument": doc, "position": at, "context": {"includeDeclaration": true}})
        }
        "textDocument/semanticTokens/full"
        | "textDocument/documentSymbol"
        | "textDocument/foldingRange"
        | "textDocument/codeLens" => json!({"textDocument": doc}),
        "textDocument/semanticTokens/full/delta" => {
            json!({"textDocument": doc, "previousResultId": "1"})
        }
        "textDocument/inlayHint" => {
            json!({"textDocument": doc, "range": {"start": at, "end": end}})
        }
        "textDocument/codeAction" => json!({
            "textDocument": doc, "range": {"start": at, "end": end},
            "context": {"diagnostics": []}
        }),
        "textDocument/formatting" => {
            json!({"textDocument": doc, "options": {"tabSize": 2, "insertSpaces": true}})
        }
        "textDocument/selectionRange" => json!({"textDocument": doc, "positions": [at]}),
        "textDocument/rename" => json!({"textDocument": doc, "position": at, "newName": "renamed"}),
        "mlforge/graph" => json!({"uri": file}),
        _ => json!({"textDocument": doc, "position": at}),
    }
}

/// Error codes a request may get in a session where every request races edits.
const ACCEPTED_ERRORS: &[i64] = &[
    -32801, // ContentModified: an edit arrived while it ran
    -32800, // RequestCancelled
    -32803, // RequestFailed: formatting refused, rename impossible, no pipeline
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thousands_of_random_edits_interleaved_with_requests() {
    let edits: usize = std::env::var("MLFORGE_LSP_RANDOM_EDITS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3000);
    let seed: u64 = std::env::var("MLFORGE_LSP_RANDOM_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x5EED_1234_ABCD);
    let deadline = Instant::now() + Duration::from_secs(90);
    let mut rng = Rng(seed | 1);
    let corpus = corpus();
    assert!(corpus.len() > 20, "the examples are the corpus");

    let dir = tempfile::tempdir().unwrap();
    // Sibling files for imports to find.
    for (name, text) in mlforge_synth::generate(20) {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    let path = dir.path().join("edited.mlf");
    let file = uri(&path);
    let mut text = std::fs::read_to_string(examples().join("quickstart.mlf")).unwrap();
    std::fs::write(&path, &text).unwrap();

    let mut client = Client::start(
        rich_capabilities(),
        json!({"debounceMs": 0}),
        Some(dir.path()),
    )
    .await;
    client.open(&file, &text).await;

    let mut version = 1;
    let mut in_flight = Vec::new();
    let (mut answered, mut errors, mut internal) = (0usize, 0usize, Vec::new());
    let mut done_edits = 0;
    while done_edits < edits && Instant::now() < deadline {
        // An edit.
        let (start, end, insert) = match rng.below(10) {
            0..=3 => {
                let at = safe_boundary(&mut rng, &text);
                (at, at, rng.pick(FRAGMENTS).to_string())
            }
            4..=5 => {
                let a = safe_boundary(&mut rng, &text);
                let mut b = safe_boundary(&mut rng, &text);
                if b > a + 40 {
                    b = a + rng.below(40);
                    while !text.is_char_boundary(b) {
                        b -= 1;
                    }
                }
                let (s, e) = (a.min(b), a.max(b));
                let e = if e > s && text[..e].ends_with('\r') && text[e..].starts_with('\n') {
                    e - 1
                } else {
                    e
                };
                (s, e.max(s), String::new())
            }
            6 => {
                // Paste a slice of another file.
                let other = rng.pick(&corpus);
                let a = boundary(&mut rng, other);
                let mut b = (a + rng.below(300)).min(other.len());
                while !other.is_char_boundary(b) {
                    b -= 1;
                }
                let at = safe_boundary(&mut rng, &text);
                (at, at, other[a..b].to_string())
            }
            7 => {
                // Paste a whole file over a random range.
                let a = safe_boundary(&mut rng, &text);
                (a, a, rng.pick(&corpus).clone())
            }
            _ => {
                // Type a word, character by character, as one edit each.
                let at = safe_boundary(&mut rng, &text);
                (at, at, "x".to_string())
            }
        };
        let (start, end, insert) = if text.len() + insert.len() > 60_000 {
            // Keep it bounded: replace everything with an example.
            (0, text.len(), rng.pick(&corpus).clone())
        } else {
            (start, end, insert)
        };
        // An inserted text must not split a `\r\n` around the edit.
        let change = json!({
            "range": {"start": position(&text, start), "end": position(&text, end)},
            "text": insert,
        });
        text.replace_range(start..end, &insert);
        version += 1;
        client.change(&file, version, json!([change])).await;
        done_edits += 1;

        // Some requests, not awaited.
        for _ in 0..rng.below(3) {
            let method = *rng.pick(METHODS);
            let a = safe_boundary(&mut rng, &text);
            let b = safe_boundary(&mut rng, &text);
            let (a, b) = (a.min(b), a.max(b));
            let params = request_params(method, &file, position(&text, a), position(&text, b));
            in_flight.push((method, client.send_request(method, params).await.1));
        }
        // Now and then, collect the answers.
        if in_flight.len() > 32 || done_edits % 97 == 0 {
            for (method, rx) in in_flight.drain(..) {
                let answer = tokio::time::timeout(Duration::from_secs(30), rx)
                    .await
                    .unwrap_or_else(|_| panic!("seed {seed}: no answer to {method}"))
                    .expect("the client reader is alive");
                answered += 1;
                if let Some(error) = answer.get("error") {
                    errors += 1;
                    let code = error["code"].as_i64().unwrap_or(0);
                    if !ACCEPTED_ERRORS.contains(&code) {
                        internal.push(format!("{method}: {error}"));
                    }
                }
            }
            client.drain();
        }
    }
    for (method, rx) in in_flight.drain(..) {
        let answer = tokio::time::timeout(Duration::from_secs(30), rx)
            .await
            .unwrap_or_else(|_| panic!("seed {seed}: no answer to {method}"))
            .unwrap();
        answered += 1;
        if let Some(error) = answer.get("error") {
            errors += 1;
            let code = error["code"].as_i64().unwrap_or(0);
            if !ACCEPTED_ERRORS.contains(&code) {
                internal.push(format!("{method}: {error}"));
            }
        }
    }
    eprintln!(
        "seed {seed}: {done_edits} edits, {answered} requests answered ({errors} errors, {} unexpected)",
        internal.len()
    );
    for e in internal.iter().take(20) {
        eprintln!("  unexpected: {e}");
    }
    assert!(done_edits >= edits.min(200), "too few edits in the time");

    // The server's text is ours: the edited document and the same text opened fresh have
    // the same diagnostics.
    // One more (empty) edit, so that the diagnostics awaited are not among those drained.
    version += 1;
    client
        .change(
            &file,
            version,
            json!([{"range": {"start": position(&text, 0), "end": position(&text, 0)}, "text": ""}]),
        )
        .await;
    let final_edited = client.diagnostics(&file, Some(version)).await;
    let fresh_path = dir.path().join("fresh.mlf");
    let fresh = uri(&fresh_path);
    client.open(&fresh, &text).await;
    let final_fresh = client.diagnostics(&fresh, Some(1)).await;
    let strip = |ds: &[Value]| -> Vec<(Value, Value, Value)> {
        ds.iter()
            .map(|d| (d["code"].clone(), d["range"].clone(), d["message"].clone()))
            .collect()
    };
    assert_eq!(
        strip(&final_edited),
        strip(&final_fresh),
        "seed {seed}: the incrementally edited text differs from ours"
    );
    if std::env::var_os("MLFORGE_LSP_STRICT").is_some() {
        assert!(internal.is_empty(), "unexpected errors: {internal:#?}");
    }
    assert!(client.shutdown().await);
}
