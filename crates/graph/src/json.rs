//! The [`GraphModel`] as JSON. The compact form of a big model's nodes, edges and clusters
//! is made on every core, a chunk of each list at a time, and written in order: the same
//! bytes as serializing the model in one piece.

use std::io::{self, Write};

use serde::Serialize;

use crate::model::GraphModel;

/// About how many bytes of compact JSON an item of each list makes, for buffers made once.
const NODE_BYTES: usize = 700;
const EDGE_BYTES: usize = 250;
const CLUSTER_BYTES: usize = 300;

impl GraphModel {
    /// The model as compact JSON, for machines (deterministic: same model, same bytes).
    pub fn to_json(&self) -> String {
        // Room for the whole text at once: growing a 5 MB buffer by doubling copies it again.
        let mut out = Vec::with_capacity(self.json_size_guess());
        self.write_compact(&mut out)
            .expect("the graph model serializes to JSON");
        String::from_utf8(out).expect("serde_json writes UTF-8")
    }

    /// Writes the model's JSON (compact, or indented when `pretty`) to `out`: the same bytes
    /// as [`GraphModel::to_json`] (or [`GraphModel::to_json_pretty`]).
    pub fn write_json(&self, out: impl Write, pretty: bool) -> io::Result<()> {
        // serde_json writes a few bytes at a time (a quote, a key, a comma): into a buffer of
        // a type known here, each of those is a store; into `out` (often `&mut dyn Write`),
        // each was a call (on the 5,000-step program, a fifth of `mlforge graph --format json`).
        let mut out = io::BufWriter::with_capacity(1 << 16, out);
        if pretty {
            serde_json::to_writer_pretty(&mut out, self)?;
        } else {
            self.write_compact(&mut out)?;
        }
        out.flush()
    }

    /// The model as indented JSON, for people and snapshots.
    pub fn to_json_pretty(&self) -> String {
        let mut out = Vec::with_capacity(2 * self.json_size_guess());
        let mut serializer = serde_json::Serializer::pretty(&mut out);
        self.serialize(&mut serializer)
            .expect("the graph model serializes to JSON");
        String::from_utf8(out).expect("serde_json writes UTF-8")
    }

    fn json_size_guess(&self) -> usize {
        1024 + NODE_BYTES * self.nodes.len()
            + EDGE_BYTES * self.edges.len()
            + CLUSTER_BYTES * self.clusters.len()
    }

    fn write_compact(&self, out: &mut impl Write) -> io::Result<()> {
        // The derive stays the one place that names and orders the fields: the model is
        // serialized with its three long lists empty, and each `[]` is then filled.
        let frame = serde_json::to_vec(&GraphModel {
            pipeline: self.pipeline.clone(),
            file: self.file.clone(),
            nodes: Vec::new(),
            edges: Vec::new(),
            clusters: Vec::new(),
            diagnostics: self.diagnostics.clone(),
        })?;
        let rest = fill(out, &frame, "nodes", &self.nodes, NODE_BYTES)?;
        let rest = fill(out, rest, "edges", &self.edges, EDGE_BYTES)?;
        let rest = fill(out, rest, "clusters", &self.clusters, CLUSTER_BYTES)?;
        out.write_all(rest)
    }
}

/// Writes `frame` up to the inside of the empty list `"key":[]`, then `items`, and returns
/// the rest of `frame` from the list's `]`. Every `"` inside a JSON string is escaped, so
/// `"key":` can only be the key itself.
fn fill<'f, T: Serialize + Sync>(
    out: &mut impl Write,
    frame: &'f [u8],
    key: &str,
    items: &[T],
    item_bytes: usize,
) -> io::Result<&'f [u8]> {
    let list = format!("\"{key}\":[]");
    let at = frame
        .windows(list.len())
        .position(|w| w == list.as_bytes())
        .expect("the list is in the model's JSON, after the one before it")
        + list.len()
        - 1;
    out.write_all(&frame[..at])?;
    mlforge_syntax::parallel::write_joined(out, items, b",", item_bytes, |item, text| {
        serde_json::to_writer(text, item).expect("graph values serialize")
    })?;
    Ok(&frame[at..])
}
