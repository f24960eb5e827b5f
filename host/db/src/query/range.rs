//! Range scans for comparisons: a data pattern `[?e :a ?v]` whose value is free, followed
//! in the same clause list by predicates such as `[(< ?v 100)]` or `[(>= ?v #inst "…")]`
//! with constant bounds (or variables every row binds alike, as `:in` scalars),
//! reads only that stretch of AVET instead of every datom of `:a`.
//! The predicates still run after it, so the range only narrows the read: an answer
//! never depends on it. Bounds of another type than the attribute's values are ignored
//! (they compare by type first, as Datomic's do).

use super::bind::constant;
use super::parse::is_var;
use crate::value::Value;
use ion_edn::Edn;

/// The values a pattern's value may take: from `lo` (inclusive) up to `hi` (inclusive
/// when its flag says so).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Range {
    pub lo: Option<Value>,
    pub hi: Option<(Value, bool)>,
}

/// The range the comparisons among `later` put on `pattern`'s value variable, if any.
/// A bound may be a constant or a variable `known` gives the one value of (a variable
/// every row binds alike, such as a scalar of `:in`).
pub fn value_range(
    pattern: &Edn<'_>,
    later: &[Edn<'_>],
    known: &dyn Fn(&str) -> Option<Value>,
) -> Option<Range> {
    let Edn::Vector(items) = pattern else {
        return None;
    };
    let terms = match items.first() {
        Some(Edn::Symbol(s)) if s.starts_with('$') => &items[1..],
        Some(Edn::List(_)) | None => return None,
        _ => &items[..],
    };
    let var = is_var(terms.get(2)?)?;
    let mut range = Range::default();
    for clause in later {
        let Edn::Vector(parts) = clause else { continue };
        let [Edn::List(call)] = parts.as_slice() else {
            continue;
        };
        let [Edn::Symbol(op), a, b] = call.as_slice() else {
            continue;
        };
        // `?v op C`, or `C op ?v` turned around (`C` a constant or a known variable).
        let is = |e: &Edn<'_>| is_var(e).is_some_and(|x| x == var);
        let (op, bound) = match (is(a), is(b)) {
            (true, false) => (op.as_ref(), b),
            (false, true) => match op.as_ref() {
                "<" => (">", a),
                "<=" => (">=", a),
                ">" => ("<", a),
                ">=" => ("<=", a),
                _ => continue,
            },
            _ => continue,
        };
        let c = match is_var(bound) {
            Some(v) => match known(&v) {
                Some(c) => c,
                None => continue,
            },
            None => match constant(bound) {
                Ok(c) => c,
                Err(_) => continue,
            },
        };
        if !matches!(
            c,
            Value::Long(_) | Value::Double(_) | Value::Instant(_) | Value::Str(_)
        ) {
            continue;
        }
        match op {
            ">" | ">="
                if range
                    .lo
                    .as_ref()
                    .is_none_or(|lo| same_type(lo, &c) && c > *lo) =>
            {
                range.lo = Some(c);
            }
            "<" | "<="
                if range
                    .hi
                    .as_ref()
                    .is_none_or(|(hi, _)| same_type(hi, &c) && c < *hi) =>
            {
                range.hi = Some((c, op == "<="));
            }
            _ => {}
        }
    }
    if let (Some(lo), Some((hi, _))) = (&range.lo, &range.hi)
        && !same_type(lo, hi)
    {
        return None;
    }
    (range != Range::default()).then_some(range)
}

fn same_type(a: &Value, b: &Value) -> bool {
    std::mem::discriminant(a) == std::mem::discriminant(b)
}

impl Range {
    /// Whether the bounds are of the type `sample` (a value of the attribute) has.
    pub fn fits(&self, sample: &Value) -> bool {
        self.lo.as_ref().is_none_or(|lo| same_type(lo, sample))
            && self.hi.as_ref().is_none_or(|(hi, _)| same_type(hi, sample))
    }
}
