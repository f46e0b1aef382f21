//! The data plane as the API sees it; defined in the core so the proxy can
//! implement it without depending on the API.

pub use ballast_core::elbv2::data_plane::{DataPlane, NoDataPlane};
