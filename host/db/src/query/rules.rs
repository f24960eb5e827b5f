//! Rules: reading the `%` input's definitions, and calling a rule (each call with fresh
//! variable names, every definition of the name tried, results unified with the caller's
//! bindings), nested at most `MAX_RULE_DEPTH` deep.

use super::bind::constant;
use super::builtins;
use super::combine::distinct;
use super::eval::{Ctx, Row, quote};
use super::parse::{clause_form, incorrect, is_var, owned};
use crate::value::Value;
use ion_anomaly::IonError;
use ion_edn::Edn;
use std::sync::Arc;

/// How deep rules may call rules.
const MAX_RULE_DEPTH: usize = 64;

/// A rule definition.
#[derive(Clone)]
pub struct Rule {
    pub head: Vec<String>,
    pub body: Vec<Edn<'static>>,
}

impl Ctx<'_> {
    pub(super) fn add_rules(&mut self, rules: &Edn<'_>) -> Result<(), IonError> {
        let Edn::Vector(defs) = rules else {
            return Err(incorrect(format!(
                "rules are a vector of rule definitions, found {}",
                quote(rules)
            )));
        };
        for def in defs {
            let Edn::Vector(parts) = def else {
                return Err(incorrect(format!(
                    "a rule is [(name ?vars…) clauses…], found {}",
                    quote(def)
                )));
            };
            // Datomic's docs write the head in parentheses or, as its grammar does, in
            // brackets: `[(name ?a ?b) …]` or `[[name ?a ?b] …]`.
            let Some(Edn::List(head) | Edn::Vector(head)) = parts.first() else {
                return Err(incorrect(format!(
                    "a rule starts with (name ?vars…) or [name ?vars…]: {}",
                    quote(def)
                )));
            };
            let Some(Edn::Symbol(name)) = head.first() else {
                return Err(incorrect(format!(
                    "a rule head starts with its name: {}",
                    quote(def)
                )));
            };
            let mut vars = Vec::new();
            for v in &head[1..] {
                match v {
                    Edn::Vector(required) => {
                        for r in required {
                            vars.push(is_var(r).ok_or_else(|| {
                                incorrect(format!("bad rule head {}", quote(def)))
                            })?);
                        }
                    }
                    other => vars.push(
                        is_var(other)
                            .ok_or_else(|| incorrect(format!("bad rule head {}", quote(def))))?,
                    ),
                }
            }
            self.rules.entry(name.to_string()).or_default().push(Rule {
                head: vars,
                body: parts[1..].iter().map(|c| clause_form(&owned(c))).collect(),
            });
        }
        Ok(())
    }

    pub(super) async fn rule(
        &mut self,
        clause: &Edn<'_>,
        name: &str,
        args: &[Edn<'static>],
        rows: Vec<Row>,
        depth: usize,
    ) -> Result<Vec<Row>, IonError> {
        if depth >= MAX_RULE_DEPTH {
            return Err(incorrect(format!(
                "rule {name} calls rules deeper than {MAX_RULE_DEPTH}: {}",
                quote(clause)
            )));
        }
        let defs = self.rules[name].clone();
        if let Some(def) = defs.iter().find(|d| d.head.len() != args.len()) {
            return Err(incorrect(format!(
                "rule {name} takes {} arguments: {}",
                def.head.len(),
                quote(clause)
            )));
        }
        let mut out = Vec::new();
        for row in rows {
            let bound: Vec<Option<Value>> = args
                .iter()
                .map(|a| match is_var(a) {
                    Some(v) => Ok(row.get(v.as_str()).cloned()),
                    None => constant(a).map(Some),
                })
                .collect::<Result<_, IonError>>()?;
            for answer in self.tabled(name, &defs, bound, depth).await? {
                let mut merged = row.clone();
                let mut consistent = true;
                for (a, v) in args.iter().zip(&answer) {
                    let (Some(var), Some(v)) = (is_var(a), v) else {
                        continue;
                    };
                    match merged.get(var.as_str()) {
                        Some(b) if builtins::compare(b, v).is_ne() => consistent = false,
                        Some(_) => {}
                        None => {
                            merged.insert(Arc::from(var), v.clone());
                        }
                    }
                }
                if consistent {
                    out.push(merged);
                }
            }
        }
        Ok(distinct(out))
    }

    /// The answers (head values) of rule `name` called with `bound` arguments. A call
    /// that is already being answered further up (a rule reaching itself, as
    /// `[(follow ?a ?b) (follow ?b ?a)]` does) gets the answers found so far, and the
    /// outer call is evaluated again until its answers stop growing: a fixpoint, so
    /// recursion through cycles ends.
    async fn tabled(
        &mut self,
        name: &str,
        defs: &[Rule],
        bound: Vec<Option<Value>>,
        depth: usize,
    ) -> Result<Vec<Answer>, IonError> {
        let key = (name.to_owned(), bound.clone());
        if let Some(t) = self.tables.get_mut(&key) {
            t.reentered = true;
            return Ok(t.answers.iter().cloned().collect());
        }
        self.tables.insert(key.clone(), Table::default());
        let result = loop {
            let answers = match self.answers(defs, &bound, depth).await {
                Ok(a) => a,
                Err(e) => {
                    self.tables.remove(&key);
                    return Err(e);
                }
            };
            let t = self.tables.get_mut(&key).expect("the call's table");
            let before = t.answers.len();
            t.answers.extend(answers);
            let again = t.reentered && t.answers.len() > before;
            t.reentered = false;
            if !again {
                break t.answers.iter().cloned().collect();
            }
        };
        self.tables.remove(&key);
        Ok(result)
    }

    /// Every definition of a rule evaluated once from `bound`, as head values.
    async fn answers(
        &mut self,
        defs: &[Rule],
        bound: &[Option<Value>],
        depth: usize,
    ) -> Result<Vec<Answer>, IonError> {
        let mut out = Vec::new();
        for def in defs {
            self.fresh += 1;
            let suffix = format!("__{}", self.fresh);
            let body: Vec<Edn<'static>> = def.body.iter().map(|c| rename(c, &suffix)).collect();
            let mut start = Row::new();
            for (h, v) in def.head.iter().zip(bound) {
                if let Some(v) = v {
                    start.insert(Arc::from(format!("{h}{suffix}")), v.clone());
                }
            }
            let mut found = vec![start];
            for c in &body {
                if found.is_empty() {
                    break;
                }
                found = self.clause(c, found, depth + 1).await?;
            }
            for f in found {
                out.push(
                    def.head
                        .iter()
                        .map(|h| f.get(format!("{h}{suffix}").as_str()).cloned())
                        .collect(),
                );
            }
        }
        Ok(out)
    }
}

/// One answer of a rule call: a value per head position (`None` if left unbound).
pub type Answer = Vec<Option<Value>>;

/// The answers found so far for one rule call in progress.
#[derive(Default)]
pub struct Table {
    answers: std::collections::BTreeSet<Answer>,
    reentered: bool,
}

/// `clause` with every variable renamed `?x` → `?x{suffix}`.
fn rename(clause: &Edn<'static>, suffix: &str) -> Edn<'static> {
    match clause {
        Edn::Symbol(s) if s.starts_with('?') => Edn::Symbol(format!("{s}{suffix}").into()),
        Edn::Vector(items) => Edn::Vector(items.iter().map(|i| rename(i, suffix)).collect()),
        Edn::List(items) => Edn::List(items.iter().map(|i| rename(i, suffix)).collect()),
        other => other.clone(),
    }
}
