//! The built-in predicates and functions of `:where` expressions.

use super::parse::incorrect;
use crate::anomaly::IonError;
use crate::db::value::{F64, Value};

/// Whether `name` is a built-in predicate or function.
pub fn is_builtin(name: &str) -> bool {
    matches!(
        name,
        "=" | "=="
            | "!="
            | "not="
            | "<"
            | ">"
            | "<="
            | ">="
            | "+"
            | "-"
            | "*"
            | "/"
            | "quot"
            | "rem"
            | "mod"
            | "inc"
            | "dec"
            | "max"
            | "min"
            | "str"
            | "subs"
            | "count"
            | "identity"
            | "zero?"
            | "pos?"
            | "neg?"
            | "even?"
            | "odd?"
            | "true?"
            | "false?"
            | "some?"
            | "nil?"
            | "tuple"
            | "untuple"
            | "ground"
            | "missing?"
            | "get-else"
            | "get-some"
            | "vector"
            | "clojure.string/starts-with?"
            | "clojure.string/ends-with?"
            | "clojure.string/includes?"
            | "clojure.string/blank?"
            | "clojure.string/lower-case"
            | "clojure.string/upper-case"
            | "str/starts-with?"
            | "str/ends-with?"
            | "str/includes?"
    )
}

fn num(v: &Value) -> Option<f64> {
    match v {
        Value::Long(n) => Some(*n as f64),
        Value::Double(d) => Some(d.0),
        _ => None,
    }
}

fn text(v: &Value) -> String {
    match v {
        Value::Str(s) => s.clone(),
        Value::Keyword(k) => format!(":{k}"),
        other => ion_edn::print(&other.to_edn()),
    }
}

/// Compares two values as Datomic does (numbers by value across long and double).
pub fn compare(a: &Value, b: &Value) -> std::cmp::Ordering {
    match (num(a), num(b)) {
        (Some(x), Some(y)) => x.total_cmp(&y),
        _ => a.cmp(b),
    }
}

/// Calls built-in `name` (not the database ones) on `args`.
pub fn call(name: &str, args: &[Value]) -> Result<Value, IonError> {
    let arity = |n: usize| {
        if args.len() == n {
            Ok(())
        } else {
            Err(incorrect(format!(
                "{name} takes {n} arguments, got {}",
                args.len()
            )))
        }
    };
    let all_num = || -> Result<Vec<f64>, IonError> {
        args.iter()
            .map(|a| {
                num(a).ok_or_else(|| {
                    incorrect(format!(
                        "{name} takes numbers, got {}",
                        ion_edn::print(&a.to_edn())
                    ))
                })
            })
            .collect()
    };
    let any_double = args.iter().any(|a| matches!(a, Value::Double(_)));
    let number = |x: f64| {
        if any_double {
            Value::Double(F64(x))
        } else {
            Value::Long(x as i64)
        }
    };
    let bool = Value::Bool;
    Ok(match name {
        "=" | "==" => bool(args.windows(2).all(|w| compare(&w[0], &w[1]).is_eq())),
        "!=" | "not=" => bool(!args.windows(2).all(|w| compare(&w[0], &w[1]).is_eq())),
        "<" => bool(args.windows(2).all(|w| compare(&w[0], &w[1]).is_lt())),
        ">" => bool(args.windows(2).all(|w| compare(&w[0], &w[1]).is_gt())),
        "<=" => bool(args.windows(2).all(|w| !compare(&w[0], &w[1]).is_gt())),
        ">=" => bool(args.windows(2).all(|w| !compare(&w[0], &w[1]).is_lt())),
        "+" => number(all_num()?.iter().sum()),
        "*" => number(all_num()?.iter().product()),
        "-" => {
            let n = all_num()?;
            match n.as_slice() {
                [x] => number(-x),
                [x, rest @ ..] => number(rest.iter().fold(*x, |a, b| a - b)),
                [] => return Err(incorrect("- takes at least one number".into())),
            }
        }
        "/" => {
            let n = all_num()?;
            let [x, y] = n.as_slice() else {
                return Err(incorrect("/ takes two numbers".into()));
            };
            if *y == 0.0 {
                return Err(incorrect("division by zero".into()));
            }
            if any_double || x % y != 0.0 {
                Value::Double(F64(x / y))
            } else {
                Value::Long((x / y) as i64)
            }
        }
        "quot" | "rem" | "mod" => {
            arity(2)?;
            let (Value::Long(x), Value::Long(y)) = (&args[0], &args[1]) else {
                return Err(incorrect(format!("{name} takes two longs")));
            };
            if *y == 0 {
                return Err(incorrect("division by zero".into()));
            }
            Value::Long(match name {
                "quot" => x / y,
                "rem" => x % y,
                _ => x.rem_euclid(*y),
            })
        }
        "inc" | "dec" => {
            arity(1)?;
            let n = all_num()?[0];
            number(if name == "inc" { n + 1.0 } else { n - 1.0 })
        }
        "max" | "min" => args
            .iter()
            .cloned()
            .reduce(|a, b| {
                let keep_a = if name == "max" {
                    compare(&a, &b).is_ge()
                } else {
                    compare(&a, &b).is_le()
                };
                if keep_a { a } else { b }
            })
            .ok_or_else(|| incorrect(format!("{name} takes at least one value")))?,
        "str" => Value::Str(args.iter().map(text).collect()),
        "subs" => {
            let (Some(Value::Str(s)), Some(Value::Long(from))) = (args.first(), args.get(1)) else {
                return Err(incorrect("subs takes a string and a start".into()));
            };
            let chars: Vec<char> = s.chars().collect();
            let to = match args.get(2) {
                Some(Value::Long(t)) => *t as usize,
                _ => chars.len(),
            };
            Value::Str(
                chars
                    .get(*from as usize..to.min(chars.len()))
                    .unwrap_or_default()
                    .iter()
                    .collect(),
            )
        }
        "count" => {
            arity(1)?;
            match &args[0] {
                Value::Str(s) => Value::Long(s.chars().count() as i64),
                Value::Tuple(t) => Value::Long(t.len() as i64),
                other => {
                    return Err(incorrect(format!(
                        "count of {}",
                        ion_edn::print(&other.to_edn())
                    )));
                }
            }
        }
        "identity" | "ground" => {
            arity(1)?;
            args[0].clone()
        }
        "zero?" | "pos?" | "neg?" => {
            arity(1)?;
            let n = all_num()?[0];
            bool(match name {
                "zero?" => n == 0.0,
                "pos?" => n > 0.0,
                _ => n < 0.0,
            })
        }
        "even?" | "odd?" => {
            arity(1)?;
            let Value::Long(n) = args[0] else {
                return Err(incorrect(format!("{name} takes a long")));
            };
            bool((n % 2 == 0) == (name == "even?"))
        }
        "true?" => bool(args.first() == Some(&Value::Bool(true))),
        "false?" => bool(args.first() == Some(&Value::Bool(false))),
        "some?" => bool(!args.is_empty()),
        "nil?" => bool(false),
        "tuple" | "vector" => Value::Tuple(args.to_vec()),
        "clojure.string/starts-with?"
        | "str/starts-with?"
        | "clojure.string/ends-with?"
        | "str/ends-with?"
        | "clojure.string/includes?"
        | "str/includes?" => {
            arity(2)?;
            let (Value::Str(s), Value::Str(p)) = (&args[0], &args[1]) else {
                return Err(incorrect(format!("{name} takes two strings")));
            };
            bool(if name.ends_with("starts-with?") {
                s.starts_with(p.as_str())
            } else if name.ends_with("ends-with?") {
                s.ends_with(p.as_str())
            } else {
                s.contains(p.as_str())
            })
        }
        "clojure.string/blank?" => {
            bool(matches!(args.first(), Some(Value::Str(s)) if s.trim().is_empty()))
        }
        "clojure.string/lower-case" | "clojure.string/upper-case" => {
            let Some(Value::Str(s)) = args.first() else {
                return Err(incorrect(format!("{name} takes a string")));
            };
            Value::Str(if name.ends_with("lower-case") {
                s.to_lowercase()
            } else {
                s.to_uppercase()
            })
        }
        other => return Err(incorrect(format!("unknown function {other}"))),
    })
}
