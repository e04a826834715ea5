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

/// Writes the program's JSON (compact, or indented when `pretty`) and a newline to `out`,
/// the same bytes as [`to_json`] (or [`to_json_pretty`]). The compact form of a big
/// program's steps is made on every core, a chunk of steps at a time.
pub fn write_json(
    program: &Program,
    out: impl std::io::Write,
    pretty: bool,
) -> std::io::Result<()> {
    let mut out = out;
    if pretty {
        serde_json::to_writer_pretty(&mut out, program)?;
        return out.write_all(b"\n");
    }
    // Everything but the steps, whose list is last: `…,"steps":[]}`.
    let head = serde_json::to_vec(&Program {
        version: program.version.clone(),
        pipeline: program.pipeline.clone(),
        file: program.file.clone(),
        doc: program.doc.clone(),
        schedule: program.schedule.clone(),
        scheduling: program.scheduling.clone(),
        params: program.params.clone(),
        outputs: program.outputs.clone(),
        ops: program.ops.clone(),
        blocks: program.blocks.clone(),
        steps: Vec::new(),
    })?;
    let open = head
        .strip_suffix(b"]}")
        .expect("the steps are the program's last field");
    out.write_all(open)?;
    mlforge_syntax::parallel::write_joined(&mut out, &program.steps, b",", 1024, |step, text| {
        serde_json::to_writer(text, step).expect("IR values serialize")
    })?;
    out.write_all(b"]}\n")
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
