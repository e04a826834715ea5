//! The checker's rules tested where they live, in the style of rust-analyzer's
//! `check_diagnostics`: a fixture is `.mlf` text whose comments mark what must be reported,
//! and nothing else may be.
//!
//! ```text
//! step s = train(c: "x")
//! //                ^^^ E0401
//! ```
//!
//! A line `//   ^^^ CODE` marks the columns of the line above it (the last line that is not
//! a mark) where a diagnostic with that code must start and end; a diagnostic running over
//! several lines is marked to the end of its first line. Several files: each starts with a
//! line `//- /path.mlf`. One module per family of rules; each rule has cases that must be
//! reported, edge cases, and look-alikes that must not be.

mod support;

mod attributes;
mod bodies;
mod calls;
mod environment;
mod graph;
mod imports;
mod names;
mod structured;
mod types;
mod warnings;
