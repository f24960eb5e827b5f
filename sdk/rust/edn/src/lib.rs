//! EDN for Ion Host: the one place that reads and prints EDN, used by the host and by the
//! Rust SDK inside guests, so both sides agree on every byte that crosses the WIT boundary.
//!
//! Reading is `clojure-reader` (the maintained successor that edn-rs's own README points
//! to; edn-rs silently drops a dangling map key, keeps the last of duplicate keys and ignores
//! trailing forms). This module adds what a boundary needs on top: exactly one form per
//! text, a nesting limit (`scan`: deep text must fail its read, not overflow a stack),
//! errors with line and column, and printing that never changes a value's type
//! (`1.0` stays a double). It knows nothing of ions, WIT or the host.

mod json;
mod print;
mod scan;

use std::fmt;

pub use clojure_reader::edn::Edn;
pub use json::{edn_to_json, json_to_edn};
pub use print::print;
pub use scan::MAX_DEPTH;

/// Why a text is not one well-formed EDN value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadError {
    /// 1-based line of the problem, when known.
    pub line: Option<usize>,
    /// 1-based column of the problem, when known.
    pub column: Option<usize>,
    /// What is wrong, in words.
    pub reason: String,
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.column) {
            (Some(l), Some(c)) => write!(f, "line {l}, column {c}: {}", self.reason),
            (Some(l), None) => write!(f, "line {l}: {}", self.reason),
            _ => f.write_str(&self.reason),
        }
    }
}

impl std::error::Error for ReadError {}

/// Reads exactly one EDN value from `text`. Empty input, anything after the first form
/// (other than whitespace, commas and comments) and nesting deeper than [`MAX_DEPTH`] are
/// errors, never ignored.
pub fn read(text: &str) -> Result<Edn<'static>, ReadError> {
    if is_blank(text) {
        return Err(ReadError {
            line: None,
            column: None,
            reason: "no EDN value: the text is empty".into(),
        });
    }
    let text = &*scan::scan(text)?;
    let (value, rest) = clojure_reader::edn::read(text).map_err(from_reader_error)?;
    if !is_blank(rest) {
        let trailing = rest.trim_start_matches(|c: char| c.is_whitespace() || c == ',');
        let consumed = &text[..text.len() - trailing.len()];
        let line = consumed.matches('\n').count() + 1;
        let column = consumed
            .rsplit('\n')
            .next()
            .map_or(0, |l| l.chars().count())
            + 1;
        let snippet: String = trailing
            .lines()
            .next()
            .unwrap_or_default()
            .chars()
            .take(40)
            .collect();
        return Err(ReadError {
            line: Some(line),
            column: Some(column),
            reason: format!(
                "unexpected text after the value: `{snippet}`; expected a single EDN value"
            ),
        });
    }
    Ok(value.into_owned())
}

fn from_reader_error(e: clojure_reader::error::Error) -> ReadError {
    ReadError {
        line: e.line,
        column: e.column,
        reason: describe_code(&e.code),
    }
}

fn describe_code(code: &clojure_reader::error::Code) -> String {
    use clojure_reader::error::Code;
    match code {
        Code::HashMapDuplicateKey => "duplicate key in map".into(),
        Code::SetDuplicateKey => "duplicate element in set".into(),
        Code::UnexpectedEOF => "unexpected end of text: a collection or string is not closed, or a map has a key without a value".into(),
        Code::UnmatchedDelimiter(c) => format!("unmatched delimiter `{c}`"),
        Code::InvalidEscape => "invalid escape in string (supported: \\t \\r \\n \\\\ \\\")".into(),
        Code::InvalidNumber => "invalid number".into(),
        other => format!("{other:?}"),
    }
}

/// True when `text` holds only whitespace, commas and `;` comments.
fn is_blank(text: &str) -> bool {
    text.lines().all(|line| {
        let line = line.trim_start_matches(|c: char| c.is_whitespace() || c == ',');
        line.is_empty() || line.starts_with(';')
    })
}

/// A keyword value, `name` without the colon (`"db/ident"`).
pub fn keyword(name: &str) -> Edn<'static> {
    Edn::Key(name.to_owned().into())
}

/// A string value.
pub fn string(s: impl Into<String>) -> Edn<'static> {
    Edn::Str(s.into().into())
}

/// `s` printed as an EDN string literal, quotes and escapes included.
pub fn quote(s: &str) -> String {
    print(&Edn::Str(s.into()))
}

/// Looks up keyword `name` (without the colon) in a map; `None` for non-maps.
pub fn get<'a, 'e>(map: &'a Edn<'e>, name: &str) -> Option<&'a Edn<'e>> {
    match map {
        Edn::Map(m) => m
            .iter()
            .find_map(|(k, v)| matches!(k, Edn::Key(k) if k == name).then_some(v)),
        _ => None,
    }
}

/// A short name for a value's type, for error messages: "a string", "a map".
pub fn type_name(value: &Edn<'_>) -> &'static str {
    match value {
        Edn::Vector(_) => "a vector",
        Edn::Set(_) => "a set",
        Edn::Map(_) => "a map",
        Edn::List(_) => "a list",
        Edn::Key(_) => "a keyword",
        Edn::Symbol(_) => "a symbol",
        Edn::Str(_) => "a string",
        Edn::Int(_) => "an integer",
        Edn::Tagged(..) => "a tagged literal",
        Edn::Double(_) => "a double",
        Edn::Rational(_) => "a ratio",
        Edn::BigInt(_) => "a big integer",
        Edn::BigDec(_) => "a big decimal",
        Edn::Char(_) => "a character",
        Edn::Bool(_) => "a boolean",
        Edn::Nil => "nil",
        _ => "an EDN value",
    }
}

#[cfg(test)]
mod tests;
