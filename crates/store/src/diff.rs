//! What differs between two attempts of a step: the parts of their cache keys
//! ([`changes`], what `plan` explains) and, for two whole runs, step by step
//! ([`diff_runs`], what `runs diff` prints).

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use serde::Serialize;

use crate::element::Element;
use crate::lineage::{AttemptRecord, AttemptStatus, KeyParts};

/// Which part of a step's record differs between two attempts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangePart {
    /// The op's body or signature.
    Code,
    /// The interpreter program, image, env or resources.
    Environment,
    /// Retries, timeout or the cache setting.
    Settings,
    /// A scalar input.
    Param,
    /// An artifact input.
    Input,
    /// How the step ended (only `runs diff` reports it).
    Status,
    /// The cache key, when no part above explains the difference.
    Key,
}

impl ChangePart {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangePart::Code => "code",
            ChangePart::Environment => "environment",
            ChangePart::Settings => "settings",
            ChangePart::Param => "param",
            ChangePart::Input => "input",
            ChangePart::Status => "status",
            ChangePart::Key => "key",
        }
    }
}

impl fmt::Display for ChangePart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a step's key differs from an earlier one, with details.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Change {
    pub part: ChangePart,
    /// What changed, for people: `lr: 0.01 → 0.05`.
    pub detail: String,
}

/// The parts of `now` that differ from `before`.
pub fn changes(before: &KeyParts, now: &KeyParts) -> Vec<Change> {
    let mut out = Vec::new();
    if before.code_hash != now.code_hash {
        out.push(Change {
            part: ChangePart::Code,
            detail: "the op's body, signature or `uses` files changed".into(),
        });
    }
    if before.env_hash != now.env_hash {
        out.push(Change {
            part: ChangePart::Environment,
            // The key says `program` (python's or `sh`); people call it the interpreter.
            detail: describe_object_changes(&before.environment, &now.environment, |name| {
                if name == "program" {
                    "interpreter"
                } else {
                    name
                }
            }),
        });
    }
    if before.op_hash != now.op_hash
        && before.code_hash == now.code_hash
        && before.env_hash == now.env_hash
    {
        out.push(Change {
            part: ChangePart::Settings,
            detail: "the op's retries, timeout or cache setting changed".into(),
        });
    }
    if before.scalars != now.scalars {
        out.push(Change {
            part: ChangePart::Param,
            detail: describe_object_changes(&before.scalars, &now.scalars, |name| name),
        });
    }
    if before.inputs != now.inputs {
        out.push(Change {
            part: ChangePart::Input,
            detail: describe_object_changes(&before.inputs, &now.inputs, |name| name),
        });
    }
    out
}

fn describe_object_changes(before: &str, now: &str, shown: fn(&str) -> &str) -> String {
    let parse = |text: &str| -> BTreeMap<String, serde_json::Value> {
        serde_json::from_str(text).unwrap_or_default()
    };
    let (before, now) = (parse(before), parse(now));
    let short = |v: Option<&serde_json::Value>| -> String {
        match v {
            None => "(none)".into(),
            Some(serde_json::Value::String(s)) if s.len() == 64 => s[..12].to_string(),
            Some(v) => {
                let text = v.to_string();
                if text.chars().count() > 40 {
                    format!("{}…", text.chars().take(40).collect::<String>())
                } else {
                    text
                }
            }
        }
    };
    let mut parts = Vec::new();
    for name in key_union(&before, &now) {
        let (was, is) = (before.get(name), now.get(name));
        if was != is {
            describe_value_change(shown(name), was, is, &short, &mut parts);
        }
    }
    parts.join(", ")
}

fn key_union<'a, V>(a: &'a BTreeMap<String, V>, b: &'a BTreeMap<String, V>) -> Vec<&'a String> {
    let mut names: Vec<&String> = a.keys().chain(b.keys()).collect();
    names.sort();
    names.dedup();
    names
}

/// One `name: was → is` per changed value; a record or dict that changed is described by
/// the fields that changed (`opts.test_size: 0.2 → 0.3`), since the start of its JSON,
/// cut short, would often read the same on both sides.
fn describe_value_change(
    name: &str,
    was: Option<&serde_json::Value>,
    is: Option<&serde_json::Value>,
    short: &dyn Fn(Option<&serde_json::Value>) -> String,
    parts: &mut Vec<String>,
) {
    if let (Some(serde_json::Value::Object(a)), Some(serde_json::Value::Object(b))) = (was, is) {
        let (a, b): (BTreeMap<_, _>, BTreeMap<_, _>) = (
            a.iter().map(|(k, v)| (k.clone(), v)).collect(),
            b.iter().map(|(k, v)| (k.clone(), v)).collect(),
        );
        for field in key_union(&a, &b) {
            let (was, is) = (a.get(field).copied(), b.get(field).copied());
            if was != is {
                describe_value_change(&format!("{name}.{field}"), was, is, short, parts);
            }
        }
        return;
    }
    parts.push(format!("{name}: {} → {}", short(was), short(is)));
}

/// How a step instance compares between runs A and B.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DiffStatus {
    Different,
    OnlyInA,
    OnlyInB,
    Same,
}

impl DiffStatus {
    /// For people: `only in a`.
    pub fn label(self) -> &'static str {
        match self {
            DiffStatus::Different => "different",
            DiffStatus::OnlyInA => "only in a",
            DiffStatus::OnlyInB => "only in b",
            DiffStatus::Same => "same",
        }
    }
}

/// One step instance of two runs compared: the last attempt of each.
#[derive(Clone, Debug)]
pub struct StepDiff {
    pub step: String,
    pub element: Element,
    pub status: DiffStatus,
    pub changes: Vec<Change>,
    pub a: Option<AttemptRecord>,
    pub b: Option<AttemptRecord>,
}

impl StepDiff {
    /// `fit[1,0]`.
    pub fn name(&self) -> String {
        self.element.instance_name(&self.step)
    }
}

/// The last attempt of each step instance, in the order the instances first started: what
/// a run ended with.
pub fn last_attempts(attempts: Vec<AttemptRecord>) -> Vec<AttemptRecord> {
    let mut order: Vec<AttemptRecord> = Vec::new();
    let mut at: HashMap<(String, Element), usize> = HashMap::new();
    for a in attempts {
        match at.get(&(a.step.clone(), a.element.clone())) {
            Some(&i) => order[i] = a,
            None => {
                at.insert((a.step.clone(), a.element.clone()), order.len());
                order.push(a);
            }
        }
    }
    order
}

/// Runs A and B compared step instance by step instance (the last attempts of each, as
/// [`last_attempts`] gives them), in the order they appear in A and then B.
pub fn diff_runs(a: Vec<AttemptRecord>, b: Vec<AttemptRecord>) -> Vec<StepDiff> {
    let (a, b) = (last_attempts(a), last_attempts(b));
    let mut keys: Vec<(&str, &Element)> = Vec::new();
    for x in a.iter().chain(b.iter()) {
        let key = (x.step.as_str(), &x.element);
        if !keys.contains(&key) {
            keys.push(key);
        }
    }
    let find = |list: &[AttemptRecord], (step, element): (&str, &Element)| {
        list.iter()
            .find(|x| x.step == step && x.element == *element)
            .cloned()
    };
    keys.into_iter()
        .map(|key| {
            let (in_a, in_b) = (find(&a, key), find(&b, key));
            let (status, changes) = step_diff(in_a.as_ref(), in_b.as_ref());
            StepDiff {
                step: key.0.to_string(),
                element: key.1.clone(),
                status,
                changes,
                a: in_a,
                b: in_b,
            }
        })
        .collect()
}

/// How many step instances have each status.
pub fn diff_counts(steps: &[StepDiff]) -> BTreeMap<DiffStatus, usize> {
    let mut counts = BTreeMap::new();
    for step in steps {
        *counts.entry(step.status).or_default() += 1;
    }
    counts
}

fn step_diff(a: Option<&AttemptRecord>, b: Option<&AttemptRecord>) -> (DiffStatus, Vec<Change>) {
    let (a, b) = match (a, b) {
        (Some(a), Some(b)) => (a, b),
        (Some(_), None) => return (DiffStatus::OnlyInA, Vec::new()),
        (None, Some(_)) => return (DiffStatus::OnlyInB, Vec::new()),
        (None, None) => return (DiffStatus::Same, Vec::new()),
    };
    let mut found = match (&a.key, &b.key) {
        (Some(ka), Some(kb)) if ka.cache_key == kb.cache_key => Vec::new(),
        (Some(ka), Some(kb)) => changes(ka, kb),
        (None, None) => Vec::new(),
        _ => vec![Change {
            part: ChangePart::Status,
            detail: "the step had its inputs in one run only".into(),
        }],
    };
    let skipped = |s: AttemptStatus| s == AttemptStatus::Skipped;
    if a.status.has_outputs() != b.status.has_outputs() || skipped(a.status) != skipped(b.status) {
        found.push(Change {
            part: ChangePart::Status,
            detail: format!("{} → {}", a.status, b.status),
        });
    }
    if found.is_empty()
        && a.key.as_ref().map(|k| &k.cache_key) != b.key.as_ref().map(|k| &k.cache_key)
    {
        found.push(Change {
            part: ChangePart::Key,
            detail: "the cache key changed".into(),
        });
    }
    let status = if found.is_empty() {
        DiffStatus::Same
    } else {
        DiffStatus::Different
    };
    (status, found)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(cache_key: &str, code: &str, scalars: &str) -> KeyParts {
        KeyParts {
            cache_key: cache_key.into(),
            op_hash: "op".into(),
            code_hash: code.into(),
            env_hash: "env".into(),
            scalars: scalars.into(),
            inputs: "{}".into(),
            environment: "{}".into(),
        }
    }

    fn attempt(
        id: i64,
        step: &str,
        element: &[u32],
        status: AttemptStatus,
        key: Option<KeyParts>,
    ) -> AttemptRecord {
        AttemptRecord {
            id,
            run_id: 1,
            step: step.into(),
            element: Element::from(element),
            attempt: 1,
            op: "op".into(),
            started_ms: 0,
            ended_ms: Some(1),
            status,
            exit_code: None,
            error: None,
            key,
            cached_from: None,
            log_path: None,
        }
    }

    #[test]
    fn a_changed_record_is_described_by_the_fields_that_changed() {
        // The record's JSON cut short would read the same on both sides.
        let features = r#"["engines","passenger_capacity","crew","d_check_complete"]"#;
        let before = format!(
            r#"{{"opts": {{"features": {features}, "test_size": 0.2, "nested": {{"a": 1}}}}, "n": 1}}"#
        );
        let now = format!(
            r#"{{"opts": {{"features": {features}, "test_size": 0.3, "nested": {{"a": 2, "b": 3}}}}, "n": 1}}"#
        );
        let found = changes(&key("k1", "c", &before), &key("k2", "c", &now));
        assert_eq!(
            found,
            [Change {
                part: ChangePart::Param,
                detail:
                    "opts.nested.a: 1 → 2, opts.nested.b: (none) → 3, opts.test_size: 0.2 → 0.3"
                        .into(),
            }]
        );
        // A record that appears or goes is shown whole.
        let found = changes(
            &key("k1", "c", "{}"),
            &key("k2", "c", r#"{"opts": {"a": 1}}"#),
        );
        assert_eq!(found[0].detail, r#"opts: (none) → {"a":1}"#);
    }

    #[test]
    fn a_retry_replaces_the_attempt_before_it_in_place() {
        let first = attempt(1, "fit", &[0], AttemptStatus::Failed, None);
        let other = attempt(2, "fit", &[1], AttemptStatus::Succeeded, None);
        let retry = attempt(3, "fit", &[0], AttemptStatus::Succeeded, None);
        let last = last_attempts(vec![first, other, retry]);
        assert_eq!(last.iter().map(|a| a.id).collect::<Vec<_>>(), [3, 2]);
    }

    #[test]
    fn steps_compare_by_key_parts_and_status() {
        use AttemptStatus::*;
        let a = vec![
            attempt(1, "prep", &[], Succeeded, Some(key("k1", "c", "{}"))),
            attempt(
                2,
                "fit",
                &[0],
                Succeeded,
                Some(key("k2", "c", r#"{"lr":1}"#)),
            ),
            attempt(3, "gone", &[], Succeeded, None),
            attempt(4, "check", &[], Succeeded, Some(key("k4", "c", "{}"))),
        ];
        let b = vec![
            attempt(5, "prep", &[], Cached, Some(key("k1", "c", "{}"))),
            attempt(
                6,
                "fit",
                &[0],
                Succeeded,
                Some(key("k6", "c", r#"{"lr":2}"#)),
            ),
            attempt(7, "check", &[], Skipped, Some(key("k4", "c", "{}"))),
            attempt(8, "new", &[], Succeeded, None),
        ];
        let steps = diff_runs(a, b);
        let rows: Vec<(String, DiffStatus, Vec<ChangePart>)> = steps
            .iter()
            .map(|s| {
                let parts = s.changes.iter().map(|c| c.part).collect();
                (s.name(), s.status, parts)
            })
            .collect();
        use DiffStatus::*;
        assert_eq!(
            rows,
            [
                // Cached in B with the same key: the same result.
                ("prep".to_string(), Same, vec![]),
                ("fit[0]".to_string(), Different, vec![ChangePart::Param]),
                ("gone".to_string(), OnlyInA, vec![]),
                ("check".to_string(), Different, vec![ChangePart::Status]),
                ("new".to_string(), OnlyInB, vec![]),
            ]
        );
        assert_eq!(steps[1].changes[0].detail, "lr: 1 → 2");
        let counts = diff_counts(&steps);
        assert_eq!(counts[&Different], 2);
        assert_eq!(
            serde_json::to_value(&counts).unwrap(),
            serde_json::json!({"different": 2, "only_in_a": 1, "only_in_b": 1, "same": 1})
        );
    }

    #[test]
    fn a_key_in_one_run_only_is_a_status_change() {
        use AttemptStatus::*;
        let a = vec![attempt(1, "s", &[], Succeeded, Some(key("k", "c", "{}")))];
        let b = vec![attempt(2, "s", &[], Succeeded, None)];
        let steps = diff_runs(a, b);
        assert_eq!(steps[0].status, DiffStatus::Different);
        assert_eq!(steps[0].changes[0].part, ChangePart::Status);
    }
}
