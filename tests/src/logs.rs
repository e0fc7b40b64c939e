//! Capturing what a test logs through `tracing`, at every level, to assert
//! on it: that a line was written (a signal that something happened) or
//! that no line shows a secret.

use std::sync::{Arc, Mutex};

use tokio::sync::Notify;
use tracing_subscriber::util::SubscriberInitExt;

/// Everything logged while its subscriber is the thread's default, as text.
///
/// On a single-threaded Tokio runtime (the `#[tokio::test]` default) the
/// thread's default subscriber sees what every task logs, async-nats's
/// connection tasks included.
#[derive(Clone, Default)]
pub struct Captured(Arc<(Mutex<Vec<u8>>, Notify)>);

impl Captured {
    /// Makes a TRACE-level subscriber writing here the thread's default,
    /// until the guard is dropped.
    pub fn install() -> (Captured, tracing::dispatcher::DefaultGuard) {
        let captured = Captured::default();
        let guard = tracing_subscriber::fmt()
            .with_max_level(tracing_subscriber::filter::LevelFilter::TRACE)
            .with_writer(captured.clone())
            .with_ansi(false)
            .set_default();
        (captured, guard)
    }

    /// What was logged so far.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.0.lock().expect("log buffer")).into_owned()
    }

    /// Waits (at most `limit`) until a line containing `needle` was
    /// logged; whether one was.
    pub async fn until_logged(&self, needle: &str, limit: std::time::Duration) -> bool {
        let wait = async {
            loop {
                let written = self.0.1.notified();
                if self.text().contains(needle) {
                    return;
                }
                written.await;
            }
        };
        tokio::time::timeout(limit, wait).await.is_ok()
    }
}

impl std::io::Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .0
            .lock()
            .expect("log buffer")
            .extend_from_slice(bytes);
        self.0.1.notify_waiters();
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;

    fn make_writer(&'a self) -> Captured {
        self.clone()
    }
}
