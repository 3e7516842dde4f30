//! Request-response codecs of the overlay's own protocols: one length-delimited postcard frame
//! each way, at most a protocol's limit ([`MAX_CONTROL_BYTES`] for control, [`MAX_PUNCH_BYTES`]
//! for the hole punch).

use std::io;
use std::marker::PhantomData;

use futures::{AsyncRead, AsyncWrite};
use libp2p::StreamProtocol;
use libp2p::request_response;
use serde::Serialize;
use serde::de::DeserializeOwned;
use wire::proto::{MAX_CONTROL_BYTES, Request, Response};
use wire::punch::{MAX_PUNCH_BYTES, PunchRequest, PunchResponse};

use crate::OverlayError;
use crate::frame::{read_frame, write_frame};

/// Postcard messages of type `Req` and `Resp`, each at most `max` bytes.
pub(crate) struct FrameCodec<Req, Resp> {
    max: usize,
    types: PhantomData<fn() -> (Req, Resp)>,
}

impl<Req, Resp> Clone for FrameCodec<Req, Resp> {
    fn clone(&self) -> Self {
        FrameCodec {
            max: self.max,
            types: PhantomData,
        }
    }
}

pub(crate) type ControlCodec = FrameCodec<Request, Response>;
pub(crate) type PunchCodec = FrameCodec<PunchRequest, PunchResponse>;

impl ControlCodec {
    pub(crate) fn control() -> Self {
        FrameCodec {
            max: MAX_CONTROL_BYTES,
            types: PhantomData,
        }
    }
}

impl PunchCodec {
    pub(crate) fn punch() -> Self {
        FrameCodec {
            max: MAX_PUNCH_BYTES,
            types: PhantomData,
        }
    }
}

async fn read_message<T, R>(io: &mut R, max: usize) -> io::Result<T>
where
    T: DeserializeOwned,
    R: AsyncRead + Unpin,
{
    let bytes = read_frame(io, max)
        .await
        .and_then(|frame| frame.ok_or(OverlayError::Closed))
        .map_err(OverlayError::into_io)?;
    wire::proto::decode(&bytes).map_err(|e| OverlayError::Decode(e.to_string()).into_io())
}

async fn write_message<T, W>(io: &mut W, msg: &T, max: usize) -> io::Result<()>
where
    T: Serialize,
    W: AsyncWrite + Unpin,
{
    let bytes =
        wire::proto::encode(msg).map_err(|e| OverlayError::Encode(e.to_string()).into_io())?;
    write_frame(io, &bytes, max)
        .await
        .map_err(OverlayError::into_io)
}

impl<Req, Resp> request_response::Codec for FrameCodec<Req, Resp>
where
    Req: Serialize + DeserializeOwned + Send + Sync + 'static,
    Resp: Serialize + DeserializeOwned + Send + Sync + 'static,
{
    type Protocol = StreamProtocol;
    type Request = Req;
    type Response = Resp;

    async fn read_request<T>(&mut self, _: &StreamProtocol, io: &mut T) -> io::Result<Req>
    where
        T: AsyncRead + Unpin + Send,
    {
        read_message(io, self.max).await
    }

    async fn read_response<T>(&mut self, _: &StreamProtocol, io: &mut T) -> io::Result<Resp>
    where
        T: AsyncRead + Unpin + Send,
    {
        read_message(io, self.max).await
    }

    async fn write_request<T>(&mut self, _: &StreamProtocol, io: &mut T, req: Req) -> io::Result<()>
    where
        T: AsyncWrite + Unpin + Send,
    {
        write_message(io, &req, self.max).await
    }

    async fn write_response<T>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
        res: Resp,
    ) -> io::Result<()>
    where
        T: AsyncWrite + Unpin + Send,
    {
        write_message(io, &res, self.max).await
    }
}

#[cfg(test)]
mod tests {
    use futures::io::Cursor;
    use libp2p::request_response::Codec;

    use super::*;

    fn protocol() -> StreamProtocol {
        StreamProtocol::new(wire::proto::CONTROL_PROTOCOL)
    }

    #[tokio::test]
    async fn requests_and_responses_round_trip() {
        let mut buf = Cursor::new(Vec::new());
        ControlCodec::control()
            .write_request(&protocol(), &mut buf, Request::Time)
            .await
            .unwrap();
        ControlCodec::control()
            .write_response(&protocol(), &mut buf, Response::Time(42))
            .await
            .unwrap();
        let mut rd = Cursor::new(buf.into_inner());
        assert_eq!(
            ControlCodec::control()
                .read_request(&protocol(), &mut rd)
                .await
                .unwrap(),
            Request::Time
        );
        assert_eq!(
            ControlCodec::control()
                .read_response(&protocol(), &mut rd)
                .await
                .unwrap(),
            Response::Time(42)
        );
    }

    #[tokio::test]
    async fn oversize_control_frame_is_refused_as_too_large() {
        let mut bytes = ((MAX_CONTROL_BYTES + 1) as u32).to_be_bytes().to_vec();
        bytes.extend_from_slice(&[0; 16]);
        let err = ControlCodec::control()
            .read_request(&protocol(), &mut Cursor::new(bytes))
            .await
            .unwrap_err();
        assert!(matches!(
            OverlayError::from_io(err),
            OverlayError::TooLarge { .. }
        ));
    }

    #[tokio::test]
    async fn garbage_is_a_decode_error() {
        let bytes = vec![0, 0, 0, 3, 200, 1, 2];
        let err = ControlCodec::control()
            .read_request(&protocol(), &mut Cursor::new(bytes))
            .await
            .unwrap_err();
        assert!(matches!(
            OverlayError::from_io(err),
            OverlayError::Decode(_)
        ));
    }
}
