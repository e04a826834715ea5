//! Types of the language: scalars, artifact kinds with subtyping, records, `list<T>`,
//! `dict<T>` and `T?`.

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
    /// A declared `record`: compared by name and file.
    Record(Arc<RecordTy>),
    /// `dict<T>`: string keys.
    Dict(Box<Ty>),
    /// A record literal whose record comes from where it is used (`{a: 1}`): its fields'
    /// types. It is checked against the record expected there.
    Literal(Arc<[(String, Ty)]>),
    /// The elements of `zip(a, b)`: only a `for` with two variables takes them apart.
    Pair(Box<Ty>, Box<Ty>),
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

/// A declared record type: its name, where it is declared, and its fields in order.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RecordTy {
    pub file: SourceFile,
    pub name: String,
    pub fields: Vec<FieldTy>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FieldTy {
    pub name: String,
    pub ty: Ty,
    pub has_default: bool,
}

impl RecordTy {
    pub fn field(&self, name: &str) -> Option<&FieldTy> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// `` `a`, `b` and `c` ``, for messages.
    pub fn field_list(&self) -> String {
        name_list(self.fields.iter().map(|f| f.name.as_str()))
    }
}

/// Names in backquotes, joined by commas and a final "and".
pub fn name_list<'a>(names: impl IntoIterator<Item = &'a str>) -> String {
    let names: Vec<String> = names.into_iter().map(|n| format!("`{n}`")).collect();
    match names.as_slice() {
        [] => "none".to_string(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
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

    /// Whether values of the type are data rather than files: scalars, and lists, dicts and
    /// records of them.
    pub fn is_scalar(&self) -> bool {
        match self {
            Ty::Int | Ty::Float | Ty::Bool | Ty::Str | Ty::Unknown => true,
            Ty::Record(_) | Ty::Literal(_) => true,
            Ty::List(elem) | Ty::Optional(elem) | Ty::Dict(elem) => elem.is_scalar(),
            Ty::Duration | Ty::Artifact(_) | Ty::Pair(..) => false,
        }
    }

    pub fn is_artifact(&self) -> bool {
        match self {
            Ty::Artifact(_) => true,
            Ty::List(elem) | Ty::Optional(elem) | Ty::Dict(elem) => elem.is_artifact(),
            _ => false,
        }
    }

    /// Whether a list type holds optional elements, at any depth of lists: the fan-in of a
    /// step inside an `if` inside a `for`.
    pub fn has_optional_elements(&self) -> bool {
        match self {
            Ty::List(elem) => matches!(**elem, Ty::Optional(_)) || elem.has_optional_elements(),
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
            (Ty::Dict(a), Ty::Dict(b)) => Some(Ty::Dict(Box::new(a.join(b)?))),
            (Ty::Record(r), Ty::Literal(fields)) | (Ty::Literal(fields), Ty::Record(r)) => {
                literal_fits(fields, r).then(|| Ty::Record(r.clone()))
            }
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
        (Ty::Dict(f), Ty::Dict(t)) => assignable(f, t),
        (Ty::Literal(fields), Ty::Record(r)) if literal_fits(fields, r) => Ok(()),
        // `{}` is also the empty dict.
        (Ty::Literal(fields), Ty::Dict(_)) if fields.is_empty() => Ok(()),
        (Ty::Int, Ty::Float) => Ok(()),
        (Ty::Artifact(f), Ty::Artifact(t)) if f.is_subkind_of(t) => Ok(()),
        (f, t) if f == t => Ok(()),
        _ => Err(Mismatch::Different),
    }
}

/// Whether a record literal with these fields makes a `record`: every field known and of
/// its type, every field without a default given.
fn literal_fits(fields: &[(String, Ty)], record: &RecordTy) -> bool {
    fields.iter().all(|(name, ty)| {
        record
            .field(name)
            .is_some_and(|f| assignable(ty, &f.ty).is_ok())
    }) && record
        .fields
        .iter()
        .all(|f| f.has_default || fields.iter().any(|(name, _)| *name == f.name))
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
            Ty::Record(record) => f.write_str(&record.name),
            Ty::Dict(value) => write!(f, "dict<{value}>"),
            Ty::Literal(fields) => {
                f.write_str("{")?;
                for (i, (name, ty)) in fields.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{name}: {ty}")?;
                }
                f.write_str("}")
            }
            Ty::Pair(a, b) => write!(f, "({a}, {b})"),
            Ty::Unknown => f.write_str("unknown"),
        }
    }
}
