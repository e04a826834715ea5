//! Why a run could not start, or stopped for a reason that is not a step's. Messages say
//! what is wrong in the runner's terms; the command line words its own advice (which flag
//! to change) from the variants.

use std::sync::Arc;

use mlforge_store::StoreError;

#[derive(Clone, Debug, thiserror::Error)]
pub enum RunError {
    /// A step chosen to run (or to run from) is not in the pipeline.
    #[error("pipeline `{pipeline}` has no step `{step}`; its steps are {}", list(known, *more))]
    UnknownStep {
        pipeline: String,
        step: String,
        /// The first steps of the pipeline.
        known: Vec<String>,
        /// There are more than `known`.
        more: bool,
    },
    /// Params were given for a resumed run, which takes those of the run it resumes.
    #[error("a resumed run takes the params of run {run}, and no others")]
    ResumeWithParams { run: i64 },
    #[error("there is no run {0} to resume")]
    NoRunToResume(i64),
    #[error("run {run} ran pipeline `{ran}`, not `{wanted}`")]
    ResumeOtherPipeline {
        run: i64,
        ran: String,
        wanted: String,
    },
    /// A param was given twice.
    #[error("param `{0}` is given twice")]
    ParamTwice(String),
    /// A param without a default was not given.
    #[error("param `{name}` ({ty}) needs a value")]
    ParamMissing {
        name: String,
        ty: String,
        /// It is an artifact: its value is a path.
        artifact: bool,
    },
    /// Any other param that is unknown, malformed or unreadable.
    #[error("{0}")]
    Param(String),
    /// A step that the chosen steps need, but that does not run this time, has no result
    /// to reuse.
    #[error("`{step}` does not run this time and has no results recorded to reuse")]
    NoEarlierResult { step: String },
    /// An expression or the IR could not be used (a bug in the compiler or the runner).
    #[error("{0}")]
    Invalid(String),
    /// The run was cancelled (Ctrl-C or SIGTERM).
    #[error("cancelled")]
    Cancelled,
    /// The run ended with steps that never got their inputs (a bug in the runner).
    #[error("these steps never got their inputs: {}", .0.join(", "))]
    Stuck(Vec<String>),
    /// The lineage or artifact store failed.
    #[error("cannot {what}: {source}")]
    Store {
        what: &'static str,
        #[source]
        source: Arc<StoreError>,
    },
    /// The store's folder could not be used.
    #[error("cannot use the store folder `{path}`: {source}")]
    StoreFolder {
        path: String,
        #[source]
        source: Arc<std::io::Error>,
    },
    #[error("cannot handle {signal}: {source}")]
    Signals {
        signal: &'static str,
        #[source]
        source: Arc<std::io::Error>,
    },
}

impl RunError {
    /// A store failure while doing `what` (`record a step's start`).
    pub fn store(what: &'static str) -> impl FnOnce(StoreError) -> RunError {
        move |e| RunError::Store {
            what,
            source: Arc::new(e),
        }
    }
}

fn list(known: &[String], more: bool) -> String {
    let mut text = known.join(", ");
    if more {
        text.push_str(", …");
    }
    text
}

#[cfg(test)]
mod tests {
    use std::error::Error as _;

    use super::*;

    #[test]
    fn store_failures_keep_their_cause() {
        let error =
            RunError::store("record a step's start")(StoreError::TooNew { found: 9, known: 1 });
        let source = error.source().expect("the store error is the source");
        assert!(error
            .to_string()
            .starts_with("cannot record a step's start: "));
        assert_eq!(
            error.to_string(),
            format!("cannot record a step's start: {source}")
        );
    }

    #[test]
    fn messages_name_no_command_line_flag() {
        let errors = [
            RunError::ResumeWithParams { run: 3 },
            RunError::ParamTwice("n".into()),
            RunError::ParamMissing {
                name: "raw".into(),
                ty: "Dataset".into(),
                artifact: true,
            },
            RunError::NoEarlierResult { step: "c".into() },
            RunError::UnknownStep {
                pipeline: "p".into(),
                step: "x".into(),
                known: vec!["a".into(), "b".into()],
                more: true,
            },
        ];
        for error in errors {
            let text = error.to_string();
            assert!(!text.contains("--"), "{text}");
        }
        let unknown = RunError::UnknownStep {
            pipeline: "p".into(),
            step: "x".into(),
            known: vec!["a".into(), "b".into()],
            more: true,
        };
        assert_eq!(
            unknown.to_string(),
            "pipeline `p` has no step `x`; its steps are a, b, …"
        );
    }
}
