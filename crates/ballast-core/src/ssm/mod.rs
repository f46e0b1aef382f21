//! Systems Manager rules. Parameter Store lives in [`parameter`]; AWS's
//! read-only public parameters (`/aws/service/...`) in [`public`].

pub mod parameter;
pub mod public;

pub use parameter::{
    DataType, Error, ParameterName, ParameterType, ParameterVersion, PutRequest, Selector, Tier,
};
