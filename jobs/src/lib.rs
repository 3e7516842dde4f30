//! The live list of the node's jobs (deliveries, receptions, collections, drop files, update
//! checks), fed by the code paths that do the work and read by the monitor endpoint. It
//! depends on nothing of the node but the network clock, so every part can report into it.

pub mod registry;
mod tracked;

pub use registry::{JobHandle, JobSpec, Published, Registry, RegistryConfig};
