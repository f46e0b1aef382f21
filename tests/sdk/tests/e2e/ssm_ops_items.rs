//! OpsCenter's OpsItems through aws-sdk-ssm: an issue opened, updated,
//! found with DescribeOpsItems' filters and pages, tagged, resolved and
//! deleted; the errors AWS gives; items surviving a kill -9.

use aws_sdk_ssm::types::{
    OpsItemDataType, OpsItemDataValue, OpsItemFilter, OpsItemFilterKey, OpsItemFilterOperator,
    OpsItemStatus, ResourceTypeForTagging, Tag,
};
use ballast_sdk_tests::{Ballast, error_code};

fn data(value: &str, kind: OpsItemDataType) -> OpsItemDataValue {
    OpsItemDataValue::builder()
        .value(value)
        .r#type(kind)
        .build()
}

fn filter(key: OpsItemFilterKey, operator: OpsItemFilterOperator, value: &str) -> OpsItemFilter {
    OpsItemFilter::builder()
        .key(key)
        .operator(operator)
        .values(value)
        .build()
        .expect("a whole filter")
}

async fn open(ssm: &aws_sdk_ssm::Client, title: &str) -> String {
    ssm.create_ops_item()
        .title(title)
        .source("EC2")
        .description("Raised by the disk monitor")
        .send()
        .await
        .expect("CreateOpsItem")
        .ops_item_id()
        .expect("an id")
        .to_owned()
}

async fn ids_where(ssm: &aws_sdk_ssm::Client, filters: Vec<OpsItemFilter>) -> Vec<String> {
    let out = ssm
        .describe_ops_items()
        .set_ops_item_filters(Some(filters))
        .send()
        .await
        .expect("DescribeOpsItems");
    out.ops_item_summaries()
        .iter()
        .filter_map(|s| s.ops_item_id().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn an_issue_is_opened_found_updated_resolved_and_deleted() {
    let ballast = Ballast::start();
    let ssm = ballast.ssm();
    let created = ssm
        .create_ops_item()
        .title("Disk Space Alert")
        .source("EC2")
        .category("Performance")
        .severity("2")
        .priority(2)
        .description("The data volume of i-0abc is 95% full")
        .operational_data(
            "volume",
            data("vol-0abc", OpsItemDataType::SearchableString),
        )
        .operational_data("runbook", data("rotate logs", OpsItemDataType::String))
        .tags(Tag::builder().key("team").value("storage").build().unwrap())
        .send()
        .await
        .expect("CreateOpsItem");
    let id = created.ops_item_id().expect("an id").to_owned();
    assert!(id.len() == 15 && id.starts_with("oi-"), "AWS's shape: {id}");
    assert_eq!(
        created.ops_item_arn(),
        Some(format!("arn:aws:ssm:us-east-1:000000000000:opsitem/{id}").as_str())
    );

    let item = ssm
        .get_ops_item()
        .ops_item_id(&id)
        .send()
        .await
        .expect("GetOpsItem")
        .ops_item
        .expect("the item");
    assert_eq!(item.status(), Some(&OpsItemStatus::Open));
    assert_eq!(item.ops_item_type(), Some("/aws/issue"));
    assert_eq!(item.created_by(), Some("arn:aws:iam::000000000000:root"));
    assert_eq!(item.version(), Some("1"));
    assert_eq!(item.operational_data().map(|d| d.len()), Some(2));

    // Found by id, by status and by its searchable data; its String data
    // is shown only by GetOpsItem.
    let other = open(&ssm, "CPU high").await;
    use OpsItemFilterKey as K;
    use OpsItemFilterOperator as Op;
    assert_eq!(
        ids_where(&ssm, vec![filter(K::OpsitemId, Op::Equal, &id)]).await,
        [id.as_str()]
    );
    assert_eq!(
        ids_where(
            &ssm,
            vec![filter(K::OperationalDataValue, Op::Contains, "vol-")]
        )
        .await,
        [id.as_str()]
    );
    assert!(
        ids_where(
            &ssm,
            vec![filter(K::OperationalDataKey, Op::Equal, "runbook")]
        )
        .await
        .is_empty()
    );
    let mut both = ids_where(&ssm, vec![filter(K::Status, Op::Equal, "Open")]).await;
    both.sort();
    let mut expected = [other.clone(), id.clone()];
    expected.sort();
    assert_eq!(both, expected);
    let summaries = ssm
        .describe_ops_items()
        .ops_item_filters(filter(K::Title, Op::Contains, "Disk"))
        .send()
        .await
        .expect("by title");
    let summary = &summaries.ops_item_summaries()[0];
    let shown: Vec<_> = summary.operational_data().unwrap().keys().collect();
    assert_eq!(shown, ["volume"]);

    // Pages of one, to the end.
    let pages: Vec<_> = ssm
        .describe_ops_items()
        .max_results(1)
        .into_paginator()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .expect("every page");
    let paged: usize = pages.iter().map(|p| p.ops_item_summaries().len()).sum();
    assert_eq!((pages.len(), paged), (2, 2));

    // Updated: data merged, a key deleted, then resolved.
    ssm.update_ops_item()
        .ops_item_id(&id)
        .description(format!("An update to {id}"))
        .operational_data(
            "cause",
            data("log rotation off", OpsItemDataType::SearchableString),
        )
        .operational_data_to_delete("runbook")
        .send()
        .await
        .expect("UpdateOpsItem");
    ssm.update_ops_item()
        .ops_item_id(&id)
        .status(OpsItemStatus::Resolved)
        .send()
        .await
        .expect("resolve");
    let item = ssm
        .get_ops_item()
        .ops_item_id(&id)
        .send()
        .await
        .unwrap()
        .ops_item
        .unwrap();
    assert_eq!(item.status(), Some(&OpsItemStatus::Resolved));
    assert_eq!(item.version(), Some("3"));
    assert_eq!(item.title(), Some("Disk Space Alert"));
    let mut keys: Vec<_> = item.operational_data().unwrap().keys().cloned().collect();
    keys.sort();
    assert_eq!(keys, ["cause", "volume"]);
    assert_eq!(
        ids_where(&ssm, vec![filter(K::Status, Op::Equal, "Open")]).await,
        [other.as_str()]
    );

    // Its tags, as AddTagsToResource and ListTagsForResource see them.
    ssm.add_tags_to_resource()
        .resource_type(ResourceTypeForTagging::OpsItem)
        .resource_id(&id)
        .tags(Tag::builder().key("sev").value("2").build().unwrap())
        .send()
        .await
        .expect("AddTagsToResource");
    let tags = ssm
        .list_tags_for_resource()
        .resource_type(ResourceTypeForTagging::OpsItem)
        .resource_id(&id)
        .send()
        .await
        .expect("ListTagsForResource");
    assert_eq!(tags.tag_list().len(), 2);

    // Deleted, and deleting again succeeds, as AWS documents.
    for _ in 0..2 {
        ssm.delete_ops_item()
            .ops_item_id(&id)
            .send()
            .await
            .expect("DeleteOpsItem");
    }
    let err = ssm
        .get_ops_item()
        .ops_item_id(&id)
        .send()
        .await
        .expect_err("deleted");
    assert_eq!(error_code(&err), "OpsItemNotFoundException");
}

#[tokio::test]
async fn bad_requests_get_aws_errors_and_change_nothing() {
    let ballast = Ballast::start();
    let ssm = ballast.ssm();
    let err = ssm
        .create_ops_item()
        .title("t")
        .source("aws-health")
        .description("d")
        .send()
        .await
        .expect_err("a reserved source");
    assert_eq!(error_code(&err), "OpsItemInvalidParameterException");
    let err = ssm
        .create_ops_item()
        .title("t")
        .source("app")
        .description("d")
        .operational_data("aws:cause", data("x", OpsItemDataType::String))
        .send()
        .await
        .expect_err("a reserved key");
    assert_eq!(error_code(&err), "OpsItemInvalidParameterException");
    let err = ssm
        .create_ops_item()
        .title("t")
        .source("app")
        .description("d")
        .priority(9)
        .send()
        .await
        .expect_err("priority out of range");
    assert_eq!(error_code(&err), "ValidationException");
    let none = ssm.describe_ops_items().send().await.unwrap();
    assert!(none.ops_item_summaries().is_empty(), "nothing was made");

    let err = ssm
        .get_ops_item()
        .ops_item_id("oi-0123456789ab")
        .send()
        .await
        .expect_err("no such item");
    assert_eq!(error_code(&err), "OpsItemNotFoundException");
    let err = ssm
        .get_ops_item()
        .ops_item_id("item-1")
        .send()
        .await
        .expect_err("not an id");
    assert_eq!(error_code(&err), "ValidationException");
    let err = ssm
        .update_ops_item()
        .ops_item_id("oi-0123456789ab")
        .title("x")
        .send()
        .await
        .expect_err("no such item");
    assert_eq!(error_code(&err), "OpsItemNotFoundException");
    let err = ssm
        .describe_ops_items()
        .ops_item_filters(filter(
            OpsItemFilterKey::Status,
            OpsItemFilterOperator::GreaterThan,
            "Open",
        ))
        .send()
        .await
        .expect_err("Status takes Equal only");
    assert_eq!(error_code(&err), "OpsCenterInvalidArgumentException");
}

#[tokio::test]
async fn ops_items_survive_a_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let mut first = Ballast::start_in(dir.path(), &[]);
    let id = open(&first.ssm(), "durable").await;
    first
        .ssm()
        .update_ops_item()
        .ops_item_id(&id)
        .status(OpsItemStatus::InProgress)
        .send()
        .await
        .expect("UpdateOpsItem");
    first.kill9();
    let second = Ballast::start_in(dir.path(), &[]);
    let item = second
        .ssm()
        .get_ops_item()
        .ops_item_id(&id)
        .send()
        .await
        .expect("kept")
        .ops_item
        .unwrap();
    assert_eq!(item.status(), Some(&OpsItemStatus::InProgress));
    assert_eq!(item.version(), Some("2"));
}
