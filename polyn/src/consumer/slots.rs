//! Slots: one semaphore permit per message in flight or asked for.

use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Takes at least `min` and up to `max` free slots as one permit, if `min`
/// are free now.
pub(super) fn try_take_slots(
    slots: &Arc<Semaphore>,
    min: usize,
    max: usize,
) -> Option<OwnedSemaphorePermit> {
    let free = slots.available_permits();
    if free < min.min(max) {
        return None;
    }
    let take = u32::try_from(free.min(max)).ok()?;
    slots.clone().try_acquire_many_owned(take).ok()
}

/// Waits for `min` free slots, then takes as many more as are free, up to
/// `max`, as one permit. `None` only if the semaphore was closed.
pub(super) async fn take_slots(
    slots: &Arc<Semaphore>,
    min: usize,
    max: usize,
) -> Option<OwnedSemaphorePermit> {
    let min = u32::try_from(min.min(max)).unwrap_or(u32::MAX);
    let mut permit = slots.clone().acquire_many_owned(min).await.ok()?;
    let more = slots
        .available_permits()
        .min(max.saturating_sub(permit.num_permits()));
    if let Ok(extra) = u32::try_from(more)
        && extra > 0
        && let Ok(extra) = slots.clone().try_acquire_many_owned(extra)
    {
        permit.merge(extra);
    }
    Some(permit)
}

/// One permit of the reserved ones, if any are left.
pub(super) fn take_one(
    reserved: &mut Option<OwnedSemaphorePermit>,
) -> Option<OwnedSemaphorePermit> {
    let permit = reserved.as_mut()?;
    if permit.num_permits() > 1 {
        permit.split(1)
    } else {
        reserved.take()
    }
}
