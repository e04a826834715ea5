//! Inside a record literal: the fields of its record, those not given yet first.

use mlforge_analysis::{Db, SourceFile};

use crate::base::{slice, text};
use crate::context::Scan;
use crate::expected::expected_type;
use crate::records::{as_record, record_decl};
use crate::render::param_text;
use crate::CompletionKind;

use super::out::Out;

/// The fields of the record the literal opened by the innermost frame stands for, those
/// already given last.
pub(super) fn literal_fields(db: &dyn Db, file: SourceFile, scan: &Scan<'_>, out: &mut Out) {
    let Some(ty) = expected_type(db, file, scan, scan.frames.len() - 1) else {
        return;
    };
    let Some(record) = as_record(&ty) else {
        return;
    };
    let Some(decl) = record_decl(db, record) else {
        return;
    };
    let given = scan.names_given();
    let typed = slice(scan.text, out.replace);
    let decl_text = text(db, record.file);
    for field in &decl.fields {
        let name = &field.name.text;
        let is_given = given.contains(&name.as_str()) && name != typed;
        let mut detail = param_text(decl_text, field);
        if is_given {
            detail.push_str("  (already given)");
        }
        out.add(
            name.clone(),
            CompletionKind::Field,
            Some(detail),
            field.doc.clone(),
            if is_given { 2 } else { 0 },
        );
        out.insert(&format!("{name}: $0"));
    }
}
