//! Lambda: the function a request names (`FunctionName`, or the tag
//! calls' `Resource`: a name or an ARN), decided on the function's ARN
//! with its tags, or on the qualified ARN of the version or alias its
//! `FunctionName` or `Qualifier` names, as Lambda does; ListFunctions is
//! decided on `*`. CreateFunction and UpdateFunctionConfiguration pass
//! their `Role` (`iam:PassRole`), as on AWS.

use ballast_core::lambda;
use serde_json::Value;

use super::{Access, Names, Resource, Unnamed};

pub(super) fn access(names: &Names<'_>) -> Result<Access, Unnamed> {
    let Some(Value::Object(body)) = names.params::<Option<Value>>()? else {
        return Ok(Access::default());
    };
    let scope = &names.state.scope;
    let resources = body
        .get("FunctionName")
        .or_else(|| body.get("Resource"))
        .and_then(Value::as_str)
        .map(|text| {
            let qualifier = body.get("Qualifier").and_then(Value::as_str);
            // A name the handler will refuse is decided on what it says.
            let named = lambda::named(scope, text, qualifier).unwrap_or(lambda::Named {
                name: text,
                qualifier: None,
            });
            // A version or an alias is decided on its own (qualified) ARN,
            // with the function's tags.
            let tags_key = lambda::arn(scope, named.name);
            Resource::tagged(names.tx, named.arn(scope), &tags_key)
        })
        .transpose()?
        .into_iter()
        .collect();
    let mut access = Access::on(resources);
    if matches!(
        names.operation(),
        "CreateFunction" | "UpdateFunctionConfiguration"
    ) && let Some(role) = body.get("Role").and_then(Value::as_str)
    {
        access.passed_roles = vec![role.to_owned()];
    }
    Ok(access)
}
