//! Length-delimited frames: a 4-byte big-endian length, then that many bytes. Shared by the
//! control codec and data streams so both refuse oversize input the same way.

use futures::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use crate::OverlayError;

pub(crate) async fn write_frame<W>(
    io: &mut W,
    payload: &[u8],
    max: usize,
) -> Result<(), OverlayError>
where
    W: AsyncWrite + Unpin,
{
    // Refuse locally too: the peer would drop the stream anyway, after we sent megabytes.
    let len = u32::try_from(payload.len())
        .ok()
        .filter(|&len| len as usize <= max)
        .ok_or(OverlayError::TooLarge {
            len: payload.len(),
            max,
        })?;
    io.write_all(&len.to_be_bytes())
        .await
        .map_err(OverlayError::from_io)?;
    io.write_all(payload).await.map_err(OverlayError::from_io)?;
    io.flush().await.map_err(OverlayError::from_io)
}

/// Reads one frame; `None` on a clean end of stream before the frame starts.
pub(crate) async fn read_frame<R>(io: &mut R, max: usize) -> Result<Option<Vec<u8>>, OverlayError>
where
    R: AsyncRead + Unpin,
{
    let Some(len) = read_len(io).await? else {
        return Ok(None);
    };
    // Checked before allocating: the length is the peer's word, not ours.
    if len > max {
        return Err(OverlayError::TooLarge { len, max });
    }
    read_body(io, len).await.map(Some)
}

/// Reads a frame's length prefix; `None` on a clean end of stream before it.
pub(crate) async fn read_len<R>(io: &mut R) -> Result<Option<usize>, OverlayError>
where
    R: AsyncRead + Unpin,
{
    let mut header = [0u8; 4];
    let mut filled = 0;
    while filled < header.len() {
        let n = io
            .read(&mut header[filled..])
            .await
            .map_err(OverlayError::from_io)?;
        if n == 0 {
            return if filled == 0 {
                Ok(None)
            } else {
                Err(OverlayError::Closed)
            };
        }
        filled += n;
    }
    Ok(Some(u32::from_be_bytes(header) as usize))
}

/// Reads a frame's `len` bytes (checked against a limit by the caller).
pub(crate) async fn read_body<R>(io: &mut R, len: usize) -> Result<Vec<u8>, OverlayError>
where
    R: AsyncRead + Unpin,
{
    let mut body = vec![0u8; len];
    io.read_exact(&mut body)
        .await
        .map_err(OverlayError::from_io)?;
    Ok(body)
}

#[cfg(test)]
mod tests {
    use futures::io::Cursor;

    use super::*;

    #[tokio::test]
    async fn frames_round_trip_and_end_cleanly() {
        let mut buf = Cursor::new(Vec::new());
        write_frame(&mut buf, b"hello", 16).await.unwrap();
        write_frame(&mut buf, b"", 16).await.unwrap();
        let mut rd = Cursor::new(buf.into_inner());
        assert_eq!(read_frame(&mut rd, 16).await.unwrap().unwrap(), b"hello");
        assert_eq!(read_frame(&mut rd, 16).await.unwrap().unwrap(), b"");
        assert!(read_frame(&mut rd, 16).await.unwrap().is_none());
    }

    #[tokio::test]
    async fn oversize_and_truncated_frames_are_refused() {
        let mut rd = Cursor::new(u32::MAX.to_be_bytes().to_vec());
        assert!(matches!(
            read_frame(&mut rd, 16).await,
            Err(OverlayError::TooLarge { max: 16, .. })
        ));
        let mut rd = Cursor::new(vec![0, 0]);
        assert!(matches!(
            read_frame(&mut rd, 16).await,
            Err(OverlayError::Closed)
        ));
        let mut rd = Cursor::new(vec![0, 0, 0, 5, 1]);
        assert!(matches!(
            read_frame(&mut rd, 16).await,
            Err(OverlayError::Closed)
        ));
        let mut buf = Cursor::new(Vec::new());
        assert!(matches!(
            write_frame(&mut buf, &[0; 17], 16).await,
            Err(OverlayError::TooLarge { len: 17, max: 16 })
        ));
        assert!(buf.into_inner().is_empty());
    }
}
