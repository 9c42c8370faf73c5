//! Running heavy work away from the caller: its own memory account, a memory cap, a timeout,
//! and panic isolation (the spec's `isolate_memory_intensive_work`).

use std::fmt;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use pin_project_lite::pin_project;

use crate::memory::accounts::{self, ChargeTo};
use crate::{ConfigError, ExitReason};

/// Limits for [`isolate`] and [`isolate_blocking`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Isolation {
    /// Give up after this long (`None`: no limit).
    pub timeout: Option<Duration>,
    /// End the work once it holds more than this many bytes (`None`: no cap). Needs the
    /// [`AccountingAllocator`](super::AccountingAllocator).
    pub memory_limit: Option<u64>,
}

impl Isolation {
    /// No timeout, no cap.
    pub fn new() -> Self {
        Isolation::default()
    }

    /// Sets the timeout; zero is rejected when the work starts.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Sets the memory cap; zero is rejected when the work starts.
    pub fn memory_limit(mut self, bytes: u64) -> Self {
        self.memory_limit = Some(bytes);
        self
    }

    /// Opens the work's account: its own, or the runtime's when none is free and the work
    /// has no cap.
    fn account(&self) -> Result<u64, IsolateError> {
        match accounts::open() {
            Some(account) => Ok(account),
            None if self.memory_limit.is_some() => {
                Err(IsolateError::NoMemoryAccount { in_use: accounts::capacity() })
            }
            None => Ok(accounts::RUNTIME),
        }
    }

    fn validate(&self) -> Result<(), ConfigError> {
        if let Some(timeout) = self.timeout
            && timeout.is_zero()
        {
            return Err(ConfigError::new(
                "timeout",
                format_args!("{timeout:?}"),
                "durations above zero",
            ));
        }
        if self.memory_limit == Some(0) {
            return Err(ConfigError::new("memory_limit", 0, "1 byte or more"));
        }
        Ok(())
    }
}

/// Why isolated work returned no value.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum IsolateError {
    /// It panicked; the panic's message.
    Panicked(Arc<str>),
    /// It ran past its timeout.
    Timeout(Duration),
    /// It held more than its cap.
    MemoryLimit {
        /// The cap, in bytes.
        limit: u64,
        /// What it held when checked, in bytes.
        held: u64,
    },
    /// A limit was out of range (a zero `timeout` or `memory_limit`); the work did not run.
    /// Transparent: prints the [`ConfigError`] as its own.
    Config(ConfigError),
    /// A `memory_limit` was asked for but every memory account is in use, so the work's
    /// memory could not be measured; it did not run. Work without a cap still runs (on the
    /// runtime's account). See [`memory`](crate::memory#when-every-account-is-in-use).
    NoMemoryAccount {
        /// Accounts open, all of them: the installed allocator's
        /// [`max_accounts`](super::AccountingAllocator::with_max_accounts).
        in_use: usize,
    },
}

impl fmt::Display for IsolateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IsolateError::Panicked(m) => write!(f, "isolated work panicked: {m}"),
            IsolateError::Timeout(t) => write!(f, "isolated work ran past its timeout of {t:?}"),
            IsolateError::MemoryLimit { limit, held } => {
                write!(f, "isolated work held {held} bytes, over its cap of {limit}")
            }
            IsolateError::Config(e) => fmt::Display::fmt(e, f),
            IsolateError::NoMemoryAccount { in_use } => write!(
                f,
                "no memory account is free for `memory_limit` (all {in_use} in use): run \
                 without a cap, or allow more with `AccountingAllocator::with_max_accounts`"
            ),
        }
    }
}

impl std::error::Error for IsolateError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            IsolateError::Config(e) => std::error::Error::source(e),
            _ => None,
        }
    }
}

impl From<ConfigError> for IsolateError {
    fn from(e: ConfigError) -> Self {
        IsolateError::Config(e)
    }
}

fn panicked(payload: &(dyn std::any::Any + Send)) -> IsolateError {
    match ExitReason::from_panic(payload) {
        ExitReason::Panicked(panic) => IsolateError::Panicked(Arc::from(panic.to_string())),
        other => IsolateError::Panicked(Arc::from(other.to_string())),
    }
}

pin_project! {
    /// Work charged to its own account, capped and panic-isolated at each poll.
    struct Isolated<F> {
        account: u64,
        limit: Option<u64>,
        #[pin]
        inner: F,
    }
}

impl<F: Future> Future for Isolated<F> {
    type Output = Result<F::Output, IsolateError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let polled = {
            let _charged = ChargeTo::new(*this.account);
            let inner = this.inner;
            catch_unwind(AssertUnwindSafe(|| inner.poll(cx)))
        };
        match polled {
            Err(payload) => Poll::Ready(Err(panicked(&*payload))),
            Ok(Poll::Ready(value)) => Poll::Ready(Ok(value)),
            Ok(Poll::Pending) => match over(*this.account, *this.limit) {
                Some(err) => Poll::Ready(Err(err)),
                None => Poll::Pending,
            },
        }
    }
}

fn over(account: u64, limit: Option<u64>) -> Option<IsolateError> {
    let limit = limit?;
    let held = accounts::live(account)?;
    (held > limit).then_some(IsolateError::MemoryLimit { limit, held })
}

/// Closes the work's account when dropped: with the work itself, when it ends, is aborted, or
/// is dropped before it ever ran. What it still holds then moves to the runtime account.
struct Closing(u64);

impl Drop for Closing {
    fn drop(&mut self) {
        accounts::close(self.0);
    }
}

/// Aborts the work's task when the caller stops waiting for it (its future is dropped, or the
/// timeout elapsed). A no-op once the task has ended.
struct AbortOnDrop(tokio::task::AbortHandle);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Waits for the isolated task, within `timeout` if there is one. Dropping this future aborts
/// the task (work on the blocking pool that has not started never starts).
async fn joined<T>(
    task: tokio::task::JoinHandle<Result<T, IsolateError>>,
    timeout: Option<Duration>,
) -> Result<T, IsolateError> {
    let _abort = AbortOnDrop(task.abort_handle());
    let outcome = match timeout {
        Some(timeout) => match tokio::time::timeout(timeout, task).await {
            Ok(joined) => joined,
            Err(_) => return Err(IsolateError::Timeout(timeout)),
        },
        None => task.await,
    };
    match outcome {
        Ok(result) => result,
        Err(join) if join.is_panic() => Err(panicked(&*join.into_panic())),
        Err(_) => Err(IsolateError::Panicked(Arc::from("isolated work was cancelled"))),
    }
}

/// Runs async work on its own task, with its own memory account, and returns its value.
///
/// Its allocations are charged to its own account, not the caller's; a panic comes back as
/// [`IsolateError::Panicked`]; past the timeout or over the memory cap (checked after every
/// poll: the overshoot is one poll's allocations) the work is dropped, which frees what it
/// held, and the error says why. Its account is closed when the work ends: the value it
/// returns moves to the runtime account with whatever else it still holds, so the caller's
/// figure does not move.
///
/// With a [`memory_limit`](Isolation::memory_limit) and no account free, the work does not run
/// ([`IsolateError::NoMemoryAccount`]).
///
/// Must be called within a tokio runtime.
///
/// # Cancel safety
///
/// Dropping the returned future (in a `select!`, or under a `timeout`) loses the work's value,
/// but leaves nothing behind: the work's task is aborted, so the work is dropped at its next
/// `.await` (or never starts), which frees what it held, and its account is closed.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use foundation::memory::{Isolation, isolate};
/// let sum = isolate(Isolation::new(), || async { (1..=10_000u64).sum::<u64>() }).await;
/// assert_eq!(sum, Ok(50_005_000));
/// # }
/// ```
pub async fn isolate<T, Fut, W>(limits: Isolation, work: W) -> Result<T, IsolateError>
where
    W: FnOnce() -> Fut + Send + 'static,
    Fut: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    limits.validate()?;
    let account = limits.account()?;
    let closing = Closing(account);
    let task = {
        let _charged = ChargeTo::new(account);
        tokio::spawn(async move {
            let _closing = closing;
            let work = catch_unwind(AssertUnwindSafe(work)).map_err(|p| panicked(&*p))?;
            Isolated { account, limit: limits.memory_limit, inner: work }.await
        })
    };
    joined(task, limits.timeout).await
}

/// Runs blocking work on tokio's blocking pool, with its own memory account.
///
/// As [`isolate`], with two differences a thread imposes: blocking work cannot be stopped once
/// it runs, so past the timeout the error comes back at once but the work runs on until it
/// ends (then frees what it held, and its account closes); and the memory cap is checked when
/// the work ends, so an over-cap run returns [`IsolateError::MemoryLimit`] (its value dropped)
/// instead of being cut short. For a hard cap, use async work with [`isolate`].
///
/// # Cancel safety
///
/// Dropping the returned future loses the work's value. Work that has not started on the
/// blocking pool yet never starts (its account closes at once); work already running on its
/// thread cannot be stopped: it runs to its end, and its account closes then (what it still
/// holds moves to the runtime account).
pub async fn isolate_blocking<T, W>(limits: Isolation, work: W) -> Result<T, IsolateError>
where
    W: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    limits.validate()?;
    let account = limits.account()?;
    let closing = Closing(account);
    let task = tokio::task::spawn_blocking(move || {
        let _closing = closing;
        let _charged = ChargeTo::new(account);
        let value = catch_unwind(AssertUnwindSafe(work)).map_err(|p| panicked(&*p))?;
        let peak = accounts::peak(account);
        match (limits.memory_limit, peak) {
            (Some(limit), Some(held)) if held > limit => {
                drop(value);
                Err(IsolateError::MemoryLimit { limit, held })
            }
            _ => Ok(value),
        }
    });
    joined(task, limits.timeout).await
}
