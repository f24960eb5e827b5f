//! `not`, `or` and their `-join` forms: each runs its body or branches as a
//! sub-evaluation per row (`Ctx::clauses`/`Ctx::clause`), from the row restricted to
//! the join variables, and keeps or merges what they find. Owns the join-variable rules
//! (which variables must be bound, which join); knows nothing of how a data pattern
//! reads an index.

use super::eval::{Ctx, Row, quote};
use super::parse::{incorrect, is_var};
use crate::value::Value;
use ion_anomaly::IonError;
use ion_edn::Edn;
use std::sync::Arc;

impl Ctx<'_> {
    pub(super) async fn not(
        &mut self,
        clause: &Edn<'_>,
        op: &str,
        args: &[Edn<'static>],
        rows: Vec<Row>,
    ) -> Result<Vec<Row>, IonError> {
        let (vars, body) = join_vars(clause, op, args)?;
        let needed = match &vars {
            Some(v) => v.clone(),
            None => free_vars(body),
        };
        require_bound(clause, &needed, &rows)?;
        let mut out = Vec::new();
        for row in rows {
            let start = restrict(&row, vars.as_deref());
            if self.clauses(body, vec![start]).await?.is_empty() {
                out.push(row);
            }
        }
        Ok(out)
    }

    pub(super) async fn or(
        &mut self,
        clause: &Edn<'_>,
        op: &str,
        args: &[Edn<'static>],
        rows: Vec<Row>,
    ) -> Result<Vec<Row>, IonError> {
        let (vars, branches) = join_vars(clause, op, args)?;
        if vars.is_none() {
            let sets: Vec<Vec<String>> = branches
                .iter()
                .map(|b| free_vars(std::slice::from_ref(b)))
                .collect();
            if sets.windows(2).any(|w| w[0] != w[1]) {
                return Err(incorrect(format!(
                    "every branch of an or must use the same variables (use or-join to name the ones to join), in {}",
                    quote(clause)
                )));
            }
        }
        if let Some(Edn::Vector(spec)) = args.first()
            && op == "or-join"
        {
            let required: Vec<String> = spec
                .iter()
                .filter_map(|v| match v {
                    Edn::Vector(inner) => Some(inner.iter().filter_map(is_var).collect::<Vec<_>>()),
                    _ => None,
                })
                .flatten()
                .collect();
            require_bound(clause, &required, &rows)?;
        }
        let mut out = Vec::new();
        for row in rows {
            for branch in branches {
                let start = restrict(&row, vars.as_deref());
                let found = self.clause(branch, vec![start], 0).await?;
                for f in found {
                    let mut merged = row.clone();
                    let keep: Box<dyn Fn(&str) -> bool> = match &vars {
                        Some(v) => Box::new(move |k: &str| v.iter().any(|x| x == k)),
                        None => Box::new(|_| true),
                    };
                    for (k, v) in f {
                        if keep(&k) {
                            merged.entry(k).or_insert(v);
                        }
                    }
                    out.push(merged);
                }
            }
        }
        Ok(distinct(out))
    }
}

/// `rows` without repeats (a set of rows, in first-seen order), in linear time.
pub(super) fn distinct(rows: Vec<Row>) -> Vec<Row> {
    let mut seen = std::collections::HashSet::new();
    rows.into_iter()
        .filter(|row| {
            let mut key: Vec<(Arc<str>, Value)> =
                row.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
            key.sort();
            seen.insert(key)
        })
        .collect()
}

/// The variables `clauses` mention, sorted, each once.
fn free_vars(clauses: &[Edn<'_>]) -> Vec<String> {
    fn walk(e: &Edn<'_>, out: &mut Vec<String>) {
        match e {
            Edn::Symbol(_) => out.extend(is_var(e)),
            Edn::Vector(items) | Edn::List(items) => items.iter().for_each(|i| walk(i, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    clauses.iter().for_each(|c| walk(c, &mut out));
    out.sort();
    out.dedup();
    out
}

/// Refuses `clause` when one of `vars` is not bound in the rows it gets.
fn require_bound(clause: &Edn<'_>, vars: &[String], rows: &[Row]) -> Result<(), IonError> {
    let Some(row) = rows.first() else {
        return Ok(());
    };
    let unbound: Vec<&str> = vars
        .iter()
        .filter(|v| !row.contains_key(v.as_str()))
        .map(String::as_str)
        .collect();
    if unbound.is_empty() {
        Ok(())
    } else {
        Err(incorrect(format!(
            "insufficient bindings: {} not bound before {}",
            unbound.join(" "),
            quote(clause)
        )))
    }
}

/// The join variables and body of `(not-join [?a] …)`/`(or-join [?a] …)`, or none.
fn join_vars<'c>(
    clause: &Edn<'_>,
    op: &str,
    args: &'c [Edn<'static>],
) -> Result<(Option<Vec<String>>, &'c [Edn<'static>]), IonError> {
    if op.ends_with("-join") {
        let Some(Edn::Vector(vars)) = args.first() else {
            return Err(incorrect(format!(
                "{op} takes [?vars] first: {}",
                quote(clause)
            )));
        };
        let vars = vars
            .iter()
            .flat_map(|v| match v {
                Edn::Vector(inner) => inner.iter().filter_map(is_var).collect::<Vec<_>>(),
                v => is_var(v).into_iter().collect(),
            })
            .collect();
        Ok((Some(vars), &args[1..]))
    } else {
        Ok((None, args))
    }
}

fn restrict(row: &Row, vars: Option<&[String]>) -> Row {
    match vars {
        None => row.clone(),
        Some(vars) => row
            .iter()
            .filter(|(k, _)| vars.iter().any(|v| v.as_str() == &***k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    }
}
