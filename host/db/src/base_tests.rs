//! A value opened from a snapshot (a base of sorted runs) and then transacted on (a tail
//! over it, retracting some of the base) answers every read exactly as the same value
//! built in memory all along.

use crate::datom::Datom;
use crate::value_db::{Components, Db, Index};
use crate::{NoFunctions, snapshot, transact};
use ion_edn::read;

async fn tx(db: &Db, data: &str) -> Db {
    transact::transact(db, &read(data).unwrap(), &NoFunctions, 0)
        .await
        .unwrap_or_else(|e| panic!("{data}: {e:?}"))
        .db_after
}

fn all(db: &Db, index: Index) -> Vec<Datom> {
    db.datoms(index, &Components::default())
        .iter()
        .map(|d| (**d).clone())
        .collect()
}

/// Every read the two values offer, compared.
fn same(a: &Db, b: &Db, when: &str) {
    assert_eq!(a.basis_t(), b.basis_t(), "{when}");
    assert_eq!(a.count(), b.count(), "{when}: count");
    for index in [Index::Eavt, Index::Aevt, Index::Avet, Index::Vaet] {
        assert_eq!(all(a, index), all(b, index), "{when}: {index:?}");
    }
    for t in 0..=a.basis_t() {
        for (x, y, view) in [
            (a.as_of(t), b.as_of(t), "as-of"),
            (a.since(t), b.since(t), "since"),
        ] {
            assert_eq!(
                all(&x, Index::Eavt),
                all(&y, Index::Eavt),
                "{when}: {view} {t}"
            );
        }
    }
    assert_eq!(
        all(&a.history(), Index::Eavt),
        all(&b.history(), Index::Eavt),
        "{when}: history"
    );
    assert_eq!(a.schema().idents, b.schema().idents, "{when}: schema");
    let name = a.schema().idents["person/name"];
    for i in 0..12 {
        let v = crate::value::Value::Str(format!("p{i}"));
        assert_eq!(
            a.entity_with(name, &v),
            b.entity_with(name, &v),
            "{when}: p{i}"
        );
    }
}

#[tokio::test]
async fn a_value_opened_from_a_snapshot_reads_as_the_value_built_in_memory() {
    let schema = r#"[{:db/ident :person/name :db/valueType :db.type/string :db/cardinality :db.cardinality/one :db/unique :db.unique/identity}
                     {:db/ident :person/age :db/valueType :db.type/long :db/cardinality :db.cardinality/one}
                     {:db/ident :person/friend :db/valueType :db.type/ref :db/cardinality :db.cardinality/many}
                     {:db/ident :person/tag :db/valueType :db.type/keyword :db/cardinality :db.cardinality/many}]"#;
    let mut db = tx(&Db::empty(), schema).await;
    let people: String = (0..10)
        .map(|i| {
            format!(
                "{{:db/id \"p{i}\" :person/name \"p{i}\" :person/age {} :person/tag [:a :b{}] :person/friend [\"p{}\"]}}",
                20 + i,
                i % 3,
                (i + 1) % 10
            )
        })
        .collect();
    db = tx(&db, &format!("[{people}]")).await;
    db = tx(
        &db,
        r#"[[:db/retract [:person/name "p1"] :person/age 21]
                     {:db/id [:person/name "p2"] :person/age 40}]"#,
    )
    .await;
    // Open from a snapshot: everything so far is the base.
    let mut opened = snapshot::decode(&snapshot::encode(&db)).unwrap();
    same(&db, &opened, "just opened");
    // Transactions on both: retracting base datoms, replacing them, adding new ones,
    // retracting what the tail added, and a whole entity.
    let more = [
        r#"[[:db/retract [:person/name "p3"] :person/tag :a]
            {:db/id [:person/name "p4"] :person/age 99 :person/tag [:c]}
            {:db/id "p10" :person/name "p10" :person/friend [[:person/name "p0"]]}]"#,
        r#"[[:db/retract [:person/name "p4"] :person/tag :c]
            [:db/add [:person/name "p3"] :person/tag :a]
            [:db/retractEntity [:person/name "p5"]]]"#,
        r#"[{:db/id "p11" :person/name "p11" :person/age 1}
            [:db/retract [:person/name "p10"] :person/friend [:person/name "p0"]]]"#,
    ];
    for (i, data) in more.iter().enumerate() {
        db = tx(&db, data).await;
        opened = tx(&opened, data).await;
        same(&db, &opened, &format!("after transaction {i}"));
    }
    // And a snapshot of a value that has both a base and a tail.
    let again = snapshot::decode(&snapshot::encode(&opened)).unwrap();
    same(&db, &again, "opened twice");
}

#[test]
fn a_version_1_snapshot_still_opens() {
    // A version 1 body: basis t 0, next n 1000, no transactions, no datoms, no history.
    let mut body = Vec::new();
    body.extend(0i64.to_le_bytes());
    body.extend(1000i64.to_le_bytes());
    body.extend(0u64.to_le_bytes());
    body.extend(0u64.to_le_bytes());
    body.extend(0u64.to_le_bytes());
    assert_eq!(snapshot::basis_t(&body), Some(0));
    let db = snapshot::decode(&body).unwrap();
    assert_eq!((db.basis_t(), db.count()), (0, 0));
}
