//! [`ConfigError`]: why a config file was refused, naming its file, line
//! and key.

use std::fmt;
use std::io;
use std::path::PathBuf;

/// Why a config file was refused. The host starts nothing when it gets one
/// and exits with [`exit::CONFIG`](crate::exit::CONFIG).
#[derive(Debug)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file could not be read.
    Read {
        /// The file.
        file: PathBuf,
        /// Why.
        error: io::Error,
    },
    /// The file was read, and something in it is wrong.
    Invalid {
        /// The file.
        file: PathBuf,
        /// Where: the line (from 1).
        line: usize,
        /// Where: the column (from 1).
        column: usize,
        /// The key at fault, with its table (`resource.params.port`,
        /// `host.socket`).
        key: String,
        /// What is wrong with it.
        message: String,
    },
}

impl ConfigError {
    /// The line of an [`Invalid`](Self::Invalid) error.
    pub fn line(&self) -> Option<usize> {
        match self {
            ConfigError::Invalid { line, .. } => Some(*line),
            ConfigError::Read { .. } => None,
        }
    }

    /// The key of an [`Invalid`](Self::Invalid) error.
    pub fn key(&self) -> Option<&str> {
        match self {
            ConfigError::Invalid { key, .. } => Some(key),
            ConfigError::Read { .. } => None,
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::Read { file, error } => {
                write!(f, "{}: cannot read the config: {error}", file.display())
            }
            ConfigError::Invalid {
                file,
                line,
                column,
                key,
                message,
            } => write!(
                f,
                "{}:{line}:{column}: key `{key}`: {message}",
                file.display()
            ),
        }
    }
}

impl std::error::Error for ConfigError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ConfigError::Read { error, .. } => Some(error),
            ConfigError::Invalid { .. } => None,
        }
    }
}
