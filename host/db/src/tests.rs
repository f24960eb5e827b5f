//! The database without an app: every tx-data form, value types, uniqueness and upsert,
//! cas, retractEntity with components, time travel, pull and datoms, and the log's
//! replay (including a torn record at its end).

use super::*;
use ion_edn::{Edn, read};
use std::sync::Arc;

/// The ion-starter's inventory schema (Datomic's docs tutorial).
const SCHEMA: &str = r#"[{:db/ident :inv/sku :db/valueType :db.type/string :db/unique :db.unique/identity :db/cardinality :db.cardinality/one}
 {:db/ident :inv/color :db/valueType :db.type/keyword :db/cardinality :db.cardinality/one}
 {:db/ident :inv/size :db/valueType :db.type/keyword :db/cardinality :db.cardinality/one}
 {:db/ident :inv/type :db/valueType :db.type/keyword :db/cardinality :db.cardinality/one}
 {:db/ident :inv/count :db/valueType :db.type/long :db/cardinality :db.cardinality/one}
 {:db/ident :inv/tags :db/valueType :db.type/string :db/cardinality :db.cardinality/many}
 {:db/ident :inv/parts :db/valueType :db.type/ref :db/cardinality :db.cardinality/many :db/isComponent true}
 {:db/ident :inv/maker :db/valueType :db.type/ref :db/cardinality :db.cardinality/one}
 {:db/ident :inv/email :db/valueType :db.type/string :db/unique :db.unique/value :db/cardinality :db.cardinality/one}]"#;

async fn tx(db: &Db, data: &str) -> Result<TxReport, IonError> {
    transact::transact(db, &read(data).unwrap(), &NoFunctions, 1_800_000_000_000).await
}

async fn with_schema() -> Db {
    tx(&Db::empty(), SCHEMA).await.unwrap().db_after
}

async fn pulled(db: &Db, pattern: &str, e: i64) -> String {
    ion_edn::print(
        &pull::pull(db, &read(pattern).unwrap(), e, &NoFunctions)
            .await
            .unwrap(),
    )
}

fn sku(db: &Db, s: &str) -> i64 {
    db.entity_with(
        db.schema().attr("inv/sku").unwrap().id,
        &Value::Str(s.into()),
    )
    .unwrap()
    .unwrap()
}

#[tokio::test]
async fn map_forms_tempids_lookup_refs_and_upsert() {
    let db = with_schema().await;
    let r = tx(
        &db,
        r#"[{:db/id "shirt" :inv/sku "SKU-1" :inv/color :red :inv/count 3 :inv/tags ["a" "b"]}
                       [:db/add "hat" :inv/sku "SKU-2"]
                       [:db/add "hat" :inv/color :blue]]"#,
    )
    .await
    .unwrap();
    let shirt = r.tempids["shirt"];
    assert_eq!(r.tempids["hat"], sku(&r.db_after, "SKU-2"));
    assert_eq!(
        pulled(
            &r.db_after,
            "[:inv/sku :inv/color :inv/count :inv/tags]",
            shirt
        )
        .await,
        r#"{:inv/color :red, :inv/count 3, :inv/sku "SKU-1", :inv/tags ["a" "b"]}"#
    );
    // Upsert: a tempid with an existing identity value is that entity; card-one replaces.
    let r2 = tx(
        &r.db_after,
        r#"[{:inv/sku "SKU-1" :inv/count 4} [:db/add [:inv/sku "SKU-2"] :inv/count 9]]"#,
    )
    .await
    .unwrap();
    assert_eq!(
        pulled(&r2.db_after, "[:inv/count]", shirt).await,
        "{:inv/count 4}"
    );
    let retracted: Vec<String> = r2
        .tx_data
        .iter()
        .filter(|d| !d.added)
        .map(|d| ion_edn::print(&d.v.to_edn()))
        .collect();
    assert_eq!(retracted, ["3"]);
    // Redundant datoms are dropped: only the transaction's own datom remains.
    let r3 = tx(
        &r2.db_after,
        r#"[[:db/add [:inv/sku "SKU-1"] :inv/count 4]]"#,
    )
    .await
    .unwrap();
    assert_eq!(r3.tx_data.len(), 1);
    // A lookup ref that names nothing, an unknown attribute, a wrong type.
    let e = tx(
        &r3.db_after,
        r#"[[:db/add [:inv/sku "NOPE"] :inv/count 1]]"#,
    )
    .await
    .unwrap_err();
    assert_eq!(
        (e.category, e.message.as_str()),
        (
            Category::NotFound,
            r#"lookup ref [:inv/sku "NOPE"] names no entity"#
        )
    );
    let e = tx(&r3.db_after, r#"[[:db/add "x" :inv/nope 1]]"#)
        .await
        .unwrap_err();
    assert_eq!(e.message, ":inv/nope is not an attribute of this database");
    let e = tx(&r3.db_after, r#"[[:db/add "x" :inv/count "three"]]"#)
        .await
        .unwrap_err();
    assert_eq!(
        e.message,
        r#":inv/count: expected a value of type :db.type/long, found "three""#
    );
}

#[tokio::test]
async fn uniqueness_cas_and_retractions() {
    let db = with_schema().await;
    let db = tx(&db, r#"[{:inv/sku "A" :inv/email "a@x"} {:inv/sku "B"}]"#)
        .await
        .unwrap()
        .db_after;
    let e = tx(&db, r#"[[:db/add [:inv/sku "B"] :inv/email "a@x"]]"#)
        .await
        .unwrap_err();
    assert_eq!(e.category, Category::Conflict);
    assert!(
        e.message
            .contains(r#"unique :inv/email "a@x" already belongs to entity"#),
        "{e}"
    );
    let db = tx(&db, r#"[[:db/add [:inv/sku "A"] :inv/count 1]]"#)
        .await
        .unwrap()
        .db_after;
    let e = tx(&db, r#"[[:db/cas [:inv/sku "A"] :inv/count 2 3]]"#)
        .await
        .unwrap_err();
    assert_eq!(e.category, Category::Conflict);
    assert!(e.message.contains(":db/cas failed"), "{e}");
    let db = tx(
        &db,
        r#"[[:db/cas [:inv/sku "A"] :inv/count 1 2] [:db/cas [:inv/sku "B"] :inv/count nil 7]]"#,
    )
    .await
    .unwrap()
    .db_after;
    assert_eq!(
        db.values(sku(&db, "A"), db.schema().attr("inv/count").unwrap().id)
            .unwrap(),
        [Value::Long(2)]
    );
    // Retract one value, every value, and something absent (ignored).
    let db = tx(&db, r#"[[:db/retract [:inv/sku "A"] :inv/count 2] [:db/retract [:inv/sku "B"] :inv/count] [:db/retract [:inv/sku "B"] :inv/color :red]]"#)
        .await
        .unwrap()
        .db_after;
    assert_eq!(pulled(&db, "[:inv/count]", sku(&db, "B")).await, "{}");
    let e = tx(
        &db,
        r#"[[:db/add "n" :inv/sku "C"] [:db/add "n" :inv/count 1] [:db/add "n" :inv/count 2]]"#,
    )
    .await
    .unwrap_err();
    assert!(
        e.message
            .contains("two values for cardinality-one :inv/count"),
        "{e}"
    );
}

#[tokio::test]
async fn retract_entity_takes_its_components_and_the_refs_to_it() {
    let db = with_schema().await;
    let r = tx(
        &db,
        r#"[{:db/id "car" :inv/sku "CAR" :inv/parts [{:inv/sku "WHEEL"} {:inv/sku "DOOR"}]}
                       {:inv/sku "DRIVER" :inv/maker "car"}]"#,
    )
    .await
    .unwrap();
    let db = r.db_after;
    assert_eq!(
        pulled(&db, "[:inv/sku {:inv/parts [:inv/sku]}]", r.tempids["car"]).await,
        r#"{:inv/parts [{:inv/sku "WHEEL"} {:inv/sku "DOOR"}], :inv/sku "CAR"}"#
    );
    assert_eq!(
        pulled(&db, "[:inv/sku {:inv/_maker [:inv/sku]}]", r.tempids["car"]).await,
        r#"{:inv/_maker [{:inv/sku "DRIVER"}], :inv/sku "CAR"}"#
    );
    let after = tx(&db, r#"[[:db/retractEntity [:inv/sku "CAR"]]]"#)
        .await
        .unwrap()
        .db_after;
    let sku_attr = after.schema().attr("inv/sku").unwrap().id;
    for gone in ["CAR", "WHEEL", "DOOR"] {
        assert_eq!(
            after
                .entity_with(sku_attr, &Value::Str(gone.into()))
                .unwrap(),
            None,
            "{gone}"
        );
    }
    assert_eq!(
        pulled(&after, "[:inv/sku :inv/maker]", sku(&after, "DRIVER")).await,
        r#"{:inv/sku "DRIVER"}"#
    );
}

#[tokio::test]
async fn every_value_type_round_trips() {
    let schema: String = value::ValueType::ALL
        .iter()
        .filter(|(t, _)| *t != value::ValueType::Ref)
        .map(|(_, n)| format!("{{:db/ident :v/{n} :db/valueType :db.type/{n} :db/cardinality :db.cardinality/one}}"))
        .collect();
    let db = tx(&Db::empty(), &format!("[{schema}]"))
        .await
        .unwrap()
        .db_after;
    let entity = r#"{:db/id "e" :v/string "s" :v/long 42 :v/double 1.5 :v/boolean true :v/keyword :k/w :v/symbol my.ns/sym
        :v/instant #inst "2026-11-25T10:00:00Z" :v/uuid #uuid "5f1d5b0e-3c1a-4b8e-9f3e-2a1b3c4d5e6f"
        :v/bigdec 1.25M :v/bigint 12345678901234567890N :v/uri #uri "https://example.com/x" :v/tuple ["a" 1]}"#;
    let r = tx(&db, &format!("[{entity}]")).await.unwrap();
    assert_eq!(
        pulled(&r.db_after, "[*]", r.tempids["e"])
            .await
            .replace(&format!(":db/id {}, ", r.tempids["e"]), ""),
        r#"{:v/bigdec 1.25M, :v/bigint 12345678901234567890N, :v/boolean true, :v/double 1.5, :v/instant #inst "2026-11-25T10:00:00Z", :v/keyword :k/w, :v/long 42, :v/string "s", :v/symbol my.ns/sym, :v/tuple ["a" 1], :v/uri #uri "https://example.com/x", :v/uuid #uuid "5f1d5b0e-3c1a-4b8e-9f3e-2a1b3c4d5e6f"}"#
    );
}

#[tokio::test]
async fn time_travel_and_speculative_with() {
    let db = with_schema().await;
    let t1 = tx(&db, r#"[{:inv/sku "A" :inv/count 1}]"#)
        .await
        .unwrap()
        .db_after;
    let t2 = tx(&t1, r#"[[:db/add [:inv/sku "A"] :inv/count 2]]"#)
        .await
        .unwrap()
        .db_after;
    let a = sku(&t2, "A");
    let count = t2.schema().attr("inv/count").unwrap().id;
    assert_eq!(
        t2.as_of(t1.basis_t()).values(a, count).unwrap(),
        [Value::Long(1)]
    );
    assert_eq!(t2.values(a, count).unwrap(), [Value::Long(2)]);
    let since = t2
        .since(t1.basis_t())
        .datoms(
            Index::Eavt,
            &Components {
                e: Some(a),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(since.len(), 1);
    let history = t2
        .history()
        .datoms(
            Index::Eavt,
            &Components {
                e: Some(a),
                a: Some(count),
                ..Default::default()
            },
        )
        .unwrap();
    let ops: Vec<(String, bool)> = history
        .iter()
        .map(|d| (ion_edn::print(&d.v.to_edn()), d.added))
        .collect();
    assert_eq!(
        ops,
        [("1".into(), true), ("1".into(), false), ("2".into(), true)]
    );
    assert_eq!(
        t2.point_t(&read("#inst \"2020-01-01T00:00:00Z\"").unwrap())
            .unwrap(),
        0
    );
    // `with` is a transaction that nobody keeps.
    let speculative = tx(&t2, r#"[[:db/add [:inv/sku "A"] :inv/count 3]]"#)
        .await
        .unwrap();
    assert_eq!(
        speculative.db_after.values(a, count).unwrap(),
        [Value::Long(3)]
    );
    assert_eq!(t2.values(a, count).unwrap(), [Value::Long(2)]);
}

/// Round 2 of hardening, item 2: opening a database cold (replaying its log) holds no
/// lock that calls on other databases need.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cold_open_does_not_hold_up_other_databases() {
    let dir = std::env::temp_dir().join(format!("ion-db-cold-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    {
        let dbs = Databases::file(&dir);
        dbs.create("big").await.unwrap();
        dbs.create("small").await.unwrap();
        let conn = dbs.connect("big").await.unwrap();
        conn.transact(&read(SCHEMA).unwrap(), &NoFunctions)
            .await
            .unwrap();
        for b in 0..10 {
            let items: String = (0..1000)
                .map(|i| format!(r#"{{:inv/sku "S{b}-{i}" :inv/count {i}}}"#))
                .collect();
            conn.transact(&read(&format!("[{items}]")).unwrap(), &NoFunctions)
                .await
                .unwrap();
        }
    }
    let dbs = Arc::new(Databases::file(&dir));
    let small = dbs.connect("small").await.unwrap();
    let opening = {
        let dbs = dbs.clone();
        tokio::spawn(async move { dbs.connect("big").await.map(|c| c.db().count()) })
    };
    while !dbs.is_opening("big") {
        tokio::task::yield_now().await;
    }
    // While "big" replays 20,000 datoms, "small" is at hand, and lists and transacts.
    let again = dbs.connect("small").await.unwrap();
    assert!(Arc::ptr_eq(&small, &again));
    assert_eq!(dbs.list().await.unwrap().len(), 2);
    assert!(
        dbs.is_opening("big"),
        "a call on another database waited until the cold open had finished"
    );
    assert!(opening.await.unwrap().unwrap() > 20_000);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn the_log_replays_whole_records_and_cuts_a_torn_one() {
    let dir = std::env::temp_dir().join(format!("ion-db-unit-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let dbs = Databases::file(&dir);
    dbs.create("inv").await.unwrap();
    let conn = dbs.connect("inv").await.unwrap();
    conn.transact(&read(SCHEMA).unwrap(), &NoFunctions)
        .await
        .unwrap();
    conn.transact(
        &read(r#"[{:inv/sku "A" :inv/count 1}]"#).unwrap(),
        &NoFunctions,
    )
    .await
    .unwrap();
    let basis = conn.db().basis_t();
    drop(conn);
    drop(dbs);
    let path = dir.join("inv").join("log");
    let mut bytes = std::fs::read(&path).unwrap();
    let whole = bytes.len();
    bytes.extend([200, 0, 0, 0, 1, 2, 3, 4, b'{', b':', b't']);
    std::fs::write(&path, &bytes).unwrap();
    let dbs = Databases::file(&dir);
    let conn = dbs.connect("inv").await.unwrap();
    assert_eq!(conn.db().basis_t(), basis);
    assert_eq!(
        pulled(&conn.db(), "[:inv/count]", sku(&conn.db(), "A")).await,
        "{:inv/count 1}"
    );
    // The next writer cuts the torn frame off before it appends its own.
    conn.transact(
        &read(r#"[[:db/add [:inv/sku "A"] :inv/count 2]]"#).unwrap(),
        &NoFunctions,
    )
    .await
    .unwrap();
    assert!(std::fs::metadata(&path).unwrap().len() as usize > whole);
    drop(conn);
    drop(dbs);
    let conn = Databases::file(&dir).connect("inv").await.unwrap();
    assert_eq!(conn.db().basis_t(), basis + 1);
    assert_eq!(
        pulled(&conn.db(), "[:inv/count]", sku(&conn.db(), "A")).await,
        "{:inv/count 2}"
    );
    let dbs = Databases::file(&dir);
    assert!(dbs.connect("nope").await.is_err());
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn index_range_and_tx_range() {
    let db = with_schema().await;
    let db = tx(
        &db,
        r#"[{:inv/sku "A" :inv/count 1} {:inv/sku "B" :inv/count 5} {:inv/sku "C" :inv/count 9}]"#,
    )
    .await
    .unwrap()
    .db_after;
    let db = tx(&db, r#"[[:db/add [:inv/sku "A"] :inv/count 2]]"#)
        .await
        .unwrap()
        .db_after;
    let range =
        api::index_range_request(&db, &read("{:attrid :inv/count :start 2 :end 9}").unwrap())
            .unwrap();
    let values: Vec<String> = match &range {
        Edn::Vector(ds) => ds
            .iter()
            .map(|d| match d {
                Edn::Vector(f) => ion_edn::print(&f[2]),
                _ => panic!(),
            })
            .collect(),
        _ => panic!(),
    };
    assert_eq!(values, ["2", "5"]);
    let txs = api::tx_range_request(&db, &read(&format!("{{:start {}}}", db.basis_t())).unwrap())
        .unwrap();
    let Edn::Vector(txs) = &txs else { panic!() };
    assert_eq!(txs.len(), 1);
    // The last transaction: count 1 retracted, 2 asserted, and its txInstant.
    let Some(Edn::Vector(data)) = ion_edn::get(&txs[0], "data") else {
        panic!()
    };
    assert_eq!(data.len(), 3);
}

#[tokio::test]
async fn a_snapshot_plus_the_log_after_it_restores_the_same_value() {
    let dir = std::env::temp_dir().join(format!("ion-db-snap-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let everything = |db: &Db| {
        let c = Components::default();
        let show = |ds: Vec<Arc<datom::Datom>>| -> Vec<String> {
            ds.iter().map(|d| format!("{d:?}")).collect()
        };
        (
            db.basis_t(),
            show(db.datoms(Index::Eavt, &c).unwrap()),
            show(db.history().datoms(Index::Eavt, &c).unwrap()),
        )
    };
    let before = {
        let dbs = Databases::file(&dir);
        dbs.create("s").await.unwrap();
        let conn = dbs.connect("s").await.unwrap();
        conn.transact(&read(SCHEMA).unwrap(), &NoFunctions)
            .await
            .unwrap();
        conn.transact(
            &read(r#"[{:inv/sku "A" :inv/count 1 :inv/tags ["x" "y"]}]"#).unwrap(),
            &NoFunctions,
        )
        .await
        .unwrap();
        conn.snapshot().await.unwrap();
        conn.transact(
            &read(r#"[[:db/add [:inv/sku "A"] :inv/count 2] {:inv/sku "B" :inv/count 1.5e0}]"#)
                .unwrap(),
            &NoFunctions,
        )
        .await
        .unwrap_err();
        conn.transact(
            &read(r#"[[:db/add [:inv/sku "A"] :inv/count 2] {:inv/sku "B"}]"#).unwrap(),
            &NoFunctions,
        )
        .await
        .unwrap();
        everything(&conn.db())
    };
    let reopened = Databases::file(&dir).connect("s").await.unwrap();
    assert_eq!(everything(&reopened.db()), before);
    drop(reopened);
    // A damaged snapshot is ignored: the log alone gives the same value.
    let snap = dir.join("s").join("snapshot");
    let mut bytes = std::fs::read(&snap).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    std::fs::write(&snap, bytes).unwrap();
    assert_eq!(
        everything(&Databases::file(&dir).connect("s").await.unwrap().db()),
        before
    );
    let _ = std::fs::remove_dir_all(&dir);
}
