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
