//! Where a process panicked: a panic hook, chained in front of whatever hook was installed
//! before it, notes the location of each panic raised inside a process's poll; the run loop,
//! catching the panic, takes the note into the exit reason (OTP's crash reports always say
//! where a process crashed; `catch_unwind` alone gives only the payload).
//!
//! The hook is installed once, when the first node starts. It keeps the previous hook and
//! calls it after taking its note, so a hook the user set before keeps working (and the
//! default hook still prints the panic). A hook set after it replaces it: locations are then
//! unknown (`None`), nothing else changes. A note is taken only for the panic whose message
//! it carries, so a panic resumed with `resume_unwind` (which runs no hook) is never given an
//! older panic's location.

use std::cell::RefCell;
use std::panic::PanicHookInfo;
use std::sync::Once;

use crate::engine::current;
use crate::exit::PanicLocation;

thread_local! {
    /// The last panic raised in a process on this thread: its message and location.
    static LAST: RefCell<Option<(Option<String>, PanicLocation)>> = const { RefCell::new(None) };
}

static INSTALL: Once = Once::new();

/// Installs the hook, once per program.
pub(crate) fn install() {
    INSTALL.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            note(info);
            previous(info);
        }));
    });
}

fn note(info: &PanicHookInfo<'_>) {
    if !current::in_process() {
        return;
    }
    let Some(at) = info.location() else { return };
    let text = crate::exit::panic_text(info.payload()).map(String::from);
    let location = PanicLocation::new(at.file(), at.line(), at.column());
    let _ = LAST.try_with(|last| *last.borrow_mut() = Some((text, location)));
}

/// The location of the panic just caught on this thread, if its hook noted it; `text` is the
/// caught payload's message, which must match the note's.
pub(crate) fn take(text: Option<&str>) -> Option<PanicLocation> {
    let (noted, location) = LAST.try_with(|last| last.borrow_mut().take()).ok()??;
    (noted.as_deref() == text).then_some(location)
}
