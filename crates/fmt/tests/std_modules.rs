//! Every module of the standard library is in the canonical layout: formatting it changes
//! nothing (what `mlforge fmt --check` would say of it).

#[test]
fn every_std_module_formats_to_itself() {
    let mut changed = Vec::new();
    for module in mlforge_stdlib::modules() {
        match mlforge_fmt::format(module.source) {
            Ok(formatted) if formatted == module.source => {}
            Ok(formatted) => changed.push(format!(
                "crates/stdlib/std/{}.mlf is not in the canonical layout; `mlforge fmt crates/stdlib/std` fixes it:\n{}",
                module.name,
                mlforge_fmt::unified_diff(&format!("std/{}.mlf", module.name), module.source, &formatted)
            )),
            Err(e) => changed.push(format!(
                "crates/stdlib/std/{}.mlf cannot be formatted: {e}",
                module.name
            )),
        }
    }
    assert!(changed.is_empty(), "{}", changed.join("\n"));
}
