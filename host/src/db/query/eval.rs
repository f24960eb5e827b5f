//! Evaluating `:where` clauses, in the order written, over a relation of rows (variable
//! → value). Data patterns read the index their bound components choose; rows that bind
//! a pattern's variables alike share one index read (a hash join). Predicates filter,
//! function expressions bind, `not`/`or` (and their `-join` forms) and rules combine
//! sub-evaluations. Entity ids bind as longs, so entities and ref values join.

use super::Input;
use super::bind::{bind_form, binding, constant, in_form};
use super::builtins;
use super::parse::{InBinding, Query, incorrect, is_var};
use super::rules::Rule;
use super::scan::scan;
use crate::anomaly::IonError;
use crate::db::value::Value;
use crate::db::value_db::Db;
use crate::db::{Functions, api};
use ion_edn::Edn;
use std::collections::HashMap;
use std::pin::Pin;
use std::sync::Arc;

/// Variable bindings of one row.
pub type Row = HashMap<Arc<str>, Value>;

type Fut<'a, T> = Pin<Box<dyn std::future::Future<Output = Result<T, IonError>> + Send + 'a>>;

/// What a query runs with.
pub struct Ctx<'a> {
    pub(crate) sources: HashMap<String, Db>,
    pub(super) rules: HashMap<String, Vec<Rule>>,
    pub(crate) fns: &'a dyn Functions,
    pub(super) fresh: usize,
    /// When the query must stop (`:timeout`).
    pub(crate) deadline: Option<(std::time::Instant, u64)>,
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
        }
    }

    /// Binds `:in` to `inputs`; returns the starting relation.
    pub fn bind_inputs(&mut self, q: &Query, inputs: Vec<Input<'_>>) -> Result<Vec<Row>, IonError> {
        if inputs.len() != q.inputs.len() {
            return Err(incorrect(format!(
                "the query's :in names {} inputs, {} were given",
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
                (InBinding::Source(name), Input::Value(_)) => {
                    return Err(incorrect(format!(":in {name} takes a database value")));
                }
                (InBinding::Rules, Input::Value(rules)) => self.add_rules(&rules)?,
                (_, Input::Db(_)) => {
                    return Err(incorrect(
                        "a database value was given for an :in variable".into(),
                    ));
                }
                (b, Input::Value(v)) => rows = bind_form(rows, &in_form(b), &v)?,
            }
        }
        Ok(rows)
    }

    fn source(&self, name: &str) -> Result<&Db, IonError> {
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
            let mut rows = rows;
            for clause in clauses {
                if rows.is_empty() {
                    break;
                }
                rows = self.clause(clause, rows, 0).await?;
            }
            Ok(rows)
        })
    }

    /// Stops a query past its `:timeout`. Checked between clauses and every few rows:
    /// evaluation is CPU work that no timer could interrupt otherwise.
    fn check_deadline(&self) -> Result<(), IonError> {
        match self.deadline {
            Some((at, ms)) if std::time::Instant::now() >= at => Err(IonError::new(
                crate::anomaly::Category::Interrupted,
                format!("the query ran past its :timeout of {ms} ms"),
            )),
            _ => Ok(()),
        }
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
                Edn::Vector(items) => self.pattern(clause, items, rows),
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

    /// A data pattern `[$? e a v tx? added?]`.
    fn pattern(
        &self,
        clause: &Edn<'_>,
        items: &[Edn<'static>],
        rows: Vec<Row>,
    ) -> Result<Vec<Row>, IonError> {
        let (src, terms) = match items.first() {
            Some(Edn::Symbol(s)) if s.starts_with('$') => (s.to_string(), &items[1..]),
            _ => ("$".to_owned(), items),
        };
        if terms.is_empty() || terms.len() > 5 {
            return Err(incorrect(format!(
                "a data pattern has 1 to 5 terms: {}",
                quote(clause)
            )));
        }
        let db = self.source(&src)?.clone();
        let mut cache: HashMap<Vec<Option<Value>>, Vec<Vec<Value>>> = HashMap::new();
        let mut out = Vec::new();
        for (i, row) in rows.into_iter().enumerate() {
            if i % 1024 == 0 {
                self.check_deadline()?;
            }
            // The pattern's terms as this row sees them: known values or free variables.
            let known: Vec<Option<Value>> = terms
                .iter()
                .map(|t| match t {
                    Edn::Symbol(s) if s == "_" => Ok(None),
                    t => match is_var(t) {
                        Some(v) => Ok(row.get(v.as_str()).cloned()),
                        None => constant(t).map(Some),
                    },
                })
                .collect::<Result<_, _>>()?;
            // Rows that know the entity rarely share it: read the index directly. Others
            // share one read per distinct set of known values (the hash join).
            let direct;
            let matches = if matches!(known.first(), Some(Some(_))) {
                direct = scan(&db, &known, clause)?;
                &direct
            } else {
                if !cache.contains_key(&known) {
                    let found = scan(&db, &known, clause)?;
                    cache.insert(known.clone(), found);
                }
                &cache[&known]
            };
            'datom: for found in matches {
                let mut next = row.clone();
                for (t, v) in terms.iter().zip(found) {
                    if let Some(var) = is_var(t) {
                        match next.get(var.as_str()) {
                            Some(bound) if builtins::compare(bound, v).is_ne() => continue 'datom,
                            Some(_) => {}
                            None => {
                                next.insert(Arc::from(var), v.clone());
                            }
                        }
                    }
                }
                out.push(next);
            }
        }
        Ok(out)
    }

    /// `[(pred args…)]` or `[(fn args…) binding]`.
    async fn expression(
        &mut self,
        clause: &Edn<'_>,
        items: &[Edn<'static>],
        rows: Vec<Row>,
    ) -> Result<Vec<Row>, IonError> {
        let Edn::List(call) = &items[0] else {
            unreachable!()
        };
        let Some(Edn::Symbol(name)) = call.first() else {
            return Err(incorrect(format!(
                "an expression starts with a function name: {}",
                quote(clause)
            )));
        };
        let name = name.to_string();
        let form = items.get(1).cloned();
        if items.len() > 2 {
            return Err(incorrect(format!(
                "an expression clause has one binding at most: {}",
                quote(clause)
            )));
        }
        let mut out = Vec::new();
        for (i, row) in rows.into_iter().enumerate() {
            if i % 256 == 0 {
                self.check_deadline()?;
            }
            let result = self.call(clause, &name, &call[1..], &row).await?;
            match &form {
                None => {
                    if !matches!(result, Value::Bool(false)) {
                        out.push(row);
                    }
                }
                Some(form) => {
                    let edn = result.to_edn();
                    out.extend(bind_form(vec![row], form, &edn)?);
                }
            }
        }
        Ok(out)
    }

    /// Calls function `name` on `args` (variables read from `row`).
    async fn call(
        &mut self,
        clause: &Edn<'_>,
        name: &str,
        args: &[Edn<'static>],
        row: &Row,
    ) -> Result<Value, IonError> {
        let arg = |a: &Edn<'_>| -> Result<Value, IonError> {
            match is_var(a) {
                Some(v) => row.get(v.as_str()).cloned().ok_or_else(|| {
                    incorrect(format!(
                        "variable {v} is unbound in {}: bind it in a clause before",
                        quote(clause)
                    ))
                }),
                None => constant(a),
            }
        };
        match name {
            "missing?" | "get-else" | "get-some" => {
                let Some(Edn::Symbol(src)) = args.first() else {
                    return Err(incorrect(format!(
                        "{name} takes a source first: {}",
                        quote(clause)
                    )));
                };
                let db = self.source(src)?.clone();
                let e = match arg(args.get(1).ok_or_else(|| {
                    incorrect(format!("{name} takes an entity: {}", quote(clause)))
                })?)? {
                    Value::Long(e) => e,
                    other => {
                        return Err(incorrect(format!(
                            "{name}: {} is not an entity id",
                            ion_edn::print(&other.to_edn())
                        )));
                    }
                };
                let attr_of = |a: &Edn<'_>| {
                    api::read(&ion_edn::print(a), "attribute")
                        .and_then(|a| crate::db::expand::attr_id(&db, &a))
                };
                match name {
                    "missing?" => {
                        let a = attr_of(args.get(2).ok_or_else(|| {
                            incorrect(format!("missing? takes an attribute: {}", quote(clause)))
                        })?)?;
                        Ok(Value::Bool(db.values(e, a).is_empty()))
                    }
                    "get-else" => {
                        let a = attr_of(args.get(2).ok_or_else(|| {
                            incorrect(format!("get-else takes an attribute: {}", quote(clause)))
                        })?)?;
                        if db.schema.attrs[&a].many {
                            return Err(incorrect(format!(
                                "get-else takes a cardinality-one attribute: {}",
                                quote(clause)
                            )));
                        }
                        match db.values(e, a).into_iter().next() {
                            Some(v) => Ok(binding(&v)),
                            None => arg(args.get(3).ok_or_else(|| {
                                incorrect(format!("get-else takes a default: {}", quote(clause)))
                            })?),
                        }
                    }
                    _ => {
                        for a in &args[2..] {
                            let id = attr_of(a)?;
                            if let Some(v) = db.values(e, id).into_iter().next() {
                                return Ok(Value::Tuple(vec![Value::Long(id), binding(&v)]));
                            }
                        }
                        Ok(Value::Bool(false))
                    }
                }
            }
            "untuple" => match arg(args
                .first()
                .ok_or_else(|| incorrect("untuple takes a tuple".into()))?)?
            {
                t @ Value::Tuple(_) => Ok(t),
                other => Err(incorrect(format!(
                    "untuple takes a tuple, got {}",
                    ion_edn::print(&other.to_edn())
                ))),
            },
            _ if builtins::is_builtin(name) => {
                let values = args.iter().map(arg).collect::<Result<Vec<_>, _>>()?;
                builtins::call(name, &values).map_err(|e| e.context(&quote(clause)))
            }
            _ if name.contains('/') => {
                let mut db = None;
                let mut values = Vec::new();
                for a in args {
                    match a {
                        Edn::Symbol(s) if s.starts_with('$') => db = Some(self.source(s)?.clone()),
                        other => values.push(arg(other)?.to_edn()),
                    }
                }
                let out = self
                    .fns
                    .predicate(name, values, db.as_ref())
                    .await
                    .map_err(|e| e.context(&quote(clause)))?;
                if out == Edn::Nil {
                    return Ok(Value::Bool(false));
                }
                constant(&out)
            }
            _ => Err(incorrect(format!(
                "unknown function {name} in {}",
                quote(clause)
            ))),
        }
    }

    async fn not(
        &mut self,
        clause: &Edn<'_>,
        op: &str,
        args: &[Edn<'static>],
        rows: Vec<Row>,
    ) -> Result<Vec<Row>, IonError> {
        let (vars, body) = join_vars(clause, op, args)?;
        let mut out = Vec::new();
        for row in rows {
            let start = restrict(&row, vars.as_deref());
            if self.clauses(body, vec![start]).await?.is_empty() {
                out.push(row);
            }
        }
        Ok(out)
    }

    async fn or(
        &mut self,
        clause: &Edn<'_>,
        op: &str,
        args: &[Edn<'static>],
        rows: Vec<Row>,
    ) -> Result<Vec<Row>, IonError> {
        let (vars, branches) = join_vars(clause, op, args)?;
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
