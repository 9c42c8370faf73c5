//! Nodes on several machines (the `cluster` feature): **in progress**.
//!
//! The plan is Erlang's distribution on proven crates: one ordered, mutually authenticated TLS
//! connection per pair of nodes (tokio-util framing, tokio-rustls), membership and failure
//! detection from an existing crate behind a trait of our own, and remote processes behind the
//! same `ProcessRef`, links and monitors as local ones, a lost node being a
//! [`NoConnection`](crate::ExitReason::NoConnection) exit.
//!
//! What exists so far is the wire format ([`wire`]): the frames two nodes exchange, with a
//! version byte, a size limit checked before anything is buffered, and a decoder that answers
//! any input, however malformed, with a typed error (it is property-tested and fuzzed). The
//! transport, membership and remote addresses build on it; the decisions and the plan are in
//! `docs/CLUSTER.md`.

pub mod wire;
