//! The planner: the order data patterns are written in does not change the plan or the
//! work, and clauses that are not data patterns keep their place.

use super::*;
use crate::{NoFunctions, transact};
use ion_edn::read;

/// 1,000 people: 8 names, ages 0–99.
async fn people() -> Db {
    let schema = r#"[{:db/ident :name :db/valueType :db.type/string :db/cardinality :db.cardinality/one}
                     {:db/ident :age :db/valueType :db.type/long :db/cardinality :db.cardinality/one}]"#;
    let mut db = transact::transact(&Db::empty(), &read(schema).unwrap(), &NoFunctions, 0)
        .await
        .unwrap()
        .db_after;
    let names = [
        "Ivan", "Petr", "Sergei", "Oleg", "Yuri", "Dmitry", "Fedor", "Denis",
    ];
    let items: String = (0..1000)
        .map(|i| format!("{{:name \"{}\" :age {}}}", names[i % 8], i % 100))
        .collect();
    db = transact::transact(&db, &read(&format!("[{items}]")).unwrap(), &NoFunctions, 0)
        .await
        .unwrap()
        .db_after;
    db
}

/// The clauses of `query`'s plan, printed, and the rows its patterns built.
async fn plan_and_work(db: &Db, query: &str) -> (Vec<String>, String, usize) {
    let parsed = parse::parse(&read(query).unwrap()).unwrap();
    let mut ctx = eval::Ctx::new(&NoFunctions);
    let rows = ctx.bind_inputs(&parsed, vec![Input::Db(db)]).unwrap();
    let clauses = planned(&ctx, &parsed.clauses, &rows);
    let rows = ctx.clauses(&clauses, rows).await.unwrap();
    let result = find::shape(&ctx, &parsed, super::flat::Rel::Rows(rows))
        .await
        .unwrap();
    (
        clauses.iter().map(ion_edn::print).collect(),
        ion_edn::print(&result),
        ctx.rows_built,
    )
}

#[tokio::test]
async fn patterns_run_in_the_same_order_whatever_order_they_are_written_in() {
    let db = people().await;
    let q2 = "[:find ?e ?a :where [?e :name \"Ivan\"] [?e :age ?a]]";
    let swapped = "[:find ?e ?a :where [?e :age ?a] [?e :name \"Ivan\"]]";
    let (plan, result, work) = plan_and_work(&db, q2).await;
    assert_eq!(plan, ["[?e :name \"Ivan\"]", "[?e :age ?a]"]);
    assert_eq!(
        plan_and_work(&db, swapped).await,
        (plan, result.clone(), work)
    );
    // 125 people named Ivan, then one age each: not the 1,000 ages first.
    assert_eq!(work, 250);
    assert_eq!(ok_len(&result), 125);
    // The plan `--explain` shows: the estimates each pattern was chosen by.
    let explained = explain(&read(swapped).unwrap(), vec![Input::Db(&db)], &NoFunctions).unwrap();
    assert_eq!(
        ion_edn::print(&explained),
        "[{:clause [?e :name \"Ivan\"], :estimate 125} {:clause [?e :age ?a], :estimate :lookup}]"
    );
}

fn ok_len(printed: &str) -> usize {
    match &read(printed).unwrap() {
        Edn::Vector(v) => v.len(),
        other => panic!("not a relation: {}", ion_edn::print(other)),
    }
}

#[tokio::test]
async fn predicates_not_and_rules_keep_their_place_and_bound_the_reordering() {
    let db = people().await;
    // The predicate needs ?a: the patterns before it stay before it, those after after.
    let q = "[:find ?e :where [?e :age ?a] [(> ?a 97)] [?e :name \"Ivan\"]]";
    let (plan, result, _) = plan_and_work(&db, q).await;
    assert_eq!(plan, ["[?e :age ?a]", "[(> ?a 97)]", "[?e :name \"Ivan\"]"]);
    let expected = (0..1000).filter(|i| i % 100 > 97 && i % 8 == 0).count();
    assert_eq!(ok_len(&result), expected);
    // A pattern whose attribute is a variable stays where it is written.
    let q = "[:find ?e :where [?e ?attr \"Ivan\"] [?attr :db/ident :name]]";
    let (plan, _, _) = plan_and_work(&db, q).await;
    assert_eq!(plan, ["[?e ?attr \"Ivan\"]", "[?attr :db/ident :name]"]);
}

#[tokio::test]
async fn comparisons_on_a_free_value_read_only_their_stretch_of_the_index() {
    let db = people().await;
    // Ages 10–19: 10 of every 100 people. Only those 100 datoms are read, not 1,000.
    let q = "[:find (count ?e) . :where [?e :age ?a] [(>= ?a 10)] [(< ?a 20)]]";
    let (_, result, work) = plan_and_work(&db, q).await;
    assert_eq!((result.as_str(), work), ("100", 100));
    // Turned around, inclusive, and with a bound of another type (ignored): the same
    // answers as a full read would give.
    let q = "[:find (count ?e) . :where [?e :age ?a] [(<= 10 ?a)] [(<= ?a 19)] [(< ?a \"z\")]]";
    let (_, result, work) = plan_and_work(&db, q).await;
    assert_eq!((result.as_str(), work), ("100", 100));
    let q = "[:find (count ?e) . :where [?e :age ?a] [(> ?a 97)]]";
    assert_eq!(plan_and_work(&db, q).await.1, "20");
    // A bound the attribute's values never have the type of: no range, every datom read.
    let q = "[:find (count ?e) . :where [?e :age ?a] [(> ?a 97.5)]]";
    let (_, result, work) = plan_and_work(&db, q).await;
    assert_eq!((result.as_str(), work), ("20", 1000));
}
