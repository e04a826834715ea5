//! Rendering diagnostics: ariadne reports for people, JSON for machines.

use std::io::IsTerminal;

use ariadne::{CharSet, Color, Config, IndexType, Label, Report, ReportKind};
use mlforge_analysis::{Db, Diagnostic, Severity, SourceFile};
use mlforge_syntax::LineIndex;
use serde::Serialize;

pub struct Summary {
    pub errors: usize,
    pub warnings: usize,
    pub files: usize,
}

impl Summary {
    pub fn of(results: &[(SourceFile, Vec<Diagnostic>)]) -> Summary {
        let all = || results.iter().flat_map(|(_, ds)| ds);
        Summary {
            errors: all().filter(|d| d.severity == Severity::Error).count(),
            warnings: all().filter(|d| d.severity == Severity::Warning).count(),
            files: results.len(),
        }
    }

    fn line(&self) -> String {
        let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
        format!(
            "{}, {} in {}",
            plural(self.errors, "error"),
            plural(self.warnings, "warning"),
            plural(self.files, "file")
        )
    }
}

/// Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org).
pub fn use_color() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

fn display_path(db: &dyn Db, file: SourceFile) -> String {
    file.path(db).display().to_string()
}

pub fn render_text(
    db: &dyn Db,
    results: &[(SourceFile, Vec<Diagnostic>)],
    summary: &Summary,
    color: bool,
) -> String {
    let mut out = Vec::new();
    let config = Config::default()
        .with_index_type(IndexType::Byte)
        .with_color(color)
        .with_char_set(if color {
            CharSet::Unicode
        } else {
            CharSet::Ascii
        });
    for (_, diagnostics) in results {
        for d in diagnostics {
            let path = display_path(db, d.file);
            let kind = match d.severity {
                Severity::Error => ReportKind::Error,
                Severity::Warning => ReportKind::Warning,
            };
            let main_color = if d.severity == Severity::Error {
                Color::Red
            } else {
                Color::Yellow
            };
            let mut report = Report::build(kind, (path.clone(), clamp(db, d.file, d.span)))
                .with_config(config)
                .with_code(d.code)
                .with_message(&d.message)
                .with_label({
                    let label = Label::new((path.clone(), clamp(db, d.file, d.span)))
                        .with_color(main_color);
                    label.with_message(d.label.as_deref().unwrap_or(d.code.title()))
                });
            for related in &d.related {
                report = report.with_label(
                    Label::new((
                        display_path(db, related.file),
                        clamp(db, related.file, related.span),
                    ))
                    .with_message(&related.message)
                    .with_color(Color::Blue),
                );
            }
            if let Some(help) = &d.help {
                report = report.with_help(help);
            }
            report = report.with_note(format!("run `mlforge explain {}` for more", d.code));
            let mut sources: Vec<(String, String)> = vec![(path.clone(), text_of(db, d.file))];
            for related in &d.related {
                let p = display_path(db, related.file);
                if !sources.iter().any(|(s, _)| *s == p) {
                    sources.push((p, text_of(db, related.file)));
                }
            }
            let _ = report.finish().write(ariadne::sources(sources), &mut out);
        }
    }
    let mut text = String::from_utf8_lossy(&out).into_owned();
    text.push_str(&summary.line());
    text.push('\n');
    text
}

fn text_of(db: &dyn Db, file: SourceFile) -> String {
    file.text(db).as_deref().unwrap_or("").to_string()
}

/// A span inside the text's bounds and on character boundaries, as ariadne needs.
fn clamp(db: &dyn Db, file: SourceFile, span: mlforge_syntax::Span) -> std::ops::Range<usize> {
    let text = file.text(db).as_deref().unwrap_or("");
    let fix = |mut i: usize| {
        i = i.min(text.len());
        while !text.is_char_boundary(i) {
            i -= 1;
        }
        i
    };
    fix(span.start as usize)..fix(span.end as usize)
}

#[derive(Serialize)]
struct JsonReport {
    diagnostics: Vec<JsonDiagnostic>,
    errors: usize,
    warnings: usize,
    files: usize,
}

#[derive(Serialize)]
struct JsonDiagnostic {
    #[serde(flatten)]
    at: JsonRange,
    code: String,
    severity: &'static str,
    message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    help: Option<String>,
    related: Vec<JsonRelated>,
}

#[derive(Serialize)]
struct JsonRelated {
    #[serde(flatten)]
    at: JsonRange,
    message: String,
}

/// A span as a file with 1-based lines and columns (columns count characters).
#[derive(Serialize)]
struct JsonRange {
    file: String,
    line: u32,
    column: u32,
    end_line: u32,
    end_column: u32,
}

fn json_range(db: &dyn Db, file: SourceFile, span: mlforge_syntax::Span) -> JsonRange {
    let text = file.text(db).as_deref().unwrap_or("");
    let index = LineIndex::new(text);
    let start = index.line_col(text, span.start as usize);
    let end = index.line_col(text, span.end as usize);
    JsonRange {
        file: display_path(db, file),
        line: start.line + 1,
        column: start.char_col + 1,
        end_line: end.line + 1,
        end_column: end.char_col + 1,
    }
}

pub fn render_json(
    db: &dyn Db,
    results: &[(SourceFile, Vec<Diagnostic>)],
    summary: &Summary,
) -> String {
    let diagnostics = results
        .iter()
        .flat_map(|(_, ds)| ds)
        .map(|d| JsonDiagnostic {
            at: json_range(db, d.file, d.span),
            code: d.code.to_string(),
            severity: d.severity.as_str(),
            message: d.message.clone(),
            help: d.help.clone(),
            related: d
                .related
                .iter()
                .map(|r| JsonRelated {
                    at: json_range(db, r.file, r.span),
                    message: r.message.clone(),
                })
                .collect(),
        })
        .collect();
    let report = JsonReport {
        diagnostics,
        errors: summary.errors,
        warnings: summary.warnings,
        files: summary.files,
    };
    serde_json::to_string_pretty(&report).expect("diagnostics serialize to JSON")
}
