//! Evaluating `:where` clauses, in the order written, over a relation of rows (variable
//! → value); runs of data patterns go through `flat` (one vector of values, no map per
//! row), and the single-clause entry points here (`not`, `or`, rule bodies, a paged last
//! pattern) work on rows. Data patterns read the index their bound components choose; rows that bind
//! a pattern's variables alike share one index read (a hash join). Predicates filter,
//! function expressions bind, `not`/`or` (and their `-join` forms, in `combine`) and rules
//! combine sub-evaluations. Entity ids bind as longs, so entities and ref values join.

use super::Input;
use super::bind::{bind_form, constant};
use super::builtins;
use super::parse::{InBinding, Query, incorrect, is_var};
use super::rules::Rule;
use super::scan::{scan, term_value};
use crate::Functions;
use crate::datom::Datom;
use crate::value::Value;
use crate::value_db::Db;
use ion_anomaly::IonError;
use ion_edn::Edn;
use std::collections::HashMap;
use std::pin::Pin;
use std::sync::Arc;

/// Variable bindings of one row.
pub type Row = HashMap<Arc<str>, Value>;

/// A data pattern's term, read once per pattern.
enum Term {
    /// `_`.
    Blank,
    /// A variable.
    Var(Arc<str>),
    /// A constant.
    Const(Value),
}

pub(super) type Fut<'a, T> =
    Pin<Box<dyn std::future::Future<Output = Result<T, IonError>> + Send + 'a>>;

/// What a query runs with.
pub struct Ctx<'a> {
    pub(crate) sources: HashMap<String, Db>,
    pub(super) rules: HashMap<String, Vec<Rule>>,
    pub(crate) fns: &'a dyn Functions,
    pub(super) fresh: usize,
    /// When the query must stop (its `:timeout`, or its caller's time).
    pub(crate) deadline: Option<super::Deadline>,
    /// Sources that are collections of tuples, not databases.
    pub(super) colls: HashMap<String, Arc<Vec<Vec<Value>>>>,
    /// Pull patterns bound by name in `:in`.
    pub(crate) patterns: HashMap<String, Edn<'static>>,
    /// Scalar `:in` bindings, for aggregates' count arguments.
    pub(crate) scalars: HashMap<String, Value>,
    /// Rule calls in progress, by rule and bound arguments (see `rules::tabled`).
    pub(super) tables: HashMap<(String, Vec<Option<Value>>), super::rules::Table>,
    /// The source a pattern without one reads: `$`, or `$x` inside `($x not …)`.
    pub(super) default_src: String,
    /// Rows the data patterns have produced (how much work a query did, for tests).
    pub(crate) rows_built: usize,
    /// The range later comparisons put on the next pattern's value (see `range`).
    pub(super) range: Option<super::range::Range>,
}

/// The page `:offset`/`:limit` ask for, when the last clause may stop early: tuples
/// distinct over `vars` count in the order the clause finds them; rows of the first
/// `skip` are dropped, and the clause stops once `take` more have been found.
pub(crate) struct Page {
    pub vars: Vec<String>,
    pub skip: usize,
    pub take: usize,
}

/// A collection input bound as a source: its tuples, each as values.
fn source_tuples(name: &str, coll: &Edn<'_>) -> Result<Vec<Vec<Value>>, IonError> {
    let bad = || {
        incorrect(format!(
            ":in {name} takes a database value or a collection of tuples, found {}",
            ion_edn::print(coll)
        ))
    };
    let (Edn::Vector(items) | Edn::List(items)) = coll else {
        return match coll {
            Edn::Set(items) => source_tuples(name, &Edn::Vector(items.iter().cloned().collect())),
            _ => Err(bad()),
        };
    };
    items
        .iter()
        .map(|t| match t {
            Edn::Vector(vs) | Edn::List(vs) => vs.iter().map(constant).collect(),
            _ => Err(bad()),
        })
        .collect()
}

pub(super) fn quote(clause: &Edn<'_>) -> String {
    ion_edn::print(clause)
}

impl<'a> Ctx<'a> {
    /// A context calling `fns`.
    pub fn new(fns: &'a dyn Functions) -> Ctx<'a> {
        Ctx {
            sources: HashMap::new(),
            rules: HashMap::new(),
            fns,
            fresh: 0,
            deadline: None,
            colls: HashMap::new(),
            patterns: HashMap::new(),
            scalars: HashMap::new(),
            default_src: "$".into(),
            tables: HashMap::new(),
            rows_built: 0,
            range: None,
        }
    }

    /// Binds `:in` to `inputs`; returns the starting relation.
    pub fn bind_inputs(&mut self, q: &Query, inputs: Vec<Input<'_>>) -> Result<Vec<Row>, IonError> {
        if inputs.len() != q.inputs.len() {
            let names: Vec<String> = q
                .inputs
                .iter()
                .map(|b| match b {
                    InBinding::Source(s) | InBinding::Pattern(s) => s.clone(),
                    InBinding::Rules => "%".into(),
                    InBinding::Form(f) => ion_edn::print(f),
                })
                .collect();
            return Err(incorrect(format!(
                "the query's :in [{}] names {} inputs, {} were given",
                names.join(" "),
                q.inputs.len(),
                inputs.len()
            )));
        }
        let mut rows = vec![Row::new()];
        for (binding, input) in q.inputs.iter().zip(inputs) {
            match (binding, input) {
                (InBinding::Source(name), Input::Db(db)) => {
                    self.sources.insert(name.clone(), db.clone());
                }
                (InBinding::Source(name), Input::Value(coll)) => {
                    self.colls
                        .insert(name.clone(), Arc::new(source_tuples(name, &coll)?));
                }
                (InBinding::Rules, Input::Value(rules)) => self.add_rules(&rules)?,
                (InBinding::Pattern(name), Input::Value(pattern)) => {
                    self.patterns.insert(name.clone(), pattern);
                }
                (InBinding::Form(form), Input::Value(v)) => {
                    if let Some(name) = is_var(form) {
                        self.scalars.insert(name, constant(&v)?);
                    }
                    rows = bind_form(rows, form, &v)?
                }
                (b, Input::Db(_)) => {
                    return Err(incorrect(format!(
                        "a database value was given for :in {}, which is not a source ($name)",
                        match b {
                            InBinding::Rules => "%".to_owned(),
                            InBinding::Pattern(p) => p.clone(),
                            InBinding::Form(f) => ion_edn::print(f),
                            InBinding::Source(s) => s.clone(),
                        }
                    )));
                }
            }
        }
        Ok(rows)
    }

    pub(super) fn source(&self, name: &str) -> Result<&Db, IonError> {
        self.sources.get(name).ok_or_else(|| {
            incorrect(format!(
                "the query names source {name}, which :in does not bind"
            ))
        })
    }

    /// Runs `clauses` in order over `rows`.
    pub fn clauses<'s>(
        &'s mut self,
        clauses: &'s [Edn<'static>],
        rows: Vec<Row>,
    ) -> Fut<'s, Vec<Row>> {
        Box::pin(async move {
            Ok(self
                .clauses_rel(clauses, super::flat::Rel::Rows(rows))
                .await?
                .into_rows())
        })
    }

    /// Stops a query past its `:timeout`. Checked between clauses and every few rows:
    /// evaluation is CPU work that no timer could interrupt otherwise.
    pub(super) fn check_deadline(&self) -> Result<(), IonError> {
        match &self.deadline {
            Some(d) if std::time::Instant::now() >= d.at => Err(IonError::new(
                ion_anomaly::Category::Interrupted,
                format!("the query ran past {}", d.what),
            )),
            _ => Ok(()),
        }
    }

    /// `clauses`, with the last one, when it is a data pattern over a database, producing
    /// only `page`'s rows and stopping once it has them. Answers whether it did (else the
    /// rows are all of them, and the caller pages the result itself).
    pub(crate) async fn clauses_paged(
        &mut self,
        clauses: &[Edn<'static>],
        rows: Vec<Row>,
        page: &Page,
    ) -> Result<(Vec<Row>, bool), IonError> {
        let Some((last, before)) = clauses.split_last() else {
            return Ok((rows, false));
        };
        let rows = self.clauses(before, rows).await?;
        let items = match last {
            Edn::Vector(items) if !matches!(items.first(), Some(Edn::List(_))) => items,
            _ => return Ok((self.clause(last, rows, 0).await?, false)),
        };
        let src = match items.first() {
            Some(Edn::Symbol(s)) if s.starts_with('$') => s.as_ref(),
            _ => self.default_src.as_str(),
        };
        if rows.is_empty() || self.colls.contains_key(src) {
            return Ok((self.clause(last, rows, 0).await?, false));
        }
        self.check_deadline()?;
        Ok((self.pattern(last, items, rows, Some(page))?, true))
    }

    pub(super) fn clause<'s>(
        &'s mut self,
        clause: &'s Edn<'static>,
        rows: Vec<Row>,
        depth: usize,
    ) -> Fut<'s, Vec<Row>> {
        Box::pin(async move {
            self.check_deadline()?;
            match clause {
                Edn::Vector(items) if matches!(items.first(), Some(Edn::List(_))) => {
                    self.expression(clause, items, rows).await
                }
                Edn::Vector(items) => self.pattern(clause, items, rows, None),
                Edn::List(items)
                    if items.len() > 1
                        && matches!(items.first(), Some(Edn::Symbol(s)) if s.starts_with('$')) =>
                {
                    // `($x not …)`, `($x or …)`, `($x rule …)`: `$x` is the default source
                    // inside.
                    let Some(Edn::Symbol(src)) = items.first() else {
                        unreachable!()
                    };
                    let inner = Edn::List(items[1..].to_vec());
                    let saved = std::mem::replace(&mut self.default_src, src.to_string());
                    let result = self.clause(&inner, rows, depth).await;
                    self.default_src = saved;
                    result
                }
                Edn::List(items) => match items.first() {
                    Some(Edn::Symbol(op)) if op == "not" || op == "not-join" => {
                        self.not(clause, op, &items[1..], rows).await
                    }
                    Some(Edn::Symbol(op)) if op == "or" || op == "or-join" => {
                        self.or(clause, op, &items[1..], rows).await
                    }
                    Some(Edn::Symbol(op)) if op == "and" => {
                        let mut rows = rows;
                        for c in &items[1..] {
                            rows = self.clause(c, rows, depth).await?;
                        }
                        Ok(rows)
                    }
                    Some(Edn::Symbol(name)) if self.rules.contains_key(name.as_ref()) => {
                        self.rule(clause, name, &items[1..], rows, depth).await
                    }
                    Some(Edn::Symbol(name)) => Err(incorrect(format!(
                        "unknown clause {}: {name} is not a rule of this query",
                        quote(clause)
                    ))),
                    _ => Err(incorrect(format!("unknown clause form {}", quote(clause)))),
                },
                other => Err(incorrect(format!("unknown clause form {}", quote(other)))),
            }
        })
    }

    /// A data pattern `[$? e a v tx? added?]`; only `page`'s rows, if given.
    fn pattern(
        &mut self,
        clause: &Edn<'_>,
        items: &[Edn<'static>],
        rows: Vec<Row>,
        page: Option<&Page>,
    ) -> Result<Vec<Row>, IonError> {
        let (src, terms) = match items.first() {
            Some(Edn::Symbol(s)) if s.starts_with('$') => (s.to_string(), &items[1..]),
            _ => (self.default_src.clone(), items),
        };
        if let Some(coll) = self.colls.get(&src) {
            return Ok(self.match_coll(terms, coll, rows));
        }
        if terms.is_empty() || terms.len() > 5 {
            return Err(incorrect(format!(
                "a data pattern has 1 to 5 terms: {}",
                quote(clause)
            )));
        }
        let db = self.source(&src)?.clone();
        let range = self.range.take();
        // The terms read once, not once per row or datom: a variable's name is shared by
        // every row that binds it.
        let parsed: Vec<Term> = terms
            .iter()
            .map(|t| match t {
                Edn::Symbol(s) if s == "_" => Ok(Term::Blank),
                t => match is_var(t) {
                    Some(v) => Ok(Term::Var(Arc::from(v))),
                    None => constant(t).map(Term::Const),
                },
            })
            .collect::<Result<_, _>>()?;
        let mut cache: HashMap<Vec<Option<Value>>, Vec<Arc<Datom>>> = HashMap::new();
        let mut out = Vec::new();
        // The page's tuples seen so far, and whether each is on the page.
        let mut seen: HashMap<Vec<Value>, bool> = HashMap::new();
        for (i, row) in rows.into_iter().enumerate() {
            if i % 1024 == 0 {
                self.check_deadline()?;
            }
            // The pattern's terms as this row sees them: known values or free variables.
            let known: Vec<Option<Value>> = parsed
                .iter()
                .map(|t| match t {
                    Term::Blank => None,
                    Term::Var(v) => row.get(&**v).cloned(),
                    Term::Const(c) => Some(c.clone()),
                })
                .collect();
            // Rows that know the entity rarely share it: read the index directly. Others
            // share one read per distinct set of known values (the hash join).
            let direct;
            let matches = if matches!(known.first(), Some(Some(_))) {
                direct = scan(&db, &known, clause, range.as_ref())?;
                &direct
            } else {
                if !cache.contains_key(&known) {
                    let found = scan(&db, &known, clause, range.as_ref())?;
                    cache.insert(known.clone(), found);
                }
                &cache[&known]
            };
            'datom: for found in matches {
                let mut next = row.clone();
                // A term known before the read matched already, through the index: its
                // binding stays as given (an ident stays a keyword, a lookup ref a
                // lookup ref). Only variables the read bound are checked and bound.
                for (j, (t, k)) in parsed.iter().zip(&known).enumerate() {
                    if k.is_some() {
                        continue;
                    }
                    if let Term::Var(var) = t {
                        let v = term_value(found, j);
                        match next.get(&**var) {
                            Some(bound) if builtins::compare(bound, &v).is_ne() => continue 'datom,
                            Some(_) => {}
                            None => {
                                next.insert(var.clone(), v);
                            }
                        }
                    }
                }
                self.rows_built += 1;
                if let Some(page) = page
                    && let Some(tuple) = page
                        .vars
                        .iter()
                        .map(|v| next.get(v.as_str()).cloned())
                        .collect::<Option<Vec<Value>>>()
                {
                    let on_page = match seen.get(&tuple) {
                        Some(on_page) => *on_page,
                        None => {
                            let on_page = seen.len() >= page.skip;
                            seen.insert(tuple, on_page);
                            on_page
                        }
                    };
                    if on_page {
                        out.push(next);
                    }
                    if seen.len() >= page.skip + page.take {
                        return Ok(out);
                    }
                    continue;
                }
                out.push(next);
            }
        }
        Ok(out)
    }

    /// A pattern over a collection source: tuples match by position.
    fn match_coll(&self, terms: &[Edn<'static>], coll: &[Vec<Value>], rows: Vec<Row>) -> Vec<Row> {
        let mut out = Vec::new();
        for row in rows {
            'tuple: for tuple in coll {
                if tuple.len() < terms.len() {
                    continue;
                }
                let mut next = row.clone();
                for (t, v) in terms.iter().zip(tuple) {
                    let bound = match t {
                        Edn::Symbol(s) if s == "_" => continue,
                        t => match is_var(t) {
                            Some(var) => match next.get(var.as_str()) {
                                Some(b) => b.clone(),
                                None => {
                                    next.insert(Arc::from(var), v.clone());
                                    continue;
                                }
                            },
                            None => match constant(t) {
                                Ok(c) => c,
                                Err(_) => continue 'tuple,
                            },
                        },
                    };
                    if builtins::compare(&bound, v).is_ne() {
                        continue 'tuple;
                    }
                }
                out.push(next);
            }
        }
        out
    }
}
