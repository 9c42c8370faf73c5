//! A panic hook the user installed before the first node keeps working: the node's hook, which
//! notes where a process panicked, calls it after taking its note. (A test binary of its own:
//! the panic hook is global to the process.)

use std::panic;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

use foundation::{BoxError, Context, ExitReason, Node, Process};

/// Panics on every message, from a known line.
struct Crasher;

const PANIC_LINE: u32 = line!() + 6;

impl Process for Crasher {
    type Message = ();

    async fn handle(&mut self, _: &mut Context<()>, (): ()) -> Result<(), BoxError> {
        panic!("crash on purpose");
    }
}

#[tokio::test(start_paused = true)]
async fn a_user_hook_set_before_the_first_node_still_runs_and_the_location_is_kept() {
    let seen = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&seen);
    panic::set_hook(Box::new(move |info| {
        if info.payload().downcast_ref::<&str>() == Some(&"crash on purpose") {
            counted.fetch_add(1, SeqCst);
        }
    }));

    let node = Node::new().unwrap();
    let crasher = node.spawn(Crasher).unwrap();
    crasher.send(()).await.unwrap();
    let reason = crasher.exited().await;

    assert_eq!(seen.load(SeqCst), 1, "the user's hook saw the panic once");
    let ExitReason::Panicked(panic) = &reason else { panic!("{reason:?}") };
    assert_eq!(panic.message(), "crash on purpose");
    let at = panic.location().expect("the node's hook noted where");
    assert!(at.file().ends_with("process_panic_hook.rs"), "{at}");
    assert_eq!(at.line(), PANIC_LINE, "{at}");
}
