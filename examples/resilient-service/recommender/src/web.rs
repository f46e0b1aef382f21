//! The HTTP side: `GET /` and `GET /healthcheck`, as seed 001 specifies
//! them, on any [`Backend`].

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};

use crate::backend::{Backend, Item, Whereabouts};
use crate::settings::{FailureResponse, HealthCheck};

/// The service's routes over `backend`.
pub fn router<B: Backend>(backend: Arc<B>) -> Router {
    Router::new()
        .route("/", get(recommendation::<B>))
        .route("/healthcheck", get(healthcheck::<B>))
        .with_state(backend)
}

/// What the service suggests when it cannot read the table and its
/// failure response is `static`.
pub fn static_recommendation() -> Item {
    let item = json!({
        "MediaType": {"S": "Book"},
        "ItemId": {"N": "0"},
        "Title": {"S": "404 Not Found: A Coloring Book"},
        "Creator": {"S": "The Oatmeal"},
    });
    match item {
        Value::Object(map) => map,
        _ => Item::new(),
    }
}

fn with_metadata(mut item: Item, whereabouts: &Whereabouts) -> Value {
    item.insert(
        "Metadata".to_owned(),
        json!({
            "InstanceId": whereabouts.instance_id,
            "AvailabilityZone": whereabouts.availability_zone,
        }),
    );
    Value::Object(item)
}

fn json(status: StatusCode, body: Value) -> Response {
    let headers = [(axum::http::header::CONTENT_TYPE, "application/json")];
    (status, headers, body.to_string()).into_response()
}

async fn recommendation<B: Backend>(State(backend): State<Arc<B>>) -> Response {
    let settings = backend.settings().await;
    let whereabouts = backend.whereabouts().await;
    match backend.recommend(settings.table.as_deref()).await {
        Ok(item) => json(StatusCode::OK, with_metadata(item, &whereabouts)),
        Err(why) => {
            tracing::warn!(%why, "no recommendation");
            match settings.failure_response {
                FailureResponse::Static => json(
                    StatusCode::OK,
                    with_metadata(static_recommendation(), &whereabouts),
                ),
                FailureResponse::None => {
                    json(StatusCode::BAD_GATEWAY, json!({ "error": why.to_string() }))
                }
            }
        }
    }
}

async fn healthcheck<B: Backend>(State(backend): State<Arc<B>>) -> Response {
    let settings = backend.settings().await;
    let healthy = match settings.health_check {
        HealthCheck::Shallow => true,
        HealthCheck::Deep => backend.table_reachable(settings.table.as_deref()).await,
    };
    if healthy {
        json(StatusCode::OK, json!({ "success": "True" }))
    } else {
        json(
            StatusCode::SERVICE_UNAVAILABLE,
            json!({ "success": "False" }),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::Unavailable;
    use crate::settings::Settings;

    /// A backend whose table is readable or not.
    struct Fake {
        settings: Settings,
        readable: bool,
    }

    impl Backend for Fake {
        async fn settings(&self) -> Settings {
            self.settings.clone()
        }
        async fn recommend(&self, table: Option<&str>) -> Result<Item, Unavailable> {
            match (table, self.readable) {
                (Some(_), true) => Ok(match json!({"Title": {"S": "Emma"}}) {
                    Value::Object(map) => map,
                    _ => Item::new(),
                }),
                (Some(table), false) => Err(Unavailable::Read {
                    table: table.to_owned(),
                    message: "ResourceNotFoundException".to_owned(),
                }),
                (None, _) => Err(Unavailable::NoTable),
            }
        }
        async fn table_reachable(&self, table: Option<&str>) -> bool {
            table.is_some() && self.readable
        }
        async fn whereabouts(&self) -> Whereabouts {
            Whereabouts {
                instance_id: "i-0123456789abcdef0".to_owned(),
                availability_zone: "us-east-1b".to_owned(),
            }
        }
    }

    /// Serves `fake` on a loopback port and GETs `path`.
    async fn get_from(fake: Fake, path: &str) -> (u16, Value) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            axum::serve(listener, router(Arc::new(fake))).await.unwrap();
        });
        let response = reqwest::get(format!("http://{address}{path}"))
            .await
            .unwrap();
        let status = response.status().as_u16();
        let body = serde_json::from_str(&response.text().await.unwrap()).unwrap();
        server.abort();
        (status, body)
    }

    fn fake(failure: FailureResponse, health: HealthCheck, readable: bool) -> Fake {
        Fake {
            settings: Settings {
                table: Some("recommendations".to_owned()),
                failure_response: failure,
                health_check: health,
            },
            readable,
        }
    }

    #[tokio::test]
    async fn a_recommendation_says_which_instance_answered() {
        let (status, body) =
            get_from(fake(FailureResponse::None, HealthCheck::Shallow, true), "/").await;
        assert_eq!(status, 200);
        assert_eq!(body["Title"]["S"], "Emma");
        assert_eq!(body["Metadata"]["InstanceId"], "i-0123456789abcdef0");
        assert_eq!(body["Metadata"]["AvailabilityZone"], "us-east-1b");
    }

    #[tokio::test]
    async fn a_failure_is_502_or_the_static_suggestion() {
        let (status, body) = get_from(
            fake(FailureResponse::None, HealthCheck::Shallow, false),
            "/",
        )
        .await;
        assert_eq!(status, 502);
        assert!(body["error"].as_str().unwrap().contains("recommendations"));
        let (status, body) = get_from(
            fake(FailureResponse::Static, HealthCheck::Shallow, false),
            "/",
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(body["Title"]["S"], "404 Not Found: A Coloring Book");
        assert_eq!(body["Metadata"]["InstanceId"], "i-0123456789abcdef0");
    }

    #[tokio::test]
    async fn shallow_checks_pass_and_deep_ones_read_the_table() {
        let broken = |health| fake(FailureResponse::None, health, false);
        assert_eq!(
            get_from(broken(HealthCheck::Shallow), "/healthcheck")
                .await
                .0,
            200
        );
        let (status, body) = get_from(broken(HealthCheck::Deep), "/healthcheck").await;
        assert_eq!((status, body["success"].as_str()), (503, Some("False")));
        let working = fake(FailureResponse::None, HealthCheck::Deep, true);
        let (status, body) = get_from(working, "/healthcheck").await;
        assert_eq!((status, body["success"].as_str()), (200, Some("True")));
    }
}
