//! MLForge IR: the compiled, typed, flattened pipeline that every back end consumes.
//!
//! [`compile`] turns a checked pipeline into a [`Program`]; [`to_json`] writes it in its
//! canonical form (same program, same bytes); [`json_schema`] describes the format.

mod compile;
mod hash;
mod types;

pub use crate::compile::{compile, CompileError};
pub use crate::types::*;

/// The canonical JSON of a program: one line, fields in declaration order, maps sorted.
/// This is what back ends read; the same program always gives the same bytes.
pub fn to_json(program: &Program) -> String {
    let mut text = serde_json::to_string(program).expect("IR values serialize");
    text.push('\n');
    text
}

/// Writes the program's JSON (compact, or indented when `pretty`) and a newline to `out` as
/// it is produced: a big program's text is never held whole in memory.
pub fn write_json(
    program: &Program,
    out: impl std::io::Write,
    pretty: bool,
) -> std::io::Result<()> {
    let mut out = out;
    if pretty {
        serde_json::to_writer_pretty(&mut out, program)?;
    } else {
        serde_json::to_writer(&mut out, program)?;
    }
    out.write_all(b"\n")
}

/// The same JSON indented for people to read (`mlforge ir --pretty`, snapshots).
pub fn to_json_pretty(program: &Program) -> String {
    let mut text = serde_json::to_string_pretty(program).expect("IR values serialize");
    text.push('\n');
    text
}

/// The JSON Schema of the IR, as checked in at `schemas/ir.schema.json`.
pub fn json_schema() -> String {
    let schema = schemars::schema_for!(Program);
    let mut text = serde_json::to_string_pretty(&schema).expect("schemas serialize");
    text.push('\n');
    text
}

/// A program as JSON without anything that says where it is written (`source` positions
/// and the file name): two programs that mean the same are equal in this form.
pub fn without_positions(program: &Program) -> serde_json::Value {
    fn strip(value: &mut serde_json::Value) {
        match value {
            serde_json::Value::Object(map) => {
                if map.get("source").is_some_and(|s| s.get("line").is_some()) {
                    map.remove("source");
                }
                map.values_mut().for_each(strip);
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(strip),
            _ => {}
        }
    }
    let mut value = serde_json::to_value(program).expect("IR values serialize");
    if let serde_json::Value::Object(map) = &mut value {
        map.remove("file");
    }
    strip(&mut value);
    value
}
