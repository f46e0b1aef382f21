//! STS: AssumeRole is decided on the role it names, with the role's tags;
//! GetCallerIdentity needs no permission (`super::ALWAYS_ALLOWED`).

use serde::Deserialize;

use super::{Access, Names, Resource, Unnamed};

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct Params {
    role_arn: Option<String>,
}

pub(super) fn access(names: &Names<'_>) -> Result<Access, Unnamed> {
    let params: Params = names.params()?;
    let resources = params
        .role_arn
        .map(|arn| Resource::tagged(names.tx, arn.clone(), &arn))
        .transpose()?
        .into_iter()
        .collect();
    Ok(Access::on(resources))
}
