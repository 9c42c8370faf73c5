//! Small processes that several test files spawn as they are.

use foundation::{BoxError, Context, Process};

/// A process whose handler panics while building its future: a `fn handle` returning
/// `impl Future`, with synchronous work before the `async` block. A panic there is still a
/// panic in the handler (the process ends with `Panicked`), and must not hold up a shutdown.
pub(crate) struct PanicsBeforeItsFuture;

impl Process for PanicsBeforeItsFuture {
    type Message = ();

    #[allow(clippy::manual_async_fn)]
    fn handle(
        &mut self,
        _ctx: &mut Context<()>,
        _msg: (),
    ) -> impl std::future::Future<Output = Result<(), BoxError>> + Send {
        panic!("while building the handler's future");
        #[allow(unreachable_code)]
        async {
            Ok(())
        }
    }
}
