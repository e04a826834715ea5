//! Editor features, through the one `check(fixture, expect)` helper.

mod support;

mod actions;
mod completion;
mod features;
mod hover;
mod navigation;
mod records;
mod robustness;
mod std;
