//! The scaffolding every wims program stands on, written once: the node (`wims`) and the
//! service server (`wims-service`) differ in what they do, not in how they keep their data
//! folder, read their configuration, log, take admin commands or speak to their user.

pub mod admin;
pub mod config;
pub mod files;
pub mod logging;
pub mod program;
