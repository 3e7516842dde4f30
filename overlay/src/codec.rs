//! The control protocol's request-response codec: one length-delimited postcard frame each
//! way, at most [`MAX_CONTROL_BYTES`].

use std::io;

use futures::{AsyncRead, AsyncWrite};
use libp2p::StreamProtocol;
use libp2p::request_response;
use wire::proto::{MAX_CONTROL_BYTES, Request, Response};

use crate::OverlayError;
use crate::frame::{read_frame, write_frame};

#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct ControlCodec;

async fn read_message<T, R>(io: &mut R) -> io::Result<T>
where
    T: serde::de::DeserializeOwned,
    R: AsyncRead + Unpin,
{
    let bytes = read_frame(io, MAX_CONTROL_BYTES)
        .await
        .and_then(|frame| frame.ok_or(OverlayError::Closed))
        .map_err(OverlayError::into_io)?;
    wire::proto::decode(&bytes).map_err(|e| OverlayError::Decode(e.to_string()).into_io())
}

async fn write_message<T, W>(io: &mut W, msg: &T) -> io::Result<()>
where
    T: serde::Serialize,
    W: AsyncWrite + Unpin,
{
    let bytes =
        wire::proto::encode(msg).map_err(|e| OverlayError::Encode(e.to_string()).into_io())?;
    write_frame(io, &bytes, MAX_CONTROL_BYTES)
        .await
        .map_err(OverlayError::into_io)
}

impl request_response::Codec for ControlCodec {
    type Protocol = StreamProtocol;
    type Request = Request;
    type Response = Response;

    async fn read_request<T>(&mut self, _: &StreamProtocol, io: &mut T) -> io::Result<Request>
    where
        T: AsyncRead + Unpin + Send,
    {
        read_message(io).await
    }

    async fn read_response<T>(&mut self, _: &StreamProtocol, io: &mut T) -> io::Result<Response>
    where
        T: AsyncRead + Unpin + Send,
    {
        read_message(io).await
    }

    async fn write_request<T>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
        req: Request,
    ) -> io::Result<()>
    where
        T: AsyncWrite + Unpin + Send,
    {
        write_message(io, &req).await
    }

    async fn write_response<T>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
        res: Response,
    ) -> io::Result<()>
    where
        T: AsyncWrite + Unpin + Send,
    {
        write_message(io, &res).await
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
        ControlCodec
            .write_request(&protocol(), &mut buf, Request::Time)
            .await
            .unwrap();
        ControlCodec
            .write_response(&protocol(), &mut buf, Response::Time(42))
            .await
            .unwrap();
        let mut rd = Cursor::new(buf.into_inner());
        assert_eq!(
            ControlCodec
                .read_request(&protocol(), &mut rd)
                .await
                .unwrap(),
            Request::Time
        );
        assert_eq!(
            ControlCodec
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
        let err = ControlCodec
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
        let err = ControlCodec
            .read_request(&protocol(), &mut Cursor::new(bytes))
            .await
            .unwrap_err();
        assert!(matches!(
            OverlayError::from_io(err),
            OverlayError::Decode(_)
        ));
    }
}
