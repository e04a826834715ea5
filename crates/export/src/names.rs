//! Source names (step ids like `te.fit`, params, ops) mapped to the identifiers a target
//! allows, deterministically. Two names that map to the same identifier are an error
//! naming both: a silent suffix would make the export's names depend on order.

use std::collections::BTreeMap;

use crate::ExportError;

/// An identifier scheme of a target.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Naming {
    /// Airflow task and DAG ids: `[A-Za-z0-9_.-]`, 1 to 250 characters.
    AirflowId,
    /// A Python identifier (names of variables and parameters in generated Python).
    PythonIdentifier,
    /// A Kubernetes DNS-1123 label: `[a-z0-9-]`, starting and ending alphanumeric, 1 to 63.
    Dns1123Label,
    /// A Kubeflow component name: `comp-` and a DNS-1123 label, 63 at most.
    KfpComponent,
}

impl Naming {
    /// The identifier for `name`.
    pub fn apply(self, name: &str) -> String {
        match self {
            Naming::AirflowId => airflow_id(name),
            Naming::PythonIdentifier => python_identifier(name),
            Naming::Dns1123Label => dns1123_label(name, 63),
            Naming::KfpComponent => format!("comp-{}", dns1123_label(name, 58)),
        }
    }

    fn target(self) -> &'static str {
        match self {
            Naming::AirflowId | Naming::PythonIdentifier => "Airflow",
            Naming::Dns1123Label => "Kubernetes",
            Naming::KfpComponent => "Kubeflow Pipelines",
        }
    }

    fn allowed(self) -> &'static str {
        match self {
            Naming::AirflowId => "letters, digits, `_`, `.` and `-` (250 at most)",
            Naming::PythonIdentifier => "letters, digits and `_`",
            Naming::Dns1123Label | Naming::KfpComponent => {
                "lower-case letters, digits and `-` (63 at most)"
            }
        }
    }
}

fn airflow_id(name: &str) -> String {
    let mut out: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-') {
                c
            } else {
                '_'
            }
        })
        .take(250)
        .collect();
    if out.is_empty() {
        out.push('_');
    }
    out
}

/// Python keywords that cannot name a variable.
const PYTHON_KEYWORDS: &[&str] = &[
    "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue",
    "def", "del", "elif", "else", "except", "finally", "for", "from", "global", "if", "import",
    "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try", "while",
    "with", "yield",
];

fn python_identifier(name: &str) -> String {
    let mut out: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if out.is_empty()
        || out.starts_with(|c: char| c.is_ascii_digit())
        || PYTHON_KEYWORDS.contains(&out.as_str())
    {
        out.insert(0, '_');
    }
    out
}

fn dns1123_label(name: &str, max: usize) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        let c = c.to_ascii_lowercase();
        let c = if c.is_ascii_lowercase() || c.is_ascii_digit() {
            c
        } else {
            '-'
        };
        // One `-` for a run of characters the label cannot hold.
        if !(c == '-' && out.ends_with('-')) {
            out.push(c);
        }
    }
    let mut out: String = out.trim_matches('-').chars().take(max).collect();
    while out.ends_with('-') {
        out.pop();
    }
    if out.is_empty() {
        out.push('x');
    }
    out
}

/// Source names and the identifiers they map to.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NameMap {
    names: BTreeMap<String, String>,
}

impl NameMap {
    /// Maps every name with `naming`; `kind` says what they are (`step`, `param`) in the
    /// error when two collide.
    pub fn new<'a>(
        kind: &'static str,
        naming: Naming,
        names: impl IntoIterator<Item = &'a str>,
    ) -> Result<NameMap, ExportError> {
        NameMap::from_pairs(kind, naming, names.into_iter().map(|n| (n.to_string(), n)))
    }

    /// Like [`NameMap::new`], for things looked up by one key and named by another text
    /// (a block, looked up as `block b0`, named `b0.for_lr`). A collision names the keys.
    pub fn from_pairs<'a>(
        kind: &'static str,
        naming: Naming,
        pairs: impl IntoIterator<Item = (String, &'a str)>,
    ) -> Result<NameMap, ExportError> {
        let mut names_out = BTreeMap::new();
        let mut taken: BTreeMap<String, String> = BTreeMap::new();
        for (key, name) in pairs {
            let mapped = naming.apply(name);
            match taken.get(&mapped) {
                Some(first) if *first == key => continue,
                Some(first) => {
                    let (first, second) = if *first < key {
                        (first.clone(), key)
                    } else {
                        (key, first.clone())
                    };
                    return Err(ExportError::NameCollision {
                        kind,
                        first,
                        second,
                        mapped,
                        target: naming.target(),
                        allowed: naming.allowed(),
                    });
                }
                None => {}
            }
            taken.insert(mapped.clone(), key.clone());
            names_out.insert(key, mapped);
        }
        Ok(NameMap { names: names_out })
    }

    /// The identifier of a name given to [`NameMap::new`].
    pub fn get(&self, name: &str) -> &str {
        self.names
            .get(name)
            .map(String::as_str)
            .unwrap_or_else(|| panic!("`{name}` was not given to the name map"))
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.names.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_map_into_each_scheme() {
        assert_eq!(Naming::AirflowId.apply("te.fit"), "te.fit");
        assert_eq!(Naming::AirflowId.apply("a b'\"{{x}}"), "a_b____x__");
        assert_eq!(Naming::PythonIdentifier.apply("te.fit"), "te_fit");
        assert_eq!(Naming::PythonIdentifier.apply("for"), "_for");
        assert_eq!(Naming::PythonIdentifier.apply("1x"), "_1x");
        assert_eq!(Naming::Dns1123Label.apply("Te.Fit__2"), "te-fit-2");
        assert_eq!(Naming::Dns1123Label.apply("..."), "x");
        assert_eq!(Naming::Dns1123Label.apply(&"a".repeat(100)).len(), 63);
        assert_eq!(
            Naming::KfpComponent.apply("train_model"),
            "comp-train-model"
        );
        assert!(Naming::KfpComponent.apply(&"b".repeat(100)).len() <= 63);
    }

    #[test]
    fn a_collision_names_both_sources() {
        let err = NameMap::new("step", Naming::Dns1123Label, ["fit_a", "fit.a"]).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("`fit.a` and `fit_a` both become `fit-a`"),
            "{text}"
        );
        let ok = NameMap::new("step", Naming::AirflowId, ["fit_a", "fit.a", "fit_a"]).unwrap();
        assert_eq!(ok.get("fit.a"), "fit.a");
    }
}
