//! The order `:where` clauses run in. Data patterns are joins, so within a run of
//! consecutive patterns over databases their order does not change the answer, only the
//! work: the planner runs first the pattern connected to what is already bound that the
//! indexes say matches fewest datoms, so that the order a user wrote them in does not
//! change the plan. Everything else (predicates, functions, `not`, `or`, rule calls) keeps
//! its place, and so bounds the runs: a predicate still sees the variables bound before
//! it.
//!
//! Estimates come from counting the index range a pattern's constants select, up to
//! `CAP` datoms: enough to tell a selective pattern from a scan, at a bounded cost per
//! query. Owns the choice only; evaluating the clauses is `eval`'s.

use super::bind::constant;
use super::parse::is_var;
use crate::value::{Value, ValueType};
use crate::value_db::{Db, View};
use ion_edn::Edn;
use std::collections::{HashMap, HashSet};

/// The most datoms counted for one pattern's estimate.
pub const CAP: usize = 4096;

/// One clause as the plan runs it.
#[derive(Debug, Clone)]
pub struct Step {
    /// The clause.
    pub clause: Edn<'static>,
    /// For a reordered data pattern: the datoms its constants select (up to `CAP`), or
    /// `None` when a bound entity makes it a lookup per row.
    pub estimate: Option<Option<usize>>,
}

/// The clauses in the order they will run.
pub fn order(
    clauses: &[Edn<'static>],
    sources: &HashMap<String, Db>,
    bound: &HashSet<String>,
) -> Vec<Step> {
    let mut bound = bound.clone();
    let mut out = Vec::with_capacity(clauses.len());
    let mut run: Vec<&Edn<'static>> = Vec::new();
    for clause in clauses {
        if db_pattern(clause, sources).is_some() {
            run.push(clause);
            continue;
        }
        flush(&mut run, sources, &mut bound, &mut out);
        vars(clause, &mut bound);
        out.push(Step {
            clause: clause.clone(),
            estimate: None,
        });
    }
    flush(&mut run, sources, &mut bound, &mut out);
    out
}

/// Orders a run of data patterns greedily: at each step, of the patterns sharing a
/// variable with what is bound (any, when none does), the one with the smallest estimate,
/// ties going to more constants, then to the order written.
fn flush(
    run: &mut Vec<&Edn<'static>>,
    sources: &HashMap<String, Db>,
    bound: &mut HashSet<String>,
    out: &mut Vec<Step>,
) {
    let mut left: Vec<(usize, &Edn<'static>)> = run.drain(..).enumerate().collect();
    if left.len() == 1 {
        let (_, clause) = left[0];
        vars(clause, bound);
        out.push(Step {
            clause: clause.clone(),
            estimate: None,
        });
        return;
    }
    while !left.is_empty() {
        let connected: Vec<bool> = left
            .iter()
            .map(|(_, c)| shares(c, bound) || bound.is_empty())
            .collect();
        let any_connected = connected.iter().any(|c| *c);
        // Candidates with more constants first: they are likelier to be small, and each
        // count stops at the smallest found so far (a race, exact for the winner).
        let mut candidates: Vec<(std::cmp::Reverse<usize>, usize, &[Edn<'static>], &Db)> = left
            .iter()
            .zip(&connected)
            .filter(|(_, c)| **c || !any_connected)
            .map(|((i, clause), _)| {
                let (db, terms) = db_pattern(clause, sources).expect("runs hold db patterns");
                let constants = terms.iter().filter(|t| is_constant(t)).count();
                (std::cmp::Reverse(constants), *i, terms, db)
            })
            .collect();
        candidates.sort_by_key(|(constants, i, ..)| (*constants, *i));
        let mut best: Option<(Option<usize>, std::cmp::Reverse<usize>, usize)> = None;
        for (constants, i, terms, db) in candidates {
            let cap = match best {
                Some((None, ..)) => break,
                Some((Some(n), ..)) => n,
                None => CAP,
            };
            // A lookup per row (None) sorts before any count.
            let candidate = (estimate(db, terms, bound, cap), constants, i);
            if best.is_none_or(|b| candidate < b) {
                best = Some(candidate);
            }
        }
        let best = best.map(|(est, _, i)| (i, est)).expect("left is not empty");
        let at = left
            .iter()
            .position(|(i, _)| *i == best.0)
            .expect("the best is left");
        let (_, clause) = left.remove(at);
        vars(clause, bound);
        out.push(Step {
            clause: clause.clone(),
            estimate: Some(best.1),
        });
    }
}

/// The database and terms of a data pattern over a database source whose attribute is a
/// constant. A pattern with a variable attribute stays where it was written: the value
/// it matches is typed by whichever attribute each row binds, so running it before or
/// after the clause binding that attribute is not the same query.
fn db_pattern<'c>(
    clause: &'c Edn<'static>,
    sources: &'c HashMap<String, Db>,
) -> Option<(&'c Db, &'c [Edn<'static>])> {
    let Edn::Vector(items) = clause else {
        return None;
    };
    let (src, terms) = match items.first() {
        Some(Edn::List(_)) | None => return None,
        Some(Edn::Symbol(s)) if s.starts_with('$') => (s.as_ref(), &items[1..]),
        _ => ("$", &items[..]),
    };
    if !(2..=5).contains(&terms.len()) || !is_constant(&terms[1]) {
        return None;
    }
    sources.get(src).map(|db| (db, terms))
}

/// The datoms a pattern's constants select (up to `CAP`), or `None` when its entity is
/// bound or constant (or its value is bound, for a known attribute): a lookup per row.
fn estimate(db: &Db, terms: &[Edn<'static>], bound: &HashSet<String>, cap: usize) -> Option<usize> {
    let known = |t: &Edn<'_>| is_constant(t) || is_var(t).is_some_and(|v| bound.contains(&v));
    let attr = terms.get(1).and_then(|t| match constant(t) {
        Ok(Value::Keyword(k)) => db.schema.attr(&k).map(|a| a.id),
        _ => None,
    });
    if terms.first().is_some_and(known) {
        return None;
    }
    if attr.is_some()
        && terms
            .get(2)
            .is_some_and(|t| is_var(t).is_some_and(|v| bound.contains(&v)))
    {
        return None;
    }
    if db.view() != View::Current {
        return Some(cap);
    }
    let value = terms
        .get(2)
        .filter(|t| is_constant(t))
        .and_then(|t| constant(t).ok());
    Some(match attr {
        // A ref's value may be an ident or a lookup ref: count the attribute alone.
        Some(a)
            if db
                .schema
                .attrs
                .get(&a)
                .is_some_and(|s| s.value_type == ValueType::Ref) =>
        {
            db.count_attr(a, None, cap).unwrap_or(cap)
        }
        // An estimate only: a read that fails here fails again, and is reported, when
        // the pattern is scanned.
        Some(a) => db.count_attr(a, value.as_ref(), cap).unwrap_or(cap),
        None => cap,
    })
}

fn is_constant(t: &Edn<'_>) -> bool {
    is_var(t).is_none() && !matches!(t, Edn::Symbol(s) if s == "_")
}

fn shares(clause: &Edn<'_>, bound: &HashSet<String>) -> bool {
    let mut mine = HashSet::new();
    vars(clause, &mut mine);
    mine.iter().any(|v| bound.contains(v))
}

/// Adds every variable `clause` names to `into`.
fn vars(clause: &Edn<'_>, into: &mut HashSet<String>) {
    match clause {
        Edn::Vector(items) | Edn::List(items) => items.iter().for_each(|i| vars(i, into)),
        other => {
            if let Some(v) = is_var(other) {
                into.insert(v);
            }
        }
    }
}

/// The plan as EDN, for `--explain`: each clause in the order it runs, with the estimate
/// a reordered pattern was chosen by.
pub fn to_edn(steps: &[Step]) -> Edn<'static> {
    Edn::Vector(
        steps
            .iter()
            .map(|s| {
                let mut m = std::collections::BTreeMap::new();
                m.insert(ion_edn::keyword("clause"), s.clause.clone());
                if let Some(est) = s.estimate {
                    m.insert(
                        ion_edn::keyword("estimate"),
                        match est {
                            None => ion_edn::keyword("lookup"),
                            Some(n) if n >= CAP => Edn::Str(format!(">={CAP}").into()),
                            Some(n) => Edn::Int(n as i64),
                        },
                    );
                }
                Edn::Map(m)
            })
            .collect(),
    )
}
