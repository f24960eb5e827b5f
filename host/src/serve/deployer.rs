//! The contract between serving and deploying: a node's `Deployer` loads the revision a
//! deploy step names and hands back what to swap in, or a `DeployError` saying which
//! phase refused it and why. Serving owns the swap and the admin API's answer (422 with
//! the error's text, which the orchestrator records as the node's error); the deploy
//! module owns the loading. Nothing here touches the store or the runtime itself.

use super::Slot;
use crate::anomaly::IonError;
use crate::config::{ConfigError, Problem};
use crate::runtime::LoadError;
use std::future::Future;
use std::pin::Pin;

/// A deploy step's outcome on a node: the slot to serve (or `None` to serve nothing) and
/// how long each phase took, in milliseconds.
pub struct Loaded {
    /// What to swap in.
    pub slot: Option<Slot>,
    /// `(phase, ms)` pairs: fetch, compile, validate, databases.
    pub timings: Vec<(&'static str, u64)>,
}

/// Loads the revision a deploy names. Provided by the command line, which knows the
/// store and the runtime; serving only swaps what it returns.
pub trait Deployer: Send + Sync {
    /// Loads `target`, the EDN map the orchestrator sent (`{:app-name … :rev …}` or
    /// `{:none true}`), or says why it cannot.
    fn load<'a>(
        &'a self,
        target: &'a str,
    ) -> Pin<Box<dyn Future<Output = Result<Loaded, DeployError>> + Send + 'a>>;

    /// What the deploy console shows of the store the node's group lives in: groups,
    /// nodes, deploy executions and revisions, as JSON.
    fn console_state(
        &self,
    ) -> Pin<Box<dyn Future<Output = Result<serde_json::Value, DeployError>> + Send + '_>>;
}

/// Why a node refused a deploy step (or could not read the store for the console), by
/// phase, each keeping the error it comes from. The text is what the orchestrator
/// records as the node's error.
#[derive(Debug, thiserror::Error)]
pub enum DeployError {
    /// The request body is not EDN.
    #[error("the deploy request is not EDN: {0}")]
    NotEdn(#[source] ion_edn::ReadError),
    /// The request does not name a revision.
    #[error("{0:#}")]
    Target(#[source] anyhow::Error),
    /// The group's record cannot be read.
    #[error("{0:#}")]
    Group(#[source] anyhow::Error),
    /// The revision's manifest cannot be read.
    #[error("{0:#}")]
    Manifest(#[source] anyhow::Error),
    /// The store has no such revision.
    #[error("the store {store} has no revision {revision}")]
    NoRevision {
        /// The store, as it describes itself.
        store: String,
        /// The revision, as `RevRef::describe` names it.
        revision: String,
    },
    /// The component's parts cannot be fetched.
    #[error("{0:#}")]
    Fetch(#[source] anyhow::Error),
    /// The revision's `ion-config.edn`, the group's `:env` or the app's context is wrong.
    #[error("{0}")]
    Config(#[source] ConfigError),
    /// The revision's `ion-config.edn` cannot serve this group.
    #[error("{}", join(.0))]
    NotForGroup(Vec<Problem>),
    /// The component does not compile.
    #[error("{0}")]
    Compile(#[source] LoadError),
    /// The component does not link, describe itself, init, or match its config.
    #[error("{0}")]
    Validate(#[source] LoadError),
    /// The node's databases cannot be listed.
    #[error("listing the databases in {storage}: {}", .source.message)]
    ListDatabases {
        /// The storage, as it describes itself.
        storage: String,
        /// Why.
        #[source]
        source: IonError,
    },
    /// One of the node's databases cannot be opened.
    #[error("opening database {name}: {}", .source.message)]
    OpenDatabase {
        /// The database.
        name: String,
        /// Why.
        #[source]
        source: IonError,
    },
    /// The store cannot be read for the console.
    #[error("{0:#}")]
    Console(#[source] anyhow::Error),
}

fn join(problems: &[Problem]) -> String {
    let lines: Vec<String> = problems.iter().map(ToString::to_string).collect();
    lines.join("; ")
}

impl DeployError {
    /// The admin API's status for this refusal. Every phase answers 422 (the node keeps
    /// serving what it served); a new variant must be placed here.
    pub fn http_status(&self) -> u16 {
        match self {
            DeployError::NotEdn(_)
            | DeployError::Target(_)
            | DeployError::Group(_)
            | DeployError::Manifest(_)
            | DeployError::NoRevision { .. }
            | DeployError::Fetch(_)
            | DeployError::Config(_)
            | DeployError::NotForGroup(_)
            | DeployError::Compile(_)
            | DeployError::Validate(_)
            | DeployError::ListDatabases { .. }
            | DeployError::OpenDatabase { .. }
            | DeployError::Console(_) => 422,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::anomaly::Category;
    use std::error::Error as _;

    /// Each phase's text (recorded as the node's error, matched by tests and scripts),
    /// whether it keeps its cause, and the admin API's status for it.
    #[test]
    fn every_deploy_error_keeps_its_text_its_cause_and_answers_422() {
        let chain = || anyhow::anyhow!("no such key").context("reading groups/g");
        let problem = || Problem {
            key_path: ":app-name".into(),
            found: None,
            expected: "a name".into(),
        };
        let unavailable = || IonError::new(Category::Unavailable, "disk gone");
        let cases: Vec<(DeployError, &str, bool)> = vec![
            (
                DeployError::NotEdn(ion_edn::read("{").unwrap_err()),
                "the deploy request is not EDN: ",
                true,
            ),
            (
                DeployError::Target(chain()),
                "reading groups/g: no such key",
                true,
            ),
            (
                DeployError::Group(chain()),
                "reading groups/g: no such key",
                true,
            ),
            (
                DeployError::Manifest(chain()),
                "reading groups/g: no such key",
                true,
            ),
            (
                DeployError::NoRevision {
                    store: "file:/s".into(),
                    revision: "app rev-1".into(),
                },
                "the store file:/s has no revision app rev-1",
                false,
            ),
            (
                DeployError::Fetch(chain()),
                "reading groups/g: no such key",
                true,
            ),
            (
                DeployError::Config(ConfigError {
                    source: "ion-config.edn".into(),
                    problems: vec![problem()],
                }),
                "ion-config.edn: :app-name is missing; expected a name",
                true,
            ),
            (
                DeployError::NotForGroup(vec![problem(), problem()]),
                ":app-name is missing; expected a name; :app-name is missing; expected a name",
                false,
            ),
            (
                DeployError::Compile(LoadError::Compile(anyhow::anyhow!("bad"))),
                "the component does not compile: bad",
                true,
            ),
            (
                DeployError::Validate(LoadError::NoDescribe),
                "the component exports neither",
                true,
            ),
            (
                DeployError::ListDatabases {
                    storage: "file:/db".into(),
                    source: unavailable(),
                },
                "listing the databases in file:/db: disk gone",
                true,
            ),
            (
                DeployError::OpenDatabase {
                    name: "orders".into(),
                    source: unavailable(),
                },
                "opening database orders: disk gone",
                true,
            ),
            (
                DeployError::Console(chain()),
                "reading groups/g: no such key",
                true,
            ),
        ];
        for (e, text, has_source) in cases {
            assert!(e.to_string().starts_with(text), "{e} / {text}");
            assert_eq!(e.source().is_some(), has_source, "{text}");
            assert_eq!(e.http_status(), 422, "{text}");
        }
    }
}
