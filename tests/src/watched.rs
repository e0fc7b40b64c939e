//! [`Watched`]: state that handlers change and a test waits on.
//!
//! A consumer's handlers run on tasks of their own; the test needs to know
//! when they have done enough (to stop the consumer, or to assert). `Watched`
//! pairs the shared value with a wake-up, so the test waits for a condition
//! instead of polling or sleeping.

use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::Notify;

/// A shared value: [`update`](Self::update) changes it and wakes whoever waits
/// in [`until`](Self::until) for a condition on it. Clones share the value.
///
/// ```
/// use polyn_tests::Watched;
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let handled = Watched::new(0_usize);
/// let worker = tokio::spawn({
///     let handled = handled.clone();
///     async move {
///         for _ in 0..3 {
///             handled.update(|n| *n += 1);
///         }
///     }
/// });
/// handled.until(|n| *n == 3).await;
/// worker.await.unwrap();
/// # });
/// ```
#[derive(Debug, Default)]
pub struct Watched<T> {
    shared: Arc<(Mutex<T>, Notify)>,
}

impl<T> Clone for Watched<T> {
    fn clone(&self) -> Self {
        Self {
            shared: self.shared.clone(),
        }
    }
}

impl<T> Watched<T> {
    /// Starts watching `value`.
    pub fn new(value: T) -> Self {
        Self {
            shared: Arc::new((Mutex::new(value), Notify::new())),
        }
    }

    /// Changes the value with `change`, then wakes every waiter.
    pub fn update<R>(&self, change: impl FnOnce(&mut T) -> R) -> R {
        let result = change(&mut self.lock());
        self.shared.1.notify_waiters();
        result
    }

    /// Reads the value with `read`.
    pub fn read<R>(&self, read: impl FnOnce(&T) -> R) -> R {
        read(&self.lock())
    }

    /// Resolves once `condition` holds for the value; checked now and after
    /// every [`update`](Self::update).
    pub async fn until(&self, condition: impl Fn(&T) -> bool) {
        loop {
            // Registered before the check, so an update between the check
            // and the wait still wakes it.
            let updated = self.shared.1.notified();
            if self.read(&condition) {
                return;
            }
            updated.await;
        }
    }

    fn lock(&self) -> MutexGuard<'_, T> {
        // A panicking handler must not hide what the others recorded.
        self.shared
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl<T: Clone> Watched<T> {
    /// A copy of the value.
    pub fn get(&self) -> T {
        self.read(T::clone)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn until_returns_at_once_when_the_condition_already_holds() {
        let watched = Watched::new(5);
        tokio::time::timeout(Duration::from_secs(1), watched.until(|n| *n == 5))
            .await
            .expect("no wait");
    }

    #[tokio::test]
    async fn until_wakes_on_the_update_that_makes_the_condition_true() {
        let watched = Watched::new(Vec::new());
        let waiter = tokio::spawn({
            let watched = watched.clone();
            async move { watched.until(|v: &Vec<u32>| v.len() == 2).await }
        });
        watched.update(|v| v.push(1));
        tokio::task::yield_now().await;
        assert!(!waiter.is_finished(), "one item is not enough");
        watched.update(|v| v.push(2));
        tokio::time::timeout(Duration::from_secs(1), waiter)
            .await
            .expect("woken")
            .expect("task");
        assert_eq!(watched.get(), [1, 2]);
    }
}
