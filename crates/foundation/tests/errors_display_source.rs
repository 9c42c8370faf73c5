//! The crate's error conventions, through the public API: one `ConfigError` shape for every
//! setting out of range, wherever it is found; "Display or source, never both" for every error
//! that wraps another (a reporter that walks `source()`, as anyhow does, prints each message
//! once); the lookup errors of `Node::ecosystem`; `Debug` of the send errors without
//! `M: Debug`.

use std::error::Error;
use std::time::Duration;

use foundation::ecosystem::{
    EcosystemConfig, EcosystemError, EcosystemSpec, LookupError, MemoryStrategy,
};
use foundation::memory::{IsolateError, Isolation, isolate, isolate_blocking};
use foundation::message::{CreditLink, CreditTrySendError, Credited, Overflow, RouteError};
use foundation::supervisor::{ChildSpec, RestartIntensity, SupervisorError, SupervisorSpec};
use foundation::{
    BoxError, ConfigError, Context, ExitReason, Node, Process, RegisterError, SendTimeoutError,
    SpawnError, TrySendError,
};

/// Idles; its `init` fails with `fail` when it has one.
#[derive(Default)]
struct Proc {
    fail: Option<&'static str>,
}

impl Process for Proc {
    type Message = ();

    async fn init(&mut self, _ctx: &mut Context<()>) -> Result<(), BoxError> {
        match self.fail {
            Some(why) => Err(why.into()),
            None => Ok(()),
        }
    }

    async fn handle(&mut self, _ctx: &mut Context<()>, (): ()) -> Result<(), BoxError> {
        Ok(())
    }
}

/// Takes credited messages, for a credit link.
struct Consumer;

impl Process for Consumer {
    type Message = Credited<()>;

    async fn handle(
        &mut self,
        _: &mut Context<Credited<()>>,
        _: Credited<()>,
    ) -> Result<(), BoxError> {
        Ok(())
    }
}

fn spec(config: EcosystemConfig) -> EcosystemSpec<Proc, Proc> {
    EcosystemSpec::new(config).coordinator(|_| Proc::default()).worker(|_| Proc::default())
}

/// The messages of `err` and of each of its sources, in order, as a reporter walks them.
fn chain(err: &(dyn Error + 'static)) -> Vec<String> {
    let mut messages = vec![err.to_string()];
    let mut source = err.source();
    while let Some(cause) = source {
        messages.push(cause.to_string());
        source = cause.source();
    }
    messages
}

/// What anyhow prints for `{:#}`: every message of the chain, joined by ": ".
fn report(err: &(dyn Error + 'static)) -> String {
    chain(err).join(": ")
}

/// No message is printed twice: each message of the chain occurs once in the report.
fn assert_each_message_once(err: &(dyn Error + 'static)) {
    let report = report(err);
    for message in chain(err) {
        assert_eq!(report.matches(message.as_str()).count(), 1, "{message:?} in {report:?}");
    }
}

/// The one shape: the message names the field, the value and the allowed values.
fn assert_config_shape(e: &ConfigError, field: &str, value: &str) {
    assert_eq!((e.field(), e.value()), (field, value), "{e}");
    assert!(!e.allowed().is_empty());
    let expected = format!("invalid `{field}` = {value}: allowed values are {}", e.allowed());
    assert_eq!(e.to_string(), expected);
    assert!(e.source().is_none());
}

/// A `Config` variant is transparent: it prints the `ConfigError` as its own and has no
/// source (a `ConfigError` has none).
fn assert_transparent(wrapper: &(dyn Error + 'static), e: &ConfigError) {
    assert_eq!(wrapper.to_string(), e.to_string());
    assert!(wrapper.source().is_none(), "{wrapper}");
    assert_eq!(chain(wrapper), [e.to_string()]);
}

#[tokio::test(start_paused = true)]
async fn every_setting_out_of_range_is_one_config_error_shape() {
    let node = Node::new().unwrap();
    let spawn_cases = [
        (node.process().mailbox_capacity(0).spawn(Proc::default()), "mailbox_capacity", "0"),
        (
            node.process().unbounded_mailbox().overflow(Overflow::Fail).spawn(Proc::default()),
            "overflow",
            "fail",
        ),
        (node.process().memory_limit(100).spawn(Proc::default()), "memory_limit", "100"),
    ];
    for (result, field, value) in spawn_cases {
        let err = result.unwrap_err();
        let SpawnError::Config(e) = &err else { panic!("{field}: {err:?}") };
        assert_config_shape(e, field, value);
        assert_transparent(&err, e);
    }
    let err = node.process().spawn_link(Proc::default()).unwrap_err();
    let SpawnError::Config(e) = &err else { panic!("{err:?}") };
    assert_eq!(e.field(), "spawn_link");
    assert_config_shape(e, "spawn_link", e.value());

    let err = isolate(Isolation::new().timeout(Duration::ZERO), || async {}).await.unwrap_err();
    let IsolateError::Config(e) = &err else { panic!("{err:?}") };
    assert_config_shape(e, "timeout", "0ns");
    assert_transparent(&err, e);
    let err = isolate_blocking(Isolation::new().memory_limit(0), || ()).await.unwrap_err();
    let IsolateError::Config(e) = &err else { panic!("{err:?}") };
    assert_config_shape(e, "memory_limit", "0");

    let zero_period = SupervisorSpec::new()
        .intensity(RestartIntensity::new(1, Duration::ZERO))
        .child(ChildSpec::worker("a", Proc::default));
    let twice = SupervisorSpec::new()
        .child(ChildSpec::worker("a", Proc::default))
        .child(ChildSpec::worker("a", Proc::default));
    for (spec, field, value) in
        [(zero_period, "intensity.period", "0ns"), (twice, "children[].id", "\"a\"")]
    {
        let err = node.spawn_supervisor(spec).await.unwrap_err();
        let SupervisorError::Config(e) = &err else { panic!("{field}: {err:?}") };
        assert_config_shape(e, field, value);
        assert_transparent(&err, e);
    }
    let sup = node.spawn_supervisor(SupervisorSpec::new()).await.unwrap();
    let err = sup.start_child(ChildSpec::worker("", Proc::default)).await.unwrap_err();
    let SupervisorError::Config(e) = &err else { panic!("{err:?}") };
    assert_config_shape(e, "id", "\"\"");

    let rx = node.spawn(Consumer).unwrap();
    let e = CreditLink::new(&rx, 0).unwrap_err();
    assert_config_shape(&e, "credits", "0");

    let idle = node.spawn(Proc::default()).unwrap();
    let e = node.send_interval(&idle, Duration::ZERO, || ()).unwrap_err();
    assert_config_shape(&e, "period", "0ns");

    let configs = [
        (EcosystemConfig::new("e").workers(0), "workers", "0"),
        (EcosystemConfig::new(" "), "name", "\" \""),
        (EcosystemConfig::new("e").mailbox_capacity(0), "mailbox_capacity", "0"),
        (
            EcosystemConfig::new("e").restart_intensity(RestartIntensity::new(1, Duration::ZERO)),
            "restart_period",
            "0ns",
        ),
        (EcosystemConfig::new("e").process_memory_limit(10), "process_memory_limit", "10"),
        (
            EcosystemConfig::new("e").memory_strategy(MemoryStrategy::SharedHeap),
            "memory_budget",
            "none",
        ),
        (EcosystemConfig::new("e").backlog_wait_limit(Duration::ZERO), "backlog_wait_limit", "0ns"),
    ];
    for (config, field, value) in configs {
        let e = config.validate().unwrap_err();
        assert_config_shape(&e, field, value);
        let err = node.spawn_ecosystem(spec(config)).await.unwrap_err();
        let EcosystemError::Config(wrapped) = &err else { panic!("{field}: {err:?}") };
        assert_eq!(wrapped, &e);
        assert_transparent(&err, &e);
    }
    let missing: EcosystemSpec<Proc, Proc> = EcosystemSpec::new(EcosystemConfig::new("e"));
    let err = node.spawn_ecosystem(missing).await.unwrap_err();
    let EcosystemError::Config(e) = &err else { panic!("{err:?}") };
    assert_config_shape(e, "coordinator", "none");

    let eco = node.spawn_ecosystem(spec(EcosystemConfig::new("e").workers(2))).await.unwrap();
    let err = eco.remove_workers(2).await.unwrap_err();
    let EcosystemError::Config(e) = &err else { panic!("{err:?}") };
    assert_config_shape(e, "workers", "0 (removing 2 of 2)");
    // Re-exported where it was: the same type.
    let _: &foundation::ecosystem::ConfigError = e;
    eco.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_child_that_fails_to_start_is_reported_once_per_message() {
    let node = Node::new().unwrap();
    let failing = || Proc { fail: Some("the disk is gone") };
    let spec = SupervisorSpec::new().child(ChildSpec::worker("a", failing));
    let err = node.spawn_supervisor(spec).await.unwrap_err();
    let SupervisorError::StartFailed { id, error } = &err else { panic!("{err:?}") };
    assert_eq!(id, "a");
    assert!(matches!(error, SpawnError::InitFailed(_)), "{error:?}");
    // Its own part in Display, the cause from source().
    assert_eq!(err.to_string(), "child `a` failed to start");
    assert_eq!(
        chain(&err),
        ["child `a` failed to start", "`init` failed: error: the disk is gone"]
    );
    assert_each_message_once(&err);

    // An exit reason carries an error with its whole chain, each message once.
    let reason = ExitReason::error(err.clone());
    assert_eq!(reason.to_string(), format!("error: {}", report(&err)));
    assert_eq!(reason.to_string().matches("the disk is gone").count(), 1);

    // An ecosystem whose member fails to start: `Supervisor` is transparent, the chain goes on.
    let spec = EcosystemSpec::new(EcosystemConfig::new("failing"))
        .coordinator(|_| Proc::default())
        .worker(move |_| failing());
    let eco_err = node.spawn_ecosystem(spec).await.unwrap_err();
    let EcosystemError::Supervisor(inner) = &eco_err else { panic!("{eco_err:?}") };
    assert_eq!(eco_err.to_string(), inner.to_string());
    assert!(matches!(inner, SupervisorError::StartFailed { .. }), "{inner:?}");
    assert_eq!(chain(&eco_err)[1..], chain(inner)[1..]);
    assert!(report(&eco_err).ends_with("`init` failed: error: the disk is gone"), "{eco_err:#?}");
    assert_each_message_once(&eco_err);
}

#[tokio::test(start_paused = true)]
async fn an_unavailable_supervisor_says_so_and_gives_the_call_error_as_its_source() {
    let node = Node::new().unwrap();
    let sup = node.spawn_supervisor(SupervisorSpec::new()).await.unwrap();
    node.stop(sup.pid(), Duration::from_secs(5)).await;
    let err = sup.which_children().await.unwrap_err();
    let SupervisorError::Unavailable(call) = &err else { panic!("{err:?}") };
    assert_eq!(err.to_string(), "the supervisor is unavailable");
    assert_eq!(chain(&err), [err.to_string(), call.to_string()]);
    assert!(call.to_string().contains(&sup.pid().to_string()), "{call}");
    assert_each_message_once(&err);
}

#[tokio::test(start_paused = true)]
async fn a_name_error_is_transparent_in_a_spawn_error_and_an_ecosystem_error() {
    let node = Node::new().unwrap();
    let holder = node.process().name("busy").spawn(Proc::default()).unwrap();
    let err = node.process().name("busy").spawn(Proc::default()).unwrap_err();
    let SpawnError::Name(name_err) = &err else { panic!("{err:?}") };
    assert_eq!(err.to_string(), name_err.to_string());
    assert!(err.to_string().contains(&holder.pid().to_string()), "{err}");
    assert!(err.source().is_none());
    assert_each_message_once(&err);

    let err = EcosystemError::Spawn(SpawnError::Name(RegisterError::EmptyName));
    assert_eq!(err.to_string(), "invalid `name` = \"\": allowed values are non-empty names");
    assert_eq!(chain(&err), [err.to_string()]);
    let err = EcosystemError::Spawn(SpawnError::ShuttingDown);
    assert_eq!(chain(&err), ["the node is shutting down"]);
}

#[tokio::test(start_paused = true)]
async fn node_ecosystem_fails_with_a_lookup_error() {
    let node = Node::new().unwrap();
    let eco = node.spawn_ecosystem(spec(EcosystemConfig::new("found"))).await.unwrap();
    assert!(node.ecosystem::<(), ()>("found").is_ok());

    let err = node.ecosystem::<(), ()>("nobody").unwrap_err();
    assert_eq!(err, LookupError::NoEcosystem { name: "nobody".into() });
    assert_eq!(err.to_string(), "no running ecosystem named \"nobody\"");
    assert!(err.source().is_none());

    let err = node.ecosystem::<u8, ()>("found").unwrap_err();
    let expected = LookupError::WrongMessageTypes {
        name: "found".into(),
        asked: ("u8", "()"),
        actual: ("()", "()"),
    };
    assert_eq!(err, expected);
    assert_eq!(
        err.to_string(),
        "ecosystem \"found\" has coordinator messages () and worker messages (), not u8 and ()"
    );
    let boxed: BoxError = err.into();
    assert!(boxed.downcast_ref::<LookupError>().is_some(), "a std error of its own");

    eco.shutdown().await;
    let err = node.ecosystem::<(), ()>("found").unwrap_err();
    assert!(matches!(err, LookupError::NoEcosystem { .. }), "{err}");

    let err = RouteError::NoWorker { name: "found".into() };
    assert_eq!(err.to_string(), "ecosystem \"found\" has no worker that can take messages");
}

/// A message type without `Debug`.
struct Opaque;

#[tokio::test(start_paused = true)]
async fn send_errors_show_their_outcome_without_the_message_being_debug() {
    let node = Node::new().unwrap();
    let p = node.spawn(Proc::default()).unwrap();
    assert!(node.kill(p.pid()));
    p.exited().await;
    let err = p.send(()).await.unwrap_err();
    assert_eq!(format!("{err:?}"), "SendError(sending to a process that has exited)");

    let debug = |e: &dyn std::fmt::Debug| format!("{e:?}");
    assert_eq!(debug(&TrySendError::Full(Opaque)), "TrySendError(the mailbox is at capacity)");
    let refused = "the mailbox is full and its overflow policy is to refuse (fail)";
    assert_eq!(debug(&TrySendError::Refused(Opaque)), format!("TrySendError({refused})"));
    assert_eq!(debug(&SendTimeoutError::Refused(Opaque)), format!("SendTimeoutError({refused})"));
    assert_eq!(
        debug(&SendTimeoutError::Timeout(Opaque)),
        "SendTimeoutError(the mailbox stayed at capacity until the timeout)"
    );
    assert_eq!(
        debug(&CreditTrySendError::NoCredit(Opaque)),
        "CreditTrySendError(no credit left on the link)"
    );
    // The same words for the same outcome, whichever way it was sent.
    assert_eq!(TrySendError::Refused(()).to_string(), SendTimeoutError::Refused(()).to_string());
    assert_eq!(TrySendError::Full(()).to_string(), CreditTrySendError::Full(()).to_string());
    assert_eq!(TrySendError::Closed(()).to_string(), err.to_string());
}
