//! Relations without a map per row, and the runs of data patterns that extend them. A
//! `Flat` relation is its variables and one vector of values, row after row: a data
//! pattern extends it by pushing each input row's values and the datom's new bindings,
//! with no hash map built, cloned or probed per row. `clauses_rel` runs consecutive data
//! patterns over a database this way and hands other clauses (expressions, `not`, `or`,
//! rules, collection sources) the rows (variable → value maps) they work on.
//!
//! Rows that know a pattern's entity read it directly; when two or more patterns of a
//! run read the same known entity variable, each entity's datoms are read once (one EAVT
//! read) and every such pattern picks its own from them (consecutive ones together, row by
//! row: `group`). Rows that do not know the
//! entity share one read per distinct set of known values (the hash join).

use super::builtins;
use super::eval::{Ctx, Row};
use super::parse::{incorrect, is_var};
use super::range::{Range, value_range};
use super::scan::{read, read_into, resolve_with};
use super::slots::{attr_once, known_terms, push_extended, slots_of};
use crate::datom::Datom;
use crate::value::Value;
use crate::value_db::{Components, Index};
use ion_anomaly::IonError;
use ion_edn::Edn;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// A relation as one vector of values: `len` rows of `vars.len()` values each.
pub struct Flat {
    pub vars: Vec<Arc<str>>,
    pub len: usize,
    pub vals: Vec<Value>,
}

impl Flat {
    /// Row `i`'s values, in the order of `vars`.
    pub fn row(&self, i: usize) -> &[Value] {
        let w = self.vars.len();
        &self.vals[i * w..(i + 1) * w]
    }

    /// Keeps row `i` of a filter pass: moves it to row `*kept` (every row before `i` has
    /// been kept or dropped already) and counts it.
    pub fn keep_row(&mut self, i: usize, kept: &mut usize) {
        let w = self.vars.len();
        if *kept != i {
            for j in 0..w {
                self.vals.swap(*kept * w + j, i * w + j);
            }
        }
        *kept += 1;
    }

    /// Ends a filter pass: only the first `kept` rows remain.
    pub fn truncate_rows(&mut self, kept: usize) {
        self.vals.truncate(kept * self.vars.len());
        self.len = kept;
    }

    /// The column of `var`, if the relation binds it.
    pub fn col(&self, var: &str) -> Option<usize> {
        self.vars.iter().position(|v| &**v == var)
    }

    /// `rows` as one relation; none when they do not all bind the same variables.
    pub fn from_rows(rows: &[Row]) -> Option<Flat> {
        let vars: Vec<Arc<str>> = rows
            .first()
            .map_or_else(Vec::new, |r| r.keys().cloned().collect());
        let mut vals = Vec::with_capacity(rows.len() * vars.len());
        for row in rows {
            if row.len() != vars.len() {
                return None;
            }
            for v in &vars {
                vals.push(row.get(v)?.clone());
            }
        }
        Some(Flat {
            vars,
            len: rows.len(),
            vals,
        })
    }

    /// The relation as rows.
    pub fn into_rows(self) -> Vec<Row> {
        (0..self.len)
            .map(|i| {
                self.vars
                    .iter()
                    .cloned()
                    .zip(self.row(i).iter().cloned())
                    .collect()
            })
            .collect()
    }
}

/// A relation as the clauses left it: flat after data patterns, rows after others.
pub enum Rel {
    Rows(Vec<Row>),
    Flat(Flat),
}

impl Rel {
    pub fn is_empty(&self) -> bool {
        match self {
            Rel::Rows(rows) => rows.is_empty(),
            Rel::Flat(f) => f.len == 0,
        }
    }

    pub fn into_rows(self) -> Vec<Row> {
        match self {
            Rel::Rows(rows) => rows,
            Rel::Flat(f) => f.into_rows(),
        }
    }

    /// The value every row gives `var`, when they all give it one and the same.
    fn one_value(&self, var: &str) -> Option<Value> {
        let mut values: Box<dyn Iterator<Item = Option<&Value>>> = match self {
            Rel::Rows(rows) => Box::new(rows.iter().map(|r| r.get(var))),
            Rel::Flat(f) => {
                let c = f.col(var)?;
                Box::new((0..f.len).map(move |i| Some(&f.row(i)[c])))
            }
        };
        let first = values.next()??;
        values.all(|v| v == Some(first)).then(|| first.clone())
    }

    /// The variables its rows bind (a row's, when rows).
    fn vars(&self) -> HashSet<String> {
        match self {
            Rel::Rows(rows) => rows
                .first()
                .map(|r| r.keys().map(|k| k.to_string()).collect())
                .unwrap_or_default(),
            Rel::Flat(f) => f.vars.iter().map(|k| k.to_string()).collect(),
        }
    }
}

/// An argument of a built-in predicate over a flat relation.
pub(super) enum Arg {
    Col(usize),
    Const(Value),
}

impl Arg {
    /// The argument's value for `row`.
    pub fn of<'r>(&'r self, row: &'r [Value]) -> &'r Value {
        match self {
            Arg::Col(c) => &row[*c],
            Arg::Const(v) => v,
        }
    }
}

/// The name and arguments of `clause` when it is a built-in predicate `[(pred args…)]`
/// (no binding, no database function) whose variables `rel` binds.
fn builtin_predicate(clause: &Edn<'_>, rel: &Flat) -> Option<(String, Vec<Arg>)> {
    super::expr::predicate_call(clause, rel, |name| {
        builtins::is_builtin(name)
            && !matches!(name, "missing?" | "get-else" | "get-some" | "untuple")
    })
}

/// Each entity's datoms, read once for the patterns of a run that share it.
type Entities = HashMap<i64, Vec<Arc<Datom>>, std::hash::BuildHasherDefault<IdHasher>>;

/// Hashes an entity id by one multiplication (ids are dense; SipHash is the cost of a
/// lookup otherwise).
#[derive(Default)]
struct IdHasher(u64);

impl std::hash::Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 =
                (self.0.rotate_left(5) ^ u64::from(*b)).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
    }

    fn write_i64(&mut self, n: i64) {
        self.0 = (n as u64)
            .wrapping_mul(0x9e37_79b9_7f4a_7c15)
            .rotate_left(26);
    }
}

impl Ctx<'_> {
    /// The source and terms of `clause` when it is a data pattern over a database.
    pub(super) fn db_pattern<'c>(
        &self,
        clause: &'c Edn<'static>,
    ) -> Option<(String, &'c [Edn<'static>])> {
        let Edn::Vector(items) = clause else {
            return None;
        };
        let (src, terms) = match items.first() {
            Some(Edn::List(_)) => return None,
            Some(Edn::Symbol(s)) if s.starts_with('$') => (s.to_string(), &items[1..]),
            _ => (self.default_src.clone(), &items[..]),
        };
        (!self.colls.contains_key(&src)).then_some((src, terms))
    }

    /// Which patterns of the run starting at `clauses[0]` read their entity's datoms
    /// through the run's shared read: those whose entity variable is bound when they run
    /// and is read so by another pattern of the run too.
    fn shared_entities(&self, clauses: &[Edn<'static>], mut bound: HashSet<String>) -> Vec<bool> {
        let mut keyed: Vec<Option<(String, String)>> = Vec::new();
        for clause in clauses {
            let Some((src, terms)) = self.db_pattern(clause) else {
                break;
            };
            let e = terms.first().and_then(is_var).filter(|e| bound.contains(e));
            keyed.push(e.map(|e| (src, e)));
            bound.extend(terms.iter().filter_map(is_var));
        }
        keyed
            .iter()
            .map(|k| {
                k.as_ref()
                    .is_some_and(|k| keyed.iter().flatten().filter(|o| *o == k).count() > 1)
            })
            .collect()
    }

    /// Runs `clauses` in order over `rel`.
    pub(super) fn clauses_rel<'s>(
        &'s mut self,
        clauses: &'s [Edn<'static>],
        rel: Rel,
    ) -> super::eval::Fut<'s, Rel> {
        Box::pin(async move {
            let mut rel = rel;
            let mut shared: Vec<bool> = Vec::new();
            let mut entities: HashMap<String, Entities> = HashMap::new();
            let mut in_run = false;
            let mut skip = 0;
            for (i, clause) in clauses.iter().enumerate() {
                if skip > 0 {
                    // Read with the group before it.
                    skip -= 1;
                    shared.pop();
                    continue;
                }
                if rel.is_empty() {
                    break;
                }
                self.check_deadline()?;
                let range = value_range(clause, &clauses[i + 1..], &|v| rel.one_value(v));
                if let Rel::Flat(f) = &mut rel
                    && let Some((name, args)) = builtin_predicate(clause, f)
                {
                    in_run = false;
                    self.filter(clause, &name, &args, f)?;
                    continue;
                }
                if let Rel::Flat(f) = &mut rel
                    && let Some((name, args)) = super::expr::ion_predicate(clause, f)
                {
                    in_run = false;
                    self.ion_filter(clause, &name, &args, f).await?;
                    continue;
                }
                let Some((src, terms)) = self.db_pattern(clause) else {
                    in_run = false;
                    self.range = range;
                    let out = self.clause(clause, rel.into_rows(), 0).await;
                    self.range = None;
                    rel = Rel::Rows(out?);
                    continue;
                };
                if !in_run {
                    in_run = true;
                    entities.clear();
                    shared = self.shared_entities(&clauses[i..], rel.vars());
                    shared.reverse();
                }
                let share = shared.pop().unwrap_or(false);
                let flat = match rel {
                    Rel::Flat(f) => f,
                    Rel::Rows(rows) => match Flat::from_rows(&rows) {
                        Some(f) => f,
                        None => {
                            // Rows binding different variables: one at a time.
                            self.range = range;
                            let out = self.clause(clause, rows, 0).await;
                            self.range = None;
                            rel = Rel::Rows(out?);
                            continue;
                        }
                    },
                };
                let n = if share {
                    self.group_len(&clauses[i..], &src, &flat)
                } else {
                    0
                };
                if n > 1 {
                    rel = Rel::Flat(self.extend_group(&clauses[i..i + n], &src, flat)?);
                    skip = n - 1;
                    continue;
                }
                let ents = share.then(|| entities.entry(src.clone()).or_default());
                rel = Rel::Flat(self.extend(clause, &src, terms, flat, range.as_ref(), ents)?);
            }
            Ok(rel)
        })
    }

    /// Keeps the rows of `rel` for which built-in predicate `name` of `args` is truthy.
    fn filter(
        &mut self,
        clause: &Edn<'_>,
        name: &str,
        args: &[Arg],
        rel: &mut Flat,
    ) -> Result<(), IonError> {
        let mut kept = 0;
        let mut values = Vec::with_capacity(args.len());
        for i in 0..rel.len {
            if i % 1024 == 0 {
                self.check_deadline()?;
            }
            let row = rel.row(i);
            values.clear();
            values.extend(args.iter().map(|a| a.of(row).clone()));
            let result = builtins::call(name, &values)
                .map_err(|e| e.context(&super::eval::quote(clause)))?;
            if super::expr::truthy(&result) {
                rel.keep_row(i, &mut kept);
            }
        }
        rel.truncate_rows(kept);
        Ok(())
    }

    /// `rel` extended by the data pattern `clause` (`terms` over source `src`); the
    /// entity's datoms come from `entities` when given.
    fn extend(
        &mut self,
        clause: &Edn<'_>,
        src: &str,
        terms: &[Edn<'static>],
        rel: Flat,
        range: Option<&Range>,
        mut entities: Option<&mut Entities>,
    ) -> Result<Flat, IonError> {
        if terms.is_empty() || terms.len() > 5 {
            return Err(incorrect(format!(
                "a data pattern has 1 to 5 terms: {}",
                super::eval::quote(clause)
            )));
        }
        let db = self.source(src)?.clone();
        let mut vars = rel.vars.clone();
        let slots = slots_of(terms, &mut vars)?;
        let mut out = Flat {
            vars,
            len: 0,
            vals: Vec::new(),
        };
        let mut known: Vec<Option<Value>> = Vec::with_capacity(terms.len());
        let mut cache: HashMap<Vec<Option<Value>>, Vec<Arc<Datom>>> = HashMap::new();
        let mut direct: Vec<Arc<Datom>> = Vec::new();
        let mut attr = None;
        for i in 0..rel.len {
            if i % 1024 == 0 {
                self.check_deadline()?;
            }
            let row = rel.row(i);
            known_terms(&slots, row, &mut known);
            let a = attr_once(&mut attr, &db, &slots, &known, clause)?;
            let matches: &[Arc<Datom>] = if known[0].is_some() {
                let r = resolve_with(&db, &known, clause, a)?;
                match entities.as_deref_mut() {
                    Some(ents) => {
                        let e = r.c.e.unwrap_or_default();
                        let all = match ents.entry(e) {
                            std::collections::hash_map::Entry::Occupied(o) => o.into_mut(),
                            std::collections::hash_map::Entry::Vacant(v) => {
                                let c = Components {
                                    e: Some(e),
                                    ..Default::default()
                                };
                                v.insert(db.datoms(Index::Eavt, &c)?)
                            }
                        };
                        direct.clear();
                        direct.extend(all.iter().filter(|d| r.accepts(d)).cloned());
                    }
                    None => read_into(&db, &r, range, &mut direct)?,
                };
                &direct
            } else {
                if !cache.contains_key(known.as_slice()) {
                    let found = read(&db, &resolve_with(&db, &known, clause, a)?, range)?;
                    cache.insert(known.clone(), found);
                }
                &cache[known.as_slice()]
            };
            for d in matches {
                if push_extended(&mut out.vals, row, &slots, d) {
                    out.len += 1;
                }
            }
        }
        self.rows_built += out.len;
        Ok(out)
    }
}
