//! Overlay protocol messages (control, data, hole punch) as they arrive from any peer: decoding must never panic, what
//! decodes must encode and decode back to itself, and the owned-buffer fast path for data
//! frames must agree with the plain decoder.

#![no_main]

use libfuzzer_sys::fuzz_target;
use serde::Serialize;
use serde::de::DeserializeOwned;
use wire::proto::{self, DataFrame, DataReply, Request, Response};
use wire::punch::{PunchRequest, PunchResponse};

fn round_trip<T>(data: &[u8])
where
    T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug,
{
    if let Ok(msg) = proto::decode::<T>(data) {
        let bytes = proto::encode(&msg).expect("a decoded message encodes");
        let back: T = proto::decode(&bytes).expect("an encoded message decodes");
        assert_eq!(back, msg);
    }
}

fuzz_target!(|data: &[u8]| {
    round_trip::<Request>(data);
    round_trip::<Response>(data);
    round_trip::<DataReply>(data);
    round_trip::<DataFrame>(data);
    round_trip::<PunchRequest>(data);
    round_trip::<PunchResponse>(data);

    let fast = proto::decode_data_frame(data.to_vec());
    let plain = proto::decode::<DataFrame>(data);
    match (fast, plain) {
        (Ok(a), Ok(b)) => assert_eq!(a, b),
        (Err(_), Err(_)) => {}
        (a, b) => panic!("decoders disagree: owned {a:?}, borrowed {b:?}"),
    }
});
