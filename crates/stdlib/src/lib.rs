//! `std/`: the op library that ships inside `mlforge`.
//!
//! Each module is an `.mlf` file under `crates/stdlib/std/`, embedded in the binary with
//! `include_str!`. A program reaches one with `import "std/NAME"` (or `"std/NAME.mlf"`).
//! This crate only holds the texts: it does no IO and depends on nothing. The analysis
//! database makes a module's `SourceFile` from [`Module::source`] at the virtual path
//! [`path`], which names no file on disk and is never read from one.

use std::path::{Path, PathBuf};

/// One module of the library: `import "std/<name>"`.
#[derive(Debug, PartialEq, Eq)]
pub struct Module {
    /// The module's name, without `std/` and without `.mlf` (`"io"`).
    pub name: &'static str,
    /// The module's `.mlf` text.
    pub source: &'static str,
}

/// The folder of the virtual paths: `std/io.mlf`. Relative, so that no path of the
/// machine that built or runs mlforge ever shows in an IR, a diagnostic or a cache key.
const DIR: &str = "std";

static MODULES: &[Module] = &[
    Module {
        name: "data",
        source: include_str!("../std/data.mlf"),
    },
    Module {
        name: "eval",
        source: include_str!("../std/eval.mlf"),
    },
    Module {
        name: "io",
        source: include_str!("../std/io.mlf"),
    },
    Module {
        name: "mlflow",
        source: include_str!("../std/mlflow.mlf"),
    },
    Module {
        name: "sklearn",
        source: include_str!("../std/sklearn.mlf"),
    },
    Module {
        name: "xgboost",
        source: include_str!("../std/xgboost.mlf"),
    },
];

/// Every module, in name order.
pub fn modules() -> &'static [Module] {
    MODULES
}

/// The module called `name` (`"io"`: no `std/` prefix, no `.mlf`), if there is one.
pub fn module(name: &str) -> Option<&'static Module> {
    MODULES.iter().find(|m| m.name == name)
}

/// The virtual path of a module's `SourceFile` in the analysis database: `std/<name>.mlf`.
/// Nothing ever reads it from disk.
pub fn path(name: &str) -> PathBuf {
    Path::new(DIR).join(format!("{name}.mlf"))
}

/// The module whose virtual path is `path` (the inverse of [`path`]); `None` for any
/// other path, including a real file that happens to be called `std/io.mlf` somewhere
/// else (an absolute path, or one with more components).
pub fn module_at(path: &Path) -> Option<&'static Module> {
    let mut parts = path.components();
    let dir = parts.next()?;
    let file = parts.next()?;
    if parts.next().is_some() || dir.as_os_str() != DIR {
        return None;
    }
    let name = file.as_os_str().to_str()?.strip_suffix(".mlf")?;
    module(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modules_are_in_name_order_and_unique() {
        let names: Vec<&str> = modules().iter().map(|m| m.name).collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(names, sorted);
        assert_eq!(
            names,
            ["data", "eval", "io", "mlflow", "sklearn", "xgboost"]
        );
    }

    #[test]
    fn every_module_has_source() {
        for m in modules() {
            assert!(m.source.contains("op "), "std/{} holds no op", m.name);
        }
    }

    #[test]
    fn module_finds_by_bare_name_only() {
        assert_eq!(module("io").map(|m| m.name), Some("io"));
        assert_eq!(module("sklearn").map(|m| m.name), Some("sklearn"));
        assert!(module("std/io").is_none());
        assert!(module("io.mlf").is_none());
        assert!(module("nope").is_none());
        assert!(module("").is_none());
    }

    #[test]
    fn path_is_relative_and_virtual() {
        assert_eq!(path("io"), Path::new("std").join("io.mlf"));
        assert!(path("io").is_relative());
    }

    #[test]
    fn module_at_inverts_path() {
        for m in modules() {
            assert_eq!(module_at(&path(m.name)), Some(m));
        }
        assert!(module_at(Path::new("std/nope.mlf")).is_none());
        assert!(module_at(Path::new("std/io")).is_none());
        assert!(module_at(Path::new("/std/io.mlf")).is_none());
        assert!(module_at(Path::new("x/std/io.mlf")).is_none());
        assert!(module_at(Path::new("std/io.mlf/x")).is_none());
        assert!(module_at(Path::new("lib/io.mlf")).is_none());
        assert!(module_at(Path::new("std")).is_none());
    }
}
