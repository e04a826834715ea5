//! Formats the files named on the command line to standard output; with `--raw`, without
//! the checks; with `--tree`, prints their syntax trees instead (development aids for the
//! formatter itself: `cargo run -p mlforge-fmt --example fmt_file -- --raw FILE`).
fn main() {
    let raw = std::env::args().any(|a| a == "--raw");
    let show_tree = std::env::args().any(|a| a == "--tree");
    for path in std::env::args().skip(1).filter(|a| !a.starts_with("--")) {
        let text = std::fs::read_to_string(&path).expect("readable");
        if show_tree {
            println!("{}", tree(&text));
            continue;
        }
        if raw {
            match mlforge_fmt::format_unchecked(&text) {
                Some(Ok(out)) => print!("{out}"),
                Some(Err(e)) => eprintln!("{path}: {e}"),
                None => eprintln!("{path}: syntax errors"),
            }
            continue;
        }
        match mlforge_fmt::format(&text) {
            Ok(out) => print!("{out}"),
            Err(e) => eprintln!("{path}:{e}"),
        }
    }
}

fn tree(text: &str) -> String {
    format!("{:#?}", mlforge_syntax::parse(text).file)
}
