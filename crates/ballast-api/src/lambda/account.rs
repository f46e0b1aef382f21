//! GetAccountSettings: the account's limits, and what its functions use
//! of them.

use ballast_core::lambda::concurrency::{ACCOUNT_CONCURRENCY, unreserved};
use ballast_core::lambda::{MAX_UNZIPPED_BYTES, MAX_ZIP_BYTES, TOTAL_CODE_BYTES};
use ballast_model::lambda::{
    AccountLimit, AccountUsage, GetAccountSettingsInput, GetAccountSettingsOutput,
};

use super::Error;
use crate::ApiState;

pub(super) fn settings(
    state: &ApiState,
    _: GetAccountSettingsInput,
) -> Result<GetAccountSettingsOutput, Error> {
    let (functions, versions) = state
        .store
        .read(|tx| -> Result<_, Error> { Ok((tx.functions()?, tx.all_function_versions()?)) })?;
    Ok(GetAccountSettingsOutput {
        account_limit: Some(AccountLimit {
            total_code_size: Some(TOTAL_CODE_BYTES),
            code_size_unzipped: Some(MAX_UNZIPPED_BYTES),
            code_size_zipped: i64::try_from(MAX_ZIP_BYTES).ok(),
            concurrent_executions: Some(ACCOUNT_CONCURRENCY),
            unreserved_concurrent_executions: Some(unreserved(
                functions.iter().filter_map(|f| f.reserved_concurrency),
            )),
        }),
        account_usage: Some(AccountUsage {
            // Every version's package counts, as in Lambda.
            total_code_size: Some(functions.iter().chain(&versions).map(|f| f.code.size).sum()),
            function_count: i64::try_from(functions.len()).ok(),
        }),
    })
}
