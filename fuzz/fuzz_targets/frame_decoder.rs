//! The frame decoder on arbitrary bytes: it must answer (a frame, a wait for more, or a typed
//! error) and never panic, whatever a peer sends.
#![no_main]

use bytes::BytesMut;
use foundation::cluster::wire::{Frame, FrameDecoder, encode};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut buf = BytesMut::from(data);
    let mut decoder = FrameDecoder::new(64 * 1024);
    while let Ok(Some(frame)) = decoder.decode(&mut buf) {
        // What decodes encodes again to the same frame.
        let mut again = BytesMut::new();
        encode(&frame, 64 * 1024, &mut again).expect("a decoded frame encodes");
        let back: Frame = FrameDecoder::new(64 * 1024).decode(&mut again).unwrap().unwrap();
        assert_eq!(back, frame);
    }
});
