//! A transaction's log record: what storage keeps of each transaction, and how a node
//! applies one (its own or another node's) to its value. The text is EDN,
//! `{:t 42 :id "…" :next-n … :instant … :datoms [[e a v tx added] …]}`, with `:t` first so
//! storage can read a record's `t` without parsing it; `:id` is unique per attempt, so
//! a writer whose append failed midway can tell its own record from another node's.

use super::datom::Datom;
use super::value::Value;
use super::value_db::Db;
use anyhow::{Result, anyhow, bail};
use ion_edn::Edn;

/// The record of transaction `t` (attempt `id`): the datoms it added, the next entity
/// number after it and its instant.
pub fn encode(t: i64, id: &str, next_n: i64, instant_ms: i64, datoms: &[Datom]) -> Vec<u8> {
    let datoms: Vec<Edn<'static>> = datoms.iter().map(Datom::to_edn).collect();
    format!(
        "{{:t {t} :id {} :next-n {next_n} :instant {instant_ms} :datoms {}}}",
        ion_edn::quote(id),
        ion_edn::print(&Edn::Vector(datoms))
    )
    .into_bytes()
}

/// The attempt id a record carries (records written before ids have none).
pub fn id(bytes: &[u8]) -> Option<String> {
    let doc = ion_edn::read(std::str::from_utf8(bytes).ok()?).ok()?;
    match ion_edn::get(&doc, "id") {
        Some(Edn::Str(s)) => Some(s.to_string()),
        _ => None,
    }
}

/// Applies the record `bytes` to `db`, which must be at the record's `t - 1`.
pub fn apply(db: &mut Db, bytes: &[u8]) -> Result<()> {
    let text = std::str::from_utf8(bytes).map_err(|_| anyhow!("the record is not UTF-8"))?;
    let doc = ion_edn::read(text).map_err(|e| anyhow!("the record is not EDN: {e}"))?;
    let int = |k: &str| match ion_edn::get(&doc, k) {
        Some(Edn::Int(n)) => Ok(*n),
        _ => Err(anyhow!("the record's :{k} is missing")),
    };
    let (t, next_n, instant) = (int("t")?, int("next-n")?, int("instant")?);
    if t != db.basis_t() + 1 {
        bail!(
            "the record is for t {t}, but the database is at t {}",
            db.basis_t()
        );
    }
    let Some(Edn::Vector(items)) = ion_edn::get(&doc, "datoms") else {
        bail!("the record's :datoms is missing");
    };
    let mut datoms = Vec::with_capacity(items.len());
    for item in items {
        let Edn::Vector(f) = item else {
            bail!("a datom is not a vector")
        };
        let (
            Some(Edn::Int(e)),
            Some(Edn::Int(a)),
            Some(v),
            Some(Edn::Int(tx)),
            Some(Edn::Bool(added)),
        ) = (f.first(), f.get(1), f.get(2), f.get(3), f.get(4))
        else {
            bail!("malformed datom {}", ion_edn::print(item));
        };
        let value_type = db
            .schema
            .attrs
            .get(a)
            .map(|attr| attr.value_type)
            .ok_or_else(|| anyhow!("datom {} names unknown attribute {a}", ion_edn::print(item)))?;
        let v = Value::from_edn(v, value_type)
            .map_err(|m| anyhow!("datom {}: {m}", ion_edn::print(item)))?;
        datoms.push(Datom {
            e: *e,
            a: *a,
            v,
            tx: *tx,
            added: *added,
        });
    }
    db.apply(&datoms, t, next_n, instant)?;
    Ok(())
}
