//! Content hashes: equal hashes mean the same work. The runner's cache and the diff use them.

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::types::{Binding, Body, EnvValue, Interpreter, Op, OpInput, OpOutput, Resources};

/// sha256 of `value`'s JSON, hex. The JSON is made in `buffer` (cleared first) and hashed
/// at once: serde_json writes a byte or two at a time, and feeding those to sha256 one by
/// one costs more than the copy; reusing the buffer saves growing one per step.
fn sha256_json(buffer: &mut Vec<u8>, value: &impl Serialize) -> String {
    buffer.clear();
    serde_json::to_writer(&mut *buffer, value).expect("IR values serialize");
    let digest = Sha256::digest(&buffer);
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut hex = String::with_capacity(64);
    for byte in digest {
        hex.push(HEX[usize::from(byte >> 4)] as char);
        hex.push(HEX[usize::from(byte & 15)] as char);
    }
    hex
}

/// What decides an op's behaviour: not its name, doc or position. Not `uses` and
/// `python` either: they are paths from where the compiler ran, and the runner keys on
/// what they hold (the files' contents, the interpreter it runs).
#[derive(Serialize)]
struct OpContent<'a> {
    interpreter: Interpreter,
    body: BodyContent<'a>,
    inputs: &'a [OpInput],
    outputs: &'a [OpOutput],
    image: &'a Option<String>,
    retries: u32,
    timeout_seconds: Option<u64>,
    cache: bool,
    resources: &'a Resources,
    env: &'a std::collections::BTreeMap<String, EnvValue>,
    /// Skipped when empty, so that programs without it keep their hashes.
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    requires: &'a [String],
}

/// A body as IR version 2 serialized it (interpolations by name only): where each one
/// stands follows from the text, and hashing the same bytes as before keeps every cache
/// key and diff of programs compiled before the positions were added.
#[derive(Serialize)]
struct BodyContent<'a> {
    text: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    path: &'a Option<String>,
    interpolations: Vec<&'a str>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    function: bool,
}

impl<'a> BodyContent<'a> {
    fn of(body: &'a Body) -> Self {
        BodyContent {
            text: &body.text,
            path: &body.path,
            interpolations: body
                .interpolations
                .iter()
                .map(|i| i.name.as_str())
                .collect(),
            function: body.function,
        }
    }
}

pub(crate) fn op_hash(op: &Op) -> String {
    sha256_json(
        &mut Vec::new(),
        &OpContent {
            interpreter: op.interpreter,
            body: BodyContent::of(&op.body),
            inputs: &op.inputs,
            outputs: &op.outputs,
            image: &op.image,
            retries: op.retries,
            timeout_seconds: op.timeout_seconds,
            cache: op.cache,
            resources: &op.resources,
            env: &op.env,
            requires: &op.requires,
        },
    )
}

/// A step's definition: its op's content, what it is given, what it waits for, and the
/// blocks around it. `buffer` is scratch space, kept across the steps hashed in a row.
pub(crate) fn step_hash(
    buffer: &mut Vec<u8>,
    op_hash: &str,
    bindings: &[Binding],
    after: &[String],
    scope: &[String],
) -> String {
    sha256_json(buffer, &(op_hash, bindings, after, scope))
}
