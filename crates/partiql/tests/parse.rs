//! Parsing: every statement kind, literals, precedence, and DynamoDB's error messages.

use ferrodyn_partiql::{
    parse, BinaryOp, Expr, Function, IsType, Literal, ParseErrorKind, Path, PathSegment,
    Projection, Returning, Select, Span, Statement, UnaryOp, UpdateAction, NOT_WELL_FORMED,
};

fn select(src: &str) -> Select {
    match parse(src) {
        Ok(Statement::Select(s)) => s,
        other => panic!("{src}: {other:?}"),
    }
}

fn where_of(src: &str) -> Expr {
    select(&format!("SELECT * FROM t WHERE {src}"))
        .where_clause
        .expect("a WHERE")
}

fn message(src: &str) -> String {
    match parse(src) {
        Err(e) => e.message(),
        Ok(s) => panic!("{src} parsed: {s:?}"),
    }
}

fn malformed(detail: &str) -> String {
    format!("{NOT_WELL_FORMED}{detail}")
}

fn attr(path: &Path) -> String {
    path.to_string()
}

fn num(e: &Expr) -> &str {
    match e {
        Expr::Literal(Literal::Number(n), _) => n,
        other => panic!("not a number: {other:?}"),
    }
}

// ---- SELECT

#[test]
fn select_star_from_quoted_table() {
    let s = select(r#"SELECT * FROM "Music""#);
    assert!(matches!(s.projection, Projection::All(_)));
    assert_eq!(s.from.table, "Music");
    assert_eq!(s.from.index, None);
    assert!(s.where_clause.is_none());
    assert!(s.order_by.is_empty());
}

#[test]
fn select_paths_from_index() {
    let s = select(r#"select a, "a b", a.b[0].c, m['k'] FROM "T"."by-date""#);
    assert_eq!(s.from.table, "T");
    assert_eq!(s.from.index.as_deref(), Some("by-date"));
    let Projection::Paths(paths) = &s.projection else {
        panic!()
    };
    let shown: Vec<String> = paths.iter().map(attr).collect();
    assert_eq!(shown, ["a", "\"a b\"", "a.b[0].c", "m.k"]);
    assert_eq!(
        paths[2].segments,
        vec![
            PathSegment::Attr("a".into()),
            PathSegment::Attr("b".into()),
            PathSegment::Index(0),
            PathSegment::Attr("c".into())
        ]
    );
    assert_eq!(paths[2].to_expr_path().to_string(), "[a, b, [0], c]");
}

#[test]
fn select_unquoted_table_keywords_any_case() {
    let s = select("SeLeCt pk FrOm Orders wHeRe pk = 1 ORDER by pk desc, sk ASC;");
    assert_eq!(s.from.table, "Orders");
    assert_eq!(s.order_by.len(), 2);
    assert_eq!(s.order_by[0].attribute, "pk");
    assert!(s.order_by[0].descending);
    assert!(!s.order_by[1].descending);
}

#[test]
fn comments_and_whitespace() {
    let s = select("SELECT * -- all of it\n FROM /* the table */ t\r\n\tWHERE a = 1");
    assert_eq!(s.from.table, "t");
}

#[test]
fn spans_locate_nodes() {
    let src = "SELECT * FROM t WHERE abc = 'x'";
    let s = select(src);
    let Some(Expr::Binary {
        left, right, span, ..
    }) = &s.where_clause
    else {
        panic!()
    };
    assert_eq!(span.text(src), "abc = 'x'");
    assert_eq!(left.span().text(src), "abc");
    assert_eq!(right.span().text(src), "'x'");
    assert_eq!(s.span, Span::new(0, src.len()));
    assert_eq!(s.from.span.text(src), "t");
    assert_eq!(Span::new(4, 5).line_column("ab\ncdef"), (2, 2));
}

// ---- INSERT / UPDATE / DELETE / EXISTS

#[test]
fn insert_value_map() {
    let src = r#"INSERT INTO "Music" value {'Artist': 'Acme', 'n': 1, 'm': {'x': [1, 'a']}, 's': <<'a','b'>>}"#;
    let Ok(Statement::Insert(i)) = parse(src) else {
        panic!()
    };
    assert_eq!(i.table.table, "Music");
    let Expr::Map(entries, _) = &i.item else {
        panic!()
    };
    let keys: Vec<&str> = entries.iter().map(|e| e.key.as_str()).collect();
    assert_eq!(keys, ["Artist", "n", "m", "s"]);
    assert!(matches!(entries[3].value, Expr::Bag(ref items, _) if items.len() == 2));
    // A parameter is never the item, whatever its value.
    assert_eq!(
        message("INSERT INTO t VALUE ?"),
        "Unsupported format in item expression. Please use struct format {...} to express item values for insert statement. at 1:21:1"
    );
}

#[test]
fn update_set_remove_where_returning() {
    let src = "UPDATE \"T\" SET a = a + 1, b.c[2] = 'x' REMOVE d[0] SET e = list_append(e, [1]) \
               SET f = set_add(f, <<1, 2>>) SET g = set_delete(g, <<'a'>>) \
               WHERE pk = 'k' AND sk = 2 RETURNING MODIFIED NEW *";
    let Ok(Statement::Update(u)) = parse(src) else {
        panic!("{:?}", parse(src))
    };
    assert_eq!(u.table.table, "T");
    assert_eq!(u.actions.len(), 6);
    let UpdateAction::Set { path, value, .. } = &u.actions[0] else {
        panic!()
    };
    assert_eq!(attr(path), "a");
    assert!(matches!(
        value,
        Expr::Binary {
            op: BinaryOp::Add,
            ..
        }
    ));
    assert!(matches!(&u.actions[2], UpdateAction::Remove { path, .. } if attr(path) == "d[0]"));
    let UpdateAction::Set { value, .. } = &u.actions[3] else {
        panic!()
    };
    assert!(
        matches!(value, Expr::Call { function: Function::ListAppend, args, .. } if args.len() == 2)
    );
    let UpdateAction::Set { value, .. } = &u.actions[4] else {
        panic!()
    };
    assert!(matches!(
        value,
        Expr::Call {
            function: Function::SetAdd,
            ..
        }
    ));
    assert_eq!(u.returning, Some(Returning::ModifiedNew));
    assert_eq!(Returning::ModifiedNew.return_values(), "UPDATED_NEW");
    assert!(u.where_clause.is_some());
}

#[test]
fn all_returning_forms() {
    for (text, r) in [
        ("ALL OLD *", Returning::AllOld),
        ("modified old *", Returning::ModifiedOld),
        ("All New *", Returning::AllNew),
        ("MODIFIED NEW *", Returning::ModifiedNew),
    ] {
        let Ok(Statement::Update(u)) =
            parse(&format!("UPDATE t SET a = 1 WHERE k = 1 RETURNING {text}"))
        else {
            panic!()
        };
        assert_eq!(u.returning, Some(r));
    }
}

#[test]
fn from_form_update() {
    let Ok(Statement::Update(u)) = parse(r#"FROM "t" WHERE pk = 'x' SET c = 1"#) else {
        panic!()
    };
    assert_eq!(u.actions.len(), 1);
    assert!(u.where_clause.is_some());
}

#[test]
fn delete_with_returning() {
    let Ok(Statement::Delete(d)) = parse(r#"DELETE FROM "t" WHERE pk = 1 RETURNING ALL OLD *"#)
    else {
        panic!()
    };
    assert_eq!(d.table.table, "t");
    assert_eq!(d.returning, Some(Returning::AllOld));
    assert!(matches!(parse("DELETE FROM t"), Ok(Statement::Delete(_))));
}

#[test]
fn exists_statement() {
    let Ok(Statement::Exists(s)) = parse(r#"EXISTS(SELECT * FROM "t" WHERE pk = 'a' AND n > 1)"#)
    else {
        panic!()
    };
    assert_eq!(s.from.table, "t");
    let w = where_of("EXISTS(SELECT * FROM u WHERE k = 1)");
    assert!(
        matches!(w, Expr::Call { function: Function::Exists, ref args, .. } if matches!(args[0], Expr::Subquery(_)))
    );
}

#[test]
fn statement_helpers() {
    let s = parse("DELETE FROM t WHERE a = ?").unwrap();
    assert_eq!(s.table().table, "t");
    assert!(!s.is_read());
    assert!(s.where_clause().is_some());
    assert!(parse("SELECT * FROM t").unwrap().is_read());
}

// ---- literals

#[test]
fn literals() {
    let Expr::In { list, .. } = where_of(
        "a IN ['it''s', 1, -2.5, 1e3, .5, 1.5E-3, TRUE, false, NuLL, MISSING, [], {}, <<1>>, ?, ?]",
    ) else {
        panic!()
    };
    assert!(matches!(&list[0], Expr::Literal(Literal::String(s), _) if s == "it's"));
    assert_eq!(num(&list[1]), "1");
    assert_eq!(num(&list[2]), "-2.5");
    assert_eq!(num(&list[3]), "1e3");
    assert_eq!(num(&list[4]), ".5");
    assert_eq!(num(&list[5]), "1.5E-3");
    assert!(matches!(list[6], Expr::Literal(Literal::Bool(true), _)));
    assert!(matches!(list[7], Expr::Literal(Literal::Bool(false), _)));
    assert!(matches!(list[8], Expr::Literal(Literal::Null, _)));
    assert!(matches!(list[9], Expr::Literal(Literal::Missing, _)));
    assert!(matches!(&list[10], Expr::List(v, _) if v.is_empty()));
    assert!(matches!(&list[11], Expr::Map(v, _) if v.is_empty()));
    assert!(matches!(&list[12], Expr::Bag(v, _) if v.len() == 1));
    assert!(matches!(list[13], Expr::Param(0, _)));
    assert!(matches!(list[14], Expr::Param(1, _)));
}

#[test]
fn unary_minus_folds_into_numbers() {
    let Expr::Binary { right, .. } = where_of("a = - -5") else {
        panic!()
    };
    assert_eq!(num(&right), "5");
    let Expr::Binary { right, .. } = where_of("a = -(5)") else {
        panic!()
    };
    assert_eq!(num(&right), "-5");
    let Expr::Binary { right, .. } = where_of("a = -b") else {
        panic!()
    };
    assert!(matches!(
        *right,
        Expr::Unary {
            op: UnaryOp::Neg,
            ..
        }
    ));
    let Expr::Binary { right, .. } = where_of("a = +5") else {
        panic!()
    };
    assert_eq!(num(&right), "5");
}

#[test]
fn quoted_identifiers_unescape() {
    let s = select(r#"SELECT "say ""hi""" FROM "my ""t""""#);
    assert_eq!(s.from.table, "my \"t\"");
    let Projection::Paths(p) = &s.projection else {
        panic!()
    };
    assert_eq!(p[0].attribute(), "say \"hi\"");
    assert_eq!(p[0].to_string(), r#""say ""hi""""#);
}

// ---- precedence

fn shape(e: &Expr) -> String {
    match e {
        Expr::Path(p) => p.to_string(),
        Expr::Literal(Literal::Number(n), _) => n.clone(),
        Expr::Literal(Literal::String(s), _) => format!("'{s}'"),
        Expr::Literal(l, _) => format!("{l:?}"),
        Expr::Param(i, _) => format!("?{i}"),
        Expr::Unary { op, expr, .. } => format!("({op:?} {})", shape(expr)),
        Expr::Binary {
            op, left, right, ..
        } => format!("({} {} {})", shape(left), op.as_str(), shape(right)),
        Expr::Between {
            expr,
            low,
            high,
            negated,
            ..
        } => format!(
            "({} {}BETWEEN {} {})",
            shape(expr),
            if *negated { "NOT " } else { "" },
            shape(low),
            shape(high)
        ),
        Expr::In {
            expr,
            list,
            negated,
            ..
        } => format!(
            "({} {}IN {})",
            shape(expr),
            if *negated { "NOT " } else { "" },
            list.iter().map(shape).collect::<Vec<_>>().join(",")
        ),
        Expr::Is {
            expr, ty, negated, ..
        } => format!(
            "({} IS {}{ty:?})",
            shape(expr),
            if *negated { "NOT " } else { "" }
        ),
        Expr::Call { function, args, .. } => format!(
            "{}({})",
            function.name(),
            args.iter().map(shape).collect::<Vec<_>>().join(",")
        ),
        other => format!("{other:?}"),
    }
}

#[test]
fn precedence() {
    let cases = [
        ("a = 1 OR b = 2 AND c = 3", "((a = 1) OR ((b = 2) AND (c = 3)))"),
        ("NOT a = 1 AND b = 2", "((Not (a = 1)) AND (b = 2))"),
        ("NOT (a = 1 AND b = 2)", "(Not ((a = 1) AND (b = 2)))"),
        ("a + 1 * 2 = 3", "((a + (1 * 2)) = 3)"),
        ("a - b - c = 1", "(((a - b) - c) = 1)"),
        ("a < 1 = TRUE", "((a < 1) = Bool(true))"),
        ("a BETWEEN 1 AND 2 AND b = 3", "((a BETWEEN 1 2) AND (b = 3))"),
        ("a NOT BETWEEN 1 AND 2", "(a NOT BETWEEN 1 2)"),
        ("a IN [1, 2] OR a NOT IN (3, 4)", "((a IN 1,2) OR (a NOT IN 3,4))"),
        ("a IS MISSING AND b IS NOT NULL", "((a IS Missing) AND (b IS NOT Null))"),
        ("x IS STRING", "(x IS Other(\"STRING\"))"),
        ("x IS DOUBLE PRECISION", "(x IS Other(\"DOUBLE PRECISION\"))"),
        ("a <> 1 AND b != 2", "((a <> 1) AND (b <> 2))"),
        ("a >= 1 AND a <= 2 AND a > 0 AND a < 3", "((((a >= 1) AND (a <= 2)) AND (a > 0)) AND (a < 3))"),
        (
            "begins_with(sk, 'a') AND contains(l, ?) AND attribute_type(a, 'S') AND size(l) > 2",
            "(((begins_with(sk,'a') AND contains(l,?0)) AND attribute_type(a,'S')) AND (size(l) > 2))",
        ),
        ("NOT NOT a = 1", "(Not (Not (a = 1)))"),
        ("(a) = 1", "(a = 1)"),
        ("a NOT LIKE 'x'", "(Not (a LIKE 'x'))"),
        ("a || 'x' = 'y'", "((a || 'x') = 'y')"),
    ];
    for (src, want) in cases {
        assert_eq!(shape(&where_of(src)), want, "{src}");
    }
}

#[test]
fn function_names_are_case_insensitive() {
    let w = where_of("BEGINS_WITH(a, 'x') AND Attribute_Exists(b) AND SIZE(c) = 1 AND foo(d)");
    let calls: Vec<Function> = w
        .conjuncts()
        .into_iter()
        .filter_map(|c| match c {
            Expr::Call { function, .. } => Some(function.clone()),
            Expr::Binary { left, .. } => match left.as_ref() {
                Expr::Call { function, .. } => Some(function.clone()),
                _ => None,
            },
            _ => None,
        })
        .collect();
    assert_eq!(
        calls,
        vec![
            Function::BeginsWith,
            Function::AttributeExists,
            Function::Size,
            Function::Other("foo".into())
        ]
    );
}

#[test]
fn conjuncts_and_conjoin() {
    let w = where_of("a = 1 AND (b = 2 AND c = 3) AND d = 4");
    let parts = w.conjuncts();
    assert_eq!(parts.len(), 4);
    let joined = Expr::conjoin(parts[1..].iter().copied()).unwrap();
    assert_eq!(shape(&joined), "(((b = 2) AND (c = 3)) AND (d = 4))");
    assert!(Expr::conjoin(std::iter::empty()).is_none());
}

#[test]
fn is_type_variants() {
    assert!(matches!(
        where_of("a IS MISSING"),
        Expr::Is {
            ty: IsType::Missing,
            negated: false,
            ..
        }
    ));
    assert!(matches!(
        where_of("a IS NOT MISSING"),
        Expr::Is {
            ty: IsType::Missing,
            negated: true,
            ..
        }
    ));
    assert!(matches!(
        where_of("a is null"),
        Expr::Is {
            ty: IsType::Null,
            ..
        }
    ));
}

// ---- errors

#[test]
fn errors_pinned_against_dynamodb() {
    let t = r#""t""#;
    let cases = [
        (
            format!("SELECT * FROM {t} WHERE pk = 1 foo"),
            malformed("Unexpected token after expression"),
        ),
        (
            format!("SELECT * FROM {t} WHERE pk = 1 e5"),
            malformed("Unexpected token after expression"),
        ),
        (
            format!("INSERT INTO {t} VALUE {{'pk': 1}} foo"),
            malformed("Unexpected token after expression"),
        ),
        (
            format!("UPDATE {t} SET a = 9 WHERE pk = 2 foo"),
            malformed("Unexpected token after expression"),
        ),
        (
            format!("DELETE FROM {t} WHERE pk = 3 foo"),
            malformed("Unexpected token after expression"),
        ),
        (
            format!("SELECT * FROM {t} WHERE pk = 1)"),
            malformed("Unexpected token after expression"),
        ),
        (
            format!("DELETE FROM {t} WHERE pk = 4 ORDER BY pk"),
            malformed("Unexpected token after expression"),
        ),
        (
            format!("SELECT * FROM {t} ORDER BY pk WHERE pk = 1"),
            malformed("Unexpected token after expression"),
        ),
        (
            format!("SELECT * FROM {t} WHERE pk = 1e2147483648"),
            NOT_WELL_FORMED.to_owned(),
        ),
        (
            format!("SELECT * FROM {t} WHERE pk = 1e99999999999"),
            NOT_WELL_FORMED.to_owned(),
        ),
        (
            format!("SELECT * FROM {t} WHERE pk = 1.5e-2147483647"),
            NOT_WELL_FORMED.to_owned(),
        ),
        (
            format!("SELECT * FROM {t} WHERE pk = 1 # note"),
            NOT_WELL_FORMED.to_owned(),
        ),
        (
            format!("SELECT * FROM {t} WHERE pk = 1 /* note"),
            NOT_WELL_FORMED.to_owned(),
        ),
        (
            format!("SELECT * FROM {t} x WHERE pk = 'x'"),
            "Aliasing is not supported".to_owned(),
        ),
        (
            format!("SELECT * FROM {t} AS x WHERE pk = 'x'"),
            "Aliasing is not supported".to_owned(),
        ),
        (
            format!("UPDATE {t} x SET a = 3 WHERE pk = 'x'"),
            "Aliasing is not supported".to_owned(),
        ),
        (
            format!("DELETE FROM {t} x WHERE pk = 'x'"),
            "Aliasing is not supported".to_owned(),
        ),
        (
            format!("INSERT INTO {t} x VALUE {{'pk': 'x'}}"),
            malformed("Unexpected token after expression"),
        ),
        (
            format!("SELECT * FROM {t} WHERE"),
            malformed("Unexpected term"),
        ),
        (
            format!("SELECT * FROM {t} WHERE;"),
            malformed("Unexpected term"),
        ),
        (
            format!("SELECT * FROM {t} WHERE   "),
            malformed("Unexpected term"),
        ),
        (
            format!("SELECT pk FROM {t} WHERE"),
            malformed("Unexpected term"),
        ),
        (
            format!("UPDATE {t} SET a = 1 WHERE"),
            malformed("Unexpected term"),
        ),
        (
            format!("DELETE FROM {t} WHERE"),
            malformed("Unexpected term"),
        ),
        (
            format!("SELECT * FROM {t} WHERE NOT"),
            malformed("Unexpected term"),
        ),
        (
            format!("SELECT * FROM {t} WHERE ("),
            malformed("Unexpected term"),
        ),
        (
            format!("SELECT * FROM {t} WHERE pk = 'p1' AND"),
            malformed("Missing right-hand side expression of infix operator"),
        ),
        (
            format!("SELECT * FROM {t} WHERE pk = 'p1' OR"),
            malformed("Missing right-hand side expression of infix operator"),
        ),
        (
            format!("SELECT * FROM {t} WHERE ORDER BY pk"),
            malformed("Unexpected keyword"),
        ),
        (
            "x IS INT4".to_owned(),
            "Unsupported operation: IsType".to_owned(),
        ),
        (
            "x IS DOUBLE PRECISION".to_owned(),
            "Unsupported operation: IsType".to_owned(),
        ),
        (
            format!("SELECT * FROM {t} WHERE pk = 'a' AND x IS FOO"),
            malformed("Expected type name"),
        ),
        (
            format!("SELECT * FROM {t} WHERE IS NULL"),
            malformed("Unexpected operator"),
        ),
        (
            format!("SELECT * FROM {t} WHERE pk = LIKE"),
            malformed("Unexpected operator"),
        ),
        (
            "DELETE FROM".to_owned(),
            malformed("Expected identifier for simple path"),
        ),
        (
            "DELETE FROM   ".to_owned(),
            malformed("Expected identifier for simple path"),
        ),
        (
            "DELETE FROM;".to_owned(),
            malformed("Expected identifier for simple path"),
        ),
        (
            "DELETE FROM WHERE pk = 'a'".to_owned(),
            malformed("Expected identifier for simple path"),
        ),
        ("SELECT * FROM".to_owned(), malformed("Unexpected term")),
        (
            format!("FROM {t} SET c = 1 WHERE pk = 'x'"),
            malformed("Unexpected token after expression"),
        ),
        (
            format!("FROM {t} SET c = 1 WHERE pk = 'x' SET d = 2"),
            malformed("Unexpected token after expression"),
        ),
        (
            r#"SLECT * FROM "Users""#.to_owned(),
            malformed("Expected data manipulation"),
        ),
    ];
    for (src, want) in cases {
        assert_eq!(message(&src), want, "{src}");
    }
}

#[test]
fn other_syntax_errors() {
    let cases = [
        ("SELECT * FROM t; SELECT * FROM t", "Unexpected token after semicolon. (Only one query is allowed.)"),
        ("SELECT a WHERE a = 1", "Expected FROM after SELECT list"),
        ("DELETE t WHERE a = 1", "Expected FROM after DELETE"),
        ("UPDATE t WHERE a = 1", "Expected data manipulation"),
        ("UPDATE t SET a 1 WHERE k = 1", "Expected '='"),
        ("UPDATE t SET WHERE k = 1", "Expected identifier for simple path"),
        ("UPDATE t REMOVE 'a' WHERE k = 1", "Expected identifier for simple path"),
        ("UPDATE t SET a.* = 1", "Invalid path dot component for simple path"),
        ("UPDATE t SET a[b] = 1", "Invalid path component for simple path"),
        ("SELECT a.'b' FROM t", "Invalid path dot component"),
        ("SELECT a.1 FROM t", "Expected FROM after SELECT list"),
        ("SELECT * FROM t WHERE a BETWEEN 1 2", "Expected AND keyword"),
        ("SELECT * FROM t WHERE a BETWEEN 1 AND", "Expected expression after AND"),
        ("SELECT * FROM t WHERE f(a b)", "Expected RIGHT_PAREN"),
        ("SELECT * FROM t WHERE a IN [1, 2", "Expected RIGHT_BRACKET"),
        ("SELECT * FROM t WHERE a = {'k' 1}", "Expected COLON"),
        ("SELECT * FROM t WHERE a = {'k': 1", "Expected RIGHT_CURLY"),
        ("SELECT * FROM t WHERE a = <<1, 2", "Expected RIGHT_DOUBLE_ANGLE_BRACKET"),
        ("SELECT * FROM t WHERE pad = 'none'", "Unexpected keyword"),
        ("SELECT size FROM t", "Unexpected keyword"),
        ("SELECT *, a FROM t", "Other expressions may not be present in the select list when '*' is used without dot notation."),
        ("SELECT a, * FROM t", "Other expressions may not be present in the select list when '*' is used without dot notation."),
        ("SELECT * FROM t ORDER pk", "Expected BY"),
        ("SELECT * FROM t WHERE a = = 1", "Unexpected operator"),
        ("SELECT * FROM t WHERE a = )", "Unexpected term"),
        ("INSERT t VALUE {'a': 1}", "Unexpected keyword"),
        ("SELECT * FROM t WHERE count(*) > 1", "count(*) is not allowed"),
        ("", "Unexpected term"),
    ];
    for (src, want) in cases {
        assert_eq!(message(src), malformed(want), "{src}");
    }
}

#[test]
fn dialect_restrictions() {
    let cases = [
        ("SELECT a AS b FROM t", "Aliasing is not supported"),
        ("SELECT * FROM a, b", "Only select from a single table or index is supported."),
        ("SELECT * FROM a JOIN b ON a.x = b.x", "Only select from a single table or index is supported."),
        // A join after an alias is reported before the alias.
        (r#"SELECT * FROM "t" a JOIN "t" b ON a.pk = b.pk"#, "Only select from a single table or index is supported."),
        ("SELECT * FROM t AS a, u", "Only select from a single table or index is supported."),
        ("SELECT * FROM t a WHERE a.x = 1", "Aliasing is not supported"),
        (r#"SELECT * FROM "t"."i"."x""#, "A path may contain at most 2 components in the FROM clause"),
        ("SELECT * FROM 'literal'", "Unexpected from source"),
        (r#"UPDATE "t"."i" SET a = 1"#, "FROM clause may only contain a single table name in data manipulation statements"),
        ("INSERT INTO t VALUE 1", "Unsupported format in item expression. Please use struct format {...} to express item values for insert statement. at 1:21:1"),
        ("INSERT INTO t VALUE [1]", "Unsupported format in item expression. Please use struct format {...} to express item values for insert statement. at 1:21:1"),
        ("INSERT INTO t VALUE ?", "Unsupported format in item expression. Please use struct format {...} to express item values for insert statement. at 1:21:1"),
        ("INSERT INTO t VALUES ('a', 1)", "Unsupported operation: Inserting multiple items in a single statement is not supported, use \"INSERT INTO tableName VALUE item\" instead"),
        ("INSERT INTO t <<{'a': 1}>>", "Unsupported operation: Inserting multiple items in a single statement is not supported, use \"INSERT INTO tableName VALUE item\" instead"),
        ("INSERT INTO t VALUE {'a': 1} AT 1", "AT is not supported in insert statements."),
        ("INSERT INTO t VALUE {'a': 1} RETURNING ALL NEW *", "RETURNING is not supported in INSERT"),
        ("UPDATE t SET a = 1 WHERE k = 1 RETURNING ALL OLD", "Expected '*' after ( MODIFIED | ALL ) ( NEW | OLD ) in RETURNING clause"),
        ("UPDATE t SET a = 1 WHERE k = 1 RETURNING ALL OLD *, ALL NEW *", "Invalid syntax with multiple returning elements in RETURNING clause"),
        ("DELETE FROM t WHERE k = 1 RETURNING ALL NEW *", "Invalid returning clause: RETURNING ALL NEW *. Only RETURNING ALL OLD * is allowed in DELETE statements."),
        ("SELECT VALUE a FROM t", "Select projection doesn't support value or pivot keywords"),
        ("SELECT * FROM t WHERE a IN 1", "IN operator must have a left hand argument of type Variable Reference and right hand argument of type Seq with at least one member"),
        ("SELECT * FROM t WHERE a IN []", "IN operator must have a left hand argument of type Variable Reference and right hand argument of type Seq with at least one member"),
        ("SELECT a[*] FROM t", "Wildcard path component like a[*].b are not supported"),
        ("SELECT a.* FROM t", "Unpivot path component like a.*.b are not supported"),
        ("SELECT * FROM t WHERE f(a).b = 1", "Unexpected path component"),
        ("SELECT a[1.5] FROM t", "Unexpected path component"),
        ("SELECT a[-1] FROM t", "List index is not within the allowable range; index: [-1]"),
        ("SELECT a[4294967296] FROM t", "List index is not within the allowable range; index: [4294967296]"),
        (r#"SELECT "" FROM t"#, "Path component cannot be an empty string"),
        ("SELECT * FROM t WHERE a = {1: 2}", "Tuple keys must be of type String. Actual type: Lit under root at 1:28:1"),
        (r#"INSERT INTO "t" VALUE {'pk': 'a', "qq": 1}"#, "Tuple keys must be of type String. Actual type: VariableReference under root at 1:35:4"),
        ("SELECT * FROM t LIMIT 1", "Unsupported clause: LIMIT at 1:23:1"),
        ("SELECT * FROM t WHERE pk = 'p' ORDER BY sk LIMIT 10", "Unsupported clause: LIMIT at 1:50:2"),
        ("SELECT * FROM t WHERE a = 1 GROUP BY a", "Unsupported clause: GROUP BY"),
        ("SELECT * FROM t GROUP BY a, b HAVING a > 1", "Unsupported clause: GROUP BY"),
        ("SELECT * FROM t HAVING a > 1", "Unsupported clause: HAVING"),
        (r#"SELECT DISTINCT pk FROM "t""#, "Unsupported token in expression: DISTINCT"),
        (r#"SELECT count(*) FROM "t""#, "Unexpected path component at 1:8:5"),
        ("SELECT a, COUNT(*) FROM t", "Unexpected path component at 1:11:5"),
        ("SELECT max(a) FROM t", "Unexpected path component at 1:8:3"),
        (r#"DROP TABLE "t""#, "Unsupported operation: DropTable"),
        ("CREATE TABLE x", "Unsupported operation: CreateTable"),
        ("drop index i on t", "Unsupported operation: DropIndex"),
        ("CREATE INDEX ON t (a, b.c)", "Unsupported operation: CreateIndex"),
        ("SELECT * FROM t ORDER BY a.b", "Argument to ORDER BY must be of type VariableReference. Type: Path"),
        ("SELECT * FROM t ORDER BY 1", "Argument to ORDER BY must be of type VariableReference. Type: Lit"),
        ("SELECT size(a) FROM t", "Unsupported operation: Call"),
        ("1 + 2", "Unsupported operation: Plus"),
        ("a", "Unsupported operation: Id"),
    ];
    for (src, want) in cases {
        assert_eq!(message(src), want, "{src}");
    }
}

/// `1:column:length` of the last occurrence of `token` in `src` (ASCII), as DynamoDB's
/// messages locate it.
fn pos(src: &str, token: &str) -> String {
    format!("1:{}:{}", src.rfind(token).expect("token") + 1, token.len())
}

#[test]
fn insert_item_errors_locate_the_token() {
    let cases = [
        ("{'pk': 'a', 'pk': 'b'}", "'pk'", "Duplicate keys in tuple. Key: pk under root at "),
        ("{'pk': 'a', 'x': MISSING}", "MISSING", "Unsupported data type: MISSING under key root at "),
        ("{'pk': 'a', 'x': <<>>}", "<<", "Empty bags are not supported at "),
        ("{'pk': 'a', 'x': <<'a', 1>>}", "1", "Unsupported data type in Bag. DynamoDB only supports either numbers or strings in bags at "),
        ("{'pk': 'a', \"qq\": 1}", "\"qq\"", "Tuple keys must be of type String. Actual type: VariableReference under root at "),
        ("?", "?", "Unsupported format in item expression. Please use struct format {...} to express item values for insert statement. at "),
        // Nested values name their place as number errors do.
        ("{'pk': 'a', 'm': {'k': 1, 'k': 2}}", "'k'", "Duplicate keys in tuple. Key: k under root at "),
        ("{'pk': 'a', 'm': {'n': {'k': 1, 'k': 2}}}", "'k'", "Duplicate keys in tuple. Key: k under root.n at "),
        ("{'pk': 'a', 'l': [1, MISSING]}", "MISSING", "Unsupported data type: MISSING under key root[1] at "),
        ("{'pk': 'a', 'm': {'x': MISSING}}", "MISSING", "Unsupported data type: MISSING under key root.x at "),
        ("{'pk': 'a', 's': <<1, 2, 'x'>>}", "'x'", "Unsupported data type in Bag. DynamoDB only supports either numbers or strings in bags at "),
        ("{'pk': 'a', 's': <<[1]>>}", "[", "Unsupported data type in Bag. DynamoDB only supports either numbers or strings in bags at "),
        ("{'pk': 'a', 's': <<TRUE>>}", "TRUE", "Unsupported data type in Bag. DynamoDB only supports either numbers or strings in bags at "),
    ];
    for (value, token, message) in cases {
        let src = format!(r#"INSERT INTO "t" VALUE {value}"#);
        let e = parse(&src).unwrap_err();
        assert_eq!(
            e.message(),
            format!("{message}{}", pos(&src, token)),
            "{src}"
        );
        assert!(matches!(e.kind(), ParseErrorKind::Unsupported(_)), "{src}");
    }
    // On two lines, and after a multi-byte character: columns count characters.
    let src = "INSERT INTO \"tü\"\nVALUE {'pk': 'a',\n 'pk': 'b'}";
    assert_eq!(
        message(src),
        "Duplicate keys in tuple. Key: pk under root at 3:2:4"
    );
    let src = "INSERT INTO \"tü\" VALUE {'pk': <<>>}";
    assert_eq!(message(src), "Empty bags are not supported at 1:31:2");
}

#[test]
fn literal_errors_elsewhere_locate_the_token_too() {
    let cases = [
        (r#"UPDATE "t" SET q = <<>> WHERE pk = 't1'"#, "<<", "Empty bags are not supported at "),
        (r#"SELECT * FROM "t" WHERE x IN [<<>>]"#, "<<", "Empty bags are not supported at "),
        (r#"DELETE FROM "t" WHERE pk = 'a' AND x = <<1, 'a'>>"#, "'a'", "Unsupported data type in Bag. DynamoDB only supports either numbers or strings in bags at "),
        (r#"UPDATE "t" SET s = <<a>> WHERE pk = 't1'"#, "a", "Unsupported data type in Bag. DynamoDB only supports either numbers or strings in bags at "),
        (r#"SELECT * FROM "t" WHERE m = {'k': 1, 'k': 2}"#, "'k'", "Duplicate keys in tuple. Key: k under root at "),
        (r#"EXISTS(SELECT * FROM "t" WHERE m = {'k': <<>>})"#, "<<", "Empty bags are not supported at "),
    ];
    for (src, token, message) in cases {
        assert_eq!(
            parse(src).unwrap_err().message(),
            format!("{message}{}", pos(src, token)),
            "{src}"
        );
    }
    // MISSING is only an item's problem here; elsewhere translation refuses it.
    assert!(parse(r#"UPDATE "t" SET q = MISSING WHERE pk = 't1'"#).is_ok());
    // A parameter in a bag is checked when bound.
    assert!(parse(r#"UPDATE "t" SET s = <<?, 'a'>> WHERE pk = 't1'"#).is_ok());
}

#[test]
fn refusals_wait_for_the_whole_statement_to_parse() {
    // A syntax error after a refused clause wins, as in DynamoDB.
    for src in [
        "SELECT * FROM t WHERE pk = 'p' LIMIT 1 OFFSET 2",
        "SELECT DISTINCT pk FROM t WHERE",
        "SELECT count(*) FROM t WHERE pk = ",
        "SELECT * FROM t GROUP BY pk ORDER BY",
        "SELECT * FROM t LIMIT",
        "INSERT INTO t VALUE {'a': 1, 'a': 2} garbage",
        "DROP TABLE t garbage",
    ] {
        assert!(
            matches!(parse(src).unwrap_err().kind(), ParseErrorKind::Syntax(_)),
            "{src}: {}",
            message(src)
        );
    }
    // The first refusal is the one reported.
    assert_eq!(
        message("SELECT DISTINCT pk FROM t LIMIT 1"),
        "Unsupported token in expression: DISTINCT"
    );
}

#[test]
fn statements_dynamodb_cannot_parse() {
    let cases = [
        (
            r#"SELECT * FROM "t" WHERE pk = 'p' OFFSET 1"#,
            "Unexpected token after expression",
        ),
        (
            r#"SELECT * FROM "t" ORDER BY pk OFFSET 1"#,
            "Unexpected token after expression",
        ),
        (
            r#"INSERT INTO "t" VALUES {'pk': 'a'}"#,
            "Expected LEFT_PAREN",
        ),
        (r#"INSERT INTO "t" VALUES"#, "Expected LEFT_PAREN"),
        (
            r#"INSERT INTO "t" VALUE {'pk': 'a'}, {'pk': 'b'}"#,
            "Unexpected token after expression",
        ),
        (
            r#"INSERT INTO "t" (pk) VALUES ('a')"#,
            "Unexpected token after expression",
        ),
        (
            r#"INSERT INTO "t" VALUE {'pk': 'a'} WHERE pk = 'a'"#,
            "Unexpected token after expression",
        ),
        (r#"UPDATE "t" WHERE pk = 'a'"#, "Expected data manipulation"),
        ("CREATE t", "Unexpected term"),
        ("DROP TABLE", "Expected identifier for simple path"),
        ("DROP INDEX i", "Unexpected term"),
        ("CREATE INDEX ON t a", "Expected LEFT_PAREN"),
        ("SELECT * FROM t GROUP pk", "Expected BY"),
    ];
    for (src, detail) in cases {
        assert_eq!(message(src), malformed(detail), "{src}");
        assert!(matches!(
            parse(src).unwrap_err().kind(),
            ParseErrorKind::Syntax(_)
        ));
    }
}

#[test]
fn error_positions_and_tokens() {
    let src = "SELECT * FROM t WHERE a = 1 garbage";
    let e = parse(src).unwrap_err();
    assert_eq!(e.token(), "garbage");
    assert_eq!(e.span().text(src), "garbage");
    assert!(matches!(e.kind(), ParseErrorKind::Syntax(_)));
    let e = parse("SELECT * FROM t WHERE").unwrap_err();
    assert_eq!(e.token(), "<EOF>");
    assert_eq!(e.span(), Span::new(21, 21));
    let e = parse("SELECT * FROM t WHERE a = 1 ü").unwrap_err();
    assert_eq!(e.kind(), &ParseErrorKind::Lexical);
    assert_eq!(e.token(), "ü");
    assert_eq!(e.to_string(), NOT_WELL_FORMED);
}

#[test]
fn nesting_is_capped() {
    let ok = format!(
        "SELECT * FROM t WHERE {}a = 1{}",
        "(".repeat(40),
        ")".repeat(40)
    );
    assert!(parse(&ok).is_ok());
    let long = format!("SELECT * FROM t WHERE a = 1{}", " AND a = 1".repeat(1023));
    assert!(parse(&long).is_ok());
    let long = format!("SELECT * FROM t WHERE a = 1{}", " AND a = 1".repeat(1024));
    assert!(parse(&long).is_err());
    for deep in [
        format!(
            "SELECT * FROM t WHERE {}a = 1{}",
            "(".repeat(200),
            ")".repeat(200)
        ),
        format!(
            "SELECT * FROM t WHERE a = {}1{}",
            "[".repeat(200),
            "]".repeat(200)
        ),
        format!("SELECT * FROM t WHERE {}a = 1", "NOT ".repeat(200)),
        format!("SELECT * FROM t WHERE a = {}1", "- ".repeat(300)),
        format!("SELECT * FROM t WHERE a = 1{}", " AND a = 1".repeat(1100)),
        format!(
            "SELECT * FROM t WHERE a = {}1{}",
            "size(".repeat(200),
            ")".repeat(200)
        ),
        "SELECT * FROM t WHERE a = {'k': ".repeat(200),
    ] {
        let e = parse(&deep).unwrap_err();
        assert!(e.message().starts_with(NOT_WELL_FORMED), "{}", e.message());
    }
    assert_eq!(
        message(&format!(
            "SELECT * FROM t WHERE {}a = 1{}",
            "(".repeat(200),
            ")".repeat(200)
        )),
        malformed("Expression nesting is too deep")
    );
}

#[test]
fn parameters_numbered_in_order() {
    let s = parse("UPDATE t SET a = ?, b = [?, ?] WHERE k = ? AND ? = x").unwrap();
    assert_eq!(s.parameter_count(), 5);
    assert_eq!(
        parse("SELECT * FROM t WHERE a = '?' AND $1 = 1")
            .unwrap()
            .parameter_count(),
        0
    );
    assert_eq!(
        parse("EXISTS(SELECT * FROM t WHERE k = ? AND n IN [?, ?])")
            .unwrap()
            .parameter_count(),
        3
    );
}
