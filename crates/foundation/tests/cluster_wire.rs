//! The wire format between nodes: every frame goes and comes back unchanged, and any bytes at
//! all, however malformed, get a typed error, never a panic or an allocation the frame did
//! not pay for. (Needs the `cluster` feature.)

use std::path::Path;

use bytes::{BufMut, BytesMut};
use foundation::ExitReason;
use foundation::cluster::wire::{
    DEFAULT_MAX_FRAME, Frame, FrameDecoder, WIRE_VERSION, WireError, WirePid, WireReason, WireRef,
    encode,
};
use proptest::prelude::*;

fn pid(node: u32, local: u64) -> WirePid {
    WirePid { node, creation: 7, local }
}

fn reference(id: u64) -> WireRef {
    WireRef { node: 1, creation: 7, id }
}

/// One frame of every kind.
fn every_kind() -> Vec<Frame> {
    let (a, b) = (pid(1, 10), pid(2, 20));
    vec![
        Frame::Hello { name: "a@host".into(), node: 1, creation: 7 },
        Frame::Tick,
        Frame::Credit { bytes: 65_536 },
        Frame::Send { from: Some(a), to: b, payload: b"hello".to_vec() },
        Frame::Send { from: None, to: b, payload: Vec::new() },
        Frame::Link { from: a, to: b },
        Frame::Unlink { from: a, to: b },
        Frame::Exit { from: a, to: b, reason: WireReason::NoConnection, link: true },
        Frame::Monitor { from: a, to: b, reference: reference(3) },
        Frame::Demonitor { from: a, to: b, reference: reference(3) },
        Frame::Down {
            to: a,
            reference: reference(3),
            pid: b,
            reason: WireReason::Panicked {
                message: "boom".into(),
                location: Some(("src/lib.rs".into(), 4, 9)),
            },
        },
    ]
}

fn encoded(frame: &Frame) -> BytesMut {
    let mut buf = BytesMut::new();
    encode(frame, DEFAULT_MAX_FRAME, &mut buf).unwrap();
    buf
}

#[test]
fn every_kind_of_frame_goes_and_comes_back_unchanged_in_one_stream() {
    let frames = every_kind();
    let mut stream = BytesMut::new();
    for frame in &frames {
        stream.extend_from_slice(&encoded(frame));
    }
    let mut decoder = FrameDecoder::default();
    let mut read = Vec::new();
    while let Some(frame) = decoder.decode(&mut stream).unwrap() {
        read.push(frame);
    }
    assert_eq!(read, frames);
    assert!(stream.is_empty());
}

#[test]
fn a_frame_split_anywhere_waits_for_the_rest() {
    let whole = encoded(&every_kind()[3]);
    for cut in 0..whole.len() {
        let mut decoder = FrameDecoder::default();
        let mut buf = BytesMut::from(&whole[..cut]);
        assert_eq!(decoder.decode(&mut buf), Ok(None), "cut at {cut}");
        buf.extend_from_slice(&whole[cut..]);
        assert_eq!(decoder.decode(&mut buf), Ok(Some(every_kind()[3].clone())), "cut at {cut}");
    }
}

#[test]
fn signals_are_told_from_messages() {
    let kinds: Vec<bool> = every_kind().iter().map(Frame::is_signal).collect();
    assert_eq!(kinds, [false, false, false, false, false, true, true, true, true, true, true]);
}

#[test]
fn an_oversized_length_is_refused_before_anything_is_buffered() {
    let mut decoder = FrameDecoder::new(1024);
    // A peer announcing 4 GiB, and sending nothing more.
    let mut buf = BytesMut::from(&u32::MAX.to_be_bytes()[..]);
    let error = decoder.decode(&mut buf).unwrap_err();
    assert_eq!(error, WireError::TooLarge { len: u64::from(u32::MAX), max: 1024 });
    assert!(buf.capacity() < 1024, "nothing was reserved for the frame");
    assert_eq!(
        error.to_string(),
        "invalid frame `length` = 4294967295: allowed values are 1 to 1024 bytes"
    );
    // An empty frame has no version byte.
    let mut empty = BytesMut::from(&0u32.to_be_bytes()[..]);
    assert!(matches!(decoder.decode(&mut empty), Err(WireError::TooLarge { len: 0, .. })));
}

#[test]
fn a_frame_larger_than_the_maximum_is_never_written() {
    let big = Frame::Send { from: None, to: pid(1, 1), payload: vec![0; 2048] };
    let mut buf = BytesMut::new();
    let error = encode(&big, 1024, &mut buf).unwrap_err();
    assert!(matches!(error, WireError::TooLarge { max: 1024, .. }), "{error:?}");
    assert!(buf.is_empty(), "nothing was written");
}

#[test]
fn another_version_is_refused_naming_it() {
    let mut frame = encoded(&Frame::Tick);
    frame[4] = WIRE_VERSION + 1;
    let error = FrameDecoder::default().decode(&mut frame).unwrap_err();
    assert_eq!(error, WireError::Version { got: WIRE_VERSION + 1 });
    assert!(error.to_string().contains("allowed values are 1"), "{error}");
}

#[test]
fn a_body_that_is_not_a_frame_or_has_bytes_left_over_is_malformed() {
    // An unknown frame kind.
    let mut buf = BytesMut::new();
    buf.put_u32(2);
    buf.put_u8(WIRE_VERSION);
    buf.put_u8(200);
    assert!(matches!(FrameDecoder::default().decode(&mut buf), Err(WireError::Malformed(_))));
    // A string that claims more bytes than the frame has: refused, not allocated.
    let mut buf = BytesMut::new();
    buf.put_u32(7);
    buf.put_u8(WIRE_VERSION);
    buf.put_u8(0); // Hello
    buf.extend_from_slice(&[0xff, 0xff, 0xff, 0xff, 0x0f]); // a length of u32::MAX
    assert!(matches!(FrameDecoder::default().decode(&mut buf), Err(WireError::Malformed(_))));
    // A whole frame and a byte more inside the same length.
    let tick = encoded(&Frame::Tick);
    let mut buf = BytesMut::new();
    buf.put_u32(u32::try_from(tick.len() - 4 + 1).unwrap());
    buf.extend_from_slice(&tick[4..]);
    buf.put_u8(0);
    let error = FrameDecoder::default().decode(&mut buf).unwrap_err();
    assert_eq!(error, WireError::Malformed("1 bytes after the frame".into()));
}

#[test]
fn exit_reasons_cross_the_wire_as_they_are() {
    let reasons = [
        ExitReason::Normal,
        ExitReason::Shutdown(None),
        ExitReason::shutdown_with("draining"),
        ExitReason::Killed,
        ExitReason::Kill,
        ExitReason::panicked("boom"),
        ExitReason::error("disk full"),
        ExitReason::NoProc,
        ExitReason::NoConnection,
        ExitReason::MemoryLimit { limit: 10, held: 11 },
    ];
    for reason in reasons {
        let back = ExitReason::from(WireReason::from(&reason));
        assert_eq!(back, reason);
        assert_eq!(back.to_string(), reason.to_string());
    }
}

/// The corpus of the fuzz target (`fuzz/corpus/frame_decoder`), replayed: every input gets a
/// frame, a wait for more, or a typed error.
#[test]
fn the_fuzz_corpus_replays_without_a_panic() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/frame_decoder");
    let mut replayed = 0;
    for entry in std::fs::read_dir(&dir).expect("the corpus is in the repository") {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        let mut buf = BytesMut::from(&bytes[..]);
        let mut decoder = FrameDecoder::new(64 * 1024);
        while let Ok(Some(_)) = decoder.decode(&mut buf) {}
        replayed += 1;
    }
    assert!(replayed >= every_kind().len(), "{replayed} inputs in {}", dir.display());
}

/// Writes the corpus's seeds: one file per kind of frame. Run by hand after changing the
/// format: `FOUNDATION_WRITE_CORPUS=1 cargo test -p foundation --features cluster --test
/// cluster_wire write_the_corpus_seeds`.
#[test]
fn write_the_corpus_seeds() {
    if std::env::var_os("FOUNDATION_WRITE_CORPUS").is_none() {
        return;
    }
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/frame_decoder");
    std::fs::create_dir_all(&dir).unwrap();
    for (i, frame) in every_kind().iter().enumerate() {
        std::fs::write(dir.join(format!("seed-{i:02}")), encoded(frame)).unwrap();
    }
}

fn any_pid() -> impl Strategy<Value = WirePid> {
    (any::<u32>(), any::<u32>(), any::<u64>()).prop_map(|(node, creation, local)| WirePid {
        node,
        creation,
        local,
    })
}

fn any_frame() -> impl Strategy<Value = Frame> {
    prop_oneof![
        (".{0,40}", any::<u32>(), any::<u32>()).prop_map(|(name, node, creation)| Frame::Hello {
            name,
            node,
            creation
        }),
        Just(Frame::Tick),
        any::<u64>().prop_map(|bytes| Frame::Credit { bytes }),
        (
            proptest::option::of(any_pid()),
            any_pid(),
            proptest::collection::vec(any::<u8>(), 0..300)
        )
            .prop_map(|(from, to, payload)| Frame::Send { from, to, payload }),
        (any_pid(), any_pid(), ".{0,40}", any::<bool>()).prop_map(|(from, to, why, link)| {
            Frame::Exit { from, to, reason: WireReason::Error(why), link }
        }),
    ]
}

proptest! {
    #[test]
    fn any_frame_goes_and_comes_back(frame in any_frame()) {
        let mut buf = encoded(&frame);
        prop_assert_eq!(FrameDecoder::default().decode(&mut buf), Ok(Some(frame)));
        prop_assert!(buf.is_empty());
    }

    /// Random bytes, and real frames with bytes flipped or cut: an answer, never a panic, and
    /// never more buffered than the input.
    #[test]
    fn any_bytes_get_an_answer(
        noise in proptest::collection::vec(any::<u8>(), 0..200),
        frame in any_frame(),
        flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 0..4),
        cut in any::<usize>(),
    ) {
        let mut decoder = FrameDecoder::new(4096);
        let mut buf = BytesMut::from(&noise[..]);
        while let Ok(Some(_)) = decoder.decode(&mut buf) {}

        let mut bytes = encoded(&frame).to_vec();
        for (at, value) in flips {
            let at = at % bytes.len();
            bytes[at] ^= value;
        }
        bytes.truncate(cut % (bytes.len() + 1));
        let mut buf = BytesMut::from(&bytes[..]);
        let mut decoder = FrameDecoder::new(4096);
        while let Ok(Some(_)) = decoder.decode(&mut buf) {}
        prop_assert!(buf.capacity() <= bytes.len().max(4096) * 2);
    }
}
