//! Link delay without netem: packets of delayed uplinks are queued to userspace with NFQUEUE
//! (iptables in the internet namespace, see `uplink`) and this delay line accepts each one
//! once its delay has passed.
//!
//! netem is the usual tool, but kernels built without it (as on minimal VM kernels) would
//! make delay impossible; NFQUEUE and the bridge's netfilter hooks are far more commonly
//! built in. The kernel keeps the packets; only their ids travel, so the cost per packet is
//! one small netlink message each way. The rules use `--queue-bypass`: if this line is not
//! listening (not started yet, or its process died), packets pass undelayed rather than
//! being blackholed.

use std::collections::{HashMap, VecDeque};
use std::fs::File;
use std::io;
use std::mem::size_of;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::error::NetError;

// From linux/netfilter/nfnetlink.h and nfnetlink_queue.h.
const NFNL_SUBSYS_QUEUE: u16 = 3;
const NFQNL_MSG_PACKET: u16 = 0;
const NFQNL_MSG_CONFIG: u16 = 2;
const NFQNL_MSG_VERDICT_BATCH: u16 = 3;
const NFQA_PACKET_HDR: u16 = 1;
const NFQA_VERDICT_HDR: u16 = 2;
const NFQA_CFG_CMD: u16 = 1;
const NFQA_CFG_PARAMS: u16 = 2;
const NFQA_CFG_QUEUE_MAXLEN: u16 = 3;
const NFQNL_CFG_CMD_BIND: u8 = 1;
const NFQNL_COPY_META: u8 = 1;
const NF_ACCEPT: u32 = 1;
const NLA_TYPE_MASK: u16 = 0x3fff;
const NLMSG_HDR: usize = 16;
const NFGEN_HDR: usize = 4;

/// Packets held per queue before the kernel drops new ones, like a router's buffer.
const QUEUE_MAXLEN: u32 = 4096;
/// Large enough for bursts of packet notices at the link rates a simulation uses.
const RCVBUF: libc::c_int = 8 << 20;
/// How often the worker looks at its stop flag when nothing is due.
const IDLE: Duration = Duration::from_millis(100);

/// A running delay line for one lab; dropping it stops the thread and closes the queues.
#[derive(Debug)]
pub(crate) struct DelayLine {
    stop: Arc<AtomicBool>,
    worker: Option<JoinHandle<()>>,
}

impl DelayLine {
    /// Binds `queues` (queue number, delay) in `netns` and starts delaying their packets.
    pub(crate) fn start(netns: &str, queues: &[(u16, Duration)]) -> Result<DelayLine, NetError> {
        let fail = |source: io::Error| NetError::Spawn {
            command: format!("nfqueue delay line in {netns}"),
            source,
        };
        let sock = open_in(netns).map_err(fail)?;
        let mut line = Line {
            sock,
            queues: queues
                .iter()
                .map(|&(num, delay)| (num, (delay, VecDeque::new())))
                .collect(),
        };
        for (seq, &(num, _)) in (1u32..).zip(queues) {
            line.bind(num, seq).map_err(fail)?;
        }
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let worker = std::thread::Builder::new()
            .name(format!("delay-{netns}"))
            .spawn(move || line.run(&flag))
            .map_err(fail)?;
        Ok(DelayLine {
            stop,
            worker: Some(worker),
        })
    }
}

impl Drop for DelayLine {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(worker) = self.worker.take() {
            let _ = worker.join();
        }
    }
}

/// A netlink socket created inside `netns`; sockets stay in the namespace they were made in,
/// so only a short-lived thread has to enter it.
fn open_in(netns: &str) -> io::Result<OwnedFd> {
    let path = Path::new("/run/netns").join(netns);
    std::thread::spawn(move || -> io::Result<OwnedFd> {
        let ns = File::open(path)?;
        // SAFETY: plain syscalls on descriptors we own; setns only moves this thread, which
        // ends right after.
        unsafe {
            if libc::setns(ns.as_raw_fd(), libc::CLONE_NEWNET) != 0 {
                return Err(io::Error::last_os_error());
            }
            let fd = libc::socket(
                libc::AF_NETLINK,
                libc::SOCK_RAW | libc::SOCK_CLOEXEC,
                libc::NETLINK_NETFILTER,
            );
            if fd < 0 {
                return Err(io::Error::last_os_error());
            }
            let sock = OwnedFd::from_raw_fd(fd);
            let mut addr: libc::sockaddr_nl = std::mem::zeroed();
            addr.nl_family = libc::AF_NETLINK as libc::sa_family_t;
            let addr_ptr = (&raw const addr).cast::<libc::sockaddr>();
            let addr_len = size_of::<libc::sockaddr_nl>() as libc::socklen_t;
            if libc::bind(fd, addr_ptr, addr_len) != 0 {
                return Err(io::Error::last_os_error());
            }
            // Best effort: a smaller buffer only means drops under heavy bursts.
            let size = RCVBUF;
            let size_ptr = (&raw const size).cast::<libc::c_void>();
            let int_len = size_of::<libc::c_int>() as libc::socklen_t;
            libc::setsockopt(
                fd,
                libc::SOL_SOCKET,
                libc::SO_RCVBUFFORCE,
                size_ptr,
                int_len,
            );
            // An overrun then costs the packets it drops, not an error on every later read.
            let on: libc::c_int = 1;
            let on_ptr = (&raw const on).cast::<libc::c_void>();
            libc::setsockopt(
                fd,
                libc::SOL_NETLINK,
                libc::NETLINK_NO_ENOBUFS,
                on_ptr,
                int_len,
            );
            Ok(sock)
        }
    })
    .join()
    .map_err(|_| io::Error::other("namespace thread panicked"))?
}

struct Line {
    sock: OwnedFd,
    /// Per queue: its delay and the ids waiting, oldest first. One delay per queue keeps
    /// each FIFO sorted by due time, so releasing is popping from the front.
    queues: HashMap<u16, (Duration, VecDeque<(Instant, u32)>)>,
}

enum Notice {
    Ack { seq: u32, errno: i32 },
    Other,
}

impl Line {
    fn bind(&mut self, queue: u16, seq: u32) -> io::Result<()> {
        let mut cmd = [0u8; 4];
        cmd[0] = NFQNL_CFG_CMD_BIND;
        cmd[2..4].copy_from_slice(&(libc::AF_INET as u16).to_be_bytes());
        let mut params = [0u8; 5];
        params[0..4].copy_from_slice(&0u32.to_be_bytes());
        params[4] = NFQNL_COPY_META;
        let maxlen = QUEUE_MAXLEN.to_be_bytes();
        let msg = message(
            NFQNL_MSG_CONFIG,
            libc::NLM_F_ACK as u16,
            seq,
            queue,
            &[
                (NFQA_CFG_CMD, &cmd),
                (NFQA_CFG_PARAMS, &params),
                (NFQA_CFG_QUEUE_MAXLEN, &maxlen),
            ],
        );
        self.send(&msg)?;
        let deadline = Instant::now() + Duration::from_secs(2);
        let mut buf = vec![0u8; 1 << 16];
        while Instant::now() < deadline {
            if !self.wait_readable(Duration::from_millis(100))? {
                continue;
            }
            let n = self.recv(&mut buf)?;
            for notice in self.take(&buf[..n]) {
                match notice {
                    Notice::Ack { seq: s, errno } if s == seq => {
                        return if errno == 0 {
                            Ok(())
                        } else {
                            Err(io::Error::from_raw_os_error(-errno))
                        };
                    }
                    _ => {}
                }
            }
        }
        Err(io::Error::new(
            io::ErrorKind::TimedOut,
            format!("no answer binding queue {queue}"),
        ))
    }

    fn run(mut self, stop: &AtomicBool) {
        let mut buf = vec![0u8; 1 << 16];
        while !stop.load(Ordering::Relaxed) {
            let now = Instant::now();
            let wait = self
                .next_due()
                .map_or(IDLE, |due| due.saturating_duration_since(now).min(IDLE));
            // A failing poll (EINTR) just means another round.
            if self.wait_readable(wait).unwrap_or(false) {
                // Read until the socket is empty, so no packet notice waits behind a release.
                while let Ok(n) = self.recv_nonblocking(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    let _ = self.take(&buf[..n]);
                }
            }
            self.release(Instant::now());
        }
    }

    fn next_due(&self) -> Option<Instant> {
        self.queues
            .values()
            .filter_map(|(_, waiting)| waiting.front().map(|&(due, _)| due))
            .min()
    }

    /// Accepts every packet whose time has come, one batch verdict per queue: ids within a
    /// queue only grow, and the batch accepts all ids up to the one given.
    fn release(&mut self, now: Instant) {
        let mut verdicts = Vec::new();
        for (&queue, (_, waiting)) in &mut self.queues {
            let mut last = None;
            while let Some(&(due, id)) = waiting.front() {
                if due > now {
                    break;
                }
                last = Some(id);
                waiting.pop_front();
            }
            if let Some(id) = last {
                let mut hdr = [0u8; 8];
                hdr[0..4].copy_from_slice(&NF_ACCEPT.to_be_bytes());
                hdr[4..8].copy_from_slice(&id.to_be_bytes());
                verdicts.push(message(
                    NFQNL_MSG_VERDICT_BATCH,
                    0,
                    0,
                    queue,
                    &[(NFQA_VERDICT_HDR, &hdr)],
                ));
            }
        }
        for verdict in verdicts {
            // Nobody to tell; a lost verdict leaves packets to the queue's own limits.
            let _ = self.send(&verdict);
        }
    }

    /// Files packet notices under their queue and returns the rest.
    fn take(&mut self, buf: &[u8]) -> Vec<Notice> {
        let now = Instant::now();
        let mut notices = Vec::new();
        for (msg_type, seq, payload) in messages(buf) {
            if msg_type == libc::NLMSG_ERROR as u16 {
                let errno = payload
                    .get(0..4)
                    .map_or(0, |b| i32::from_ne_bytes([b[0], b[1], b[2], b[3]]));
                notices.push(Notice::Ack { seq, errno });
            } else if msg_type == (NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET {
                if let Some((queue, id)) = packet_id(payload)
                    && let Some((delay, waiting)) = self.queues.get_mut(&queue)
                {
                    waiting.push_back((now + *delay, id));
                }
            } else {
                notices.push(Notice::Other);
            }
        }
        notices
    }

    fn wait_readable(&self, timeout: Duration) -> io::Result<bool> {
        let mut fd = libc::pollfd {
            fd: self.sock.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // Rounded up so a packet due in 0.4 ms does not turn into a busy loop of 0 ms polls.
        let ms = timeout.as_micros().div_ceil(1000).min(i32::MAX as u128) as libc::c_int;
        // SAFETY: one valid pollfd for the duration of the call.
        let n = unsafe { libc::poll(&raw mut fd, 1, ms) };
        if n < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(n > 0)
    }

    fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.recv_flags(buf, 0)
    }

    fn recv_nonblocking(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.recv_flags(buf, libc::MSG_DONTWAIT)
    }

    fn recv_flags(&self, buf: &mut [u8], flags: libc::c_int) -> io::Result<usize> {
        // SAFETY: the buffer is valid for its length.
        let n = unsafe {
            libc::recv(
                self.sock.as_raw_fd(),
                buf.as_mut_ptr().cast(),
                buf.len(),
                flags,
            )
        };
        usize::try_from(n).map_err(|_| io::Error::last_os_error())
    }

    fn send(&self, msg: &[u8]) -> io::Result<()> {
        // An unconnected netlink socket sends to the kernel.
        // SAFETY: the buffer is valid for its length.
        let n = unsafe { libc::send(self.sock.as_raw_fd(), msg.as_ptr().cast(), msg.len(), 0) };
        if n < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }
}

/// An nfnetlink queue message: netlink header, nfgenmsg naming the queue, attributes.
fn message(msg_type: u16, flags: u16, seq: u32, queue: u16, attrs: &[(u16, &[u8])]) -> Vec<u8> {
    let mut buf = vec![0u8; NLMSG_HDR];
    buf.extend_from_slice(&[libc::AF_UNSPEC as u8, 0]);
    buf.extend_from_slice(&queue.to_be_bytes());
    for (attr_type, payload) in attrs {
        let len = (4 + payload.len()) as u16;
        buf.extend_from_slice(&len.to_ne_bytes());
        buf.extend_from_slice(&attr_type.to_ne_bytes());
        buf.extend_from_slice(payload);
        buf.resize(buf.len().next_multiple_of(4), 0);
    }
    let total = buf.len() as u32;
    let full_type = (NFNL_SUBSYS_QUEUE << 8) | msg_type;
    buf[0..4].copy_from_slice(&total.to_ne_bytes());
    buf[4..6].copy_from_slice(&full_type.to_ne_bytes());
    buf[6..8].copy_from_slice(&(libc::NLM_F_REQUEST as u16 | flags).to_ne_bytes());
    buf[8..12].copy_from_slice(&seq.to_ne_bytes());
    buf
}

/// (type, sequence number, payload) of each netlink message in a datagram; stops at the
/// first malformed header rather than trusting its length.
fn messages(mut buf: &[u8]) -> Vec<(u16, u32, &[u8])> {
    let mut out = Vec::new();
    while buf.len() >= NLMSG_HDR {
        let len = u32::from_ne_bytes([buf[0], buf[1], buf[2], buf[3]]) as usize;
        if len < NLMSG_HDR || len > buf.len() {
            break;
        }
        let msg_type = u16::from_ne_bytes([buf[4], buf[5]]);
        let seq = u32::from_ne_bytes([buf[8], buf[9], buf[10], buf[11]]);
        out.push((msg_type, seq, &buf[NLMSG_HDR..len]));
        buf = buf.get(len.next_multiple_of(4)..).unwrap_or_default();
    }
    out
}

/// The queue number and packet id of a packet notice.
fn packet_id(payload: &[u8]) -> Option<(u16, u32)> {
    let queue = u16::from_be_bytes([*payload.get(2)?, *payload.get(3)?]);
    let mut attrs = payload.get(NFGEN_HDR..)?;
    while attrs.len() >= 4 {
        let len = u16::from_ne_bytes([attrs[0], attrs[1]]) as usize;
        let attr_type = u16::from_ne_bytes([attrs[2], attrs[3]]) & NLA_TYPE_MASK;
        if len < 4 || len > attrs.len() {
            return None;
        }
        if attr_type == NFQA_PACKET_HDR && len >= 8 {
            let id = u32::from_be_bytes([attrs[4], attrs[5], attrs[6], attrs[7]]);
            return Some((queue, id));
        }
        attrs = attrs.get(len.next_multiple_of(4)..).unwrap_or_default();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_laid_out_as_the_kernel_expects() {
        let msg = message(
            NFQNL_MSG_VERDICT_BATCH,
            0,
            7,
            0x0102,
            &[(2, &[1, 2, 3, 4, 5])],
        );
        assert_eq!(msg.len(), 16 + 4 + 12);
        assert_eq!(u32::from_ne_bytes(msg[0..4].try_into().unwrap()), 32);
        assert_eq!(u16::from_ne_bytes(msg[4..6].try_into().unwrap()), 0x0303);
        assert_eq!(&msg[18..20], &[1, 2]);
        assert_eq!(u16::from_ne_bytes(msg[20..22].try_into().unwrap()), 9);
        assert_eq!(&msg[29..32], &[0, 0, 0]);
    }

    #[test]
    fn packet_notices_parse_and_garbage_does_not() {
        let mut hdr = 42u32.to_be_bytes().to_vec();
        hdr.extend_from_slice(&[8, 0, 3]);
        let notice = message(
            NFQNL_MSG_PACKET,
            0,
            0,
            9,
            &[(5, &[0; 3]), (NFQA_PACKET_HDR, &hdr)],
        );
        let parsed = messages(&notice);
        assert_eq!(parsed.len(), 1);
        assert_eq!(packet_id(parsed[0].2), Some((9, 42)));
        assert!(messages(&notice[..10]).is_empty());
        assert_eq!(packet_id(&[0, 0]), None);
        assert_eq!(packet_id(&[0, 0, 0, 1, 200, 0, 1, 0]), None);
    }
}
