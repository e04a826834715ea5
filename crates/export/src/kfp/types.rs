//! IR types as Kubeflow Pipelines sees them: a parameter of a `ParameterType`, or an
//! artifact of a `system.*` schema (one artifact, or a list of them).

use mlforge_ir::Type;
use serde_json::{json, Value};

/// How a value travels between KFP tasks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KfpType {
    /// A parameter, by its `parameterType` enum name.
    Parameter(&'static str),
    /// An artifact with its schema title; `list` for `list<Model>` and the like.
    Artifact { schema: &'static str, list: bool },
}

impl KfpType {
    pub fn of(ty: &Type) -> KfpType {
        match ty {
            Type::Optional { of } => KfpType::of(of),
            Type::Int => KfpType::Parameter("NUMBER_INTEGER"),
            Type::Float => KfpType::Parameter("NUMBER_DOUBLE"),
            Type::Bool => KfpType::Parameter("BOOLEAN"),
            Type::String => KfpType::Parameter("STRING"),
            Type::Record { .. } | Type::Dict { .. } => KfpType::Parameter("STRUCT"),
            Type::Artifact { kinds } => KfpType::Artifact {
                schema: schema_title(kinds),
                list: false,
            },
            Type::List { of } => match KfpType::of(of) {
                KfpType::Artifact {
                    schema,
                    list: false,
                } => KfpType::Artifact { schema, list: true },
                _ => KfpType::Parameter("LIST"),
            },
        }
    }

    /// The same values gathered over a `for`: a list of them.
    pub fn gathered(&self) -> KfpType {
        match self {
            KfpType::Artifact { schema, .. } => KfpType::Artifact { schema, list: true },
            KfpType::Parameter(_) => KfpType::Parameter("LIST"),
        }
    }

    pub fn is_artifact(&self) -> bool {
        matches!(self, KfpType::Artifact { .. })
    }

    /// An `inputDefinitions` / `outputDefinitions` entry for this type.
    pub fn definition(&self) -> Value {
        match self {
            KfpType::Parameter(t) => json!({"parameterType": t}),
            KfpType::Artifact { schema, list } => {
                let mut def = json!({"artifactType": artifact_type(schema)});
                if *list {
                    def["isArtifactList"] = json!(true);
                }
                def
            }
        }
    }

    /// Whether a value of type `self` may be given where `wanted` is declared: the same
    /// parameter type, or an artifact of the same schema (any schema into a plain
    /// `system.Artifact`), list for list.
    pub fn fits(&self, wanted: &KfpType) -> bool {
        match (self, wanted) {
            (KfpType::Parameter(a), KfpType::Parameter(b)) => a == b,
            (
                KfpType::Artifact {
                    schema: a,
                    list: la,
                },
                KfpType::Artifact {
                    schema: b,
                    list: lb,
                },
            ) => la == lb && (a == b || *b == "system.Artifact"),
            _ => false,
        }
    }

    /// Reads a definition back (for the checks, which see only the written spec).
    pub fn from_definition(def: &Value) -> Option<KfpType> {
        if let Some(t) = def.get("parameterType").and_then(Value::as_str) {
            return PARAMETER_TYPES
                .iter()
                .find(|p| **p == t)
                .map(|p| KfpType::Parameter(p));
        }
        let schema = super::check::get_in(def, &["artifactType", "schemaTitle"])?.as_str()?;
        let schema = SCHEMAS.iter().find(|s| **s == schema)?;
        Some(KfpType::Artifact {
            schema,
            list: def.get("isArtifactList").and_then(Value::as_bool) == Some(true),
        })
    }
}

const PARAMETER_TYPES: [&str; 6] = [
    "NUMBER_INTEGER",
    "NUMBER_DOUBLE",
    "BOOLEAN",
    "STRING",
    "STRUCT",
    "LIST",
];

const SCHEMAS: [&str; 4] = [
    "system.Dataset",
    "system.Model",
    "system.Metrics",
    "system.Artifact",
];

/// The KFP schema of an artifact kind: the nearest of its ancestors KFP knows (`Features:
/// Dataset` is a `system.Dataset`); `File`, `Dir` and kinds of their own are
/// `system.Artifact`.
fn schema_title(kinds: &[String]) -> &'static str {
    for kind in kinds {
        match kind.as_str() {
            "Dataset" => return "system.Dataset",
            "Model" => return "system.Model",
            "Metrics" => return "system.Metrics",
            _ => {}
        }
    }
    "system.Artifact"
}

pub fn artifact_type(schema: &str) -> Value {
    json!({"schemaTitle": schema, "schemaVersion": "0.0.1"})
}

#[cfg(test)]
mod tests {
    use super::*;

    fn artifact(kinds: &[&str]) -> Type {
        Type::Artifact {
            kinds: kinds.iter().map(|k| k.to_string()).collect(),
        }
    }

    #[test]
    fn kinds_map_to_their_nearest_system_schema() {
        let features = KfpType::of(&artifact(&["Features", "Dataset", "File"]));
        assert_eq!(
            features,
            KfpType::Artifact {
                schema: "system.Dataset",
                list: false
            }
        );
        assert!(features.fits(&KfpType::of(&artifact(&["File"]))));
        assert!(!features.fits(&KfpType::of(&artifact(&["Model", "File"]))));
        let models = KfpType::of(&Type::List {
            of: Box::new(artifact(&["Model", "File"])),
        });
        assert_eq!(
            models,
            KfpType::of(&artifact(&["Model", "File"])).gathered()
        );
        assert_eq!(KfpType::from_definition(&models.definition()), Some(models));
    }

    #[test]
    fn scalars_and_containers_are_parameters() {
        let optional_int = Type::Optional {
            of: Box::new(Type::Int),
        };
        assert_eq!(
            KfpType::of(&optional_int),
            KfpType::Parameter("NUMBER_INTEGER")
        );
        let floats = Type::List {
            of: Box::new(Type::Float),
        };
        assert_eq!(KfpType::of(&floats), KfpType::Parameter("LIST"));
        assert!(!KfpType::of(&Type::Int).fits(&KfpType::of(&Type::Float)));
    }
}
