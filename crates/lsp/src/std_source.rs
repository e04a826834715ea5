//! The op library's modules (`import "std/io"`) as read-only documents.
//!
//! A std module is no file: its text is embedded in the binary (`mlforge_stdlib`) and the
//! database holds it as its own input (`Db::std_file`), apart from files on disk. Editors see it as the
//! URI `mlforge-std:/<name>.mlf`, which go to definition hands out, and read its text with
//! the request `mlforge/stdSource` (`{ "uri": … }` → `{ "text": … }`). A client may open
//! such a document (VS Code does, to get hover and navigation inside it): the server then
//! keeps the library's text, ignores edits, and never publishes diagnostics for it.

use mlforge_stdlib::Module;
use serde::{Deserialize, Serialize};
use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::ls_types::Uri;

use crate::dispatch::invalid_params;

/// The URI scheme of std modules.
pub const SCHEME: &str = "mlforge-std";

/// The request that returns a std module's text.
pub const METHOD: &str = "mlforge/stdSource";

/// Whether `uri` is of the std scheme (whether or not it names a module).
pub fn is_std(uri: &Uri) -> bool {
    uri.as_str()
        .split_once(':')
        .is_some_and(|(scheme, _)| scheme.eq_ignore_ascii_case(SCHEME))
}

/// The module `mlforge-std:/<name>.mlf` names (`mlforge-std:///<name>.mlf` too), if the
/// library has it.
pub fn module_of(uri: &Uri) -> Option<&'static Module> {
    if !is_std(uri) {
        return None;
    }
    let (_, rest) = uri.as_str().split_once(':')?;
    let rest = rest.strip_prefix("//").unwrap_or(rest);
    let name = rest.strip_prefix('/')?.strip_suffix(".mlf")?;
    mlforge_stdlib::module(name)
}

/// The URI of a module.
pub fn uri(module: &Module) -> Uri {
    format!("{SCHEME}:/{}.mlf", module.name)
        .parse()
        .expect("a std module's name makes a valid URI")
}

#[derive(Debug, Deserialize, Serialize)]
pub struct StdSourceParams {
    pub uri: Uri,
}

#[derive(Debug, Serialize)]
pub struct StdSource {
    pub text: &'static str,
}

/// `mlforge/stdSource`: the module's text, exactly as the database holds it (so that the
/// positions of definitions in it are right); an error for any other URI.
pub fn std_source(params: &StdSourceParams) -> Result<StdSource> {
    match module_of(&params.uri) {
        Some(module) => Ok(StdSource {
            text: module.source,
        }),
        None if is_std(&params.uri) => Err(invalid_params(format!(
            "the op library has no module at {} (its modules: {})",
            params.uri.as_str(),
            mlforge_stdlib::modules()
                .iter()
                .map(|m| uri(m).as_str().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ))),
        None => Err(invalid_params(format!(
            "{} is not a source of the op library (a `{SCHEME}:` URI)",
            params.uri.as_str()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Uri {
        s.parse().expect("a URI")
    }

    #[test]
    fn every_module_round_trips_through_its_uri() {
        assert!(!mlforge_stdlib::modules().is_empty());
        for module in mlforge_stdlib::modules() {
            let uri = uri(module);
            assert_eq!(uri.as_str(), format!("mlforge-std:/{}.mlf", module.name));
            assert_eq!(module_of(&uri).map(|m| m.name), Some(module.name));
            let answer = std_source(&StdSourceParams { uri }).expect("its text");
            assert_eq!(answer.text, module.source);
        }
        assert_eq!(
            module_of(&parse("mlforge-std:///io.mlf")).map(|m| m.name),
            Some("io")
        );
        assert_eq!(
            module_of(&parse("MLForge-Std:/io.mlf")).map(|m| m.name),
            Some("io")
        );
    }

    #[test]
    fn other_uris_name_no_module_and_get_errors() {
        for text in [
            "mlforge-std:/nope.mlf",
            "mlforge-std:/io",
            "mlforge-std:/std/io.mlf",
            "mlforge-std:io.mlf",
            "mlforge-std:/io.mlf?x=1",
            "file:///work/io.mlf",
            "untitled:Untitled-1",
        ] {
            let uri = parse(text);
            assert!(module_of(&uri).is_none(), "{text}");
            let error = std_source(&StdSourceParams { uri }).expect_err(text);
            assert_eq!(
                error.code,
                tower_lsp_server::jsonrpc::ErrorCode::InvalidParams,
                "{text}"
            );
        }
        assert!(is_std(&parse("mlforge-std:/nope.mlf")));
        assert!(!is_std(&parse("file:///mlforge-std/io.mlf")));
    }
}
