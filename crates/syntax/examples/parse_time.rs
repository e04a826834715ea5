fn main() {
    let path = std::env::args().nth(1).expect("usage: parse_time FILE");
    let text = std::fs::read_to_string(path).unwrap();
    for _ in 0..3 {
        let t = std::time::Instant::now();
        let lexed = mlforge_syntax::lexer::lex(&text);
        let lex = t.elapsed();
        let t = std::time::Instant::now();
        let parse = mlforge_syntax::parse(&text);
        let all = t.elapsed();
        println!(
            "tokens {} lex {:?} lex+parse {:?} errors {}",
            lexed.tokens.len(),
            lex,
            all,
            parse.errors.len()
        );
    }
}
