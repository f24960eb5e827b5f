//! Datalog queries over database values: `parse` reads the query, `plan` orders its
//! `:where` clauses (runs of data patterns by estimated size), `eval` runs them (patterns
//! through the index their bound components choose, rows joined by hash on the values
//! they share), and `find` shapes the result (aggregates, `pull`, `:keys`). Ion query
//! functions are reached through `Functions`, which checks `:allow`.

mod bind;
mod builtins;
mod combine;
mod eval;
mod expr;
mod find;
mod flat;
mod group;
mod parse;
pub mod plan;
mod range;
mod rules;
mod scan;
mod slots;

#[cfg(test)]
mod differential;
#[cfg(test)]
mod grammar_tests;
#[cfg(test)]
mod plan_tests;
#[cfg(test)]
mod ported;
#[cfg(test)]
mod tests;

use super::{Db, Functions};
use ion_anomaly::IonError;
use ion_edn::Edn;

/// An input to a query: a database for a `$` source, or a value.
pub enum Input<'a> {
    /// A database value.
    Db(&'a Db),
    /// An EDN value (scalar, collection, tuple, relation or rules).
    Value(Edn<'static>),
}

/// How long a tool's query (`host db q`, a node's admin `/q`) may run unless told
/// otherwise: the Datomic Client API's default `:timeout` for `q`, 60 s.
pub const TOOL_TIMEOUT_MS: u64 = 60_000;

/// When a query must stop, and what to call that time in the `interrupted` anomaly.
#[derive(Debug, Clone)]
pub struct Deadline {
    /// The instant.
    pub at: std::time::Instant,
    /// Completes "the query ran past …": "its :timeout of 5 ms".
    pub what: String,
}

impl Deadline {
    /// `ms` milliseconds from now, called `what` ("its --timeout of 100 ms").
    pub fn after_ms(ms: u64, what: impl Into<String>) -> Deadline {
        Deadline {
            at: std::time::Instant::now() + std::time::Duration::from_millis(ms),
            what: what.into(),
        }
    }
}

/// Runs `query` with `inputs` bound to its `:in` in order. `query` may also be the
/// Client API's arg map `{:query q :offset n :limit n :timeout ms}`: the result is then
/// cut to `:offset`/`:limit`, and a query running past `:timeout` milliseconds stops
/// with `interrupted`.
pub async fn q(
    query: &Edn<'_>,
    inputs: Vec<Input<'_>>,
    fns: &dyn Functions,
) -> Result<Edn<'static>, IonError> {
    q_until(query, inputs, fns, None).await
}

/// `q`, stopping with `interrupted` at `bound` too (the calling ion's time), or at the
/// query's own `:timeout` if that comes first.
pub async fn q_until(
    query: &Edn<'_>,
    inputs: Vec<Input<'_>>,
    fns: &dyn Functions,
    bound: Option<Deadline>,
) -> Result<Edn<'static>, IonError> {
    let Some(inner) = ion_edn::get(query, "query") else {
        return Ok(run(query, inputs, fns, bound, None).await?.0);
    };
    let count = |key: &str| -> Result<Option<usize>, IonError> {
        match ion_edn::get(query, key) {
            None | Some(Edn::Nil) => Ok(None),
            Some(Edn::Int(n)) if *n >= 0 => Ok(Some(*n as usize)),
            Some(other) => Err(parse::incorrect(format!(
                ":{key}: expected a count, found {}",
                ion_edn::print(other)
            ))),
        }
    };
    let (offset, limit, timeout) = (count("offset")?, count("limit")?, count("timeout")?);
    let own = timeout.map(|ms| Deadline::after_ms(ms as u64, format!("its :timeout of {ms} ms")));
    let deadline = match (own, bound) {
        (Some(a), Some(b)) => Some(if a.at <= b.at { a } else { b }),
        (a, b) => a.or(b),
    };
    let page = limit.map(|take| (offset.unwrap_or(0), take));
    let (result, paged) = run(inner, inputs, fns, deadline, page).await?;
    // A paged result holds the page's tuples already (the offset skipped as found).
    let skip = if paged { 0 } else { offset.unwrap_or(0) };
    Ok(match &result {
        Edn::Vector(items) => Edn::Vector(
            items
                .iter()
                .skip(skip)
                .take(limit.unwrap_or(usize::MAX))
                .cloned()
                .collect(),
        ),
        _ => result,
    })
}

/// Runs a parsed query; with `page` (`:offset`, `:limit`), stops early where it may (see
/// `pageable`) and answers whether it did.
async fn run(
    query: &Edn<'_>,
    inputs: Vec<Input<'_>>,
    fns: &dyn Functions,
    deadline: Option<Deadline>,
    page: Option<(usize, usize)>,
) -> Result<(Edn<'static>, bool), IonError> {
    let parsed = parse::parse(query)?;
    let mut ctx = eval::Ctx::new(fns);
    ctx.deadline = deadline;
    let rows = ctx.bind_inputs(&parsed, inputs)?;
    let mut parsed = parsed;
    parsed.clauses = planned(&ctx, &parsed.clauses, &rows);
    let (rows, paged) = match page {
        Some((skip, take)) if pageable(&parsed) => {
            let page = eval::Page {
                vars: parsed
                    .find
                    .iter()
                    .map(|e| find::var_of(e).to_owned())
                    .collect(),
                skip,
                take,
            };
            let (rows, paged) = ctx.clauses_paged(&parsed.clauses, rows, &page).await?;
            (flat::Rel::Rows(rows), paged)
        }
        _ => (
            ctx.clauses_rel(&parsed.clauses, flat::Rel::Rows(rows))
                .await?,
            false,
        ),
    };
    Ok((find::shape(&ctx, &parsed, rows).await?, paged))
}

/// `clauses` in the order the planner runs them, given the variables `rows` bind.
fn planned(ctx: &eval::Ctx<'_>, clauses: &[Edn<'static>], rows: &[eval::Row]) -> Vec<Edn<'static>> {
    plan::order(clauses, &ctx.sources, &bound_vars(rows))
        .into_iter()
        .map(|s| s.clause)
        .collect()
}

/// The plan `query` would run with `inputs`, as EDN: each `:where` clause in the order it
/// runs, with the estimate a reordered data pattern was chosen by (`host db q --explain`).
pub fn explain(
    query: &Edn<'_>,
    inputs: Vec<Input<'_>>,
    fns: &dyn Functions,
) -> Result<Edn<'static>, IonError> {
    let query = ion_edn::get(query, "query").unwrap_or(query);
    let parsed = parse::parse(query)?;
    let mut ctx = eval::Ctx::new(fns);
    let rows = ctx.bind_inputs(&parsed, inputs)?;
    Ok(plan::to_edn(&plan::order(
        &parsed.clauses,
        &ctx.sources,
        &bound_vars(&rows),
    )))
}

/// The variables the starting relation binds (its rows all bind the same ones).
fn bound_vars(rows: &[eval::Row]) -> std::collections::HashSet<String> {
    rows.first()
        .map(|r| r.keys().map(|k| k.to_string()).collect())
        .unwrap_or_default()
}

/// Whether `:offset`/`:limit` may stop a query early: its result is a set of tuples of
/// plain variables or pulls (no aggregate, no `:with`, a relation or collection), and its
/// clauses are data patterns and expressions only, which find rows in the same order
/// every time (so that pages never overlap). Such a query's pages are its tuples in the
/// order its last clause finds them, each page sorted; any other is sorted, then cut.
fn pageable(q: &parse::Query) -> bool {
    q.with.is_empty()
        && !q.find.iter().any(|e| matches!(e, parse::FindElem::Agg(..)))
        && matches!(q.shape, parse::Shape::Relation | parse::Shape::Coll)
        && q.clauses.iter().all(|c| matches!(c, Edn::Vector(_)))
}
