//! UpdateItem, conditional writes and the legacy parameters through the AWS SDK, and the
//! atomicity of conditional writes under concurrency.

mod common;

use std::collections::HashMap;

use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::types::{
    AttributeAction, AttributeValue as Av, AttributeValueUpdate, ComparisonOperator,
    ExpectedAttributeValue, ReturnValue, ReturnValuesOnConditionCheckFailure,
};
use common::{create_pk_table, get_by_pk, n, s, table_name, Server};

#[tokio::test]
async fn update_expression_creates_and_changes_items() {
    let server = Server::start_in_memory();
    let client = server.client();
    let t = table_name("upd");
    create_pk_table(&client, &t).await;

    // Creates the item when it does not exist.
    let out = client
        .update_item()
        .table_name(&t)
        .key("pk", s("a"))
        .update_expression("SET #n = :name, visits = if_not_exists(visits, :zero) + :one, tags = list_append(if_not_exists(tags, :empty), :t) ADD seen :set")
        .expression_attribute_names("#n", "name")
        .expression_attribute_values(":name", s("alice"))
        .expression_attribute_values(":zero", n("0"))
        .expression_attribute_values(":one", n("1"))
        .expression_attribute_values(":empty", Av::L(vec![]))
        .expression_attribute_values(":t", Av::L(vec![s("x")]))
        .expression_attribute_values(":set", Av::Ss(vec!["red".into()]))
        .return_values(ReturnValue::AllNew)
        .send()
        .await
        .unwrap();
    let item = out.attributes.unwrap();
    assert_eq!(item["pk"], s("a"));
    assert_eq!(item["name"], s("alice"));
    assert_eq!(item["visits"], n("1"));
    assert_eq!(item["tags"], Av::L(vec![s("x")]));
    assert_eq!(item["seen"], Av::Ss(vec!["red".into()]));

    // UPDATED_OLD / UPDATED_NEW return only what the update touched.
    let out = client
        .update_item()
        .table_name(&t)
        .key("pk", s("a"))
        .update_expression("SET visits = visits + :one REMOVE tags[0] DELETE seen :set")
        .expression_attribute_values(":one", n("1"))
        .expression_attribute_values(":set", Av::Ss(vec!["red".into()]))
        .return_values(ReturnValue::UpdatedOld)
        .send()
        .await
        .unwrap();
    let old = out.attributes.unwrap();
    assert_eq!(old["visits"], n("1"));
    assert!(!old.contains_key("name"));
    let item = get_by_pk(&client, &t, "a").await.unwrap();
    assert_eq!(item["visits"], n("2"));
    assert_eq!(item["tags"], Av::L(vec![]));
    assert!(
        !item.contains_key("seen"),
        "a set emptied by DELETE is removed"
    );

    let out = client
        .update_item()
        .table_name(&t)
        .key("pk", s("a"))
        .update_expression("SET visits = visits - :one")
        .expression_attribute_values(":one", n("0.5"))
        .return_values(ReturnValue::UpdatedNew)
        .send()
        .await
        .unwrap();
    assert_eq!(
        out.attributes.unwrap(),
        HashMap::from([("visits".to_string(), n("1.5"))])
    );
}

#[tokio::test]
async fn update_validation_errors() {
    let server = Server::start_in_memory();
    let client = server.client();
    let t = table_name("updval");
    create_pk_table(&client, &t).await;
    let cases = [
        (
            client.update_item().table_name(&t).key("pk", s("a")).update_expression("SET pk = :v")
                .expression_attribute_values(":v", s("b")),
            "One or more parameter values were invalid: Cannot update attribute pk. This attribute is part of the key",
        ),
        (
            client.update_item().table_name(&t).key("pk", s("a")).update_expression("SET a = :v")
                .expression_attribute_values(":v", s("b")).expression_attribute_values(":unused", s("c")),
            "Value provided in ExpressionAttributeValues unused in expressions: keys: {:unused}",
        ),
        (
            client.update_item().table_name(&t).key("pk", s("a")).update_expression("SET a = :missing"),
            "Invalid UpdateExpression: An expression attribute value used in expression is not defined; attribute value: :missing",
        ),
        (
            client.update_item().table_name(&t).key("pk", s("a")).update_expression("SET a = b + :one")
                .expression_attribute_values(":one", n("1")),
            "The provided expression refers to an attribute that does not exist in the item",
        ),
        (
            client.update_item().table_name(&t).key("pk", s("a")).update_expression("SET size = :v")
                .expression_attribute_values(":v", n("1")),
            "Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: size",
        ),
    ];
    for (request, message) in cases {
        let err = request.send().await.unwrap_err();
        assert_eq!(err.code(), Some("ValidationException"), "{message}");
        assert_eq!(err.message(), Some(message));
    }
    // Mixing legacy and expression parameters.
    let err = client
        .update_item()
        .table_name(&t)
        .key("pk", s("a"))
        .update_expression("SET a = :v")
        .expression_attribute_values(":v", n("1"))
        .expected("a", ExpectedAttributeValue::builder().exists(false).build())
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("ValidationException"));
    assert_eq!(
        err.message(),
        Some("Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {Expected} Expression parameters: {UpdateExpression}")
    );
}

#[tokio::test]
async fn condition_expressions_guard_put_update_and_delete() {
    let server = Server::start_in_memory();
    let client = server.client();
    let t = table_name("cond");
    create_pk_table(&client, &t).await;
    client
        .put_item()
        .table_name(&t)
        .item("pk", s("a"))
        .item("v", n("1"))
        .condition_expression("attribute_not_exists(pk)")
        .send()
        .await
        .unwrap();
    // The same put again fails, and the item comes back when asked for.
    let err = client
        .put_item()
        .table_name(&t)
        .item("pk", s("a"))
        .item("v", n("9"))
        .condition_expression("attribute_not_exists(pk)")
        .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_conditional_check_failed_exception(), "{err:?}");
    assert_eq!(err.message(), Some("The conditional request failed"));
    match &err {
        aws_sdk_dynamodb::operation::put_item::PutItemError::ConditionalCheckFailedException(e) => {
            assert_eq!(e.item().unwrap()["v"], n("1"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(get_by_pk(&client, &t, "a").await.unwrap()["v"], n("1"));

    let err = client
        .update_item()
        .table_name(&t)
        .key("pk", s("a"))
        .update_expression("SET v = :two")
        .condition_expression("v = :three")
        .expression_attribute_values(":two", n("2"))
        .expression_attribute_values(":three", n("3"))
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_conditional_check_failed_exception());
    client
        .update_item()
        .table_name(&t)
        .key("pk", s("a"))
        .update_expression("SET v = :two")
        .condition_expression("v = :one AND size(pk) BETWEEN :one AND :two")
        .expression_attribute_values(":two", n("2"))
        .expression_attribute_values(":one", n("1"))
        .send()
        .await
        .unwrap();
    let err = client
        .delete_item()
        .table_name(&t)
        .key("pk", s("a"))
        .condition_expression("v < :v")
        .expression_attribute_values(":v", n("2"))
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_conditional_check_failed_exception());
    client
        .delete_item()
        .table_name(&t)
        .key("pk", s("a"))
        .condition_expression("v <= :v")
        .expression_attribute_values(":v", n("2"))
        .send()
        .await
        .unwrap();
    assert!(get_by_pk(&client, &t, "a").await.is_none());
}

#[tokio::test]
#[allow(deprecated)]
async fn legacy_expected_and_attribute_updates() {
    let server = Server::start_in_memory();
    let client = server.client();
    let t = table_name("legacy");
    create_pk_table(&client, &t).await;
    client
        .put_item()
        .table_name(&t)
        .item("pk", s("a"))
        .item("v", n("5"))
        .expected(
            "pk",
            ExpectedAttributeValue::builder().exists(false).build(),
        )
        .send()
        .await
        .unwrap();
    let err = client
        .put_item()
        .table_name(&t)
        .item("pk", s("a"))
        .expected(
            "v",
            ExpectedAttributeValue::builder()
                .comparison_operator(ComparisonOperator::Gt)
                .attribute_value_list(n("5"))
                .build(),
        )
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_conditional_check_failed_exception());
    client
        .update_item()
        .table_name(&t)
        .key("pk", s("a"))
        .attribute_updates(
            "v",
            AttributeValueUpdate::builder()
                .action(AttributeAction::Add)
                .value(n("2"))
                .build(),
        )
        .attribute_updates(
            "w",
            AttributeValueUpdate::builder()
                .action(AttributeAction::Put)
                .value(s("x"))
                .build(),
        )
        .expected(
            "v",
            ExpectedAttributeValue::builder()
                .comparison_operator(ComparisonOperator::Between)
                .attribute_value_list(n("1"))
                .attribute_value_list(n("5"))
                .build(),
        )
        .send()
        .await
        .unwrap();
    let item = get_by_pk(&client, &t, "a").await.unwrap();
    assert_eq!(item["v"], n("7"));
    assert_eq!(item["w"], s("x"));
    client
        .update_item()
        .table_name(&t)
        .key("pk", s("a"))
        .attribute_updates(
            "w",
            AttributeValueUpdate::builder()
                .action(AttributeAction::Delete)
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert!(!get_by_pk(&client, &t, "a").await.unwrap().contains_key("w"));

    // Deleting from a missing item does not create it; an empty update does.
    client
        .update_item()
        .table_name(&t)
        .key("pk", s("ghost"))
        .attribute_updates(
            "w",
            AttributeValueUpdate::builder()
                .action(AttributeAction::Delete)
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert!(get_by_pk(&client, &t, "ghost").await.is_none());
    client
        .update_item()
        .table_name(&t)
        .key("pk", s("ghost2"))
        .update_expression("REMOVE w")
        .send()
        .await
        .unwrap();
    assert!(get_by_pk(&client, &t, "ghost2").await.is_none());
    client
        .update_item()
        .table_name(&t)
        .key("pk", s("empty"))
        .send()
        .await
        .unwrap();
    assert_eq!(get_by_pk(&client, &t, "empty").await.unwrap().len(), 1);
}

/// 32 clients, each doing `ADD #c :one` (counter is a reserved word) and condition-guarded increments of `v`
/// (retried on ConditionalCheckFailedException): the final values are exact.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_conditional_writes_to_one_item_are_atomic() {
    let server = Server::start_in_memory();
    let client = server.client();
    let t = table_name("race");
    create_pk_table(&client, &t).await;
    client
        .put_item()
        .table_name(&t)
        .item("pk", s("hot"))
        .item("v", n("0"))
        .send()
        .await
        .unwrap();
    const CLIENTS: usize = 32;
    const ADDS: usize = 20;
    const GUARDED: usize = 10;
    let mut tasks = Vec::new();
    for _ in 0..CLIENTS {
        let client = client.clone();
        let t = t.clone();
        tasks.push(tokio::spawn(async move {
            let mut failures = 0u64;
            for _ in 0..ADDS {
                client
                    .update_item()
                    .table_name(&t)
                    .key("pk", s("hot"))
                    .update_expression("ADD #c :one")
                    .expression_attribute_names("#c", "counter")
                    .expression_attribute_values(":one", n("1"))
                    .send()
                    .await
                    .unwrap();
            }
            for _ in 0..GUARDED {
                loop {
                    let current = client
                        .get_item()
                        .table_name(&t)
                        .key("pk", s("hot"))
                        .consistent_read(true)
                        .send()
                        .await
                        .unwrap()
                        .item
                        .unwrap();
                    let Av::N(v) = &current["v"] else { panic!() };
                    let r = client
                        .update_item()
                        .table_name(&t)
                        .key("pk", s("hot"))
                        .update_expression("SET v = v + :one")
                        .condition_expression("v = :expected")
                        .expression_attribute_values(":one", n("1"))
                        .expression_attribute_values(":expected", n(v))
                        .send()
                        .await;
                    match r {
                        Ok(_) => break,
                        Err(e)
                            if e.as_service_error()
                                .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
                        {
                            failures += 1;
                        }
                        Err(e) => panic!("{e:?}"),
                    }
                }
            }
            failures
        }));
    }
    let mut failures = 0;
    for task in tasks {
        failures += task.await.unwrap();
    }
    let item = get_by_pk(&client, &t, "hot").await.unwrap();
    assert_eq!(item["counter"], n(&(CLIENTS * ADDS).to_string()));
    assert_eq!(item["v"], n(&(CLIENTS * GUARDED).to_string()));
    println!("condition failures retried: {failures}");
}
