//! The scan every text gets before `clojure-reader` sees it: one pass over the bytes that
//! refuses nesting deeper than [`MAX_DEPTH`] and rewrites EDN's symbolic doubles.
//!
//! Why a scan of our own: clojure-reader parses without recursion, but the value it builds
//! is a tree that every later step walks recursively (converting to owned data, printing,
//! hashing, comparing, dropping). A value nested 50 000 deep overflows the native stack in
//! the first of them and aborts the whole process, and inside a node that is a host import
//! running on a call's small fiber stack. So depth is refused here, before any tree exists,
//! with a positioned error like every other reading error.
//!
//! Knows the lexical rules only as far as they decide nesting: strings, `;` comments,
//! character literals (`\(` is a character, not a list), the openers `(` `[` `{` `#{`, and
//! prefixes that wrap the next form (`#tag`, `#_`), which nest too (`#a #a #a 1`).

use crate::ReadError;
use std::borrow::Cow;

/// The deepest nesting `read` accepts: collections and tagged literals inside each other.
/// `[[1]]` is 2 deep, `#inst "…"` is 1. Like serde_json's limit (128 for JSON) and the
/// JVM stack that bounds Clojure's reader, it exists so that hostile text fails its read
/// instead of overflowing a stack; real data stays far below it.
pub const MAX_DEPTH: usize = 256;

/// Checks `text`'s nesting and returns it with `##Inf`/`##-Inf` rewritten as `1e999` and
/// `-1e999`, which clojure-reader reads as the same doubles (it knows no `##` values and
/// would read `##Inf x` as `x` tagged `#Inf`). The rewrite keeps every position. `##NaN`
/// has no such spelling and is refused. Found by fuzzing (tests/cases/fuzz/edn/).
pub(crate) fn scan(text: &str) -> Result<Cow<'_, str>, ReadError> {
    let bytes = text.as_bytes();
    let mut rewritten: Option<Vec<u8>> = None;
    // Per open collection (and the top level at index 0): prefixes waiting for their form.
    let mut pending: Vec<usize> = vec![0];
    let mut depth = 0usize;
    let mut i = 0;
    let deeper = |depth: usize, at: usize| -> Result<(), ReadError> {
        if depth > MAX_DEPTH {
            Err(positioned(
                text,
                at,
                format!(
                    "nested deeper than {MAX_DEPTH} levels (collections and tagged values inside each other), the most EDN is read to"
                ),
            ))
        } else {
            Ok(())
        }
    };
    // A whole form ended at the current level: the prefixes waiting for it are done.
    let form_done = |pending: &mut Vec<usize>, depth: &mut usize| {
        if let Some(waiting) = pending.last_mut() {
            *depth -= *waiting;
            *waiting = 0;
        }
    };
    while i < bytes.len() {
        if let Some(len) = opener(&bytes[i..]) {
            depth += 1;
            deeper(depth, i)?;
            pending.push(0);
            i += len;
            continue;
        }
        match bytes[i] {
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
                form_done(&mut pending, &mut depth);
            }
            b';' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b')' | b']' | b'}' => {
                // An unmatched closer is left for the reader to report.
                if pending.len() > 1 {
                    let waiting = pending.pop().unwrap_or_default();
                    depth -= waiting + 1;
                    form_done(&mut pending, &mut depth);
                }
                i += 1;
            }
            b'#' if bytes.get(i + 1) == Some(&b'#') => {
                let name = token(&text[i + 2..]);
                match name {
                    "Inf" | "-Inf" => {
                        let out = rewritten.get_or_insert_with(|| bytes.to_vec());
                        let with: &[u8] = if name == "Inf" { b"1e999" } else { b"-1e999" };
                        out[i..i + with.len()].copy_from_slice(with);
                    }
                    "NaN" => {
                        return Err(positioned(
                            text,
                            i,
                            "##NaN is not supported: a NaN double cannot be read".into(),
                        ));
                    }
                    _ => {}
                }
                i += 2 + name.len();
                form_done(&mut pending, &mut depth);
            }
            b'#' => {
                // A tag or a discard: it wraps the form that follows.
                let name = if bytes.get(i + 1) == Some(&b'_') {
                    "_"
                } else {
                    token(&text[i + 1..])
                };
                depth += 1;
                deeper(depth, i)?;
                if let Some(waiting) = pending.last_mut() {
                    *waiting += 1;
                }
                i += 1 + name.len();
            }
            b'\\' => {
                // A character literal: `\(`, `\newline`, `\u0041`.
                i += 1;
                if let Some(c) = text[i..].chars().next() {
                    i += c.len_utf8();
                    i += token(&text[i..]).len();
                }
                form_done(&mut pending, &mut depth);
            }
            b if b.is_ascii_whitespace() || b == b',' => i += 1,
            _ => {
                match token(&text[i..]).len() {
                    // Whitespace beyond ASCII: skip the whole character.
                    0 => i += text[i..].chars().next().map_or(1, char::len_utf8),
                    n => {
                        i += n;
                        form_done(&mut pending, &mut depth);
                    }
                }
            }
        }
    }
    Ok(match rewritten {
        Some(out) => String::from_utf8(out)
            .expect("only ASCII was replaced")
            .into(),
        None => text.into(),
    })
}

/// The length of the collection opener at the start of `rest`, if one is there.
fn opener(rest: &[u8]) -> Option<usize> {
    match rest {
        [b'(' | b'[' | b'{', ..] => Some(1),
        [b'#', b'{', ..] => Some(2),
        _ => None,
    }
}

/// The token at the start of `rest`: everything up to whitespace or a delimiter.
fn token(rest: &str) -> &str {
    let end = rest
        .find(|c: char| c.is_whitespace() || ",()[]{}\";".contains(c))
        .unwrap_or(rest.len());
    &rest[..end]
}

fn positioned(text: &str, at: usize, reason: String) -> ReadError {
    let before = &text[..at];
    ReadError {
        line: Some(before.matches('\n').count() + 1),
        column: Some(before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1),
        reason,
    }
}
