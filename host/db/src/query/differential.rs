//! Our answers against DataScript's (npm `datascript`, run under node by
//! `tests/datascript/answer.mjs`) on 1,000 generated query/data pairs: 50 random
//! databases of 12 people (names, ages, tags, friends, schema-consistent), each asked 20
//! queries drawn from templates over the supported grammar — patterns, joins through
//! refs, predicates, `not`, `not-join`, `or`, recursive rules and aggregates — with
//! random constants. The first disagreement fails the test with the data, the query and
//! both answers; a case found that way belongs in the data-driven tests as a regression.
//!
//! DataScript is installed by `scripts/setup` (`scripts/setup-datascript`) into
//! `$HOME/.cache/ion-host/tools/datascript`, or `DATASCRIPT_DIR`.

use super::{Input, q};
use crate::{Db, NoFunctions, transact};
use ion_edn::{Edn, read};
use std::io::Write;
use std::process::{Command, Stdio};

/// A fixed linear congruential sequence: the same cases every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self, m: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % m
    }
}

struct Person {
    age: u64,
    tags: Vec<&'static str>,
    friends: Vec<usize>,
}

const PEOPLE: usize = 12;
const TAGS: [&str; 3] = ["t1", "t2", "t3"];
const RULES: &str =
    "[[(reach ?a ?b) [?a @friend ?b]] [(reach ?a ?b) [?a @friend ?c] (reach ?c ?b)]]";

/// Query templates: `@attr` is the attribute (`:a/attr` here, `"attr"` in DataScript's
/// JavaScript API), `$N` an age, `$T` a tag, `$P` a person's name; `%` marks a query that
/// takes the rules.
const TEMPLATES: [&str; 14] = [
    "[:find ?n :where [?e @name ?n] [?e @age ?a] [(> ?a $N)]]",
    "[:find ?n ?t :where [?e @name ?n] [?e @tag ?t]]",
    "[:find ?n :where [?e @name ?n] (not [?e @tag \"$T\"])]",
    "[:find ?n :where [?e @name ?n] (or [?e @tag \"$T\"] [?e @age $N])]",
    "[:find ?n ?fn :where [?e @name ?n] [?e @friend ?f] [?f @name ?fn]]",
    "[:find ?n (count ?f) :where [?e @name ?n] [?e @friend ?f]]",
    "[:find (max ?a) (min ?a) :where [?e @age ?a]]",
    "[:find ?n2 :in $ % :where [?e @name \"$P\"] (reach ?e ?x) [?x @name ?n2]]",
    "[:find ?n :where [?e @age ?a] [?e2 @age ?a] [(!= ?e ?e2)] [?e @name ?n]]",
    "[:find ?n :where [?e @name ?n] (not-join [?e] [?e @friend ?f] [?f @tag \"$T\"])]",
    "[:find (sum ?a) :with ?e :where [?e @age ?a] [(< ?a $N)]]",
    "[:find ?t (count ?e) :where [?e @tag ?t]]",
    "[:find ?fn :where [?e @name \"$P\"] [?f @friend ?e] [?f @name ?fn]]",
    "[:find ?n ?a :where [?e @tag \"$T\"] [?e @age ?a] [(<= ?a $N)] [?e @name ?n]]",
];

fn people(rng: &mut Rng) -> Vec<Person> {
    (0..PEOPLE)
        .map(|_| Person {
            age: 20 + rng.next(12),
            tags: TAGS.into_iter().filter(|_| rng.next(2) == 0).collect(),
            friends: {
                let mut f: Vec<usize> = (0..rng.next(3))
                    .map(|_| rng.next(PEOPLE as u64) as usize)
                    .collect();
                f.sort_unstable();
                f.dedup();
                f
            },
        })
        .collect()
}

/// A template's query for us and for DataScript.
fn render(template: &str, rng: &mut Rng) -> (String, String) {
    let filled = template
        .replace("$N", &(20 + rng.next(12)).to_string())
        .replace("$T", TAGS[rng.next(3) as usize])
        .replace("$P", &format!("p{}", rng.next(PEOPLE as u64)));
    let ours = ["name", "age", "tag", "friend"]
        .iter()
        .fold(filled.clone(), |q, a| {
            q.replace(&format!("@{a}"), &format!(":a/{a}"))
        });
    let theirs = ["name", "age", "tag", "friend"]
        .iter()
        .fold(filled, |q, a| {
            q.replace(&format!("@{a}"), &format!("\"{a}\""))
        });
    (ours, theirs)
}

fn json_str(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

async fn our_db(people: &[Person]) -> Db {
    let schema = r#"[{:db/ident :a/name :db/valueType :db.type/string :db/cardinality :db.cardinality/one :db/unique :db.unique/identity}
                     {:db/ident :a/age :db/valueType :db.type/long :db/cardinality :db.cardinality/one}
                     {:db/ident :a/tag :db/valueType :db.type/string :db/cardinality :db.cardinality/many}
                     {:db/ident :a/friend :db/valueType :db.type/ref :db/cardinality :db.cardinality/many}]"#;
    let db = transact::transact(&Db::empty(), &read(schema).unwrap(), &NoFunctions, 0)
        .await
        .unwrap()
        .db_after;
    let tx: String = people
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let tags: Vec<String> = p.tags.iter().map(|t| format!("\"{t}\"")).collect();
            let friends: Vec<String> = p.friends.iter().map(|f| format!("\"e{f}\"")).collect();
            format!(
                "{{:db/id \"e{i}\" :a/name \"p{i}\" :a/age {} :a/tag [{}] :a/friend [{}]}}",
                p.age,
                tags.join(" "),
                friends.join(" ")
            )
        })
        .collect();
    transact::transact(&db, &read(&format!("[{tx}]")).unwrap(), &NoFunctions, 0)
        .await
        .unwrap()
        .db_after
}

/// Our answer in the form answer.mjs prints DataScript's.
fn normal(result: &Edn<'_>) -> String {
    let Edn::Vector(tuples) = result else {
        return format!("not a relation: {}", ion_edn::print(result));
    };
    let mut lines: Vec<String> = tuples
        .iter()
        .map(|t| match t {
            Edn::Vector(items) => items
                .iter()
                .map(|v| match v {
                    Edn::Str(s) => s.to_string(),
                    other => ion_edn::print(other),
                })
                .collect::<Vec<_>>()
                .join("|"),
            other => ion_edn::print(other),
        })
        .collect();
    lines.sort();
    lines.join(" ; ")
}

#[tokio::test]
async fn our_answers_are_datascripts_on_1000_generated_query_data_pairs() {
    let dir = std::env::var("DATASCRIPT_DIR").unwrap_or_else(|_| {
        format!(
            "{}/.cache/ion-host/tools/datascript",
            std::env::var("HOME").unwrap_or_default()
        )
    });
    assert!(
        std::path::Path::new(&dir)
            .join("node_modules/datascript/package.json")
            .exists(),
        "DataScript is not installed in {dir}: run scripts/setup (scripts/setup-datascript)"
    );
    let mut rng = Rng(7);
    let mut cases = Vec::new();
    let mut input = String::from("[");
    for c in 0..50 {
        let people = people(&mut rng);
        let queries: Vec<(String, String, bool)> = (0..20)
            .map(|_| {
                let t = TEMPLATES[rng.next(TEMPLATES.len() as u64) as usize];
                let (ours, theirs) = render(t, &mut rng);
                (ours, theirs, t.contains(" % "))
            })
            .collect();
        let json_people: Vec<String> = people
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let tags: Vec<String> = p.tags.iter().map(|t| json_str(t)).collect();
                let friends: Vec<String> = p.friends.iter().map(|f| f.to_string()).collect();
                format!(
                    "{{\"id\":{i},\"name\":\"p{i}\",\"age\":{},\"tag\":[{}],\"friend\":[{}]}}",
                    p.age,
                    tags.join(","),
                    friends.join(",")
                )
            })
            .collect();
        let theirs_rules = render(RULES, &mut Rng(0)).1;
        let json_queries: Vec<String> = queries
            .iter()
            .map(|(_, theirs, rules)| match rules {
                true => format!(
                    "{{\"q\":{},\"rules\":{}}}",
                    json_str(theirs),
                    json_str(&theirs_rules)
                ),
                false => format!("{{\"q\":{}}}", json_str(theirs)),
            })
            .collect();
        if c > 0 {
            input.push(',');
        }
        input.push_str(&format!(
            "{{\"people\":[{}],\"queries\":[{}]}}",
            json_people.join(","),
            json_queries.join(",")
        ));
        cases.push((people, queries));
    }
    input.push(']');
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/datascript/answer.mjs");
    let mut child = Command::new("node")
        .arg(&script)
        .env("DATASCRIPT_DIR", &dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("running node");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{} failed: {}",
        script.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let answers: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    assert_eq!(
        answers.len(),
        1000,
        "DataScript answered {} queries",
        answers.len()
    );
    let rules = read(&render(RULES, &mut Rng(0)).0).unwrap();
    let mut answers = answers.into_iter();
    let mut checked = 0;
    for (people, queries) in &cases {
        let db = our_db(people).await;
        for (ours, _, takes_rules) in queries {
            let theirs = answers.next().unwrap();
            let mut inputs = vec![Input::Db(&db)];
            if *takes_rules {
                inputs.push(Input::Value(rules.clone()));
            }
            let mine = match q(&read(ours).unwrap(), inputs, &NoFunctions).await {
                Ok(r) => normal(&r),
                Err(e) => format!("error: {}", e.message),
            };
            assert_eq!(
                mine,
                theirs,
                "\nquery {ours}\npeople {}",
                people
                    .iter()
                    .enumerate()
                    .map(|(i, p)| format!(
                        "p{i}: age {} tags {:?} friends {:?}",
                        p.age, p.tags, p.friends
                    ))
                    .collect::<Vec<_>>()
                    .join("; ")
            );
            checked += 1;
        }
    }
    assert_eq!(checked, 1000);
}
