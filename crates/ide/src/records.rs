//! Records and structured types seen from the editor: where a record is declared, and the
//! type one level inside a structured type (a field, an element, a dict value).

use mlforge_analysis::items::find_item;
use mlforge_analysis::types::{RecordTy, Ty};
use mlforge_analysis::Db;
use mlforge_syntax::ast::{self, Item};

/// The declaration of a record type, for its fields' defaults and docs as written.
pub(crate) fn record_decl<'db>(db: &'db dyn Db, record: &RecordTy) -> Option<&'db ast::Record> {
    match find_item(db, record.file, &record.name)? {
        Item::Record(decl) => Some(decl),
        _ => None,
    }
}

/// `T` for `T?`: a literal standing where an optional value is wanted is the value itself.
pub(crate) fn present(ty: &Ty) -> &Ty {
    match ty {
        Ty::Optional(inner) => inner,
        other => other,
    }
}

/// The record `ty` is (or may be, when optional).
pub(crate) fn as_record(ty: &Ty) -> Option<&RecordTy> {
    match present(ty) {
        Ty::Record(record) => Some(record),
        _ => None,
    }
}

/// The type of the part `key` of a value of type `ty`: a record's field, or a dict's value
/// (any key).
pub(crate) fn part_type(ty: &Ty, key: &str) -> Option<Ty> {
    match present(ty) {
        Ty::Record(record) => Some(record.field(key)?.ty.clone()),
        Ty::Dict(value) => Some((**value).clone()),
        _ => None,
    }
}

/// The element type of a list type (or an optional one).
pub(crate) fn element_type(ty: &Ty) -> Option<Ty> {
    match present(ty) {
        Ty::List(elem) => Some((**elem).clone()),
        _ => None,
    }
}
