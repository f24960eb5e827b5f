//! Printing EDN so that reading it back gives the same value (doubles keep their point,
//! non-finite doubles use `##Inf`/`##NaN`). Everything else is `clojure-reader`'s printer.

use crate::Edn;
use std::fmt::Write;

/// Prints `value` as compact EDN text.
pub fn print(value: &Edn<'_>) -> String {
    let mut out = String::new();
    write_value(&mut out, value);
    out
}

fn write_value(out: &mut String, value: &Edn<'_>) {
    match value {
        Edn::Double(d) => write_double(out, d.into_inner()),
        Edn::Vector(items) => write_seq(out, "[", items.iter(), "]"),
        Edn::List(items) => write_seq(out, "(", items.iter(), ")"),
        Edn::Set(items) => write_seq(out, "#{", items.iter(), "}"),
        Edn::Map(entries) => {
            out.push('{');
            for (i, (k, v)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_value(out, k);
                out.push(' ');
                write_value(out, v);
            }
            out.push('}');
        }
        Edn::Tagged(tag, inner) => {
            let _ = write!(out, "#{tag} ");
            write_value(out, inner);
        }
        other => {
            let _ = write!(out, "{other}");
        }
    }
}

fn write_seq<'a, 'e: 'a>(
    out: &mut String,
    open: &str,
    items: impl Iterator<Item = &'a Edn<'e>>,
    close: &str,
) {
    out.push_str(open);
    for (i, item) in items.enumerate() {
        if i > 0 {
            out.push(' ');
        }
        write_value(out, item);
    }
    out.push_str(close);
}

fn write_double(out: &mut String, d: f64) {
    if d.is_nan() {
        out.push_str("##NaN");
    } else if d.is_infinite() {
        out.push_str(if d > 0.0 { "##Inf" } else { "##-Inf" });
    } else {
        let text = format!("{d:?}");
        out.push_str(&text);
        if !text.contains(['.', 'e', 'E']) {
            out.push_str(".0");
        }
    }
}
