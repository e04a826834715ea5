//! No input, however broken, makes the parser or the checker panic or hang.

mod common;

use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

use mlforge_analysis::Db;
use proptest::prelude::*;

/// Checks `text` as `/ex/<name>` beside the examples (so its imports resolve), failing the
/// test if the check panics or takes more than ten seconds.
fn check_text(name: &str, text: String) {
    let (done, finished) = mpsc::channel();
    let name = name.to_string();
    let worker = std::thread::spawn(move || {
        let mut files = common::example_files();
        let path = Path::new("/ex").join(&name);
        files.retain(|(p, _)| *p != path);
        let mut db = common::database(&files);
        let file = db.set_file_text(&path, Some(text));
        let found = common::diagnostics(&db, &[file]);
        // Every span lies inside its file and on character boundaries.
        for d in &found {
            let t = d.file.text(&db).clone().unwrap_or_default();
            assert!(
                d.span.end as usize <= t.len(),
                "{d:?} is past the end of the text"
            );
            assert!(
                t.is_char_boundary(d.span.start as usize)
                    && t.is_char_boundary(d.span.end as usize)
            );
        }
        let _ = db.file(&path);
        done.send(()).unwrap();
    });
    match finished.recv_timeout(Duration::from_secs(10)) {
        Ok(()) => worker.join().unwrap(),
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            // The worker panicked: re-raise its panic here.
            if let Err(panic) = worker.join() {
                std::panic::resume_unwind(panic);
            }
        }
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("checking hung for 10 s"),
    }
}

fn example(name: &str) -> String {
    common::example_files()
        .into_iter()
        .find(|(p, _)| p.ends_with(name))
        .unwrap()
        .1
}

/// Characters that make up the language, so random strings reach deep into the parser.
fn language_soup() -> impl Strategy<Value = String> {
    let pieces = prop::sample::select(vec![
        "op ",
        "pipeline ",
        "step ",
        "for ",
        " in ",
        "if ",
        "else ",
        "after ",
        "output ",
        "import ",
        "artifact ",
        "python ",
        "shell ",
        "file ",
        "x",
        "y",
        "data",
        "(",
        ")",
        "{",
        "}",
        "[",
        "]",
        ",",
        ":",
        ".",
        "=",
        "->",
        "<",
        ">",
        "?",
        "\"",
        "\"\"\"",
        "${",
        "}",
        "1",
        "2.5",
        "30m",
        "list",
        "float",
        "Model",
        "\n",
        " ",
        "//",
        "/*",
        "*/",
        "///",
        "é",
        "😀",
        "-",
        "+",
        "*",
        "/",
        "==",
        "and",
        "not",
        "true",
    ]);
    prop::collection::vec(pieces, 0..80).prop_map(|p| p.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn any_string(text in any::<String>()) {
        check_text("fuzz.mlf", text);
    }

    #[test]
    fn any_sequence_of_language_pieces(text in language_soup()) {
        check_text("fuzz.mlf", text);
    }

    #[test]
    fn any_truncation_of_an_example(cut in any::<prop::sample::Index>(), which in 0usize..4) {
        let name = ["quickstart.mlf", "compose.mlf", "wine/ops.mlf", "wine/pipeline.mlf"][which];
        let text = example(name);
        let mut at = cut.index(text.len() + 1);
        while !text.is_char_boundary(at) { at -= 1; }
        check_text(name, text[..at].to_string());
    }

    #[test]
    fn any_single_character_edit_of_an_example(
        at in any::<prop::sample::Index>(),
        kind in 0u8..3,
        ch in prop::sample::select(vec!['{', '}', '(', ')', '"', ':', '=', '.', ',', '$', 'x', ' ', '\n', '/', '*', '<', '?', 'é']),
        which in 0usize..4,
    ) {
        let name = ["quickstart.mlf", "compose.mlf", "wine/ops.mlf", "wine/pipeline.mlf"][which];
        let mut text = example(name);
        let mut i = at.index(text.len() + 1);
        while !text.is_char_boundary(i) { i -= 1; }
        match kind {
            0 => text.insert(i, ch),
            1 if i < text.len() => { text.remove(i); }
            _ if i < text.len() => { text.remove(i); text.insert(i, ch); }
            _ => text.push(ch),
        }
        check_text(name, text);
    }
}
