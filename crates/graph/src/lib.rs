//! MLForge pipeline graphs: the graph of one pipeline as plain serde values
//! ([`GraphModel`]: steps, `for`/`if`/`else` blocks and inlined sub-pipelines as clusters,
//! data, `after` and control edges, diagnostics on the steps they concern), drawn as
//! Graphviz DOT through graphviz-rust's syntax tree and printer, and as SVG through the
//! `dot` program when it is installed.
//!
//! ```text
//! analyze_pipeline(key) ─ StepGraph ─┐
//!                    sub-pipelines ──┴ build(db, key) ─ GraphModel ─ to_json
//!                                                                   └ to_dot ─ to_svg (dot -Tsvg)
//! ```
//!
//! Only this crate knows graphviz-rust. Nothing here does IO but [`to_svg`], which runs
//! `dot`.

mod build;
mod dot;
mod labelled;
pub mod model;
mod svg;

pub use crate::build::build;
pub use crate::dot::{dot_graph, quoted, to_dot, to_dot_with, DotOptions};
pub use crate::labelled::{labelled_dot, LabelledEdge, LabelledGraph, LabelledNode};
pub use crate::model::GraphModel;
pub use crate::svg::{to_svg, SvgError};

/// graphviz-rust's DOT parser, for checking DOT text (tests, tools).
pub fn parse_dot(text: &str) -> Result<graphviz_rust::dot_structures::Graph, String> {
    graphviz_rust::parse(text)
}
