//! PutItem, GetItem and DeleteItem through the AWS SDK: every attribute type, DynamoDB's
//! number rules, key rules, item size, ReturnValues and projections.

mod common;

use std::collections::HashMap;

use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::{AttributeValue as Av, ReturnValue, ScalarAttributeType};
use common::{create_table, n, s, table_name, validation_message, Server};

#[tokio::test]
async fn every_attribute_type_round_trips() {
    let server = Server::start_in_memory();
    let client = server.client();
    let t = table_name("types");
    create_table(&client, &t, ScalarAttributeType::S, None).await;
    let nested: HashMap<String, Av> = [
        (
            "inner".to_string(),
            Av::L(vec![n("1"), s("x"), Av::Null(true)]),
        ),
        ("flag".to_string(), Av::Bool(false)),
    ]
    .into_iter()
    .collect();
    let item: HashMap<String, Av> = [
        ("pk", s("all-types")),
        ("s", s("hello ☃")),
        ("empty", s("")),
        ("n", n("-12.5")),
        ("b", Av::B(Blob::new(vec![0u8, 1, 2, 255]))),
        ("emptyb", Av::B(Blob::new(Vec::new()))),
        ("bool", Av::Bool(true)),
        ("null", Av::Null(true)),
        ("l", Av::L(vec![s("a"), n("2"), Av::M(nested.clone())])),
        ("m", Av::M(nested)),
        ("ss", Av::Ss(vec!["x".into(), "y".into()])),
        ("ns", Av::Ns(vec!["1".into(), "2.5".into()])),
        (
            "bs",
            Av::Bs(vec![Blob::new(vec![1u8]), Blob::new(vec![2u8, 3])]),
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    client
        .put_item()
        .table_name(&t)
        .set_item(Some(item.clone()))
        .send()
        .await
        .unwrap();
    let got = client
        .get_item()
        .table_name(&t)
        .key("pk", s("all-types"))
        .consistent_read(true)
        .send()
        .await
        .unwrap();
    let mut got = got.item.unwrap();
    // Sets come back as sets: compare them order-free.
    for k in ["ss", "ns"] {
        if let (Some(Av::Ss(a)) | Some(Av::Ns(a)), Some(Av::Ss(b)) | Some(Av::Ns(b))) =
            (got.get_mut(k), item.get(k))
        {
            a.sort();
            let mut b = b.clone();
            b.sort();
            assert_eq!(*a, b);
        }
    }
    got.remove("ss");
    got.remove("ns");
    let mut expected = item.clone();
    expected.remove("ss");
    expected.remove("ns");
    assert_eq!(got, expected);
}

#[tokio::test]
async fn numbers_are_normalized_and_checked() {
    let server = Server::start_in_memory();
    let client = server.client();
    let t = table_name("numbers");
    create_table(&client, &t, ScalarAttributeType::N, None).await;
    let cases = [
        ("1.50", "1.5"),
        ("01", "1"),
        ("-0", "0"),
        ("0001.5000", "1.5"),
        ("1E3", "1000"),
        ("12300e-2", "123"),
        ("+1", "1"),
        (".5", "0.5"),
        ("-.5", "-0.5"),
        ("5.", "5"),
        (
            "100000000000000000000000000000000000000",
            "100000000000000000000000000000000000000",
        ),
    ];
    for (i, (input, normal)) in cases.iter().enumerate() {
        client
            .put_item()
            .table_name(&t)
            .item("pk", n(&i.to_string()))
            .item("v", n(input))
            .send()
            .await
            .unwrap();
        let got = client
            .get_item()
            .table_name(&t)
            .key("pk", n(&i.to_string()))
            .send()
            .await
            .unwrap();
        assert_eq!(got.item.unwrap()["v"], n(normal), "input {input}");
    }
    // A key written as 1.50 is found as 1.5: keys compare by value.
    client
        .put_item()
        .table_name(&t)
        .item("pk", n("7.50"))
        .send()
        .await
        .unwrap();
    let got = client
        .get_item()
        .table_name(&t)
        .key("pk", n("7.5"))
        .send()
        .await
        .unwrap();
    assert_eq!(got.item.unwrap()["pk"], n("7.5"));

    let big = format!("1{}", "0".repeat(125));
    let errors = [
        ("abc", "The parameter cannot be converted to a numeric value: abc".to_string()),
        ("1e126", "Number overflow. Attempting to store a number with magnitude larger than supported range".to_string()),
        ("1e-131", "Number underflow. Attempting to store a number with magnitude smaller than supported range".to_string()),
        ("123456789012345678901234567890123456789", "Attempting to store more than 38 significant digits in a Number".to_string()),
    ];
    for (input, message) in errors {
        let r = client
            .put_item()
            .table_name(&t)
            .item("pk", n("1"))
            .item("v", n(input))
            .send()
            .await;
        assert_eq!(validation_message(r), message, "input {input}");
    }
    client
        .put_item()
        .table_name(&t)
        .item("pk", n(&big))
        .send()
        .await
        .unwrap();
    let got = client
        .get_item()
        .table_name(&t)
        .key("pk", n("1e125"))
        .send()
        .await
        .unwrap();
    assert_eq!(got.item.unwrap()["pk"], n(&big));
}

#[tokio::test]
async fn key_attribute_rules() {
    let server = Server::start_in_memory();
    let client = server.client();
    let t = table_name("keys");
    create_table(
        &client,
        &t,
        ScalarAttributeType::S,
        Some(ScalarAttributeType::S),
    )
    .await;
    let put = |item: Vec<(&str, Av)>| {
        let mut req = client.put_item().table_name(&t);
        for (k, v) in item {
            req = req.item(k, v);
        }
        req.send()
    };
    let cases: Vec<(Vec<(&str, Av)>, String)> = vec![
        (vec![("x", s("a"))], "One or more parameter values were invalid: Missing the key pk in the item".into()),
        (vec![("pk", s("a"))], "One or more parameter values were invalid: Missing the key sk in the item".into()),
        (vec![("pk", n("1")), ("sk", s("a"))], "One or more parameter values were invalid: Type mismatch for key pk expected: S actual: N".into()),
        (vec![("pk", s("")), ("sk", s("a"))], "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: pk".into()),
        (vec![("pk", s("a")), ("sk", s(""))], "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: sk".into()),
        (vec![("pk", s(&"x".repeat(2049))), ("sk", s("a"))], "One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of2048 bytes".into()),
        (vec![("pk", s("a")), ("sk", s(&"x".repeat(1025)))], "One or more parameter values were invalid: Aggregated size of all range keys has exceeded the size limit of 1024 bytes".into()),
    ];
    for (item, message) in cases {
        assert_eq!(validation_message(put(item).await), message);
    }
    // The limits themselves are allowed.
    put(vec![
        ("pk", s(&"x".repeat(2048))),
        ("sk", s(&"y".repeat(1024))),
    ])
    .await
    .unwrap();

    let get = |key: Vec<(&str, Av)>| {
        let mut req = client.get_item().table_name(&t);
        for (k, v) in key {
            req = req.key(k, v);
        }
        req.send()
    };
    for key in [
        vec![("pk", s("a"))],
        vec![("pk", s("a")), ("sk", s("b")), ("x", s("c"))],
        vec![("pk", s("a")), ("sk", n("1"))],
    ] {
        assert_eq!(
            validation_message(get(key).await),
            "The provided key element does not match the schema"
        );
    }
    let err = client
        .get_item()
        .table_name("missing-table")
        .key("pk", s("a"))
        .key("sk", s("b"))
        .send()
        .await
        .unwrap_err();
    let err = err.into_service_error();
    assert!(err.is_resource_not_found_exception());
    assert_eq!(err.message(), Some("Requested resource not found"));
}

#[tokio::test]
async fn sets_and_nulls_are_validated() {
    let server = Server::start_in_memory();
    let client = server.client();
    let t = table_name("sets");
    create_table(&client, &t, ScalarAttributeType::S, None).await;
    let cases = [
        (Av::Ss(vec![]), "One or more parameter values were invalid: An string set  may not be empty"),
        (Av::Ns(vec![]), "One or more parameter values were invalid: An number set  may not be empty"),
        (Av::Ss(vec!["a".into(), "a".into()]), "One or more parameter values were invalid: Input collection [a, a] contains duplicates."),
        (Av::Ns(vec!["1".into(), "1.0".into()]), "Input collection contains duplicates"),
        (Av::Null(false), "One or more parameter values were invalid: Null attribute value types must have the value of true"),
    ];
    for (value, message) in cases {
        let r = client
            .put_item()
            .table_name(&t)
            .item("pk", s("a"))
            .item("v", value)
            .send()
            .await;
        assert_eq!(validation_message(r), message);
    }
}

#[tokio::test]
async fn item_size_limit_is_400_kb_by_dynamodbs_formula() {
    let server = Server::start_in_memory();
    let client = server.client();
    let t = table_name("size");
    create_table(&client, &t, ScalarAttributeType::S, None).await;
    // ("pk" 2 + "a" 1) + ("d" 1 + value) = 409600 exactly.
    let fits = "x".repeat(409_600 - 4);
    client
        .put_item()
        .table_name(&t)
        .item("pk", s("a"))
        .item("d", s(&fits))
        .send()
        .await
        .unwrap();
    let too_big = "x".repeat(409_600 - 3);
    let r = client
        .put_item()
        .table_name(&t)
        .item("pk", s("b"))
        .item("d", s(&too_big))
        .send()
        .await;
    assert_eq!(
        validation_message(r),
        "Item size has exceeded the maximum allowed size"
    );
    let got = client
        .get_item()
        .table_name(&t)
        .key("pk", s("b"))
        .send()
        .await
        .unwrap();
    assert!(got.item.is_none(), "the rejected item was not stored");
    let got = client
        .get_item()
        .table_name(&t)
        .key("pk", s("a"))
        .send()
        .await
        .unwrap();
    assert_eq!(got.item.unwrap()["d"], s(&fits));
}

#[tokio::test]
async fn return_values_all_old_on_put_and_delete() {
    let server = Server::start_in_memory();
    let client = server.client();
    let t = table_name("rv");
    create_table(&client, &t, ScalarAttributeType::S, None).await;
    let first = client
        .put_item()
        .table_name(&t)
        .item("pk", s("k"))
        .item("v", n("1"))
        .return_values(ReturnValue::AllOld)
        .send()
        .await
        .unwrap();
    assert!(first.attributes.is_none());
    let second = client
        .put_item()
        .table_name(&t)
        .item("pk", s("k"))
        .item("v", n("2"))
        .return_values(ReturnValue::AllOld)
        .send()
        .await
        .unwrap();
    assert_eq!(second.attributes.unwrap()["v"], n("1"));
    let r = client
        .put_item()
        .table_name(&t)
        .item("pk", s("k"))
        .return_values(ReturnValue::AllNew)
        .send()
        .await;
    assert_eq!(validation_message(r), "Return values set to invalid value");
    let deleted = client
        .delete_item()
        .table_name(&t)
        .key("pk", s("k"))
        .return_values(ReturnValue::AllOld)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.attributes.unwrap()["v"], n("2"));
    let again = client
        .delete_item()
        .table_name(&t)
        .key("pk", s("k"))
        .return_values(ReturnValue::AllOld)
        .send()
        .await
        .unwrap();
    assert!(again.attributes.is_none());
    let got = client
        .get_item()
        .table_name(&t)
        .key("pk", s("k"))
        .send()
        .await
        .unwrap();
    assert!(got.item.is_none());
}

#[tokio::test]
async fn projections_on_get_item() {
    let server = Server::start_in_memory();
    let client = server.client();
    let t = table_name("proj");
    create_table(&client, &t, ScalarAttributeType::S, None).await;
    client
        .put_item()
        .table_name(&t)
        .item("pk", s("k"))
        .item("a", n("1"))
        .item("b", s("2"))
        .item("c", Av::Bool(true))
        .send()
        .await
        .unwrap();
    let got = client
        .get_item()
        .table_name(&t)
        .key("pk", s("k"))
        .projection_expression("a, #c")
        .expression_attribute_names("#c", "c")
        .send()
        .await
        .unwrap()
        .item
        .unwrap();
    assert_eq!(got.len(), 2);
    assert_eq!(got["a"], n("1"));
    assert_eq!(got["c"], Av::Bool(true));
    #[allow(deprecated)]
    let got = client
        .get_item()
        .table_name(&t)
        .key("pk", s("k"))
        .attributes_to_get("b")
        .attributes_to_get("zzz")
        .send()
        .await
        .unwrap()
        .item
        .unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got["b"], s("2"));
    #[allow(deprecated)]
    let r = client
        .get_item()
        .table_name(&t)
        .key("pk", s("k"))
        .attributes_to_get("b")
        .projection_expression("a")
        .send()
        .await;
    assert_eq!(
        validation_message(r),
        "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {AttributesToGet} Expression parameters: {ProjectionExpression}"
    );
}

/// AttributesToGet naming an attribute twice is DynamoDB's ValidationException on every read
/// that takes it: GetItem, BatchGetItem, Query and Scan.
#[tokio::test]
async fn attributes_to_get_with_a_duplicate_is_refused_by_every_read() {
    use aws_sdk_dynamodb::types::{ComparisonOperator, Condition, KeysAndAttributes};
    let server = Server::start_in_memory();
    let client = server.client();
    let t = table_name("dup-atg");
    create_table(&client, &t, ScalarAttributeType::S, None).await;
    client
        .put_item()
        .table_name(&t)
        .item("pk", s("k"))
        .item("b", s("y"))
        .send()
        .await
        .unwrap();
    let names = || vec!["a".to_string(), "b".to_string(), "b".to_string()];
    let expected =
        "One or more parameter values were invalid: Duplicate value in attribute name: b";

    let get = client
        .get_item()
        .table_name(&t)
        .key("pk", s("k"))
        .set_attributes_to_get(Some(names()))
        .send()
        .await;
    assert_eq!(validation_message(get), expected);

    let batch = client
        .batch_get_item()
        .request_items(
            &t,
            KeysAndAttributes::builder()
                .keys([("pk".to_string(), s("k"))].into_iter().collect())
                .set_attributes_to_get(Some(names()))
                .build()
                .unwrap(),
        )
        .send()
        .await;
    assert_eq!(validation_message(batch), expected);

    let query = client
        .query()
        .table_name(&t)
        .key_conditions(
            "pk",
            Condition::builder()
                .comparison_operator(ComparisonOperator::Eq)
                .attribute_value_list(s("k"))
                .build()
                .unwrap(),
        )
        .set_attributes_to_get(Some(names()))
        .send()
        .await;
    assert_eq!(validation_message(query), expected);

    let scan = client
        .scan()
        .table_name(&t)
        .set_attributes_to_get(Some(names()))
        .send()
        .await;
    assert_eq!(validation_message(scan), expected);

    // Without the duplicate, GetItem returns what was asked for.
    let got = client
        .get_item()
        .table_name(&t)
        .key("pk", s("k"))
        .attributes_to_get("b")
        .attributes_to_get("a")
        .send()
        .await
        .unwrap();
    assert_eq!(got.item().unwrap().len(), 1);
}
