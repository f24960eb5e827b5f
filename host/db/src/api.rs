//! Database requests as the Client API shapes them, independent of who asks (an ion
//! through WIT, or `host db` from the shell): arg maps in, EDN out. Entity ids may be
//! given as ids, idents or lookup refs; index components are typed by their attribute.

use super::expand::{ERef, attr_id, entity_ref};
use super::pull::pull;
use super::value::{Value, ValueType};
use super::value_db::{Components, Db, Index};
use super::{Functions, TxReport};
use ion_anomaly::{Category, IonError};
use ion_edn::{Edn, keyword};

fn incorrect(msg: String) -> IonError {
    IonError::new(Category::Incorrect, msg)
}

/// Reads an EDN argument.
pub fn read(text: &str, what: &str) -> Result<Edn<'static>, IonError> {
    ion_edn::read(text).map_err(|e| incorrect(format!("{what} is not EDN: {e}")))
}

/// The entity id `e` names (an id, an ident or a lookup ref).
pub fn resolve_eid(db: &Db, e: &Edn<'_>) -> Result<i64, IonError> {
    match entity_ref(db, e)? {
        ERef::Id(id) => Ok(id),
        ERef::Lookup(a, v) => db.entity_with(a, &v)?.ok_or_else(|| {
            IonError::new(
                Category::NotFound,
                format!("lookup ref {} names no entity", ion_edn::print(e)),
            )
        }),
        _ => Err(incorrect(format!(
            "{} does not name an existing entity",
            ion_edn::print(e)
        ))),
    }
}

/// `pull` with `{:selector [...] :eid e}`.
pub async fn pull_request(
    db: &Db,
    request: &Edn<'_>,
    fns: &dyn Functions,
) -> Result<Edn<'static>, IonError> {
    let selector = ion_edn::get(request, "selector")
        .ok_or_else(|| incorrect("pull needs :selector".into()))?;
    let eid = ion_edn::get(request, "eid").ok_or_else(|| incorrect("pull needs :eid".into()))?;
    let e = resolve_eid(db, eid)?;
    pull(db, selector, e, fns).await
}

/// `datoms` with `{:index :eavt :components [...] :offset n :limit n}`.
pub fn datoms_request(db: &Db, request: &Edn<'_>) -> Result<Edn<'static>, IonError> {
    let index = match ion_edn::get(request, "index") {
        Some(Edn::Key(k)) => Index::parse(k).ok_or_else(|| {
            incorrect(format!(
                ":index :{k}: expected :eavt, :aevt, :avet or :vaet"
            ))
        })?,
        _ => {
            return Err(incorrect(
                "datoms needs :index (:eavt, :aevt, :avet or :vaet)".into(),
            ));
        }
    };
    let components: Vec<Edn<'_>> = match ion_edn::get(request, "components") {
        None | Some(Edn::Nil) => Vec::new(),
        Some(Edn::Vector(c)) | Some(Edn::List(c)) => c.clone(),
        Some(other) => {
            return Err(incorrect(format!(
                ":components: expected a vector, found {}",
                ion_edn::print(other)
            )));
        }
    };
    let c = components_for(db, index, &components)?;
    let offset = int_opt(request, "offset")?.unwrap_or(0);
    let limit = int_opt(request, "limit")?.unwrap_or(1000);
    let out = db
        .datoms(index, &c)?
        .into_iter()
        .skip(offset)
        .take(limit)
        .map(|d| d.to_edn())
        .collect();
    Ok(Edn::Vector(out))
}

fn int_opt(request: &Edn<'_>, key: &str) -> Result<Option<usize>, IonError> {
    match ion_edn::get(request, key) {
        None | Some(Edn::Nil) => Ok(None),
        Some(Edn::Int(n)) if *n >= 0 => Ok(Some(*n as usize)),
        Some(other) => Err(incorrect(format!(
            ":{key}: expected a count, found {}",
            ion_edn::print(other)
        ))),
    }
}

/// Index components in the index's order, typed by the attribute they name.
pub fn components_for(db: &Db, index: Index, items: &[Edn<'_>]) -> Result<Components, IonError> {
    let mut c = Components::default();
    let order: &[char] = match index {
        Index::Eavt => &['e', 'a', 'v', 't'],
        Index::Aevt => &['a', 'e', 'v', 't'],
        Index::Avet => &['a', 'v', 'e', 't'],
        Index::Vaet => &['v', 'a', 'e', 't'],
    };
    if items.len() > 4 {
        return Err(incorrect(format!(
            "at most 4 components, found {}",
            items.len()
        )));
    }
    // The attribute first, so the value can be typed by it.
    if let Some(i) = order.iter().position(|k| *k == 'a')
        && let Some(a) = items.get(i)
    {
        c.a = Some(attr_id(db, a)?);
    }
    for (k, item) in order.iter().zip(items) {
        match k {
            'e' => c.e = Some(resolve_eid(db, item)?),
            't' => {
                c.tx = Some(match item {
                    Edn::Int(n) => *n,
                    other => {
                        return Err(incorrect(format!(
                            "a tx component is an id, found {}",
                            ion_edn::print(other)
                        )));
                    }
                })
            }
            'v' => {
                let value_type = match (index, c.a) {
                    (Index::Vaet, _) => ValueType::Ref,
                    (_, Some(a)) => db.schema.attrs[&a].value_type,
                    (_, None) => {
                        return Err(incorrect(
                            "a value component needs its attribute before it".into(),
                        ));
                    }
                };
                c.v = Some(if value_type == ValueType::Ref {
                    Value::Ref(resolve_eid(db, item)?)
                } else {
                    Value::from_edn(item, value_type)?
                });
            }
            _ => {}
        }
    }
    Ok(c)
}

/// A tx report's datoms and tempids as EDN.
pub fn report_edn(report: &TxReport) -> (Edn<'static>, Edn<'static>) {
    let data = report.tx_data.iter().map(|d| d.to_edn()).collect();
    let tempids = report
        .tempids
        .iter()
        .map(|(k, v)| (ion_edn::string(k.clone()), Edn::Int(*v)))
        .collect();
    (Edn::Vector(data), Edn::Map(tempids))
}

/// The tx report as one EDN map (for the shell): `{:basis-t t :tx-data [...] :tempids {...}}`.
pub fn report_map(report: &TxReport) -> Edn<'static> {
    let (data, tempids) = report_edn(report);
    Edn::Map(
        [
            (keyword("basis-t"), Edn::Int(report.db_after.basis_t())),
            (keyword("tx-data"), data),
            (keyword("tempids"), tempids),
        ]
        .into_iter()
        .collect(),
    )
}

/// `index-range` with `{:attrid a :start v :end v :limit n}`: AVET datoms of attribute
/// `a` with `start <= v < end` (either bound may be absent).
pub fn index_range_request(db: &Db, request: &Edn<'_>) -> Result<Edn<'static>, IonError> {
    let a = attr_id(
        db,
        ion_edn::get(request, "attrid")
            .ok_or_else(|| incorrect("index-range needs :attrid".into()))?,
    )?;
    let value_type = db.schema.attrs[&a].value_type;
    let bound = |key: &str| -> Result<Option<Value>, IonError> {
        match ion_edn::get(request, key) {
            None | Some(Edn::Nil) => Ok(None),
            Some(v) if value_type == ValueType::Ref => Ok(Some(Value::Ref(resolve_eid(db, v)?))),
            Some(v) => Value::from_edn(v, value_type)
                .map(Some)
                .map_err(|m| incorrect(format!(":{key}: {m}"))),
        }
    };
    let (start, end) = (bound("start")?, bound("end")?);
    let limit = int_opt(request, "limit")?.unwrap_or(1000);
    let c = Components {
        a: Some(a),
        ..Default::default()
    };
    // The current view reads only the stretch asked for; others filter what they show.
    let datoms = match db.view() {
        super::value_db::View::Current => {
            db.avet_range(a, start.as_ref(), end.as_ref().map(|e| (e, false)))?
        }
        _ => db.datoms(Index::Avet, &c)?,
    };
    let out = datoms
        .into_iter()
        .filter(|d| {
            start.as_ref().is_none_or(|s| d.v >= *s) && end.as_ref().is_none_or(|e| d.v < *e)
        })
        .take(limit)
        .map(|d| d.to_edn())
        .collect();
    Ok(Edn::Vector(out))
}

/// `tx-range` with `{:start t :end t}`: each transaction with `start <= t < end`, as
/// `{:t t :data [datoms]}`, in order.
pub fn tx_range_request(db: &Db, request: &Edn<'_>) -> Result<Edn<'static>, IonError> {
    let t_of = |key: &str| -> Result<Option<i64>, IonError> {
        match ion_edn::get(request, key) {
            None | Some(Edn::Nil) => Ok(None),
            Some(p) => Ok(Some(db.point_t(p)?)),
        }
    };
    let (start, end) = (t_of("start")?, t_of("end")?);
    let mut by_t: std::collections::BTreeMap<i64, Vec<Edn<'static>>> =
        std::collections::BTreeMap::new();
    for d in db.history().datoms(Index::Eavt, &Components::default())? {
        let t = super::schema::t_of(d.tx);
        if t == 0 || start.is_some_and(|s| t < s) || end.is_some_and(|e| t >= e) {
            continue;
        }
        by_t.entry(t).or_default().push(d.to_edn());
    }
    Ok(Edn::Vector(
        by_t.into_iter()
            .map(|(t, data)| {
                Edn::Map(
                    [
                        (keyword("t"), Edn::Int(t)),
                        (keyword("data"), Edn::Vector(data)),
                    ]
                    .into_iter()
                    .collect(),
                )
            })
            .collect(),
    ))
}
