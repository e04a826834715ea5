//! Params files (`--params params.yaml`, or `params` in `mlforge.toml`): a mapping of param
//! names to values, in YAML, JSON or TOML (by the file's extension). Each value keeps the
//! line and column it was written at, so that a wrong name or type is reported where it is.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::RunError;

mod formats;
use formats::{json, toml_params, yaml};

/// One `name: value` of a params file.
#[derive(Clone, Debug, PartialEq)]
pub struct FileParam {
    pub name: String,
    pub value: Value,
    /// 1-based line and column of the value.
    pub line: usize,
    pub column: usize,
    /// 1-based line and column of the name.
    pub name_at: (usize, usize),
}

/// A params file as read.
#[derive(Clone, Debug, PartialEq)]
pub struct ParamsFile {
    /// The file, as given (messages name it so).
    pub path: PathBuf,
    pub params: Vec<FileParam>,
}

impl ParamsFile {
    /// Reads and parses `path`; its extension says the format.
    pub fn read(path: &Path) -> Result<ParamsFile, RunError> {
        let refuse = |why: String| {
            RunError::Param(format!(
                "cannot read the params file `{}`: {why}",
                path.display()
            ))
        };
        // Only a regular file of sensible size: never wait on a FIFO or read /dev/zero.
        let meta = std::fs::metadata(path).map_err(|e| refuse(e.to_string().to_lowercase()))?;
        if meta.is_dir() {
            return Err(refuse("it is a folder".into()));
        }
        if !meta.is_file() {
            return Err(refuse("it is not a regular file".into()));
        }
        if meta.len() > MAX_BYTES {
            return Err(refuse("it is larger than 16 MiB".into()));
        }
        let bytes = std::fs::read(path).map_err(|e| refuse(e.to_string().to_lowercase()))?;
        let text = String::from_utf8(bytes).map_err(|e| {
            let (line, column) = line_column_of_bytes(e.as_bytes(), e.utf8_error().valid_up_to());
            RunError::Param(format!(
                "{}:{line}:{column}: not UTF-8 text",
                path.display()
            ))
        })?;
        ParamsFile::parse(path, &text)
    }

    /// Parses the text of a params file named `path`.
    pub fn parse(path: &Path, text: &str) -> Result<ParamsFile, RunError> {
        let extension = path
            .extension()
            .map(|e| e.to_string_lossy().to_lowercase())
            .unwrap_or_default();
        let at = |line: usize, column: usize, message: String| {
            RunError::Param(format!("{}:{line}:{column}: {message}", path.display()))
        };
        let params = match extension.as_str() {
            "yaml" | "yml" => yaml(text).map_err(|(l, c, m)| at(l, c, m))?,
            "json" => json(text).map_err(|(l, c, m)| at(l, c, m))?,
            "toml" => toml_params(text).map_err(|(l, c, m)| at(l, c, m))?,
            _ => {
                return Err(RunError::Param(format!(
                    "`{}`: a params file is YAML (.yaml, .yml), JSON (.json) or TOML (.toml), told apart by its extension",
                    path.display()
                )))
            }
        };
        let mut seen = std::collections::HashMap::new();
        for param in &params {
            if let Some(line) = seen.insert(param.name.clone(), param.line) {
                return Err(at(
                    param.line,
                    param.column,
                    format!(
                        "param `{}` is given twice (first on line {line})",
                        param.name
                    ),
                ));
            }
        }
        Ok(ParamsFile {
            path: path.to_path_buf(),
            params,
        })
    }

    /// Where `param`'s value is written, for messages: `params.yaml:3:9`.
    pub fn place(&self, param: &FileParam) -> String {
        format!("{}:{}:{}", self.path.display(), param.line, param.column)
    }

    /// Where `param`'s name is written.
    pub fn name_place(&self, param: &FileParam) -> String {
        let (line, column) = param.name_at;
        format!("{}:{line}:{column}", self.path.display())
    }
}

/// The largest params file read.
const MAX_BYTES: u64 = 16 << 20;

/// Line and column of byte `offset` in text that is valid UTF-8 up to it.
fn line_column_of_bytes(bytes: &[u8], offset: usize) -> (usize, usize) {
    let valid = std::str::from_utf8(&bytes[..offset]).unwrap_or("");
    line_column(valid, offset)
}

/// (line, column, message) of a problem in the text.
pub(super) type Problem = (usize, usize, String);

pub(super) const NOT_A_MAPPING: &str =
    "a params file holds a mapping of param names to values, like `epochs: 10`";

pub(super) fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before[before.rfind('\n').map_or(0, |i| i + 1)..]
        .chars()
        .count()
        + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(name: &str, text: &str) -> Result<ParamsFile, String> {
        ParamsFile::parse(Path::new(name), text).map_err(|e| e.to_string())
    }

    fn entries(file: &ParamsFile) -> Vec<(String, Value, usize, usize)> {
        file.params
            .iter()
            .map(|p| (p.name.clone(), p.value.clone(), p.line, p.column))
            .collect()
    }

    #[test]
    fn the_three_formats_give_the_same_values_with_their_places() {
        let want = |line_of_b: usize, column_of_b: usize| {
            vec![
                ("a".to_string(), serde_json::json!(3), 1, 4),
                (
                    "b".to_string(),
                    serde_json::json!({"rate": 0.5, "tags": ["x", "y"]}),
                    line_of_b,
                    column_of_b,
                ),
            ]
        };
        let yaml = parse("p.yaml", "a: 3\nb:\n  rate: 0.5\n  tags: [x, y]\n").unwrap();
        assert_eq!(entries(&yaml), want(3, 3));
        let json = parse(
            "p.json",
            "{\"a\": 3,\n \"b\": {\"rate\": 0.5, \"tags\": [\"x\", \"y\"]}}",
        )
        .unwrap();
        assert_eq!(
            entries(&json),
            vec![
                ("a".to_string(), serde_json::json!(3), 1, 7),
                (
                    "b".to_string(),
                    serde_json::json!({"rate": 0.5, "tags": ["x", "y"]}),
                    2,
                    7
                ),
            ]
        );
        let toml = parse(
            "p.toml",
            "a = 3\nb = { rate = 0.5, tags = [\"x\", \"y\"] }\n",
        )
        .unwrap();
        assert_eq!(
            entries(&toml),
            vec![
                ("a".to_string(), serde_json::json!(3), 1, 5),
                (
                    "b".to_string(),
                    serde_json::json!({"rate": 0.5, "tags": ["x", "y"]}),
                    2,
                    5
                ),
            ]
        );
    }

    #[test]
    fn broken_files_are_reported_at_their_place() {
        let e = parse("p.yaml", "a: 3\nb: [1, 2\n").unwrap_err();
        assert!(e.starts_with("p.yaml:"), "{e}");
        assert!(e.contains("not valid YAML"), "{e}");
        let e = parse("p.json", "{\"a\": 3,\n \"b\" 4}").unwrap_err();
        assert!(e.starts_with("p.json:2:"), "{e}");
        assert!(e.contains("not valid JSON"), "{e}");
        let e = parse("p.toml", "a = 3\nb = \n").unwrap_err();
        assert!(e.starts_with("p.toml:2:"), "{e}");
        let e = parse("p.json", "[1, 2]").unwrap_err();
        assert!(e.contains("mapping of param names"), "{e}");
        let e = parse("p.yaml", "- 1\n- 2\n").unwrap_err();
        assert!(
            e.starts_with("p.yaml:1:1: a params file holds a mapping"),
            "{e}"
        );
        let e = parse("p.yaml", "a: 1\na: 2\n").unwrap_err();
        assert!(e.starts_with("p.yaml:"), "{e}");
        let e = parse("p.json", "{\"a\": 1, \"a\": 2}").unwrap_err();
        assert!(e.contains("given twice"), "{e}");
        let e = parse("p.ini", "a=1").unwrap_err();
        assert!(
            e.contains("YAML (.yaml, .yml), JSON (.json) or TOML (.toml)"),
            "{e}"
        );
    }

    #[test]
    fn only_regular_utf8_files_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let folder = ParamsFile::read(dir.path()).unwrap_err().to_string();
        assert!(folder.ends_with("it is a folder"), "{folder}");
        let device = ParamsFile::read(Path::new("/dev/null"))
            .unwrap_err()
            .to_string();
        assert!(device.ends_with("it is not a regular file"), "{device}");
        let latin = dir.path().join("p.yaml");
        std::fs::write(&latin, b"a: 1\nb: caf\xe9\n").unwrap();
        let text = ParamsFile::read(&latin).unwrap_err().to_string();
        assert!(text.ends_with("p.yaml:2:7: not UTF-8 text"), "{text}");
        let missing = ParamsFile::read(&dir.path().join("none.yaml"))
            .unwrap_err()
            .to_string();
        assert!(missing.contains("no such file"), "{missing}");
    }

    #[test]
    fn an_empty_yaml_file_gives_no_params() {
        assert!(parse("p.yaml", "").unwrap().params.is_empty());
        assert!(parse("p.yaml", "# nothing yet\n")
            .unwrap()
            .params
            .is_empty());
    }

    proptest::proptest! {
        /// Any text gives params or a message, never a panic.
        #[test]
        fn any_text_is_answered(text in "\\PC{0,120}") {
            for name in ["p.yaml", "p.json", "p.toml"] {
                let _ = parse(name, &text);
            }
        }
    }
}
