//! Shaping a query's result from the rows `:where` left: projection to `:find`, set
//! semantics (duplicates kept only through `:with`), aggregates (built-in and the app's),
//! `pull`, the find specs and `:keys`/`:strs`/`:syms`.

use super::builtins::compare;
use super::eval::Ctx;
use super::flat::Rel;
use super::parse::{FindElem, Query, Shape, incorrect};
use crate::value::{F64, Value};
use ion_anomaly::IonError;
use ion_edn::Edn;
use std::collections::BTreeMap;

pub(super) fn var_of(e: &FindElem) -> &str {
    match e {
        FindElem::Var(v) | FindElem::Pull(v, _) | FindElem::Agg(_, _, v) => v,
    }
}

/// The values of `vars` in each row of `rel`, row after row; an error names the first
/// variable no row binds (`what`: the clause part that names it).
fn project(rel: &Rel, vars: &[(&str, &str)]) -> Result<Vec<Value>, IonError> {
    let unbound =
        |v: &str, what: &str| incorrect(format!("{v} in {what} is not bound by :where or :in"));
    match rel {
        Rel::Flat(f) => {
            let cols = vars
                .iter()
                .map(|(v, what)| match f.col(v) {
                    Some(c) => Ok(c),
                    None => Err(unbound(v, what)),
                })
                .collect::<Result<Vec<usize>, IonError>>();
            if f.len == 0 {
                return Ok(Vec::new());
            }
            let cols = cols?;
            let mut out = Vec::with_capacity(f.len * cols.len());
            for i in 0..f.len {
                let row = f.row(i);
                out.extend(cols.iter().map(|c| row[*c].clone()));
            }
            Ok(out)
        }
        Rel::Rows(rows) => {
            let mut out = Vec::with_capacity(rows.len() * vars.len());
            for row in rows {
                for (v, what) in vars {
                    out.push(row.get(*v).cloned().ok_or_else(|| unbound(v, what))?);
                }
            }
            Ok(out)
        }
    }
}

/// The result of `q` for the relation `:where` left.
pub async fn shape(ctx: &Ctx<'_>, q: &Query, rel: Rel) -> Result<Edn<'static>, IonError> {
    let vars: Vec<(&str, &str)> = q
        .find
        .iter()
        .map(|e| (var_of(e), ":find"))
        .chain(q.with.iter().map(|v| (v.as_str(), ":with")))
        .collect();
    let has_agg = q.find.iter().any(|e| matches!(e, FindElem::Agg(..)));
    // Distinct rows over the find and with variables, in order.
    let width = vars.len();
    let values = project(&rel, &vars)?;
    drop(rel);
    // (`:find` names one variable at least.)
    let n = values.len().checked_div(width).unwrap_or(0);
    let key = |i: usize| &values[i * width..(i + 1) * width];
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_unstable_by(|a, b| key(*a).cmp(key(*b)));
    order.dedup_by(|a, b| key(*a) == key(*b));
    let keyed = order.iter().map(|i| key(*i));
    let mut tuples: Vec<Vec<Edn<'static>>> = Vec::new();
    if has_agg {
        let mut groups: BTreeMap<Vec<Value>, Vec<Vec<Value>>> = BTreeMap::new();
        for key in keyed {
            let group: Vec<Value> = q
                .find
                .iter()
                .zip(key)
                .filter(|(e, _)| !matches!(e, FindElem::Agg(..)))
                .map(|(_, v)| v.clone())
                .collect();
            groups.entry(group).or_default().push(key.to_vec());
        }
        // No rows make no groups: `[:find (count ?e) …]` over nothing is `[]`, as in
        // Datomic and DataScript (the differential test found the `[[0]]` this gave).
        for members in groups.values() {
            let mut tuple = Vec::new();
            for (i, e) in q.find.iter().enumerate() {
                let column: Vec<Value> = members.iter().map(|m| m[i].clone()).collect();
                tuple.push(match e {
                    FindElem::Agg(name, args, _) => aggregate(ctx, name, args, column).await?,
                    FindElem::Var(_) => column.first().map_or(Edn::Nil, Value::to_edn),
                    FindElem::Pull(_, pattern) => pull_value(ctx, pattern, column.first()).await?,
                });
            }
            tuples.push(tuple);
        }
    } else {
        for key in keyed {
            let mut tuple = Vec::new();
            for (i, e) in q.find.iter().enumerate() {
                tuple.push(match e {
                    FindElem::Pull(_, pattern) => pull_value(ctx, pattern, Some(&key[i])).await?,
                    _ => key[i].to_edn(),
                });
            }
            // Keys are distinct already (a BTreeMap).
            tuples.push(tuple);
        }
    }
    if let Some((kind, names)) = &q.keys {
        let key = |n: &str| match kind {
            'k' => ion_edn::keyword(n),
            't' => ion_edn::string(n),
            _ => Edn::Symbol(n.to_owned().into()),
        };
        let mut maps = tuples
            .into_iter()
            .map(|t| Edn::Map(names.iter().map(|n| key(n)).zip(t).collect()));
        return Ok(match q.shape {
            Shape::Tuple => maps.next().unwrap_or(Edn::Nil),
            _ => Edn::Vector(maps.collect()),
        });
    }
    Ok(match q.shape {
        Shape::Relation => Edn::Vector(tuples.into_iter().map(Edn::Vector).collect()),
        Shape::Coll => Edn::Vector(tuples.into_iter().filter_map(|mut t| t.pop()).collect()),
        Shape::Tuple => tuples.into_iter().next().map_or(Edn::Nil, Edn::Vector),
        Shape::Scalar => tuples
            .into_iter()
            .next()
            .and_then(|mut t| t.pop())
            .unwrap_or(Edn::Nil),
    })
}

async fn pull_value(
    ctx: &Ctx<'_>,
    pattern: &Edn<'static>,
    e: Option<&Value>,
) -> Result<Edn<'static>, IonError> {
    let db = ctx
        .sources
        .get("$")
        .ok_or_else(|| incorrect("pull in :find needs the $ source".into()))?;
    // A pattern named by a plain symbol is bound by `:in`.
    let pattern = match pattern {
        Edn::Symbol(name) => ctx.patterns.get(name.as_ref()).ok_or_else(|| {
            incorrect(format!(
                "pull in :find names pattern {name}, which :in does not bind"
            ))
        })?,
        p => p,
    };
    match e {
        Some(Value::Long(e)) => crate::pull::pull(db, pattern, *e, ctx.fns).await,
        Some(lookup @ Value::Tuple(pair)) if pair.len() == 2 => {
            let e = crate::api::resolve_eid(db, &lookup.to_edn())?;
            crate::pull::pull(db, pattern, e, ctx.fns).await
        }
        Some(other) => Err(incorrect(format!(
            "pull in :find: {} is not an entity id",
            ion_edn::print(&other.to_edn())
        ))),
        None => Ok(Edn::Nil),
    }
}

fn nums(values: &[Value], name: &str) -> Result<Vec<f64>, IonError> {
    values
        .iter()
        .map(|v| match v {
            Value::Long(n) => Ok(*n as f64),
            Value::Double(d) => Ok(d.0),
            other => Err(incorrect(format!(
                "{name} takes numbers, found {}",
                ion_edn::print(&other.to_edn())
            ))),
        })
        .collect()
}

async fn aggregate(
    ctx: &Ctx<'_>,
    name: &str,
    args: &[Edn<'static>],
    mut values: Vec<Value>,
) -> Result<Edn<'static>, IonError> {
    let n_arg = || match args.first() {
        Some(Edn::Int(n)) if *n >= 0 => Ok(*n as usize),
        // A count bound by `:in`.
        Some(var @ Edn::Symbol(s)) if s.starts_with('?') => match ctx.scalars.get(s.as_ref()) {
            Some(Value::Long(n)) if *n >= 0 => Ok(*n as usize),
            _ => Err(incorrect(format!(
                "({name} {} ?x): {} is not a count bound by :in",
                ion_edn::print(var),
                ion_edn::print(var)
            ))),
        },
        _ => Err(incorrect(format!("({name} n ?x) takes a count first"))),
    };
    let mean = |x: &[f64]| x.iter().sum::<f64>() / x.len().max(1) as f64;
    let variance = |x: &[f64]| {
        let m = mean(x);
        x.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / x.len().max(1) as f64
    };
    let double = |x: f64| Value::Double(F64(x)).to_edn();
    Ok(match name {
        "count" => Edn::Int(values.len() as i64),
        "count-distinct" => {
            values.sort();
            values.dedup();
            Edn::Int(values.len() as i64)
        }
        "sum" => {
            let all_long = values.iter().all(|v| matches!(v, Value::Long(_)));
            let x = nums(&values, name)?;
            if all_long {
                Edn::Int(x.iter().sum::<f64>() as i64)
            } else {
                double(x.iter().sum())
            }
        }
        "avg" => double(mean(&nums(&values, name)?)),
        "median" => {
            // The middle value as it is; of an even count, the mean of the middle two.
            nums(&values, name)?;
            values.sort_by(compare);
            let mid = values.len() / 2;
            match values.len() {
                0 => Edn::Nil,
                n if n % 2 == 1 => values[mid].to_edn(),
                _ => {
                    let x = nums(&values[mid - 1..=mid], name)?;
                    double((x[0] + x[1]) / 2.0)
                }
            }
        }
        "variance" => double(variance(&nums(&values, name)?)),
        "stddev" => double(variance(&nums(&values, name)?).sqrt()),
        "min" | "max" if args.is_empty() => values
            .into_iter()
            .reduce(|a, b| {
                let keep_a = if name == "max" {
                    compare(&a, &b).is_ge()
                } else {
                    compare(&a, &b).is_le()
                };
                if keep_a { a } else { b }
            })
            .map_or(Edn::Nil, |v| v.to_edn()),
        "min" | "max" => {
            let n = n_arg()?;
            values.sort_by(compare);
            if name == "max" {
                values.reverse();
            }
            Edn::Vector(values.into_iter().take(n).map(|v| v.to_edn()).collect())
        }
        "distinct" => {
            values.sort();
            values.dedup();
            Edn::Set(values.into_iter().map(|v| v.to_edn()).collect())
        }
        "rand" | "sample" => {
            let n = if args.is_empty() { 1 } else { n_arg()? };
            values.sort();
            if name == "sample" {
                values.dedup();
            }
            // Deterministic pseudo-random choice: a fixed stride over the sorted values.
            let len = values.len();
            let picked: Vec<Edn<'static>> =
                (0..n.min(if name == "sample" { len } else { usize::MAX }))
                    .filter(|_| len > 0)
                    .map(|i| values[(i * 7919 + 13) % len].to_edn())
                    .collect();
            if args.is_empty() && name == "rand" {
                picked.into_iter().next().unwrap_or(Edn::Nil)
            } else {
                Edn::Vector(picked)
            }
        }
        custom if custom.contains('/') => {
            let arg = Edn::Vector(values.into_iter().map(|v| v.to_edn()).collect());
            ctx.fns.predicate(custom, vec![arg], None).await?
        }
        other => return Err(incorrect(format!("unknown aggregate {other}"))),
    })
}
