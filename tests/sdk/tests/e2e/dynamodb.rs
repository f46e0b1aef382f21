//! DynamoDB end to end with aws-sdk-rust: tables and their status over
//! time (with the SDK's own waiters), items with conditions and update
//! expressions, numeric sort key order, paging, batches, transactions,
//! indexes, durability across kill -9, and an instance role without
//! `dynamodb:GetItem` denied through its metadata credentials.

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::client::Waiters;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, ConditionCheck, GlobalSecondaryIndexUpdate,
    KeySchemaElement, KeyType, Projection, ProjectionType, Put, PutRequest, ReturnValue,
    ScalarAttributeType, Select, TableStatus, TransactWriteItem, Update, WriteRequest,
};
use ballast_sdk_tests::fixtures::config_as_instance;
use ballast_sdk_tests::{Ballast, error_code, eventually, unique};

type Item = HashMap<String, AttributeValue>;

fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.to_owned())
}

fn n(v: impl ToString) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

fn attr(name: &str, kind: ScalarAttributeType) -> AttributeDefinition {
    AttributeDefinition::builder()
        .attribute_name(name)
        .attribute_type(kind)
        .build()
        .unwrap()
}

fn key(name: &str, kind: KeyType) -> KeySchemaElement {
    KeySchemaElement::builder()
        .attribute_name(name)
        .key_type(kind)
        .build()
        .unwrap()
}

/// Creates a (pk S [, sk N]) on-demand table.
async fn create_table(client: &Client, name: &str, with_range: bool) {
    let mut request = client
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(attr("pk", ScalarAttributeType::S))
        .key_schema(key("pk", KeyType::Hash));
    if with_range {
        request = request
            .attribute_definitions(attr("sk", ScalarAttributeType::N))
            .key_schema(key("sk", KeyType::Range));
    }
    request.send().await.expect("CreateTable");
}

/// Polls DescribeTable until the table is ACTIVE (servers in these tests
/// run at a small time scale, so this takes milliseconds).
async fn until_active(client: &Client, name: &str) {
    eventually(
        "the table to be ACTIVE",
        Duration::from_secs(20),
        || async {
            let out = client.describe_table().table_name(name).send().await.ok()?;
            (out.table()?.table_status()? == &TableStatus::Active).then_some(())
        },
    )
    .await;
}

async fn active_table(client: &Client, prefix: &str, with_range: bool) -> String {
    let name = unique(prefix);
    create_table(client, &name, with_range).await;
    until_active(client, &name).await;
    name
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waiters_see_creating_active_deleting_gone() {
    let ballast = Ballast::start();
    let client = ballast.dynamodb();
    let name = unique("waited");
    create_table(&client, &name, false).await;
    let first = client
        .describe_table()
        .table_name(&name)
        .send()
        .await
        .unwrap();
    assert_eq!(
        first.table().unwrap().table_status(),
        Some(&TableStatus::Creating)
    );
    // A table being created cannot be deleted yet.
    let busy = client.delete_table().table_name(&name).send().await;
    assert_eq!(error_code(&busy.unwrap_err()), "ResourceInUseException");
    // Items cannot be written before the table is ACTIVE, as on AWS.
    let early = client
        .put_item()
        .table_name(&name)
        .item("pk", s("x"))
        .send()
        .await;
    assert_eq!(error_code(&early.unwrap_err()), "ResourceNotFoundException");
    client
        .wait_until_table_exists()
        .table_name(&name)
        .wait(Duration::from_secs(90))
        .await
        .expect("table_exists waiter");
    client
        .put_item()
        .table_name(&name)
        .item("pk", s("x"))
        .send()
        .await
        .unwrap();
    let deleted = client
        .delete_table()
        .table_name(&name)
        .send()
        .await
        .unwrap();
    assert_eq!(
        deleted.table_description().unwrap().table_status(),
        Some(&TableStatus::Deleting)
    );
    client
        .wait_until_table_not_exists()
        .table_name(&name)
        .wait(Duration::from_secs(90))
        .await
        .expect("table_not_exists waiter");
    let gone = client.describe_table().table_name(&name).send().await;
    assert_eq!(error_code(&gone.unwrap_err()), "ResourceNotFoundException");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn items_conditions_updates_and_errors() {
    let ballast = Ballast::start_with(&["--time-scale", "0.02"]);
    let client = ballast.dynamodb();
    let table = active_table(&client, "items", false).await;

    let duplicate = client
        .create_table()
        .table_name(&table)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(attr("pk", ScalarAttributeType::S))
        .key_schema(key("pk", KeyType::Hash))
        .send()
        .await;
    assert_eq!(
        error_code(&duplicate.unwrap_err()),
        "ResourceInUseException"
    );

    let item: Item = [
        ("pk", s("a")),
        ("n", n("0012.50")),
        ("b", AttributeValue::B(vec![0, 1, 255].into())),
        ("ns", AttributeValue::Ns(vec!["1".into(), "2.0".into()])),
        (
            "m",
            AttributeValue::M([("x".to_owned(), AttributeValue::Bool(true))].into()),
        ),
        ("l", AttributeValue::L(vec![AttributeValue::Null(true)])),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    client
        .put_item()
        .table_name(&table)
        .set_item(Some(item))
        .condition_expression("attribute_not_exists(pk)")
        .send()
        .await
        .unwrap();
    let got = client
        .get_item()
        .table_name(&table)
        .key("pk", s("a"))
        .send()
        .await
        .unwrap();
    let got = got.item().unwrap();
    assert_eq!(got["n"], n("12.5"));
    assert_eq!(got["b"], AttributeValue::B(vec![0, 1, 255].into()));
    assert_eq!(got["ns"], AttributeValue::Ns(vec!["1".into(), "2".into()]));

    // A failed condition changes nothing.
    let failed = client
        .put_item()
        .table_name(&table)
        .item("pk", s("a"))
        .condition_expression("attribute_not_exists(pk)")
        .send()
        .await;
    assert_eq!(
        error_code(&failed.unwrap_err()),
        "ConditionalCheckFailedException"
    );

    let updated = client
        .update_item()
        .table_name(&table)
        .key("pk", s("a"))
        .update_expression(
            "SET n = n + :d, c = if_not_exists(c, :zero) - :d, l = list_append(l, :more) REMOVE m ADD ns :three",
        )
        .condition_expression("n BETWEEN :lo AND :hi")
        .expression_attribute_values(":d", n("0.5"))
        .expression_attribute_values(":zero", n(0))
        .expression_attribute_values(":more", AttributeValue::L(vec![s("x")]))
        .expression_attribute_values(":three", AttributeValue::Ns(vec!["3".into()]))
        .expression_attribute_values(":lo", n(10))
        .expression_attribute_values(":hi", n(20))
        .return_values(ReturnValue::AllNew)
        .send()
        .await
        .unwrap();
    let attributes = updated.attributes().unwrap();
    assert_eq!(attributes["n"], n(13));
    assert_eq!(attributes["c"], n("-0.5"));
    assert!(!attributes.contains_key("m"));
    assert_eq!(
        attributes["l"],
        AttributeValue::L(vec![AttributeValue::Null(true), s("x")])
    );

    // Refused requests: each with DynamoDB's code, none changes the item.
    let before = client
        .get_item()
        .table_name(&table)
        .key("pk", s("a"))
        .send()
        .await
        .unwrap()
        .item
        .unwrap();
    let wrong_type = client
        .update_item()
        .table_name(&table)
        .key("pk", s("a"))
        .update_expression("SET c = :one ADD l :one")
        .expression_attribute_values(":one", n(1))
        .send()
        .await;
    assert_eq!(error_code(&wrong_type.unwrap_err()), "ValidationException");
    let key_update = client
        .update_item()
        .table_name(&table)
        .key("pk", s("a"))
        .update_expression("SET pk = :v")
        .expression_attribute_values(":v", s("b"))
        .send()
        .await;
    assert_eq!(error_code(&key_update.unwrap_err()), "ValidationException");
    let mismatch = client
        .get_item()
        .table_name(&table)
        .key("pk", n(1))
        .send()
        .await;
    assert_eq!(error_code(&mismatch.unwrap_err()), "ValidationException");
    let zero_limit = client.scan().table_name(&table).limit(0).send().await;
    assert_eq!(error_code(&zero_limit.unwrap_err()), "ValidationException");
    let missing = client
        .get_item()
        .table_name("no-such-table")
        .key("pk", s("a"))
        .send()
        .await;
    assert_eq!(
        error_code(&missing.unwrap_err()),
        "ResourceNotFoundException"
    );
    let after = client
        .get_item()
        .table_name(&table)
        .key("pk", s("a"))
        .send()
        .await
        .unwrap()
        .item
        .unwrap();
    assert_eq!(before, after);

    let old = client
        .delete_item()
        .table_name(&table)
        .key("pk", s("a"))
        .return_values(ReturnValue::AllOld)
        .send()
        .await
        .unwrap();
    assert_eq!(old.attributes().unwrap()["n"], n(13));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn query_orders_numbers_and_pages() {
    let ballast = Ballast::start_with(&["--time-scale", "0.02"]);
    let client = ballast.dynamodb();
    let table = active_table(&client, "numbers", true).await;
    // 200 sort keys: negative and positive, integers and decimals.
    let values: Vec<f64> = (0..200).map(|i| (i as f64 - 100.0) * 0.75).collect();
    for chunk in values.chunks(25) {
        let requests = chunk
            .iter()
            .map(|v| {
                WriteRequest::builder()
                    .put_request(
                        PutRequest::builder()
                            .item("pk", s("p"))
                            .item("sk", n(v))
                            .build()
                            .unwrap(),
                    )
                    .build()
            })
            .collect();
        let out = client
            .batch_write_item()
            .request_items(&table, requests)
            .send()
            .await
            .unwrap();
        assert!(out.unprocessed_items().is_none_or(|u| u.is_empty()));
    }

    // Page through with Limit and ExclusiveStartKey, in both directions.
    for forward in [true, false] {
        let mut seen = Vec::new();
        let mut start = None;
        loop {
            let page = client
                .query()
                .table_name(&table)
                .key_condition_expression("pk = :p")
                .expression_attribute_values(":p", s("p"))
                .scan_index_forward(forward)
                .limit(17)
                .set_exclusive_start_key(start)
                .send()
                .await
                .unwrap();
            for item in page.items() {
                seen.push(item["sk"].as_n().unwrap().parse::<f64>().unwrap());
            }
            start = page.last_evaluated_key().cloned();
            if start.is_none() {
                break;
            }
        }
        let mut expected = values.clone();
        if !forward {
            expected.reverse();
        }
        assert_eq!(seen, expected);
    }

    let range = client
        .query()
        .table_name(&table)
        .key_condition_expression("pk = :p AND sk BETWEEN :lo AND :hi")
        .expression_attribute_values(":p", s("p"))
        .expression_attribute_values(":lo", n("-1.5"))
        .expression_attribute_values(":hi", n("0.75"))
        .send()
        .await
        .unwrap();
    let got: Vec<&str> = range
        .items()
        .iter()
        .map(|i| i["sk"].as_n().unwrap().as_str())
        .collect();
    assert_eq!(got, ["-1.5", "-0.75", "0", "0.75"]);

    let count = client
        .query()
        .table_name(&table)
        .key_condition_expression("pk = :p AND sk < :zero")
        .filter_expression("sk > :min")
        .expression_attribute_values(":p", s("p"))
        .expression_attribute_values(":zero", n(0))
        .expression_attribute_values(":min", n(-10))
        .select(Select::Count)
        .send()
        .await
        .unwrap();
    assert_eq!(count.scanned_count(), 100);
    assert_eq!(count.count(), 13);
    assert!(count.items().is_empty());

    // Parallel scan segments partition the table.
    let mut total = 0;
    for segment in 0..3 {
        let mut start = None;
        loop {
            let page = client
                .scan()
                .table_name(&table)
                .segment(segment)
                .total_segments(3)
                .limit(50)
                .set_exclusive_start_key(start)
                .send()
                .await
                .unwrap();
            total += page.count();
            start = page.last_evaluated_key().cloned();
            if start.is_none() {
                break;
            }
        }
    }
    assert_eq!(total, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batches_transactions_and_indexes() {
    let ballast = Ballast::start_with(&["--time-scale", "0.02"]);
    let client = ballast.dynamodb();
    let table = active_table(&client, "tx", false).await;

    let too_many: Vec<WriteRequest> = (0..26)
        .map(|i| {
            WriteRequest::builder()
                .put_request(
                    PutRequest::builder()
                        .item("pk", s(&format!("k{i}")))
                        .build()
                        .unwrap(),
                )
                .build()
        })
        .collect();
    let refused = client
        .batch_write_item()
        .request_items(&table, too_many.clone())
        .send()
        .await;
    assert_eq!(error_code(&refused.unwrap_err()), "ValidationException");
    let scanned = client.scan().table_name(&table).send().await.unwrap();
    assert_eq!(scanned.count(), 0, "a refused batch writes nothing");

    client
        .put_item()
        .table_name(&table)
        .item("pk", s("a"))
        .item("v", n(1))
        .send()
        .await
        .unwrap();
    let cancelled = client
        .transact_write_items()
        .transact_items(
            TransactWriteItem::builder()
                .put(
                    Put::builder()
                        .table_name(&table)
                        .item("pk", s("b"))
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .transact_items(
            TransactWriteItem::builder()
                .condition_check(
                    ConditionCheck::builder()
                        .table_name(&table)
                        .key("pk", s("a"))
                        .condition_expression("v = :two")
                        .expression_attribute_values(":two", n(2))
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .send()
        .await;
    let error = cancelled.unwrap_err();
    assert_eq!(error_code(&error), "TransactionCanceledException");
    let service = error.into_service_error();
    let reasons: Vec<&str> = match &service {
        aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError::TransactionCanceledException(e) => {
            e.cancellation_reasons().iter().filter_map(|r| r.code()).collect()
        }
        other => panic!("unexpected error {other:?}"),
    };
    assert_eq!(reasons, ["None", "ConditionalCheckFailed"]);
    let b = client
        .get_item()
        .table_name(&table)
        .key("pk", s("b"))
        .send()
        .await
        .unwrap();
    assert!(b.item().is_none(), "a cancelled transaction writes nothing");

    client
        .transact_write_items()
        .transact_items(
            TransactWriteItem::builder()
                .update(
                    Update::builder()
                        .table_name(&table)
                        .key("pk", s("a"))
                        .update_expression("SET v = v + :one, kind = :k")
                        .expression_attribute_values(":one", n(1))
                        .expression_attribute_values(":k", s("book"))
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();

    // Add a global secondary index; existing items are backfilled.
    client
        .update_table()
        .table_name(&table)
        .attribute_definitions(attr("kind", ScalarAttributeType::S))
        .global_secondary_index_updates(
            GlobalSecondaryIndexUpdate::builder()
                .create(
                    aws_sdk_dynamodb::types::CreateGlobalSecondaryIndexAction::builder()
                        .index_name("by-kind")
                        .key_schema(key("kind", KeyType::Hash))
                        .projection(
                            Projection::builder()
                                .projection_type(ProjectionType::All)
                                .build(),
                        )
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    until_active(&client, &table).await;
    let by_kind = client
        .query()
        .table_name(&table)
        .index_name("by-kind")
        .key_condition_expression("kind = :k")
        .expression_attribute_values(":k", s("book"))
        .send()
        .await
        .unwrap();
    assert_eq!(by_kind.count(), 1);
    assert_eq!(by_kind.items()[0]["v"], n(2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_writes_survive_kill_9() {
    let mut ballast = Ballast::start_with(&["--time-scale", "0.02"]);
    let client = ballast.dynamodb();
    let table = active_table(&client, "durable", true).await;
    for i in 0..20 {
        client
            .put_item()
            .table_name(&table)
            .item("pk", s("p"))
            .item("sk", n(i))
            .send()
            .await
            .unwrap();
    }
    ballast.kill9();
    let data_dir = ballast.data_dir.clone();
    let restarted = Ballast::start_in(&data_dir, &["--time-scale", "0.02"]);
    let client = restarted.dynamodb();
    let out = client
        .query()
        .table_name(&table)
        .key_condition_expression("pk = :p")
        .expression_attribute_values(":p", s("p"))
        .send()
        .await
        .unwrap();
    assert_eq!(out.count(), 20);
}

// ------------------------------------------------------------------ IAM

/// A DynamoDB client with an instance's role credentials
/// ([`config_as_instance`]), and the instance's id.
async fn client_as_instance(ballast: &Ballast, role: &str, policy: &str) -> (Client, String) {
    let (config, id) = config_as_instance(ballast, role, policy).await;
    (Client::new(&config), id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instance_role_without_get_item_is_denied() {
    let ballast = Ballast::start_with(&["--time-scale", "0.02"]);
    let client = ballast.dynamodb();
    let table = active_table(&client, "guarded", false).await;
    client
        .put_item()
        .table_name(&table)
        .item("pk", s("a"))
        .send()
        .await
        .unwrap();

    // The role may write and query the table, but not GetItem.
    let policy = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":["dynamodb:PutItem","dynamodb:Query","dynamodb:DescribeTable"],"Resource":"arn:aws:dynamodb:*:*:table/{table}"}}]}}"#
    );
    let (as_instance, id) = client_as_instance(&ballast, "writer", &policy).await;

    let denied = as_instance
        .get_item()
        .table_name(&table)
        .key("pk", s("a"))
        .send()
        .await;
    let error = denied.unwrap_err();
    assert_eq!(error_code(&error), "AccessDeniedException");
    let message = format!("{:?}", error.into_service_error());
    assert!(message.contains("dynamodb:GetItem"), "{message}");

    as_instance
        .put_item()
        .table_name(&table)
        .item("pk", s("from-instance"))
        .send()
        .await
        .expect("PutItem is allowed");
    let queried = as_instance
        .query()
        .table_name(&table)
        .key_condition_expression("pk = :p")
        .expression_attribute_values(":p", s("from-instance"))
        .send()
        .await
        .expect("Query is allowed");
    assert_eq!(queried.count(), 1);
    // Another table is not covered by the policy.
    let other = as_instance
        .put_item()
        .table_name("other-table")
        .item("pk", s("x"))
        .send()
        .await;
    assert_eq!(error_code(&other.unwrap_err()), "AccessDeniedException");

    ballast
        .ec2()
        .terminate_instances()
        .instance_ids(&id)
        .send()
        .await
        .unwrap();
}

// ------------------------------------------------------------------ Time to Live and tags

/// Seconds since the epoch now, as TTL attributes hold them.
fn epoch_seconds() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn ttl_spec(enabled: bool, attribute: &str) -> aws_sdk_dynamodb::types::TimeToLiveSpecification {
    aws_sdk_dynamodb::types::TimeToLiveSpecification::builder()
        .enabled(enabled)
        .attribute_name(attribute)
        .build()
        .unwrap()
}

fn tag(key: &str, value: &str) -> aws_sdk_dynamodb::types::Tag {
    aws_sdk_dynamodb::types::Tag::builder()
        .key(key)
        .value(value)
        .build()
        .unwrap()
}

/// Creates an ACTIVE (pk S) table with a global index `by-kind` on `kind`.
async fn table_with_kind_index(client: &Client, prefix: &str) -> String {
    let name = unique(prefix);
    client
        .create_table()
        .table_name(&name)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(attr("pk", ScalarAttributeType::S))
        .attribute_definitions(attr("kind", ScalarAttributeType::S))
        .key_schema(key("pk", KeyType::Hash))
        .global_secondary_indexes(
            aws_sdk_dynamodb::types::GlobalSecondaryIndex::builder()
                .index_name("by-kind")
                .key_schema(key("kind", KeyType::Hash))
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::All)
                        .build(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .expect("CreateTable");
    until_active(client, &name).await;
    name
}

async fn put_with_ttl(client: &Client, table: &str, pk: &str, ttl: Option<AttributeValue>) {
    let mut request = client
        .put_item()
        .table_name(table)
        .item("pk", s(pk))
        .item("kind", s("session"));
    if let Some(ttl) = ttl {
        request = request.item("expires", ttl);
    }
    request.send().await.expect("PutItem");
}

async fn exists(client: &Client, table: &str, pk: &str) -> bool {
    client
        .get_item()
        .table_name(table)
        .key("pk", s(pk))
        .send()
        .await
        .expect("GetItem")
        .item()
        .is_some()
}

/// The partition keys a Query of the `by-kind` index returns for `session`.
async fn sessions_in_index(client: &Client, table: &str) -> Vec<String> {
    let out = client
        .query()
        .table_name(table)
        .index_name("by-kind")
        .key_condition_expression("kind = :k")
        .expression_attribute_values(":k", s("session"))
        .send()
        .await
        .expect("Query by-kind");
    let mut keys: Vec<String> = out
        .items()
        .iter()
        .filter_map(|item| item.get("pk")?.as_s().ok().cloned())
        .collect();
    keys.sort();
    keys
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn time_to_live_expires_items_from_the_table_and_its_indexes() {
    let ballast = Ballast::start_with(&["--time-scale", "0.01"]);
    let client = ballast.dynamodb();
    let table = table_with_kind_index(&client, "ttl").await;
    let now = epoch_seconds();

    let described = client
        .describe_time_to_live()
        .table_name(&table)
        .send()
        .await
        .unwrap();
    let description = described.time_to_live_description().unwrap();
    assert_eq!(
        description.time_to_live_status(),
        Some(&aws_sdk_dynamodb::types::TimeToLiveStatus::Disabled)
    );
    assert_eq!(description.attribute_name(), None);

    // Written before TTL is enabled, and expired: enabling TTL covers it.
    put_with_ttl(&client, &table, "before", Some(n(now - 120))).await;

    let enabled = client
        .update_time_to_live()
        .table_name(&table)
        .time_to_live_specification(ttl_spec(true, "expires"))
        .send()
        .await
        .unwrap();
    let spec = enabled.time_to_live_specification().unwrap();
    assert!(spec.enabled());
    assert_eq!(spec.attribute_name(), "expires");
    let described = client
        .describe_time_to_live()
        .table_name(&table)
        .send()
        .await
        .unwrap();
    let description = described.time_to_live_description().unwrap();
    assert_eq!(
        description.time_to_live_status(),
        Some(&aws_sdk_dynamodb::types::TimeToLiveStatus::Enabled)
    );
    assert_eq!(description.attribute_name(), Some("expires"));

    // Refusals, each leaving TTL as it was.
    let again = client
        .update_time_to_live()
        .table_name(&table)
        .time_to_live_specification(ttl_spec(true, "expires"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&again), "ValidationException");
    assert!(format!("{:?}", again.into_service_error()).contains("TimeToLive is already enabled"));
    let other = client
        .update_time_to_live()
        .table_name(&table)
        .time_to_live_specification(ttl_spec(true, "other"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&other), "ValidationException");
    assert!(format!("{:?}", other.into_service_error()).contains("different AttributeName"));
    let too_long = client
        .update_time_to_live()
        .table_name(&table)
        .time_to_live_specification(ttl_spec(true, &"a".repeat(256)))
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&too_long), "ValidationException");
    let missing = client
        .update_time_to_live()
        .table_name("no-such-table")
        .time_to_live_specification(ttl_spec(true, "expires"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&missing), "ResourceNotFoundException");
    let missing = client
        .describe_time_to_live()
        .table_name("no-such-table")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&missing), "ResourceNotFoundException");
    let still = client
        .describe_time_to_live()
        .table_name(&table)
        .send()
        .await
        .unwrap();
    assert_eq!(
        still.time_to_live_description().unwrap().attribute_name(),
        Some("expires")
    );

    // A table without TTL keeps its expired-looking items.
    let untracked = table_with_kind_index(&client, "no-ttl").await;
    put_with_ttl(&client, &untracked, "untracked", Some(n(now - 120))).await;

    // Items TTL must leave alone: a future time, a string, a time more
    // than five years back, no attribute at all.
    put_with_ttl(&client, &table, "future", Some(n(now + 3600))).await;
    put_with_ttl(&client, &table, "string", Some(s(&(now - 120).to_string()))).await;
    put_with_ttl(&client, &table, "ancient", Some(n(now - 6 * 365 * 86_400))).await;
    put_with_ttl(&client, &table, "none", None).await;
    // Written last: once it is gone, a sweep has run with every item
    // above in place.
    put_with_ttl(&client, &table, "expired", Some(n(now - 60))).await;
    // Until the sweep, an expired item is still read, as on AWS; the
    // sweep may already have run, so this is not asserted.

    eventually(
        "the expired items to be deleted",
        Duration::from_secs(20),
        || async {
            let gone = !exists(&client, &table, "expired").await
                && !exists(&client, &table, "before").await;
            gone.then_some(())
        },
    )
    .await;
    assert_eq!(
        sessions_in_index(&client, &table).await,
        ["ancient", "future", "none", "string"],
        "the index lost exactly the expired items"
    );
    for kept in ["future", "string", "ancient", "none"] {
        assert!(exists(&client, &table, kept).await, "{kept} was deleted");
    }
    assert!(exists(&client, &untracked, "untracked").await);
    let count = client
        .describe_table()
        .table_name(&table)
        .send()
        .await
        .unwrap()
        .table()
        .unwrap()
        .item_count();
    assert_eq!(count, Some(4));

    // Disabled, TTL deletes nothing: an item expired after the switch
    // stays while a sweep on another table proves sweeps still run.
    client
        .update_time_to_live()
        .table_name(&table)
        .time_to_live_specification(ttl_spec(false, "expires"))
        .send()
        .await
        .unwrap();
    let described = client
        .describe_time_to_live()
        .table_name(&table)
        .send()
        .await
        .unwrap();
    assert_eq!(
        described
            .time_to_live_description()
            .unwrap()
            .time_to_live_status(),
        Some(&aws_sdk_dynamodb::types::TimeToLiveStatus::Disabled)
    );
    let twice = client
        .update_time_to_live()
        .table_name(&table)
        .time_to_live_specification(ttl_spec(false, "expires"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&twice), "ValidationException");
    assert!(format!("{:?}", twice.into_service_error()).contains("TimeToLive is already disabled"));
    put_with_ttl(&client, &table, "after-disable", Some(n(now - 60))).await;
    client
        .update_time_to_live()
        .table_name(&untracked)
        .time_to_live_specification(ttl_spec(true, "expires"))
        .send()
        .await
        .unwrap();
    eventually(
        "the other table's expired item to be deleted",
        Duration::from_secs(20),
        || async { (!exists(&client, &untracked, "untracked").await).then_some(()) },
    )
    .await;
    assert!(exists(&client, &table, "after-disable").await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tags_on_tables_page_survive_kill_9_and_go_with_the_table() {
    let mut ballast = Ballast::start_with(&["--time-scale", "0.02"]);
    let client = ballast.dynamodb();
    let name = unique("tagged");
    client
        .create_table()
        .table_name(&name)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(attr("pk", ScalarAttributeType::S))
        .key_schema(key("pk", KeyType::Hash))
        .tags(tag("env", "test"))
        .send()
        .await
        .unwrap();
    until_active(&client, &name).await;
    let arn = client
        .describe_table()
        .table_name(&name)
        .send()
        .await
        .unwrap()
        .table()
        .unwrap()
        .table_arn()
        .unwrap()
        .to_owned();

    /// Every tag, following NextToken; and how many pages it took.
    async fn all_tags(client: &Client, arn: &str) -> (Vec<(String, String)>, usize) {
        let mut tags = Vec::new();
        let mut token: Option<String> = None;
        let mut pages = 0;
        loop {
            let out = client
                .list_tags_of_resource()
                .resource_arn(arn)
                .set_next_token(token.clone())
                .send()
                .await
                .expect("ListTagsOfResource");
            pages += 1;
            tags.extend(
                out.tags()
                    .iter()
                    .map(|t| (t.key().to_owned(), t.value().to_owned())),
            );
            match out.next_token() {
                Some(next) => token = Some(next.to_owned()),
                None => break,
            }
        }
        (tags, pages)
    }

    assert_eq!(
        all_tags(&client, &arn).await,
        (vec![("env".to_owned(), "test".to_owned())], 1)
    );
    let mut request = client.tag_resource().resource_arn(&arn);
    for i in 0..14 {
        request = request.tags(tag(&format!("k{i:02}"), &format!("v{i}")));
    }
    request.tags(tag("env", "prod")).send().await.unwrap();
    let (tags, pages) = all_tags(&client, &arn).await;
    assert_eq!(tags.len(), 15);
    assert!(pages > 1, "15 tags come in more than one page");
    assert!(tags.contains(&("env".to_owned(), "prod".to_owned())));
    let keys: Vec<&str> = tags.iter().map(|(k, _)| k.as_str()).collect();
    let mut sorted = keys.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(keys, sorted, "every tag once, in key order");

    client
        .untag_resource()
        .resource_arn(&arn)
        .tag_keys("env")
        .tag_keys("not-there")
        .send()
        .await
        .unwrap();
    assert_eq!(all_tags(&client, &arn).await.0.len(), 14);

    // Refusals change nothing.
    let elsewhere = format!("{}-missing", arn);
    for (arn, code) in [
        (elsewhere.as_str(), "ResourceNotFoundException"),
        (&*format!("{arn}/index/by-kind"), "ValidationException"),
        ("not-an-arn", "ValidationException"),
    ] {
        let err = client
            .list_tags_of_resource()
            .resource_arn(arn)
            .send()
            .await
            .unwrap_err();
        assert_eq!(error_code(&err), code, "{arn}");
        let err = client
            .tag_resource()
            .resource_arn(arn)
            .tags(tag("a", "b"))
            .send()
            .await
            .unwrap_err();
        assert_eq!(error_code(&err), code, "{arn}");
        let err = client
            .untag_resource()
            .resource_arn(arn)
            .tag_keys("a")
            .send()
            .await
            .unwrap_err();
        assert_eq!(error_code(&err), code, "{arn}");
    }
    for bad in [
        tag("aws:reserved", "x"),
        tag("ok", &"v".repeat(257)),
        tag(&"k".repeat(129), "v"),
        tag("semi;colon", "v"),
    ] {
        let err = client
            .tag_resource()
            .resource_arn(&arn)
            .tags(bad)
            .send()
            .await
            .unwrap_err();
        assert_eq!(error_code(&err), "ValidationException");
    }
    let none = client
        .tag_resource()
        .resource_arn(&arn)
        .set_tags(Some(Vec::new()))
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&none), "ValidationException");
    // 14 + 37 = 51 > 50: refused as a whole.
    let mut request = client.tag_resource().resource_arn(&arn);
    for i in 0..37 {
        request = request.tags(tag(&format!("extra{i:02}"), "x"));
    }
    let err = request.send().await.unwrap_err();
    assert_eq!(error_code(&err), "ValidationException");
    assert_eq!(all_tags(&client, &arn).await.0.len(), 14);
    // CreateTable with too many tags creates nothing.
    let crowded = unique("crowded");
    let mut request = client
        .create_table()
        .table_name(&crowded)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(attr("pk", ScalarAttributeType::S))
        .key_schema(key("pk", KeyType::Hash));
    for i in 0..51 {
        request = request.tags(tag(&format!("k{i}"), "v"));
    }
    assert_eq!(
        error_code(&request.send().await.unwrap_err()),
        "ValidationException"
    );
    let missing = client.describe_table().table_name(&crowded).send().await;
    assert_eq!(
        error_code(&missing.unwrap_err()),
        "ResourceNotFoundException"
    );

    // Tags and TTL survive kill -9.
    client
        .update_time_to_live()
        .table_name(&name)
        .time_to_live_specification(ttl_spec(true, "expires"))
        .send()
        .await
        .unwrap();
    ballast.kill9();
    let data_dir = ballast.data_dir.clone();
    let restarted = Ballast::start_in(&data_dir, &["--time-scale", "0.02"]);
    let client = restarted.dynamodb();
    assert_eq!(all_tags(&client, &arn).await.0.len(), 14);
    let ttl = client
        .describe_time_to_live()
        .table_name(&name)
        .send()
        .await
        .unwrap();
    assert_eq!(
        ttl.time_to_live_description().unwrap().attribute_name(),
        Some("expires")
    );

    // Tags go with the table: the same name (and ARN) starts untagged.
    client
        .delete_table()
        .table_name(&name)
        .send()
        .await
        .unwrap();
    client
        .wait_until_table_not_exists()
        .table_name(&name)
        .wait(Duration::from_secs(30))
        .await
        .unwrap();
    let gone = client
        .list_tags_of_resource()
        .resource_arn(&arn)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&gone), "ResourceNotFoundException");
    create_table(&client, &name, false).await;
    until_active(&client, &name).await;
    assert_eq!(all_tags(&client, &arn).await, (Vec::new(), 1));
    let ttl = client
        .describe_time_to_live()
        .table_name(&name)
        .send()
        .await
        .unwrap();
    assert_eq!(
        ttl.time_to_live_description()
            .unwrap()
            .time_to_live_status(),
        Some(&aws_sdk_dynamodb::types::TimeToLiveStatus::Disabled)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instance_role_needs_ttl_and_tag_permissions() {
    let ballast = Ballast::start_with(&["--time-scale", "0.02"]);
    let client = ballast.dynamodb();
    let table = active_table(&client, "guarded-ttl", false).await;
    let arn = format!("arn:aws:dynamodb:us-east-1:000000000000:table/{table}");

    // The role may read TTL and tags, not change them.
    let policy = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":["dynamodb:DescribeTimeToLive","dynamodb:ListTagsOfResource"],"Resource":"{arn}"}}]}}"#
    );
    let (as_instance, id) = client_as_instance(&ballast, "ttl-reader", &policy).await;

    as_instance
        .describe_time_to_live()
        .table_name(&table)
        .send()
        .await
        .expect("DescribeTimeToLive is allowed");
    as_instance
        .list_tags_of_resource()
        .resource_arn(&arn)
        .send()
        .await
        .expect("ListTagsOfResource is allowed");
    let denied = as_instance
        .update_time_to_live()
        .table_name(&table)
        .time_to_live_specification(ttl_spec(true, "expires"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&denied), "AccessDeniedException");
    let message = format!("{:?}", denied.into_service_error());
    assert!(message.contains("dynamodb:UpdateTimeToLive"), "{message}");
    assert!(message.contains(&arn), "{message}");
    for denied in [
        as_instance
            .tag_resource()
            .resource_arn(&arn)
            .tags(tag("a", "b"))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| (error_code(&e), format!("{:?}", e.into_service_error()))),
        as_instance
            .untag_resource()
            .resource_arn(&arn)
            .tag_keys("a")
            .send()
            .await
            .map(|_| ())
            .map_err(|e| (error_code(&e), format!("{:?}", e.into_service_error()))),
    ] {
        let (code, message) = denied.unwrap_err();
        assert_eq!(code, "AccessDeniedException");
        assert!(message.contains(&arn), "{message}");
    }
    // Nothing was changed by the denied calls.
    let ttl = client
        .describe_time_to_live()
        .table_name(&table)
        .send()
        .await
        .unwrap();
    assert_eq!(
        ttl.time_to_live_description()
            .unwrap()
            .time_to_live_status(),
        Some(&aws_sdk_dynamodb::types::TimeToLiveStatus::Disabled)
    );

    ballast
        .ec2()
        .terminate_instances()
        .instance_ids(&id)
        .send()
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_in_batches_and_transactions_tables_listed_and_limits() {
    use aws_sdk_dynamodb::types::{Get, KeysAndAttributes, TransactGetItem};

    let ballast = Ballast::start_with(&["--time-scale", "0.02"]);
    let client = ballast.dynamodb();
    let table = active_table(&client, "reads", false).await;
    for (pk, v) in [("a", 1), ("b", 2)] {
        client
            .put_item()
            .table_name(&table)
            .item("pk", s(pk))
            .item("v", n(v))
            .send()
            .await
            .unwrap();
    }

    let listed = client.list_tables().send().await.expect("ListTables");
    assert!(listed.table_names().contains(&table), "{listed:?}");
    let limits = client
        .describe_limits()
        .send()
        .await
        .expect("DescribeLimits");
    assert_eq!(limits.account_max_read_capacity_units(), Some(80_000));
    assert_eq!(limits.table_max_write_capacity_units(), Some(40_000));

    let keys = |pks: &[&str]| {
        let mut request = KeysAndAttributes::builder();
        for pk in pks {
            request = request.keys(HashMap::from([("pk".to_owned(), s(pk))]));
        }
        request.build().unwrap()
    };
    let got = client
        .batch_get_item()
        .request_items(&table, keys(&["a", "b", "missing"]))
        .send()
        .await
        .expect("BatchGetItem");
    let mut values: Vec<String> = got.responses().unwrap()[&table]
        .iter()
        .map(|item| item["v"].as_n().unwrap().clone())
        .collect();
    values.sort();
    assert_eq!(values, ["1", "2"]);
    assert!(got.unprocessed_keys().is_none_or(HashMap::is_empty));
    let e = client
        .batch_get_item()
        .request_items(&table, keys(&["a", "a"]))
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&e), "ValidationException");

    let get = |pk: &str| {
        TransactGetItem::builder()
            .get(
                Get::builder()
                    .table_name(&table)
                    .key("pk", s(pk))
                    .build()
                    .unwrap(),
            )
            .build()
    };
    let got = client
        .transact_get_items()
        .transact_items(get("b"))
        .transact_items(get("missing"))
        .send()
        .await
        .expect("TransactGetItems");
    let responses = got.responses();
    assert_eq!(responses.len(), 2, "one response per item, in order");
    assert_eq!(responses[0].item().unwrap()["v"], n(2));
    assert!(responses[1].item().is_none());
    let e = client
        .transact_get_items()
        .transact_items(
            TransactGetItem::builder()
                .get(
                    Get::builder()
                        .table_name("no-such-table")
                        .key("pk", s("a"))
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&e), "ResourceNotFoundException");
}

/// PartiQL through ExecuteStatement and BatchExecuteStatement: an item
/// inserted, read by key, updated in place and deleted; a SELECT without
/// a key scans and pages; the errors DynamoDB gives; and what the
/// statements did, as GetItem sees it.
#[tokio::test]
async fn partiql_statements_read_and_write_items() {
    let ballast = Ballast::start();
    let client = ballast.dynamodb();
    let table = active_table(&client, "partiql", true).await;
    let run = |statement: String, parameters: Vec<AttributeValue>| {
        let client = client.clone();
        async move {
            client
                .execute_statement()
                .statement(statement)
                .set_parameters((!parameters.is_empty()).then_some(parameters))
                .send()
                .await
        }
    };

    run(
        format!(
            r#"INSERT INTO "{table}" VALUE {{'pk': ?, 'sk': ?, 'info': ?, 'tags': <<'new'>>}}"#
        ),
        vec![
            s("heat"),
            n(1995),
            AttributeValue::M([("rating".to_owned(), n(8))].into()),
        ],
    )
    .await
    .expect("INSERT");
    let err = run(
        format!(r#"INSERT INTO "{table}" VALUE {{'pk': 'heat', 'sk': 1995}}"#),
        vec![],
    )
    .await
    .expect_err("the key is taken");
    assert_eq!(error_code(&err), "DuplicateItemException");

    let got = run(
        format!(r#"SELECT * FROM "{table}" WHERE pk = ? AND sk = ?"#),
        vec![s("heat"), n(1995)],
    )
    .await
    .expect("SELECT");
    assert_eq!(got.items().len(), 1);
    assert_eq!(
        got.items()[0]["tags"],
        AttributeValue::Ss(vec!["new".into()])
    );

    run(
        format!(r#"UPDATE "{table}" SET info.rating = ? SET views = 1 REMOVE tags WHERE pk = ? AND sk = ?"#),
        vec![n("2.4"), s("heat"), n(1995)],
    )
    .await
    .expect("UPDATE");
    let item = client
        .get_item()
        .table_name(&table)
        .key("pk", s("heat"))
        .key("sk", n(1995))
        .send()
        .await
        .unwrap()
        .item
        .expect("still there");
    assert_eq!(item["info"].as_m().unwrap()["rating"], n("2.4"));
    assert_eq!(item["views"], n(1));
    assert!(!item.contains_key("tags"));

    // UPDATE and DELETE change one existing item, named by its whole key.
    for (statement, code) in [
        (
            format!(r#"UPDATE "{table}" SET views = 2 WHERE pk = 'heat'"#),
            "ValidationException",
        ),
        (
            format!(r#"UPDATE "{table}" SET views = 2 WHERE pk = 'ronin' AND sk = 1998"#),
            "ConditionalCheckFailedException",
        ),
        (
            format!(r#"DELETE FROM "{table}" WHERE pk = 'heat' AND sk = 1995 AND views > 5"#),
            "ConditionalCheckFailedException",
        ),
        (
            format!(r#"UPDATE "{table}" SET pk = 'x' WHERE pk = 'heat' AND sk = 1995"#),
            "ValidationException",
        ),
        (
            "SELECT * FROM \"no-such-table\"".to_owned(),
            "ResourceNotFoundException",
        ),
        (format!(r#"SELEC * FROM "{table}""#), "ValidationException"),
        (
            format!(r#"SELECT * FROM "{table}" WHERE pk = ?"#),
            "ValidationException",
        ),
    ] {
        let err = run(statement.clone(), vec![]).await.expect_err(&statement);
        assert_eq!(error_code(&err), code, "{statement}");
    }

    // A batch of writes, each answered on its own, then a batch of reads.
    let inserts = (1..=3).map(|year| {
        aws_sdk_dynamodb::types::BatchStatementRequest::builder()
            .statement(format!(
                r#"INSERT INTO "{table}" VALUE {{'pk': 'saga', 'sk': ?}}"#
            ))
            .parameters(n(year))
            .build()
            .unwrap()
    });
    let written = client
        .batch_execute_statement()
        .set_statements(Some(
            inserts
                .chain(std::iter::once(
                    aws_sdk_dynamodb::types::BatchStatementRequest::builder()
                        .statement(format!(
                            r#"INSERT INTO "{table}" VALUE {{'pk': 'heat', 'sk': 1995}}"#
                        ))
                        .build()
                        .unwrap(),
                ))
                .collect(),
        ))
        .send()
        .await
        .expect("BatchExecuteStatement");
    let codes: Vec<_> = written
        .responses()
        .iter()
        .map(|r| {
            r.error()
                .and_then(|e| e.code())
                .map(|c| c.as_str().to_owned())
        })
        .collect();
    assert_eq!(codes, [None, None, None, Some("DuplicateItem".to_owned())]);
    let read = client
        .batch_execute_statement()
        .set_statements(Some(
            [1, 2, 9]
                .iter()
                .map(|year| {
                    aws_sdk_dynamodb::types::BatchStatementRequest::builder()
                        .statement(format!(
                            r#"SELECT sk FROM "{table}" WHERE pk = 'saga' AND sk = {year}"#
                        ))
                        .build()
                        .unwrap()
                })
                .collect(),
        ))
        .send()
        .await
        .expect("a batch of reads");
    let found: Vec<_> = read
        .responses()
        .iter()
        .map(|r| r.item().is_some())
        .collect();
    assert_eq!(found, [true, true, false]);

    // A SELECT without the key scans, and pages by Limit.
    let mut seen = Vec::new();
    let mut token = None;
    loop {
        let page = client
            .execute_statement()
            .statement(format!(r#"SELECT sk FROM "{table}" WHERE sk >= 1"#))
            .limit(2)
            .set_next_token(token)
            .send()
            .await
            .expect("a page");
        seen.extend(page.items().iter().map(|i| i["sk"].clone()));
        token = page.next_token().map(str::to_owned);
        if token.is_none() {
            break;
        }
    }
    assert_eq!(seen.len(), 4, "three sagas and heat: {seen:?}");

    run(
        format!(r#"DELETE FROM "{table}" WHERE pk = ? AND sk = ?"#),
        vec![s("heat"), n(1995)],
    )
    .await
    .expect("DELETE");
    let gone = client
        .get_item()
        .table_name(&table)
        .key("pk", s("heat"))
        .key("sk", n(1995))
        .send()
        .await
        .unwrap();
    assert!(gone.item.is_none());
}

/// ExecuteTransaction: writes that happen together or not at all (a taken
/// key cancels every one, with a reason each), and reads of one moment.
#[tokio::test]
async fn partiql_transactions_are_all_or_nothing() {
    use aws_sdk_dynamodb::types::ParameterizedStatement;
    let ballast = Ballast::start();
    let client = ballast.dynamodb();
    let table = active_table(&client, "partiql-tx", true).await;
    let statement = |text: String, parameters: Vec<AttributeValue>| {
        ParameterizedStatement::builder()
            .statement(text)
            .set_parameters((!parameters.is_empty()).then_some(parameters))
            .build()
            .unwrap()
    };
    let insert = |pk: &str, sk: i64| {
        statement(
            format!(r#"INSERT INTO "{table}" VALUE {{'pk': ?, 'sk': ?, 'stock': 5}}"#),
            vec![s(pk), n(sk)],
        )
    };
    client
        .execute_transaction()
        .transact_statements(insert("widget", 1))
        .transact_statements(insert("gadget", 1))
        .send()
        .await
        .expect("ExecuteTransaction");

    // The second insert's key is taken: neither the update nor the new
    // item happens.
    let err = client
        .execute_transaction()
        .transact_statements(statement(
            format!(r#"UPDATE "{table}" SET stock = stock - 1 WHERE pk = 'widget' AND sk = 1"#),
            vec![],
        ))
        .transact_statements(insert("gadget", 1))
        .transact_statements(insert("gizmo", 1))
        .send()
        .await
        .expect_err("cancelled");
    assert_eq!(error_code(&err), "TransactionCanceledException");
    let message = err.into_service_error().to_string();
    assert!(message.contains("[None, DuplicateItem, None]"), "{message}");

    let read = client
        .execute_transaction()
        .transact_statements(statement(
            format!(r#"SELECT stock FROM "{table}" WHERE pk = 'widget' AND sk = 1"#),
            vec![],
        ))
        .transact_statements(statement(
            format!(r#"SELECT * FROM "{table}" WHERE pk = 'gizmo' AND sk = 1"#),
            vec![],
        ))
        .send()
        .await
        .expect("a read transaction");
    let responses = read.responses();
    assert_eq!(responses[0].item().unwrap()["stock"], n(5), "unchanged");
    assert!(responses[1].item().is_none(), "never inserted");

    let err = client
        .execute_transaction()
        .transact_statements(statement(
            format!(r#"DELETE FROM "{table}" WHERE pk = 'widget' AND sk = 1"#),
            vec![],
        ))
        .transact_statements(statement(
            format!(r#"UPDATE "{table}" SET stock = 0 WHERE pk = 'widget' AND sk = 1"#),
            vec![],
        ))
        .send()
        .await
        .expect_err("one item twice");
    assert_eq!(error_code(&err), "ValidationException");
}
