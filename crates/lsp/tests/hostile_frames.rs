//! Fuzz-style: the server's message loop on random frames (bodies that are not JSON, JSON
//! that is not JSON-RPC, lone surrogates, wrong and absurd `Content-Length`s, headers that
//! are not headers, bytes with no header): after any of them, the next well-formed request
//! is answered, and the session ends cleanly. Bounded: a couple of dozen sessions.

mod support;

use mlforge_synth::hostile::lsp_frames;
use proptest::prelude::*;
use serde_json::json;
use support::Client;

fn session(frames: Vec<u8>) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async move {
        let client = Client::start(json!({}), json!({}), None).await;
        let uri = "file:///h.mlf";
        client.open(uri, "pipeline p() {\n}\n").await;
        client.write_raw(&frames).await;
        // A frame that is cut short swallows what follows until the server sees where it
        // ends; a blank message then completes any header left open.
        client.write_raw(b"\r\n\r\n").await;
        let symbols = client
            .request(
                "textDocument/documentSymbol",
                json!({"textDocument": {"uri": uri}}),
            )
            .await;
        assert!(symbols.is_ok(), "{symbols:?}");
        assert!(client.shutdown().await, "a clean exit");
    });
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn the_server_survives_any_frames(frames in lsp_frames()) {
        session(frames);
    }
}
