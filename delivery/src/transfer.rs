//! Moving a sealed message's chunks: straight to the recipient's node, or onto its servers,
//! one chunk in flight at a time, with a durable record of which chunks are stored where.

use std::path::Path;

use monitor_api::{Link, Place, Stage, StageState};
use serde::{Deserialize, Serialize};
use wire::proto::{DataFrame, DataReply, RefusalCode};
use wire::{SignedManifest, SignedReceipt};

use overlay::DataStream;

use super::delivery_watch as watch;
use super::job::{Failure, Job, retry};
use super::progress;
use super::{Network, spool};

/// Which chunks of a job are stored somewhere (the recipient's node or a service server),
/// as far as acknowledgements told: a bit per chunk.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(super) struct Placed {
    count: u32,
    bits: Vec<u8>,
    /// Chunk bytes written to streams over all attempts: beyond the sealed size, this is
    /// what breaks cost.
    pub(super) sent: u64,
    /// Chunks acknowledged by the recipient's node and by its servers: how the message went.
    node_chunks: u32,
    pub(super) server_chunks: u32,
    /// Some of it went over a hole-punched connection.
    punched: bool,
}

impl Placed {
    pub(super) fn new(count: u32) -> Self {
        Placed {
            count,
            bits: vec![0; (count as usize).div_ceil(8)],
            sent: 0,
            node_chunks: 0,
            server_chunks: 0,
            punched: false,
        }
    }

    /// The way the message travelled, for the delivery log: `direct` (a plain dial),
    /// `hole-punched`, `servers`, or a direct way plus `+servers`.
    pub(super) fn path(&self) -> &'static str {
        let way = if self.punched {
            "hole-punched"
        } else {
            "direct"
        };
        match (self.node_chunks > 0, self.server_chunks > 0) {
            (_, false) => way,
            (false, true) => "servers",
            (true, true) if self.punched => "hole-punched+servers",
            (true, true) => "direct+servers",
        }
    }

    pub(super) fn stored(&self) -> u32 {
        (0..self.count).filter(|&i| self.has(i)).count() as u32
    }

    pub(super) fn set(&mut self, i: u32) {
        if i < self.count {
            self.bits[i as usize / 8] |= 1 << (i % 8);
        }
    }

    pub(super) fn has(&self, i: u32) -> bool {
        i < self.count && self.bits[i as usize / 8] & (1 << (i % 8)) != 0
    }

    pub(super) fn all(&self) -> bool {
        (0..self.count).all(|i| self.has(i))
    }
}

/// Sends chunks `indices` from `dir`, each acknowledged (`Got`) before the next goes, while
/// the next is read from disk. One chunk in flight at a time is what makes a cut at any byte
/// cost at most that chunk: everything before it is acknowledged, hence known to be stored,
/// whichever place the rest then goes to. Returns a reply other than `Got` that came
/// instead (a refusal); `None` once every chunk is acknowledged.
async fn push_chunks(
    stream: &mut DataStream,
    dir: &Path,
    indices: &[u32],
    placed: &mut Placed,
    view: &progress::Views,
    place: Place,
) -> Result<Option<DataReply>, Failure> {
    let read = |i: u32| {
        let d = dir.to_path_buf();
        mailbox::blocking::run(move || spool::read_chunk(&d, i))
    };
    let Some(&first) = indices.first() else {
        return Ok(None);
    };
    let mut data = read(first).await.map_err(retry)?.map_err(retry)?;
    for (pos, &i) in indices.iter().enumerate() {
        let len = data.len() as u64;
        stream
            .send(&DataFrame::Chunk { index: i, data })
            .await
            .map_err(retry)?;
        placed.sent += len;
        let next = indices.get(pos + 1).map(|&j| read(j));
        match stream.recv::<DataReply>().await.map_err(retry)? {
            Some(DataReply::Got(g)) => {
                placed.set(g);
                let stored = placed.stored();
                progress::update(&view.board, |p| p.stored = stored);
                view.job.place(g, place);
                view.job.advance(len);
                view.job.progress_add(len);
            }
            Some(other) => return Ok(Some(other)),
            None => return Err(retry("receiver closed the stream")),
        }
        data = match next {
            Some(n) => n.await.map_err(retry)?.map_err(retry)?,
            None => Vec::new(),
        };
    }
    Ok(None)
}

/// The message's authorization and the sender's directory record, which show the recipient's
/// node that this node is sending it mail.
fn vouch(net: &Network, signed: &SignedManifest) -> Option<wire::punch::Vouch> {
    let manifest = signed.unverified().ok()?;
    let token = wire::Token::decode_signed(manifest.authorization.as_deref()?).ok()?;
    Some(wire::punch::Vouch {
        token,
        sender_record: net.own_record(&manifest.sender)?,
    })
}

/// One attempt straight to the recipient's node; the receipt when it took the message.
pub(super) async fn direct(
    net: &Network,
    job: &Job,
    located: &relay_client::Located,
    signed: &SignedManifest,
    dir: &Path,
    placed: &mut Placed,
    view: &progress::Views,
) -> Result<SignedReceipt, Failure> {
    let peer = net
        .record_node(&located.record)
        .await
        .ok_or_else(|| Failure::Permanent("directory names no valid node".into()))?;
    if let Some(vouch) = vouch(net, signed) {
        // Shown if the data stream waits for a port prediction punch: the recipient's node
        // joins one only for a node it should expect mail from.
        net.overlay.vouch_for(peer, vouch).await;
    }
    let mut stream = net.overlay.open_data(peer).await.map_err(retry)?;
    placed.punched |= stream.hole_punched();
    let (link, stage) = match stream.hole_punched() {
        true => (Link::HolePunched, Stage::UploadHolePunched),
        false => (Link::Direct, Stage::UploadDirect),
    };
    view.job.link(link);
    stream
        .send(&DataFrame::Offer(signed.clone()))
        .await
        .map_err(retry)?;
    let mut reply = stream.recv::<DataReply>().await.map_err(retry)?;
    if let Some(DataReply::Need(indices)) = &reply {
        // What the node does not ask for, it has.
        for i in 0..placed.count {
            if indices.binary_search(&i).is_err() {
                placed.set(i);
            }
        }
        view.job
            .place_where(Place::Peer, |i| indices.binary_search(&i).is_err());
        view.job.begin(stage, watch::bytes_of(signed, indices));
        let before = placed.stored();
        let early = push_chunks(&mut stream, dir, indices, placed, view, Place::Peer).await;
        placed.node_chunks += placed.stored() - before;
        reply = match early? {
            Some(r) => Some(r),
            None => stream.recv::<DataReply>().await.map_err(retry)?,
        };
    }
    let _ = stream.close().await;
    match reply {
        Some(DataReply::Delivered(receipt)) => Ok(receipt),
        Some(DataReply::Refused(r)) => {
            let why = format!("{:?}: {}", r.code, r.detail);
            match r.code {
                RefusalCode::TryLater => Err(Failure::Retry(why)),
                _ => Err(Failure::Permanent(why)),
            }
        }
        Some(_) => Err(retry("receiver answered out of turn")),
        None => Err(retry("receiver closed the stream")),
    }
    .inspect(|_| tracing::debug!(job = job.recipient, "delivered directly"))
}

/// What goes to the recipient's servers: the job's sealed message and whom it is between.
pub(super) struct Deposit<'a> {
    pub key: &'a str,
    pub sender: &'a str,
    pub located: &'a relay_client::Located,
    pub signed: &'a SignedManifest,
    pub dir: &'a Path,
}

/// Puts the chunks not yet stored anywhere on the recipient's backup servers, in their
/// order: what one server cannot take (down, full, cut off mid-way) goes to the next.
pub(super) async fn to_servers(
    net: &Network,
    d: &Deposit<'_>,
    placed: &mut Placed,
    view: &progress::Views,
) {
    let Deposit {
        key,
        sender,
        located,
        signed,
        dir,
    } = *d;
    let Some(sender_record) = net.own_record(sender) else {
        tracing::warn!(
            job = key,
            "no directory record of the sender; cannot use servers"
        );
        return;
    };
    let servers = relay_client::parse_servers(&located.record.backups).unwrap_or_default();
    view.job
        .servers(servers.iter().map(|(p, _)| p.to_string()).collect());
    for (n, (server, addrs)) in servers.into_iter().enumerate() {
        if placed.all() {
            break;
        }
        let n = u8::try_from(n).unwrap_or(u8::MAX);
        net.overlay.add_peer_addrs(server, addrs).await;
        let deposit = DataFrame::Deposit {
            manifest: signed.clone(),
            sender_record: sender_record.clone(),
            recipient_record: located.signed.clone(),
        };
        let stage = Stage::UploadToServer(n);
        match to_server(net, server, deposit, dir, placed, (view, n, signed)).await {
            Ok(()) => {
                view.job.end(stage, StageState::Done);
                tracing::info!(job = key, %server, "parts held by the recipient's server")
            }
            Err(Failure::Retry(why) | Failure::Permanent(why)) => {
                view.job.end(stage, StageState::Failed);
                tracing::info!(job = key, %server, reason = why, "recipient's server did not take every part")
            }
        }
        if let Err(e) = net.records.placed.put(key, &*placed) {
            tracing::warn!(job = key, error = %e, "placement not recorded");
        }
    }
}

async fn to_server(
    net: &Network,
    server: overlay::PeerId,
    deposit: DataFrame,
    dir: &Path,
    placed: &mut Placed,
    (view, n, signed): (&progress::Views, u8, &SignedManifest),
) -> Result<(), Failure> {
    let mut stream = net.overlay.open_data(server).await.map_err(retry)?;
    stream.send(&deposit).await.map_err(retry)?;
    let lacks = match stream.recv::<DataReply>().await.map_err(retry)? {
        Some(DataReply::Need(lacks)) => lacks,
        Some(DataReply::Refused(r)) => return Err(retry(format!("{:?}: {}", r.code, r.detail))),
        _ => return Err(retry("server answered out of turn")),
    };
    for i in 0..placed.count {
        if lacks.binary_search(&i).is_err() {
            placed.set(i);
        }
    }
    // What the server holds already counts as stored there.
    view.job
        .place_where(Place::Server(n), |i| lacks.binary_search(&i).is_err());
    let send: Vec<u32> = lacks.into_iter().filter(|&i| !placed.has(i)).collect();
    view.job
        .begin(Stage::UploadToServer(n), watch::bytes_of(signed, &send));
    let before = placed.stored();
    let early = push_chunks(&mut stream, dir, &send, placed, view, Place::Server(n)).await;
    placed.server_chunks += placed.stored() - before;
    let early = early?;
    let _ = stream.close().await;
    match early {
        None => Ok(()),
        Some(DataReply::Refused(r)) => Err(retry(format!("{:?}: {}", r.code, r.detail))),
        Some(_) => Err(retry("server answered out of turn")),
    }
}
