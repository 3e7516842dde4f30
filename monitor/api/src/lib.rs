//! The node's monitor endpoint as data: what a monitor and a node say to each other, and how
//! it is framed (`docs/monitor-api.md`).
//!
//! A monitor opens a connection and sends one [`ClientFrame::Hello`]: the protocol versions
//! it speaks and its credentials (an account's address and password, or an operator token).
//! The node answers [`ServerFrame::Accepted`] or [`ServerFrame::Refused`]. Once accepted it
//! sends a snapshot (every current job and the node's status, as
//! [`ServerFrame::SnapshotStart`], one [`ServerFrame::SnapshotJob`] per job and
//! [`ServerFrame::SnapshotEnd`]), then [`ServerFrame::Event`]s as jobs move on, with a
//! [`ServerFrame::Heartbeat`] whenever it has been quiet for a while.
//!
//! Everything here is plain data with serde: no network code, no clock. Every decoded frame
//! is checked against [`limits`] before it is handed out, so a hostile peer can make neither
//! side allocate without bound nor panic.

pub mod chunk_map;
pub mod error_ids;
pub mod event;
pub mod framing;
pub mod handshake;
pub mod job;
pub mod limits;
pub mod validate;

pub use chunk_map::{ChunkMap, Place, Run};
pub use event::{ClientFrame, Event, NodeStatus, ServerFrame};
pub use framing::{FrameDecoder, FrameError, FrameReader, decode, encode, write_frame};
pub use handshake::{Accepted, Credentials, Refusal, Scope, VersionRange, negotiate};
pub use job::{
    Activity, Direction, Job, JobState, Link, MessageType, Progress, Stage, StageProgress,
    StageState, UserText, is_message_type,
};
pub use validate::{Invalid, Validate};

/// The newest protocol version this crate speaks.
pub const PROTOCOL_VERSION: u16 = 1;

/// Every protocol version this crate speaks.
pub const SUPPORTED: VersionRange = VersionRange {
    min: 1,
    max: PROTOCOL_VERSION,
};

/// The default TCP port of the monitor endpoint.
pub const DEFAULT_PORT: u16 = 7070;
