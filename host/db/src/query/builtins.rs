//! The built-in predicates and functions of `:where` expressions.

use super::parse::incorrect;
use crate::value::{F64, Value};
use ion_anomaly::IonError;

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
            | "re-pattern"
            | "re-find"
            | "re-matches"
            | "re-seq"
            | "compare"
            | "not"
            | "keyword"
            | "name"
            | "namespace"
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

/// Compares two values as Clojure does: numbers by value across long and double,
/// keywords and symbols by namespace and then name.
pub fn compare(a: &Value, b: &Value) -> std::cmp::Ordering {
    let split = |s: &str| match s.split_once('/') {
        Some((ns, name)) if !name.is_empty() => (Some(ns.to_owned()), name.to_owned()),
        _ => (None, s.to_owned()),
    };
    match (a, b) {
        (Value::Keyword(x), Value::Keyword(y)) | (Value::Symbol(x), Value::Symbol(y)) => {
            split(x).cmp(&split(y))
        }
        (Value::Tuple(x), Value::Tuple(y)) => x
            .iter()
            .zip(y)
            .map(|(a, b)| compare(a, b))
            .find(|o| o.is_ne())
            .unwrap_or(x.len().cmp(&y.len())),
        _ => match (num(a), num(b)) {
            (Some(x), Some(y)) => x.total_cmp(&y),
            _ => a.cmp(b),
        },
    }
}

/// The regex functions: a pattern is its source text (`re-pattern` returns it as is).
/// `nil` (no match) is `None`.
fn regex(name: &str, args: &[Value]) -> Result<Option<Value>, IonError> {
    let (Some(Value::Str(pattern)), rest) = (args.first(), &args[1.min(args.len())..]) else {
        return Err(incorrect(format!("{name} takes a pattern string first")));
    };
    if name == "re-pattern" {
        return Ok(Some(Value::Str(pattern.clone())));
    }
    let re = regex_lite::Regex::new(pattern)
        .map_err(|e| incorrect(format!("{name}: bad pattern {pattern:?}: {e}")))?;
    let [Value::Str(s)] = rest else {
        return Err(incorrect(format!("{name} takes a pattern and a string")));
    };
    // A match without groups is its text; with groups, a tuple of the text and groups.
    let found = |c: regex_lite::Captures<'_>| -> Value {
        if c.len() == 1 {
            Value::Str(c[0].to_owned())
        } else {
            Value::Tuple(
                c.iter()
                    .map(|g| {
                        g.map_or(Value::Str(String::new()), |g| {
                            Value::Str(g.as_str().to_owned())
                        })
                    })
                    .collect(),
            )
        }
    };
    Ok(match name {
        "re-find" => re.captures(s).map(found),
        "re-matches" => re.captures(s).filter(|c| c[0].len() == s.len()).map(found),
        _ => {
            let all: Vec<Value> = re.captures_iter(s).map(found).collect();
            (!all.is_empty()).then_some(Value::Tuple(all))
        }
    })
}

/// Calls built-in `name` (not the database ones) on `args`; `None` is `nil`.
pub fn call(name: &str, args: &[Value]) -> Result<Option<Value>, IonError> {
    if name.starts_with("re-") {
        return regex(name, args);
    }
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
    // Longs only: arithmetic on them is exact, as Clojure's is, and overflow is an error
    // (Clojure's ArithmeticException), not a wrapped or rounded result.
    let longs = || -> Option<Vec<i64>> {
        args.iter()
            .map(|a| match a {
                Value::Long(n) => Some(*n),
                _ => None,
            })
            .collect()
    };
    let exact = |r: Option<i64>| {
        r.map(Value::Long).ok_or_else(|| {
            incorrect(format!(
                "{name}: integer overflow with {}",
                args.iter()
                    .map(|a| ion_edn::print(&a.to_edn()))
                    .collect::<Vec<_>>()
                    .join(" ")
            ))
        })
    };
    let bool = Value::Bool;
    Ok(Some(match name {
        "=" | "==" => bool(args.windows(2).all(|w| compare(&w[0], &w[1]).is_eq())),
        "!=" | "not=" => bool(!args.windows(2).all(|w| compare(&w[0], &w[1]).is_eq())),
        "<" => bool(args.windows(2).all(|w| compare(&w[0], &w[1]).is_lt())),
        ">" => bool(args.windows(2).all(|w| compare(&w[0], &w[1]).is_gt())),
        "<=" => bool(args.windows(2).all(|w| !compare(&w[0], &w[1]).is_gt())),
        ">=" => bool(args.windows(2).all(|w| !compare(&w[0], &w[1]).is_lt())),
        "+" => match longs() {
            Some(n) => exact(n.iter().try_fold(0i64, |a, b| a.checked_add(*b)))?,
            None => number(all_num()?.iter().sum()),
        },
        "*" => match longs() {
            Some(n) => exact(n.iter().try_fold(1i64, |a, b| a.checked_mul(*b)))?,
            None => number(all_num()?.iter().product()),
        },
        "-" => match (longs(), all_num()?.as_slice()) {
            (_, []) => return Err(incorrect("- takes at least one number".into())),
            (Some(n), _) => exact(match n.as_slice() {
                [x] => x.checked_neg(),
                [x, rest @ ..] => rest.iter().try_fold(*x, |a, b| a.checked_sub(*b)),
                [] => None,
            })?,
            (None, [x]) => number(-x),
            (None, [x, rest @ ..]) => number(rest.iter().fold(*x, |a, b| a - b)),
        },
        "/" => {
            arity(2)?;
            let n = all_num()?;
            if n[1] == 0.0 {
                return Err(incorrect("division by zero".into()));
            }
            match longs().as_deref() {
                // Clojure would answer a ratio where the division is not exact; a double
                // stands in for it.
                Some([x, y]) if x.checked_rem(*y) == Some(0) => exact(x.checked_div(*y))?,
                Some([x, y]) if x.checked_rem(*y).is_none() => exact(None)?,
                _ => Value::Double(F64(n[0] / n[1])),
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
            exact(match name {
                "quot" => x.checked_div(*y),
                "rem" => x.checked_rem(*y),
                // Clojure's mod takes the divisor's sign.
                _ => x.checked_rem(*y).map(|m| {
                    if m != 0 && (m < 0) != (*y < 0) {
                        m + y
                    } else {
                        m
                    }
                }),
            })?
        }
        "inc" | "dec" => {
            arity(1)?;
            match (&args[0], name) {
                (Value::Long(x), "inc") => exact(x.checked_add(1))?,
                (Value::Long(x), _) => exact(x.checked_sub(1))?,
                _ => {
                    let n = all_num()?[0];
                    number(if name == "inc" { n + 1.0 } else { n - 1.0 })
                }
            }
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
        "tuple" | "vector" => {
            // A recursive rule could wrap a value once per step, without end; the result
            // must stay readable and its walkers within their stacks (ion_edn's limit).
            if args.iter().map(Value::depth).max().unwrap_or(0) >= ion_edn::MAX_DEPTH {
                return Err(incorrect(format!(
                    "{name}: the result would be nested deeper than {} levels, the most a value may be",
                    ion_edn::MAX_DEPTH
                )));
            }
            Value::Tuple(args.to_vec())
        }
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
        "compare" => {
            arity(2)?;
            Value::Long(compare(&args[0], &args[1]) as i64)
        }
        "not" => {
            arity(1)?;
            bool(args[0] == Value::Bool(false))
        }
        "keyword" => match args {
            [Value::Str(n)] => Value::Keyword(n.clone()),
            [Value::Str(ns), Value::Str(n)] => Value::Keyword(format!("{ns}/{n}")),
            _ => {
                return Err(incorrect(
                    "keyword takes a name, or a namespace and a name".into(),
                ));
            }
        },
        "name" | "namespace" => {
            arity(1)?;
            let (Value::Keyword(k) | Value::Symbol(k) | Value::Str(k)) = &args[0] else {
                return Err(incorrect(format!(
                    "{name} takes a keyword, symbol or string"
                )));
            };
            match (name, k.split_once('/')) {
                ("name", Some((_, n))) => Value::Str(n.to_owned()),
                ("name", None) => Value::Str(k.clone()),
                (_, Some((ns, _))) => Value::Str(ns.to_owned()),
                (_, None) => return Ok(None),
            }
        }
        other => return Err(incorrect(format!("unknown function {other}"))),
    }))
}
