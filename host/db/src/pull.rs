//! Pull: a hierarchical selection of an entity's attributes by pattern — attribute
//! names, `*`, nested maps for refs, reverse refs `:ns/_attr`, options `:limit`,
//! `:default`, `:as` and `:xform` (calling the app's xforms through `Functions`).

use super::Functions;
use super::value::{Value, ValueType};
use super::value_db::{Components, Db, Index};
use ion_anomaly::{Category, IonError};
use ion_edn::{Edn, keyword};
use std::collections::BTreeMap;

/// How many values of a cardinality-many attribute pull returns unless told.
pub const DEFAULT_LIMIT: usize = 1000;
const MAX_DEPTH: usize = 64;

fn incorrect(msg: String) -> IonError {
    IonError::new(Category::Incorrect, msg)
}

/// Pulls `pattern` from entity `e`; `nil` when the entity has no datoms.
pub async fn pull(
    db: &Db,
    pattern: &Edn<'_>,
    e: i64,
    fns: &dyn Functions,
) -> Result<Edn<'static>, IonError> {
    if db.view() == super::value_db::View::History {
        return Err(incorrect(
            "pull does not work on a history database value".into(),
        ));
    }
    let has_any = !db
        .datoms(
            Index::Eavt,
            &Components {
                e: Some(e),
                ..Default::default()
            },
        )?
        .is_empty();
    if !has_any {
        return Ok(Edn::Nil);
    }
    pull_entity(db, pattern, e, fns, 0).await
}

/// One attribute spec of a pattern, with its options.
struct Spec {
    attr: String,
    reverse: bool,
    key: Edn<'static>,
    limit: Option<usize>,
    default: Option<Edn<'static>>,
    xform: Option<String>,
    sub: Option<Edn<'static>>,
}

fn owned(v: &Edn<'_>) -> Edn<'static> {
    ion_edn::read(&ion_edn::print(v)).unwrap_or(Edn::Nil)
}

fn spec(item: &Edn<'_>, sub: Option<Edn<'static>>) -> Result<Spec, IonError> {
    let (name, opts): (&Edn<'_>, &[Edn<'_>]) = match item {
        Edn::Key(_) => (item, &[]),
        Edn::Vector(v) | Edn::List(v) if !v.is_empty() => (&v[0], &v[1..]),
        other => {
            return Err(incorrect(format!(
                "pull: {} is not an attribute spec",
                ion_edn::print(other)
            )));
        }
    };
    let Edn::Key(attr) = name else {
        return Err(incorrect(format!(
            "pull: {} is not an attribute",
            ion_edn::print(name)
        )));
    };
    let (ns, rest) = attr.split_once('/').unwrap_or(("", attr));
    let reverse = rest.starts_with('_');
    let mut s = Spec {
        attr: if reverse {
            format!("{ns}/{}", &rest[1..])
        } else {
            attr.to_string()
        },
        reverse,
        key: keyword(attr),
        limit: None,
        default: None,
        xform: None,
        sub,
    };
    if opts.len() % 2 != 0 {
        return Err(incorrect(format!(
            "pull: the options of {} come in pairs",
            ion_edn::print(item)
        )));
    }
    for pair in opts.chunks(2) {
        match (&pair[0], &pair[1]) {
            (Edn::Key(k), Edn::Int(n)) if k == "limit" && *n >= 0 => s.limit = Some(*n as usize),
            (Edn::Key(k), Edn::Nil) if k == "limit" => s.limit = Some(usize::MAX),
            (Edn::Key(k), v) if k == "default" => s.default = Some(owned(v)),
            (Edn::Key(k), v) if k == "as" => s.key = owned(v),
            (Edn::Key(k), Edn::Symbol(f)) if k == "xform" => s.xform = Some(f.to_string()),
            (k, v) => {
                return Err(incorrect(format!(
                    "pull: unknown option {} {} (known: :limit :default :as :xform)",
                    ion_edn::print(k),
                    ion_edn::print(v)
                )));
            }
        }
    }
    Ok(s)
}

fn pull_entity<'a>(
    db: &'a Db,
    pattern: &'a Edn<'_>,
    e: i64,
    fns: &'a dyn Functions,
    depth: usize,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<Edn<'static>, IonError>> + Send + 'a>>
{
    Box::pin(async move {
        if depth > MAX_DEPTH {
            return Err(incorrect(format!("pull nests deeper than {MAX_DEPTH}")));
        }
        let Edn::Vector(items) = pattern else {
            return Err(incorrect(format!(
                "a pull pattern is a vector, found {}",
                ion_edn::print(pattern)
            )));
        };
        let mut out: BTreeMap<Edn<'static>, Edn<'static>> = BTreeMap::new();
        let mut specs = Vec::new();
        for item in items {
            match item {
                Edn::Symbol(s) | Edn::Str(s) if s == "*" => {
                    out.insert(keyword("db/id"), Edn::Int(e));
                    let datoms = db.datoms(
                        Index::Eavt,
                        &Components {
                            e: Some(e),
                            ..Default::default()
                        },
                    )?;
                    let mut attrs: Vec<i64> = datoms.iter().map(|d| d.a).collect();
                    attrs.dedup();
                    for a in attrs {
                        if let Some(attr) = db.schema.attrs.get(&a) {
                            let sub =
                                (attr.component).then(|| ion_edn::read("[*]").expect("valid"));
                            specs.push(Spec {
                                attr: attr.ident.clone(),
                                reverse: false,
                                key: keyword(&attr.ident),
                                limit: None,
                                default: None,
                                xform: None,
                                sub,
                            });
                        }
                    }
                }
                Edn::Map(m) => {
                    for (k, v) in m {
                        specs.push(spec(k, Some(owned(v)))?);
                    }
                }
                Edn::Key(k) if k == "db/id" => {
                    out.insert(keyword("db/id"), Edn::Int(e));
                }
                other => specs.push(spec(other, None)?),
            }
        }
        for s in specs {
            if let Some(v) = pull_attr(db, &s, e, fns, depth).await? {
                let v = match &s.xform {
                    Some(f) => fns.xform(f, v).await?,
                    None => v,
                };
                out.insert(s.key.clone(), v);
            } else if let Some(d) = s.default.clone() {
                out.insert(s.key.clone(), d);
            }
        }
        Ok(Edn::Map(out))
    })
}

async fn pull_attr(
    db: &Db,
    s: &Spec,
    e: i64,
    fns: &dyn Functions,
    depth: usize,
) -> Result<Option<Edn<'static>>, IonError> {
    let attr = db
        .schema
        .attr(&s.attr)
        .ok_or_else(|| {
            incorrect(format!(
                "pull: :{} is not an attribute of this database",
                s.attr
            ))
        })?
        .clone();
    let limit = s.limit.unwrap_or(DEFAULT_LIMIT);
    let values: Vec<Value> = if s.reverse {
        db.datoms(
            Index::Vaet,
            &Components {
                v: Some(Value::Ref(e)),
                a: Some(attr.id),
                ..Default::default()
            },
        )?
        .into_iter()
        .map(|d| Value::Ref(d.e))
        .collect()
    } else {
        db.values(e, attr.id)?
    };
    if values.is_empty() {
        return Ok(None);
    }
    let mut out = Vec::new();
    for v in values.into_iter().take(limit) {
        out.push(match (&v, attr.value_type == ValueType::Ref || s.reverse) {
            (Value::Ref(r), true) => match &s.sub {
                Some(sub) if matches!(sub, Edn::Vector(_)) => {
                    pull_entity(db, sub, *r, fns, depth + 1).await?
                }
                _ if attr.component && !s.reverse => {
                    pull_entity(
                        db,
                        &ion_edn::read("[*]").expect("valid"),
                        *r,
                        fns,
                        depth + 1,
                    )
                    .await?
                }
                _ => Edn::Map(BTreeMap::from([(keyword("db/id"), Edn::Int(*r))])),
            },
            _ => v.to_edn(),
        });
    }
    Ok(Some(if attr.many || s.reverse {
        Edn::Vector(out)
    } else {
        out.remove(0)
    }))
}
