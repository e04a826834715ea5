//! Types of the language: scalars, artifact kinds with subtyping, `list<T>` and `T?`.

use std::fmt;
use std::sync::Arc;

use crate::codes::Code;
use crate::db::SourceFile;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Ty {
    Int,
    Float,
    Bool,
    Str,
    /// Only attribute values and literals have it; no param can be declared with it.
    Duration,
    Artifact(Kind),
    List(Box<Ty>),
    Optional(Box<Ty>),
    /// The type of something already reported as broken: accepted everywhere so that one
    /// mistake gives one diagnostic.
    Unknown,
}

/// An artifact kind, with its ancestors: `Features` declared as `artifact Features: Dataset`
/// is `[Features, Dataset, File]`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Kind {
    pub chain: Arc<[KindId]>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum KindId {
    Builtin(&'static str),
    Declared { file: SourceFile, name: String },
}

impl KindId {
    pub fn name(&self) -> &str {
        match self {
            KindId::Builtin(name) => name,
            KindId::Declared { name, .. } => name,
        }
    }
}

pub const SCALARS: &[&str] = &["int", "float", "bool", "string"];

/// Built-in artifact kinds and their parents. Every kind is a `File` except `Dir`.
pub const BUILTIN_KINDS: &[(&str, Option<&str>)] = &[
    ("File", None),
    ("Dir", None),
    ("Dataset", Some("File")),
    ("Model", Some("File")),
    ("Metrics", Some("File")),
];

impl Kind {
    pub fn builtin(name: &str) -> Option<Kind> {
        let mut chain = Vec::new();
        let mut current = Some(name);
        while let Some(n) = current {
            let &(static_name, parent) = BUILTIN_KINDS.iter().find(|(k, _)| *k == n)?;
            chain.push(KindId::Builtin(static_name));
            current = parent;
        }
        Some(Kind {
            chain: chain.into(),
        })
    }

    pub fn name(&self) -> &str {
        self.chain[0].name()
    }

    pub fn is_subkind_of(&self, other: &Kind) -> bool {
        self.chain.contains(&other.chain[0])
    }

    pub fn is_dir(&self) -> bool {
        self.chain.last().is_some_and(|root| root.name() == "Dir")
    }
}

impl Ty {
    pub fn scalar(name: &str) -> Option<Ty> {
        Some(match name {
            "int" => Ty::Int,
            "float" => Ty::Float,
            "bool" => Ty::Bool,
            "string" => Ty::Str,
            _ => return None,
        })
    }

    pub fn list(elem: Ty) -> Ty {
        Ty::List(Box::new(elem))
    }

    pub fn optional(inner: Ty) -> Ty {
        match inner {
            Ty::Optional(_) | Ty::Unknown => inner,
            other => Ty::Optional(Box::new(other)),
        }
    }

    pub fn is_numeric(&self) -> bool {
        matches!(self, Ty::Int | Ty::Float | Ty::Unknown)
    }

    pub fn is_scalar(&self) -> bool {
        match self {
            Ty::Int | Ty::Float | Ty::Bool | Ty::Str | Ty::Unknown => true,
            Ty::List(elem) | Ty::Optional(elem) => elem.is_scalar(),
            Ty::Duration | Ty::Artifact(_) => false,
        }
    }

    pub fn is_artifact(&self) -> bool {
        match self {
            Ty::Artifact(_) => true,
            Ty::List(elem) | Ty::Optional(elem) => elem.is_artifact(),
            _ => false,
        }
    }

    /// The element type of a list; `Unknown` stays `Unknown`.
    pub fn element(&self) -> Option<Ty> {
        match self {
            Ty::List(elem) => Some((**elem).clone()),
            Ty::Unknown => Some(Ty::Unknown),
            _ => None,
        }
    }

    /// The type two list elements share, if any (`int` and `float` share `float`).
    pub fn join(&self, other: &Ty) -> Option<Ty> {
        match (self, other) {
            (Ty::Unknown, t) | (t, Ty::Unknown) => Some(t.clone()),
            (a, b) if a == b => Some(a.clone()),
            (Ty::Int, Ty::Float) | (Ty::Float, Ty::Int) => Some(Ty::Float),
            (Ty::Artifact(a), Ty::Artifact(b)) => {
                let common = a.chain.iter().find(|k| b.chain.contains(k))?;
                let index = a.chain.iter().position(|k| k == common)?;
                Some(Ty::Artifact(Kind {
                    chain: a.chain[index..].into(),
                }))
            }
            (Ty::List(a), Ty::List(b)) => Some(Ty::list(a.join(b)?)),
            (Ty::Optional(a), b) | (b, Ty::Optional(a)) => Some(Ty::optional(a.join(b)?)),
            _ => None,
        }
    }
}

/// Why a value of one type cannot go where another is expected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mismatch {
    /// Plainly different types.
    Different,
    /// A `T?` where a `T` is required.
    Optional,
    /// A list where a single value is expected, or the other way round.
    List,
}

impl Mismatch {
    pub fn code(self) -> Code {
        match self {
            Mismatch::Different => Code::TypeMismatch,
            Mismatch::Optional => Code::OptionalMisuse,
            Mismatch::List => Code::ListMisuse,
        }
    }
}

/// Whether a value of type `from` may be passed where `to` is expected.
pub fn assignable(from: &Ty, to: &Ty) -> Result<(), Mismatch> {
    match (from, to) {
        (Ty::Unknown, _) | (_, Ty::Unknown) => Ok(()),
        (Ty::Optional(f), Ty::Optional(t)) => assignable(f, t),
        (f, Ty::Optional(t)) => assignable(f, t),
        (Ty::Optional(f), t) => match assignable(f, t) {
            Ok(()) => Err(Mismatch::Optional),
            Err(e) => Err(e),
        },
        (Ty::List(f), Ty::List(t)) => assignable(f, t),
        (Ty::List(_), _) | (_, Ty::List(_)) => Err(Mismatch::List),
        (Ty::Int, Ty::Float) => Ok(()),
        (Ty::Artifact(f), Ty::Artifact(t)) if f.is_subkind_of(t) => Ok(()),
        (f, t) if f == t => Ok(()),
        _ => Err(Mismatch::Different),
    }
}

impl fmt::Display for Ty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ty::Int => f.write_str("int"),
            Ty::Float => f.write_str("float"),
            Ty::Bool => f.write_str("bool"),
            Ty::Str => f.write_str("string"),
            Ty::Duration => f.write_str("duration"),
            Ty::Artifact(kind) => f.write_str(kind.name()),
            Ty::List(elem) => write!(f, "list<{elem}>"),
            Ty::Optional(inner) => write!(f, "{inner}?"),
            Ty::Unknown => f.write_str("unknown"),
        }
    }
}
