//! # Foundation
//!
//! BEAM-style processes for Rust: lightweight, isolated, linked and monitored, supervised and
//! observable, on top of tokio.
//!
//! ## A tour
//!
//! - A **process** is a value implementing [`Process`]: its state plus `async` handlers. The
//!   node runs it as a tokio task with its own bounded mailbox and hands each handler a
//!   [`Context`].
//! - A **[`Node`]** owns processes: it spawns them ([`Node::spawn`], [`Node::process`] for
//!   options), reports on them ([`Node::process_info`]), stops or kills them, keeps the name
//!   [`Registry`] and process [`Groups`], and shuts everything down in order.
//! - A **[`ProcessRef<M>`]** is a typed address: `send`, `try_send`, `send_timeout`, and `call`
//!   for request/reply. A [`Pid`] identifies a process and names its node.
//! - **Links, monitors and exit trapping** follow Erlang: see [`process`] for the rules.
//! - Every end of a process is a typed [`ExitReason`]; a panic in a handler becomes
//!   [`ExitReason::Panicked`] and never takes a thread or another process with it.
//! - **Supervisors** restart failed processes with OTP's strategies and defaults: see
//!   [`supervisor`] and [`Node::spawn_supervisor`]. A supervised process keeps its address,
//!   and the messages waiting in its mailbox, across restarts.
//! - **Ecosystems** ([`ecosystem`], [`Node::spawn_ecosystem`]): a coordinator and its workers
//!   under one supervisor, self-healing, with stable addresses, coordinator snapshots, tree,
//!   mesh and ring topologies, an acknowledge protocol for work, `info` and `health`.
//! - **Memory** ([`memory`]): install [`memory::AccountingAllocator`] and every process's memory
//!   is measured, limits end only the offender, ecosystems can share a budget, and
//!   [`memory::isolate`] runs heavy work on its own account.
//! - **Messages** ([`message`]): payloads shared by reference count ([`message::Binary`]),
//!   overflow policies that never drop silently ([`message::Overflow`]), credit-based flow
//!   between two processes ([`message::CreditLink`]), broadcast to addresses, groups, workers
//!   or topology neighbours, per-process and per-ecosystem analytics
//!   ([`message::MessageStats`]), and addressing another ecosystem by name
//!   ([`Node::ecosystem`], [`message::Route`]).
//! - **Telemetry** ([`telemetry`]): the spec's ecosystem events to observers attached at run
//!   time, to `tracing`, and to the `metrics` facade.
//! - **Timers**: [`Context::send_after`], [`Context::send_interval`].
//!
//! ```
//! use foundation::{BoxError, Context, Node, Process, ReplyTo};
//!
//! enum Msg {
//!     Add(u64),
//!     Total(ReplyTo<u64>),
//! }
//!
//! struct Counter(u64);
//!
//! impl Process for Counter {
//!     type Message = Msg;
//!
//!     async fn handle(&mut self, _ctx: &mut Context<Msg>, msg: Msg) -> Result<(), BoxError> {
//!         match msg {
//!             Msg::Add(n) => self.0 += n,
//!             Msg::Total(reply) => {
//!                 let _ = reply.reply(self.0);
//!             }
//!         }
//!         Ok(())
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), BoxError> {
//! let node = Node::new()?;
//! let counter = node.spawn(Counter(0))?;
//! counter.send(Msg::Add(2)).await?;
//! counter.send(Msg::Add(40)).await?;
//! assert_eq!(counter.call(Msg::Total).await?, 42);
//! node.shutdown(std::time::Duration::from_secs(5)).await;
//! # Ok(()) }
//! ```
//!
//! ## Where each concept lives
//!
//! | concept | start here | module docs on |
//! | --- | --- | --- |
//! | a process, its mailbox, `send`/`call`, links, monitors, trapping exits | [`Process`], [`ProcessRef`], [`Context`] | [`process`]: ordering, backpressure, panics, cancel safety, shutdown |
//! | the node: spawning, names, groups, shutdown | [`Node`], [`Registry`], [`Groups`] | [`node`], [`registry`] |
//! | why a process ended | [`ExitReason`], [`Down`] | [`process`] (links and monitors) |
//! | supervisors: strategies, intensity, child specs, shutdown order | [`supervisor::SupervisorSpec`] | [`supervisor`] |
//! | ecosystems: coordinator and workers, topologies, snapshots, work, health | [`ecosystem::EcosystemSpec`], [`ecosystem::EcosystemConfig`] | [`ecosystem`] |
//! | messages: shared payloads, overflow, credits, broadcast, routing, analytics | [`message::Binary`], [`message::Overflow`], [`message::CreditLink`] | [`message`] |
//! | memory: accounts, limits, budgets, isolation | [`memory::AccountingAllocator`], [`memory::isolate`] | [`memory`] |
//! | telemetry: events, observers, `tracing`, metrics | [`telemetry::Event`], [`telemetry::Recorder`] | [`telemetry`] |
//! | timers | [`Context::send_after`], [`TimerRef`] | [`timer`] |
//! | errors: one type per operation, one [`ConfigError`] for every setting out of range | [`SpawnError`], [`SendError`], [`CallError`] | each type's docs |
//!
//! Coming from Erlang or Elixir? `docs/COMING_FROM_ERLANG.md` in the repository puts each OTP
//! concept beside its counterpart here, with every difference we made on purpose.
//!
//! How the modules depend on each other (and what must never import what) is drawn in
//! `docs/ARCHITECTURE.md` in the repository, and checked in CI.
//!
//! ## Feature flags
//!
//! The core (processes, supervisors, ecosystems, registry, messages, telemetry to observers
//! and `tracing`, timers, [`memory::isolate`]) is always there. Three features add to it, on
//! by default (turn them off with `default-features = false` and pick what you need, as with
//! tokio), and one more is off by default:
//!
//! | feature | what it adds | default |
//! | --- | --- | --- |
//! | `accounting-allocator` | [`memory::AccountingAllocator`] and the table of accounts it charges: per-process memory measured, memory limits and shared budgets enforced. Without it every memory figure is `None` (see [`memory`](memory#without-the-accounting-allocator-feature)) and the crate has no unsafe code. | yes |
//! | `metrics` | The [telemetry](telemetry#metrics) counted through the [`metrics`](https://docs.rs/metrics) facade, for any recorder you install (a Prometheus exporter, say). Without it observers and `tracing` still get every event. | yes |
//! | `serde` | `Serialize` and `Deserialize` for the configuration types: [`ecosystem::EcosystemConfig`] (durations as `"5s"`, through `humantime-serde`) and its enums, and [`message::Overflow`]. | yes |
//! | `cluster` | Nodes on several machines ([`cluster`]): remote `ProcessRef`s, calls, links and monitors over mutual TLS, SWIM membership, `noconnection` on loss. Adds `serde`, `tokio-util`, `postcard`, `tokio-rustls`, `foca`. | no |
//!
//! The `foundation` command-line tool enables `accounting-allocator` and `serde`. Later parts
//! (the dashboard, the services) will come as features of their own.
//!
//! ## Minimum supported Rust version
//!
//! Rust 1.88, the workspace's `rust-version`: the code uses `let` chains (stable since 1.88),
//! and CI checks the workspace with that toolchain. Raising it is a change worth a changelog
//! line.

#![cfg_attr(docsrs, feature(doc_cfg))]
// A doctest is an example users copy: it must compile without warnings.
#![doc(test(attr(deny(warnings))))]

#[cfg(feature = "cluster")]
#[cfg_attr(docsrs, doc(cfg(feature = "cluster")))]
pub mod cluster;
mod deadline;
pub mod ecosystem;
mod engine;
mod error;
mod exit;
pub mod memory;
pub mod message;
pub mod node;
mod pid;
pub mod process;
pub mod registry;
pub mod supervisor;
pub mod telemetry;
pub mod timer;

pub use error::{
    CallError, ConfigError, LinkError, NodeError, RegisterError, SendError, SendTimeoutError,
    SpawnError, TrySendError,
};
pub use exit::{BoxError, Down, ExitReason, Panic, PanicLocation};
pub use node::{Node, ShutdownReport};
pub use pid::{MonitorRef, Pid};
pub use process::{
    Context, DEFAULT_CALL_TIMEOUT, DEFAULT_MAILBOX_CAPACITY, Process, ProcessBuilder, ProcessInfo,
    ProcessRef, ProcessStatus, ReplyTo, WeakProcessRef,
};
pub use registry::{Groups, Name, Registry};
#[allow(deprecated)]
pub use timer::TimerError;
pub use timer::TimerRef;

/// The README's example, compiled and run as a doctest so that it stays true.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
struct ReadmeExample;
