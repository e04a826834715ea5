//! Shared helpers for the `std_*` tests: the Python with the packages the std library's
//! ops require, runs of pipelines that import `std/…`, and reads of the CSV tables and
//! JSON artifacts they leave in the store.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::run_support::{missing_tool, Scratch};

/// The interpreter with every package the std ops require (tests/python-requirements.txt),
/// or why there is none: a failure under CI, a skip elsewhere (see [`missing_tool`]).
pub fn std_python() -> Option<String> {
    let why = match std::env::var("MLFORGE_PYTHON") {
        Err(_) => "MLFORGE_PYTHON is not set (tests/run.sh sets it to a virtual environment \
                   made from tests/python-requirements.txt)"
            .to_string(),
        Ok(python) => {
            let output = Command::new(&python)
                .args([
                    "-c",
                    // mlflow is found, not imported: importing it takes seconds.
                    "import importlib.util, pandas, sklearn, pyarrow, xgboost, sqlalchemy\n\
                     assert importlib.util.find_spec('mlflow'), 'No module named mlflow'",
                ])
                .output();
            match output {
                Ok(o) if o.status.success() => return Some(python),
                Ok(o) => format!(
                    "`{python}` lacks a package of tests/python-requirements.txt: {}",
                    String::from_utf8_lossy(&o.stderr)
                        .lines()
                        .last()
                        .unwrap_or("")
                ),
                Err(e) => format!("`{python}` does not start: {e}"),
            }
        }
    };
    missing_tool(&format!("the std library's Python packages: {why}"));
    None
}

/// The repository's root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The std modules' sources, by name (`"io"`), from crates/stdlib/std.
pub fn std_sources() -> Vec<(String, String)> {
    let dir = root().join("crates/stdlib/std");
    let mut found: Vec<(String, String)> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .filter_map(|e| {
            let path = e.path();
            let name = path
                .file_name()?
                .to_str()?
                .strip_suffix(".mlf")?
                .to_string();
            Some((name, std::fs::read_to_string(&path).unwrap()))
        })
        .collect();
    found.sort();
    found
}

/// The names of the ops a module defines, in order.
pub fn op_names(source: &str) -> Vec<String> {
    source
        .lines()
        .filter_map(|l| l.strip_prefix("op "))
        .map(|rest| {
            rest.split(|c: char| !(c.is_alphanumeric() || c == '_'))
                .next()
                .unwrap()
                .to_string()
        })
        .collect()
}

/// Writes a pipeline file that imports `std/…` modules.
pub fn write_mlf(s: &Scratch, name: &str, text: &str) -> PathBuf {
    s.write(name, text)
}

/// `mlforge run FILE --python PYTHON --jobs 2 ARGS…`, which must succeed; the run's id.
pub fn run_ok(s: &Scratch, python: &str, file: &str, args: &[&str]) -> i64 {
    let mut all = vec!["run", file, "--python", python, "--jobs", "2"];
    all.extend_from_slice(args);
    s.run(&all).expect(0);
    s.latest_run().id
}

/// The log of a step of a run (`mlforge logs RUN STEP`).
pub fn log_of(s: &Scratch, run: i64, step: &str) -> String {
    let ran = s.run(&["logs", &run.to_string(), step]);
    format!("{}{}", ran.stdout, ran.stderr)
}

/// The bytes of an artifact output.
pub fn artifact_bytes(s: &Scratch, run: i64, step: &str, output: &str) -> Vec<u8> {
    let value = s.output(run, step, "", output);
    std::fs::read(s.artifact_path(&value)).unwrap()
}

/// A JSON artifact output (a `Metrics`, a `Transform`).
pub fn artifact_json(s: &Scratch, run: i64, step: &str, output: &str) -> serde_json::Value {
    serde_json::from_slice(&artifact_bytes(s, run, step, output)).unwrap()
}

/// Whether an artifact output is a Parquet file.
pub fn is_parquet(s: &Scratch, run: i64, step: &str, output: &str) -> bool {
    artifact_bytes(s, run, step, output).starts_with(b"PAR1")
}

/// A CSV table: its header and rows of fields.
#[derive(Debug)]
pub struct Table {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl Table {
    pub fn parse(text: &str, sep: char) -> Table {
        let mut lines = text
            .lines()
            .filter(|l| !l.is_empty())
            .map(|l| split(l, sep));
        let header = lines.next().expect("a header line");
        Table {
            header,
            rows: lines.collect(),
        }
    }

    fn index(&self, column: &str) -> usize {
        self.header
            .iter()
            .position(|h| h == column)
            .unwrap_or_else(|| panic!("no column {column} in {:?}", self.header))
    }

    pub fn column(&self, column: &str) -> Vec<String> {
        let i = self.index(column);
        self.rows.iter().map(|r| r[i].clone()).collect()
    }

    pub fn floats(&self, column: &str) -> Vec<f64> {
        self.column(column)
            .iter()
            .map(|v| {
                v.parse()
                    .unwrap_or_else(|_| panic!("{column}: {v:?} is no number"))
            })
            .collect()
    }

    /// How many rows hold each value of a column.
    pub fn counts(&self, column: &str) -> std::collections::BTreeMap<String, usize> {
        let mut counts = std::collections::BTreeMap::new();
        for v in self.column(column) {
            *counts.entry(v).or_insert(0) += 1;
        }
        counts
    }
}

/// One CSV line's fields (double quotes as pandas writes them).
fn split(line: &str, sep: char) -> Vec<String> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            c if c == sep && !quoted => fields.push(std::mem::take(&mut field)),
            c => field.push(c),
        }
    }
    fields.push(field);
    fields
}

/// A CSV `Dataset` output of a step.
pub fn table(s: &Scratch, run: i64, step: &str, output: &str) -> Table {
    let bytes = artifact_bytes(s, run, step, output);
    assert!(
        !bytes.starts_with(b"PAR1"),
        "{step}.{output} is Parquet, not CSV"
    );
    Table::parse(&String::from_utf8(bytes).unwrap(), ',')
}

/// Mean and population standard deviation.
pub fn mean_std(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
    (mean, var.sqrt())
}

pub fn f64_of(value: &serde_json::Value) -> f64 {
    value
        .as_f64()
        .unwrap_or_else(|| panic!("not a number: {value}"))
}
