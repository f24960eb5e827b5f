//! Datalog queries over database values: `parse` reads the query, `eval` runs its
//! `:where` clauses in the order written (patterns through the index their bound
//! components choose, rows joined by hash on the values they share), and `find` shapes
//! the result (aggregates, `pull`, `:keys`). Ion query functions are reached through
//! `Functions`, which checks `:allow`.

mod bind;
mod builtins;
mod eval;
mod expr;
mod find;
mod parse;
mod rules;
mod scan;

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

/// When a query must stop, and what to call that time in the `interrupted` anomaly.
#[derive(Debug, Clone)]
pub struct Deadline {
    /// The instant.
    pub at: std::time::Instant,
    /// Completes "the query ran past …": "its :timeout of 5 ms".
    pub what: String,
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
        return run(query, inputs, fns, bound).await;
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
    let own = timeout.map(|ms| Deadline {
        at: std::time::Instant::now() + std::time::Duration::from_millis(ms as u64),
        what: format!("its :timeout of {ms} ms"),
    });
    let deadline = match (own, bound) {
        (Some(a), Some(b)) => Some(if a.at <= b.at { a } else { b }),
        (a, b) => a.or(b),
    };
    let result = run(inner, inputs, fns, deadline).await?;
    Ok(match &result {
        Edn::Vector(items) => Edn::Vector(
            items
                .iter()
                .skip(offset.unwrap_or(0))
                .take(limit.unwrap_or(usize::MAX))
                .cloned()
                .collect(),
        ),
        _ => result,
    })
}

async fn run(
    query: &Edn<'_>,
    inputs: Vec<Input<'_>>,
    fns: &dyn Functions,
    deadline: Option<Deadline>,
) -> Result<Edn<'static>, IonError> {
    let parsed = parse::parse(query)?;
    let mut ctx = eval::Ctx::new(fns);
    ctx.deadline = deadline;
    let rows = ctx.bind_inputs(&parsed, inputs)?;
    let rows = ctx.clauses(&parsed.clauses, rows).await?;
    find::shape(&ctx, &parsed, rows).await
}
