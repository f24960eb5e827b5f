//! Datalog queries over database values: `parse` reads the query, `eval` runs its
//! `:where` clauses in the order written (patterns through the index their bound
//! components choose, rows joined by hash on the values they share), and `find` shapes
//! the result (aggregates, `pull`, `:keys`). Ion query functions are reached through
//! `Functions`, which checks `:allow`.

mod builtins;
mod eval;
mod find;
mod parse;

#[cfg(test)]
mod tests;

use super::{Db, Functions};
use crate::anomaly::IonError;
use ion_edn::Edn;

/// An input to a query: a database for a `$` source, or a value.
pub enum Input<'a> {
    /// A database value.
    Db(&'a Db),
    /// An EDN value (scalar, collection, tuple, relation or rules).
    Value(Edn<'static>),
}

/// Runs `query` with `inputs` bound to its `:in` in order.
pub async fn q(
    query: &Edn<'_>,
    inputs: Vec<Input<'_>>,
    fns: &dyn Functions,
) -> Result<Edn<'static>, IonError> {
    let parsed = parse::parse(query)?;
    let mut ctx = eval::Ctx::new(fns);
    let rows = ctx.bind_inputs(&parsed, inputs)?;
    let rows = ctx.clauses(&parsed.clauses, rows).await?;
    find::shape(&ctx, &parsed, rows).await
}
