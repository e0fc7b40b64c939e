//! Running user callbacks so that nothing escapes: a panic, at the call or
//! at any poll, becomes a value with its message.

use std::any::Any;
use std::future::Future;
use std::panic::AssertUnwindSafe;

use futures_util::FutureExt;

/// Completes once `signal` turns true (or its sender is gone).
pub(crate) async fn signalled(signal: &mut tokio::sync::watch::Receiver<bool>) {
    let _ = signal.wait_for(|on| *on).await;
}

/// The text of a caught panic.
pub(crate) fn panic_message(panic: &(dyn Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_owned())
}

/// Calls `call` and runs the future it returns, catching a panic in
/// either: `Err` with the panic's message.
pub(crate) fn guarded<F: Future>(
    call: impl FnOnce() -> F,
) -> impl Future<Output = Result<F::Output, String>> {
    let started = std::panic::catch_unwind(AssertUnwindSafe(call));
    async move {
        match started {
            Ok(future) => AssertUnwindSafe(future)
                .catch_unwind()
                .await
                .map_err(|panic| panic_message(&*panic)),
            Err(panic) => Err(panic_message(&*panic)),
        }
    }
}

/// Calls a synchronous callback, catching a panic: `Err` with its message.
pub(crate) fn guarded_sync<T>(call: impl FnOnce() -> T) -> Result<T, String> {
    std::panic::catch_unwind(AssertUnwindSafe(call)).map_err(|panic| panic_message(&*panic))
}

/// An error and each of its `source()`s, outermost first.
fn sources<'a>(
    error: &'a (dyn std::error::Error + 'static),
) -> impl Iterator<Item = &'a (dyn std::error::Error + 'static)> {
    std::iter::successors(Some(error), |error| error.source())
}

/// An error and its `source()` chain, as one line: `outer: cause: root`.
pub(crate) fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut chain = sources(error);
    let mut text = chain.next().map(ToString::to_string).unwrap_or_default();
    for cause in chain {
        let cause_text = cause.to_string();
        // Errors that print their source already need it once.
        if !text.ends_with(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
    }
    text
}

/// An error and its `source()` chain, one entry each, outermost first.
pub(crate) fn error_lines(error: &(dyn std::error::Error + 'static)) -> Vec<String> {
    sources(error).map(ToString::to_string).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn panics_at_the_call_and_at_a_poll_are_caught() {
        let at_call = guarded(|| -> std::future::Ready<()> { panic!("at the call") }).await;
        assert_eq!(at_call, Err("at the call".to_owned()));
        let at_poll = guarded(|| async {
            tokio::task::yield_now().await;
            panic!("at poll {}", 2)
        })
        .await;
        assert_eq!(at_poll, Err::<(), _>("at poll 2".to_owned()));
        assert_eq!(guarded(|| async { 7 }).await, Ok(7));
        assert_eq!(
            guarded_sync(|| -> u8 { panic!("sync") }),
            Err("sync".to_owned())
        );
    }

    #[test]
    fn the_chain_names_every_cause_once() {
        #[derive(Debug, thiserror::Error)]
        #[error("could not store widget")]
        struct Outer(#[source] std::io::Error);
        let error = Outer(std::io::Error::other("disk full"));
        assert_eq!(error_chain(&error), "could not store widget: disk full");
    }
}
