//! AWS managed policies Ballast knows, by ARN (`arn:aws:iam::aws:policy/…`).
//!
//! Roles attach these by ARN as they would on AWS. The names and paths are
//! AWS's (some live under `service-role/`); the documents are Ballast's own
//! wording of what each policy grants, covering the services Ballast serves
//! (EC2, ELBv2, Auto Scaling, SSM, DynamoDB, IAM, STS) plus the messaging
//! actions the SSM agent uses. Each has one version, `v1`.

use sha2::{Digest, Sha256};

/// An AWS managed policy in the catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AwsManagedPolicy {
    pub name: &'static str,
    /// `/` or e.g. `/service-role/`.
    pub path: &'static str,
    pub description: &'static str,
    pub document: &'static str,
}

/// The only version of every catalogue policy.
pub const VERSION_ID: &str = "v1";

/// When the catalogue policies say they were created and updated (epoch
/// milliseconds): a fixed instant, so responses are stable across restarts.
pub const CREATED_MILLIS: i64 = 1_420_070_400_000; // 2015-01-01T00:00:00Z

impl AwsManagedPolicy {
    /// `arn:aws:iam::aws:policy/PATH/NAME`.
    pub fn arn(&self) -> String {
        format!("arn:aws:iam::aws:policy{}{}", self.path, self.name)
    }

    /// A stable `ANPA…` id derived from the name (21 characters).
    pub fn id(&self) -> String {
        const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        let digest = Sha256::digest(self.name.as_bytes());
        let mut id = String::from("ANPA");
        id.extend(
            digest
                .iter()
                .take(17)
                .map(|b| char::from(ALPHABET[usize::from(b % 32)])),
        );
        id
    }
}

/// Every catalogue policy.
pub fn all() -> &'static [AwsManagedPolicy] {
    CATALOGUE
}

/// The catalogue policy an ARN names, if any.
pub fn by_arn(arn: &str) -> Option<&'static AwsManagedPolicy> {
    let rest = arn.strip_prefix("arn:aws:iam::aws:policy")?;
    CATALOGUE
        .iter()
        .find(|p| rest.strip_prefix(p.path) == Some(p.name))
}

const CATALOGUE: &[AwsManagedPolicy] = &[
    AwsManagedPolicy {
        name: "AdministratorAccess",
        path: "/",
        description: "Full access to every action on every resource.",
        document: r#"{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Allow", "Action": "*", "Resource": "*"}
  ]
}"#,
    },
    AwsManagedPolicy {
        name: "AmazonDynamoDBFullAccess",
        path: "/",
        description: "Every DynamoDB action, and reading the alarms and roles around tables.",
        document: r#"{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Allow", "Action": ["dynamodb:*", "cloudwatch:Describe*", "cloudwatch:Get*", "cloudwatch:List*", "iam:GetRole", "iam:ListRoles"], "Resource": "*"}
  ]
}"#,
    },
    AwsManagedPolicy {
        name: "AmazonDynamoDBReadOnlyAccess",
        path: "/",
        description: "Reading DynamoDB tables and their descriptions.",
        document: r#"{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Allow", "Action": ["dynamodb:BatchGetItem", "dynamodb:ConditionCheckItem", "dynamodb:Describe*", "dynamodb:GetItem", "dynamodb:List*", "dynamodb:PartiQLSelect", "dynamodb:Query", "dynamodb:Scan"], "Resource": "*"}
  ]
}"#,
    },
    AwsManagedPolicy {
        name: "AmazonEC2FullAccess",
        path: "/",
        description: "Every EC2, Elastic Load Balancing and Auto Scaling action.",
        document: r#"{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Allow", "Action": ["ec2:*", "elasticloadbalancing:*", "autoscaling:*", "cloudwatch:*"], "Resource": "*"},
    {"Effect": "Allow", "Action": "iam:CreateServiceLinkedRole", "Resource": "*"}
  ]
}"#,
    },
    AwsManagedPolicy {
        name: "AmazonEC2ReadOnlyAccess",
        path: "/",
        description: "Describing EC2, Elastic Load Balancing and Auto Scaling resources.",
        document: r#"{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Allow", "Action": ["ec2:Describe*", "ec2:Get*", "elasticloadbalancing:Describe*", "autoscaling:Describe*", "cloudwatch:Describe*", "cloudwatch:Get*", "cloudwatch:List*"], "Resource": "*"}
  ]
}"#,
    },
    AwsManagedPolicy {
        name: "AmazonEC2RoleforSSM",
        path: "/service-role/",
        description: "The earlier instance role for the SSM agent; AmazonSSMManagedInstanceCore replaces it.",
        document: r#"{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Allow", "Action": ["ssm:Describe*", "ssm:Get*", "ssm:List*", "ssm:PutComplianceItems", "ssm:PutConfigurePackageResult", "ssm:PutInventory", "ssm:Update*InstanceAssociationStatus", "ssm:UpdateAssociationStatus", "ssm:UpdateInstanceInformation"], "Resource": "*"},
    {"Effect": "Allow", "Action": ["ssmmessages:*", "ec2messages:*"], "Resource": "*"},
    {"Effect": "Allow", "Action": ["ec2:DescribeInstanceStatus", "cloudwatch:PutMetricData", "logs:CreateLogGroup", "logs:CreateLogStream", "logs:DescribeLogGroups", "logs:DescribeLogStreams", "logs:PutLogEvents"], "Resource": "*"},
    {"Effect": "Allow", "Action": ["s3:GetBucketLocation", "s3:GetObject", "s3:ListBucket", "s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"], "Resource": "*"}
  ]
}"#,
    },
    AwsManagedPolicy {
        name: "AmazonSSMAutomationRole",
        path: "/service-role/",
        description: "What SSM Automation needs to run runbooks against instances.",
        document: r#"{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Allow", "Action": ["ec2:CreateImage", "ec2:CopyImage", "ec2:DeregisterImage", "ec2:Describe*", "ec2:CreateTags", "ec2:DeleteTags", "ec2:RunInstances", "ec2:StartInstances", "ec2:StopInstances", "ec2:TerminateInstances", "ec2:RebootInstances"], "Resource": "*"},
    {"Effect": "Allow", "Action": ["ssm:*"], "Resource": "*"},
    {"Effect": "Allow", "Action": ["elasticloadbalancing:Describe*", "elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets", "autoscaling:Describe*", "autoscaling:EnterStandby", "autoscaling:ExitStandby", "autoscaling:SuspendProcesses", "autoscaling:ResumeProcesses"], "Resource": "*"},
    {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*", "Condition": {"StringLikeIfExists": {"iam:PassedToService": "ssm.amazonaws.com"}}}
  ]
}"#,
    },
    AwsManagedPolicy {
        name: "AmazonSSMFullAccess",
        path: "/",
        description: "Every Systems Manager action, with the messaging and describe calls around it.",
        document: r#"{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Allow", "Action": ["ssm:*", "ssmmessages:*", "ec2messages:*", "ec2:DescribeInstanceAttribute", "ec2:DescribeInstanceStatus", "ec2:DescribeInstances", "cloudwatch:PutMetricData", "iam:ListRoles"], "Resource": "*"},
    {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*", "Condition": {"StringLike": {"iam:PassedToService": "ssm.amazonaws.com"}}}
  ]
}"#,
    },
    AwsManagedPolicy {
        name: "AmazonSSMMaintenanceWindowRole",
        path: "/service-role/",
        description: "What maintenance windows need to run tasks.",
        document: r#"{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Allow", "Action": ["ssm:CancelCommand", "ssm:GetCommandInvocation", "ssm:ListCommandInvocations", "ssm:ListCommands", "ssm:SendCommand", "ssm:GetAutomationExecution", "ssm:GetParameters", "ssm:StartAutomationExecution", "ssm:ListTagsForResource"], "Resource": "*"},
    {"Effect": "Allow", "Action": ["ec2:DescribeInstanceAttribute", "ec2:DescribeInstanceStatus", "ec2:DescribeInstances"], "Resource": "*"}
  ]
}"#,
    },
    AwsManagedPolicy {
        name: "AmazonSSMManagedInstanceCore",
        path: "/",
        description: "The core of an instance managed by Systems Manager: the agent's parameters, documents, associations, inventory and messaging.",
        document: r#"{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Allow", "Action": ["ssm:DescribeAssociation", "ssm:DescribeDocument", "ssm:GetDeployablePatchSnapshotForInstance", "ssm:GetDocument", "ssm:GetManifest", "ssm:GetParameter*", "ssm:ListAssociations", "ssm:ListInstanceAssociations", "ssm:PutComplianceItems", "ssm:PutConfigurePackageResult", "ssm:PutInventory", "ssm:UpdateAssociationStatus", "ssm:UpdateInstanceAssociationStatus", "ssm:UpdateInstanceInformation"], "Resource": "*"},
    {"Effect": "Allow", "Action": ["ssmmessages:*", "ec2messages:*"], "Resource": "*"}
  ]
}"#,
    },
    AwsManagedPolicy {
        name: "AmazonSSMReadOnlyAccess",
        path: "/",
        description: "Reading Systems Manager resources.",
        document: r#"{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Allow", "Action": ["ssm:Describe*", "ssm:Get*", "ssm:List*"], "Resource": "*"}
  ]
}"#,
    },
    AwsManagedPolicy {
        name: "AutoScalingFullAccess",
        path: "/",
        description: "Every Auto Scaling action, with what groups need from EC2 and Elastic Load Balancing.",
        document: r#"{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Allow", "Action": ["autoscaling:*", "ec2:Describe*", "ec2:Get*", "elasticloadbalancing:Describe*", "cloudwatch:*", "iam:CreateServiceLinkedRole"], "Resource": "*"},
    {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*", "Condition": {"StringLikeIfExists": {"iam:PassedToService": "ec2.amazonaws.com"}}}
  ]
}"#,
    },
    AwsManagedPolicy {
        name: "AutoScalingReadOnlyAccess",
        path: "/",
        description: "Describing Auto Scaling resources.",
        document: r#"{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Allow", "Action": "autoscaling:Describe*", "Resource": "*"}
  ]
}"#,
    },
    AwsManagedPolicy {
        name: "AWSCodeDeployRole",
        path: "/service-role/",
        description: "What CodeDeploy needs to deploy to instances in Auto Scaling groups and behind load balancers.",
        document: r#"{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Allow", "Action": ["autoscaling:*", "ec2:Describe*", "ec2:CreateTags", "ec2:RunInstances", "ec2:TerminateInstances", "elasticloadbalancing:*", "tag:GetResources", "sns:Publish", "cloudwatch:DescribeAlarms", "cloudwatch:PutMetricAlarm"], "Resource": "*"},
    {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"}
  ]
}"#,
    },
    AwsManagedPolicy {
        name: "CloudWatchAgentServerPolicy",
        path: "/",
        description: "What the CloudWatch agent on an instance needs to publish metrics and logs.",
        document: r#"{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Allow", "Action": ["cloudwatch:PutMetricData", "ec2:DescribeTags", "ec2:DescribeVolumes", "logs:CreateLogGroup", "logs:CreateLogStream", "logs:DescribeLogGroups", "logs:DescribeLogStreams", "logs:PutLogEvents", "logs:PutRetentionPolicy"], "Resource": "*"},
    {"Effect": "Allow", "Action": "ssm:GetParameter", "Resource": "arn:aws:ssm:*:*:parameter/AmazonCloudWatch-*"}
  ]
}"#,
    },
    AwsManagedPolicy {
        name: "ElasticLoadBalancingFullAccess",
        path: "/",
        description: "Every Elastic Load Balancing action, with the EC2 describe calls it needs.",
        document: r#"{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Allow", "Action": ["elasticloadbalancing:*", "ec2:Describe*", "ec2:Get*", "cloudwatch:Describe*", "cloudwatch:Get*", "cloudwatch:List*", "iam:CreateServiceLinkedRole"], "Resource": "*"}
  ]
}"#,
    },
    AwsManagedPolicy {
        name: "ElasticLoadBalancingReadOnly",
        path: "/",
        description: "Describing Elastic Load Balancing resources.",
        document: r#"{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Allow", "Action": "elasticloadbalancing:Describe*", "Resource": "*"}
  ]
}"#,
    },
    AwsManagedPolicy {
        name: "IAMFullAccess",
        path: "/",
        description: "Every IAM action.",
        document: r#"{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Allow", "Action": ["iam:*", "organizations:DescribeAccount", "organizations:DescribeOrganization", "organizations:ListRoots"], "Resource": "*"}
  ]
}"#,
    },
    AwsManagedPolicy {
        name: "IAMReadOnlyAccess",
        path: "/",
        description: "Reading IAM entities and policies.",
        document: r#"{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Allow", "Action": ["iam:Generate*", "iam:Get*", "iam:List*", "iam:Simulate*"], "Resource": "*"}
  ]
}"#,
    },
    AwsManagedPolicy {
        name: "PowerUserAccess",
        path: "/",
        description: "Everything except managing IAM and the account's organization.",
        document: r#"{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Allow", "NotAction": ["iam:*", "organizations:*", "account:*"], "Resource": "*"},
    {"Effect": "Allow", "Action": ["iam:CreateServiceLinkedRole", "iam:DeleteServiceLinkedRole", "iam:ListRoles", "organizations:DescribeOrganization", "account:ListRegions", "account:GetAccountInformation"], "Resource": "*"}
  ]
}"#,
    },
    AwsManagedPolicy {
        name: "ReadOnlyAccess",
        path: "/",
        description: "Reading every service Ballast serves: Describe, Get and List actions and their kin.",
        document: r#"{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Allow", "Action": [
      "autoscaling:Describe*",
      "cloudwatch:Describe*", "cloudwatch:Get*", "cloudwatch:List*",
      "dynamodb:BatchGetItem", "dynamodb:ConditionCheckItem", "dynamodb:Describe*", "dynamodb:GetItem", "dynamodb:List*", "dynamodb:Query", "dynamodb:Scan",
      "ec2:Describe*", "ec2:Get*",
      "elasticloadbalancing:Describe*",
      "iam:Generate*", "iam:Get*", "iam:List*", "iam:Simulate*",
      "logs:Describe*", "logs:Get*", "logs:FilterLogEvents",
      "s3:Get*", "s3:List*",
      "ssm:Describe*", "ssm:Get*", "ssm:List*",
      "sts:GetCallerIdentity"
    ], "Resource": "*"}
  ]
}"#,
    },
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::iam::policy::{Context, Decision, DocumentKind, PolicyDocument, Request, evaluate};

    const REQUIRED: [&str; 13] = [
        "AdministratorAccess",
        "ReadOnlyAccess",
        "AmazonSSMManagedInstanceCore",
        "AmazonSSMReadOnlyAccess",
        "AmazonSSMFullAccess",
        "AmazonDynamoDBFullAccess",
        "AmazonDynamoDBReadOnlyAccess",
        "AmazonEC2ReadOnlyAccess",
        "AmazonEC2FullAccess",
        "ElasticLoadBalancingFullAccess",
        "ElasticLoadBalancingReadOnly",
        "AutoScalingFullAccess",
        "AutoScalingReadOnlyAccess",
    ];

    fn decide(name: &str, action: &str) -> Decision {
        let policy = all().iter().find(|p| p.name == name).unwrap();
        let doc = PolicyDocument::parse(policy.document, DocumentKind::Identity).unwrap();
        evaluate(
            &[doc],
            &Request {
                action,
                resource: "*",
                context: Context::default(),
            },
        )
    }

    #[test]
    fn every_document_is_a_valid_identity_policy() {
        for policy in all() {
            PolicyDocument::parse(policy.document, DocumentKind::Identity)
                .unwrap_or_else(|e| panic!("{}: {e}", policy.name));
            let id = policy.id();
            assert_eq!(id.len(), 21);
            assert!(id.starts_with("ANPA"));
            assert_eq!(by_arn(&policy.arn()), Some(policy));
        }
    }

    #[test]
    fn the_required_policies_are_present() {
        for name in REQUIRED {
            assert!(
                by_arn(&format!("arn:aws:iam::aws:policy/{name}")).is_some(),
                "{name}"
            );
        }
        assert!(by_arn("arn:aws:iam::aws:policy/service-role/AmazonEC2RoleforSSM").is_some());
        assert!(by_arn("arn:aws:iam::aws:policy/AmazonEC2RoleforSSM").is_none());
        assert!(by_arn("arn:aws:iam::aws:policy/Nope").is_none());
        assert!(by_arn("arn:aws:iam::000000000000:policy/AdministratorAccess").is_none());
        let mut ids: Vec<_> = all().iter().map(AwsManagedPolicy::id).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), all().len(), "ids collide");
    }

    #[test]
    fn documents_grant_what_their_names_say() {
        use Decision::{Allow, ImplicitDeny};
        let cases = [
            ("AdministratorAccess", "iam:CreateRole", Allow),
            ("ReadOnlyAccess", "ec2:DescribeInstances", Allow),
            ("ReadOnlyAccess", "ssm:GetParameter", Allow),
            ("ReadOnlyAccess", "ssm:PutParameter", ImplicitDeny),
            ("ReadOnlyAccess", "ec2:RunInstances", ImplicitDeny),
            ("AmazonSSMManagedInstanceCore", "ssm:GetParameter", Allow),
            (
                "AmazonSSMManagedInstanceCore",
                "ssm:GetParametersByPath",
                Allow,
            ),
            (
                "AmazonSSMManagedInstanceCore",
                "ssmmessages:OpenDataChannel",
                Allow,
            ),
            (
                "AmazonSSMManagedInstanceCore",
                "ssm:PutParameter",
                ImplicitDeny,
            ),
            (
                "AmazonSSMManagedInstanceCore",
                "ec2:RunInstances",
                ImplicitDeny,
            ),
            ("AmazonSSMReadOnlyAccess", "ssm:DescribeParameters", Allow),
            (
                "AmazonSSMReadOnlyAccess",
                "ssm:DeleteParameter",
                ImplicitDeny,
            ),
            ("AmazonSSMFullAccess", "ssm:DeleteParameter", Allow),
            ("AmazonDynamoDBFullAccess", "dynamodb:PutItem", Allow),
            ("AmazonDynamoDBReadOnlyAccess", "dynamodb:Query", Allow),
            (
                "AmazonDynamoDBReadOnlyAccess",
                "dynamodb:PutItem",
                ImplicitDeny,
            ),
            ("AmazonEC2ReadOnlyAccess", "ec2:DescribeImages", Allow),
            (
                "AmazonEC2ReadOnlyAccess",
                "ec2:TerminateInstances",
                ImplicitDeny,
            ),
            ("AmazonEC2FullAccess", "ec2:TerminateInstances", Allow),
            (
                "ElasticLoadBalancingFullAccess",
                "elasticloadbalancing:RegisterTargets",
                Allow,
            ),
            (
                "ElasticLoadBalancingReadOnly",
                "elasticloadbalancing:DescribeTargetHealth",
                Allow,
            ),
            (
                "ElasticLoadBalancingReadOnly",
                "elasticloadbalancing:RegisterTargets",
                ImplicitDeny,
            ),
            (
                "AutoScalingFullAccess",
                "autoscaling:SetDesiredCapacity",
                Allow,
            ),
            (
                "AutoScalingReadOnlyAccess",
                "autoscaling:DescribeAutoScalingGroups",
                Allow,
            ),
            (
                "AutoScalingReadOnlyAccess",
                "autoscaling:SetDesiredCapacity",
                ImplicitDeny,
            ),
            ("PowerUserAccess", "ec2:RunInstances", Allow),
            ("PowerUserAccess", "iam:CreateRole", ImplicitDeny),
        ];
        for (name, action, expected) in cases {
            assert_eq!(decide(name, action), expected, "{name} {action}");
        }
    }
}
