//! Anomalies: the errors an ion call can end with, categorised as Cognitect anomalies,
//! with the HTTP status and EDN map each maps to. Shared by every caller of the runtime
//! (CLI, HTTP, database); knows nothing of wasmtime.

use std::fmt;

/// The anomaly categories of `wit/types.wit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Category {
    /// Bad input; do not retry unchanged.
    Incorrect,
    /// Not allowed.
    Forbidden,
    /// No such thing.
    NotFound,
    /// Conflicts with current state.
    Conflict,
    /// A bug in the callee.
    Fault,
    /// A dependency is unreachable; retry later.
    Unavailable,
    /// At capacity; back off.
    Busy,
    /// Stopped, e.g. by a deadline.
    Interrupted,
    /// Not supported.
    Unsupported,
}

impl Category {
    /// The category's name: `incorrect`, `not-found`, ...
    pub fn name(self) -> &'static str {
        match self {
            Category::Incorrect => "incorrect",
            Category::Forbidden => "forbidden",
            Category::NotFound => "not-found",
            Category::Conflict => "conflict",
            Category::Fault => "fault",
            Category::Unavailable => "unavailable",
            Category::Busy => "busy",
            Category::Interrupted => "interrupted",
            Category::Unsupported => "unsupported",
        }
    }

    /// The HTTP status a caller sees for this category.
    pub fn http_status(self) -> u16 {
        match self {
            Category::Incorrect => 400,
            Category::Forbidden => 403,
            Category::NotFound => 404,
            Category::Conflict => 409,
            Category::Fault => 500,
            Category::Unavailable => 503,
            Category::Busy => 429,
            Category::Interrupted => 504,
            Category::Unsupported => 501,
        }
    }
}

/// An error that ends an ion call, in the caller's terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IonError {
    /// What kind of failure.
    pub category: Category,
    /// A sentence saying what failed.
    pub message: String,
    /// Extra data as EDN map text with namespaced keys, from the ion.
    pub data: Option<String>,
}

impl IonError {
    /// An error without extra data.
    pub fn new(category: Category, message: impl Into<String>) -> IonError {
        IonError {
            category,
            message: message.into(),
            data: None,
        }
    }

    /// The same error with `what` (where it happened) before its message.
    pub fn context(mut self, what: &str) -> IonError {
        self.message = format!("{what}: {}", self.message);
        self
    }

    /// The error as a Cognitect anomaly map in EDN:
    /// `{:cognitect.anomalies/category :cognitect.anomalies/busy, :cognitect.anomalies/message "…"}`
    /// with the ion's extra keys merged in.
    pub fn to_edn(&self) -> String {
        self.to_edn_with(&[])
    }

    /// The anomaly map with `extra` keys (keyword name, EDN value) added.
    pub fn to_edn_with(&self, extra: &[(&str, ion_edn::Edn<'static>)]) -> String {
        use ion_edn::{Edn, keyword, string};
        let mut map = std::collections::BTreeMap::new();
        if let Some(Ok(Edn::Map(extra))) = self.data.as_deref().map(ion_edn::read).as_ref() {
            map.extend(extra.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
        map.insert(
            keyword("cognitect.anomalies/category"),
            keyword(&format!("cognitect.anomalies/{}", self.category.name())),
        );
        map.insert(
            keyword("cognitect.anomalies/message"),
            string(self.message.clone()),
        );
        map.extend(extra.iter().map(|(k, v)| (keyword(k), v.clone())));
        ion_edn::print(&Edn::Map(map))
    }
}

impl fmt::Display for IonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.category.name(), self.message)
    }
}

impl std::error::Error for IonError {}
