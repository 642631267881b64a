//! No input makes the parser, binder or planner panic: random bytes, and "token soup" (random
//! sequences of PartiQL's own tokens, which get much deeper into the grammar than bytes do).

mod fuzz_body;

use proptest::prelude::*;

const TOKENS: &[&str] = &[
    "SELECT",
    "FROM",
    "WHERE",
    "ORDER",
    "BY",
    "ASC",
    "DESC",
    "INSERT",
    "INTO",
    "VALUE",
    "VALUES",
    "UPDATE",
    "SET",
    "REMOVE",
    "DELETE",
    "RETURNING",
    "ALL",
    "MODIFIED",
    "OLD",
    "NEW",
    "AND",
    "OR",
    "NOT",
    "IN",
    "IS",
    "BETWEEN",
    "LIKE",
    "MISSING",
    "NULL",
    "TRUE",
    "FALSE",
    "EXISTS",
    "size",
    "begins_with",
    "contains",
    "attribute_type",
    "list_append",
    "set_add",
    "set_delete",
    "AS",
    "AT",
    "LIMIT",
    "a",
    "b",
    "pk",
    "sk",
    "\"t\"",
    "\"a b\"",
    "\"\"",
    "'s'",
    "''",
    "1",
    "-1",
    "1.5",
    "1e3",
    "1e999",
    ".5",
    "?",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    "<<",
    ">>",
    ",",
    ":",
    ";",
    ".",
    "*",
    "=",
    "<>",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
    "+",
    "-",
    "/",
    "%",
    "||",
    "@",
    "--\n",
    "/* */",
    "#",
    "\u{fc}",
];

fn soup() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(TOKENS), 0..60).prop_map(|t| t.join(" "))
}

/// Soup that starts like a statement, so it gets past the first token more often.
fn statement_soup() -> impl Strategy<Value = String> {
    (
        prop::sample::select(
            &[
                "SELECT * FROM t WHERE",
                "SELECT a, b.c[0] FROM \"t\".\"i\" WHERE",
                "UPDATE t SET a =",
                "UPDATE t REMOVE a WHERE",
                "DELETE FROM t WHERE",
                "INSERT INTO t VALUE {'pk':",
                "EXISTS(SELECT * FROM t WHERE",
            ][..],
        ),
        soup(),
    )
        .prop_map(|(head, tail)| format!("{head} {tail}"))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes(data in prop::collection::vec(any::<u8>(), 0..200)) {
        fuzz_body::run(&data);
    }

    #[test]
    fn token_soup(src in soup()) {
        fuzz_body::run(src.as_bytes());
    }

    #[test]
    fn statement_token_soup(src in statement_soup()) {
        fuzz_body::run(src.as_bytes());
    }
}

#[test]
fn well_formed_statements_survive_the_body() {
    for src in [
        "SELECT * FROM t WHERE pk = ? AND sk BETWEEN ? AND ?",
        "UPDATE t SET a = ?, b = list_append(b, [?]) REMOVE c WHERE pk = ? RETURNING ALL NEW *",
        "INSERT INTO t VALUE {'pk': ?, 's': <<?, ?>>}",
        "DELETE FROM t WHERE pk = ? AND sk = ? RETURNING ALL OLD *",
        "EXISTS(SELECT * FROM t WHERE pk = ? AND attribute_type(x, ?))",
    ] {
        fuzz_body::run(src.as_bytes());
    }
}
