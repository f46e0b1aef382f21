//! Rate-controlled executions: the runbook run once per target value (or
//! `TargetMaps` map), as
//! child executions started as the parent's identity (StartAutomationExecution
//! through the API, so they are listed with their parent), no more at once
//! than `MaxConcurrency`, and none more once failures pass `MaxErrors`.
//! The decisions are `ballast_core::ssm::rate`'s.

use ballast_core::ssm::automation::{Execution, RateControl, Status, machine};
use ballast_core::ssm::command::Limit;
use ballast_core::ssm::rate::{self, Ending, Step};
use serde_json::{Map, Value};

use crate::Inner;

/// Moves a rate-controlled execution on: children's statuses read, new
/// ones started, the parent ended when they are over.
pub(crate) fn drive(inner: &Inner, execution: &mut Execution, now: i64) {
    let Some(mut control) = execution.rate_control.take() else {
        return;
    };
    for run in control.runs.iter_mut() {
        if let Some(id) = &run.child
            && let Ok(Some(child)) = inner.store.read(|tx| tx.automation_execution(id))
        {
            run.status = Some(child.status);
        }
    }
    if execution.cancel_requested {
        for run in control
            .runs
            .iter()
            .filter(|r| r.status.is_some_and(|s| !s.is_terminal()))
        {
            if let Some(id) = &run.child
                && let Err(error) = crate::pass::request_stop(inner, id)
            {
                tracing::error!(%error, child = id, "cancelling a child execution");
            }
        }
        machine::end(execution, Status::Cancelled, None, now);
        execution.rate_control = Some(control);
        return;
    }
    let progress: Vec<rate::Progress> = control.runs.iter().map(|r| r.progress()).collect();
    let concurrency =
        Limit::parse(&control.max_concurrency, "MaxConcurrency", false).unwrap_or(Limit::Count(10));
    let errors = Limit::parse(&control.max_errors, "MaxErrors", true).unwrap_or(Limit::Count(0));
    match rate::step(&progress, concurrency, errors, false) {
        Step::Wait => execution.status = Status::InProgress,
        Step::Start(indexes) => {
            execution.status = Status::InProgress;
            for index in indexes {
                start_child(inner, execution, &mut control, index);
            }
        }
        Step::Done(Ending::Success) => machine::end(execution, Status::Success, None, now),
        Step::Done(_) => {
            let failed = control
                .runs
                .iter()
                .filter(|r| r.progress() == rate::Progress::Failed)
                .count();
            let message = format!(
                "{failed} of the {} targets failed, more than MaxErrors {} allows.",
                control.runs.len(),
                control.max_errors
            );
            machine::end(execution, Status::Failed, Some(message), now);
        }
    }
    execution.rate_control = Some(control);
}

fn start_child(inner: &Inner, execution: &Execution, control: &mut RateControl, index: usize) {
    let Some(run) = control.runs.get_mut(index) else {
        return;
    };
    let mut parameters: Map<String, Value> = control
        .supplied
        .iter()
        .map(|(k, v)| (k.clone(), Value::from(v.clone())))
        .collect();
    if run.parameters.is_empty() {
        // Kept before targets carried their parameters.
        parameters.insert(
            control.parameter.clone(),
            Value::from(vec![run.value.clone()]),
        );
    }
    for (name, values) in &run.parameters {
        parameters.insert(name.clone(), Value::from(values.clone()));
    }
    let mut input = Map::new();
    input.insert(
        "DocumentName".to_owned(),
        Value::String(execution.document_name.clone()),
    );
    input.insert(
        "DocumentVersion".to_owned(),
        Value::String(execution.document_version.clone()),
    );
    input.insert("Parameters".to_owned(), Value::Object(parameters));
    let target = Some(run.value.clone()).filter(|v| !v.is_empty());
    match crate::pass::start_child(inner, execution, input, target) {
        Ok(id) => {
            run.child = Some(id);
            run.status = Some(Status::Pending);
        }
        Err(error) => {
            tracing::warn!(%error, execution = execution.id, "a target's child did not start");
            run.status = Some(Status::Failed);
        }
    }
}
