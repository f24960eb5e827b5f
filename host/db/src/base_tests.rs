//! A value opened from a snapshot or an index root (a base of segments, in memory or
//! read lazily from storage) and then transacted on (a tail over it, retracting some of
//! the base) answers every read exactly as the same value built in memory all along.

use crate::datom::Datom;
use crate::segment::{Key, SegmentSource};
use crate::storage::{DbStorage, FileStorage, Storage};
use crate::value_db::{Components, Db, Index};
use crate::{NoFunctions, indexing, root, snapshot, transact};
use ion_edn::read;
use std::sync::Arc;

async fn tx(db: &Db, data: &str) -> Db {
    transact::transact(db, &read(data).unwrap(), &NoFunctions, 0)
        .await
        .unwrap_or_else(|e| panic!("{data}: {e:?}"))
        .db_after
}

fn all(db: &Db, index: Index) -> Vec<Datom> {
    db.datoms(index, &Components::default())
        .unwrap()
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
            a.entity_with(name, &v).unwrap(),
            b.entity_with(name, &v).unwrap(),
            "{when}: p{i}"
        );
    }
}

const SCHEMA: &str = r#"[{:db/ident :person/name :db/valueType :db.type/string :db/cardinality :db.cardinality/one :db/unique :db.unique/identity}
                     {:db/ident :person/age :db/valueType :db.type/long :db/cardinality :db.cardinality/one}
                     {:db/ident :person/friend :db/valueType :db.type/ref :db/cardinality :db.cardinality/many}
                     {:db/ident :person/tag :db/valueType :db.type/keyword :db/cardinality :db.cardinality/many}]"#;

/// Transactions on a value that retract base datoms, replace them, add new ones, retract
/// what the tail added, and a whole entity.
const MORE: [&str; 3] = [
    r#"[[:db/retract [:person/name "p3"] :person/tag :a]
        {:db/id [:person/name "p4"] :person/age 99 :person/tag [:c]}
        {:db/id "p10" :person/name "p10" :person/friend [[:person/name "p0"]]}]"#,
    r#"[[:db/retract [:person/name "p4"] :person/tag :c]
        [:db/add [:person/name "p3"] :person/tag :a]
        [:db/retractEntity [:person/name "p5"]]]"#,
    r#"[{:db/id "p11" :person/name "p11" :person/age 1}
        [:db/retract [:person/name "p10"] :person/friend [:person/name "p0"]]]"#,
];

/// Ten people, then a retraction and a change.
async fn people() -> Db {
    let mut db = tx(&Db::empty(), SCHEMA).await;
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
    tx(
        &db,
        r#"[[:db/retract [:person/name "p1"] :person/age 21]
            {:db/id [:person/name "p2"] :person/age 40}]"#,
    )
    .await
}

/// `db` indexed into `storage` with segments of `size` datoms, its root written and read
/// back: a value whose base is read lazily. Also returns how many segments were new.
pub(crate) fn indexed(db: &Db, storage: &Arc<dyn DbStorage>, size: usize) -> (Db, usize) {
    let handle = tokio::runtime::Handle::current();
    let mut fresh = 0;
    let out = indexing::index(db, storage.segments(), size, &mut |key: Key, bytes| {
        fresh += 1;
        let storage = storage.clone();
        std::thread::scope(|s| {
            s.spawn(|| handle.block_on(storage.put_segment(key, bytes)))
                .join()
                .unwrap()
        })
    })
    .unwrap();
    let body = root::encode(&out).expect("every segment stored");
    crate::segment::clear_cache();
    (snapshot::decode(&body, storage.segments()).unwrap(), fresh)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_value_indexed_into_segments_reads_as_the_value_built_in_memory() {
    let dir = std::env::temp_dir().join(format!("ion-db-segments-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let files = FileStorage::new(&dir);
    files.create("p").await.unwrap();
    let storage = files.open("p").await.unwrap();
    let mut db = people().await;
    // Segments of 4 datoms: every read crosses segments.
    let (mut opened, first) = indexed(&db, &storage, 4);
    same(&db, &opened, "indexed");
    assert_eq!(opened.tail_datoms(), 0);
    for (i, data) in MORE.iter().enumerate() {
        db = tx(&db, data).await;
        opened = tx(&opened, data).await;
        same(
            &db,
            &opened,
            &format!("after transaction {i} on the indexed value"),
        );
    }
    // Indexing again writes only the segments the tail touched; the rest are shared.
    let (again, fresh) = indexed(&opened, &storage, 4);
    same(&db, &again, "indexed again");
    assert!(
        fresh < first / 2,
        "indexing a small tail wrote {fresh} segments of the {first} the first time"
    );
    // A value rebased on the new root, from an older one plus its tail, reads the same.
    let rebased = opened.rebased(&again).unwrap();
    same(&db, &rebased, "rebased");
    // A segment gone from storage is an error that names it, never a wrong answer.
    crate::segment::clear_cache();
    let segs = dir.join("p").join("segments");
    for f in std::fs::read_dir(&segs).unwrap() {
        std::fs::remove_file(f.unwrap().path()).unwrap();
    }
    let e = again
        .datoms(Index::Aevt, &Components::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("which is missing"), "{e}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_segment_whose_bytes_do_not_hash_to_its_key_is_corrupt() {
    struct Damaged(Vec<u8>);
    impl SegmentSource for Damaged {
        fn read_segment(&self, _: &Key) -> Result<Vec<u8>, crate::storage::StorageError> {
            Ok(self.0.clone())
        }
        fn describe(&self) -> &str {
            "test"
        }
    }
    let d = Arc::new(Datom {
        e: 1,
        a: 2,
        v: crate::value::Value::Long(3),
        tx: 4,
        added: true,
    });
    let (key, mut bytes) = crate::segment::encode(crate::datom::EAVT, &[d]);
    assert!(crate::segment::decode(&key, crate::datom::EAVT, &bytes, "t").is_ok());
    assert!(crate::segment::decode(&key, crate::datom::AEVT, &bytes, "t").is_err());
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    let e = crate::segment::load(&Damaged(bytes), &key, crate::datom::EAVT)
        .unwrap_err()
        .to_string();
    assert!(e.contains("do not hash"), "{e}");
}

#[tokio::test]
async fn a_value_opened_from_a_snapshot_reads_as_the_value_built_in_memory() {
    let mut db = people().await;
    // Open from a snapshot: everything so far is the base.
    let none = || -> Arc<dyn SegmentSource> { Arc::new(NoSegments) };
    let mut opened = snapshot::decode(&snapshot::encode(&db).unwrap(), none()).unwrap();
    same(&db, &opened, "just opened");
    for (i, data) in MORE.iter().enumerate() {
        db = tx(&db, data).await;
        opened = tx(&opened, data).await;
        same(&db, &opened, &format!("after transaction {i}"));
    }
    // And a snapshot of a value that has both a base and a tail.
    let again = snapshot::decode(&snapshot::encode(&opened).unwrap(), none()).unwrap();
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
    let db = snapshot::decode(&body, Arc::new(NoSegments)).unwrap();
    assert_eq!((db.basis_t(), db.count()), (0, 0));
}

/// A source for values whose every segment is in memory.
struct NoSegments;

impl SegmentSource for NoSegments {
    fn read_segment(&self, key: &Key) -> Result<Vec<u8>, crate::storage::StorageError> {
        panic!("a value opened from a snapshot read segment {key:?}")
    }
    fn describe(&self) -> &str {
        "memory"
    }
}
