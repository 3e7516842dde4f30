//! What the node shows monitors (`docs/monitor-api.md`): the live list of its jobs, fed by the
//! code paths that do the work, and the endpoint that streams it to monitors that proved who
//! they are.

pub mod endpoint;
pub mod registry;
mod status;
pub mod token;
mod tracked;

pub use registry::{JobHandle, JobSpec, Published, Registry, RegistryConfig};
