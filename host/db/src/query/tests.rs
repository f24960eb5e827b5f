//! Query cases named after DataScript's `test/datascript/test/query*.cljc` (EPL-1.0),
//! ported to this engine's data and result shapes: joins, find specs, `:in` bindings,
//! rules (recursive too), `not`/`or`, built-in and database functions, aggregates,
//! `:keys`, pull in `:find`, and errors that quote the clause.

use super::*;
use crate::{NoFunctions, transact};
use ion_edn::read;

const SCHEMA: &str = r#"[{:db/ident :name :db/valueType :db.type/string :db/cardinality :db.cardinality/one}
 {:db/ident :age :db/valueType :db.type/long :db/cardinality :db.cardinality/one}
 {:db/ident :email :db/valueType :db.type/string :db/unique :db.unique/identity :db/cardinality :db.cardinality/one}
 {:db/ident :follow :db/valueType :db.type/ref :db/cardinality :db.cardinality/many}
 {:db/ident :salary :db/valueType :db.type/long :db/cardinality :db.cardinality/one}]"#;

/// Ivan 15, Petr 37, Ivan 37 (the DataScript test people), with follows 1→2→3.
async fn people() -> crate::Db {
    let db = transact::transact(&Db::empty(), &read(SCHEMA).unwrap(), &NoFunctions, 0)
        .await
        .unwrap()
        .db_after;
    let data = r#"[{:db/id "1" :name "Ivan" :age 15 :email "ivan@a" :salary 10 :follow "2"}
                   {:db/id "2" :name "Petr" :age 37 :email "petr@a" :salary 20 :follow "3"}
                   {:db/id "3" :name "Ivan" :age 37 :email "ivan@b" :salary 30}]"#;
    transact::transact(&db, &read(data).unwrap(), &NoFunctions, 0)
        .await
        .unwrap()
        .db_after
}

async fn run(db: &Db, q: &str, extra: Vec<Edn<'static>>) -> Result<String, IonError> {
    let mut inputs = vec![Input::Db(db)];
    inputs.extend(extra.into_iter().map(Input::Value));
    super::q(&read(q).unwrap(), inputs, &NoFunctions)
        .await
        .map(|r| ion_edn::print(&r))
}

async fn ok(db: &Db, q: &str) -> String {
    run(db, q, vec![]).await.unwrap()
}

#[tokio::test]
async fn test_joins() {
    let db = people().await;
    assert_eq!(
        ok(&db, r#"[:find ?n :where [?e :name ?n] [?e :age 37]]"#).await,
        r#"[["Ivan"] ["Petr"]]"#
    );
    assert_eq!(
        ok(
            &db,
            r#"[:find ?n1 ?n2 :where [?e1 :follow ?e2] [?e1 :name ?n1] [?e2 :name ?n2]]"#
        )
        .await,
        r#"[["Ivan" "Petr"] ["Petr" "Ivan"]]"#
    );
    // The map form finds what the vector form finds.
    assert_eq!(
        ok(
            &db,
            r#"{:find [?e] :where [[?e :name "Ivan"] [?e :age 15]]}"#
        )
        .await,
        ok(&db, r#"[:find ?e :where [?e :email "ivan@a"]]"#).await
    );
}

#[tokio::test]
async fn test_find_specs() {
    let db = people().await;
    assert_eq!(
        ok(&db, r#"[:find [?n ...] :where [_ :name ?n]]"#).await,
        r#"["Ivan" "Petr"]"#
    );
    assert_eq!(
        ok(
            &db,
            r#"[:find ?a . :where [?e :email "petr@a"] [?e :age ?a]]"#
        )
        .await,
        "37"
    );
    assert_eq!(
        ok(
            &db,
            r#"[:find [?n ?a] :where [?e :email "ivan@a"] [?e :name ?n] [?e :age ?a]]"#
        )
        .await,
        r#"["Ivan" 15]"#
    );
    assert_eq!(
        ok(
            &db,
            r#"[:find ?a . :where [?e :email "nobody"] [?e :age ?a]]"#
        )
        .await,
        "nil"
    );
}

#[tokio::test]
async fn test_q_in() {
    let db = people().await;
    let r = run(
        &db,
        r#"[:find ?e :in $ ?n :where [?e :name ?n] [?e :age 15]]"#,
        vec![read(r#""Ivan""#).unwrap()],
    )
    .await
    .unwrap();
    assert!(r.starts_with("[["), "{r}");
    let r = run(
        &db,
        r#"[:find [?a ...] :in $ [?n ...] :where [?e :name ?n] [?e :age ?a]]"#,
        vec![read(r#"["Petr" "Nobody"]"#).unwrap()],
    )
    .await
    .unwrap();
    assert_eq!(r, "[37]");
    let r = run(
        &db,
        r#"[:find ?n :in $ [[?n ?a]] :where [?e :name ?n] [?e :age ?a]]"#,
        vec![read(r#"[["Ivan" 37] ["Petr" 15]]"#).unwrap()],
    )
    .await
    .unwrap();
    assert_eq!(r, r#"[["Ivan"]]"#);
    let r = run(
        &db,
        r#"[:find ?n :in $ [?n ?a] :where [?e :name ?n] [?e :age ?a]]"#,
        vec![read(r#"["Petr" 37]"#).unwrap()],
    )
    .await
    .unwrap();
    assert_eq!(r, r#"[["Petr"]]"#);
    let e = run(&db, r#"[:find ?n :in $ ?x :where [?e :name ?n]]"#, vec![])
        .await
        .unwrap_err();
    assert_eq!(
        e.message,
        "the query's :in [$ ?x] names 2 inputs, 1 were given"
    );
}

#[tokio::test]
async fn test_rules() {
    let db = people().await;
    let rules = read(
        r#"[[(follows ?a ?b) [?a :follow ?b]]
                        [(follows ?a ?b) [?a :follow ?x] (follows ?x ?b)]]"#,
    )
    .unwrap();
    let r = run(
        &db,
        r#"[:find ?n2 :in $ % :where [?e1 :email "ivan@a"] (follows ?e1 ?e2) [?e2 :name ?n2]]"#,
        vec![rules],
    )
    .await
    .unwrap();
    assert_eq!(r, r#"[["Ivan"] ["Petr"]]"#);
}

#[tokio::test]
async fn test_not_and_or() {
    let db = people().await;
    assert_eq!(
        ok(&db, r#"[:find ?n :where [?e :name ?n] (not [?e :age 37])]"#).await,
        r#"[["Ivan"]]"#
    );
    assert_eq!(
        ok(&db, r#"[:find [?e2 ...] :where [?e :email "ivan@a"] [?e :follow ?e2] (not-join [?e2] [?e2 :follow _])]"#).await,
        "[]"
    );
    assert_eq!(
        ok(
            &db,
            r#"[:find [?email ...] :where [?e :email ?email] (or [?e :age 15] [?e :name "Petr"])]"#
        )
        .await,
        r#"["ivan@a" "petr@a"]"#
    );
    assert_eq!(
        ok(&db, r#"[:find [?email ...] :where [?e :email ?email] (or-join [?e] (and [?e :age 37] [?e :name "Ivan"]) [?e :salary 10])]"#).await,
        r#"["ivan@a" "ivan@b"]"#
    );
}

#[tokio::test]
async fn test_predicates_and_functions() {
    let db = people().await;
    assert_eq!(
        ok(
            &db,
            r#"[:find [?n ...] :where [?e :name ?n] [?e :age ?a] [(< ?a 18)]]"#
        )
        .await,
        r#"["Ivan"]"#
    );
    assert_eq!(
        ok(
            &db,
            r#"[:find ?n ?x :where [?e :name ?n] [?e :age ?a] [(* ?a 2) ?x] [(> ?x 70)]]"#
        )
        .await,
        r#"[["Ivan" 74] ["Petr" 74]]"#
    );
    assert_eq!(
        ok(&db, r#"[:find [?s ...] :where [?e :email "ivan@a"] [(get-else $ ?e :age 0) ?f] [(str "age=" ?f) ?s]]"#).await,
        r#"["age=15"]"#
    );
    let e = run(
        &db,
        r#"[:find ?f :where [?e :email "ivan@a"] [(get-else $ ?e :follow 0) ?f]]"#,
        vec![],
    )
    .await
    .unwrap_err();
    assert_eq!(
        e.message,
        "get-else takes a cardinality-one attribute: [(get-else $ ?e :follow 0) ?f]"
    );
    // Only the third person follows nobody.
    assert_eq!(
        ok(
            &db,
            r#"[:find [?m ...] :where [?e :email ?m] [(missing? $ ?e :follow)]]"#
        )
        .await,
        r#"["ivan@b"]"#
    );
    assert_eq!(
        ok(&db, r#"[:find ?t :where [(tuple 1 2) ?t]]"#).await,
        "[[[1 2]]]"
    );
    assert_eq!(
        ok(&db, r#"[:find ?a ?b :where [(ground [1 2]) [?a ?b]]]"#).await,
        "[[1 2]]"
    );
    assert_eq!(
        ok(
            &db,
            r#"[:find ?x :where [(ground [3 1 2]) [?x ...]] [(odd? ?x)]]"#
        )
        .await,
        "[[1] [3]]"
    );
}

#[tokio::test]
async fn test_aggregates() {
    let db = people().await;
    assert_eq!(
        ok(&db, r#"[:find ?n (count ?e) :where [?e :name ?n]]"#).await,
        r#"[["Ivan" 2] ["Petr" 1]]"#
    );
    assert_eq!(
        ok(&db, r#"[:find (sum ?s) . :with ?e :where [?e :salary ?s]]"#).await,
        "60"
    );
    assert_eq!(
        ok(
            &db,
            r#"[:find (avg ?a) (min ?a) (max ?a) (count-distinct ?a) :where [_ :age ?a]]"#
        )
        .await,
        "[[26.0 15 37 2]]"
    );
    assert_eq!(
        ok(&db, r#"[:find (sum ?a) . :with ?e :where [?e :age ?a]]"#).await,
        "89"
    );
    assert_eq!(
        ok(
            &db,
            r#"[:find (median ?s) (variance ?s) :where [_ :salary ?s]]"#
        )
        .await,
        "[[20 66.66666666666667]]"
    );
    assert_eq!(
        ok(&db, r#"[:find (distinct ?n) . :where [_ :name ?n]]"#).await,
        r#"#{"Ivan" "Petr"}"#
    );
    assert_eq!(
        ok(&db, r#"[:find (max 2 ?s) . :where [_ :salary ?s]]"#).await,
        "[30 20]"
    );
}

#[tokio::test]
async fn test_keys_and_pull() {
    let db = people().await;
    assert_eq!(
        ok(
            &db,
            r#"[:find ?n ?a :keys name age :where [?e :email "petr@a"] [?e :name ?n] [?e :age ?a]]"#
        )
        .await,
        r#"[{:age 37, :name "Petr"}]"#
    );
    assert_eq!(
        ok(
            &db,
            r#"[:find (pull ?e [:name {:follow [:email]}]) . :where [?e :email "ivan@a"]]"#
        )
        .await,
        r#"{:follow [{:email "petr@a"}], :name "Ivan"}"#
    );
}

#[tokio::test]
async fn test_errors_quote_the_clause() {
    let db = people().await;
    let e = run(
        &db,
        r#"[:find ?n :where [?e :name ?n] [(< ?a 18)]]"#,
        vec![],
    )
    .await
    .unwrap_err();
    assert_eq!(
        e.message,
        "variable ?a is unbound in [(< ?a 18)]: bind it in a clause before"
    );
    let e = run(&db, r#"[:find ?n :where (frobnicate ?e)]"#, vec![])
        .await
        .unwrap_err();
    assert_eq!(
        e.message,
        "unknown clause (frobnicate ?e): frobnicate is not a rule of this query"
    );
    let e = run(&db, r#"[:find ?n :where [?e :nope ?n]]"#, vec![])
        .await
        .unwrap_err();
    assert_eq!(e.message, ":nope is not an attribute, in [?e :nope ?n]");
    let e = run(&db, r#"[:find ?x :where [?e :name ?n]]"#, vec![])
        .await
        .unwrap_err();
    assert_eq!(e.message, "?x in :find is not bound by :where or :in");
    let e = run(
        &db,
        r#"[:find ?n :where [?e :name ?n] [(my.app/pred ?n)]]"#,
        vec![],
    )
    .await
    .unwrap_err();
    assert_eq!(e.category, ion_anomaly::Category::Forbidden);
    assert!(
        e.message
            .starts_with("[(my.app/pred ?n)]: query function my.app/pred cannot run"),
        "{}",
        e.message
    );
}

#[tokio::test]
async fn test_return_maps_and_sources() {
    let db = people().await;
    assert_eq!(
        ok(
            &db,
            r#"[:find ?n :strs name :where [?e :email "petr@a"] [?e :name ?n]]"#
        )
        .await,
        r#"[{"name" "Petr"}]"#
    );
    assert_eq!(
        ok(
            &db,
            r#"[:find ?n :syms name :where [?e :email "petr@a"] [?e :name ?n]]"#
        )
        .await,
        r#"[{name "Petr"}]"#
    );
    // Two sources: the same database as it is and as it was before the people.
    let before = db.as_of(db.basis_t() - 1);
    let r = super::q(
        &read(r#"[:find ?n :in $now $then :where [$now ?e :name ?n] (not [$then ?e :name ?n])]"#)
            .unwrap(),
        vec![Input::Db(&db), Input::Db(&before)],
        &NoFunctions,
    )
    .await
    .unwrap();
    assert_eq!(ion_edn::print(&r), r#"[["Ivan"] ["Petr"]]"#);
}

#[tokio::test]
async fn test_get_some_and_untuple() {
    let db = people().await;
    assert_eq!(
        ok(
            &db,
            r#"[:find ?v . :where [?e :email "ivan@b"] [(get-some $ ?e :follow :age) [?a ?v]]]"#
        )
        .await,
        "37"
    );
    assert_eq!(
        ok(
            &db,
            r#"[:find ?x ?y :where [(ground [1 2]) ?t] [(untuple ?t) [?x ?y]]]"#
        )
        .await,
        "[[1 2]]"
    );
}

#[tokio::test]
async fn test_rule_with_constants_and_bound_args() {
    let db = people().await;
    let rules = read(r#"[[(named-with-age ?e ?n ?a) [?e :name ?n] [?e :age ?a]]]"#).unwrap();
    let r = run(
        &db,
        r#"[:find [?m ...] :in $ % :where (named-with-age ?e "Ivan" 37) [?e :email ?m]]"#,
        vec![rules],
    )
    .await
    .unwrap();
    assert_eq!(r, r#"["ivan@b"]"#);
}

#[tokio::test]
async fn test_arg_map_offset_limit_and_timeout() {
    let db = people().await;
    // Pages follow the order the last pattern finds tuples in (AEVT: entities 1, 2, 3).
    assert_eq!(
        ok(
            &db,
            r#"{:query [:find [?m ...] :where [_ :email ?m]] :offset 1 :limit 1}"#
        )
        .await,
        r#"["petr@a"]"#
    );
    // An aggregate needs every row: the result is sorted, then cut.
    assert_eq!(
        ok(
            &db,
            r#"{:query [:find ?n (count ?e) :where [?e :name ?n]] :offset 1 :limit 1}"#
        )
        .await,
        r#"[["Petr" 1]]"#
    );
    // A million-row cross product cannot finish in 1 ms.
    let thousand: String = (0..1000).map(|i| format!("{i} ")).collect();
    let query = format!(
        "{{:query [:find (count ?x) . :where [(ground [{thousand}]) [?x ...]] [(ground [{thousand}]) [?y ...]] [(< ?x ?y)]] :timeout 1}}"
    );
    let e = run(&db, &query, vec![]).await.unwrap_err();
    assert_eq!(
        e.category,
        ion_anomaly::Category::Interrupted,
        "{}",
        e.message
    );
    assert_eq!(e.message, "the query ran past its :timeout of 1 ms");
}

#[tokio::test]
async fn a_rule_that_nests_a_value_once_per_step_stops_at_the_depth_limit() {
    // Without a bound each step wraps the last value once more, until hashing or dropping
    // one overflows the stack and aborts the process.
    let db = people().await;
    let rules = read(
        r#"[[(wrap ?x ?y) [(vector ?x) ?y]]
            [(wrap ?x ?y) (wrap ?x ?z) [(vector ?z) ?y]]]"#,
    )
    .unwrap();
    let e = run(
        &db,
        r#"[:find (count ?y) . :in $ % :where [(ground 1) ?x] (wrap ?x ?y)]"#,
        vec![rules],
    )
    .await
    .unwrap_err();
    assert_eq!(e.category, ion_anomaly::Category::Incorrect);
    assert!(
        e.message
            .contains("vector: the result would be nested deeper than 256 levels"),
        "{}",
        e.message
    );
}

/// Hardening round 2, item 6: long arithmetic is exact over all of i64 (entity ids and
/// microsecond times pass 2^53), and overflow is an `incorrect` anomaly, as Clojure's
/// ArithmeticException is, never a panic.
#[tokio::test]
async fn long_arithmetic_is_exact_and_overflow_is_incorrect() {
    let db = people().await;
    let one = |f: &str| format!("[:find ?y . :in $ ?x :where [({f}) ?y]]");
    let at = |x: i64, f: &str| {
        let (db, q) = (&db, one(f));
        async move {
            run(db, &q, vec![Edn::Int(x)])
                .await
                .map_err(|e| (e.category, e.message))
        }
    };
    let big = 9_007_199_254_740_993; // 2^53 + 1: not a double
    assert_eq!(at(big, "+ ?x 0").await.unwrap(), big.to_string());
    assert_eq!(at(big, "- ?x 0").await.unwrap(), big.to_string());
    assert_eq!(at(big, "* ?x 1").await.unwrap(), big.to_string());
    assert_eq!(at(big, "inc ?x").await.unwrap(), (big + 1).to_string());
    assert_eq!(at(big, "dec ?x").await.unwrap(), (big - 1).to_string());
    assert_eq!(at(big, "/ ?x 1").await.unwrap(), big.to_string());
    assert_eq!(at(big, "quot ?x 2").await.unwrap(), (big / 2).to_string());
    assert_eq!(at(i64::MAX, "- ?x").await.unwrap(), (-i64::MAX).to_string());
    // Clojure's mod takes the divisor's sign; rem the dividend's.
    assert_eq!(at(-7, "mod ?x 2").await.unwrap(), "1");
    assert_eq!(at(7, "mod ?x -2").await.unwrap(), "-1");
    assert_eq!(at(-7, "rem ?x 2").await.unwrap(), "-1");
    assert_eq!(at(7, "/ ?x 2").await.unwrap(), "3.5");
    for (x, f) in [
        (i64::MIN, "quot ?x -1"),
        (i64::MIN, "rem ?x -1"),
        (i64::MIN, "mod ?x -1"),
        (i64::MIN, "/ ?x -1"),
        (i64::MIN, "- ?x"),
        (i64::MIN, "dec ?x"),
        (i64::MAX, "inc ?x"),
        (i64::MAX, "+ ?x 1"),
        (i64::MIN, "- ?x 1"),
        (i64::MAX, "* ?x 2"),
    ] {
        let (category, message) = at(x, f).await.unwrap_err();
        assert_eq!(
            category,
            ion_anomaly::Category::Incorrect,
            "({f}) with {x}: {message}"
        );
        assert!(
            message.contains("integer overflow"),
            "({f}) with {x}: {message}"
        );
    }
    // A double anywhere makes the result a double, as before.
    assert_eq!(at(3, "+ ?x 0.5").await.unwrap(), "3.5");
}

/// Hardening round 2, item 4: `:limit` stops the last pattern once the page is found,
/// instead of building the whole result and cutting it.
#[tokio::test]
async fn a_limit_stops_the_last_pattern_once_its_page_is_found() {
    let mut db = Db::empty();
    let schema =
        r#"[{:db/ident :n :db/valueType :db.type/long :db/cardinality :db.cardinality/one}]"#;
    db = transact::transact(&db, &read(schema).unwrap(), &NoFunctions, 0)
        .await
        .unwrap()
        .db_after;
    let items: String = (0..1000).map(|i| format!("{{:n {i}}}")).collect();
    db = transact::transact(&db, &read(&format!("[{items}]")).unwrap(), &NoFunctions, 0)
        .await
        .unwrap()
        .db_after;
    // A cross product of 1,000 × 1,000 rows, of which a page of 5 after 10 is asked.
    let query = "[:find ?x ?y :where [?a :n ?x] [?b :n ?y]]";
    let db = &db;
    let paged = |skip, take| async move {
        let parsed = parse::parse(&read(query).unwrap()).unwrap();
        assert!(pageable(&parsed));
        let mut ctx = eval::Ctx::new(&NoFunctions);
        let rows = ctx.bind_inputs(&parsed, vec![Input::Db(db)]).unwrap();
        let page = eval::Page {
            vars: vec!["?x".into(), "?y".into()],
            skip,
            take,
        };
        let (rows, paged) = ctx
            .clauses_paged(&parsed.clauses, rows, &page)
            .await
            .unwrap();
        assert!(paged);
        let result = find::shape(&ctx, &parsed, super::flat::Rel::Rows(rows))
            .await
            .unwrap();
        (ion_edn::print(&result), ctx.rows_built)
    };
    let (first, work) = paged(0, 5).await;
    assert_eq!(first, "[[0 0] [0 1] [0 2] [0 3] [0 4]]");
    // The first pattern's 1,000 rows, and the second's 5: not its million.
    assert_eq!(work, 1005);
    let (second, work) = paged(5, 5).await;
    assert_eq!(second, "[[0 5] [0 6] [0 7] [0 8] [0 9]]");
    assert_eq!(work, 1010);
    // Through q, pages of the arg map: disjoint, and cut to :limit.
    let arg_map = |offset, limit| format!("{{:query {query} :offset {offset} :limit {limit}}}");
    assert_eq!(ok(db, &arg_map(0, 3)).await, "[[0 0] [0 1] [0 2]]");
    assert_eq!(ok(db, &arg_map(3, 3)).await, "[[0 3] [0 4] [0 5]]");
    assert_eq!(ok(db, &arg_map(0, 0)).await, "[]");
    // A query with a rule is not paged early: sorted, then cut.
    let parsed = parse::parse(&read("[:find ?x :in $ % :where (r ?x)]").unwrap()).unwrap();
    assert!(!pageable(&parsed));
}
