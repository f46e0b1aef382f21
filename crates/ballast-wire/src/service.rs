//! The AWS services Ballast speaks and the facts that identify them on the wire.

use std::fmt;

/// The wire protocol a service uses, as named in its Smithy/botocore model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// Form-encoded request, XML response with an `<Op>Result` wrapper.
    AwsQuery,
    /// EC2's variant of awsQuery: no `member` list segments, no result wrapper.
    Ec2Query,
    /// `application/x-amz-json-1.0` with `X-Amz-Target` (DynamoDB).
    AwsJson10,
    /// `application/x-amz-json-1.1` with `X-Amz-Target` (SSM).
    AwsJson11,
    /// restJson1: the operation from the method and path, members also in
    /// the path, query and headers (Lambda; see [`crate::rest`]).
    RestJson1,
}

impl Protocol {
    /// Whether requests and responses are JSON documents.
    pub fn is_json(self) -> bool {
        matches!(
            self,
            Protocol::AwsJson10 | Protocol::AwsJson11 | Protocol::RestJson1
        )
    }

    /// The Content-Type of responses.
    pub fn content_type(self) -> &'static str {
        match self {
            Protocol::AwsQuery | Protocol::Ec2Query => "text/xml",
            Protocol::AwsJson10 => "application/x-amz-json-1.0",
            Protocol::AwsJson11 => "application/x-amz-json-1.1",
            Protocol::RestJson1 => "application/json",
        }
    }
}

/// An AWS service Ballast answers on its single endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Service {
    Elbv2,
    AutoScaling,
    Iam,
    Sts,
    Ec2,
    Ssm,
    DynamoDb,
    /// EventBridge (its signing name and model are still `events`).
    Events,
    Lambda,
    /// The message delivery service Run Command's agents poll (no public
    /// model; see `ballast-api/src/ec2messages`).
    Ec2Messages,
}

impl Service {
    /// Every service, in a stable order.
    pub const ALL: [Service; 10] = [
        Service::Elbv2,
        Service::AutoScaling,
        Service::Iam,
        Service::Sts,
        Service::Ec2,
        Service::Ssm,
        Service::DynamoDb,
        Service::Events,
        Service::Lambda,
        Service::Ec2Messages,
    ];

    pub fn protocol(self) -> Protocol {
        match self {
            Service::Elbv2 | Service::AutoScaling | Service::Iam | Service::Sts => {
                Protocol::AwsQuery
            }
            Service::Ec2 => Protocol::Ec2Query,
            Service::Ssm | Service::Events | Service::Ec2Messages => Protocol::AwsJson11,
            Service::DynamoDb => Protocol::AwsJson10,
            Service::Lambda => Protocol::RestJson1,
        }
    }

    /// The SigV4 signing name (the credential scope's service).
    pub fn signing_name(self) -> &'static str {
        match self {
            Service::Elbv2 => "elasticloadbalancing",
            Service::AutoScaling => "autoscaling",
            Service::Iam => "iam",
            Service::Sts => "sts",
            Service::Ec2 => "ec2",
            Service::Ssm => "ssm",
            Service::DynamoDb => "dynamodb",
            Service::Events => "events",
            Service::Lambda => "lambda",
            Service::Ec2Messages => "ec2messages",
        }
    }

    /// The model's API version: the `Version` form field of query protocols.
    pub fn api_version(self) -> &'static str {
        match self {
            Service::Elbv2 => "2015-12-01",
            Service::AutoScaling => "2011-01-01",
            Service::Iam => "2010-05-08",
            Service::Sts => "2011-06-15",
            Service::Ec2 => "2016-11-15",
            Service::Ssm => "2014-11-06",
            Service::DynamoDb => "2012-08-10",
            Service::Events => "2015-10-07",
            Service::Lambda => "2015-03-31",
            Service::Ec2Messages => "2016-11-14",
        }
    }

    /// The XML namespace of query-protocol responses.
    pub fn xml_namespace(self) -> &'static str {
        match self {
            Service::Elbv2 => "http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/",
            Service::AutoScaling => "http://autoscaling.amazonaws.com/doc/2011-01-01/",
            Service::Iam => "https://iam.amazonaws.com/doc/2010-05-08/",
            Service::Sts => "https://sts.amazonaws.com/doc/2011-06-15/",
            Service::Ec2 => "http://ec2.amazonaws.com/doc/2016-11-15/",
            Service::Ssm
            | Service::DynamoDb
            | Service::Events
            | Service::Lambda
            | Service::Ec2Messages => "",
        }
    }

    /// The `X-Amz-Target` prefix of JSON-protocol services.
    pub fn json_target_prefix(self) -> Option<&'static str> {
        match self {
            Service::Ssm => Some("AmazonSSM"),
            Service::DynamoDb => Some("DynamoDB_20120810"),
            Service::Events => Some("AWSEvents"),
            Service::Ec2Messages => Some("EC2WindowsMessageDeliveryService"),
            _ => None,
        }
    }

    /// The error code this service uses for a request that fails validation.
    pub fn validation_error_code(self) -> &'static str {
        match self.protocol() {
            Protocol::AwsQuery => "ValidationError",
            Protocol::Ec2Query => "InvalidParameterValue",
            Protocol::AwsJson10 | Protocol::AwsJson11 | Protocol::RestJson1 => {
                "ValidationException"
            }
        }
    }

    /// The code this service answers an internal failure with: EC2 says
    /// `InternalError`, IAM `ServiceFailure`, EventBridge
    /// `InternalException`, the other JSON services `InternalServerError`,
    /// the other query services `InternalFailure`.
    pub fn internal_error_code(self) -> &'static str {
        match self {
            Service::Ec2 => "InternalError",
            Service::Iam => "ServiceFailure",
            Service::Ssm | Service::DynamoDb | Service::Ec2Messages => "InternalServerError",
            Service::Events => "InternalException",
            Service::Lambda => "ServiceException",
            Service::Elbv2 | Service::AutoScaling | Service::Sts => "InternalFailure",
        }
    }

    /// The namespace DynamoDB-style servers put before error codes in `__type`.
    pub(crate) fn json_error_namespace(self) -> Option<&'static str> {
        match self {
            Service::DynamoDb => Some("com.amazonaws.dynamodb.v20120810"),
            _ => None,
        }
    }

    /// The service a query request's `Version` field names.
    pub fn from_query_version(version: &str) -> Option<Service> {
        Service::ALL
            .into_iter()
            .find(|s| !s.protocol().is_json() && s.api_version() == version)
    }

    /// The service a JSON request's `X-Amz-Target` prefix names.
    pub fn from_json_target_prefix(prefix: &str) -> Option<Service> {
        Service::ALL
            .into_iter()
            .find(|s| s.json_target_prefix() == Some(prefix))
    }

    /// The service a SigV4 credential scope names.
    pub fn from_signing_name(name: &str) -> Option<Service> {
        Service::ALL.into_iter().find(|s| s.signing_name() == name)
    }
}

impl fmt::Display for Service {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.signing_name())
    }
}
