//! Parse and validation errors, table-driven: each row is an expression kind, the
//! expression, and DynamoDB's exact `ValidationException` message (or `OK`).
//!
//! Rows marked `// verified` reproduce messages recorded from DynamoDB itself (by the
//! DynamoDB conformance suite, moto's and dynalite's AWS-checked tests, or ScyllaDB's
//! Alternator tests); the rest follow the same rules.

mod common;

use common::{names, values};
use ferrodyn_expr::{parse_request, Context, ExpressionKind, RequestExpressions};

const OK: &str = "OK";

/// `C` ConditionExpression, `F` FilterExpression, `K` KeyConditionExpression,
/// `U` UpdateExpression, `P` ProjectionExpression.
fn parse(kind: char, src: &str) -> Result<(), String> {
    let (n, v) = (names(), values());
    let mut ctx = Context::new(Some(&n), Some(&v));
    let r = match kind {
        'C' => ctx
            .parse_condition(ExpressionKind::Condition, src)
            .map(drop),
        'F' => ctx.parse_condition(ExpressionKind::Filter, src).map(drop),
        'K' => ctx.parse_key_condition(src).map(drop),
        'U' => ctx.parse_update(src).map(drop),
        'P' => ctx.parse_projection(src).map(drop),
        _ => unreachable!(),
    };
    r.map_err(|e| e.to_string())
}

fn check_table(rows: &[(char, &str, &str)]) {
    let mut failures = Vec::new();
    for (kind, src, expected) in rows {
        let got = match parse(*kind, src) {
            Ok(()) => OK.to_owned(),
            Err(e) => e,
        };
        let prefix = match kind {
            'C' => "Invalid ConditionExpression: ",
            'F' => "Invalid FilterExpression: ",
            'K' => "Invalid KeyConditionExpression: ",
            'U' => "Invalid UpdateExpression: ",
            _ => "Invalid ProjectionExpression: ",
        };
        // Rows give the message without the `Invalid <Kind>: ` prefix unless they start
        // with `=` (a message that has no such prefix).
        let want = if *expected == OK {
            OK.to_owned()
        } else if let Some(raw) = expected.strip_prefix('=') {
            raw.to_owned()
        } else {
            format!("{prefix}{expected}")
        };
        if got != want {
            failures.push(format!("{kind} {src:?}\n    want: {want}\n    got:  {got}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

const DISTINCT: &str =
    "The first operand must be distinct from the remaining operands for this operator or function; ";
const ALL_TYPES: &str = "{NS,SS,L,BS,N,M,B,BOOL,NULL,S}";

#[test]
fn condition_syntax_errors() {
    check_table(&[
        ('C', "a", r#"Syntax error; token: "<EOF>", near: "a""#),
        ('C', ":s", r#"Syntax error; token: "<EOF>", near: ":s""#),
        (
            'C',
            "a AND :s",
            r#"Syntax error; token: "AND", near: "a AND :s""#,
        ),
        ('C', "NOT a", r#"Syntax error; token: "<EOF>", near: "a""#),
        (
            'C',
            "a OR NOT :s",
            r#"Syntax error; token: "OR", near: "a OR NOT""#,
        ),
        ('C', "a = ", r#"Syntax error; token: "<EOF>", near: "=""#),
        ('C', "a > 4", r#"Syntax error; token: "4", near: "> 4""#),
        (
            'C',
            "things are not gonna be ok",
            r#"Syntax error; token: "are", near: "things are not""#,
        ),
        ('C', "a in b", r#"Syntax error; token: "b", near: "in b""#),
        (
            'C',
            "a in b, c",
            r#"Syntax error; token: "b", near: "in b,""#,
        ),
        ('C', "a IN ()", r#"Syntax error; token: ")", near: "()""#),
        (
            'C',
            "a in (b,c,)",
            r#"Syntax error; token: ")", near: ",)""#,
        ),
        (
            'C',
            "a > between",
            r#"Syntax error; token: "between", near: "> between""#,
        ),
        (
            'C',
            "attribute_exists(Pictures-RearView)",
            r#"Syntax error; token: "-", near: "Pictures-RearView""#,
        ),
        (
            'C',
            "attribute_exists(\"Pictures.RearView\")",
            r#"Syntax error; token: """, near: "("Pictures""#,
        ),
        (
            'C',
            "attribute_exists(Pictures..RearView)",
            r#"Syntax error; token: ".", near: "..RearView""#,
        ),
        (
            'C',
            "attribute_exists(Pi#ctures.RearView)",
            r##"Syntax error; token: "#ctures", near: "Pi#ctures.""##,
        ),
        (
            'C',
            "attribute_exists(asdf[a])",
            r#"Syntax error; token: "a", near: "[a]""#,
        ),
        ('C', "a = b c", r#"Syntax error; token: "c", near: "b c""#),
        ('C', "(a = b", r#"Syntax error; token: "<EOF>", near: "b""#),
        ('C', "a = b)", r#"Syntax error; token: ")", near: "b)""#),
        (
            'C',
            "a <> b <> c",
            r#"Syntax error; token: "<>", near: "b <> c""#,
        ),
        (
            'C',
            "size(a)[0] > a",
            r#"Syntax error; token: "[", near: ")[0""#,
        ),
        (
            'C',
            "size(a).b > a",
            r#"Syntax error; token: ".", near: ").b""#,
        ),
        (
            'C',
            "(size(a)).b > a",
            r#"Syntax error; token: ".", near: ").b""#,
        ),
        (
            'C',
            "(size(a))[0] > a",
            r#"Syntax error; token: "[", near: ")[0""#,
        ),
        (
            'C',
            "a > :things.stuff",
            r#"Syntax error; token: ".", near: ":things.stuff""#,
        ),
        (
            'C',
            "b[:a] > a",
            r#"Syntax error; token: ":a", near: "[:a]""#,
        ),
        (
            'C',
            "b[#_] > a",
            r##"Syntax error; token: "#_", near: "[#_]""##,
        ),
        ('C', "#$.b > a", r##"Syntax error; token: "#", near: "#$""##),
        ('C', "ü > a", r#"Syntax error; token: "ü", near: "ü >""#),
        ('C', "a = b!", r#"Syntax error; token: "!", near: "b!""#),
        ('C', "_a = b", r#"Syntax error; token: "_", near: "_a""#),
        ('C', "1a = b", r#"Syntax error; token: "1", near: "1a""#),
        ('C', "a[-1] = b", r#"Syntax error; token: "-", near: "[-1""#),
        ('C', "a[] = b", r#"Syntax error; token: "]", near: "[] =""#),
        (
            'C',
            "a[1.5] = b",
            r#"Syntax error; token: ".", near: "1.5""#,
        ),
        (
            'C',
            "(a)between(b.c[4.5].#d)and(:a)",
            r#"Syntax error; token: ".", near: "4.5""#,
        ),
        (
            'C',
            "a BETWEEN b",
            r#"Syntax error; token: "<EOF>", near: "b""#,
        ),
        (
            'C',
            "a BETWEEN b OR c",
            r#"Syntax error; token: "OR", near: "b OR c""#,
        ),
        ('C', "NOT", r#"Syntax error; token: "<EOF>", near: "NOT""#),
        (
            'C',
            "a = b AND",
            r#"Syntax error; token: "<EOF>", near: "AND""#,
        ),
        ('C', "(", r#"Syntax error; token: "<EOF>", near: "(""#),
        ('C', "()", r#"Syntax error; token: ")", near: "()""#),
        ('C', "(a)", r#"Syntax error; token: "<EOF>", near: ")""#),
        (
            'C',
            "(a) AND b = c",
            r#"Syntax error; token: "AND", near: ") AND b""#,
        ),
        (
            'C',
            "(a = b) = c",
            r#"Syntax error; token: "=", near: ") = c""#,
        ),
        (
            'C',
            "a = b = c",
            r#"Syntax error; token: "=", near: "b = c""#,
        ),
        ('C', "a != b", r#"Syntax error; token: "!", near: "a !=""#),
        ('C', "a == b", r#"Syntax error; token: "=", near: "== b""#),
        (
            'C',
            "a = (b = c)",
            r#"Syntax error; token: "=", near: "b = c""#,
        ),
        (
            'C',
            "a IN (b = c)",
            r#"Syntax error; token: "=", near: "b = c""#,
        ),
        (
            'C',
            "contains(a, b = c)",
            r#"Syntax error; token: "=", near: "b = c""#,
        ),
        (
            'C',
            "contains(a b)",
            r#"Syntax error; token: "b", near: "a b)""#,
        ),
        ('C', "a = #", r##"Syntax error; token: "#", near: "= #""##),
        ('C', "a = :", r#"Syntax error; token: ":", near: "= :""#),
        (
            'C',
            "a.and = b",
            r#"Syntax error; token: "and", near: ".and =""#,
        ),
        (
            'C',
            "a = b AND OR c = d",
            r#"Syntax error; token: "OR", near: "AND OR c""#,
        ),
        ('F', "a > 4", r#"Syntax error; token: "4", near: "> 4""#),
        ('F', "a = b;", r#"Syntax error; token: ";", near: "b;""#),
    ]);
}

#[test]
fn condition_semantic_errors() {
    check_table(&[
        // Empty and length.
        ('C', "", "The expression can not be empty;"), // verified
        ('F', "", "The expression can not be empty;"), // verified
        // Reserved words (verified texts; case as written).
        ('C', "status = :s", "Attribute name is a reserved keyword; reserved keyword: status"),
        ('C', ":s < abOrT", "Attribute name is a reserved keyword; reserved keyword: abOrT"), // verified
        ('F', "attribute_exists(views, #a)", "Attribute name is a reserved keyword; reserved keyword: views"), // verified
        ('C', "a.name = :s", "Attribute name is a reserved keyword; reserved keyword: name"),
        ('C', "a = size", "Attribute name is a reserved keyword; reserved keyword: size"),
        ('C', "#st = :s AND #name = :s2", OK),
        // Redundant parentheses (verified cases).
        ('F', "a=a and a > ((views))", "The expression has redundant parentheses;"),
        ('F', "(a)between(((b.c)).d)and(c)", "The expression has redundant parentheses;"),
        ('F', "a > whatever((:things), ((a)))", "The expression has redundant parentheses;"),
        ('F', "a=a AND ((a=a AND a=a)) AND a=a", "The expression has redundant parentheses;"),
        ('F', "a=a OR ((a=a OR a=a)) OR a=a", "The expression has redundant parentheses;"),
        ('F', "a=a AND ((a=a AND (a=a AND a=a)))", "The expression has redundant parentheses;"),
        ('F', "a=a OR ((a=a OR (a=a OR a=a)))", "The expression has redundant parentheses;"),
        ('C', "((a = b))", "The expression has redundant parentheses;"),
        ('C', "((a = b) AND c = d)", OK),
        ('C', "(a = b)", OK),
        ('C', "(a = b) AND (c = d)", OK),
        ('C', "(#st = :s) AND ((#name = :s) OR (#name = :s2))", OK), // verified (accepted)
        ('C', "(attribute_exists(pk)) AND (#st = :s)", OK), // verified (accepted)
        ('C', "(attribute_exists(pk) AND (#st = :s))", OK), // verified (accepted)
        ('C', "(NOT (#st = :s))", OK), // verified (accepted)
        ('C', "(a) = (b)", OK),
        ('C', "(a.b).c = :s", OK),
        // Unknown and misused functions (verified).
        ('F', "a=a and whatever((:things)) > a", "Invalid function name; function: whatever"),
        ('F', "attRIbute_exIsts((views), #a)", "Invalid function name; function: attRIbute_exIsts"),
        ('C', "dog(a) = :s", "Invalid function name; function: dog"),
        ('C', "ATTRIBUTE_EXISTS(a)", "Invalid function name; function: ATTRIBUTE_EXISTS"),
        ('F', "a=a and attribute_exists((views), (#a)) > b", "The function is not allowed to be used this way in an expression; function: attribute_exists"),
        ('F', "attribute_not_exists(things) > b", "The function is not allowed to be used this way in an expression; function: attribute_not_exists"),
        ('F', "attribute_type(things, :a) > b", "The function is not allowed to be used this way in an expression; function: attribute_type"),
        ('F', "begins_with(things, a) > b", "The function is not allowed to be used this way in an expression; function: begins_with"),
        ('F', "contains(:things, c) > b", "The function is not allowed to be used this way in an expression; function: contains"),
        ('F', "size(contains(a, b)) > a", "The function is not allowed to be used this way in an expression; function: contains"),
        ('F', "size(things)", "The function is not allowed to be used this way in an expression; function: size"),
        ('F', "a between b and attribute_exists(things)", "The function is not allowed to be used this way in an expression; function: attribute_exists"),
        ('F', "a in (b, attribute_exists(things))", "The function is not allowed to be used this way in an expression; function: attribute_exists"),
        ('C', "if_not_exists(a, a) = :n", "The function is not allowed to be used this way in an expression; function: if_not_exists"),
        ('C', "list_append(a, a) = :n", "The function is not allowed to be used this way in an expression; function: list_append"),
        ('C', "attribute_exists(a) < :n", "The function is not allowed to be used this way in an expression; function: attribute_exists"),
        ('C', "NOT size(a)", "The function is not allowed to be used this way in an expression; function: size"),
        // Undefined placeholders (verified texts).
        ('F', "attribute_exists(#Pictures.RearView, :a) and a=a", "An expression attribute name used in the document path is not defined; attribute name: #Pictures"),
        ('F', "begins_with(Pictures.#RearView)", "An expression attribute name used in the document path is not defined; attribute name: #RearView"),
        ('F', "(#P between :lo and :hi) and (#PC in (:cat1, :cat2))", "An expression attribute name used in the document path is not defined; attribute name: #P"),
        ('F', "#4g > a", "An expression attribute name used in the document path is not defined; attribute name: #4g"),
        ('F', "(a)between(b.c[45].#d)and(:a)", "An expression attribute name used in the document path is not defined; attribute name: #d"),
        ('F', "#missing = :s", "An expression attribute name used in the document path is not defined; attribute name: #missing"), // verified
        ('F', "begins_with(:hello, #a, #b)", "An expression attribute value used in expression is not defined; attribute value: :hello"),
        ('F', ":nope < :s", "An expression attribute value used in expression is not defined; attribute value: :nope"),
        ('F', ":__ > a", "An expression attribute value used in expression is not defined; attribute value: :__"),
        ('C', "#_ = :_", OK),
        // Operand counts (verified).
        ('F', "attribute_exists(things, a) and a=a", "Incorrect number of operands for operator or function; operator or function: attribute_exists, number of operands: 2"),
        ('F', "attribute_not_exists(things, b)", "Incorrect number of operands for operator or function; operator or function: attribute_not_exists, number of operands: 2"),
        ('F', "attribute_type(things)", "Incorrect number of operands for operator or function; operator or function: attribute_type, number of operands: 1"),
        ('F', "begins_with(things)", "Incorrect number of operands for operator or function; operator or function: begins_with, number of operands: 1"),
        ('F', "begins_with(things, size(a), b)", "Incorrect number of operands for operator or function; operator or function: begins_with, number of operands: 3"),
        ('F', "contains(things)", "Incorrect number of operands for operator or function; operator or function: contains, number of operands: 1"),
        ('F', "size(things, a) > b", "Incorrect number of operands for operator or function; operator or function: size, number of operands: 2"),
        // Operand types (verified).
        ('F', "attribute_type(a, size(a)) and a=a and a=:n", "Incorrect operand type for operator or function; operator or function: attribute_type, operand type: N"),
        ('F', "attribute_type(a, :n)", "Incorrect operand type for operator or function; operator or function: attribute_type, operand type: N"),
        ('F', "attribute_type(a, :b)", "Incorrect operand type for operator or function; operator or function: attribute_type, operand type: B"),
        ('F', "attribute_type(a, :t)", "Incorrect operand type for operator or function; operator or function: attribute_type, operand type: BOOL"),
        ('F', "attribute_type(a, :null)", "Incorrect operand type for operator or function; operator or function: attribute_type, operand type: NULL"),
        ('F', "attribute_type(a, :l)", "Incorrect operand type for operator or function; operator or function: attribute_type, operand type: L"),
        ('F', "attribute_type(a, :m)", "Incorrect operand type for operator or function; operator or function: attribute_type, operand type: M"),
        ('F', "attribute_type(a, :ss)", "Incorrect operand type for operator or function; operator or function: attribute_type, operand type: SS"),
        ('F', "attribute_type(a, :ns)", "Incorrect operand type for operator or function; operator or function: attribute_type, operand type: NS"),
        ('F', "attribute_type(a, :bs)", "Incorrect operand type for operator or function; operator or function: attribute_type, operand type: BS"),
        ('F', "attribute_type(a, b)", &*Box::leak(format!("Incorrect operand type for operator or function; operator or function: attribute_type, operand type: {ALL_TYPES}").into_boxed_str())),
        ('F', "attribute_type(a, :dog)", "Invalid attribute type name found; type: DOG, valid types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}"),
        ('F', "attribute_type(a, :s)", "Invalid attribute type name found; type: hello, valid types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}"),
        ('F', "attribute_type(:n, :tN)", OK),
        ('F', "begins_with(a, size(a)) and a=:n", "Incorrect operand type for operator or function; operator or function: begins_with, operand type: N"),
        ('F', "begins_with(a, :n)", "Incorrect operand type for operator or function; operator or function: begins_with, operand type: N"),
        ('F', "begins_with(a, :t)", "Incorrect operand type for operator or function; operator or function: begins_with, operand type: BOOL"),
        ('F', "begins_with(a, :null)", "Incorrect operand type for operator or function; operator or function: begins_with, operand type: NULL"),
        ('F', "begins_with(a, :l)", "Incorrect operand type for operator or function; operator or function: begins_with, operand type: L"),
        ('F', "begins_with(a, :m)", "Incorrect operand type for operator or function; operator or function: begins_with, operand type: M"),
        ('F', "begins_with(a, :ss)", "Incorrect operand type for operator or function; operator or function: begins_with, operand type: SS"),
        ('F', "begins_with(a, :ns)", "Incorrect operand type for operator or function; operator or function: begins_with, operand type: NS"),
        ('F', "begins_with(a, :bs)", "Incorrect operand type for operator or function; operator or function: begins_with, operand type: BS"),
        ('F', "begins_with(:n, a)", "Incorrect operand type for operator or function; operator or function: begins_with, operand type: N"),
        ('F', "begins_with(:s, a)", OK),
        ('F', "begins_with(a, :b)", OK),
        ('F', "size(size(a)) > :n", "Incorrect operand type for operator or function; operator or function: size, operand type: N"),
        ('F', "attribute_not_exists(size(:n))", "Incorrect operand type for operator or function; operator or function: size, operand type: N"),
        ('F', "size(:t) > a", "Incorrect operand type for operator or function; operator or function: size, operand type: BOOL"),
        ('F', "size(:null) > a", "Incorrect operand type for operator or function; operator or function: size, operand type: NULL"),
        ('C', "size(:n) >= :n2", "Incorrect operand type for operator or function; operator or function: size, operand type: N"), // verified (scylla #14592)
        ('C', "size(:s) >= :n2", OK),
        ('F', "attribute_exists(:s) and a=a", "Operator or function requires a document path; operator or function: attribute_exists"),
        ('F', "attribute_not_exists(size(:s))", "Operator or function requires a document path; operator or function: attribute_not_exists"),
        // Distinct operands (verified).
        ('F', "a = a AND #a = b AND :n > a", &*Box::leak(format!("{DISTINCT}operator: =, first operand: [a]").into_boxed_str())),
        ('F', "#a <> a", &*Box::leak(format!("{DISTINCT}operator: <>, first operand: [a]").into_boxed_str())),
        ('F', "a > #a", &*Box::leak(format!("{DISTINCT}operator: >, first operand: [a]").into_boxed_str())),
        ('F', "((a=a) OR (a=a))", &*Box::leak(format!("{DISTINCT}operator: =, first operand: [a]").into_boxed_str())),
        ('F', "contains(ab.bc[1].a, ab.bc[1].#a)", &*Box::leak(format!("{DISTINCT}operator: contains, first operand: [ab, bc, [1], a]").into_boxed_str())),
        ('F', "attribute_type(ab.bc[1].#a, ab.bc[1].a)", &*Box::leak(format!("{DISTINCT}operator: attribute_type, first operand: [ab, bc, [1], a]").into_boxed_str())),
        ('F', "begins_with(ab.bc[1].a, ab.bc[1].#a)", &*Box::leak(format!("{DISTINCT}operator: begins_with, first operand: [ab, bc, [1], a]").into_boxed_str())),
        ('F', ":n > :n", OK),
        ('F', "contains(a, a1)", OK),
        // Ordering comparisons and BETWEEN with constants that cannot be ordered.
        ('C', "a < :l", "Incorrect operand type for operator or function; operator or function: <, operand type: L"),
        ('C', ":m >= a", "Incorrect operand type for operator or function; operator or function: >=, operand type: M"),
        ('C', "a <= :t", "Incorrect operand type for operator or function; operator or function: <=, operand type: BOOL"),
        ('C', "a > :ss", "Incorrect operand type for operator or function; operator or function: >, operand type: SS"),
        ('C', "a = :l", OK),
        ('C', "a <> :m", OK),
        ('C', "a BETWEEN :l AND :l", "Incorrect operand type for operator or function; operator or function: BETWEEN, operand type: L"),
        ('C', "a BETWEEN :t AND :n", "Incorrect operand type for operator or function; operator or function: BETWEEN, operand type: BOOL"),
        ('C', "a BETWEEN :n AND :s", "The BETWEEN operator requires same data type for lower and upper bounds; lower bound operand: AttributeValue: {N:5}, upper bound operand: AttributeValue: {S:hello}"),
        ('C', "a BETWEEN :n10 AND :n", "The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {N:10}, upper bound operand: AttributeValue: {N:5}"),
        ('C', "a BETWEEN :s2 AND :s", "The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {S:world}, upper bound operand: AttributeValue: {S:hello}"),
        ('C', "a BETWEEN :n AND :n", OK),
        ('C', "a BETWEEN b AND :n", OK),
        ('C', "a BETWEEN :n10 AND b", OK),
        ('C', "a IN (:s, :n, :l, :m, :t)", OK),
        // Which error wins.
        ('C', "whatever(status)", "Invalid function name; function: whatever"),
        ('C', "size(status)", "The function is not allowed to be used this way in an expression; function: size"),
        ('C', "status = #missing", "Attribute name is a reserved keyword; reserved keyword: status"),
        ('C', "#missing = :nope", "An expression attribute name used in the document path is not defined; attribute name: #missing"),
        ('C', ":nope = #missing", "An expression attribute value used in expression is not defined; attribute value: :nope"),
        ('C', "a = :s AND b = b", &*Box::leak(format!("{DISTINCT}operator: =, first operand: [b]").into_boxed_str())),
        ('C', "b = b AND #missing = :s", &*Box::leak(format!("{DISTINCT}operator: =, first operand: [b]").into_boxed_str())),
        ('C', "begins_with(a, :n, :n)", "Incorrect number of operands for operator or function; operator or function: begins_with, number of operands: 3"),
        ('C', "((a = a))", "The expression has redundant parentheses;"),
        ('C', "((dog(a)))", "The expression has redundant parentheses;"),
        ('C', "a = :s AND size(:n) > :n", "Incorrect operand type for operator or function; operator or function: size, operand type: N"),
        // Prefix follows the parameter.
        ('F', "status = :s", "Attribute name is a reserved keyword; reserved keyword: status"),
        // Valid conditions of every shape.
        ('C', "a = :s AND (b < :n OR NOT c BETWEEN :n1 AND :n10) AND d IN (:s, :s2)", OK),
        ('C', "attribute_exists(a.b[2].#x) AND attribute_not_exists(#dot) AND attribute_type(m, :tM)", OK),
        ('C', "begins_with(a, :he) OR contains(l, :n) OR size(l) > :n3", OK),
        ('C', "a = :s and b < :n or not c = :s2", OK),
        ('C', "NOT NOT NOT NOT a < b", OK), // verified (accepted)
        ('C', "  a\t=\n:s  ", OK),
        ('C', "a = b", OK),
        ('C', "#1 = :123", OK),
    ]);
}

#[test]
fn condition_limits() {
    // 4096 bytes are fine, 4097 are not (verified: the message and that the limit is checked
    // before syntax).
    let spaces = " ".repeat(4096 - "a = :s".len());
    assert_eq!(parse('C', &format!("a{spaces} = :s")), Ok(()));
    assert_eq!(
        parse('C', &format!("a {spaces} = :s")).unwrap_err(),
        "Invalid ConditionExpression: Expression size has exceeded the maximum allowed size; expression size: 4097"
    );
    assert_eq!(
        parse('F', &"(".repeat(15000)).unwrap_err(),
        "Invalid FilterExpression: Expression size has exceeded the maximum allowed size; expression size: 15000"
    );
    // 300 operators are fine, 301 are not.
    let ok = format!("a < b{}", " OR a < b".repeat(149));
    assert_eq!(parse('C', &ok), Ok(()));
    let too_many = format!("a < b{}", " OR a < b".repeat(150));
    assert_eq!(
        parse('C', &too_many).unwrap_err(),
        "Invalid ConditionExpression: The expression contains too many operators; operator count: 301"
    );
    // DynamoDB accepts 149 levels of nesting with 299 operators.
    let deep = format!("a<b {}{}", "or (a<b ".repeat(149), ")".repeat(149));
    assert_eq!(parse('C', &deep), Ok(()));
    let nested = format!("a<b {}{}", "or (a<b ".repeat(454), ")".repeat(454));
    assert!(nested.len() < 4096);
    assert!(parse('C', &nested)
        .unwrap_err()
        .starts_with("Invalid ConditionExpression: The expression contains too many operators"));
    let nots = format!("{}a<b", "not ".repeat(1000));
    assert_eq!(
        parse('C', &nots).unwrap_err(),
        "Invalid ConditionExpression: The expression contains too many operators; operator count: 1001"
    );
    // Deep nesting is refused without deep recursion.
    let parens = format!("{}a<b{}", "(".repeat(2046), ")".repeat(2046));
    assert_eq!(
        parse('C', &parens).unwrap_err(),
        "Invalid ConditionExpression: The expression has redundant parentheses;"
    );
    assert!(parse('C', &"(".repeat(4096)).is_err());
    let calls = format!("a < {}b{}", "f(".repeat(1355), ")".repeat(1355));
    assert!(parse('C', &calls).is_err());
    // IN takes at most 100 operands, counting the left one.
    let list = |n: usize| vec![":n"; n].join(", ");
    assert_eq!(parse('C', &format!("a IN ({})", list(99))), Ok(()));
    assert_eq!(
        parse('C', &format!("a IN ({})", list(100))).unwrap_err(),
        "Invalid ConditionExpression: The IN operator is provided with too many operands; number of operands: 101"
    );
    // Paths: 32 levels, list indexes within range.
    assert_eq!(
        parse('C', &format!("attribute_exists(a{})", ".b".repeat(31))),
        Ok(())
    );
    assert_eq!(
        parse('C', &format!("attribute_exists(a{})", ".b".repeat(32))).unwrap_err(),
        "Invalid ConditionExpression: The document path has too many nesting levels; nesting levels: 33"
    );
    assert_eq!(
        parse('C', "a[99999999999999] = :n").unwrap_err(),
        "Invalid ConditionExpression: List index is not within the allowable range; index: [99999999999999]"
    );
}

#[test]
fn update_errors() {
    check_table(&[
        ('U', "", "The expression can not be empty;"), // verified
        ('U', "INVALID SYNTAX HERE", r#"Syntax error; token: "INVALID", near: "INVALID SYNTAX""#), // verified
        ('U', "SET #a = :n, #b = :n,", r#"Syntax error; token: "<EOF>", near: ",""#), // verified
        ('U', "SET MyStr = myNum + 1", r#"Syntax error; token: "1", near: "+ 1""#), // verified
        ('U', "SET MyStr = myNum Mystr2 myNum2", r#"Syntax error; token: "Mystr2", near: "myNum Mystr2 myNum2""#), // verified
        ('U', "SET MyStr = my Num", r#"Syntax error; token: "Num", near: "my Num""#), // verified
        ('U', "SET path = VALUE 1", r#"Syntax error; token: "1", near: "VALUE 1""#), // verified
        ('U', "SET _123 = :n", r#"Syntax error; token: "_", near: "SET _123""#), // verified
        ('U', "SET num_val badvalue", r#"Syntax error; token: "badvalue", near: "num_val badvalue""#), // verified
        ('U', "whatever", r#"Syntax error; token: "whatever", near: "whatever""#),
        ('U', "set a", r#"Syntax error; token: "<EOF>", near: "a""#),
        ('U', "add a", r#"Syntax error; token: "<EOF>", near: "a""#),
        ('U', "delete a", r#"Syntax error; token: "<EOF>", near: "a""#),
        ('U', "set a=set", r#"Syntax error; token: "set", near: "=set""#),
        ('U', "remove a = b", r#"Syntax error; token: "=", near: "a = b""#),
        ('U', "add a = b", r#"Syntax error; token: "=", near: "a = b""#),
        ('U', "delete a b", r#"Syntax error; token: "b", near: "a b""#),
        ('U', "delete a if_not_exist(b)", r#"Syntax error; token: "if_not_exist", near: "a if_not_exist(""#),
        ('U', "add abort b", r#"Syntax error; token: "b", near: "abort b""#),
        ('U', "remove a b", r#"Syntax error; token: "b", near: "a b""#),
        ('U', "set :a = b", r#"Syntax error; token: ":a", near: "set :a =""#),
        ('U', "add :a b", r#"Syntax error; token: ":a", near: "add :a b""#),
        ('U', "remove :a", r#"Syntax error; token: ":a", near: "remove :a""#),
        ('U', "set a = b / c", r#"Syntax error; token: "/", near: "b / c""#),
        ('U', "set a = b * c", r#"Syntax error; token: "*", near: "b * c""#),
        ('U', "set a[1] = \"eight\"", r#"Syntax error; token: """, near: "= "eight""#),
        ('U', "set a[1] = 1", r#"Syntax error; token: "1", near: "= 1""#),
        ('U', "SET a = if_not_exist(a, 100)", r#"Syntax error; token: "100", near: ", 100)""#),
        ('U', "SET if_not_exist(a, b) = a", r#"Syntax error; token: "(", near: "if_not_exist(a""#),
        ('U', "set (a = (b + c))", r#"Syntax error; token: "(", near: "set (a""#),
        ('U', "set a = (b.c).d + e", r#"Syntax error; token: ".", near: ").d""#),
        ('U', "set a = (b.c)[0] + e", r#"Syntax error; token: "[", near: ")[0""#),
        ('U', "set a = b + c + d", r#"Syntax error; token: "+", near: "c + d""#),
        ('U', "SET c = if_not_exists(c, :n+:n2)", r#"Syntax error; token: "+", near: ":n+:n2""#),
        ('U', "SET a = _f(b)", r#"Syntax error; token: "_", near: "= _f""#),
        ('U', "SET a[:n] = :s", r#"Syntax error; token: ":n", near: "[:n]""#),
        ('U', "SET a[#x] = :s", r##"Syntax error; token: "#x", near: "[#x]""##),
        ('U', "SET a = :s REMOVE", r#"Syntax error; token: "<EOF>", near: "REMOVE""#),
        ('U', "SET a = :s, REMOVE b", r#"Syntax error; token: "REMOVE", near: ", REMOVE b""#),
        ('U', "SET # = :n", r##"Syntax error; token: "#", near: "SET # =""##),
        ('U', "SET a = :", r#"Syntax error; token: ":", near: "= :""#),
        ('U', "SET a = :hi!there", r#"Syntax error; token: "!", near: ":hi!there""#),
        // Length.
        ('U', &*Box::leak(format!("SET {}a = :n", " ".repeat(4087)).into_boxed_str()), "Expression size has exceeded the maximum allowed size; expression size: 4097"),
        ('U', &*Box::leak(format!("SET{}a = :n", " ".repeat(4087)).into_boxed_str()), OK), // verified (4096 accepted)
        // Reserved words, functions, clauses (verified).
        ('U', " set #a = :n set abOrt = :n ", "Attribute name is a reserved keyword; reserved keyword: abOrt"),
        ('U', " remove Absolute ", "Attribute name is a reserved keyword; reserved keyword: Absolute"),
        ('U', "SET status = :s", "Attribute name is a reserved keyword; reserved keyword: status"), // verified
        ('U', "SET #st = :s, #name = :s2", OK), // verified (accepted)
        ('U', "set #c = if_not_exist(:c) set c = d", "Invalid function name; function: if_not_exist"),
        ('U', "SET a = f(b,c,d)", "Invalid function name; function: f"),
        ('U', "SET a = f123_hi(b,c,d)", "Invalid function name; function: f123_hi"),
        ('U', "SET a = LIST_APPEND(:l, :l)", "Invalid function name; function: LIST_APPEND"),
        ('U', "SET a = size(b)", "The function is not allowed to be used this way in an expression; function: size"),
        ('U', "SET a = attribute_exists(b)", "The function is not allowed to be used this way in an expression; function: attribute_exists"),
        ('U', "SET a = list_append(list_append(:l, :l), :l)", "The function is not allowed to be used this way in an expression; function: list_append"),
        ('U', "SET a = list_append(list_append(list_append(:l, :l), :l), :l)", "The function is not allowed to be used this way in an expression; function: list_append"),
        ('U', "SET a = list_append(if_not_exists(a, :lempty), :l)", OK),
        ('U', "SET a = if_not_exists(b, if_not_exists(c, :n))", OK),
        ('U', "SET b = if_not_exists(b, :n) + :n2", OK),
        ('U', "set a = #b set c = :n", "The \"SET\" section can only be used once in an update expression;"),
        ('U', "remove #nope set a = b remove e", "The \"REMOVE\" section can only be used once in an update expression;"),
        ('U', "add #nope :e set a = b add e :f", "The \"ADD\" section can only be used once in an update expression;"),
        ('U', "delete #nope :e set a = b delete #e :f", "The \"DELETE\" section can only be used once in an update expression;"),
        ('U', "SET a = :n REMOVE b SET c = :n", "The \"SET\" section can only be used once in an update expression;"),
        // Undefined placeholders (verified).
        ('U', "SET #c = if_not_exists(:c)", "An expression attribute name used in the document path is not defined; attribute name: #c"),
        ('U', "SET #a = if_not_exists(:c)", "An expression attribute value used in expression is not defined; attribute value: :c"),
        ('U', "SET attr1 = :v", "An expression attribute value used in expression is not defined; attribute value: :v"), // verified
        ('U', "SET b = if_not_exists(:val2, :n)", "An expression attribute value used in expression is not defined; attribute value: :val2"),
        ('U', "SET a = :nope, #nope = :n", "An expression attribute name used in the document path is not defined; attribute name: #nope"),
        // Overlapping and conflicting paths (verified).
        ('U', "set d[1] = :n, d.b = :n, c[1].a = :n, c = if_not_exists(a)", "Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [c, [1], a], path two: [c]"),
        ('U', "set #a[3].#i3 = :n, #a[3] = :n", "Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a, [3], [3]], path two: [a, [3]]"),
        ('U', "set #a[3].#i3 = :n, #a.#i3[3] = if_not_exists(a)", "Two document paths conflict with each other; must remove or rewrite one of these paths; path one: [a, [3], [3]], path two: [a, [3], [3]]"),
        ('U', "remove a.#x set a[1] = #i3", "Two document paths conflict with each other; must remove or rewrite one of these paths; path one: [a, x], path two: [a, [1]]"),
        ('U', "SET a = :n REMOVE a", "Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a]"),
        ('U', "REMOVE a SET a = :n", "Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a]"),
        ('U', "SET #a = :n, #a = :s", "Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a]"),
        ('U', "SET a.b = :n, a = :s", "Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a, b], path two: [a]"),
        ('U', "SET a[1][1] = :n, a[1][1][1][1] = :s", "Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a, [1], [1]], path two: [a, [1], [1], [1], [1]]"),
        ('U', "ADD a :n DELETE a :ss", "Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a]"),
        ('U', "SET a.b = :n, a.c = :n, a[1] = :s", "Two document paths conflict with each other; must remove or rewrite one of these paths; path one: [a, b], path two: [a, [1]]"),
        ('U', "SET a.b.c = :n, a.b[2] = :s", "Two document paths conflict with each other; must remove or rewrite one of these paths; path one: [a, b, c], path two: [a, b, [2]]"),
        ('U', "SET a.b = :n, a.c = :n, b.x = :n REMOVE a.x, b.y", OK),
        ('U', "SET a[1] = :n, a[2] = :n", OK),
        ('U', "SET #dot = :n, a.b = :n", OK),
        ('U', "REMOVE a SET b = a", OK), // verified (reads are not writes)
        // ADD / DELETE operand types (verified).
        ('U', "set b = list_append(:s, a), c = if_not_exists(a) add a.b :s", "Incorrect operand type for operator or function; operator: ADD, operand type: STRING"),
        ('U', "delete a.b :s", "Incorrect operand type for operator or function; operator: DELETE, operand type: STRING"),
        ('U', "add a.b :null", "Incorrect operand type for operator or function; operator: ADD, operand type: NULL"),
        ('U', "delete a.b :null", "Incorrect operand type for operator or function; operator: DELETE, operand type: NULL"),
        ('U', "add a.b :t", "Incorrect operand type for operator or function; operator: ADD, operand type: BOOLEAN"),
        ('U', "delete a.b :f", "Incorrect operand type for operator or function; operator: DELETE, operand type: BOOLEAN"),
        ('U', "add a.b :b", "Incorrect operand type for operator or function; operator: ADD, operand type: BINARY"),
        ('U', "delete a.b :b", "Incorrect operand type for operator or function; operator: DELETE, operand type: BINARY"),
        ('U', "add a.b :m", "Incorrect operand type for operator or function; operator: ADD, operand type: MAP"),
        ('U', "delete a.b :m", "Incorrect operand type for operator or function; operator: DELETE, operand type: MAP"),
        ('U', "add a.b :l", "Incorrect operand type for operator or function; operator: ADD, operand type: LIST"),
        ('U', "delete a.b :l", "Incorrect operand type for operator or function; operator: DELETE, operand type: LIST"),
        ('U', "delete a.b :n", "Incorrect operand type for operator or function; operator: DELETE, operand type: NUMBER"),
        ('U', "ADD a :n, b :ss, c :ns, d :bs DELETE e :ss, f :ns, g :bs", OK),
        // Function operands (verified).
        ('U', "set a = if_not_exists(c)", "Incorrect number of operands for operator or function; operator or function: if_not_exists, number of operands: 1"),
        ('U', "set a = list_append(c)", "Incorrect number of operands for operator or function; operator or function: list_append, number of operands: 1"),
        ('U', "SET a = list_append(:l, :l, :l)", "Incorrect number of operands for operator or function; operator or function: list_append, number of operands: 3"),
        ('U', "set a = if_not_exists(:s, c)", "Operator or function requires a document path; operator or function: if_not_exists"),
        ('U', "set a = if_not_exists(if_not_exists(a, b), c)", "Operator or function requires a document path; operator or function: if_not_exists"),
        ('U', "set a = list_append(:s, a)", "Incorrect operand type for operator or function; operator or function: list_append, operand type: S"),
        ('U', "set a = list_append(a, :n)", "Incorrect operand type for operator or function; operator or function: list_append, operand type: N"),
        ('U', "set a = list_append(:b, a)", "Incorrect operand type for operator or function; operator or function: list_append, operand type: B"),
        ('U', "set a = list_append(:t, a)", "Incorrect operand type for operator or function; operator or function: list_append, operand type: BOOL"),
        ('U', "set a = list_append(:null, a)", "Incorrect operand type for operator or function; operator or function: list_append, operand type: NULL"),
        ('U', "set a = list_append(:ss, a)", "Incorrect operand type for operator or function; operator or function: list_append, operand type: SS"),
        ('U', "set a = list_append(:ns, a)", "Incorrect operand type for operator or function; operator or function: list_append, operand type: NS"),
        ('U', "set a = list_append(:bs, a)", "Incorrect operand type for operator or function; operator or function: list_append, operand type: BS"),
        ('U', "set a = list_append(:m, a)", "Incorrect operand type for operator or function; operator or function: list_append, operand type: M"),
        ('U', "set a = a + :s", "Incorrect operand type for operator or function; operator or function: +, operand type: S"),
        ('U', "set a = :s + :b", "Incorrect operand type for operator or function; operator or function: +, operand type: S"),
        ('U', "set a = :b + a", "Incorrect operand type for operator or function; operator or function: +, operand type: B"),
        ('U', "set a = a + :t", "Incorrect operand type for operator or function; operator or function: +, operand type: BOOL"),
        ('U', "set a = a + :null", "Incorrect operand type for operator or function; operator or function: +, operand type: NULL"),
        ('U', "set a = a + :ss", "Incorrect operand type for operator or function; operator or function: +, operand type: SS"),
        ('U', "set a = a + :ns", "Incorrect operand type for operator or function; operator or function: +, operand type: NS"),
        ('U', "set a = a + :bs", "Incorrect operand type for operator or function; operator or function: +, operand type: BS"),
        ('U', "set a = a + :m", "Incorrect operand type for operator or function; operator or function: +, operand type: M"),
        ('U', "set a = a + :l", "Incorrect operand type for operator or function; operator or function: +, operand type: L"),
        ('U', "set a = a - :s", "Incorrect operand type for operator or function; operator or function: -, operand type: S"),
        ('U', "set a = :b - a", "Incorrect operand type for operator or function; operator or function: -, operand type: B"),
        ('U', "set a = a - :l", "Incorrect operand type for operator or function; operator or function: -, operand type: L"),
        ('U', "set a = :n + :n2, b = :n - b, c = (:n) + c", OK),
        ('U', "set a = (:n + :n2)", OK),
        ('U', "set a = ((b))", "The expression has redundant parentheses;"),
        // Paths.
        ('U', &*Box::leak(format!("SET a{} = :n", ".b".repeat(32)).into_boxed_str()), "The document path has too many nesting levels; nesting levels: 33"),
        ('U', &*Box::leak(format!("SET a{} = :n", ".b".repeat(31)).into_boxed_str()), OK),
        ('U', "SET a[2147483648] = :n", "List index is not within the allowable range; index: [2147483648]"),
        ('U', "SET a[2147483647] = :n", OK),
        // Case and whitespace.
        ('U', "set b = :n", OK),
        ('U', "sEt b = :n", OK),
        ('U', "  set   b=:n  ", OK),
        ('U', "SET a = :n ADD b :n REMOVE c DELETE d :ss", OK),
        ('U', "SET #Alpha_Numeric_123 = :n", "An expression attribute name used in the document path is not defined; attribute name: #Alpha_Numeric_123"),
        ('U', "SET Alpha_Numeric_123 = :n, A123_ = :_, alnum = :123", OK),
    ]);
}

#[test]
fn projection_errors() {
    check_table(&[
        ('P', "", "The expression can not be empty;"), // verified
        ('P', "!!! INVALID !!!", r#"Syntax error; token: "!", near: "!!""#), // verified
        ('P', "!!!", r#"Syntax error; token: "!", near: "!!""#), // verified
        ('P', "a,", r#"Syntax error; token: "<EOF>", near: ",""#),
        ('P', ",a", r#"Syntax error; token: ",", near: ",a""#),
        ('P', "a,,b", r#"Syntax error; token: ",", near: ",,b""#),
        ('P', "a b", r#"Syntax error; token: "b", near: "a b""#),
        ('P', "a[-1]", r#"Syntax error; token: "-", near: "[-1""#),
        ('P', "a[]", r#"Syntax error; token: "]", near: "[]""#),
        ('P', ":a", r#"Syntax error; token: ":a", near: ":a""#),
        ('P', "a[99999999999999]", "List index is not within the allowable range; index: [99999999999999]"),
        ('P', &*Box::leak(format!("a{}", ".b".repeat(32)).into_boxed_str()), "The document path has too many nesting levels; nesting levels: 33"), // verified
        ('P', &*Box::leak(format!("a{}", ".b".repeat(31)).into_boxed_str()), OK), // verified
        ('P', &*Box::leak("x".repeat(4097).into_boxed_str()), "Expression size has exceeded the maximum allowed size; expression size: 4097"),
        ('P', &*Box::leak("x".repeat(4096).into_boxed_str()), OK), // verified
        ('P', "pk, status", "Attribute name is a reserved keyword; reserved keyword: status"), // verified
        ('P', "pk, #st, #name", OK), // verified
        ('P', "#nope", "An expression attribute name used in the document path is not defined; attribute name: #nope"),
        ('P', "a.#nope", "An expression attribute name used in the document path is not defined; attribute name: #nope"),
        ('P', "a,a", "Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a]"),
        ('P', "a.b[0],a.b[0]", "Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a, b, [0]], path two: [a, b, [0]]"),
        ('P', "a,a.b[0]", "Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a, b, [0]]"),
        ('P', "a.b.d.e, a.b", "Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a, b, d, e], path two: [a, b]"),
        ('P', "#a, a", "Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a]"),
        ('P', "a.b, a[1]", "Two document paths conflict with each other; must remove or rewrite one of these paths; path one: [a, b], path two: [a, [1]]"), // verified
        ('P', "a.b[1], a.b.c", "Two document paths conflict with each other; must remove or rewrite one of these paths; path one: [a, b, [1]], path two: [a, b, c]"),
        ('P', "a, b", OK),
        ('P', "a.b, a.c", OK),
        ('P', "a.b.d, a.b.e", OK),
        ('P', "a[1], a[2]", OK),
        ('P', "a.b, a.c[2]", OK),
        ('P', "#dot, a.b", OK),
        ('P', " a . b [ 1 ] , c ", OK),
        ('P', "and, or", "Attribute name is a reserved keyword; reserved keyword: and"),
    ]);
}

#[test]
fn key_condition_errors() {
    check_table(&[
        ('K', "", "The expression can not be empty;"), // verified
        ('K', "things are not gonna be ok", r#"Syntax error; token: "are", near: "things are not""#),
        ('K', "a > 4", r#"Syntax error; token: "4", near: "> 4""#),
        ('K', "pk=:s AND begins_with sk, :s2 ", r#"Syntax error; token: "sk", near: "begins_with sk,""#),
        ('K', "attribute_type(a, b)", &*Box::leak(format!("Incorrect operand type for operator or function; operator or function: attribute_type, operand type: {ALL_TYPES}").into_boxed_str())),
        ('K', "attribute_type(a, :n)", "Incorrect operand type for operator or function; operator or function: attribute_type, operand type: N"),
        ('K', "attribute_type(a, :tS)", "=Invalid operator used in KeyConditionExpression: attribute_type"), // verified
        ('K', "a > b and size(b) > c or a > c", "=Invalid operator used in KeyConditionExpression: OR"), // verified
        ('K', "a in (b, size(c), d)", "=Invalid operator used in KeyConditionExpression: IN"), // verified
        ('K', "attribute_exists(a)", "=Invalid operator used in KeyConditionExpression: attribute_exists"), // verified
        ('K', "attribute_not_exists(a)", "=Invalid operator used in KeyConditionExpression: attribute_not_exists"), // verified
        ('K', "contains(a.d, b)", "=Invalid operator used in KeyConditionExpression: contains"), // verified
        ('K', "not a > b", "=Invalid operator used in KeyConditionExpression: NOT"), // verified
        ('K', "a <> b", "=Invalid operator used in KeyConditionExpression: <>"), // verified
        ('K', ":s between size(b) and size(a) and b > :s2", "=Invalid condition in KeyConditionExpression: BETWEEN operator must have the key attribute as its first operand"), // verified
        ('K', "begins_with(:s, b) and a > :s2", "=Invalid condition in KeyConditionExpression: begins_with operator must have the key attribute as its first operand"), // verified
        ('K', "size(b) > a AND a.b > b AND b > c", "=KeyConditionExpressions cannot contain nested operations"), // verified
        ('K', "a > size(b.d)", "=KeyConditionExpressions cannot contain nested operations"), // verified
        ('K', "a between size(b) and size(a)", "=KeyConditionExpressions cannot contain nested operations"), // verified
        ('K', "b > a.b", "=Invalid condition in KeyConditionExpression: Multiple attribute names used in one condition"), // verified
        ('K', "b between c[1] and d", "=Invalid condition in KeyConditionExpression: Multiple attribute names used in one condition"), // verified
        ('K', "a between b and size(a)", "=Invalid condition in KeyConditionExpression: Multiple attribute names used in one condition"), // verified
        ('K', "begins_with(a, b)", "=Invalid condition in KeyConditionExpression: Multiple attribute names used in one condition"), // verified
        ('K', "b.d > a AND c.d > e.f", "=KeyConditionExpressions cannot have conditions on nested attributes"), // verified
        ('K', "a.d > c", "=KeyConditionExpressions cannot have conditions on nested attributes"), // verified
        ('K', "b[0] > a", "=KeyConditionExpressions cannot have conditions on nested attributes"), // verified
        ('K', ":n2 > :n AND a < :n2", "=Invalid condition in KeyConditionExpression: No key attribute specified"), // verified
        ('K', ":n > b AND :n < :n2", "=Invalid condition in KeyConditionExpression: No key attribute specified"), // verified
        ('K', "b > :n AND b < :n and c = :n and d = :n", "=KeyConditionExpressions must only contain one condition per key"), // verified
        ('K', "(a > :n and b > :n) and (b > :n and c > :n)", "=KeyConditionExpressions must only contain one condition per key"), // verified
        ('K', "a between :n and :s", "The BETWEEN operator requires same data type for lower and upper bounds; lower bound operand: AttributeValue: {N:5}, upper bound operand: AttributeValue: {S:hello}"), // verified
        ('K', "a between :s2 and :s", "The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {S:world}, upper bound operand: AttributeValue: {S:hello}"), // verified
        ('K', "pk = :s AND begins_with(sk, :n)", "Incorrect operand type for operator or function; operator or function: begins_with, operand type: N"), // verified
        ('K', "#nope = :s", "An expression attribute name used in the document path is not defined; attribute name: #nope"),
        ('K', "status = :s", "Attribute name is a reserved keyword; reserved keyword: status"),
        ('K', "pk = :s", OK),
        ('K', "#pk = :s AND #sk BETWEEN :n AND :n10", OK),
        ('K', "(#pk = :s) AND (#sk = :n)", OK), // verified (accepted)
        ('K', "(#pk = :s AND #sk = :n)", OK), // verified (accepted)
        ('K', "(#pk = :s AND (#sk = :n))", OK), // verified (accepted)
        ('K', "((pk = :s)) AND sk = :n", "The expression has redundant parentheses;"),
        ('K', ":s = pk AND :n < sk", OK),
        ('K', "pk = :s AND begins_with(sk, :he)", OK),
    ]);
}

fn request(
    e: RequestExpressions<'_>,
    names_used: &[&str],
    values_used: &[&str],
) -> Result<(), String> {
    let (n, v) = (names(), values());
    let n: std::collections::HashMap<_, _> = n
        .into_iter()
        .filter(|(k, _)| names_used.contains(&k.as_str()))
        .collect();
    let v: std::collections::HashMap<_, _> = v
        .into_iter()
        .filter(|(k, _)| values_used.contains(&k.as_str()))
        .collect();
    parse_request(
        e,
        (!n.is_empty()).then_some(&n),
        (!v.is_empty()).then_some(&v),
    )
    .map(drop)
    .map_err(|e| e.to_string())
}

#[test]
fn unused_placeholders_span_the_request() {
    // All used, across expressions.
    let all = RequestExpressions {
        update: Some("SET #a = :n"),
        condition: Some("#b = :s OR #n = :s2"),
        projection: Some("#x"),
        ..Default::default()
    };
    assert_eq!(
        request(all, &["#a", "#b", "#n", "#x"], &[":n", ":s", ":s2"]),
        Ok(())
    );
    // Unused names are reported before unused values, sorted (verified texts).
    assert_eq!(
        request(
            all,
            &["#a", "#b", "#n", "#x", "#st", "#l"],
            &[":n", ":s", ":s2", ":t"]
        ),
        Err(
            "Value provided in ExpressionAttributeNames unused in expressions: keys: {#l, #st}"
                .into()
        )
    );
    assert_eq!(
        request(all, &["#a", "#b", "#n", "#x"], &[":n", ":s", ":s2", ":t"]),
        Err("Value provided in ExpressionAttributeValues unused in expressions: keys: {:t}".into())
    );
    // An invalid expression wins over unused placeholders.
    let bad = RequestExpressions {
        update: Some("SET a = :nope"),
        ..Default::default()
    };
    assert_eq!(
        request(bad, &["#a"], &[":n"]),
        Err("Invalid UpdateExpression: An expression attribute value used in expression is not defined; attribute value: :nope".into())
    );
    // Expressions are checked in DynamoDB's order: Update, Condition, KeyCondition, Filter,
    // Projection.
    let two_bad = RequestExpressions {
        condition: Some("a = "),
        update: Some("SET"),
        ..Default::default()
    };
    assert_eq!(
        request(two_bad, &[], &[]),
        Err(r#"Invalid UpdateExpression: Syntax error; token: "<EOF>", near: "SET""#.into())
    );
    let query = RequestExpressions {
        key_condition: Some("#pk = :s"),
        filter: Some("a > :n"),
        projection: Some("status"),
        ..Default::default()
    };
    assert_eq!(
        request(query, &["#pk"], &[":s", ":n"]),
        Err("Invalid ProjectionExpression: Attribute name is a reserved keyword; reserved keyword: status".into())
    );
    // Short-circuit evaluation does not matter: parsing marks everything it sees (verified
    // behaviour).
    let or = RequestExpressions {
        condition: Some("#a = :n OR #b = :s"),
        update: Some("SET #a = :s2"),
        ..Default::default()
    };
    assert_eq!(request(or, &["#a", "#b"], &[":n", ":s", ":s2"]), Ok(()));
}

#[test]
fn placeholder_maps() {
    use ferrodyn_types::AttributeValue;
    use std::collections::HashMap;
    let check = |n: &[&str], v: &[&str]| {
        let n: HashMap<String, String> =
            n.iter().map(|k| (k.to_string(), "x".to_owned())).collect();
        let v: HashMap<String, AttributeValue> = v
            .iter()
            .map(|k| (k.to_string(), AttributeValue::Null))
            .collect();
        Context::new(Some(&n), Some(&v))
            .check_maps()
            .map_err(|e| e.to_string())
    };
    // Verified texts.
    assert_eq!(
        check(&[], &[":a"]),
        Err("ExpressionAttributeNames must not be empty".into())
    );
    assert_eq!(
        check(&["#a"], &[]),
        Err("ExpressionAttributeValues must not be empty".into())
    );
    assert_eq!(
        check(&["a"], &[":a"]),
        Err(r#"ExpressionAttributeNames contains invalid key: Syntax error; key: "a""#.into())
    );
    assert_eq!(
        check(&["#a"], &[":b", "b"]),
        Err(r#"ExpressionAttributeValues contains invalid key: Syntax error; key: "b""#.into())
    );
    assert_eq!(
        check(&["#"], &[":a"]),
        Err(r##"ExpressionAttributeNames contains invalid key: Syntax error; key: "#""##.into())
    );
    assert_eq!(
        check(&["#a-b"], &[":a"]),
        Err(r##"ExpressionAttributeNames contains invalid key: Syntax error; key: "#a-b""##.into())
    );
    assert_eq!(check(&["#a", "#_1"], &[":a", ":123", ":_"]), Ok(()));
    assert_eq!(Context::empty().check_maps(), Ok(()));
}
