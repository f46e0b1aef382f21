//! Systems Manager rules. Parameter Store lives in [`parameter`].

pub mod parameter;

pub use parameter::{
    DataType, Error, ParameterName, ParameterType, ParameterVersion, PutRequest, Selector, Tier,
};
