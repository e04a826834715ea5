//! A UTF-8 byte order mark is not a character of the program, and `\r` alone ends a line
//! as `\n` does: a file saved with old Mac line endings parses to the same tree, with the
//! same comments, as the same file with `\n` (the bytes sit at the same offsets).

use mlforge_syntax::{parse, LineIndex};

fn examples() -> Vec<String> {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
    let mut out = Vec::new();
    let mut stack = vec![
        std::path::Path::new(root).join("examples"),
        std::path::Path::new(root).join("docs/diagnostics"),
    ];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "mlf") {
                out.push(std::fs::read_to_string(path).unwrap());
            }
        }
    }
    assert!(out.len() > 40);
    out
}

#[test]
fn lone_carriage_returns_end_lines() {
    for text in examples() {
        let mac = text.replace('\n', "\r");
        let (lf, cr) = (parse(&text), parse(&mac));
        // The same tree; only code bodies keep their own line endings.
        let tree = |p: &mlforge_syntax::Parse| format!("{:?}", p.file).replace("\\r", "\\n");
        assert_eq!(tree(&lf), tree(&cr));
        assert_eq!(lf.comments, cr.comments);
        assert_eq!(lf.errors.len(), cr.errors.len());
        assert_eq!(
            LineIndex::new(&text).line_count(),
            LineIndex::new(&mac).line_count()
        );
        // Windows line endings keep parsing as they did.
        let crlf = parse(&text.replace('\n', "\r\n"));
        assert_eq!(crlf.errors.len(), lf.errors.len());
    }
}

#[test]
fn a_byte_order_mark_is_not_an_error() {
    for text in examples() {
        let with_bom = format!("\u{feff}{text}");
        let (plain, bom) = (parse(&text), parse(&with_bom));
        assert_eq!(plain.errors.len(), bom.errors.len(), "{:?}", bom.errors);
        assert_eq!(plain.file.items.len(), bom.file.items.len());
    }
    // Only at the start: elsewhere it is a character like any other.
    assert!(!parse("pipeline p() {}\n\u{feff}").errors.is_empty());
}
