//! The recommender on a Ballast instance: started by user data, it reads
//! its parameters from SSM and its recommendations from DynamoDB with the
//! instance role's credentials, says which instance answered from the
//! metadata service, and changes its answers as soon as the parameters
//! change, as seed 001's stages need.

// A test's helpers may fail loudly, like the tests themselves.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, KeySchemaElement, KeyType, ScalarAttributeType,
};
use aws_sdk_ec2::types::IamInstanceProfileSpecification;
use aws_sdk_ssm::types::ParameterType;
use ballast_sdk_tests::fixtures::{AL2023, role_with_profile};
use ballast_sdk_tests::{Ballast, eventually};
use recommender::settings;
use serde_json::Value;

const WAIT: Duration = Duration::from_secs(30);
const TABLE: &str = "recommendations";

/// What the instance role may do: read the table and the parameters.
const POLICY: &str = r#"{"Version":"2012-10-17","Statement":[
  {"Effect":"Allow","Action":["dynamodb:Query","dynamodb:DescribeTable"],"Resource":"*"},
  {"Effect":"Allow","Action":["ssm:GetParameters"],"Resource":"*"}]}"#;

/// Three suggestions, one of each kind.
const ITEMS: [(&str, &str, &str, &str); 3] = [
    ("Book", "1", "A Field Guide to Quiet Servers", "R. Fallback"),
    ("Movie", "1", "The Long Drain", "T. Group"),
    ("Song", "1", "Healthy Threshold", "The Listeners"),
];

async fn table(ballast: &Ballast) {
    let dynamodb = ballast.dynamodb();
    let attribute = |name: &str, kind| {
        AttributeDefinition::builder()
            .attribute_name(name)
            .attribute_type(kind)
            .build()
            .unwrap()
    };
    let key = |name: &str, kind| {
        KeySchemaElement::builder()
            .attribute_name(name)
            .key_type(kind)
            .build()
            .unwrap()
    };
    dynamodb
        .create_table()
        .table_name(TABLE)
        .attribute_definitions(attribute("MediaType", ScalarAttributeType::S))
        .attribute_definitions(attribute("ItemId", ScalarAttributeType::N))
        .key_schema(key("MediaType", KeyType::Hash))
        .key_schema(key("ItemId", KeyType::Range))
        .billing_mode(aws_sdk_dynamodb::types::BillingMode::PayPerRequest)
        .send()
        .await
        .expect("CreateTable");
    for (media, id, title, creator) in ITEMS {
        eventually("the table to take items", WAIT, || async {
            dynamodb
                .put_item()
                .table_name(TABLE)
                .item("MediaType", AttributeValue::S(media.to_owned()))
                .item("ItemId", AttributeValue::N(id.to_owned()))
                .item("Title", AttributeValue::S(title.to_owned()))
                .item("Creator", AttributeValue::S(creator.to_owned()))
                .send()
                .await
                .ok()
        })
        .await;
    }
}

async fn set(ballast: &Ballast, name: &str, value: &str) {
    ballast
        .ssm()
        .put_parameter()
        .name(name)
        .value(value)
        .r#type(ParameterType::String)
        .overwrite(true)
        .send()
        .await
        .expect("PutParameter");
}

/// GET `path` on the instance: the status and the JSON body.
async fn get(address: &str, path: &str) -> Option<(u16, Value)> {
    let response = reqwest::get(format!("http://{address}:8080{path}"))
        .await
        .ok()?;
    let status = response.status().as_u16();
    let body = serde_json::from_str(&response.text().await.ok()?).ok()?;
    Some((status, body))
}

/// Waits until `path` answers `status`, and returns the body.
async fn answers(address: &str, path: &str, status: u16) -> Value {
    eventually("the recommender's answer", WAIT, || async {
        get(address, path)
            .await
            .filter(|(got, _)| *got == status)
            .map(|(_, body)| body)
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_recommender_answers_as_its_parameters_say() {
    let ballast = Ballast::start_with(&["--time-scale", "0.05"]);
    table(&ballast).await;
    set(&ballast, settings::TABLE, TABLE).await;
    set(&ballast, settings::FAILURE_RESPONSE, "none").await;
    set(&ballast, settings::HEALTH_CHECK, "shallow").await;
    role_with_profile(&ballast.iam(), "recommender", Some(POLICY)).await;
    let user_data = format!(
        "#!/bin/bash\nnohup '{}' --listen \"$BALLAST_PRIVATE_IP:8080\" >\"$HOME/recommender.log\" 2>&1 &\n",
        env!("CARGO_BIN_EXE_recommender")
    );
    let launched = ballast
        .ec2()
        .run_instances()
        .image_id(AL2023)
        .min_count(1)
        .max_count(1)
        .iam_instance_profile(
            IamInstanceProfileSpecification::builder()
                .name("recommender")
                .build(),
        )
        .user_data(base64_encode(&user_data))
        .send()
        .await
        .expect("RunInstances");
    let instance = &launched.instances()[0];
    let id = instance.instance_id().unwrap().to_owned();
    let address = instance.private_ip_address().unwrap().to_owned();
    let zone = instance
        .placement()
        .and_then(|p| p.availability_zone())
        .unwrap()
        .to_owned();

    tokio::time::sleep(Duration::from_secs(5)).await;
    let log = ballast
        .data_dir
        .join("instances")
        .join(&id)
        .join("home/recommender.log");
    eprintln!(
        "DEBUG {:?} {:?}",
        std::fs::read_to_string(&log),
        get(&address, "/").await
    );
    let body = answers(&address, "/", 200).await;
    assert_eq!(body["Metadata"]["InstanceId"], id.as_str());
    assert_eq!(body["Metadata"]["AvailabilityZone"], zone.as_str());
    let title = body["Title"]["S"].as_str().unwrap_or_default();
    assert!(ITEMS.iter().any(|(_, _, t, _)| *t == title), "{body}");

    // A broken dependency: an error code, while shallow checks pass.
    set(&ballast, settings::TABLE, "this-is-not-a-table").await;
    answers(&address, "/", 502).await;
    answers(&address, "/healthcheck", 200).await;
    // A static response instead.
    set(&ballast, settings::FAILURE_RESPONSE, "static").await;
    let body = answers(&address, "/", 200).await;
    assert_eq!(body["Title"]["S"], "404 Not Found: A Coloring Book");
    assert_eq!(body["Metadata"]["InstanceId"], id.as_str());
    // Deep checks see the broken table, and the repaired one.
    set(&ballast, settings::HEALTH_CHECK, "deep").await;
    let body = answers(&address, "/healthcheck", 503).await;
    assert_eq!(body["success"], "False");
    set(&ballast, settings::TABLE, TABLE).await;
    answers(&address, "/healthcheck", 200).await;
}

fn base64_encode(text: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(text)
}
