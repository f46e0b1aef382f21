//! Who the agent is, from the instance metadata service: the instance id,
//! address and host name, and the instance role's credentials (IMDSv2).

use std::time::Duration;

use aws_credential_types::Credentials;
use serde::Deserialize;

use crate::AgentError;
use crate::http::send;

const TIMEOUT: Duration = Duration::from_secs(2);

/// The metadata service at `base` (`http://169.254.169.254/`).
#[derive(Debug, Clone)]
pub struct Metadata {
    base: String,
}

/// The instance facts the agent reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instance {
    pub id: String,
    pub address: String,
    pub host_name: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CredentialsDocument {
    access_key_id: String,
    secret_access_key: String,
    token: String,
}

impl Metadata {
    pub fn new(base: &str) -> Metadata {
        Metadata {
            base: format!("{}/", base.trim_end_matches('/')),
        }
    }

    async fn token(&self) -> Result<String, AgentError> {
        let headers = [(
            "x-aws-ec2-metadata-token-ttl-seconds".to_owned(),
            "300".to_owned(),
        )];
        let url = format!("{}latest/api/token", self.base);
        let response = send("PUT", &url, &headers, Vec::new(), TIMEOUT).await?;
        text(response, &url)
    }

    async fn get(&self, token: &str, path: &str) -> Result<String, AgentError> {
        let headers = [("x-aws-ec2-metadata-token".to_owned(), token.to_owned())];
        let url = format!("{}latest/{path}", self.base);
        let response = send("GET", &url, &headers, Vec::new(), TIMEOUT).await?;
        text(response, &url)
    }

    /// The instance's id, address and host name.
    pub async fn instance(&self) -> Result<Instance, AgentError> {
        let token = self.token().await?;
        Ok(Instance {
            id: self.get(&token, "meta-data/instance-id").await?,
            address: self.get(&token, "meta-data/local-ipv4").await?,
            host_name: self.get(&token, "meta-data/local-hostname").await?,
        })
    }

    /// The instance role's current credentials; an instance without a
    /// role has none, and cannot be managed.
    pub async fn credentials(&self) -> Result<Credentials, AgentError> {
        let token = self.token().await?;
        let role = self
            .get(&token, "meta-data/iam/security-credentials/")
            .await
            .map_err(|_| AgentError::NoRole)?;
        let role = role.lines().next().unwrap_or_default().trim().to_owned();
        if role.is_empty() {
            return Err(AgentError::NoRole);
        }
        let document = self
            .get(
                &token,
                &format!("meta-data/iam/security-credentials/{role}"),
            )
            .await?;
        let parsed: CredentialsDocument = serde_json::from_str(&document)
            .map_err(|e| AgentError::Http(format!("the role's credentials: {e}")))?;
        Ok(Credentials::new(
            parsed.access_key_id,
            parsed.secret_access_key,
            Some(parsed.token),
            None,
            "instance-metadata",
        ))
    }
}

fn text(response: crate::http::Response, url: &str) -> Result<String, AgentError> {
    if response.status != 200 {
        return Err(AgentError::Http(format!("{url}: HTTP {}", response.status)));
    }
    Ok(String::from_utf8_lossy(&response.body).trim().to_owned())
}
