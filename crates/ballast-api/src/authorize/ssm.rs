//! Parameter Store: a parameter's ARN for the calls that name one, `*`
//! for DescribeParameters.

use ballast_core::ssm::parameter::Selector;
use ballast_core::tags::Tag;
use serde::Deserialize;

use super::{Access, Names, Resource, Unnamed, pairs};
use crate::ssm::parameter_arn;

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct Params {
    name: Option<String>,
    names: Option<Vec<String>>,
    path: Option<String>,
    tags: Option<Vec<Tag>>,
}

/// `Name`, every `Names` entry, or the `Path` of GetParametersByPath;
/// selectors like `name:3` name the parameter itself. Tags set by
/// PutParameter are the request's tags.
pub(super) fn access(names: &Names<'_>) -> Result<Access, Unnamed> {
    let params: Params = names.params()?;
    let arns = params
        .name
        .into_iter()
        .chain(params.names.into_iter().flatten())
        .map(|raw| Selector::parse(&raw).name)
        .chain(params.path)
        .map(|name| parameter_arn(names.state, &name));
    let resources = arns
        .map(|arn| Resource::tagged(names.tx, arn.clone(), &arn))
        .collect::<Result<_, _>>()?;
    let request_tags = params.tags.as_deref().map(pairs).unwrap_or_default();
    Ok(Access::on(resources).with_request_tags(request_tags))
}
