//! A small reader over EDN maps that records problems instead of stopping at the first,
//! so a user sees everything wrong with a file at once.

use super::error::Problem;
use ion_edn::Edn;

/// Collects problems while typed values are pulled out of an EDN document.
#[derive(Default)]
pub(crate) struct Reader {
    pub problems: Vec<Problem>,
}

impl Reader {
    pub fn problem(
        &mut self,
        key_path: &str,
        found: Option<&Edn<'_>>,
        expected: impl Into<String>,
    ) {
        self.problems.push(Problem {
            key_path: key_path.to_owned(),
            found: found.map(ion_edn::print),
            expected: expected.into(),
        });
    }

    /// Returns the entries of `value` when it is a map with keyword keys, recording a
    /// problem for each key not in `allowed`.
    pub fn map<'a>(
        &mut self,
        path: &str,
        value: &'a Edn<'static>,
        allowed: &[&str],
    ) -> Option<Vec<(&'a str, &'a Edn<'static>)>> {
        let Edn::Map(entries) = value else {
            self.problem(path, Some(value), "a map");
            return None;
        };
        let mut out = Vec::new();
        for (k, v) in entries {
            match k {
                Edn::Key(name) if allowed.contains(&name.as_ref()) => out.push((name.as_ref(), v)),
                Edn::Key(name) => self.problem(
                    &join(path, &format!(":{name}")),
                    Some(v),
                    format!("no such key; the keys are {}", list_keys(allowed)),
                ),
                other => self.problem(path, Some(other), "keyword keys only"),
            }
        }
        Some(out)
    }

    pub fn string(&mut self, path: &str, value: &Edn<'_>, non_empty: bool) -> Option<String> {
        match value {
            Edn::Str(s) if !(non_empty && s.trim().is_empty()) => Some(s.to_string()),
            other => {
                self.problem(
                    path,
                    Some(other),
                    if non_empty {
                        "a non-empty string"
                    } else {
                        "a string"
                    },
                );
                None
            }
        }
    }

    /// An integer in `min..=max`.
    pub fn int_in(
        &mut self,
        path: &str,
        value: &Edn<'_>,
        min: i64,
        max: i64,
        expected: &str,
    ) -> Option<i64> {
        match value {
            Edn::Int(i) if (min..=max).contains(i) => Some(*i),
            other => {
                self.problem(path, Some(other), expected);
                None
            }
        }
    }
}

/// `":lambdas"` + `":echo"` → `":lambdas :echo"`.
pub(crate) fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path} {key}")
    }
}

fn list_keys(keys: &[&str]) -> String {
    keys.iter()
        .map(|k| format!(":{k}"))
        .collect::<Vec<_>>()
        .join(", ")
}
