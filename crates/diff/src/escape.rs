//! Every escape of user text (step ids, op names, values, conditions, bodies) into the
//! Markdown, Mermaid and terminal output happens here and nowhere else.

/// Text for Markdown prose or a table cell: ASCII punctuation that Markdown, HTML, GitHub
/// (mentions `@`, emoji `:x:`, math `$`) or a table (`|`) could read becomes a numeric
/// character reference, and line breaks become spaces, so the text shows as written and
/// cannot end a cell, a tag or a block.
pub fn markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() {
            out.push(' ');
        } else if c.is_ascii_punctuation()
            && !matches!(c, '.' | ',' | '-' | '=' | '/' | '+' | ';' | '?' | '%')
        {
            out.push_str(&format!("&#{};", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

/// Text as inline code in Markdown: `<code>` with [`markdown`]'s escapes (a backtick code
/// span cannot hold entities, and a backtick in the text would end it).
pub fn markdown_code(text: &str) -> String {
    format!("<code>{}</code>", markdown(text))
}

/// A fenced block holding `text` as it is: the fence is longer than any run of backticks
/// in the text, so the text cannot close it.
pub fn markdown_fence(info: &str, text: &str) -> String {
    let mut longest = 0;
    let mut run = 0;
    for c in text.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat(longest.max(2) + 1);
    let mut body = text.replace('\r', "");
    if !body.ends_with('\n') {
        body.push('\n');
    }
    format!("{fence}{}\n{body}{fence}\n", markdown(info))
}

/// A quoted Mermaid label: letters, digits, spaces and a few harmless marks stay; every
/// other character becomes Mermaid's entity code `#NN;`, so a quote, bracket, `<`, `%%`,
/// a backtick or a line break can neither end the label nor become markup.
pub fn mermaid_label(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        if c.is_alphanumeric()
            || matches!(c, ' ' | '.' | ',' | '_' | '-' | '/' | '=' | '+' | '(' | ')')
        {
            out.push(c);
        } else if c.is_control() {
            out.push(' ');
        } else {
            out.push_str(&format!("#{};", c as u32));
        }
    }
    out.push('"');
    out
}

/// Text for a terminal: control characters other than tab and line break (escape
/// sequences a body could hold) are shown as `?`.
pub fn terminal(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() && c != '\n' && c != '\t' {
                '?'
            } else {
                c
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOSTILE: &str = "a|b</code><script>x</script>`] \"q\" %%c\n## h @me :x: $y$ [l](u) \\";

    #[test]
    fn markdown_text_keeps_no_markup() {
        let out = markdown(HOSTILE);
        for bad in [
            "|", "<", ">", "`", "\n", "@", ":", "$", "[", "]", "(", ")", "\\", "#", "\"", "*", "_",
        ] {
            let stripped = out.replace("&#", "").replace(';', "");
            assert!(!stripped.contains(bad), "{bad:?} survives in {out}");
        }
        assert_eq!(markdown("fit.model >= 0.5"), "fit.model &#62;= 0.5");
        assert_eq!(markdown_code("a_b"), "<code>a&#95;b</code>");
    }

    #[test]
    fn fences_outgrow_the_backticks_inside() {
        assert_eq!(markdown_fence("diff", "x\n"), "```diff\nx\n```\n");
        let text = "a ```` b\n";
        let fenced = markdown_fence("diff", text);
        assert!(fenced.starts_with("`````diff\n"), "{fenced}");
        assert!(fenced.ends_with("\n`````\n"), "{fenced}");
    }

    #[test]
    fn mermaid_labels_stay_closed() {
        let out = mermaid_label(HOSTILE);
        let inner = &out[1..out.len() - 1];
        for bad in [
            '"', '<', '>', '`', '\n', '%', '[', ']', '|', '\\', '@', '$', '#', ':',
        ] {
            let stripped: String = inner
                .split('#')
                .enumerate()
                .map(|(i, part)| {
                    if i == 0 {
                        part
                    } else {
                        part.split_once(';').map_or(part, |(_, rest)| rest)
                    }
                })
                .collect();
            assert!(!stripped.contains(bad), "{bad:?} survives in {out}");
        }
        assert_eq!(mermaid_label("say \"hi\""), "\"say #34;hi#34;\"");
    }

    #[test]
    fn terminal_text_drops_escape_sequences() {
        assert_eq!(terminal("a\u{1b}[2Jb\n\tc"), "a?[2Jb\n\tc");
    }
}
