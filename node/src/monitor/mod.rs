//! What the node shows monitors (`docs/monitor-api.md`): the endpoint that streams the live
//! list of jobs (`crate::jobs`) to monitors that proved who they are, and the node's status.

pub mod endpoint;
mod status;
pub mod token;
