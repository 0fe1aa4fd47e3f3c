//! Settings: the configuration file with its profiles, and the one place where each setting of
//! an invocation is decided — the command line first, then the profile, then the default — for
//! every command alike.

mod config_file;
mod resolve;
mod save;

pub use config_file::{ConfigError, ConfigFile, Profile};
pub use resolve::{
    DEFAULT_BASE_URL, DEFAULT_CONCURRENCY, DEFAULT_RATE, DEFAULT_TIMEOUT_SECS, Flags, SANDBOX_RATE,
    Server, Settings, SettingsError, Target, redirect_uri, show_progress,
};
pub use save::{SaveError, save_server_traits};
