//! Diagnostics as values: queries return them, so an edit recomputes only what it touches.

use mlforge_syntax::Span;

use crate::codes::{Code, Severity};
use crate::db::SourceFile;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Diagnostic {
    pub code: Code,
    pub severity: Severity,
    /// One sentence saying what is wrong.
    pub message: String,
    pub file: SourceFile,
    pub span: Span,
    /// The label on the primary span.
    pub label: Option<String>,
    /// Other places that explain this one: the other definition, the declared type, the
    /// steps of a cycle.
    pub related: Vec<Related>,
    /// How to fix it, when there is one clear way.
    pub help: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Related {
    pub file: SourceFile,
    pub span: Span,
    pub message: String,
}

impl Diagnostic {
    pub fn new(code: Code, file: SourceFile, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            code,
            severity: code.severity(),
            message: message.into(),
            file,
            span,
            label: None,
            related: Vec::new(),
            help: None,
        }
    }

    pub fn with_label(mut self, label: impl Into<String>) -> Diagnostic {
        self.label = Some(label.into());
        self
    }

    pub fn with_related(
        mut self,
        file: SourceFile,
        span: Span,
        message: impl Into<String>,
    ) -> Diagnostic {
        self.related.push(Related {
            file,
            span,
            message: message.into(),
        });
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// The same diagnostic with every span in `file` moved by `delta` bytes (diagnostics of
    /// an op are computed relative to the op's start so they survive edits elsewhere).
    pub fn shifted(mut self, delta: i64) -> Diagnostic {
        let file = self.file;
        self.span = self.span.shifted(delta);
        for related in &mut self.related {
            if related.file == file {
                related.span = related.span.shifted(delta);
            }
        }
        self
    }
}

/// Collects diagnostics for one file while a check runs.
pub(crate) struct Sink {
    pub file: SourceFile,
    pub diagnostics: Vec<Diagnostic>,
}

impl Sink {
    pub fn new(file: SourceFile) -> Sink {
        Sink {
            file,
            diagnostics: Vec::new(),
        }
    }

    /// Starts a diagnostic in this sink's file; finish it with `push`.
    pub fn at(&self, code: Code, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(code, self.file, span, message)
    }

    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.diagnostics.push(diagnostic);
    }

    /// Reports a second definition of something, pointing at the first one.
    pub fn twice(
        &mut self,
        code: Code,
        span: Span,
        message: impl Into<String>,
        first: Span,
        first_label: &str,
        help: &str,
    ) {
        let d = self
            .at(code, span, message)
            .with_related(self.file, first, first_label)
            .with_help(help);
        self.push(d);
    }

    pub fn error(&mut self, code: Code, span: Span, message: impl Into<String>) {
        let d = self.at(code, span, message);
        self.push(d);
    }
}

/// `did you mean "x"?` for a misspelt name, when one candidate is close enough.
pub(crate) fn suggest<'a>(
    wanted: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    let limit = (wanted.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .filter(|c| *c != wanted)
        .map(|c| (edit_distance(wanted, c), c))
        .filter(|&(d, _)| d <= limit)
        .min()
        .map(|(_, c)| format!("did you mean `{c}`?"))
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            let next = (row[j + 1] + 1).min(row[j] + 1).min(prev + cost);
            prev = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}
