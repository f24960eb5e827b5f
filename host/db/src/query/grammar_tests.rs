//! The grammar as Datomic's docs write it, tried on a few movies from a public Datalog
//! tutorial (learndatalogtoday.org): rule calls, `not`, `not-join`, `or`, `or-join` and
//! `and` in brackets, rule heads in brackets, and every `#inst` form Clojure and Datomic
//! print or read, in transaction data, query constants and query inputs.

use super::*;
use crate::{NoFunctions, transact};
use ion_edn::read;

const SCHEMA: &str = r#"[{:db/ident :movie/title :db/valueType :db.type/string :db/cardinality :db.cardinality/one :db/unique :db.unique/identity}
 {:db/ident :movie/year :db/valueType :db.type/long :db/cardinality :db.cardinality/one}
 {:db/ident :movie/sequel :db/valueType :db.type/ref :db/cardinality :db.cardinality/one}
 {:db/ident :movie/released :db/valueType :db.type/instant :db/cardinality :db.cardinality/one}]"#;

/// Four movies; the release dates are written in four of the `#inst` forms.
async fn movies() -> crate::Db {
    let db = transact::transact(&Db::empty(), &read(SCHEMA).unwrap(), &NoFunctions, 0)
        .await
        .unwrap()
        .db_after;
    let data = r#"[{:db/id "t2" :movie/title "Terminator 2: Judgment Day" :movie/year 1991
                    :movie/released #inst "1991-07-03"}
                   {:movie/title "The Terminator" :movie/year 1984 :movie/sequel "t2"
                    :movie/released #inst "1984-10-26T00:00:00.000-00:00"}
                   {:movie/title "Predator" :movie/year 1987
                    :movie/released #inst "1987-06-12T02:00:00+02:00"}
                   {:movie/title "Lethal Weapon" :movie/year 1987
                    :movie/released #inst "1987-03-06T00:00:00Z"}]"#;
    transact::transact(&db, &read(data).unwrap(), &NoFunctions, 0)
        .await
        .unwrap()
        .db_after
}

async fn run(db: &Db, q: &str, extra: &[&str]) -> Result<String, IonError> {
    let mut inputs = vec![Input::Db(db)];
    inputs.extend(extra.iter().map(|e| Input::Value(read(e).unwrap())));
    super::q(&read(q).unwrap(), inputs, &NoFunctions)
        .await
        .map(|r| ion_edn::print(&r))
}

async fn ok(db: &Db, q: &str, extra: &[&str]) -> String {
    run(db, q, extra).await.unwrap()
}

const MOVIE_YEAR: &str =
    r#"[[(movie-year ?title ?year) [?m :movie/title ?title] [?m :movie/year ?year]]]"#;

#[tokio::test]
async fn a_rule_call_in_brackets_calls_the_rule() {
    let db = movies().await;
    let q = r#"[:find [?title ...] :in $ % :where [movie-year ?title 1991]]"#;
    assert_eq!(
        ok(&db, q, &[MOVIE_YEAR]).await,
        r#"["Terminator 2: Judgment Day"]"#
    );
    // Its source may lead, as a data pattern's does.
    let q = r#"[:find [?title ...] :in $ % :where [$ movie-year ?title 1984]]"#;
    assert_eq!(ok(&db, q, &[MOVIE_YEAR]).await, r#"["The Terminator"]"#);
    // A name that is no rule says so, instead of being read as an entity.
    let err = run(&db, r#"[:find ?t :where [movie-year ?t 1991]]"#, &[])
        .await
        .unwrap_err();
    assert!(
        err.message
            .contains("movie-year is not a rule of this query"),
        "{}",
        err.message
    );
}

#[tokio::test]
async fn a_rule_head_in_brackets_defines_the_rule() {
    let db = movies().await;
    let rules = r#"[[[movie-year ?title ?year] [?m :movie/title ?title] [?m :movie/year ?year]]
                    [[sequel-of [?m] ?title] [?p :movie/sequel ?s] [?p :movie/title ?title] [?s :movie/title ?m]]]"#;
    let q = r#"[:find [?title ...] :in $ % :where (movie-year ?title 1987)]"#;
    assert_eq!(
        ok(&db, q, &[rules]).await,
        r#"["Lethal Weapon" "Predator"]"#
    );
    let q = r#"[:find ?p . :in $ % :where [sequel-of "Terminator 2: Judgment Day" ?p]]"#;
    assert_eq!(ok(&db, q, &[rules]).await, r#""The Terminator""#);
}

#[tokio::test]
async fn not_or_and_in_brackets_mean_what_they_mean_in_parentheses() {
    let db = movies().await;
    let pairs = [
        (
            r#"[:find [?t ...] :where [?m :movie/title ?t] [not [?m :movie/year 1987]]]"#,
            r#"[:find [?t ...] :where [?m :movie/title ?t] (not [?m :movie/year 1987])]"#,
        ),
        (
            r#"[:find [?t ...] :where [?m :movie/title ?t] [not-join [?m] [?p :movie/sequel ?m]]]"#,
            r#"[:find [?t ...] :where [?m :movie/title ?t] (not-join [?m] [?p :movie/sequel ?m])]"#,
        ),
        (
            r#"[:find [?t ...] :where [?m :movie/title ?t] [or [?m :movie/year 1984] [?m :movie/year 1991]]]"#,
            r#"[:find [?t ...] :where [?m :movie/title ?t] (or [?m :movie/year 1984] [?m :movie/year 1991])]"#,
        ),
        (
            r#"[:find [?t ...] :where [?m :movie/title ?t]
                [or-join [?m] [and [?m :movie/year 1987] [?m :movie/title "Predator"]] [?m :movie/sequel _]]]"#,
            r#"[:find [?t ...] :where [?m :movie/title ?t]
                (or-join [?m] (and [?m :movie/year 1987] [?m :movie/title "Predator"]) [?m :movie/sequel _])]"#,
        ),
        (
            r#"[:find [?t ...] :where [?m :movie/title ?t] [$ not [?m :movie/year 1987]]]"#,
            r#"[:find [?t ...] :where [?m :movie/title ?t] ($ not [?m :movie/year 1987])]"#,
        ),
    ];
    for (brackets, parentheses) in pairs {
        let want = ok(&db, parentheses, &[]).await;
        assert_ne!(want, "[]", "{parentheses}");
        assert_eq!(ok(&db, brackets, &[]).await, want, "{brackets}");
    }
    // Nested: a bracketed not inside a rule body inside a bracketed or.
    let rules = r#"[[(unsequelled ?m) [?m :movie/title _] [not [_ :movie/sequel ?m]] [not [?m :movie/sequel _]]]]"#;
    let q = r#"[:find [?t ...] :in $ % :where [?m :movie/title ?t] [or [unsequelled ?m] [?m :movie/year 1991]]]"#;
    assert_eq!(
        ok(&db, q, &[rules]).await,
        r#"["Lethal Weapon" "Predator" "Terminator 2: Judgment Day"]"#
    );
}

#[tokio::test]
async fn every_inst_form_is_read_in_data_constants_and_inputs() {
    let db = movies().await;
    // Transaction data: each form stored the instant it names.
    assert_eq!(
        ok(
            &db,
            r#"[:find ?d . :where [?m :movie/title "Predator"] [?m :movie/released ?d]]"#,
            &[]
        )
        .await,
        r#"#inst "1987-06-12T00:00:00Z""#
    );
    // Query constants, in the forms Clojure prints.
    let q = r#"[:find ?t . :where [?m :movie/released #inst "1984-10-26T00:00:00.000-00:00"] [?m :movie/title ?t]]"#;
    assert_eq!(ok(&db, q, &[]).await, r#""The Terminator""#);
    let q = r#"[:find ?t . :where [?m :movie/released #inst "1991-07-03"] [?m :movie/title ?t]]"#;
    assert_eq!(ok(&db, q, &[]).await, r#""Terminator 2: Judgment Day""#);
    // Query inputs, with an offset, compared by a predicate.
    let q = r#"[:find [?t ...] :in $ ?after :where [?m :movie/released ?d] [(> ?d ?after)] [?m :movie/title ?t]]"#;
    assert_eq!(
        ok(&db, q, &[r#"#inst "1987-06-01T12:00:00+12:00""#]).await,
        r#"["Predator" "Terminator 2: Judgment Day"]"#
    );
    // What is not an instant is refused, naming it.
    let err = run(
        &db,
        r#"[:find ?m :where [?m :movie/released #inst "1991-02-30"]]"#,
        &[],
    )
    .await
    .unwrap_err();
    assert!(err.message.contains("1991-02-30"), "{}", err.message);
}

/// A function in an expression clause is a query function, not a "predicate", in its
/// error; so is one used as a predicate.
#[tokio::test]
async fn an_ion_function_without_an_app_is_named_a_query_function() {
    let db = movies().await;
    for q in [
        "[:find ?y :where [?m :movie/year ?x] [(my.fns/next-year ?x) ?y]]",
        "[:find ?m :where [?m :movie/year ?x] [(my.fns/classic? ?x)]]",
    ] {
        let e = run(&db, q, &[]).await.unwrap_err();
        assert!(
            e.message.contains(": query function my.fns/")
                && e.message.contains("cannot run: no app is loaded here"),
            "{q}: {}",
            e.message
        );
    }
}
