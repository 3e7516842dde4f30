//! Checks every decoded frame against [`crate::limits`]: what passes may be stored and shown
//! without further distrust.

use crate::chunk_map::Place;
use crate::event::{ClientFrame, Event, NodeStatus, ServerFrame};
use crate::handshake::{Accepted, Credentials, Scope, VersionRange};
use crate::job::{Job, MessageType, Stage, StageProgress, UserText, is_message_type};
use crate::limits::{
    MAX_JOBS, MAX_NAME_BYTES, MAX_SECRET_BYTES, MAX_SERVERS, MAX_STAGES, MAX_TEXT_ARGS,
    MAX_TEXT_BYTES,
};

// The error and the trait live with the limits, below every type they check.
pub use crate::limits::{Invalid, Validate};

fn text(what: &'static str, s: &str, limit: usize) -> Result<(), Invalid> {
    if s.len() > limit {
        return Err(Invalid::TooLong { what, limit });
    }
    Ok(())
}

fn name(what: &'static str, s: &str) -> Result<(), Invalid> {
    if s.is_empty() {
        return Err(Invalid::Empty(what));
    }
    text(what, s, MAX_NAME_BYTES)
}

fn optional(what: &'static str, s: &Option<String>, limit: usize) -> Result<(), Invalid> {
    s.as_deref().map_or(Ok(()), |s| text(what, s, limit))
}

fn server(n: u8) -> Result<(), Invalid> {
    if usize::from(n) >= MAX_SERVERS {
        return Err(Invalid::ServerIndex);
    }
    Ok(())
}

fn place(p: Place) -> Result<(), Invalid> {
    match p {
        Place::Server(n) => server(n),
        _ => Ok(()),
    }
}

impl Validate for VersionRange {
    fn validate(&self) -> Result<(), Invalid> {
        if self.min > self.max {
            return Err(Invalid::VersionRange);
        }
        Ok(())
    }
}

impl Validate for Credentials {
    fn validate(&self) -> Result<(), Invalid> {
        match self {
            Credentials::Account { address, password } => {
                name("address", address)?;
                text("password", password, MAX_SECRET_BYTES)
            }
            Credentials::Operator { token } => text("token", token, MAX_SECRET_BYTES),
        }
    }
}

/// A Fluent variable name: an ASCII letter, then letters, digits, `-` and `_`, at most 32
/// bytes.
fn is_arg_name(k: &str) -> bool {
    let b = k.as_bytes();
    (1..=32).contains(&b.len())
        && b[0].is_ascii_alphabetic()
        && b.iter()
            .all(|&c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
}

impl Validate for UserText {
    fn validate(&self) -> Result<(), Invalid> {
        name("text id", &self.id)?;
        if self.args.len() > MAX_TEXT_ARGS {
            return Err(Invalid::TooMany {
                what: "text arguments",
                limit: MAX_TEXT_ARGS,
            });
        }
        for (k, v) in &self.args {
            if !is_arg_name(k) {
                return Err(Invalid::ArgName);
            }
            text("argument", v, MAX_TEXT_BYTES)?;
        }
        Ok(())
    }
}

impl Validate for StageProgress {
    fn validate(&self) -> Result<(), Invalid> {
        self.stage.server().map_or(Ok(()), server)
    }
}

impl Validate for Stage {
    fn validate(&self) -> Result<(), Invalid> {
        self.server().map_or(Ok(()), server)
    }
}

impl Validate for Job {
    fn validate(&self) -> Result<(), Invalid> {
        name("job id", &self.id)?;
        name("account", &self.account)?;
        if let MessageType::Other(t) = &self.message_type
            && !is_message_type(t)
        {
            return Err(Invalid::MessageType);
        }
        optional("subject", &self.subject, MAX_TEXT_BYTES)?;
        optional("peer", &self.peer, MAX_NAME_BYTES)?;
        if self.servers.len() > MAX_SERVERS {
            return Err(Invalid::TooMany {
                what: "servers",
                limit: MAX_SERVERS,
            });
        }
        for s in &self.servers {
            text("server", s, MAX_NAME_BYTES)?;
        }
        if self.stages.len() > MAX_STAGES {
            return Err(Invalid::TooMany {
                what: "stages",
                limit: MAX_STAGES,
            });
        }
        for s in &self.stages {
            s.validate()?;
        }
        if let Some(map) = &self.chunks {
            map.validate()?;
        }
        if let Some(e) = &self.error {
            e.validate()?;
        }
        Ok(())
    }
}

impl Validate for NodeStatus {
    fn validate(&self) -> Result<(), Invalid> {
        text("node version", &self.node_version, MAX_NAME_BYTES)?;
        optional("update version", &self.update_available, MAX_NAME_BYTES)
    }
}

impl Validate for Event {
    fn validate(&self) -> Result<(), Invalid> {
        if let Some(id) = self.job_id() {
            name("job id", id)?;
        }
        match self {
            Event::JobAdded { job } => job.validate(),
            Event::JobProgress { stage, .. } => stage.as_ref().map_or(Ok(()), |s| s.validate()),
            Event::ChunksPlaced { place: p, .. } => place(*p),
            Event::ChunkMap { map, .. } => map.validate(),
            Event::JobFailed { error, .. } => error.validate(),
            Event::Status { status } => status.validate(),
            Event::JobFinished { .. } | Event::JobRemoved { .. } => Ok(()),
        }
    }
}

impl Validate for Accepted {
    fn validate(&self) -> Result<(), Invalid> {
        text("node version", &self.node_version, MAX_NAME_BYTES)?;
        match &self.scope {
            Scope::Account { address } => name("address", address),
            Scope::Operator => Ok(()),
        }
    }
}

impl Validate for ServerFrame {
    fn validate(&self) -> Result<(), Invalid> {
        match self {
            ServerFrame::Accepted(a) => a.validate(),
            ServerFrame::SnapshotStart { jobs, status, .. } => {
                if *jobs > MAX_JOBS {
                    return Err(Invalid::TooMany {
                        what: "jobs",
                        limit: MAX_JOBS as usize,
                    });
                }
                status.validate()
            }
            ServerFrame::SnapshotJob { job } => job.validate(),
            ServerFrame::Event { event, .. } => event.validate(),
            ServerFrame::Refused { .. }
            | ServerFrame::SnapshotEnd
            | ServerFrame::Heartbeat { .. } => Ok(()),
        }
    }
}

impl Validate for ClientFrame {
    fn validate(&self) -> Result<(), Invalid> {
        match self {
            ClientFrame::Hello {
                versions,
                credentials,
                client,
            } => {
                versions.validate()?;
                credentials.validate()?;
                optional("client", client, MAX_NAME_BYTES)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::job::{Activity, Direction, StageState};

    fn job() -> Job {
        Job::new("j1", "ann@kapur.h", Activity::Delivery, Direction::Up)
    }

    #[test]
    fn a_plain_job_passes() {
        assert_eq!(job().validate(), Ok(()));
    }

    #[test]
    fn each_bound_is_checked() {
        let mut j = job();
        j.id.clear();
        assert_eq!(j.validate(), Err(Invalid::Empty("job id")));

        let mut j = job();
        j.subject = Some("x".repeat(MAX_TEXT_BYTES + 1));
        assert!(matches!(j.validate(), Err(Invalid::TooLong { .. })));

        let mut j = job();
        j.servers = vec!["s".into(); MAX_SERVERS + 1];
        assert!(matches!(j.validate(), Err(Invalid::TooMany { .. })));

        let mut j = job();
        j.stages = vec![StageProgress::new(Stage::Sealing, StageState::Done); MAX_STAGES + 1];
        assert!(matches!(j.validate(), Err(Invalid::TooMany { .. })));

        let mut j = job();
        j.put_stage(StageProgress::new(
            Stage::CollectFromServer(16),
            StageState::Active,
        ));
        assert_eq!(j.validate(), Err(Invalid::ServerIndex));

        let mut j = job();
        j.message_type = MessageType::Other("Not A Type".into());
        assert_eq!(j.validate(), Err(Invalid::MessageType));

        let mut j = job();
        let mut e = UserText::new("monitor-error-peer-unreachable");
        for n in 0..=MAX_TEXT_ARGS {
            e = e.arg(&format!("a{n}"), "v");
        }
        j.error = Some(e);
        assert!(matches!(j.validate(), Err(Invalid::TooMany { .. })));

        let mut j = job();
        j.error = Some(UserText::new("drop-missing").arg("$field", "to"));
        assert_eq!(j.validate(), Err(Invalid::ArgName));
    }

    #[test]
    fn frames_check_their_contents() {
        let hello = ClientFrame::Hello {
            versions: VersionRange { min: 2, max: 1 },
            credentials: Credentials::Operator { token: "t".into() },
            client: None,
        };
        assert_eq!(hello.validate(), Err(Invalid::VersionRange));
        let hello = ClientFrame::Hello {
            versions: VersionRange { min: 1, max: 1 },
            credentials: Credentials::Operator {
                token: "t".repeat(MAX_SECRET_BYTES + 1),
            },
            client: None,
        };
        assert!(hello.validate().is_err());
        let start = ServerFrame::SnapshotStart {
            seq: 0,
            now: 0,
            jobs: MAX_JOBS + 1,
            status: NodeStatus::default(),
        };
        assert!(start.validate().is_err());
        let placed = ServerFrame::Event {
            seq: 1,
            event: Event::ChunksPlaced {
                id: "j".into(),
                first: 0,
                count: 1,
                place: Place::Server(200),
            },
        };
        assert_eq!(placed.validate(), Err(Invalid::ServerIndex));
    }
}
