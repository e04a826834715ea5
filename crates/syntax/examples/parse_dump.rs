fn main() {
    let path = std::env::args().nth(1).expect("usage: parse_dump FILE");
    let text = std::fs::read_to_string(path).unwrap();
    let parse = mlforge_syntax::parse(&text);
    for e in &parse.errors {
        println!("{:?} {:?} {}", e.kind, e.span, e.message);
    }
    for item in &parse.file.items {
        println!("item {:?} {:?}", item.name().map(|n| &n.text), item.span());
        if let mlforge_syntax::ast::Item::Pipeline(p) = item {
            for s in &p.body {
                println!(
                    "   stmt {:?}",
                    match s {
                        mlforge_syntax::ast::Stmt::Step(s) => s.name.text.to_string(),
                        o => format!("{:?}", o.span()),
                    }
                );
            }
        }
    }
}
