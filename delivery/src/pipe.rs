//! Moving one end of a byte stream onto a thread of its own, so that two stages of work on a
//! large message run on two cores: reading and decrypting a stored message while it is
//! sealed, or encrypting and scanning into the store while a message is unsealed. A bounded
//! queue of blocks sits between the two, so memory stays at a few blocks whatever the size.

use std::io::{self, Read, Write};
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::thread::JoinHandle;

/// Why a pipe's other end is gone; what the source or sink itself failed with comes back
/// as it was.
#[derive(Debug, thiserror::Error)]
enum PipeError {
    #[error("pipe thread ended")]
    Ended,
    #[error("pipe thread panicked")]
    Panicked,
}

impl From<PipeError> for io::Error {
    fn from(e: PipeError) -> Self {
        io::Error::other(e)
    }
}

/// Bytes per block handed between the threads.
const BLOCK: usize = 256 * 1024;
/// Blocks queued at most, in each direction's pipe.
const DEPTH: usize = 4;

/// Reads its source on a thread of its own, ahead of the consumer.
pub struct ReadAhead {
    blocks: Receiver<io::Result<Vec<u8>>>,
    current: Vec<u8>,
    pos: usize,
    done: bool,
}

impl ReadAhead {
    pub fn new<R: Read + Send + 'static>(mut source: R) -> io::Result<Self> {
        let (tx, blocks) = mpsc::sync_channel(DEPTH);
        std::thread::Builder::new()
            .name("read-ahead".into())
            .spawn(move || {
                loop {
                    let mut block = vec![0u8; BLOCK];
                    let read = fill(&mut source, &mut block).map(|n| {
                        block.truncate(n);
                        block
                    });
                    let end = !matches!(&read, Ok(b) if !b.is_empty());
                    // A consumer that went away ends the reading too.
                    if tx.send(read).is_err() || end {
                        return;
                    }
                }
            })?;
        Ok(ReadAhead {
            blocks,
            current: Vec::new(),
            pos: 0,
            done: false,
        })
    }
}

/// Reads until `buf` is full or the source ends.
fn fill(source: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match source.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

impl Read for ReadAhead {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.pos == self.current.len() {
            if self.done {
                return Ok(0);
            }
            match self.blocks.recv() {
                Ok(Ok(block)) if block.is_empty() => self.done = true,
                Ok(Ok(block)) => {
                    self.current = block;
                    self.pos = 0;
                }
                Ok(Err(e)) => {
                    self.done = true;
                    return Err(e);
                }
                Err(_) => {
                    self.done = true;
                    return Err(PipeError::Ended.into());
                }
            }
        }
        let n = buf.len().min(self.current.len() - self.pos);
        buf[..n].copy_from_slice(&self.current[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// Writes to its sink on a thread of its own, behind the producer. [`WriteBehind::finish`]
/// waits for every byte to be written and hands the sink back.
pub struct WriteBehind<W> {
    blocks: Option<SyncSender<Vec<u8>>>,
    writer: Option<JoinHandle<io::Result<W>>>,
    pending: Vec<u8>,
}

impl<W: Write + Send + 'static> WriteBehind<W> {
    pub fn new(mut sink: W) -> io::Result<Self> {
        let (blocks, rx) = mpsc::sync_channel::<Vec<u8>>(DEPTH);
        let writer = std::thread::Builder::new()
            .name("write-behind".into())
            .spawn(move || {
                // On an error the queue is dropped, so the producer's next write fails, and
                // the error itself comes back from `finish`.
                for block in rx {
                    sink.write_all(&block)?;
                }
                sink.flush()?;
                Ok(sink)
            })?;
        Ok(WriteBehind {
            blocks: Some(blocks),
            writer: Some(writer),
            pending: Vec::with_capacity(BLOCK),
        })
    }

    fn send_pending(&mut self) -> io::Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let block = std::mem::replace(&mut self.pending, Vec::with_capacity(BLOCK));
        let sent = self.blocks.as_ref().map(|b| b.send(block));
        match sent {
            Some(Ok(())) => Ok(()),
            // The writer stopped: its own error is the one to report.
            _ => Err(self.stopped()),
        }
    }

    /// The error the writing thread stopped with.
    fn stopped(&mut self) -> io::Error {
        self.blocks.take();
        match self.writer.take().map(|h| h.join()) {
            Some(Ok(Err(e))) => e,
            Some(Err(_)) => PipeError::Panicked.into(),
            _ => PipeError::Ended.into(),
        }
    }

    /// Writes what is left and returns the sink, or the first error of the writing thread.
    pub fn finish(mut self) -> io::Result<W> {
        let sent = self.send_pending();
        self.blocks.take();
        sent?;
        match self.writer.take() {
            Some(h) => h.join().unwrap_or_else(|_| Err(PipeError::Panicked.into())),
            None => Err(PipeError::Ended.into()),
        }
    }
}

impl<W: Write + Send + 'static> Write for WriteBehind<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let n = data.len().min(BLOCK - self.pending.len());
        self.pending.extend_from_slice(&data[..n]);
        if self.pending.len() == BLOCK {
            self.send_pending()?;
        }
        Ok(n)
    }

    /// Blocks are written as they fill; the sink is flushed by `finish`.
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<W> Drop for WriteBehind<W> {
    fn drop(&mut self) {
        // Unfinished: the thread sees the queue close, writes what it has, and ends; the
        // sink is dropped there (an unfinished store blob removes itself).
        self.blocks.take();
        if let Some(h) = self.writer.take() {
            let _ = h.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pattern(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i * 7 % 251) as u8).collect()
    }

    #[test]
    fn read_ahead_gives_every_byte_in_order() {
        for len in [0, 1, BLOCK - 1, BLOCK, 3 * BLOCK + 17] {
            let data = pattern(len);
            let mut out = Vec::new();
            ReadAhead::new(io::Cursor::new(data.clone()))
                .unwrap()
                .read_to_end(&mut out)
                .unwrap();
            assert_eq!(out, data, "length {len}");
        }
    }

    struct Failing;
    impl Read for Failing {
        fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
            Err(io::Error::other("disk gone"))
        }
    }
    impl Write for Failing {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::Error::other("disk full"))
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn read_ahead_passes_errors_on() {
        let mut out = Vec::new();
        let e = ReadAhead::new(Failing)
            .unwrap()
            .read_to_end(&mut out)
            .unwrap_err();
        assert_eq!(e.to_string(), "disk gone");
    }

    #[test]
    fn write_behind_writes_every_byte_in_order() {
        for len in [0, 1, BLOCK, 5 * BLOCK + 3] {
            let data = pattern(len);
            let mut w = WriteBehind::new(Vec::new()).unwrap();
            for piece in data.chunks(1000) {
                w.write_all(piece).unwrap();
            }
            assert_eq!(w.finish().unwrap(), data, "length {len}");
        }
    }

    #[test]
    fn write_behind_reports_the_sinks_error() {
        let mut w = WriteBehind::new(Failing).unwrap();
        // The sink's error comes back from the first write after the thread stopped (which
        // one that is, is a race), or else from `finish`.
        let mut first = None;
        for _ in 0..(DEPTH + 4) {
            if let Err(e) = w.write_all(&vec![1u8; BLOCK]) {
                first = Some(e);
                break;
            }
        }
        let e = first.unwrap_or_else(|| w.finish().map(|_| ()).unwrap_err());
        assert_eq!(e.to_string(), "disk full");
    }
}
