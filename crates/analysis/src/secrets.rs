//! W0110: a secret an op reads that is not set where the program is checked. Whether a
//! variable is set is the caller's to say (`mlforge check` asks its own environment), so
//! analysis stays a function of its inputs.

use mlforge_syntax::ast::{AttrValue, Item};

use crate::codes::Code;
use crate::diagnostic::{Diagnostic, Sink};
use crate::items::parse;
use crate::{Db, SourceFile};

/// The secrets the ops of `file` read that `is_set` says are not set, one warning each
/// place.
pub fn unset_secrets(
    db: &dyn Db,
    file: SourceFile,
    is_set: &dyn Fn(&str) -> bool,
) -> Vec<Diagnostic> {
    let sink = Sink::new(file);
    let mut out = Vec::new();
    for item in &parse(db, file).file.items {
        let Item::Op(op) = item else {
            continue;
        };
        let entries = op
            .attrs
            .iter()
            .filter(|a| a.name.text == "env")
            .filter_map(|a| match &a.value {
                AttrValue::Block(entries) => Some(entries),
                _ => None,
            })
            .flatten();
        for entry in entries {
            let AttrValue::Secret(secret) = &entry.value else {
                continue;
            };
            let name = &secret.name.value;
            if is_set(name) {
                continue;
            }
            out.push(
                sink.at(
                    Code::SecretNotSet,
                    secret.span,
                    format!(
                        "the secret `{name}` is not set here, so a run of `{}` would stop before any step",
                        op.name.text
                    ),
                )
                .with_help(format!(
                    "set it where the pipeline runs (`export {name}=…`); it is read when a step starts and never stored"
                )),
            );
        }
    }
    out
}
