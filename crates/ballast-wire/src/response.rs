//! Typed outputs and errors → response bytes in each protocol's envelope.

use http::StatusCode;
use serde::Serialize;

use crate::error::{ApiError, Fault};
use crate::service::{Protocol, Service};
use crate::xml;

/// An encoded response, ready for any HTTP stack.
#[derive(Debug, Clone)]
pub struct WireResponse {
    pub status: StatusCode,
    pub content_type: &'static str,
    /// The `x-amzn-ErrorType` header JSON clients read the error code from.
    pub error_type: Option<String>,
    /// Output members restJson1 carries in headers.
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
}

/// Encodes a successful output. `Some(output)` writes the query protocols'
/// `<OpResult>` wrapper (present even when the output has no members, as
/// botocore requires); `None` is for operations the model gives no output
/// shape, which get only `ResponseMetadata`.
pub fn encode_output<T: Serialize>(
    service: Service,
    operation: &str,
    request_id: &str,
    output: Option<&T>,
) -> Result<WireResponse, ApiError> {
    let protocol = service.protocol();
    let internal = |e: &dyn std::fmt::Display| {
        ApiError::internal_for_service(service, format!("could not encode the response: {e}"))
    };
    let body = match protocol {
        // restJson1 outputs go through `rest::encode_output`, which knows
        // the operation's bindings; without them, the plain JSON form.
        Protocol::AwsJson10 | Protocol::AwsJson11 | Protocol::RestJson1 => match output {
            Some(output) => serde_json::to_vec(output).map_err(|e| internal(&e))?,
            None => b"{}".to_vec(),
        },
        Protocol::AwsQuery => {
            let mut out = String::with_capacity(512);
            out.push('<');
            out.push_str(operation);
            out.push_str("Response xmlns=\"");
            out.push_str(service.xml_namespace());
            out.push_str("\">");
            if let Some(output) = output {
                out.push('<');
                out.push_str(operation);
                out.push_str("Result>");
                xml::write_children(&mut out, output, xml::QUERY_MEMBER)
                    .map_err(|e| internal(&e))?;
                out.push_str("</");
                out.push_str(operation);
                out.push_str("Result>");
            }
            out.push_str("<ResponseMetadata><RequestId>");
            xml::push_escaped(&mut out, request_id);
            out.push_str("</RequestId></ResponseMetadata></");
            out.push_str(operation);
            out.push_str("Response>");
            out.into_bytes()
        }
        Protocol::Ec2Query => {
            let mut out = String::with_capacity(512);
            out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<");
            out.push_str(operation);
            out.push_str("Response xmlns=\"");
            out.push_str(service.xml_namespace());
            out.push_str("\"><requestId>");
            xml::push_escaped(&mut out, request_id);
            out.push_str("</requestId>");
            if let Some(output) = output {
                xml::write_children(&mut out, output, xml::EC2_ITEM).map_err(|e| internal(&e))?;
            }
            out.push_str("</");
            out.push_str(operation);
            out.push_str("Response>");
            out.into_bytes()
        }
    };
    Ok(WireResponse {
        status: StatusCode::OK,
        content_type: protocol.content_type(),
        error_type: None,
        headers: Vec::new(),
        body,
    })
}

/// Encodes an error in the envelope of `protocol`; `service` supplies the
/// XML namespace or JSON type prefix when it is known.
pub fn encode_error(
    service: Option<Service>,
    protocol: Protocol,
    request_id: &str,
    error: &ApiError,
) -> WireResponse {
    let mut out = String::with_capacity(256);
    let body = match protocol {
        Protocol::AwsJson10 | Protocol::AwsJson11 => {
            let type_name = match service.and_then(Service::json_error_namespace) {
                Some(ns) => format!("{ns}#{}", error.code),
                None => error.code.to_string(),
            };
            let mut body = serde_json::Map::new();
            body.insert("__type".to_owned(), type_name.into());
            body.insert("message".to_owned(), error.message.clone().into());
            if let Some(extra) = &error.extra {
                body.extend(extra.iter().map(|(k, v)| (k.clone(), v.clone())));
            }
            serde_json::Value::Object(body).to_string().into_bytes()
        }
        // Lambda's error body: whose fault it was, the message, and any
        // members the error shape has besides (a throttle's `Reason`).
        Protocol::RestJson1 => {
            let mut body = serde_json::Map::new();
            let fault = match error.fault {
                Fault::Sender => "User",
                Fault::Receiver => "Service",
            };
            body.insert("Type".to_owned(), fault.into());
            body.insert("message".to_owned(), error.message.clone().into());
            if let Some(extra) = &error.extra {
                body.extend(extra.iter().map(|(k, v)| (k.clone(), v.clone())));
            }
            serde_json::Value::Object(body).to_string().into_bytes()
        }
        Protocol::AwsQuery => {
            out.push_str("<ErrorResponse xmlns=\"");
            out.push_str(service.map_or("", Service::xml_namespace));
            out.push_str("\"><Error><Type>");
            out.push_str(match error.fault {
                Fault::Sender => "Sender",
                Fault::Receiver => "Receiver",
            });
            out.push_str("</Type><Code>");
            xml::push_escaped(&mut out, &error.code);
            out.push_str("</Code><Message>");
            xml::push_escaped(&mut out, &error.message);
            out.push_str("</Message></Error><RequestId>");
            xml::push_escaped(&mut out, request_id);
            out.push_str("</RequestId></ErrorResponse>");
            out.into_bytes()
        }
        Protocol::Ec2Query => {
            out.push_str(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error><Code>",
            );
            xml::push_escaped(&mut out, &error.code);
            out.push_str("</Code><Message>");
            xml::push_escaped(&mut out, &error.message);
            out.push_str("</Message></Error></Errors><RequestID>");
            xml::push_escaped(&mut out, request_id);
            out.push_str("</RequestID></Response>");
            out.into_bytes()
        }
    };
    WireResponse {
        status: error.status,
        content_type: protocol.content_type(),
        error_type: protocol.is_json().then(|| error.code.to_string()),
        headers: Vec::new(),
        body,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct Empty {}

    #[test]
    fn query_result_wrapper_comes_first_even_when_empty() {
        let resp =
            encode_output(Service::Elbv2, "RegisterTargets", "rid", Some(&Empty {})).unwrap();
        let body = String::from_utf8(resp.body).unwrap();
        assert!(body.starts_with(
            "<RegisterTargetsResponse xmlns=\"http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/\"><RegisterTargetsResult></RegisterTargetsResult><ResponseMetadata>"
        ));
    }

    #[test]
    fn json_errors_carry_type_and_header() {
        let err = ApiError::sender("ParameterNotFound", "nope");
        let resp = encode_error(Some(Service::Ssm), Protocol::AwsJson11, "rid", &err);
        assert_eq!(resp.status, StatusCode::BAD_REQUEST);
        assert_eq!(resp.error_type.as_deref(), Some("ParameterNotFound"));
        let body: serde_json::Value = serde_json::from_slice(&resp.body).unwrap();
        assert_eq!(body["__type"], "ParameterNotFound");
    }

    #[test]
    fn rest_json_errors_carry_fault_message_and_extra_members() {
        let extra = serde_json::Map::from_iter([("Reason".to_owned(), "Limit".into())]);
        let err = ApiError::sender("TooManyRequestsException", "Rate Exceeded.")
            .with_status(StatusCode::TOO_MANY_REQUESTS)
            .with_extra(extra);
        let resp = encode_error(Some(Service::Lambda), Protocol::RestJson1, "rid", &err);
        assert_eq!(resp.status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(resp.error_type.as_deref(), Some("TooManyRequestsException"));
        let body: serde_json::Value = serde_json::from_slice(&resp.body).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"Type": "User", "message": "Rate Exceeded.", "Reason": "Limit"})
        );
    }

    #[test]
    fn dynamodb_errors_are_namespaced() {
        let err = ApiError::sender("ResourceNotFoundException", "x");
        let resp = encode_error(Some(Service::DynamoDb), Protocol::AwsJson10, "rid", &err);
        let body: serde_json::Value = serde_json::from_slice(&resp.body).unwrap();
        assert_eq!(
            body["__type"],
            "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException"
        );
    }
}
