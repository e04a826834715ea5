//! A writer of Graphviz DOT text: statements straight into one `String`, every id and
//! attribute value quoted and escaped here and nowhere else.
//!
//! The layout is graphviz-rust's printer's (two spaces per level, one statement per line,
//! attributes separated by spaces), so that DOT made before this writer existed compares
//! equal; graphviz-rust still parses DOT in the tests.
//!
//! ```
//! use mlforge_graph::DotWriter;
//! let mut w = DotWriter::digraph("p");
//! w.node("a", |a| {
//!     a.attr("label", "say \"hi\"");
//! });
//! w.edge("a", "b", |a| {
//!     a.attr_fmt("tooltip", format_args!("{} → {}", "a", "b"));
//! });
//! assert_eq!(
//!     w.finish(),
//!     "digraph \"p\" {\n  \"a\"[label=\"say \\\"hi\\\"\"]\n  \"a\" -> \"b\" [tooltip=\"a → b\"]\n}\n"
//! );
//! ```

use std::fmt::{self, Write};

/// DOT text being written: a `digraph` whose statements are added in order.
pub struct DotWriter<'s> {
    out: String,
    /// Open `subgraph`s.
    depth: usize,
    /// Where a streaming writer hands its text after each statement, once it holds
    /// [`SPILL_AT`] bytes: a big graph's DOT is never held whole.
    sink: Option<&'s mut dyn std::io::Write>,
    /// The sink's first error; nothing more is written after it.
    error: Option<std::io::Error>,
    /// [`DotWriter::each_in_parallel`] draws on this thread, item after item: what the
    /// tests hold its text to.
    in_order: bool,
}

const SPILL_AT: usize = 1 << 16;

/// The attribute list of one statement, written as attributes are added.
pub struct Attrs<'w> {
    out: &'w mut String,
    /// What opens the list before the first attribute: `[` or ` [`.
    open: &'static str,
    any: bool,
}

impl<'s> DotWriter<'s> {
    /// Starts `digraph "id" {`.
    pub fn digraph(id: &str) -> DotWriter<'static> {
        DotWriter::with_capacity(id, 0)
    }

    /// The same, with room for `capacity` bytes (a big graph's DOT is megabytes).
    pub fn with_capacity(id: &str, capacity: usize) -> DotWriter<'static> {
        DotWriter::start(id, capacity, None)
    }

    /// The same, handing the text to `sink` as it is written; end it with
    /// [`DotWriter::finish_streamed`].
    pub fn streaming(id: &str, sink: &'s mut dyn std::io::Write) -> DotWriter<'s> {
        DotWriter::start(id, SPILL_AT + SPILL_AT / 4, Some(sink))
    }

    fn start(id: &str, capacity: usize, sink: Option<&'s mut dyn std::io::Write>) -> Self {
        let mut out = String::with_capacity(capacity.max(64));
        out.push_str("digraph ");
        push_quoted(&mut out, id);
        out.push_str(" {\n");
        DotWriter {
            out,
            depth: 0,
            sink,
            error: None,
            in_order: false,
        }
    }

    #[cfg(test)]
    pub(crate) fn in_order(mut self) -> Self {
        self.in_order = true;
        self
    }

    /// Hands the text so far to the sink, if there is one and it holds enough (or `all`).
    fn spill(&mut self, all: bool) {
        let Some(sink) = self.sink.as_mut() else {
            return;
        };
        if !all && self.out.len() < SPILL_AT {
            return;
        }
        if self.error.is_none() {
            if let Err(e) = sink.write_all(self.out.as_bytes()) {
                self.error = Some(e);
            }
        }
        self.out.clear();
    }

    fn line(&mut self) -> &mut String {
        for _ in 0..=self.depth {
            self.out.push_str("  ");
        }
        &mut self.out
    }

    /// `graph[…]`, `node[…]` or `edge[…]`: attributes of the enclosing graph, or defaults
    /// for the nodes or edges after it.
    pub fn defaults(&mut self, of: Defaults, attrs: impl FnOnce(&mut Attrs<'_>)) {
        let out = self.line();
        out.push_str(match of {
            Defaults::Graph => "graph",
            Defaults::Node => "node",
            Defaults::Edge => "edge",
        });
        statement(out, "[", attrs);
    }

    /// `"id"[…]`.
    pub fn node(&mut self, id: &str, attrs: impl FnOnce(&mut Attrs<'_>)) {
        let out = self.line();
        push_quoted(out, id);
        statement(out, "[", attrs);
        self.spill(false);
    }

    /// `"from" -> "to" […]`.
    pub fn edge(&mut self, from: &str, to: &str, attrs: impl FnOnce(&mut Attrs<'_>)) {
        let out = self.line();
        push_quoted(out, from);
        out.push_str(" -> ");
        push_quoted(out, to);
        statement(out, " [", attrs);
        self.spill(false);
    }

    /// Opens `subgraph "id" {`; statements go inside it until [`DotWriter::end_subgraph`].
    pub fn subgraph(&mut self, id: &str) {
        let out = self.line();
        out.push_str("subgraph ");
        push_quoted(out, id);
        out.push_str(" {\n");
        self.depth += 1;
    }

    pub fn end_subgraph(&mut self) {
        assert!(self.depth > 0, "a subgraph is open");
        self.depth -= 1;
        self.line().push_str("}\n");
        self.spill(false);
    }

    /// The statements `draw` writes for each of `items`, in order: the same text as drawing
    /// them one after another here, but made on every core, each chunk of items by a writer
    /// of its own (at this writer's depth) whose text is then added here. A statement's text
    /// depends only on its depth, so this holds as long as `draw` closes what it opens.
    pub fn each_in_parallel<T: Sync>(
        &mut self,
        items: &[T],
        draw: impl Fn(&mut DotWriter<'_>, &T) + Sync,
    ) {
        if self.in_order {
            for item in items {
                draw(self, item);
            }
            return;
        }
        let depth = self.depth;
        let texts = mlforge_syntax::parallel::map_chunks(items, |chunk| {
            let mut w = DotWriter {
                out: String::new(),
                depth,
                sink: None,
                error: None,
                in_order: false,
            };
            for item in chunk {
                draw(&mut w, item);
            }
            assert_eq!(w.depth, depth, "each item closes the subgraphs it opens");
            w.out
        });
        for text in &texts {
            self.append(text);
        }
    }

    /// Adds statements already written (at this depth). A streaming writer hands its own
    /// text over first and then the statements, without copying them into its buffer.
    fn append(&mut self, text: &str) {
        if self.sink.is_none() {
            self.out.push_str(text);
            return;
        }
        self.spill(true);
        if let (Some(sink), None) = (self.sink.as_mut(), &self.error) {
            if let Err(e) = sink.write_all(text.as_bytes()) {
                self.error = Some(e);
            }
        }
    }

    /// Closes the graph (and any subgraph left open) and returns the text.
    pub fn finish(mut self) -> String {
        debug_assert!(
            self.sink.is_none(),
            "a streaming writer ends with finish_streamed"
        );
        self.close();
        self.out
    }

    /// Closes the graph and hands the rest of the text to the sink.
    pub fn finish_streamed(mut self) -> std::io::Result<()> {
        self.close();
        self.spill(true);
        self.error.map_or(Ok(()), Err)
    }

    fn close(&mut self) {
        while self.depth > 0 {
            self.end_subgraph();
        }
        self.out.push_str("}\n");
    }
}

/// Which defaults [`DotWriter::defaults`] writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Defaults {
    Graph,
    Node,
    Edge,
}

fn statement(out: &mut String, open: &'static str, attrs: impl FnOnce(&mut Attrs<'_>)) {
    let mut list = Attrs {
        out,
        open,
        any: false,
    };
    attrs(&mut list);
    if list.any {
        list.out.push(']');
    }
    list.out.push('\n');
}

impl Attrs<'_> {
    fn name(&mut self, name: &str) -> &mut String {
        self.out.push_str(if self.any { " " } else { self.open });
        self.any = true;
        self.out.push_str(name);
        self.out.push_str("=\"");
        self.out
    }

    /// `name="value"`, the value escaped.
    pub fn attr(&mut self, name: &str, value: &str) -> &mut Self {
        let out = self.name(name);
        push_escaped(out, value);
        out.push('"');
        self
    }

    /// `name="…"`, the formatted value escaped as it is written (no `String` in between).
    pub fn attr_fmt(&mut self, name: &str, value: fmt::Arguments<'_>) -> &mut Self {
        self.attr_with(name, |e| e.write_fmt(value))
    }

    /// `name="…"`, the value written piece by piece through an [`Escaper`].
    pub fn attr_with(
        &mut self,
        name: &str,
        value: impl FnOnce(&mut Escaper<'_>) -> fmt::Result,
    ) -> &mut Self {
        let out = self.name(name);
        value(&mut Escaper(out)).expect("writing to a String cannot fail");
        out.push('"');
        self
    }
}

/// Text written through it lands escaped for the inside of a quoted DOT string.
pub struct Escaper<'a>(&'a mut String);

impl Escaper<'_> {
    /// Text, escaped.
    pub fn text(&mut self, text: &str) -> &mut Self {
        push_escaped(self.0, text);
        self
    }

    /// Text with nothing to escape, like the separators this crate writes (`: `, `-L`):
    /// copied as it is, without the scan (a big graph writes 200,000 of them).
    pub fn plain(&mut self, text: &'static str) -> &mut Self {
        debug_assert!(
            !text.bytes().any(|b| SPECIAL[b as usize]),
            "{text:?} has something to escape"
        );
        self.0.push_str(text);
        self
    }

    /// A number: digits need no escaping, and this skips `fmt`'s machinery (a big graph
    /// writes 100,000 of them).
    pub fn num(&mut self, n: u32) -> &mut Self {
        let mut digits = [0u8; 10];
        let mut at = digits.len();
        let mut n = n;
        loop {
            at -= 1;
            digits[at] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        // Pushed one by one: checking the digits as UTF-8 cost more than pushing them.
        for &digit in &digits[at..] {
            self.0.push(char::from(digit));
        }
        self
    }

    /// Text escaped once before, for values written many times (a file path).
    pub fn escaped(&mut self, text: &Escaped) -> &mut Self {
        self.0.push_str(&text.0);
        self
    }
}

impl Write for Escaper<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        push_escaped(self.0, s);
        Ok(())
    }
}

/// Text already escaped for the inside of a quoted DOT string (only [`Escaped::new`] makes
/// one), to write many times with [`Escaper::escaped`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Escaped(String);

impl Escaped {
    pub fn new(text: &str) -> Escaped {
        let mut out = String::with_capacity(text.len());
        push_escaped(&mut out, text);
        Escaped(out)
    }
}

/// A value as a quoted DOT string (see [`push_escaped`]).
pub fn quoted(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    push_quoted(&mut out, value);
    out
}

fn push_quoted(out: &mut String, value: &str) {
    out.push('"');
    push_escaped(out, value);
    out.push('"');
}

/// Bytes that start something to escape: `"`, `\`, ASCII control characters, and 0xC2,
/// the first byte of U+0080–U+00BF (of which U+0080–U+009F are control characters).
const SPECIAL: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 0x20 {
        table[b] = true;
        b += 1;
    }
    table[b'"' as usize] = true;
    table[b'\\' as usize] = true;
    table[0x7f] = true;
    table[0xc2] = true;
    table
};

/// The one place that escapes. DOT strings know one escape, `\"`; Graphviz then reads
/// labels and most other string attributes as escString, where `\\` is a backslash and `\n`
/// a line break. So: backslash and quote are escaped, a line break becomes `\n`, a carriage
/// return is dropped, and other control characters (`char::is_control`) become spaces. A
/// string that ends in a backslash stays closed because that backslash is doubled.
fn push_escaped(out: &mut String, value: &str) {
    let bytes = value.as_bytes();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if !SPECIAL[b as usize] {
            i += 1;
            continue;
        }
        let replacement = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "",
            0xc2 if bytes.get(i + 1).is_some_and(|n| (0x80..=0x9f).contains(n)) => " ",
            // Any other character starting with 0xC2 is not a control character.
            0xc2 => {
                i += 1;
                continue;
            }
            _ => " ",
        };
        out.push_str(&value[start..i]);
        out.push_str(replacement);
        i += if b == 0xc2 { 2 } else { 1 };
        start = i;
    }
    out.push_str(&value[start..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_keeps_strings_closed_and_lines_as_escapes() {
        assert_eq!(quoted("plain"), "\"plain\"");
        assert_eq!(quoted("a\"b"), "\"a\\\"b\"");
        assert_eq!(quoted("ends\\"), "\"ends\\\\\"");
        assert_eq!(
            quoted("two\r\nlines\tand\u{7}bell"),
            "\"two\\nlines and bell\""
        );
        assert_eq!(quoted("é → ü"), "\"é → ü\"");
        // U+0085 (NEL) is a control character; U+00A0 and U+00B5 start with the same byte.
        assert_eq!(quoted("a\u{85}b\u{a0}c\u{b5}"), "\"a b\u{a0}c\u{b5}\"");
        for c in ['\u{0}', '\u{1f}', '\u{7f}', '\u{80}', '\u{9f}'] {
            assert_eq!(quoted(&format!("x{c}y")), "\"x y\"", "{c:?}");
        }
    }

    #[test]
    fn numbers_and_escaped_text_write_as_they_read() {
        let mut out = String::new();
        let path = Escaped::new("a \"b\"");
        Escaper(&mut out)
            .num(0)
            .text(":")
            .num(4_294_967_295)
            .escaped(&path);
        assert_eq!(out, "0:4294967295a \\\"b\\\"");
    }

    #[test]
    fn statements_nest_and_empty_attribute_lists_are_left_out() {
        let mut w = DotWriter::digraph("g");
        w.defaults(Defaults::Graph, |a| {
            a.attr("rankdir", "TB");
        });
        w.subgraph("cluster_x");
        w.node("n", |_| {});
        w.edge("n", "m", |_| {});
        let text = w.finish();
        assert_eq!(
            text,
            "digraph \"g\" {\n  graph[rankdir=\"TB\"]\n  subgraph \"cluster_x\" {\n    \"n\"\n    \"n\" -> \"m\"\n  }\n}\n"
        );
    }

    fn draw_many(w: &mut DotWriter) {
        for i in 0..5_000 {
            if i % 100 == 0 {
                w.subgraph(&format!("cluster_{i}"));
            }
            w.node(&format!("n{i}"), |a| {
                a.attr("label", "a \"quoted\" label\nover two lines");
            });
            w.edge(&format!("n{i}"), &format!("n{}", i + 1), |_| {});
            if i % 100 == 99 {
                w.end_subgraph();
            }
        }
    }

    #[test]
    fn a_streamed_graph_is_the_same_text_handed_over_in_pieces() {
        let mut whole = DotWriter::digraph("g");
        draw_many(&mut whole);
        let whole = whole.finish();
        assert!(whole.len() > 4 * SPILL_AT, "the test spills several times");

        let mut sink = Vec::new();
        let mut streamed = DotWriter::streaming("g", &mut sink);
        draw_many(&mut streamed);
        streamed.finish_streamed().unwrap();
        assert_eq!(String::from_utf8(sink).unwrap(), whole);
    }

    /// Items drawn in parallel chunks, each opening and closing subgraphs: the text of
    /// drawing them in order, whole or streamed.
    #[test]
    fn statements_drawn_in_parallel_are_those_drawn_in_order() {
        let groups: Vec<usize> = (0..2_000).collect();
        let draw = |w: &mut DotWriter<'_>, &g: &usize| {
            w.subgraph(&format!("cluster_{g}"));
            w.node(&format!("n{g}"), |a| {
                a.attr("label", "a \"quoted\" label");
            });
            w.end_subgraph();
            w.edge(&format!("n{g}"), &format!("n{}", g + 1), |_| {});
        };
        let text = |w: DotWriter<'static>| {
            let mut w = w;
            w.subgraph("cluster_outer");
            w.each_in_parallel(&groups, draw);
            w.finish()
        };
        let in_order = text(DotWriter::digraph("g").in_order());
        assert_eq!(in_order.matches("subgraph").count(), 2_001);
        assert_eq!(text(DotWriter::digraph("g")), in_order);

        let mut sink = Vec::new();
        let mut streamed = DotWriter::streaming("g", &mut sink);
        streamed.subgraph("cluster_outer");
        streamed.each_in_parallel(&groups, draw);
        streamed.finish_streamed().unwrap();
        assert_eq!(String::from_utf8(sink).unwrap(), in_order);
    }

    #[test]
    fn a_sink_that_fails_makes_the_stream_fail() {
        struct Full;
        impl std::io::Write for Full {
            fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
                Err(std::io::Error::other("disk full"))
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let mut sink = Full;
        let mut w = DotWriter::streaming("g", &mut sink);
        draw_many(&mut w);
        assert_eq!(w.finish_streamed().unwrap_err().to_string(), "disk full");
    }
}
