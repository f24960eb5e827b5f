use super::*;

#[test]
fn reads_one_value_and_refuses_trailing_text() {
    assert_eq!(read(" {:a 1} ; done\n").unwrap(), read("{:a 1}").unwrap());
    let err = read("{:a 1}\n {:b 2}").unwrap_err();
    assert_eq!((err.line, err.column), (Some(2), Some(2)), "{err}");
    assert!(
        err.reason.contains("unexpected text after the value"),
        "{err}"
    );
}

#[test]
fn refuses_empty_dangling_and_duplicate() {
    assert!(
        read("  ; only a comment")
            .unwrap_err()
            .reason
            .contains("empty")
    );
    assert!(read("{:a}").unwrap_err().reason.contains("without a value"));
    assert!(
        read("{:a 1 :a 2}")
            .unwrap_err()
            .reason
            .contains("duplicate key")
    );
    let err = read("{:a 1,\n :b [2\n 3 #foo]}").unwrap_err();
    assert_eq!(err.line, Some(3), "{err}");
}

#[test]
fn printing_round_trips_types() {
    for text in [
        "1.0",
        "-0.5",
        "1.0E300",
        "[1 2.0 \"x\\ny\" :k/w sym nil true \\c]",
        "{:a #{1 2}, \"k\" (3)}",
        "#inst \"2020-01-01T00:00:00Z\"",
        "12345678901234567890123N",
        "1.5M",
    ] {
        let value = read(text).unwrap();
        let printed = print(&value);
        assert_eq!(
            read(&printed).unwrap(),
            value,
            "{text} printed as {printed}"
        );
    }
    assert_eq!(print(&read("1.0").unwrap()), "1.0");
}

#[test]
fn json_keys_become_keywords() {
    let json: serde_json::Value =
        serde_json::json!({"functionName": "g-echo", "n": 3, "x": null, "l": [1.5]});
    let edn = json_to_edn(&json);
    assert_eq!(get(&edn, "functionName"), Some(&string("g-echo")));
    assert_eq!(edn_to_json(&edn).unwrap(), json);
}

#[test]
fn infinities_read_back_as_printed_and_nan_is_refused() {
    // Found by fuzzing: `##Inf` used to read as the next form tagged `#Inf`.
    let v = read("[##Inf 2 ##-Inf \"##Inf\" \\# ;; ##NaN\n]").unwrap();
    let Edn::Vector(items) = &v else { panic!() };
    assert_eq!(items.len(), 5, "{}", print(&v));
    assert_eq!(print(&v), "[##Inf 2 ##-Inf \"##Inf\" \\#]");
    assert_eq!(print(&read(&print(&v)).unwrap()), print(&v));
    assert_eq!(print(&read("1e999").unwrap()), "##Inf");
    let e = read("{:a ##NaN}").unwrap_err();
    assert_eq!(
        e.to_string(),
        "line 1, column 5: ##NaN is not supported: a NaN double cannot be read"
    );
}

fn nested(open: &str, close: &str, n: usize) -> String {
    format!("{}1{}", open.repeat(n), close.repeat(n))
}

#[test]
fn nesting_up_to_the_limit_reads_and_deeper_is_refused_with_its_position() {
    for (open, close) in [
        ("[", "]"),
        ("(", ")"),
        ("#{", "}"),
        ("{:k ", "}"),
        ("#t ", ""),
    ] {
        let ok = nested(open, close, MAX_DEPTH);
        let v = read(&ok).unwrap_or_else(|e| panic!("{open}: {e}"));
        assert_eq!(read(&print(&v)).unwrap(), v, "{open} round trip");
        let e = read(&nested(open, close, MAX_DEPTH + 1)).unwrap_err();
        assert!(e.reason.contains("nested deeper than 256"), "{open}: {e}");
        assert_eq!(
            (e.line, e.column),
            (Some(1), Some(open.len() * MAX_DEPTH + 1)),
            "{open}: {e}"
        );
    }
    // What overflowed the stack before: 50 000 vectors, and as many tags.
    assert!(read(&nested("[", "]", 50_000)).is_err());
    assert!(read(&nested("#a ", "", 50_000)).is_err());
    assert!(read(&nested("#_ ", "", 50_000)).is_err());
}

#[test]
fn nesting_counts_only_real_openers_and_siblings_do_not_add_up() {
    // Brackets inside strings, comments and character literals open nothing.
    let text = format!(
        "[\"{}\" ; {}\n \\( \\[ \\{{ {}]",
        "[".repeat(1000),
        "(".repeat(1000),
        "[] ".repeat(1000)
    );
    let Edn::Vector(ref items) = read(&text).unwrap() else {
        panic!()
    };
    assert_eq!(items.len(), 1004);
    // Many siblings each MAX_DEPTH - 1 deep stay within the limit, tags included.
    let sibling =
        nested("[#inst ", "]", MAX_DEPTH / 2 - 1).replace('1', "\"2020-01-01T00:00:00Z\"");
    assert!(read(&format!("[{}]", [sibling.as_str(); 50].join(" "))).is_ok());
    // Non-ASCII whitespace and characters keep the scan on character boundaries.
    assert_eq!(
        read("[\u{a0}\\é \"é\" é]").map(|v| print(&v)).ok(),
        Some("[\\é \"é\" é]".to_owned())
    );
}
