//! Rules: reading the `%` input's definitions, and calling a rule (each call with fresh
//! variable names, every definition of the name tried, results unified with the caller's
//! bindings), nested at most `MAX_RULE_DEPTH` deep.

use super::bind::constant;
use super::builtins;
use super::eval::{Ctx, Row, distinct, quote};
use super::parse::{incorrect, is_var, owned};
use crate::anomaly::IonError;
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
            let Some(Edn::List(head)) = parts.first() else {
                return Err(incorrect(format!(
                    "a rule starts with (name ?vars…): {}",
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
                body: parts[1..].iter().map(owned).collect(),
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
        let mut out = Vec::new();
        for row in rows {
            for def in &defs {
                if def.head.len() != args.len() {
                    return Err(incorrect(format!(
                        "rule {name} takes {} arguments: {}",
                        def.head.len(),
                        quote(clause)
                    )));
                }
                self.fresh += 1;
                let suffix = format!("__{}", self.fresh);
                let body: Vec<Edn<'static>> = def.body.iter().map(|c| rename(c, &suffix)).collect();
                let mut start = Row::new();
                for (h, a) in def.head.iter().zip(args) {
                    let value = match is_var(a) {
                        Some(v) => row.get(v.as_str()).cloned(),
                        None => Some(constant(a)?),
                    };
                    if let Some(value) = value {
                        start.insert(Arc::from(format!("{h}{suffix}")), value);
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
                    let mut merged = row.clone();
                    let mut consistent = true;
                    for (h, a) in def.head.iter().zip(args) {
                        let Some(var) = is_var(a) else { continue };
                        if let Some(v) = f.get(format!("{h}{suffix}").as_str()) {
                            match merged.get(var.as_str()) {
                                Some(bound) if builtins::compare(bound, v).is_ne() => {
                                    consistent = false
                                }
                                Some(_) => {}
                                None => {
                                    merged.insert(Arc::from(var), v.clone());
                                }
                            }
                        }
                    }
                    if consistent {
                        out.push(merged);
                    }
                }
            }
        }
        Ok(distinct(out))
    }
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
