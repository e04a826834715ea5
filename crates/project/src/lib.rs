//! An MLForge project: a folder with an `mlforge.toml`. This crate reads its settings
//! (`settings.rs`) and writes a new project's first files (`init.rs`). The commands look
//! for `mlforge.toml` in the current folder and upward; flags and the environment win
//! over what it says.

pub mod files;
pub mod init;
pub mod settings;

pub use settings::{Project, Settings, SettingsError, CONFIG_FILE};
