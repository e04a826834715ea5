//! How people name what the store holds: a run (`3`, `#3`, `latest`), a step instance of
//! it (`fit[1,0]`), an output of one (`3/fit[1,0].model`), or an artifact by its hash.

use std::fmt;

use crate::element::Element;
use crate::lineage::{Lineage, Result, RunFilter, RunRecord};

/// A run as people name it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RunRef {
    /// `latest` (or `last`): the run started last.
    Latest,
    /// `3` or `#3`.
    Id(i64),
}

impl RunRef {
    /// `None` when `text` is neither a run number nor `latest`.
    pub fn parse(text: &str) -> Option<RunRef> {
        if text == "latest" || text == "last" {
            return Some(RunRef::Latest);
        }
        text.trim_start_matches('#').parse().ok().map(RunRef::Id)
    }
}

/// A step instance as people name it: `fit`, `fit[2]`, `fit[1, 0]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StepRef {
    pub step: String,
    /// `None` for every instance of the step (`fit` written without brackets).
    pub element: Option<Element>,
}

/// Why a step instance's name does not parse.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StepRefError {
    /// `fit[2` : no closing bracket.
    Unclosed,
    /// `fit[x]`.
    NotNumbers,
}

impl StepRef {
    pub fn parse(text: &str) -> std::result::Result<StepRef, StepRefError> {
        let Some(open) = text.find('[') else {
            return Ok(StepRef {
                step: text.to_string(),
                element: None,
            });
        };
        let inner = text[open + 1..]
            .strip_suffix(']')
            .ok_or(StepRefError::Unclosed)?;
        let element = Element::parse_indices(inner).ok_or(StepRefError::NotNumbers)?;
        Ok(StepRef {
            step: text[..open].to_string(),
            element: Some(element),
        })
    }
}

/// `RUN/STEP.OUTPUT`: `3/best.model`, `latest/fitted[1].model`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutputAddress {
    pub run: String,
    pub step: String,
    pub element: Element,
    pub output: String,
}

impl OutputAddress {
    pub fn parse(text: &str) -> Option<OutputAddress> {
        let (run, rest) = text.split_once('/')?;
        let (step_part, output) = match rest.find(']') {
            Some(close) => (&rest[..=close], rest[close + 1..].strip_prefix('.')?),
            None => rest.rsplit_once('.')?,
        };
        let step = StepRef::parse(step_part).ok()?;
        if run.is_empty() || step.step.is_empty() || output.is_empty() {
            return None;
        }
        Some(OutputAddress {
            run: run.to_string(),
            step: step.step,
            element: step.element.unwrap_or_default(),
            output: output.to_string(),
        })
    }

    /// `fit[1,0]`.
    pub fn instance_name(&self) -> String {
        self.element.instance_name(&self.step)
    }
}

/// What `mlforge lineage` starts from: an output of a step of a run, or an artifact by
/// its hash or a prefix of 8 or more hex digits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    Output(OutputAddress),
    Artifact(String),
}

/// Why a target does not parse.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TargetError {
    /// It has a `/` but is not `RUN/STEP.OUTPUT`.
    NotAnOutput(String),
    /// Not a hash (prefix) either.
    Neither(String),
}

impl fmt::Display for TargetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TargetError::NotAnOutput(text) => write!(
                f,
                "`{text}` is not an output of a step: write RUN/STEP.OUTPUT, like `3/best.model` or `latest/fitted[1].model`"
            ),
            TargetError::Neither(text) => write!(
                f,
                "`{text}` is neither an artifact (its sha256, or 8 or more of its first hex digits) \
                 nor RUN/STEP.OUTPUT (like `latest/best.model`)"
            ),
        }
    }
}

impl std::error::Error for TargetError {}

impl Target {
    pub fn parse(text: &str) -> std::result::Result<Target, TargetError> {
        if text.contains('/') {
            return OutputAddress::parse(text)
                .map(Target::Output)
                .ok_or_else(|| TargetError::NotAnOutput(text.to_string()));
        }
        let hex = text.chars().all(|c| c.is_ascii_hexdigit());
        if !hex || text.len() < 8 || text.len() > 64 {
            return Err(TargetError::Neither(text.to_string()));
        }
        Ok(Target::Artifact(text.to_string()))
    }
}

/// What an output address found in a run.
#[derive(Clone, Debug, PartialEq)]
pub enum OutputLookup {
    /// The artifact, and the attempt that wrote it.
    Artifact { hash: String, attempt_id: i64 },
    /// The output is a value, not an artifact.
    Value(serde_json::Value),
    /// The step instance ran but never succeeded.
    NoOutputs,
    /// The run has no such step instance; these are its instances' names.
    NoStep { steps: Vec<String> },
    /// The step has no such output; these are its outputs.
    NoOutput { outputs: Vec<String> },
}

impl Lineage {
    /// The run `run` names; `None` when there is none (or no run at all, for `latest`).
    pub fn find_run(&self, run: &RunRef) -> Result<Option<RunRecord>> {
        match run {
            RunRef::Id(id) => self.run(*id),
            RunRef::Latest => Ok(self
                .runs(&RunFilter {
                    limit: Some(1),
                    ..RunFilter::default()
                })?
                .into_iter()
                .next()),
        }
    }

    /// The output `step[element].output` of run `run_id`, as its last successful attempt
    /// wrote it.
    pub fn find_output(
        &self,
        run_id: i64,
        step: &str,
        element: &Element,
        output: &str,
    ) -> Result<OutputLookup> {
        let attempts = self.attempts(run_id)?;
        let same = |a: &&crate::AttemptRecord| a.step == step && a.element == *element;
        let Some(attempt) = attempts
            .iter()
            .filter(same)
            .rfind(|a| a.status.has_outputs())
        else {
            if attempts.iter().any(|a| same(&a)) {
                return Ok(OutputLookup::NoOutputs);
            }
            let mut steps: Vec<String> = attempts
                .iter()
                .map(|a| a.element.instance_name(&a.step))
                .collect();
            steps.dedup();
            return Ok(OutputLookup::NoStep { steps });
        };
        let outputs = self.outputs(attempt.id)?;
        let Some(found) = outputs.iter().find(|o| o.name == output) else {
            return Ok(OutputLookup::NoOutput {
                outputs: outputs.into_iter().map(|o| o.name).collect(),
            });
        };
        Ok(match &found.artifact {
            Some(hash) => OutputLookup::Artifact {
                hash: hash.clone(),
                attempt_id: attempt.id,
            },
            None => OutputLookup::Value(found.value.clone()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_addresses_parse() {
        let parsed = OutputAddress::parse("latest/fitted[1, 0].model").unwrap();
        assert_eq!(parsed.run, "latest");
        assert_eq!(parsed.step, "fitted");
        assert_eq!(parsed.element, Element::new(vec![1, 0]));
        assert_eq!(parsed.output, "model");
        let plain = OutputAddress::parse("3/best.model").unwrap();
        assert_eq!(
            (plain.step.as_str(), plain.element.is_empty()),
            ("best", true)
        );
        assert_eq!(OutputAddress::parse("3/best"), None);
        assert_eq!(OutputAddress::parse("3/fitted[x].model"), None);
        assert_eq!(OutputAddress::parse("/best.model"), None);
    }

    #[test]
    fn targets_and_runs_parse() {
        assert!(matches!(
            Target::parse("3/best.model"),
            Ok(Target::Output(_))
        ));
        assert_eq!(
            Target::parse("abcdef12"),
            Ok(Target::Artifact("abcdef12".into()))
        );
        assert!(matches!(Target::parse("abc"), Err(TargetError::Neither(_))));
        assert!(matches!(
            Target::parse("3/x"),
            Err(TargetError::NotAnOutput(_))
        ));
        assert_eq!(RunRef::parse("#3"), Some(RunRef::Id(3)));
        assert_eq!(RunRef::parse("last"), Some(RunRef::Latest));
        assert_eq!(RunRef::parse("three"), None);
    }

    #[test]
    fn step_refs_parse() {
        assert_eq!(
            StepRef::parse("fit[1, 0]"),
            Ok(StepRef {
                step: "fit".into(),
                element: Some(Element::new(vec![1, 0]))
            })
        );
        assert_eq!(StepRef::parse("fit").unwrap().element, None);
        assert_eq!(StepRef::parse("fit[x]"), Err(StepRefError::NotNumbers));
        assert_eq!(StepRef::parse("fit[2"), Err(StepRefError::Unclosed));
    }
}
