//! Systems Manager rules. Parameter Store lives in [`parameter`]; AWS's
//! read-only public parameters (`/aws/service/...`) in [`public`]; Run
//! Command in [`command`], and the instances its agents manage in
//! [`managed`].

pub mod command;
pub mod managed;
pub mod parameter;
pub mod public;

pub use parameter::{
    DataType, Error, ParameterName, ParameterType, ParameterVersion, PutRequest, Selector, Tier,
};
