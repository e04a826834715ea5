//! Hostile input for the fuzz-style property tests of every entry point (parser, checker,
//! formatter, the whole chain in the binary's crate, the language server's message loop):
//! programs nested far past the limit, random bytes, language pieces in random order, and
//! random LSP frames. Sizes are bounded so that each test runs in seconds.

use proptest::prelude::*;

/// The shapes of deep nesting, each around `depth` levels: brackets, blocks, operator
/// chains, `else if` chains and list types, alone or mixed at random.
pub fn deep_program(limit: usize) -> impl Strategy<Value = String> {
    let depth = prop_oneof![
        (limit.saturating_sub(4)..limit + 4),
        (1_000usize..20_000),
        Just(100_000usize),
    ];
    (0usize..10, depth, any::<u64>()).prop_map(|(shape, n, seed)| deep(shape, n, seed))
}

fn wrap_expr(expr: &str) -> String {
    format!(
        "op f(x: float = 1.0) -> (y: float) {{\n  python \"\"\"print(${{x}}, ${{y}})\"\"\"\n}}\n\
         pipeline p(a: float = 1.0, c: bool = true, xs: list<float> = [1.0]) {{\n  step s = f(x: {expr})\n}}\n"
    )
}

fn wrap_blocks(open: &str, n: usize) -> String {
    format!(
        "op f() -> (y: float) {{\n  python \"\"\"print(${{y}})\"\"\"\n}}\n\
         pipeline p(c: bool = true, xs: list<float> = [1.0]) {{\n{}  step s = f()\n{}}}\n",
        open.repeat(n),
        "}\n".repeat(n)
    )
}

fn deep(shape: usize, n: usize, seed: u64) -> String {
    match shape {
        0 => wrap_expr(&format!("{}a{}", "(".repeat(n), ")".repeat(n))),
        1 => wrap_expr(&format!("{}a{}", "[".repeat(n), "]".repeat(n))),
        2 => wrap_expr(&vec!["a"; n].join(" + ")),
        3 => wrap_expr(&format!("{}c", "not ".repeat(n))),
        4 => wrap_expr(&format!("{}a", "-".repeat(n))),
        5 => wrap_blocks("if c {\n", n),
        6 => wrap_blocks("for x in xs {\n", n),
        7 => {
            let mut text = String::from("pipeline p(c: bool = true) {\n  if c { }");
            text.push_str(&" else if c { }".repeat(n));
            text.push_str("\n}\n");
            text
        }
        8 => format!(
            "op o(x: {}int{}) {{\n  python \"\"\"\"\"\"\n}}\n",
            "list<".repeat(n),
            ">".repeat(n)
        ),
        // Openers, closers and operators at random, unbalanced: recovery under depth.
        _ => {
            let pieces = [
                "(", "[", "{", ")", "]", "}", "+", "not ", "-", " else ", "if c ", "a",
            ];
            let mut state = seed | 1;
            let mut out = String::from("pipeline p() {\n  step s = f(x: ");
            for _ in 0..n.min(20_000) {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                // Mostly openers, so that the text gets deep.
                let i = (state % 16) as usize;
                out.push_str(pieces[if i < 12 { i } else { i % 3 }]);
            }
            out
        }
    }
}

/// Text that is not a program: random bytes (read as UTF-8 with replacements), or pieces
/// of the language, odd characters and line endings in random order.
pub fn junk() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("pipeline p() {".to_string()),
        Just("op o(x: int) -> (y: File) {".to_string()),
        Just("step s = o(x: ".to_string()),
        Just("import \"a.mlf\"".to_string()),
        Just("\"\"\"".to_string()),
        Just("${".to_string()),
        Just("}".to_string()),
        Just(")".to_string()),
        Just("(".to_string()),
        Just("[".to_string()),
        Just("\r".to_string()),
        Just("\r\n".to_string()),
        Just("\u{feff}".to_string()),
        Just("// c\n".to_string()),
        Just("/*".to_string()),
        Just("not not".to_string()),
        Just(" + ".to_string()),
        Just("if a {".to_string()),
        Just("else".to_string()),
        "\\PC{0,8}",
    ];
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..2_000)
            .prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
        proptest::collection::vec(piece, 0..200).prop_map(|p| p.concat()),
    ]
}

/// Programs an attacker might write: deep, junk, or both glued together.
pub fn hostile_program(limit: usize) -> impl Strategy<Value = String> {
    prop_oneof![
        deep_program(limit),
        junk(),
        (deep_program(limit), junk()).prop_map(|(a, b)| a + &b),
    ]
}

/// The bytes of LSP messages as a broken client might send them: bodies that are not JSON,
/// JSON that is not JSON-RPC, lone surrogate escapes, wrong and absurd `Content-Length`s,
/// headers that are not headers, and bytes with no header at all.
pub fn lsp_frames() -> impl Strategy<Value = Vec<u8>> {
    let body = prop_oneof![
        Just("null".to_string()),
        Just("[]".to_string()),
        Just("{}".to_string()),
        Just("42".to_string()),
        Just(r#"{"jsonrpc":"2.0","id":1,"method":"#.to_string()),
        Just(r#"{"jsonrpc":"2.0","id":{"x":1},"method":"x"}"#.to_string()),
        Just(r#"{"jsonrpc":"2.0","method":"textDocument/didChange","params":{"textDocument":{"uri":"file:///h.mlf","version":9},"contentChanges":[{"text":"\ud83d"}]}}"#.to_string()),
        Just(r#"{"jsonrpc":"2.0","id":7,"method":"textDocument/hover","params":{"textDocument":{"uri":"file:///h.mlf"},"position":{"line":-1,"character":99999999999}}}"#.to_string()),
        Just(r#"{"jsonrpc":"2.0","id":"s","result":null}"#.to_string()),
        "\\PC{0,40}",
    ];
    let frame = (body, 0usize..4, any::<u8>()).prop_map(|(body, how, delta)| {
        let bytes = body.into_bytes();
        let length = match how {
            0 => bytes.len(),
            1 => bytes.len() + delta as usize,
            2 => bytes.len().saturating_sub(delta as usize),
            _ => usize::MAX,
        };
        let mut out = format!("Content-Length: {length}\r\n\r\n").into_bytes();
        out.extend(bytes);
        out
    });
    let noise = prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..64),
        Just(b"Content-Length: x\r\n\r\n".to_vec()),
        Just(b"Content-Type: nothing\r\n\r\n".to_vec()),
        Just(b"\r\n\r\n".to_vec()),
    ];
    proptest::collection::vec(prop_oneof![3 => frame, 1 => noise], 1..12)
        .prop_map(|parts| parts.concat())
}
