//! MLForge pipeline graphs: the graph of one pipeline as plain serde values
//! ([`GraphModel`]: steps, `for`/`if`/`else` blocks and inlined sub-pipelines as clusters,
//! data, `after` and control edges, diagnostics on the steps they concern), drawn as
//! Graphviz DOT by a direct writer ([`DotWriter`], which any DOT this project prints can
//! use), and as SVG through the `dot` program when it is installed. [`GraphModel::focus`]
//! cuts out the part of a big graph around one step.
//!
//! ```text
//! analyze_pipeline(key) ─ StepGraph ─┐
//!                    sub-pipelines ──┴ build(db, key) ─ GraphModel ─ to_json
//!                                                                   └ to_dot ─ to_svg (dot -Tsvg)
//! ```
//!
//! Only this crate knows graphviz-rust (to run `dot`, and to parse DOT in tests). Nothing
//! here does IO but [`to_svg`], which runs `dot`.

mod build;
mod dot;
mod dot_writer;
mod focus;
mod fx;
mod json;
pub mod model;
mod svg;

pub use crate::build::build;
pub use crate::dot::{to_dot, to_dot_with, write_dot_with, DotOptions};
pub use crate::dot_writer::{quoted, Attrs, Defaults, DotWriter, Escaper};
pub use crate::focus::{FocusIndex, Totals};
pub use crate::model::GraphModel;
pub use crate::svg::{to_svg, SvgError};

/// graphviz-rust's DOT parser, for checking DOT text (tests, tools).
pub fn parse_dot(text: &str) -> Result<graphviz_rust::dot_structures::Graph, String> {
    graphviz_rust::parse(text)
}
