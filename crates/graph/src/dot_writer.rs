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
pub struct DotWriter {
    out: String,
    /// Open `subgraph`s.
    depth: usize,
}

/// The attribute list of one statement, written as attributes are added.
pub struct Attrs<'w> {
    out: &'w mut String,
    /// What opens the list before the first attribute: `[` or ` [`.
    open: &'static str,
    any: bool,
}

impl DotWriter {
    /// Starts `digraph "id" {`.
    pub fn digraph(id: &str) -> DotWriter {
        DotWriter::with_capacity(id, 0)
    }

    /// The same, with room for `capacity` bytes (a big graph's DOT is megabytes).
    pub fn with_capacity(id: &str, capacity: usize) -> DotWriter {
        let mut out = String::with_capacity(capacity.max(64));
        out.push_str("digraph ");
        push_quoted(&mut out, id);
        out.push_str(" {\n");
        DotWriter { out, depth: 0 }
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
    }

    /// `"from" -> "to" […]`.
    pub fn edge(&mut self, from: &str, to: &str, attrs: impl FnOnce(&mut Attrs<'_>)) {
        let out = self.line();
        push_quoted(out, from);
        out.push_str(" -> ");
        push_quoted(out, to);
        statement(out, " [", attrs);
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
    }

    /// Closes the graph (and any subgraph left open) and returns the text.
    pub fn finish(mut self) -> String {
        while self.depth > 0 {
            self.end_subgraph();
        }
        self.out.push_str("}\n");
        self.out
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

impl Write for Escaper<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        push_escaped(self.0, s);
        Ok(())
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

/// The one place that escapes. DOT strings know one escape, `\"`; Graphviz then reads
/// labels and most other string attributes as escString, where `\\` is a backslash and `\n`
/// a line break. So: backslash and quote are escaped, a line break becomes `\n`, a carriage
/// return is dropped, and other control characters become spaces. A string that ends in a
/// backslash stays closed because that backslash is doubled.
fn push_escaped(out: &mut String, value: &str) {
    let mut rest = value;
    while let Some(at) = rest.find(|c: char| c == '"' || c == '\\' || c.is_control()) {
        out.push_str(&rest[..at]);
        let c = rest[at..].chars().next().expect("a character was found");
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            _ => out.push(' '),
        }
        rest = &rest[at + c.len_utf8()..];
    }
    out.push_str(rest);
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
}
