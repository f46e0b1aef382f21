//! Where the service's answers come from: the parameters, the table and
//! the instance's own metadata. [`Backend`] is what the web side needs;
//! [`Aws`] gets it from SSM, DynamoDB and the metadata service, as any
//! program on an EC2 instance does (credentials from the instance role,
//! endpoints by their usual names or `AWS_ENDPOINT_URL`).

use std::future::Future;

use aws_sdk_dynamodb::types::AttributeValue;
use rand::seq::IndexedRandom;
use serde_json::{Map, Value, json};
use tokio::sync::OnceCell;

use crate::settings::{self, Settings};

/// An item as DynamoDB's JSON writes it (`{"Title": {"S": "…"}}`), which
/// is how the scenario shows recommendations.
pub type Item = Map<String, Value>;

/// The kinds of recommendation the table holds, one of which each
/// request picks.
pub const MEDIA_TYPES: [&str; 3] = ["Book", "Movie", "Song"];

/// Which instance answered, from the metadata service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Whereabouts {
    pub instance_id: String,
    pub availability_zone: String,
}

/// Why a recommendation could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unavailable {
    #[error("the table parameter is not set")]
    NoTable,
    #[error("the table {table} holds no {media_type}")]
    Empty { table: String, media_type: String },
    #[error("reading {table}: {message}")]
    Read { table: String, message: String },
}

/// What the web side asks of the world.
pub trait Backend: Send + Sync + 'static {
    /// The parameters as they are now (defaults when they cannot be read).
    fn settings(&self) -> impl Future<Output = Settings> + Send;
    /// One recommendation from `table`.
    fn recommend(
        &self,
        table: Option<&str>,
    ) -> impl Future<Output = Result<Item, Unavailable>> + Send;
    /// Whether `table` can be read (a deep health check).
    fn table_reachable(&self, table: Option<&str>) -> impl Future<Output = bool> + Send;
    /// This instance's id and zone.
    fn whereabouts(&self) -> impl Future<Output = Whereabouts> + Send;
}

/// The real backend.
#[derive(Debug)]
pub struct Aws {
    ssm: aws_sdk_ssm::Client,
    dynamodb: aws_sdk_dynamodb::Client,
    imds: aws_config::imds::Client,
    whereabouts: OnceCell<Whereabouts>,
}

impl Aws {
    /// Clients configured as the SDK's default chain finds them: region and
    /// endpoint from the environment, credentials from the instance role.
    pub async fn from_environment() -> Aws {
        use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
        let https = aws_smithy_http_client::Builder::new()
            .tls_provider(Provider::Rustls(CryptoMode::Ring))
            .build_https();
        let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .http_client(https.clone())
            .load()
            .await;
        // The metadata client takes the environment's settings
        // (`AWS_EC2_METADATA_SERVICE_ENDPOINT`) and the same HTTP client.
        let provider =
            aws_config::provider_config::ProviderConfig::default().with_http_client(https);
        Aws {
            ssm: aws_sdk_ssm::Client::new(&config),
            dynamodb: aws_sdk_dynamodb::Client::new(&config),
            imds: aws_config::imds::Client::builder()
                .configure(&provider)
                .build(),
            whereabouts: OnceCell::new(),
        }
    }

    async fn metadata(&self, path: &str) -> String {
        match self.imds.get(path).await {
            Ok(value) => value.as_ref().to_owned(),
            Err(error) => {
                tracing::warn!(%error, path, "the metadata service did not answer");
                "unknown".to_owned()
            }
        }
    }
}

impl Backend for Aws {
    async fn settings(&self) -> Settings {
        let read = self
            .ssm
            .get_parameters()
            .set_names(Some(settings::ALL.map(str::to_owned).to_vec()))
            .send()
            .await;
        match read {
            Ok(out) => Settings::from_values(|name| {
                out.parameters()
                    .iter()
                    .find(|p| p.name() == Some(name))
                    .and_then(|p| p.value())
            }),
            Err(error) => {
                tracing::warn!(error = %aws_sdk_ssm::error::DisplayErrorContext(&error), "reading the parameters");
                Settings::default()
            }
        }
    }

    async fn recommend(&self, table: Option<&str>) -> Result<Item, Unavailable> {
        let table = table.ok_or(Unavailable::NoTable)?;
        let media_type = MEDIA_TYPES
            .choose(&mut rand::rng())
            .copied()
            .unwrap_or("Book");
        let out = self
            .dynamodb
            .query()
            .table_name(table)
            .key_condition_expression("MediaType = :media")
            .expression_attribute_values(":media", AttributeValue::S(media_type.to_owned()))
            .send()
            .await
            .map_err(|error| Unavailable::Read {
                table: table.to_owned(),
                message: aws_sdk_dynamodb::error::DisplayErrorContext(&error).to_string(),
            })?;
        out.items()
            .choose(&mut rand::rng())
            .map(item_json)
            .ok_or_else(|| Unavailable::Empty {
                table: table.to_owned(),
                media_type: media_type.to_owned(),
            })
    }

    async fn table_reachable(&self, table: Option<&str>) -> bool {
        let Some(table) = table else {
            return false;
        };
        self.dynamodb
            .describe_table()
            .table_name(table)
            .send()
            .await
            .is_ok()
    }

    async fn whereabouts(&self) -> Whereabouts {
        self.whereabouts
            .get_or_init(|| async {
                Whereabouts {
                    instance_id: self.metadata("/latest/meta-data/instance-id").await,
                    availability_zone: self
                        .metadata("/latest/meta-data/placement/availability-zone")
                        .await,
                }
            })
            .await
            .clone()
    }
}

/// An item in DynamoDB's JSON.
pub fn item_json(item: &std::collections::HashMap<String, AttributeValue>) -> Item {
    item.iter()
        .map(|(name, value)| (name.clone(), attribute_json(value)))
        .collect()
}

fn attribute_json(value: &AttributeValue) -> Value {
    match value {
        AttributeValue::S(s) => json!({ "S": s }),
        AttributeValue::N(n) => json!({ "N": n }),
        AttributeValue::Bool(b) => json!({ "BOOL": b }),
        AttributeValue::Null(_) => json!({ "NULL": true }),
        AttributeValue::Ss(list) => json!({ "SS": list }),
        AttributeValue::Ns(list) => json!({ "NS": list }),
        AttributeValue::L(list) => {
            json!({ "L": list.iter().map(attribute_json).collect::<Vec<_>>() })
        }
        AttributeValue::M(map) => {
            json!({ "M": map.iter().map(|(k, v)| (k.clone(), attribute_json(v))).collect::<Map<_, _>>() })
        }
        _ => json!({ "S": "" }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_are_written_as_dynamodb_json() {
        let item = std::collections::HashMap::from([
            ("Title".to_owned(), AttributeValue::S("Emma".to_owned())),
            ("ItemId".to_owned(), AttributeValue::N("4".to_owned())),
            (
                "Tags".to_owned(),
                AttributeValue::L(vec![AttributeValue::Bool(true)]),
            ),
        ]);
        assert_eq!(
            Value::Object(item_json(&item)),
            json!({"Title": {"S": "Emma"}, "ItemId": {"N": "4"}, "Tags": {"L": [{"BOOL": true}]}})
        );
    }
}
