//! How a command ends when it does not end clean, mapped to the exit code by `main`.

use std::fmt;

/// What every command returns: `Ok` is exit code 0 (warnings allowed).
pub type CliResult<T = ()> = Result<T, CliError>;

#[derive(Debug)]
pub enum CliError {
    /// The input has errors, already reported (exit code 1).
    Problems,
    /// Bad usage or unreadable input (exit code 2); the message says which, as a sentence
    /// the user can act on.
    Failed(String),
}

impl CliError {
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Problems => 1,
            CliError::Failed(_) => 2,
        }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CliError::Problems => f.write_str("problems found"),
            CliError::Failed(message) => f.write_str(message),
        }
    }
}

impl From<String> for CliError {
    fn from(message: String) -> CliError {
        CliError::Failed(message)
    }
}

impl From<mlforge_store::StoreError> for CliError {
    fn from(e: mlforge_store::StoreError) -> CliError {
        CliError::Failed(e.to_string())
    }
}

/// `Err(CliError::Failed(format!(…)))`.
macro_rules! fail {
    ($($arg:tt)*) => {
        return Err($crate::error::CliError::Failed(format!($($arg)*)))
    };
}
pub(crate) use fail;
