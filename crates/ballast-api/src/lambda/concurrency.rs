//! PutFunctionConcurrency, GetFunctionConcurrency and
//! DeleteFunctionConcurrency: a function's reserved concurrency, which the
//! runtime enforces (`ballast_core::lambda::concurrency`).

use ballast_core::lambda::concurrency::check_reservation;
use ballast_model::lambda::{
    DeleteFunctionConcurrencyInput, GetFunctionConcurrencyInput, GetFunctionConcurrencyOutput,
    PutFunctionConcurrencyInput, PutFunctionConcurrencyOutput,
};

use super::Error;
use super::functions::{existing, named};
use crate::ApiState;

pub(super) fn put(
    state: &ApiState,
    input: PutFunctionConcurrencyInput,
) -> Result<PutFunctionConcurrencyOutput, Error> {
    let name = named(state, &input.function_name, None)?;
    let reserved = input.reserved_concurrent_executions;
    state.store.write(|tx| -> Result<(), Error> {
        let mut function = existing(state, tx, &name)?;
        let others = tx
            .functions()?
            .into_iter()
            .filter(|f| f.name != name)
            .filter_map(|f| f.reserved_concurrency);
        check_reservation(reserved, others)?;
        function.reserved_concurrency = Some(reserved);
        tx.save_function(&function)?;
        Ok(())
    })?;
    Ok(PutFunctionConcurrencyOutput {
        reserved_concurrent_executions: Some(reserved),
    })
}

pub(super) fn get(
    state: &ApiState,
    input: GetFunctionConcurrencyInput,
) -> Result<GetFunctionConcurrencyOutput, Error> {
    let name = named(state, &input.function_name, None)?;
    let function = state.store.read(|tx| existing(state, tx, &name))?;
    Ok(GetFunctionConcurrencyOutput {
        reserved_concurrent_executions: function.reserved_concurrency,
    })
}

pub(super) fn delete(state: &ApiState, input: DeleteFunctionConcurrencyInput) -> Result<(), Error> {
    let name = named(state, &input.function_name, None)?;
    state.store.write(|tx| -> Result<(), Error> {
        let mut function = existing(state, tx, &name)?;
        function.reserved_concurrency = None;
        tx.save_function(&function)?;
        Ok(())
    })
}
