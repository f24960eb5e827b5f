//! Expressions in `:where`: predicates `[(pred args…)]` and functions `[(f args…)
//! binding]`, over built-ins, the database functions (`missing?`, `get-else`,
//! `get-some`) and the app's query functions. A function's `nil` binds nothing and a
//! predicate's `nil` or `false` drops the row.

use super::bind::{bind_form, binding, constant};
use super::builtins;
use super::eval::{Ctx, Row, quote};
use super::flat::{Arg, Flat};
use super::parse::{incorrect, is_var};
use crate::api;
use crate::value::Value;
use crate::value_db::{Components, Db, Index};
use ion_anomaly::IonError;
use ion_edn::Edn;

/// Most rows per call of an ion query function that takes batches. A clause starts at
/// one row per call and doubles while calls stay quick, so a slow function never runs far
/// past the query's deadline, which is checked between calls.
const BATCH: usize = 256;

/// A call quicker than this lets the next batch double.
const QUICK: std::time::Duration = std::time::Duration::from_millis(2);

/// The name and arguments of `clause` when it is an ion query function used as a
/// predicate, `[(ns/pred args…)]` (no binding, no database argument), whose variables
/// `rel` binds: it filters the flat relation in place (`Ctx::ion_filter`).
pub(super) fn ion_predicate(clause: &Edn<'_>, rel: &Flat) -> Option<(String, Vec<Arg>)> {
    predicate_call(clause, rel, is_ion_fn)
}

/// Whether a function name in an expression clause names an ion function: a qualified
/// name that is not a built-in.
fn is_ion_fn(name: &str) -> bool {
    name.contains('/') && !builtins::is_builtin(name)
}

/// The name and arguments of `clause` when it is a predicate call `[(name args…)]` (no
/// binding, no `$` source among its arguments) of a `name` that `wanted` accepts, whose
/// variables `rel` binds; constants as values.
pub(super) fn predicate_call(
    clause: &Edn<'_>,
    rel: &Flat,
    wanted: impl Fn(&str) -> bool,
) -> Option<(String, Vec<Arg>)> {
    let Edn::Vector(items) = clause else {
        return None;
    };
    let [Edn::List(call)] = items.as_slice() else {
        return None;
    };
    let (Edn::Symbol(name), args) = call.split_first()? else {
        return None;
    };
    if !wanted(name) {
        return None;
    }
    let args = args
        .iter()
        .map(|a| match is_var(a) {
            Some(v) => rel.col(&v).map(Arg::Col),
            None if matches!(a, Edn::Symbol(s) if s.starts_with('$')) => None,
            None => constant(a).ok().map(Arg::Const),
        })
        .collect::<Option<Vec<Arg>>>()?;
    Some((name.to_string(), args))
}

/// An ion function's answer for one row as a value: `nil` as none.
fn ion_value(result: Edn<'static>) -> Result<Option<Value>, IonError> {
    match result {
        Edn::Nil => Ok(None),
        other => constant(&other).map(Some),
    }
}

/// Whether a predicate's `result` keeps its row: anything but `nil` (none) and `false`.
pub(super) fn truthy(result: &Option<Value>) -> bool {
    !matches!(result, None | Some(Value::Bool(false)))
}

/// What an expression clause makes of `row` given its function's `result`: without a
/// binding form, the row when the result is truthy (a predicate); with one, the rows the
/// form binds from the result.
fn keep(
    out: &mut Vec<Row>,
    row: Row,
    result: Option<Value>,
    form: Option<&Edn<'static>>,
) -> Result<(), IonError> {
    match form {
        None => {
            if truthy(&result) {
                out.push(row);
            }
        }
        Some(form) => {
            let edn = result.map_or(Edn::Nil, |r| r.to_edn());
            out.extend(bind_form(vec![row], form, &edn)?);
        }
    }
    Ok(())
}

/// Argument `a` of a function clause: a variable read from `row`, or a constant.
fn arg_of(clause: &Edn<'_>, a: &Edn<'_>, row: &Row) -> Result<Value, IonError> {
    match is_var(a) {
        Some(v) => row.get(v.as_str()).cloned().ok_or_else(|| {
            incorrect(format!(
                "variable {v} is unbound in {}: bind it in a clause before",
                quote(clause)
            ))
        }),
        None => constant(a),
    }
}

impl Ctx<'_> {
    /// `[(pred args…)]` or `[(fn args…) binding]`.
    pub(super) async fn expression(
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
        let ion_fn = is_ion_fn(&name)
            && !call[1..]
                .iter()
                .any(|a| matches!(a, Edn::Symbol(s) if s.starts_with('$')));
        if ion_fn {
            return self
                .ion_expression(clause, &name, &call[1..], form.as_ref(), rows)
                .await;
        }
        let mut out = Vec::new();
        for row in rows {
            // Every row: a call may be an ion function, a wasm call far dearer than the
            // clock read, and a few hundred of them overran a caller's deadline.
            self.check_deadline()?;
            let result = self.call(clause, &name, &call[1..], &row).await?;
            keep(&mut out, row, result, form.as_ref())?;
        }
        Ok(out)
    }

    /// An ion query function's clause over `rows`, called a batch of rows at a time (one
    /// call of the app per batch, when it takes batches), with the deadline checked
    /// between batches.
    async fn ion_expression(
        &mut self,
        clause: &Edn<'_>,
        name: &str,
        args: &[Edn<'static>],
        form: Option<&Edn<'static>>,
        rows: Vec<Row>,
    ) -> Result<Vec<Row>, IonError> {
        let mut out = Vec::new();
        let mut rows = rows.into_iter().peekable();
        let mut size = 1;
        while rows.peek().is_some() {
            self.check_deadline()?;
            let chunk: Vec<Row> = rows.by_ref().take(size).collect();
            let values = chunk
                .iter()
                .map(|row| {
                    args.iter()
                        .map(|a| arg_of(clause, a, row).map(|v| v.to_edn()))
                        .collect::<Result<Vec<_>, _>>()
                })
                .collect::<Result<Vec<_>, _>>()?;
            let results = self.ion_batch(clause, name, values, &mut size).await?;
            for (row, result) in chunk.into_iter().zip(results) {
                let value = ion_value(result)?;
                keep(&mut out, row, value, form)?;
            }
        }
        Ok(out)
    }

    /// Keeps the rows of `rel` for which ion predicate `name` (see `ion_predicate`) holds,
    /// calling it a batch of rows at a time as `ion_expression` does, with the arguments
    /// read from the relation's columns: no map per row.
    pub(super) async fn ion_filter(
        &mut self,
        clause: &Edn<'_>,
        name: &str,
        args: &[Arg],
        rel: &mut Flat,
    ) -> Result<(), IonError> {
        let (mut kept, mut next, mut size) = (0, 0, 1);
        while next < rel.len {
            self.check_deadline()?;
            let end = (next + size).min(rel.len);
            let values = (next..end)
                .map(|i| args.iter().map(|a| a.of(rel.row(i)).to_edn()).collect())
                .collect();
            let results = self.ion_batch(clause, name, values, &mut size).await?;
            for (i, result) in (next..end).zip(results) {
                if truthy(&ion_value(result)?) {
                    rel.keep_row(i, &mut kept);
                }
            }
            next = end;
        }
        rel.truncate_rows(kept);
        Ok(())
    }

    /// Calls ion function `name` on a batch of rows' `values` (one app call when the app
    /// takes batches), and sizes the next batch by how long this one took: doubled while
    /// batches are quick, up to `BATCH`, halved when one was not.
    async fn ion_batch(
        &self,
        clause: &Edn<'_>,
        name: &str,
        values: Vec<Vec<Edn<'static>>>,
        size: &mut usize,
    ) -> Result<Vec<Edn<'static>>, IonError> {
        let started = std::time::Instant::now();
        let results = self
            .fns
            .predicate_batch(name, values)
            .await
            .map_err(|e| e.context(&quote(clause)))?;
        *size = if started.elapsed() < QUICK {
            (*size * 2).min(BATCH)
        } else {
            (*size / 2).max(1)
        };
        Ok(results)
    }

    /// Calls function `name` on `args` (variables read from `row`).
    async fn call(
        &mut self,
        clause: &Edn<'_>,
        name: &str,
        args: &[Edn<'static>],
        row: &Row,
    ) -> Result<Option<Value>, IonError> {
        let arg = |a: &Edn<'_>| arg_of(clause, a, row);
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
                        .and_then(|a| crate::expand::attr_id(&db, &a))
                };
                match name {
                    "missing?" => {
                        let attr = args.get(2).ok_or_else(|| {
                            incorrect(format!("missing? takes an attribute: {}", quote(clause)))
                        })?;
                        // `:ns/_name` asks whether no entity refers to `e` by `:ns/name`.
                        let (attr, reverse) = match attr {
                            Edn::Key(k) => match k.rsplit_once('/') {
                                Some((ns, n)) if n.starts_with('_') => {
                                    (ion_edn::keyword(&format!("{ns}/{}", &n[1..])), true)
                                }
                                None if k.starts_with('_') => (ion_edn::keyword(&k[1..]), true),
                                _ => (attr.clone(), false),
                            },
                            other => (other.clone(), false),
                        };
                        let a = attr_of(&attr)?;
                        Ok(Some(Value::Bool(missing(&db, e, a, reverse)?)))
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
                        match db.values(e, a)?.into_iter().next() {
                            Some(v) => Ok(Some(binding(&v))),
                            None => arg(args.get(3).ok_or_else(|| {
                                incorrect(format!("get-else takes a default: {}", quote(clause)))
                            })?)
                            .map(Some),
                        }
                    }
                    _ => {
                        for a in &args[2..] {
                            let id = attr_of(a)?;
                            if let Some(v) = db.values(e, id)?.into_iter().next() {
                                return Ok(Some(Value::Tuple(vec![Value::Long(id), binding(&v)])));
                            }
                        }
                        Ok(None)
                    }
                }
            }
            "untuple" => match arg(args
                .first()
                .ok_or_else(|| incorrect("untuple takes a tuple".into()))?)?
            {
                t @ Value::Tuple(_) => Ok(Some(t)),
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
                    return Ok(None);
                }
                constant(&out).map(Some)
            }
            _ => Err(incorrect(format!(
                "unknown function {name} in {}",
                quote(clause)
            ))),
        }
    }
}

/// Whether entity `e` has no `a` (or, `reverse`, nothing refers to it by `a`).
fn missing(db: &Db, e: i64, a: i64, reverse: bool) -> Result<bool, IonError> {
    if !reverse {
        return Ok(db.values(e, a)?.is_empty());
    }
    Ok(db
        .datoms(
            Index::Vaet,
            &Components {
                a: Some(a),
                v: Some(Value::Ref(e)),
                ..Default::default()
            },
        )?
        .is_empty())
}
