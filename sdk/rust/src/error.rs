//! The error an ion returns: an anomaly category, a message and optional EDN data.

use crate::Edn;
use std::collections::BTreeMap;
use std::fmt;

/// Anomaly categories (see `wit/types.wit`). `Incorrect` and `Conflict` returned from a
/// transaction function, query function or xform cancel the transaction, query or pull.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Category {
    /// Bad input.
    Incorrect,
    /// Not allowed.
    Forbidden,
    /// No such thing.
    NotFound,
    /// Conflicts with current state.
    Conflict,
    /// A bug.
    Fault,
    /// A dependency is unreachable.
    Unavailable,
    /// At capacity.
    Busy,
    /// Stopped.
    Interrupted,
    /// Not supported.
    Unsupported,
}

impl Category {
    /// Every category, in the contract's order.
    pub const ALL: [Category; 9] = [
        Category::Incorrect,
        Category::Forbidden,
        Category::NotFound,
        Category::Conflict,
        Category::Fault,
        Category::Unavailable,
        Category::Busy,
        Category::Interrupted,
        Category::Unsupported,
    ];

    /// The category's name in the WIT contract and in anomalies: `not-found`.
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

    /// The category named `name` (as `name()` spells it), if any.
    pub fn from_name(name: &str) -> Option<Category> {
        Category::ALL.into_iter().find(|c| c.name() == name)
    }
}

/// An ion's error. Any `std::error::Error` converts into a `fault` with its message, so
/// `?` works on ordinary results.
#[derive(Debug, Clone, PartialEq)]
pub struct Error {
    /// The category.
    pub category: Category,
    /// What went wrong.
    pub message: String,
    /// Extra data, namespaced keys to values.
    pub data: BTreeMap<Edn, Edn>,
}

macro_rules! constructors {
    ($($fn:ident => $cat:ident),* $(,)?) => {
        $(
            #[doc = concat!("An error of category `", stringify!($fn), "`.")]
            pub fn $fn(message: impl Into<String>) -> Error {
                Error::new(Category::$cat, message)
            }
        )*
    };
}

impl Error {
    /// An error of `category` saying `message`.
    pub fn new(category: Category, message: impl Into<String>) -> Error {
        Error {
            category,
            message: message.into(),
            data: BTreeMap::new(),
        }
    }

    constructors! {
        incorrect => Incorrect, forbidden => Forbidden, not_found => NotFound, conflict => Conflict,
        fault => Fault, unavailable => Unavailable, busy => Busy, interrupted => Interrupted,
        unsupported => Unsupported,
    }

    /// Adds `key` (a namespaced keyword name such as `"my.app/order-id"`) with `value`.
    pub fn with(mut self, key: &str, value: Edn) -> Error {
        self.data.insert(ion_edn::keyword(key), value);
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}: {}", self.category, self.message)
    }
}

impl<E: std::error::Error> From<E> for Error {
    fn from(e: E) -> Error {
        Error::fault(e.to_string())
    }
}
