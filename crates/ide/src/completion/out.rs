//! The list of items being built, and snippet templates for clients without snippets.

use mlforge_syntax::Span;

use crate::render::keyword_doc;
use crate::{CompletionConfig, CompletionItem, CompletionKind};

pub(super) struct Out {
    pub(super) items: Vec<CompletionItem>,
    pub(super) replace: Span,
    pub(super) config: CompletionConfig,
    pub(super) next_char: Option<char>,
}
impl Out {
    pub(super) fn add(
        &mut self,
        label: impl Into<String>,
        kind: CompletionKind,
        detail: Option<String>,
        documentation: Option<String>,
        priority: u8,
    ) {
        let label = label.into();
        self.items.push(CompletionItem {
            sort_text: format!("{priority:02}{label}"),
            insert_text: label.clone(),
            label,
            kind,
            detail,
            documentation,
            is_snippet: false,
            replace: self.replace,
        });
    }

    /// Sets the last item's insert text, from a snippet template (`${1:name}`, `$0`) or, when
    /// the client takes no snippets, the same text with the placeholders' defaults.
    pub(super) fn insert(&mut self, template: &str) {
        let snippets = self.config.snippets;
        let text = template.to_string();
        if let Some(item) = self.items.last_mut() {
            if snippets {
                item.insert_text = text;
                item.is_snippet = template.contains('$');
            } else {
                item.insert_text = plain(&text);
            }
        }
    }

    /// Sets the last item's insert text as it is (never a snippet).
    pub(super) fn set_plain_insert(&mut self, text: String) {
        if let Some(item) = self.items.last_mut() {
            item.insert_text = text;
            item.is_snippet = false;
        }
    }

    pub(super) fn keyword(&mut self, word: &str, priority: u8) {
        self.add(
            word,
            CompletionKind::Keyword,
            None,
            keyword_doc(word).map(str::to_string),
            priority,
        );
    }

    pub(super) fn snippet(&mut self, label: &str, template: &str, doc: &str, priority: u8) {
        self.add(
            label,
            CompletionKind::Snippet,
            Some(plain(template).lines().next().unwrap_or("").to_string()),
            Some(doc.to_string()),
            priority,
        );
        self.insert(template);
    }
}
/// A snippet template with its placeholders replaced by their defaults.
pub(crate) fn plain(template: &str) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        rest = &rest[i + 1..];
        if let Some(inner) = rest.strip_prefix('{') {
            let close = inner.find('}').unwrap_or(inner.len());
            let body = &inner[..close];
            if let Some((_, default)) = body.split_once(':') {
                out.push_str(default);
            }
            rest = inner.get(close + 1..).unwrap_or("");
        } else {
            let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
            if digits == 0 {
                out.push('$');
            }
            rest = &rest[digits..];
        }
    }
    out.push_str(rest);
    out
}
