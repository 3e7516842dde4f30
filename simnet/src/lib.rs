//! simnet: builds network topologies of real `wims` nodes and `wims-service` servers on one
//! Linux machine (network namespaces, veth pairs, a bridge for the "internet", nftables NAT
//! routers), runs a scenario's timeline against them and reports how each message travelled.

pub mod cluster;
pub mod interrupt;
pub mod logs;
pub mod net;
pub mod prereq;
pub mod report;
pub mod run;
pub mod scenario;
pub mod timeline;
