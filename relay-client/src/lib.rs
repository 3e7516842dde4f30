//! The node's client of the service network.
