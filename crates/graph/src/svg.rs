//! SVG through the `dot` program of Graphviz, when it is installed.

use std::fmt;
use std::io::ErrorKind;

use graphviz_rust::cmd::Format;

/// Why no SVG could be made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SvgError {
    /// The `dot` program is not on the `PATH`.
    DotMissing,
    /// `dot` ran and failed, or could not be started; the text says why.
    Failed(String),
}

impl fmt::Display for SvgError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SvgError::DotMissing => f.write_str(
                "the `dot` program from Graphviz is not installed: install it (e.g. `apt-get install graphviz`, `brew install graphviz`) or use `--format dot`",
            ),
            SvgError::Failed(message) => write!(f, "Graphviz's `dot` failed: {message}"),
        }
    }
}

impl std::error::Error for SvgError {}

/// Renders DOT text to SVG with `dot -Tsvg`. Graphviz's warnings are not printed.
pub fn to_svg(dot: &str) -> Result<Vec<u8>, SvgError> {
    graphviz_rust::exec_dot(dot.to_string(), vec![Format::Svg.into()]).map_err(|e| {
        if e.kind() != ErrorKind::NotFound {
            return SvgError::Failed(e.to_string().trim().to_string());
        }
        // graphviz-rust writes the DOT to a temporary file first: a missing temporary
        // folder is also "not found", and is not a missing `dot`.
        let temp = std::env::temp_dir();
        if temp.is_dir() {
            SvgError::DotMissing
        } else {
            SvgError::Failed(format!(
                "cannot write a temporary file in `{}`: {e}",
                temp.display()
            ))
        }
    })
}
