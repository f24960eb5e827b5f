//! Configuration errors: every problem found in one file, each naming its key path.

use std::fmt;
use std::path::PathBuf;

/// One thing wrong with a configuration value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Where the value is, as keys from the root: `:lambdas :echo :timeout-secs`.
    /// Empty for the whole document.
    pub key_path: String,
    /// The value found, printed as EDN, or `None` when the key is missing.
    pub found: Option<String>,
    /// What was expected, as a phrase: "a positive integer".
    pub expected: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = if self.key_path.is_empty() {
            "the document"
        } else {
            &self.key_path
        };
        match &self.found {
            Some(found) => write!(f, "{at} is {found}; expected {}", self.expected),
            None => write!(f, "{at} is missing; expected {}", self.expected),
        }
    }
}

/// Why a configuration source was refused: its name and every problem in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The file or variable the configuration came from.
    pub source: PathBuf,
    /// What is wrong with it, in document order.
    pub problems: Vec<Problem>,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let source = self.source.display();
        match self.problems.as_slice() {
            [one] => write!(f, "{source}: {one}"),
            many => {
                write!(f, "{source}: {} problems", many.len())?;
                for p in many {
                    write!(f, "\n  - {p}")?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for ConfigError {}
