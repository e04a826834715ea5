//! Content hashes: equal hashes mean the same work. The runner's cache and the diff use them.

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::types::{Binding, Body, Interpreter, Op, OpInput, OpOutput, Resources};

fn sha256_json(value: &impl Serialize) -> String {
    let bytes = serde_json::to_vec(value).expect("IR values serialize");
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let digest = Sha256::digest(&bytes);
    let mut hex = String::with_capacity(64);
    for byte in digest {
        hex.push(HEX[usize::from(byte >> 4)] as char);
        hex.push(HEX[usize::from(byte & 15)] as char);
    }
    hex
}

/// What decides an op's behaviour: not its name, doc or position.
#[derive(Serialize)]
struct OpContent<'a> {
    interpreter: Interpreter,
    body: &'a Body,
    inputs: &'a [OpInput],
    outputs: &'a [OpOutput],
    image: &'a Option<String>,
    retries: u32,
    timeout_seconds: Option<u64>,
    cache: bool,
    resources: &'a Resources,
    env: &'a std::collections::BTreeMap<String, String>,
}

pub(crate) fn op_hash(op: &Op) -> String {
    sha256_json(&OpContent {
        interpreter: op.interpreter,
        body: &op.body,
        inputs: &op.inputs,
        outputs: &op.outputs,
        image: &op.image,
        retries: op.retries,
        timeout_seconds: op.timeout_seconds,
        cache: op.cache,
        resources: &op.resources,
        env: &op.env,
    })
}

/// A step's definition: its op's content, what it is given, what it waits for, and the
/// blocks around it.
pub(crate) fn step_hash(
    op_hash: &str,
    bindings: &[Binding],
    after: &[String],
    scope: &[String],
) -> String {
    sha256_json(&(op_hash, bindings, after, scope))
}
