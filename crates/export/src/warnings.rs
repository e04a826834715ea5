//! What a target cannot express, said at export time: an export never drops a feature
//! silently.

use std::fmt;

use mlforge_ir::Source;

/// One thing the export could not carry over, with where it is written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExportWarning {
    /// A stable code (`AIRFLOW001`, `KFP002`, …), listed in the target's mapping table.
    pub code: &'static str,
    /// A sentence: what is lost and what to do about it.
    pub message: String,
    /// The step it concerns, if one.
    pub step: Option<String>,
    pub source: Option<Source>,
}

impl ExportWarning {
    pub fn new(code: &'static str, message: impl Into<String>) -> ExportWarning {
        ExportWarning {
            code,
            message: message.into(),
            step: None,
            source: None,
        }
    }

    pub fn at(mut self, source: &Source) -> ExportWarning {
        self.source = Some(source.clone());
        self
    }

    pub fn step(mut self, step: &str) -> ExportWarning {
        self.step = Some(step.to_string());
        self
    }
}

/// `file:line:column: warning[CODE]: message`, as compilers print them.
impl fmt::Display for ExportWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}warning[{}]: {}",
            crate::error::at(&self.source),
            self.code,
            self.message
        )
    }
}
