//! The Rust SDK for Ion Host: write ions as ordinary functions and mark them.
//!
//! ```ignore
//! #[ion::app(namespace = "ion.starter")]
//! mod starter {
//!     /// Echos input
//!     #[ion::lambda]
//!     pub fn echo(input: &str, _ctx: &ion::Context) -> Result<String, ion::Error> {
//!         Ok(input.to_owned())
//!     }
//! }
//! ```
//!
//! `#[ion::app]` generates the component's exports (`describe`, the dispatch for each ion
//! kind, and `init`); the marked functions stay plain Rust. The imports the host offers
//! are here as ordinary functions: [`get_env`], [`get_app_info`], [`get_params`], [`cast`],
//! and the database through [`db`]. This crate holds all behaviour; the macros only
//! generate glue that calls it.

extern crate self as ion;

pub mod cast;
pub mod db;
mod env;
mod error;
mod lambda;
mod web;

#[doc(hidden)]
pub mod __private;

pub use db::{Arg, Connection, Db, TxReport};
pub use env::{get_app_info, get_app_params, get_env, get_params};
pub use error::{Category, Error};
pub use ion_sdk_macros::{app, init, lambda, query_fn, tx_fn, web, xform};
pub use lambda::Context;
pub use web::{Request, Response, ionize};

/// EDN values and the reader and printer the host uses too.
pub mod edn {
    pub use super::Edn;
    pub use ion_edn::{
        ReadError, edn_to_json, get, json_to_edn, keyword, print, read, string, type_name,
    };
}
/// An EDN value. Match on a reference (`match &value`): values own their contents.
pub type Edn = ion_edn::Edn<'static>;

/// The SDK's name and version, reported by `describe`.
pub const SDK: &str = concat!("ion-sdk-rust ", env!("CARGO_PKG_VERSION"));
