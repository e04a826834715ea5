//! Hints for failures with a known remedy, read from the last lines of a step's log.
//!
//! A Python package missing from the interpreter that ran a step fails it with a bare
//! `ModuleNotFoundError`: the hint names that interpreter, the package to install into it
//! and the ways to choose another one.

use std::path::{Path, PathBuf};

/// The top-level module a `ModuleNotFoundError` in the log's last lines names
/// (`No module named 'sklearn.ensemble'` → `sklearn`).
pub fn missing_module(log_tail: &[String]) -> Option<String> {
    log_tail.iter().rev().find_map(|line| {
        let rest = line
            .trim()
            .strip_prefix("ModuleNotFoundError: No module named ")?;
        let name = rest.trim_matches(|c| c == '\'' || c == '"');
        let top = name.split('.').next()?;
        let valid = !top.is_empty()
            && top.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && !top.starts_with(|c: char| c.is_ascii_digit());
        valid.then(|| top.to_string())
    })
}

/// The name to `pip install` for a module whose package is named differently.
fn package_of(module: &str) -> &str {
    match module {
        "sklearn" => "scikit-learn",
        "skimage" => "scikit-image",
        "cv2" => "opencv-python",
        "PIL" => "Pillow",
        "yaml" => "PyYAML",
        "bs4" => "beautifulsoup4",
        "dateutil" => "python-dateutil",
        "dotenv" => "python-dotenv",
        _ => module,
    }
}

/// Where a command is found on `PATH`, as the shell would run it; a path is kept as it is.
fn on_path(program: &str) -> Option<PathBuf> {
    if program.contains('/') {
        return Some(PathBuf::from(program));
    }
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(program))
        .find(|p| p.is_file())
}

/// The entry of an op's `uses` that is the module `module` (`…/helpers.py` or a folder
/// `…/helpers/`), if any.
fn used_module<'a>(module: &str, uses: &'a [String]) -> Option<&'a str> {
    uses.iter().map(String::as_str).find(|used| {
        let path = Path::new(used.trim_end_matches('/'));
        let stem = match path.extension() {
            Some(ext) if ext == "py" => path.file_stem(),
            Some(_) => None,
            None => path.file_name(),
        };
        stem.is_some_and(|s| s == module)
    })
}

/// The hint for a failed step whose log ends in a `ModuleNotFoundError`, given the
/// interpreter the run used for python bodies and the step's op's `uses`. One paragraph,
/// or `None`. A module the op `uses` is the project's own code, which no `pip install`
/// provides: it is outside the folders bodies import from.
pub fn missing_module_hint(log_tail: &[String], python: &str, uses: &[String]) -> Option<String> {
    let module = missing_module(log_tail)?;
    if let Some(used) = used_module(&module, uses) {
        return Some(format!(
            "the module `{module}` is the project's own {used} (in the op's `uses`), but python \
             bodies import only from the project root (the folder of the nearest mlforge.toml, \
             else the .mlf file's folder) and the .mlf file's folder; put an mlforge.toml in a \
             folder that holds it, or move it beside the .mlf file"
        ));
    }
    let package = package_of(&module);
    let shown = match on_path(python) {
        Some(path) if path != Path::new(python) => format!("{python} ({})", path.display()),
        _ => python.to_string(),
    };
    Some(format!(
        "the Python module `{module}` is not installed for the interpreter that ran the step, {shown}; \
         install it there (`{python} -m pip install {package}`), or run with another interpreter: \
         --python PATH, the MLFORGE_PYTHON variable, or `python = \"PATH\"` in mlforge.toml"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str) -> Vec<String> {
        text.lines().map(str::to_string).collect()
    }

    #[test]
    fn the_module_is_read_from_the_traceback() {
        let tail = lines(
            "Traceback (most recent call last):\n  File \"body.py\", line 1, in <module>\n    from sklearn.ensemble import RandomForestClassifier\nModuleNotFoundError: No module named 'sklearn.ensemble'",
        );
        assert_eq!(missing_module(&tail).as_deref(), Some("sklearn"));
        assert_eq!(
            missing_module(&lines("ModuleNotFoundError: No module named 'pandas'\n")).as_deref(),
            Some("pandas")
        );
    }

    #[test]
    fn other_failures_have_no_hint() {
        for tail in [
            "ValueError: bad input",
            "ImportError: cannot import name 'x' from 'y'",
            "print('ModuleNotFoundError: No module named ')",
            "ModuleNotFoundError: No module named ''",
            "ModuleNotFoundError: No module named 'a b; rm -rf'",
        ] {
            assert_eq!(missing_module(&lines(tail)), None, "{tail}");
        }
        assert_eq!(missing_module_hint(&[], "python3", &[]), None);
    }

    #[test]
    fn the_hint_names_the_interpreter_the_package_and_the_choices() {
        let tail = lines("ModuleNotFoundError: No module named 'sklearn'");
        let hint = missing_module_hint(&tail, "/opt/py/bin/python", &[]).unwrap();
        assert!(hint.contains("`sklearn` is not installed"), "{hint}");
        assert!(hint.contains("ran the step, /opt/py/bin/python;"), "{hint}");
        assert!(
            hint.contains("`/opt/py/bin/python -m pip install scikit-learn`"),
            "{hint}"
        );
        assert!(hint.contains("--python PATH"), "{hint}");
        assert!(hint.contains("MLFORGE_PYTHON"), "{hint}");
        assert!(hint.contains("mlforge.toml"), "{hint}");
    }

    #[test]
    fn a_bare_name_is_shown_with_where_it_was_found() {
        let tail = lines("ModuleNotFoundError: No module named 'pandas'");
        let hint = missing_module_hint(&tail, "sh", &[]).unwrap();
        assert!(hint.contains("ran the step, sh (/"), "{hint}");
    }

    #[test]
    fn a_module_the_op_uses_is_not_something_to_install() {
        let tail = lines("ModuleNotFoundError: No module named 'helpers'");
        for used in ["/p/../helpers.py", "/p/src/helpers/", "/p/helpers"] {
            let uses = ["/p/data.csv".to_string(), used.to_string()];
            let hint = missing_module_hint(&tail, "python3", &uses).unwrap();
            assert!(
                hint.contains(&format!("project's own {used} (in the op's `uses`)")),
                "{hint}"
            );
            assert!(!hint.contains("pip install"), "{hint}");
        }
        let other = ["/p/helpers.txt".to_string(), "/p/helpers_v2.py".to_string()];
        let hint = missing_module_hint(&tail, "python3", &other).unwrap();
        assert!(hint.contains("python3 -m pip install helpers"), "{hint}");
    }
}
