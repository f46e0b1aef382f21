//! Resource policies: who may invoke a function, a version or an alias
//! (AddPermission, RemovePermission, GetPolicy), and the check EventBridge
//! passes before it invokes one.

use serde::{Deserialize, Serialize};

use super::Error;

/// The statements of one resource's policy, in the order they were added.
/// Each of `$LATEST`, a version and an alias has its own.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ResourcePolicy(pub Vec<Statement>);

impl ResourcePolicy {
    /// Adds a statement (AddPermission); its id must be new.
    pub fn add(&mut self, statement: Statement) -> Result<(), Error> {
        if self.0.iter().any(|s| s.sid == statement.sid) {
            return Err(Error::Conflict(format!(
                "The statement id ({}) provided already exists. Please provide a new statement id, or remove the existing statement.",
                statement.sid
            )));
        }
        self.0.push(statement);
        Ok(())
    }

    /// Removes a statement (RemovePermission).
    pub fn remove(&mut self, sid: &str) -> Result<(), Error> {
        let before = self.0.len();
        self.0.retain(|s| s.sid != sid);
        if self.0.len() == before {
            return Err(Error::NotFound(format!(
                "Statement {sid} is not found in resource policy."
            )));
        }
        Ok(())
    }

    /// The policy as GetPolicy returns it (a JSON document), for the
    /// resource at `arn` (qualified for a version or an alias).
    pub fn document(&self, arn: &str) -> Result<String, Error> {
        if self.0.is_empty() {
            return Err(Error::NotFound(
                "The resource you requested does not exist.".to_owned(),
            ));
        }
        let statements: Vec<serde_json::Value> = self.0.iter().map(|s| s.document(arn)).collect();
        Ok(serde_json::json!({
            "Version": "2012-10-17",
            "Id": "default",
            "Statement": statements,
        })
        .to_string())
    }

    /// Whether the policy lets `service` (a service principal such as
    /// `events.amazonaws.com`) invoke the resource on behalf of
    /// `source_arn` in `source_account`: a statement allowing
    /// `lambda:InvokeFunction` to that principal whose `SourceArn`
    /// (`ArnLike`) and `SourceAccount` conditions, where given, hold.
    pub fn allows_service(&self, service: &str, source_arn: &str, source_account: &str) -> bool {
        self.0.iter().any(|statement| {
            let action = statement.action.as_str();
            let invokes = matches!(action, "lambda:InvokeFunction" | "lambda:*" | "*");
            invokes
                && statement.principal == service
                && statement
                    .source_arn
                    .as_deref()
                    .is_none_or(|pattern| crate::iam::policy::arn_like(pattern, source_arn))
                && statement
                    .source_account
                    .as_deref()
                    .is_none_or(|account| account == source_account)
        })
    }
}

/// One statement of a resource policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Statement {
    pub sid: String,
    /// `lambda:InvokeFunction`, …
    pub action: String,
    /// A service (`events.amazonaws.com`), an account or an ARN.
    pub principal: String,
    pub source_arn: Option<String>,
    pub source_account: Option<String>,
}

impl Statement {
    /// The statement as a policy document writes it.
    pub fn document(&self, resource_arn: &str) -> serde_json::Value {
        let principal = if self.principal.ends_with(".amazonaws.com") {
            serde_json::json!({"Service": self.principal})
        } else if self.principal.chars().all(|c| c.is_ascii_digit()) {
            serde_json::json!({"AWS": format!("arn:aws:iam::{}:root", self.principal)})
        } else {
            serde_json::json!({"AWS": self.principal})
        };
        let mut statement = serde_json::json!({
            "Sid": self.sid,
            "Effect": "Allow",
            "Principal": principal,
            "Action": self.action,
            "Resource": resource_arn,
        });
        let mut condition = serde_json::Map::new();
        if let Some(arn) = &self.source_arn {
            condition.insert(
                "ArnLike".to_owned(),
                serde_json::json!({"AWS:SourceArn": arn}),
            );
        }
        if let Some(account) = &self.source_account {
            condition.insert(
                "StringEquals".to_owned(),
                serde_json::json!({"AWS:SourceAccount": account}),
            );
        }
        if !condition.is_empty() {
            statement["Condition"] = serde_json::Value::Object(condition);
        }
        statement
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_resource_policy_has_unique_sids_and_aws_shape() {
        let arn = "arn:aws:lambda:us-east-1:000000000000:function:attach:live";
        let mut policy = ResourcePolicy::default();
        assert!(matches!(policy.document(arn), Err(Error::NotFound(_))));
        let statement = Statement {
            sid: "events".into(),
            action: "lambda:InvokeFunction".into(),
            principal: "events.amazonaws.com".into(),
            source_arn: Some("arn:aws:events:us-east-1:000000000000:rule/heal".into()),
            source_account: None,
        };
        policy.add(statement.clone()).expect("added");
        assert!(matches!(policy.add(statement), Err(Error::Conflict(_))));
        let doc: serde_json::Value =
            serde_json::from_str(&policy.document(arn).expect("a policy")).expect("JSON");
        assert_eq!(
            doc["Statement"][0]["Principal"]["Service"],
            "events.amazonaws.com"
        );
        assert_eq!(doc["Statement"][0]["Resource"], arn);
        assert_eq!(
            doc["Statement"][0]["Condition"]["ArnLike"]["AWS:SourceArn"],
            "arn:aws:events:us-east-1:000000000000:rule/heal"
        );
        assert!(policy.allows_service(
            "events.amazonaws.com",
            "arn:aws:events:us-east-1:000000000000:rule/heal",
            "000000000000"
        ));
        assert!(!policy.allows_service(
            "events.amazonaws.com",
            "arn:aws:events:us-east-1:000000000000:rule/other",
            "000000000000"
        ));
        assert!(matches!(policy.remove("nope"), Err(Error::NotFound(_))));
        policy.remove("events").expect("removed");
    }
}
