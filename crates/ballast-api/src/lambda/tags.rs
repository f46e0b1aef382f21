//! TagResource, UntagResource and ListTags on a function's ARN. Tags live
//! in the store's generic table under the function's unqualified ARN, where
//! CreateFunction puts them and GetFunction reads them.

use ballast_core::lambda::{self, Error as Rule};
use ballast_model::lambda::*;
use ballast_store::Tx;

use super::Error;
use super::functions::existing;
use crate::ApiState;

/// The most tags a function may carry (a Lambda quota).
const MAX_TAGS: usize = 50;

/// The ARN of the existing function `resource` names (an ARN: the model's
/// pattern refused anything else before the handler).
fn function_arn(state: &ApiState, tx: &Tx<'_>, resource: &str) -> Result<String, Error> {
    let name = lambda::function_name(&state.scope, resource)?;
    let function = existing(state, tx, name)?;
    Ok(lambda::arn(&state.scope, &function.name))
}

pub(super) fn tag(state: &ApiState, input: TagResourceInput) -> Result<(), Error> {
    let tags: Vec<(String, String)> = input.tags.into_iter().collect();
    state.store.write(|tx| -> Result<(), Error> {
        let arn = function_arn(state, tx, &input.resource)?;
        tx.put_tags(&arn, &tags)?;
        if tx.tags(&arn)?.len() > MAX_TAGS {
            return Err(
                Rule::InvalidParameter(format!("A function has at most {MAX_TAGS} tags.")).into(),
            );
        }
        Ok(())
    })
}

pub(super) fn untag(state: &ApiState, input: UntagResourceInput) -> Result<(), Error> {
    state.store.write(|tx| -> Result<(), Error> {
        let arn = function_arn(state, tx, &input.resource)?;
        tx.remove_tags(&arn, &input.tag_keys)?;
        Ok(())
    })
}

pub(super) fn list(state: &ApiState, input: ListTagsInput) -> Result<ListTagsOutput, Error> {
    let tags = state.store.read(|tx| -> Result<_, Error> {
        let arn = function_arn(state, tx, &input.resource)?;
        Ok(tx.tags(&arn)?)
    })?;
    Ok(ListTagsOutput {
        tags: Some(tags.into_iter().collect()),
    })
}
