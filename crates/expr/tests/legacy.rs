//! The legacy parameters (`Expected`, `ConditionalOperator`, `QueryFilter`, `ScanFilter`,
//! `KeyConditions`, `AttributeUpdates`) translated onto the expression trees, table-driven:
//! each row is the parameter as JSON on the wire and the expected result or exact message.
//!
//! Evidence, noted per row or per table:
//! - `scylla`: ScyllaDB Alternator's `test_expected.py` / `test_update_item.py`, written to
//!   pass against DynamoDB;
//! - `dynalite`: dynalite's `test/*.js`, recorded against DynamoDB;
//! - `floci`: the DynamoDB-vs-emulator matrix of floci#2125 (2026);
//! - `sdk2026`: SDK conformance suites checked against DynamoDB in 2026 (ExtendDB's
//!   `test_conditional_operator.py`, a DeleteItem "request validation envelope" suite);
//! - `ddblocal`: DynamoDB Local's validators, for check order the recordings leave open.

mod common;

use std::collections::{BTreeMap, HashMap};

use common::{canon_item, item, v};
use ferrodyn_expr::{
    attribute_updates, check_query_filter_keys, expected_condition, filter_condition,
    key_conditions, AttributeValueUpdate, Context, ExpectedAttributeValue, FilterParameter,
    KeyAttribute, KeyOperator, KeyRange, LegacyCondition, ParametersPresent,
};
use ferrodyn_types::{AttributeType, AttributeValue, Item};

const ITEM: &str = r#"{
    pk: "p", s: "hello", n: 5, b: b"hi there", t: true, nul: null,
    l: [2, "two", true, null], m: {x: 1},
    ss: ss("a", "b"), ns: ns(2, 4, 7), bs: bs(b"x", b"y")
}"#;

const INVALID: &str = "One or more parameter values were invalid: ";

fn json<T: serde::de::DeserializeOwned>(src: &str) -> T {
    serde_json::from_str(src).unwrap_or_else(|e| panic!("{src}: {e}"))
}

fn report(failures: Vec<String>) {
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

// ---------------------------------------------------------------------------------------
// Expected: evaluation.

/// `Expected` (JSON) + `ConditionalOperator` against `target`: the condition's verdict, or
/// the error message.
fn expected_verdict(src: &str, op: Option<&str>, target: Option<&Item>) -> Result<bool, String> {
    let map: BTreeMap<String, ExpectedAttributeValue> = json(src);
    let condition = expected_condition(Some(&map), op).map_err(|e| e.to_string())?;
    Ok(condition.is_none_or(|c| c.evaluate(target)))
}

/// Rows: attribute, its `ExpectedAttributeValue` as JSON, verdict against [`ITEM`].
fn check_expected(rows: &[(&str, &str, bool)]) {
    let it = item(ITEM);
    let mut failures = Vec::new();
    for (attr, entry, want) in rows {
        let src = format!(r#"{{"{attr}": {entry}}}"#);
        let got = expected_verdict(&src, None, Some(&it));
        if got != Ok(*want) {
            failures.push(format!("{src}\n    want: {want}\n    got:  {got:?}"));
        }
    }
    report(failures);
}

fn cmp(op: &str, values: &str) -> String {
    format!(r#"{{"ComparisonOperator": "{op}", "AttributeValueList": [{values}]}}"#)
}

#[test]
fn expected_comparison_operators() {
    let rows: Vec<(&str, String, bool)> = vec![
        // EQ: same type and value; sets as sets; any operand type (scylla eq tests).
        ("s", cmp("EQ", r#"{"S": "hello"}"#), true),
        ("s", cmp("EQ", r#"{"S": "world"}"#), false),
        ("n", cmp("EQ", r#"{"N": "5.0"}"#), true),
        ("n", cmp("EQ", r#"{"S": "5"}"#), false), // scylla: other type is a failed check
        ("nope", cmp("EQ", r#"{"S": "hello"}"#), false),
        ("ss", cmp("EQ", r#"{"SS": ["b", "a"]}"#), true), // scylla eq_set
        ("t", cmp("EQ", r#"{"BOOL": true}"#), true),      // dynalite#156: works on DynamoDB
        ("nul", cmp("EQ", r#"{"NULL": true}"#), true),
        ("m", cmp("EQ", r#"{"M": {"x": {"N": "1"}}}"#), true),
        ("l", cmp("EQ", r#"{"L": [{"N": "2"}]}"#), false),
        // NE: true for another type and for a missing attribute (scylla ne_true).
        ("s", cmp("NE", r#"{"S": "world"}"#), true),
        ("s", cmp("NE", r#"{"S": "hello"}"#), false),
        ("n", cmp("NE", r#"{"S": "5"}"#), true),
        ("nope", cmp("NE", r#"{"N": "1"}"#), true),
        // Ordering: S, N, B; another type is false (scylla le/lt/ge/gt).
        ("n", cmp("LE", r#"{"N": "5"}"#), true),
        ("n", cmp("LT", r#"{"N": "5"}"#), false),
        ("n", cmp("GE", r#"{"N": "5"}"#), true),
        ("n", cmp("GT", r#"{"N": "4.99"}"#), true),
        ("n", cmp("GT", r#"{"N": "5"}"#), false),
        ("s", cmp("LT", r#"{"S": "z"}"#), true),
        ("s", cmp("GE", r#"{"S": "aardvark"}"#), true),
        ("b", cmp("LT", r#"{"B": "aGo="}"#), true), // "hi there" < "hj"
        ("n", cmp("LT", r#"{"S": "9"}"#), false),
        ("nope", cmp("LT", r#"{"N": "9"}"#), false),
        // NOT_NULL / NULL test presence, not the NULL type (scylla not_null / null).
        ("s", cmp("NOT_NULL", ""), true),
        ("nul", cmp("NOT_NULL", ""), true),
        ("nope", cmp("NOT_NULL", ""), false),
        ("nope", cmp("NULL", ""), true),
        ("nul", cmp("NULL", ""), false),
        ("s", r#"{"ComparisonOperator": "NULL"}"#.into(), false),
        // CONTAINS: substring, set member, list element (scylla contains).
        ("s", cmp("CONTAINS", r#"{"S": "ell"}"#), true),
        ("s", cmp("CONTAINS", r#"{"S": "dog"}"#), false),
        ("s", cmp("CONTAINS", r#"{"N": "1"}"#), false),
        ("b", cmp("CONTAINS", r#"{"B": "aGVyZQ=="}"#), true), // "here"
        ("ss", cmp("CONTAINS", r#"{"S": "a"}"#), true),
        ("ns", cmp("CONTAINS", r#"{"N": "4"}"#), true),
        ("ns", cmp("CONTAINS", r#"{"N": "1"}"#), false),
        ("l", cmp("CONTAINS", r#"{"S": "two"}"#), true),
        ("l", cmp("CONTAINS", r#"{"N": "2"}"#), true),
        ("l", cmp("CONTAINS", r#"{"BOOL": true}"#), true),
        ("l", cmp("CONTAINS", r#"{"NULL": true}"#), true),
        ("n", cmp("CONTAINS", r#"{"N": "5"}"#), false),
        ("nope", cmp("CONTAINS", r#"{"N": "1"}"#), false),
        // NOT_CONTAINS: the negation, but false on a missing attribute (scylla
        // not_contains: "Surprisingly, if an attribute does not exist at all, NOT_CONTAINS
        // fails").
        ("s", cmp("NOT_CONTAINS", r#"{"S": "dog"}"#), true),
        ("s", cmp("NOT_CONTAINS", r#"{"N": "1"}"#), true),
        ("s", cmp("NOT_CONTAINS", r#"{"S": "ell"}"#), false),
        ("ns", cmp("NOT_CONTAINS", r#"{"N": "1"}"#), true),
        ("ns", cmp("NOT_CONTAINS", r#"{"N": "4"}"#), false),
        ("l", cmp("NOT_CONTAINS", r#"{"S": "two"}"#), false),
        ("b", cmp("NOT_CONTAINS", r#"{"B": "ZG9n"}"#), true),
        ("nope", cmp("NOT_CONTAINS", r#"{"N": "1"}"#), false),
        // BEGINS_WITH: strings and binaries; a number attribute just fails (scylla).
        ("s", cmp("BEGINS_WITH", r#"{"S": "he"}"#), true),
        ("s", cmp("BEGINS_WITH", r#"{"S": "lo"}"#), false),
        ("b", cmp("BEGINS_WITH", r#"{"B": "aGk="}"#), true),
        ("n", cmp("BEGINS_WITH", r#"{"S": "5"}"#), false),
        ("nope", cmp("BEGINS_WITH", r#"{"S": "he"}"#), false),
        // IN: the attribute is one of the values; not set membership (scylla in).
        (
            "n",
            cmp("IN", r#"{"N": "3"}, {"N": "5"}, {"N": "8"}"#),
            true,
        ),
        ("n", cmp("IN", r#"{"N": "1"}, {"N": "2"}"#), false),
        ("ns", cmp("IN", r#"{"N": "2"}"#), false),
        ("s", cmp("IN", r#"{"S": "hello"}"#), true),
        ("nope", cmp("IN", r#"{"N": "5"}"#), false),
        // BETWEEN: inclusive (scylla between).
        ("n", cmp("BETWEEN", r#"{"N": "1"}, {"N": "5"}"#), true),
        ("n", cmp("BETWEEN", r#"{"N": "5"}, {"N": "9"}"#), true),
        ("n", cmp("BETWEEN", r#"{"N": "6"}, {"N": "9"}"#), false),
        (
            "s",
            cmp("BETWEEN", r#"{"S": "aardvark"}, {"S": "zebra"}"#),
            true,
        ),
        ("s", cmp("BETWEEN", r#"{"S": "cat"}, {"S": "dog"}"#), false),
        ("n", cmp("BETWEEN", r#"{"S": "0"}, {"S": "9"}"#), false),
        ("nope", cmp("BETWEEN", r#"{"N": "0"}, {"N": "100"}"#), false),
    ];
    let rows: Vec<(&str, &str, bool)> = rows.iter().map(|(a, e, w)| (*a, e.as_str(), *w)).collect();
    check_expected(&rows);
}

#[test]
fn expected_value_and_exists() {
    check_expected(&[
        // Value alone is equality; a missing attribute fails it (scylla value_true/false).
        ("s", r#"{"Value": {"S": "hello"}}"#, true),
        ("s", r#"{"Value": {"S": "world"}}"#, false),
        ("nope", r#"{"Value": {"S": "hello"}}"#, false),
        ("n", r#"{"Value": {"N": "5"}}"#, true),
        // Exists true + Value compares the value (floci#2125, scylla exists_false).
        ("n", r#"{"Exists": true, "Value": {"N": "5"}}"#, true),
        ("n", r#"{"Exists": true, "Value": {"N": "6"}}"#, false),
        // Exists false: absence (scylla exists_true/exists_false).
        ("nope", r#"{"Exists": false}"#, true),
        ("s", r#"{"Exists": false}"#, false),
        ("nul", r#"{"Exists": false}"#, false),
        // Value with a ComparisonOperator is accepted as its operand (floci#2125, dynalite
        // putItem "should succeed if conditional key is same").
        (
            "s",
            r#"{"Value": {"S": "hello"}, "ComparisonOperator": "EQ"}"#,
            true,
        ),
        (
            "s",
            r#"{"Value": {"S": "he"}, "ComparisonOperator": "BEGINS_WITH"}"#,
            true,
        ),
        (
            "n",
            r#"{"Value": {"N": "9"}, "ComparisonOperator": "LT"}"#,
            true,
        ),
        // JSON null counts as absent, unknown members are ignored.
        (
            "s",
            r#"{"Value": {"S": "hello"}, "Exists": null, "Other": 1}"#,
            true,
        ),
    ]);
}

#[test]
fn expected_on_missing_item() {
    let rows: &[(&str, bool)] = &[
        (r#"{"a": {"Value": {"S": "x"}}}"#, false), // dynalite "expecting non-existent key to exist"
        (r#"{"a": {"ComparisonOperator": "NOT_NULL"}}"#, false), // dynalite
        (r#"{"a": {"Exists": false}}"#, true),
        (r#"{"a": {"ComparisonOperator": "NULL"}}"#, true),
        (
            r#"{"a": {"ComparisonOperator": "NE", "AttributeValueList": [{"S": "x"}]}}"#,
            true,
        ),
        (
            r#"{"a": {"ComparisonOperator": "NOT_CONTAINS", "AttributeValueList": [{"S": "x"}]}}"#,
            false,
        ),
        (r#"{}"#, true),
    ];
    let mut failures = Vec::new();
    for (src, want) in rows {
        let got = expected_verdict(src, None, None);
        if got != Ok(*want) {
            failures.push(format!("{src}: want {want}, got {got:?}"));
        }
    }
    report(failures);
}

#[test]
fn expected_conditional_operator() {
    let it = item(ITEM);
    // a is true, b is false, c is true.
    let three = r#"{
        "s": {"Exists": true, "Value": {"S": "hello"}},
        "n": {"ComparisonOperator": "EQ", "AttributeValueList": [{"N": "999"}]},
        "nope": {"Exists": false}
    }"#;
    let both_false = r#"{
        "s": {"Value": {"S": "world"}},
        "n": {"ComparisonOperator": "EQ", "AttributeValueList": [{"N": "999"}]}
    }"#;
    let rows: &[(&str, Option<&str>, Result<bool, &str>)] = &[
        // scylla multi_true / multi_false: AND by default, OR when asked.
        (three, None, Ok(false)),
        (three, Some("AND"), Ok(false)),
        (three, Some("OR"), Ok(true)),
        (both_false, Some("OR"), Ok(false)),
        (r#"{"s": {"Value": {"S": "hello"}}, "n": {"Value": {"N": "5"}}}"#, Some("AND"), Ok(true)),
        // An empty Expected checks nothing (scylla expected_empty).
        ("{}", None, Ok(true)),
        // ConditionalOperator needs two or more conditions (sdk2026 ExtendDB, ddblocal
        // COND_OP_WITHOUT_FILTER_OR_EXPECTED / COND_OP_WITH_ONE_ELEMENT; scylla: empty
        // Expected with ConditionalOperator is a ValidationException about it).
        ("{}", Some("OR"), Err("ConditionalOperator cannot be used without Filter or Expected")),
        ("{}", Some("AND"), Err("ConditionalOperator cannot be used without Filter or Expected")),
        (
            r#"{"s": {"Value": {"S": "hello"}}}"#,
            Some("AND"),
            Err("ConditionalOperator can only be used when Filter or Expected has two or more elements"),
        ),
        // An unknown value is the member-constraint error (the API's member pass normally
        // reports it first; dynalite query "incorrect attributes" gives the text).
        (
            both_false,
            Some("AN"),
            Err("1 validation error detected: Value 'AN' at 'conditionalOperator' failed to satisfy constraint: Member must satisfy enum value set: [OR, AND]"),
        ),
    ];
    let mut failures = Vec::new();
    for (src, op, want) in rows {
        let got = expected_verdict(src, *op, Some(&it));
        if got != want.map_err(str::to_owned) {
            failures.push(format!(
                "{src} / {op:?}\n    want: {want:?}\n    got:  {got:?}"
            ));
        }
    }
    report(failures);
    // Without Expected at all.
    assert_eq!(
        expected_condition(None, Some("AND"))
            .unwrap_err()
            .to_string(),
        "ConditionalOperator cannot be used without Filter or Expected"
    );
    assert_eq!(expected_condition(None, None), Ok(None));
}

// ---------------------------------------------------------------------------------------
// Expected: validation.

fn check_expected_errors(rows: &[(&str, &str)]) {
    let mut failures = Vec::new();
    for (src, want) in rows {
        let got = expected_verdict(src, None, None);
        let want = want.replace("INVALID: ", INVALID);
        if got != Err(want.clone()) {
            failures.push(format!("{src}\n    want: {want}\n    got:  {got:?}"));
        }
    }
    report(failures);
}

#[test]
fn expected_shape_errors() {
    check_expected_errors(&[
        // dynalite putItem/updateItem validations (recorded); floci#2125 and sdk2026
        // DeleteItem envelope give the same texts (inside DynamoDB's current
        // "1 validation error detected: " envelope, which the API layer adds).
        (r#"{"a": {}}"#, "INVALID: Value must be provided when Exists is null for Attribute: a"),
        (r#"{"a": {"Exists": true}}"#, "INVALID: Value must be provided when Exists is true for Attribute: a"),
        (r#"{"a": {"Exists": false, "Value": {"S": "a"}}}"#, "INVALID: Value cannot be used when Exists is false for Attribute: a"),
        (r#"{"a": {"ComparisonOperator": "LT"}}"#, "INVALID: Value or AttributeValueList must be used with ComparisonOperator: LT for Attribute: a"),
        (r#"{"a": {"ComparisonOperator": "EQ"}}"#, "INVALID: Value or AttributeValueList must be used with ComparisonOperator: EQ for Attribute: a"),
        (r#"{"a": {"Exists": true, "ComparisonOperator": "LT"}}"#, "INVALID: Exists and ComparisonOperator cannot be used together for Attribute: a"),
        (r#"{"a": {"Exists": false, "ComparisonOperator": "EQ", "AttributeValueList": [{"N": "3"}]}}"#, "INVALID: Exists and ComparisonOperator cannot be used together for Attribute: a"), // scylla operator_clash
        (r#"{"a": {"Value": {"S": "a"}, "AttributeValueList": [{"S": "a"}], "ComparisonOperator": "LT"}}"#, "INVALID: Value and AttributeValueList cannot be used together for Attribute: a"),
        (r#"{"a": {"AttributeValueList": [{"S": "a"}]}}"#, "INVALID: AttributeValueList can only be used with a ComparisonOperator for Attribute: a"),
        (r#"{"a": {"Exists": true, "AttributeValueList": [{"S": "a"}]}}"#, "INVALID: AttributeValueList can only be used with a ComparisonOperator for Attribute: a"),
        (r#"{"a": {"Exists": false, "AttributeValueList": [{"S": "a"}]}}"#, "INVALID: AttributeValueList can only be used with a ComparisonOperator for Attribute: a"),
        // Check order when several rules break (ddblocal validateExpectedAttribute):
        // Exists+ComparisonOperator first, then Value+AttributeValueList.
        (r#"{"a": {"Exists": true, "Value": {"S": "a"}, "AttributeValueList": [], "ComparisonOperator": "EQ"}}"#, "INVALID: Exists and ComparisonOperator cannot be used together for Attribute: a"),
        // Entries are checked in attribute-name order.
        (r#"{"b": {}, "a": {"Exists": true}}"#, "INVALID: Value must be provided when Exists is true for Attribute: a"),
        (
            r#"{"a": {"ComparisonOperator": "XX", "AttributeValueList": []}}"#,
            "1 validation error detected: Value 'XX' at 'expected.a.member.comparisonOperator' failed to satisfy constraint: Member must satisfy enum value set: [IN, NULL, BETWEEN, LT, NOT_CONTAINS, EQ, GT, NOT_NULL, NE, LE, BEGINS_WITH, GE, CONTAINS]",
        ),
    ]);
}

#[test]
fn expected_operand_errors() {
    let count = |op: &str| {
        format!("INVALID: Invalid number of argument(s) for the {op} ComparisonOperator")
    };
    let rows: Vec<(String, String)> = vec![
        // dynalite putItem "AttributeValueList is incorrect length" (recorded).
        (cmp("EQ", ""), count("EQ")),
        (cmp("NULL", r#"{"S": "a"}"#), count("NULL")),
        (cmp("IN", ""), count("IN")),
        (cmp("BETWEEN", r#"{"N": "1"}, {"N": "10"}, {"N": "12"}"#), count("BETWEEN")),
        (r#"{"Value": {"S": "a"}, "ComparisonOperator": "NULL"}"#.into(), count("NULL")),
        (r#"{"Value": {"S": "a"}, "ComparisonOperator": "BETWEEN"}"#.into(), count("BETWEEN")),
        (cmp("BETWEEN", r#"{"S": "x"}"#), count("BETWEEN")), // sdk2026 DeleteItem envelope
        // scylla: two values for single-operand operators, none for CONTAINS.
        (cmp("EQ", r#"{"N": "2"}, {"N": "3"}"#), count("EQ")),
        (cmp("NE", r#"{"N": "2"}, {"N": "3"}"#), count("NE")),
        (cmp("GT", r#"{"N": "2"}, {"N": "3"}"#), count("GT")),
        (cmp("CONTAINS", ""), count("CONTAINS")),
        (cmp("NOT_CONTAINS", r#"{"N": "2"}, {"N": "3"}"#), count("NOT_CONTAINS")),
        (cmp("BEGINS_WITH", r#"{"S": "hell"}, {"S": "heaven"}"#), count("BEGINS_WITH")),
        (cmp("NOT_NULL", r#"{"N": "2"}"#), count("NOT_NULL")),
        // scylla: these are ValidationExceptions; the texts are DynamoDB's for the same
        // checks in QueryFilter (dynalite query/scan, recorded).
        (cmp("CONTAINS", r#"{"L": [{"N": "1"}]}"#), "INVALID: ComparisonOperator CONTAINS is not valid for L AttributeValue type".into()),
        (cmp("NOT_CONTAINS", r#"{"L": [{"N": "1"}]}"#), "INVALID: ComparisonOperator NOT_CONTAINS is not valid for L AttributeValue type".into()),
        (cmp("IN", r#"{"L": [{"N": "1"}]}, {"L": [{"N": "2"}]}"#), "INVALID: ComparisonOperator IN is not valid for L AttributeValue type".into()),
        (cmp("IN", r#"{"N": "3"}, {"S": "dog"}"#), "INVALID: AttributeValues inside AttributeValueList must be of same type".into()),
        (cmp("BETWEEN", r#"{"N": "4"}, {"S": "dog"}"#), "INVALID: AttributeValues inside AttributeValueList must be of same type".into()),
        (cmp("BETWEEN", r#"{"NS": ["1"]}, {"NS": ["2"]}"#), "INVALID: ComparisonOperator BETWEEN is not valid for NS AttributeValue type".into()),
        (cmp("BEGINS_WITH", r#"{"N": "3"}"#), "INVALID: ComparisonOperator BEGINS_WITH is not valid for N AttributeValue type".into()),
        (cmp("BETWEEN", r#"{"N": "4"}, {"N": "3"}"#), "The BETWEEN condition was provided a range where the lower bound is greater than the upper bound".into()),
        (cmp("BETWEEN", r#"{"S": "dog"}, {"S": "aardvark"}"#), "The BETWEEN condition was provided a range where the lower bound is greater than the upper bound".into()),
        // Each value: its type against the operator, then against the first value's type
        // (ddblocal validateArgumentsForComparisonOperator).
        (cmp("IN", r#"{"S": "a"}, {"BOOL": true}"#), "INVALID: ComparisonOperator IN is not valid for BOOL AttributeValue type".into()),
    ];
    let rows: Vec<(String, String)> = rows
        .into_iter()
        .map(|(entry, want)| (format!(r#"{{"a": {entry}}}"#), want))
        .collect();
    let rows: Vec<(&str, &str)> = rows.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    check_expected_errors(&rows);
}

// ---------------------------------------------------------------------------------------
// QueryFilter / ScanFilter.

fn filter_result(
    parameter: FilterParameter,
    src: &str,
    op: Option<&str>,
    target: Option<&Item>,
) -> Result<bool, String> {
    let map: BTreeMap<String, LegacyCondition> = json(src);
    let condition = filter_condition(parameter, Some(&map), op).map_err(|e| e.to_string())?;
    Ok(condition.is_none_or(|c| c.evaluate(target)))
}

const TYPE_SAMPLES: &[(&str, &str)] = &[
    ("S", r#"{"S": "a"}"#),
    ("N", r#"{"N": "1"}"#),
    ("B", r#"{"B": "YQ=="}"#),
    ("BOOL", r#"{"BOOL": true}"#),
    ("NULL", r#"{"NULL": true}"#),
    ("SS", r#"{"SS": ["a"]}"#),
    ("NS", r#"{"NS": ["1"]}"#),
    ("BS", r#"{"BS": ["YWJjZA=="]}"#),
    ("M", r#"{"M": {}}"#),
    ("L", r#"{"L": []}"#),
];

/// Which operand types each operator accepts: dynalite query/scan "invalid
/// ComparisonOperator types" (recorded) for the refusals, dynalite#156 (EQ on BOOL works on
/// DynamoDB) and ddblocal's type sets for the rest.
fn accepted_types(op: &str) -> &'static [&'static str] {
    match op {
        "EQ" | "NE" => &["S", "N", "B", "BOOL", "NULL", "SS", "NS", "BS", "M", "L"],
        "CONTAINS" | "NOT_CONTAINS" => &["S", "N", "B", "BOOL", "NULL"],
        "BEGINS_WITH" => &["S", "B"],
        _ => &["S", "N", "B"],
    }
}

#[test]
fn filter_operand_types() {
    let mut failures = Vec::new();
    for parameter in [FilterParameter::QueryFilter, FilterParameter::ScanFilter] {
        for op in [
            "EQ",
            "NE",
            "LT",
            "LE",
            "GT",
            "GE",
            "IN",
            "CONTAINS",
            "NOT_CONTAINS",
            "BEGINS_WITH",
            "BETWEEN",
        ] {
            for (ty, value) in TYPE_SAMPLES {
                let values = if op == "BETWEEN" {
                    format!("{value}, {value}")
                } else {
                    value.to_string()
                };
                let src = format!(r#"{{"a": {}}}"#, cmp(op, &values));
                let got = filter_result(parameter, &src, None, None).map(drop);
                let want = if accepted_types(op).contains(ty) {
                    Ok(())
                } else {
                    Err(format!("{INVALID}ComparisonOperator {op} is not valid for {ty} AttributeValue type"))
                };
                if got != want {
                    failures.push(format!(
                        "{parameter:?} {src}\n    want: {want:?}\n    got:  {got:?}"
                    ));
                }
            }
        }
    }
    report(failures);
}

#[test]
fn filter_operand_counts() {
    // dynalite query/scan "incorrect number of QueryFilter arguments" (recorded).
    let rows: &[(&str, &str)] = &[
        (
            r#"{"a": {"ComparisonOperator": "EQ"}, "b": {"ComparisonOperator": "NULL"}, "c": {"ComparisonOperator": "NULL"}}"#,
            "EQ",
        ),
        (r#"{"a": {"ComparisonOperator": "EQ"}}"#, "EQ"),
        (
            r#"{"a": {"ComparisonOperator": "EQ", "AttributeValueList": []}}"#,
            "EQ",
        ),
        (r#"{"a": {"ComparisonOperator": "NE"}}"#, "NE"),
        (r#"{"a": {"ComparisonOperator": "LE"}}"#, "LE"),
        (r#"{"a": {"ComparisonOperator": "LT"}}"#, "LT"),
        (r#"{"a": {"ComparisonOperator": "GE"}}"#, "GE"),
        (r#"{"a": {"ComparisonOperator": "GT"}}"#, "GT"),
        (r#"{"a": {"ComparisonOperator": "CONTAINS"}}"#, "CONTAINS"),
        (
            r#"{"a": {"ComparisonOperator": "NOT_CONTAINS"}}"#,
            "NOT_CONTAINS",
        ),
        (
            r#"{"a": {"ComparisonOperator": "BEGINS_WITH"}}"#,
            "BEGINS_WITH",
        ),
        (r#"{"a": {"ComparisonOperator": "IN"}}"#, "IN"),
        (r#"{"a": {"ComparisonOperator": "BETWEEN"}}"#, "BETWEEN"),
        (
            r#"{"a": {"ComparisonOperator": "NULL", "AttributeValueList": [{"S": "a"}]}}"#,
            "NULL",
        ),
        (
            r#"{"a": {"ComparisonOperator": "NOT_NULL", "AttributeValueList": [{"S": "a"}]}}"#,
            "NOT_NULL",
        ),
        (
            r#"{"a": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "a"}, {"S": "a"}]}}"#,
            "EQ",
        ),
        (
            r#"{"a": {"ComparisonOperator": "NE", "AttributeValueList": [{"S": "a"}, {"S": "a"}]}}"#,
            "NE",
        ),
        (
            r#"{"a": {"ComparisonOperator": "LE", "AttributeValueList": [{"S": "a"}, {"S": "a"}]}}"#,
            "LE",
        ),
        (
            r#"{"a": {"ComparisonOperator": "LT", "AttributeValueList": [{"S": "a"}, {"S": "a"}]}}"#,
            "LT",
        ),
        (
            r#"{"a": {"ComparisonOperator": "GE", "AttributeValueList": [{"S": "a"}, {"S": "a"}]}}"#,
            "GE",
        ),
        (
            r#"{"a": {"ComparisonOperator": "GT", "AttributeValueList": [{"S": "a"}, {"S": "a"}]}}"#,
            "GT",
        ),
        (
            r#"{"a": {"ComparisonOperator": "CONTAINS", "AttributeValueList": [{"S": "a"}, {"S": "a"}]}}"#,
            "CONTAINS",
        ),
        (
            r#"{"a": {"ComparisonOperator": "NOT_CONTAINS", "AttributeValueList": [{"S": "a"}, {"S": "a"}]}}"#,
            "NOT_CONTAINS",
        ),
        (
            r#"{"a": {"ComparisonOperator": "NULL", "AttributeValueList": [{"S": "a"}, {"S": "a"}]}}"#,
            "NULL",
        ),
        (
            r#"{"a": {"ComparisonOperator": "NOT_NULL", "AttributeValueList": [{"S": "a"}, {"S": "a"}]}}"#,
            "NOT_NULL",
        ),
        (
            r#"{"a": {"ComparisonOperator": "BETWEEN", "AttributeValueList": [{"S": "a"}, {"S": "a"}, {"S": "a"}]}}"#,
            "BETWEEN",
        ),
    ];
    let mut failures = Vec::new();
    for (src, op) in rows {
        let want = Err(format!(
            "{INVALID}Invalid number of argument(s) for the {op} ComparisonOperator"
        ));
        for parameter in [FilterParameter::QueryFilter, FilterParameter::ScanFilter] {
            let got = filter_result(parameter, src, None, None);
            if got != want {
                failures.push(format!("{src}\n    want: {want:?}\n    got:  {got:?}"));
            }
        }
    }
    report(failures);
}

#[test]
fn filter_other_errors() {
    let q = FilterParameter::QueryFilter;
    let s = FilterParameter::ScanFilter;
    let rows: &[(FilterParameter, &str, Option<&str>, &str)] = &[
        // dynalite query "AttributeValueList has different types" (recorded).
        (q, r#"{"a": {"ComparisonOperator": "IN", "AttributeValueList": [{"S": "b"}, {"N": "1"}]}}"#, None,
            "One or more parameter values were invalid: AttributeValues inside AttributeValueList must be of same type"),
        // dynalite query/scan BETWEEN order (recorded).
        (s, r#"{"a": {"ComparisonOperator": "BETWEEN", "AttributeValueList": [{"N": "10"}, {"N": "9"}]}}"#, None,
            "The BETWEEN condition was provided a range where the lower bound is greater than the upper bound"),
        (s, r#"{"a": {"ComparisonOperator": "BETWEEN", "AttributeValueList": [{"B": "Yg=="}, {"B": "YQ=="}]}}"#, None,
            "The BETWEEN condition was provided a range where the lower bound is greater than the upper bound"),
        // dynalite query "incorrect attributes": a missing or unknown ComparisonOperator
        // (member-pass texts, single-violation form).
        (q, r#"{"a": {}}"#, None,
            "1 validation error detected: Value null at 'queryFilter.a.member.comparisonOperator' failed to satisfy constraint: Member must not be null"),
        (s, r#"{"b": {"ComparisonOperator": ""}}"#, None,
            "1 validation error detected: Value '' at 'scanFilter.b.member.comparisonOperator' failed to satisfy constraint: Member must satisfy enum value set: [IN, NULL, BETWEEN, LT, NOT_CONTAINS, EQ, GT, NOT_NULL, NE, LE, BEGINS_WITH, GE, CONTAINS]"),
        // sdk2026 ExtendDB: ConditionalOperator with an empty or single-entry filter.
        (s, "{}", Some("AND"), "ConditionalOperator cannot be used without Filter or Expected"),
        (q, r#"{"a": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "x"}]}}"#, Some("AND"),
            "ConditionalOperator can only be used when Filter or Expected has two or more elements"),
    ];
    let mut failures = Vec::new();
    for (parameter, src, op, want) in rows {
        let got = filter_result(*parameter, src, *op, None);
        if got != Err(want.to_string()) {
            failures.push(format!("{src}\n    want: {want}\n    got:  {got:?}"));
        }
    }
    report(failures);
    assert_eq!(
        filter_condition(s, None, Some("OR"))
            .unwrap_err()
            .to_string(),
        "ConditionalOperator cannot be used without Filter or Expected"
    );
    assert_eq!(filter_condition(s, None, None), Ok(None));
}

#[test]
fn filter_evaluation() {
    let it = item(ITEM);
    let two = r#"{
        "s": {"ComparisonOperator": "BEGINS_WITH", "AttributeValueList": [{"S": "he"}]},
        "n": {"ComparisonOperator": "GT", "AttributeValueList": [{"N": "10"}]}
    }"#;
    let rows: &[(&str, Option<&str>, bool)] = &[
        (two, None, false),
        (two, Some("AND"), false),
        (two, Some("OR"), true),
        (
            r#"{"t": {"ComparisonOperator": "EQ", "AttributeValueList": [{"BOOL": true}]}}"#,
            None,
            true,
        ), // dynalite#156
        (
            r#"{"nope": {"ComparisonOperator": "NULL"}, "s": {"ComparisonOperator": "NOT_NULL"}}"#,
            Some("AND"),
            true,
        ),
        (
            r#"{"ss": {"ComparisonOperator": "CONTAINS", "AttributeValueList": [{"S": "b"}]}}"#,
            None,
            true,
        ),
        ("{}", None, true),
    ];
    let mut failures = Vec::new();
    for (src, op, want) in rows {
        for parameter in [FilterParameter::QueryFilter, FilterParameter::ScanFilter] {
            let got = filter_result(parameter, src, *op, Some(&it));
            if got != Ok(*want) {
                failures.push(format!("{src} / {op:?}: want {want}, got {got:?}"));
            }
        }
    }
    report(failures);
}

#[test]
fn query_filter_on_key_attributes() {
    // dynalite query "QueryFilter can only contain non-primary key attributes" (recorded).
    let filter: BTreeMap<String, LegacyCondition> =
        json(r#"{"b": {"ComparisonOperator": "NULL"}, "x": {"ComparisonOperator": "NULL"}}"#);
    assert_eq!(
        check_query_filter_keys(&filter, &["a", "b"])
            .unwrap_err()
            .to_string(),
        "QueryFilter can only contain non-primary key attributes: Primary key attribute: b"
    );
    assert_eq!(check_query_filter_keys(&filter, &["a"]), Ok(()));
}

// ---------------------------------------------------------------------------------------
// KeyConditions.

const PK: KeyAttribute<'static> = KeyAttribute {
    name: "pk",
    attribute_type: AttributeType::S,
};
const SK: KeyAttribute<'static> = KeyAttribute {
    name: "sk",
    attribute_type: AttributeType::N,
};

fn key_range(src: &str, sort: Option<KeyAttribute<'_>>) -> Result<KeyRange, String> {
    let map: BTreeMap<String, LegacyCondition> = json(src);
    key_conditions(&map)
        .and_then(|k| k.for_schema(PK, sort))
        .map_err(|e| e.to_string())
}

#[test]
fn key_conditions_give_key_ranges() {
    let p = || v(r#""p""#);
    let rows: Vec<(String, Option<KeyAttribute>, KeyRange)> = vec![
        (
            format!(r#"{{"pk": {}}}"#, cmp("EQ", r#"{"S": "p"}"#)),
            None,
            KeyRange::new(p(), None),
        ),
        (
            format!(r#"{{"pk": {}}}"#, cmp("EQ", r#"{"S": "p"}"#)),
            Some(SK),
            KeyRange::new(p(), None),
        ),
        (
            format!(
                r#"{{"pk": {}, "sk": {}}}"#,
                cmp("EQ", r#"{"S": "p"}"#),
                cmp("EQ", r#"{"N": "1"}"#)
            ),
            Some(SK),
            KeyRange::new(p(), Some(KeyOperator::Eq(v("1")))),
        ),
        (
            format!(
                r#"{{"pk": {}, "sk": {}}}"#,
                cmp("EQ", r#"{"S": "p"}"#),
                cmp("LT", r#"{"N": "1"}"#)
            ),
            Some(SK),
            KeyRange::new(p(), Some(KeyOperator::Lt(v("1")))),
        ),
        (
            format!(
                r#"{{"pk": {}, "sk": {}}}"#,
                cmp("EQ", r#"{"S": "p"}"#),
                cmp("LE", r#"{"N": "1"}"#)
            ),
            Some(SK),
            KeyRange::new(p(), Some(KeyOperator::Le(v("1")))),
        ),
        (
            format!(
                r#"{{"pk": {}, "sk": {}}}"#,
                cmp("EQ", r#"{"S": "p"}"#),
                cmp("GT", r#"{"N": "1"}"#)
            ),
            Some(SK),
            KeyRange::new(p(), Some(KeyOperator::Gt(v("1")))),
        ),
        (
            format!(
                r#"{{"pk": {}, "sk": {}}}"#,
                cmp("EQ", r#"{"S": "p"}"#),
                cmp("GE", r#"{"N": "1"}"#)
            ),
            Some(SK),
            KeyRange::new(p(), Some(KeyOperator::Ge(v("1")))),
        ),
        (
            format!(
                r#"{{"pk": {}, "sk": {}}}"#,
                cmp("EQ", r#"{"S": "p"}"#),
                cmp("BETWEEN", r#"{"N": "-1"}, {"N": "5"}"#)
            ),
            Some(SK),
            KeyRange::new(p(), Some(KeyOperator::Between(v("-1"), v("5")))),
        ),
        (
            format!(
                r#"{{"pk": {}, "sk": {}}}"#,
                cmp("EQ", r#"{"S": "p"}"#),
                cmp("BEGINS_WITH", r#"{"S": "ab"}"#)
            ),
            Some(KeyAttribute {
                name: "sk",
                attribute_type: AttributeType::S,
            }),
            KeyRange::new(p(), Some(KeyOperator::BeginsWith(v(r#""ab""#)))),
        ),
    ];
    let mut failures = Vec::new();
    for (src, sort, want) in &rows {
        let got = key_range(src, *sort);
        if got.as_ref() != Ok(want) {
            failures.push(format!("{src}\n    want: {want:?}\n    got:  {got:?}"));
        }
    }
    report(failures);
}

#[test]
fn key_conditions_match_key_condition_expression() {
    // The same query written both ways gives the same range.
    let values: HashMap<String, AttributeValue> = [(":p", r#""p""#), (":lo", "1"), (":hi", "9")]
        .into_iter()
        .map(|(k, s)| (k.to_owned(), v(s)))
        .collect();
    let mut ctx = Context::new(None, Some(&values));
    let expression = ctx
        .parse_key_condition("pk = :p AND sk BETWEEN :lo AND :hi")
        .unwrap()
        .for_schema(PK, Some(SK))
        .unwrap();
    let legacy = key_range(
        r#"{"pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "p"}]},
            "sk": {"ComparisonOperator": "BETWEEN", "AttributeValueList": [{"N": "1"}, {"N": "9"}]}}"#,
        Some(SK),
    )
    .unwrap();
    assert_eq!(legacy, expression);
}

#[test]
fn key_conditions_errors() {
    const NOT_INDEXABLE: &str = "Attempted conditional constraint is not an indexable operation";
    const NOT_SUPPORTED: &str = "Query key condition not supported";
    const TYPE: &str = "One or more parameter values were invalid: Condition parameter type does not match schema type";
    let eq_p = cmp("EQ", r#"{"S": "p"}"#);
    let rows: Vec<(String, Option<KeyAttribute>, String)> = vec![
        // dynalite query "incorrect number of KeyConditions" (recorded): before the schema.
        ("{}".into(), None, "Conditions can be of length 1 or 2 only".into()),
        (
            r#"{"a": {"ComparisonOperator": "NULL"}, "b": {"ComparisonOperator": "NULL"}, "c": {"ComparisonOperator": "NULL"}}"#.into(),
            Some(SK),
            "Conditions can be of length 1 or 2 only".into(),
        ),
        // dynalite "incorrect number of KeyConditions arguments": operands come first.
        (
            r#"{"a": {"ComparisonOperator": "EQ"}, "b": {"ComparisonOperator": "NULL"}, "c": {"ComparisonOperator": "NULL"}}"#.into(),
            None,
            format!("{INVALID}Invalid number of argument(s) for the EQ ComparisonOperator"),
        ),
        // dynalite "invalid ComparisonOperator types" for KeyConditions.
        (format!(r#"{{"pk": {}}}"#, cmp("LT", r#"{"BOOL": true}"#)), None, format!("{INVALID}ComparisonOperator LT is not valid for BOOL AttributeValue type")),
        (format!(r#"{{"pk": {}}}"#, cmp("BEGINS_WITH", r#"{"N": "1"}"#)), None, format!("{INVALID}ComparisonOperator BEGINS_WITH is not valid for N AttributeValue type")),
        (format!(r#"{{"pk": {}}}"#, cmp("BETWEEN", r#"{"S": "b"}, {"S": "a"}"#)), None,
            "The BETWEEN condition was provided a range where the lower bound is greater than the upper bound".into()),
        // dynalite "querying with non-indexable operations" (hash table).
        (r#"{"pk": {"ComparisonOperator": "NULL"}}"#.into(), None, NOT_INDEXABLE.into()),
        (r#"{"pk": {"ComparisonOperator": "NOT_NULL"}}"#.into(), None, NOT_INDEXABLE.into()),
        (format!(r#"{{"pk": {}}}"#, cmp("NE", r#"{"N": "1"}"#)), None, NOT_INDEXABLE.into()),
        (format!(r#"{{"pk": {}}}"#, cmp("CONTAINS", r#"{"S": "a"}"#)), None, NOT_INDEXABLE.into()),
        (format!(r#"{{"pk": {}}}"#, cmp("NOT_CONTAINS", r#"{"S": "a"}"#)), None, NOT_INDEXABLE.into()),
        (format!(r#"{{"pk": {}}}"#, cmp("IN", r#"{"S": "a"}"#)), None, NOT_INDEXABLE.into()),
        // dynalite "unsupported comparison on range".
        (format!(r#"{{"pk": {eq_p}, "sk": {{"ComparisonOperator": "NULL"}}}}"#), Some(SK), NOT_INDEXABLE.into()),
        (format!(r#"{{"pk": {eq_p}, "sk": {}}}"#, cmp("IN", r#"{"N": "1"}"#)), Some(SK), NOT_INDEXABLE.into()),
        (format!(r#"{{"pk": {eq_p}, "sk": {}}}"#, cmp("CONTAINS", r#"{"N": "1"}"#)), Some(SK), NOT_INDEXABLE.into()),
        // dynalite "querying with unsupported conditions" (hash table).
        (format!(r#"{{"pk": {eq_p}, "sk": {eq_p}}}"#), None, NOT_SUPPORTED.into()),
        (format!(r#"{{"pk": {}}}"#, cmp("LE", r#"{"S": "a"}"#)), None, NOT_SUPPORTED.into()),
        (format!(r#"{{"pk": {}}}"#, cmp("LT", r#"{"S": "a"}"#)), None, NOT_SUPPORTED.into()),
        (format!(r#"{{"pk": {}}}"#, cmp("GE", r#"{"S": "a"}"#)), None, NOT_SUPPORTED.into()),
        (format!(r#"{{"pk": {}}}"#, cmp("GT", r#"{"S": "a"}"#)), None, NOT_SUPPORTED.into()),
        (format!(r#"{{"pk": {}}}"#, cmp("BEGINS_WITH", r#"{"S": "a"}"#)), None, NOT_SUPPORTED.into()),
        (format!(r#"{{"pk": {}}}"#, cmp("BETWEEN", r#"{"S": "a"}, {"S": "a"}"#)), None, NOT_SUPPORTED.into()),
        // dynalite "Query condition missed key schema element".
        (format!(r#"{{"z": {eq_p}}}"#), None, "Query condition missed key schema element: pk".into()),
        (format!(r#"{{"sk": {}}}"#, cmp("EQ", r#"{"N": "1"}"#)), Some(SK), "Query condition missed key schema element: pk".into()),
        (format!(r#"{{"pk": {eq_p}, "z": {eq_p}}}"#), Some(SK), "Query condition missed key schema element: sk".into()),
        // dynalite "mismatching param type" (the same check as the expression path's).
        (format!(r#"{{"pk": {}}}"#, cmp("EQ", r#"{"N": "1"}"#)), None, TYPE.into()),
        (format!(r#"{{"pk": {eq_p}, "sk": {}}}"#, cmp("EQ", r#"{"S": "1"}"#)), Some(SK), TYPE.into()),
        (format!(r#"{{"pk": {eq_p}, "sk": {}}}"#, cmp("BEGINS_WITH", r#"{"S": "1"}"#)), Some(SK), TYPE.into()),
        // The non-indexable check comes before the type check (dynalite actions/query.js).
        (format!(r#"{{"pk": {}}}"#, cmp("IN", r#"{"N": "1"}"#)), None, NOT_INDEXABLE.into()),
        // dynalite "incorrect attributes": KeyConditions needs a ComparisonOperator.
        (r#"{"a": {}}"#.into(), None,
            "1 validation error detected: Value null at 'keyConditions.a.member.comparisonOperator' failed to satisfy constraint: Member must not be null".into()),
    ];
    let mut failures = Vec::new();
    for (src, sort, want) in &rows {
        let got = key_range(src, *sort);
        if got.as_ref() != Err(want) {
            failures.push(format!(
                "{src} / {sort:?}\n    want: {want}\n    got:  {got:?}"
            ));
        }
    }
    report(failures);
}

// ---------------------------------------------------------------------------------------
// AttributeUpdates.

const OLD: &str = r#"{
    pk: "p", s: "hi", n: 5, l: [1, 2], ss: ss("a", "b"), ns: ns(1, 2, 3), bs: bs(b"x"),
    big: 9.9999999999999999999999999999999999999E+125
}"#;

const MISMATCH: &str = "Type mismatch for attribute to update";

/// Applies `AttributeUpdates` (JSON) to `old`; the new item (sets canonical) or the error.
fn apply_updates(src: &str, old: Option<&Item>) -> Result<Item, String> {
    let map: BTreeMap<String, AttributeValueUpdate> = json(src);
    let update = attribute_updates(&map).map_err(|e| e.to_string())?;
    update
        .apply(old)
        .map(|i| canon_item(&i))
        .map_err(|e| e.to_string())
}

/// Rows: updates, then `+{...}` (attributes added or changed relative to `old`),
/// `-a,b` (attributes removed), `={...}` (the whole item) or an error message.
fn check_updates(old: Option<&str>, rows: &[(&str, &str)]) {
    let base = old.map(item);
    let mut failures = Vec::new();
    for (src, want) in rows {
        let got = apply_updates(src, base.as_ref());
        let want: Result<Item, String> = if let Some(changes) = want.strip_prefix('+') {
            let mut expected = base.clone().unwrap_or_default();
            expected.extend(item(changes));
            Ok(canon_item(&expected))
        } else if let Some(removed) = want.strip_prefix('-') {
            let mut expected = base.clone().unwrap_or_default();
            for name in removed.split(',') {
                expected.remove(name.trim());
            }
            Ok(canon_item(&expected))
        } else if let Some(whole) = want.strip_prefix('=') {
            Ok(canon_item(&item(whole)))
        } else {
            Err(want.replace("INVALID: ", INVALID))
        };
        if got != want {
            failures.push(format!("{src}\n    want: {want:?}\n    got:  {got:?}"));
        }
    }
    report(failures);
}

#[test]
fn attribute_updates_apply() {
    check_updates(
        Some(OLD),
        &[
            // PUT sets; no Action means PUT (dynalite updateItem functionality tests).
            (r#"{"b": {"Action": "PUT", "Value": {"S": "x"}}}"#, r#"+{b: "x"}"#),
            (r#"{"s": {"Value": {"N": "1"}}}"#, "+{s: 1}"),
            (r#"{"m": {"Value": {"M": {"k": {"L": []}}}}}"#, "+{m: {k: []}}"),
            // DELETE without a value removes; a missing attribute is fine.
            (r#"{"s": {"Action": "DELETE"}}"#, "-s"),
            (r#"{"nope": {"Action": "DELETE"}}"#, "+{}"),
            (r#"{"s": {"Action": "DELETE"}, "n": {"Action": "DELETE"}}"#, "-s,n"),
            // DELETE with a set removes elements; the last one removes the attribute;
            // absent elements and attributes are ignored (scylla test_update_item_delete,
            // dynalite "delete set values").
            (r#"{"ns": {"Action": "DELETE", "Value": {"NS": ["1", "4"]}}}"#, "+{ns: ns(2, 3)}"),
            (r#"{"ns": {"Action": "DELETE", "Value": {"NS": ["3", "2", "1"]}}}"#, "-ns"),
            (r#"{"ss": {"Action": "DELETE", "Value": {"SS": ["z"]}}}"#, "+{}"),
            (r#"{"bs": {"Action": "DELETE", "Value": {"BS": ["eA=="]}}}"#, "-bs"),
            (r#"{"nope": {"Action": "DELETE", "Value": {"SS": ["a"]}}}"#, "+{}"),
            // ADD: numbers add, sets union, lists append; missing attributes are created
            // (scylla test_update_item_add, dynalite "add numerical/set/list value").
            (r#"{"n": {"Action": "ADD", "Value": {"N": "3"}}}"#, "+{n: 8}"),
            (r#"{"n": {"Action": "ADD", "Value": {"N": "-3.5"}}}"#, "+{n: 1.5}"),
            (r#"{"c": {"Action": "ADD", "Value": {"N": "2"}}}"#, "+{c: 2}"),
            (r#"{"ss": {"Action": "ADD", "Value": {"SS": ["b", "c"]}}}"#, r#"+{ss: ss("a", "b", "c")}"#),
            (r#"{"ns": {"Action": "ADD", "Value": {"NS": ["3", "5"]}}}"#, "+{ns: ns(1, 2, 3, 5)}"),
            (r#"{"c": {"Action": "ADD", "Value": {"SS": ["a", "b"]}}}"#, r#"+{c: ss("a", "b")}"#),
            (r#"{"l": {"Action": "ADD", "Value": {"L": [{"N": "2"}, {"S": "x"}]}}}"#, r#"+{l: [1, 2, 2, "x"]}"#),
            (r#"{"c": {"Action": "ADD", "Value": {"L": [{"N": "7"}]}}}"#, "+{c: [7]}"),
            // Several actions at once.
            (
                r#"{"s": {"Action": "DELETE"}, "n": {"Action": "ADD", "Value": {"N": "1"}}, "t": {"Value": {"BOOL": true}}}"#,
                "={pk: \"p\", n: 6, l: [1, 2], ss: ss(\"a\", \"b\"), ns: ns(1, 2, 3), bs: bs(b\"x\"), big: 9.9999999999999999999999999999999999999E+125, t: true}",
            ),
            // Type clashes while applying: the legacy message (dynalite "delete/add
            // incorrect types", recorded; scylla: "ValidationException.*mismatch").
            (r#"{"ss": {"Action": "DELETE", "Value": {"NS": ["1"]}}}"#, MISMATCH),
            (r#"{"ss": {"Action": "DELETE", "Value": {"BS": ["YQ=="]}}}"#, MISMATCH),
            (r#"{"n": {"Action": "DELETE", "Value": {"NS": ["1"]}}}"#, MISMATCH),
            (r#"{"ss": {"Action": "ADD", "Value": {"NS": ["1"]}}}"#, MISMATCH),
            (r#"{"ns": {"Action": "ADD", "Value": {"N": "1"}}}"#, MISMATCH),
            (r#"{"s": {"Action": "ADD", "Value": {"N": "1"}}}"#, MISMATCH),
            (r#"{"s": {"Action": "ADD", "Value": {"L": []}}}"#, MISMATCH),
            (r#"{"l": {"Action": "ADD", "Value": {"N": "1"}}}"#, MISMATCH),
            // Number range errors keep their own message.
            (
                r#"{"big": {"Action": "ADD", "Value": {"N": "9.9999999999999999999999999999999999999E+125"}}}"#,
                "Number overflow. Attempting to store a number with magnitude larger than supported range",
            ),
        ],
    );
}

#[test]
fn attribute_updates_on_missing_item() {
    check_updates(
        None,
        &[
            // scylla test_update_item_add: "If the entire item doesn't exist, ADD can create it".
            (
                r#"{"a": {"Action": "ADD", "Value": {"N": "3"}}}"#,
                "={a: 3}",
            ),
            (
                r#"{"a": {"Action": "ADD", "Value": {"NS": ["1", "2"]}}}"#,
                "={a: ns(1, 2)}",
            ),
            (
                r#"{"a": {"Action": "ADD", "Value": {"L": [{"N": "1"}]}}}"#,
                "={a: [1]}",
            ),
            (r#"{"a": {"Value": {"S": "x"}}}"#, r#"={a: "x"}"#),
            // DELETE changes nothing (scylla test_update_item_delete: the item is not even
            // created; whether to write is the engine's call).
            (r#"{"a": {"Action": "DELETE"}}"#, "={}"),
            (
                r#"{"a": {"Action": "DELETE", "Value": {"NS": ["4"]}}}"#,
                "={}",
            ),
            // dynalite "should just add valid ADD actions if nothing exists".
            (
                r#"{"b": {"Action": "DELETE"}, "c": {"Action": "DELETE", "Value": {"SS": ["a", "b"]}},
                    "d": {"Action": "ADD", "Value": {"N": "5"}}, "e": {"Action": "ADD", "Value": {"SS": ["a", "b"]}},
                    "f": {"Action": "ADD", "Value": {"L": [{"S": "a"}, {"N": "1"}]}}}"#,
                r#"={d: 5, e: ss("a", "b"), f: ["a", 1]}"#,
            ),
        ],
    );
}

#[test]
fn attribute_updates_errors() {
    let mut rows: Vec<(String, String)> = vec![
        // dynalite updateItem "update has no value" (recorded): unknown members are
        // ignored, so this is PUT without a value.
        (r#"{"a": {"x": "whatever"}}"#.into(), "INVALID: Only DELETE action is allowed when no attribute value is specified".into()),
        (r#"{"a": {"Action": "PUT"}}"#.into(), "INVALID: Only DELETE action is allowed when no attribute value is specified".into()),
        (r#"{"a": {"Action": "ADD"}}"#.into(), "INVALID: Only DELETE action is allowed when no attribute value is specified".into()),
        (
            r#"{"a": {"Action": "SET", "Value": {"S": "x"}}}"#.into(),
            "1 validation error detected: Value 'SET' at 'attributeUpdates.a.member.action' failed to satisfy constraint: Member must satisfy enum value set: [ADD, PUT, DELETE]".into(),
        ),
    ];
    // dynalite "trying to delete incorrect types" / "trying to add incorrect types"
    // (recorded); lists are accepted by ADD only.
    for (ty, value) in TYPE_SAMPLES {
        if !["SS", "NS", "BS"].contains(ty) {
            rows.push((
                format!(r#"{{"a": {{"Action": "DELETE", "Value": {value}}}}}"#),
                format!("INVALID: DELETE action with value is not supported for the type {ty}"),
            ));
        }
        if !["N", "SS", "NS", "BS", "L"].contains(ty) {
            rows.push((
                format!(r#"{{"a": {{"Action": "ADD", "Value": {value}}}}}"#),
                format!("INVALID: ADD action is not supported for the type {ty}"),
            ));
        }
    }
    let rows: Vec<(&str, &str)> = rows.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    check_updates(Some(OLD), &rows);
}

#[test]
fn attribute_updates_on_key_attributes() {
    // dynalite updateItem "trying to update key" / "update range key" (recorded).
    let rows: &[(&str, &str)] = &[
        (r#"{"a": {"Value": {"S": "x"}}}"#, "a"),
        (r#"{"a": {"Action": "DELETE"}}"#, "a"),
        (
            r#"{"d": {"Value": {"N": "1"}}, "b": {"Value": {"S": "x"}}}"#,
            "b",
        ),
    ];
    for (src, key) in rows {
        let map: BTreeMap<String, AttributeValueUpdate> = json(src);
        let update = attribute_updates(&map).unwrap();
        assert_eq!(
            update
                .check_key_attributes(&["a", "b"])
                .unwrap_err()
                .to_string(),
            format!("{INVALID}Cannot update attribute {key}. This attribute is part of the key"),
            "{src}"
        );
    }
    let map: BTreeMap<String, AttributeValueUpdate> = json(r#"{"c": {"Value": {"S": "x"}}}"#);
    assert_eq!(
        attribute_updates(&map)
            .unwrap()
            .check_key_attributes(&["a", "b"]),
        Ok(())
    );
}

#[test]
fn attribute_updates_return_values() {
    // UPDATED_OLD / UPDATED_NEW project on the updated attributes (dynalite "return
    // updated old/new values").
    let old = item(OLD);
    let map: BTreeMap<String, AttributeValueUpdate> = json(
        r#"{"n": {"Action": "ADD", "Value": {"N": "1"}}, "s": {"Action": "DELETE"}, "z": {"Value": {"S": "new"}}}"#,
    );
    let update = attribute_updates(&map).unwrap();
    let new = update.apply(Some(&old)).unwrap();
    assert_eq!(update.updated_old(&old), item(r#"{n: 5, s: "hi"}"#));
    assert_eq!(update.updated_new(&new), item(r#"{n: 6, z: "new"}"#));
}

// ---------------------------------------------------------------------------------------
// Mixing legacy and expression parameters.

#[test]
fn mixing_legacy_and_expression_parameters() {
    const PREFIX: &str =
        "Can not use both expression and non-expression parameters in the same request: ";
    let all_query = ParametersPresent {
        attributes_to_get: true,
        query_filter: true,
        conditional_operator: true,
        key_conditions: true,
        projection_expression: true,
        filter_expression: true,
        key_condition_expression: true,
        ..Default::default()
    };
    let rows: Vec<(ParametersPresent, Option<&str>)> = vec![
        // dynalite putItem "expression and non-expression" (recorded).
        (
            ParametersPresent { expected: true, condition_expression: true, ..Default::default() },
            Some("Non-expression parameters: {Expected} Expression parameters: {ConditionExpression}"),
        ),
        // dynalite query "all expressions and non-expression" (recorded).
        (
            all_query,
            Some("Non-expression parameters: {AttributesToGet, QueryFilter, ConditionalOperator, KeyConditions} Expression parameters: {ProjectionExpression, FilterExpression, KeyConditionExpression}"),
        ),
        (
            ParametersPresent { key_condition_expression: false, ..all_query },
            Some("Non-expression parameters: {AttributesToGet, QueryFilter, ConditionalOperator} Expression parameters: {ProjectionExpression, FilterExpression}"),
        ),
        (
            ParametersPresent { key_conditions: false, ..all_query },
            Some("Non-expression parameters: {AttributesToGet, QueryFilter, ConditionalOperator} Expression parameters: {ProjectionExpression, FilterExpression, KeyConditionExpression}"),
        ),
        // sdk2026 ExtendDB test_conditional_operator.py.
        (
            ParametersPresent { attributes_to_get: true, scan_filter: true, conditional_operator: true, filter_expression: true, projection_expression: true, ..Default::default() },
            Some("Non-expression parameters: {AttributesToGet, ScanFilter, ConditionalOperator} Expression parameters: {ProjectionExpression, FilterExpression}"),
        ),
        (
            ParametersPresent { attribute_updates: true, expected: true, conditional_operator: true, update_expression: true, condition_expression: true, ..Default::default() },
            Some("Non-expression parameters: {AttributeUpdates, Expected, ConditionalOperator} Expression parameters: {UpdateExpression, ConditionExpression}"),
        ),
        (
            ParametersPresent { conditional_operator: true, update_expression: true, ..Default::default() },
            Some("Non-expression parameters: {ConditionalOperator} Expression parameters: {UpdateExpression}"),
        ),
        (
            ParametersPresent { expected: true, update_expression: true, ..Default::default() },
            Some("Non-expression parameters: {Expected} Expression parameters: {UpdateExpression}"),
        ),
        (
            ParametersPresent { scan_filter: true, projection_expression: true, ..Default::default() },
            Some("Non-expression parameters: {ScanFilter} Expression parameters: {ProjectionExpression}"),
        ),
        // KeyConditions with FilterExpression / ProjectionExpression is accepted.
        (ParametersPresent { key_conditions: true, filter_expression: true, ..Default::default() }, None),
        (ParametersPresent { key_conditions: true, projection_expression: true, ..Default::default() }, None),
        (
            ParametersPresent { key_conditions: true, key_condition_expression: true, ..Default::default() },
            Some("Non-expression parameters: {KeyConditions} Expression parameters: {KeyConditionExpression}"),
        ),
        // One style only.
        (ParametersPresent { attribute_updates: true, expected: true, conditional_operator: true, ..Default::default() }, None),
        (ParametersPresent { update_expression: true, condition_expression: true, ..Default::default() }, None),
        (ParametersPresent::default(), None),
    ];
    let mut failures = Vec::new();
    for (present, want) in &rows {
        let got = present.check_mixing().map_err(|e| e.to_string());
        let want = match want {
            None => Ok(()),
            Some(m) => Err(format!("{PREFIX}{m}")),
        };
        if got != want {
            failures.push(format!(
                "{present:?}\n    want: {want:?}\n    got:  {got:?}"
            ));
        }
    }
    report(failures);
}

// ---------------------------------------------------------------------------------------
// Request shapes.

#[test]
fn request_shapes_deserialize() {
    let e: ExpectedAttributeValue = json(
        r#"{"Value": {"S": "x"}, "Exists": true, "ComparisonOperator": "EQ", "AttributeValueList": [{"N": "1"}], "Unknown": 1}"#,
    );
    assert_eq!(
        e,
        ExpectedAttributeValue {
            value: Some(AttributeValue::S("x".into())),
            exists: Some(true),
            comparison_operator: Some("EQ".into()),
            attribute_value_list: Some(vec![v("1")]),
        }
    );
    let nulls: ExpectedAttributeValue = json(
        r#"{"Value": null, "Exists": null, "ComparisonOperator": null, "AttributeValueList": null}"#,
    );
    assert_eq!(nulls, ExpectedAttributeValue::default());
    let c: LegacyCondition = json(
        r#"{"ComparisonOperator": "BETWEEN", "AttributeValueList": [{"N": "1"}, {"N": "2"}]}"#,
    );
    assert_eq!(c.attribute_value_list.map(|l| l.len()), Some(2));
    let u: AttributeValueUpdate = json(r#"{"Action": "ADD", "Value": {"NS": ["1"]}}"#);
    assert_eq!(u.action.as_deref(), Some("ADD"));
    // Wrong JSON types are serde errors (the API layer's SerializationException).
    assert!(serde_json::from_str::<ExpectedAttributeValue>(r#"{"Exists": "yes please"}"#).is_err());
    assert!(serde_json::from_str::<LegacyCondition>(r#"{"AttributeValueList": {}}"#).is_err());
}
