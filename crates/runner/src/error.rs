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
    /// Secrets that ops read are not set in the runner's environment: (secret, ops).
    #[error("{}", secrets_not_set(.0))]
    SecretsNotSet(Vec<(String, Vec<String>)>),
    /// A path an op's `uses` names does not exist.
    #[error("op `{op}` uses `{path}`, which is not a file or folder that can be read")]
    UsesMissing { op: String, path: String },
    /// The interpreter could not say which packages it has.
    #[error("cannot check the Python packages of `{python}`: {why}")]
    RequirementsUnchecked { python: String, why: String },
    /// Packages ops require are missing from the interpreters that run them: for each
    /// interpreter that lacks some, what it lacks. One message names them all.
    #[error("{}", missing_requirements(.0))]
    MissingRequirements(Vec<(String, Vec<MissingRequirement>)>),
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

/// A requirement the interpreter does not meet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MissingRequirement {
    pub requirement: String,
    /// The version installed, when one is (but not the one required).
    pub found: Option<String>,
    /// The ops that require it, as the message names them (`` `fit` ``).
    pub ops: Vec<String>,
}

fn secrets_not_set(missing: &[(String, Vec<String>)]) -> String {
    let names: Vec<String> = missing
        .iter()
        .map(|(secret, ops)| {
            let ops: Vec<String> = ops.iter().map(|o| format!("`{o}`")).collect();
            format!("`{secret}` (read by {})", ops.join(", "))
        })
        .collect();
    let (these, them) = if missing.len() == 1 {
        ("this secret is", "it")
    } else {
        ("these secrets are", "them")
    };
    format!(
        "{these} not set in the environment: {}; set {them} (for example `export {}=…`) before the run; a secret is read when a step starts and never stored",
        names.join(", "),
        missing[0].0
    )
}

fn missing_requirements(lacking: &[(String, Vec<MissingRequirement>)]) -> String {
    let parts: Vec<String> = lacking
        .iter()
        .map(|(python, missing)| {
            let described: Vec<String> = missing
                .iter()
                .map(|m| {
                    let state = match &m.found {
                        Some(found) => format!("{found} is installed"),
                        None => "not installed".to_string(),
                    };
                    match m.ops.as_slice() {
                        [] => format!("{} ({state})", m.requirement),
                        ops => format!("{} ({state}; required by {})", m.requirement, ops.join(", ")),
                    }
                })
                .collect();
            let words: Vec<String> = missing.iter().map(|m| word(&m.requirement)).collect();
            format!(
                "the Python `{python}` lacks packages the ops require: {}; install them with `{} -m pip install {}`",
                described.join(", "),
                word(python),
                words.join(" ")
            )
        })
        .collect();
    parts.join("; and ")
}

/// A word to paste into a shell: as it is when that is safe, else quoted.
fn word(text: &str) -> String {
    let plain = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._/-+,:@=".contains(c));
    if plain {
        text.to_string()
    } else {
        crate::quote::shell_word(text)
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

    fn missing(requirement: &str, found: Option<&str>, ops: &[&str]) -> MissingRequirement {
        MissingRequirement {
            requirement: requirement.into(),
            found: found.map(Into::into),
            ops: ops.iter().map(|o| o.to_string()).collect(),
        }
    }

    #[test]
    fn missing_requirements_of_several_interpreters_make_one_message() {
        let error = RunError::MissingRequirements(vec![
            (
                "python3".into(),
                vec![missing("pandas>=2.0", Some("1.5.3"), &["`load`"])],
            ),
            (
                "/p/.venv/bin/python".into(),
                vec![
                    missing(
                        "scikit-learn>=1.3",
                        None,
                        &["`fit` of `std/sklearn`", "`score`"],
                    ),
                    missing("xgboost", None, &[]),
                ],
            ),
        ]);
        assert_eq!(
            error.to_string(),
            "the Python `python3` lacks packages the ops require: pandas>=2.0 (1.5.3 is installed; \
             required by `load`); install them with `python3 -m pip install 'pandas>=2.0'`; and \
             the Python `/p/.venv/bin/python` lacks packages the ops require: scikit-learn>=1.3 \
             (not installed; required by `fit` of `std/sklearn`, `score`), xgboost (not \
             installed); install them with `/p/.venv/bin/python -m pip install \
             'scikit-learn>=1.3' xgboost`"
        );
    }
}
