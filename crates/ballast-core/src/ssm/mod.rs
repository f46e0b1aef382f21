//! Systems Manager rules. Parameter Store lives in [`parameter`]; AWS's
//! read-only public parameters (`/aws/service/...`) in [`public`];
//! documents (content, versions, sharing, and resolving a command's
//! parameters against one) in [`document`]; the documents Amazon owns in
//! [`amazon_documents`]; Run Command in [`command`], and the instances its
//! agents manage in [`managed`]; maintenance windows (their targets,
//! tasks, schedules and executions) in [`maintenance_window`]; OpsCenter's
//! OpsItems in [`ops_item`].

pub mod amazon_documents;
pub mod automation;
pub mod command;
pub mod document;
pub mod maintenance_window;
pub mod managed;
pub mod ops_item;
pub mod parameter;
pub mod public;
pub mod rate;

pub use parameter::{
    DataType, Error, ParameterName, ParameterType, ParameterVersion, PutRequest, Selector, Tier,
};
