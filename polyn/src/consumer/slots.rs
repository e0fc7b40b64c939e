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
    let take = slots.available_permits().min(max);
    if take == 0 || take < min.min(max) {
        return None;
    }
    slots
        .clone()
        .try_acquire_many_owned(u32::try_from(take).ok()?)
        .ok()
}

/// Waits for `min` free slots, then takes as many more as are free, up to
/// `max`, as one permit. `None` only if the semaphore was closed.
pub(super) async fn take_slots(
    slots: &Arc<Semaphore>,
    min: usize,
    max: usize,
) -> Option<OwnedSemaphorePermit> {
    let min = min.min(max);
    let mut permit = slots
        .clone()
        .acquire_many_owned(u32::try_from(min).unwrap_or(u32::MAX))
        .await
        .ok()?;
    if let Some(extra) = try_take_slots(slots, 1, max - min) {
        permit.merge(extra);
    }
    Some(permit)
}

/// One permit of the reserved ones, if any are left.
pub(super) fn take_one(
    reserved: &mut Option<OwnedSemaphorePermit>,
) -> Option<OwnedSemaphorePermit> {
    match reserved.as_ref()?.num_permits() {
        0 | 1 => reserved.take().filter(|permit| permit.num_permits() == 1),
        _ => reserved.as_mut()?.split(1),
    }
}

/// Gives back `count` of the reserved permits (all of them, if fewer).
pub(super) fn release(reserved: &mut Option<OwnedSemaphorePermit>, count: usize) {
    let Some(permit) = reserved.as_mut() else {
        return;
    };
    if count >= permit.num_permits() {
        *reserved = None;
    } else {
        drop(permit.split(count));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_permits_are_taken_one_by_one_and_released() {
        let slots = Arc::new(Semaphore::new(4));
        let mut reserved = try_take_slots(&slots, 1, 3);
        assert_eq!(slots.available_permits(), 1);
        let one = take_one(&mut reserved).expect("a permit");
        assert_eq!(one.num_permits(), 1);
        release(&mut reserved, 5);
        assert!(reserved.is_none());
        assert_eq!(slots.available_permits(), 3);
        assert!(take_one(&mut reserved).is_none());
        drop(one);
        assert_eq!(slots.available_permits(), 4);
    }

    #[test]
    fn an_empty_reservation_gives_no_permit() {
        let slots = Arc::new(Semaphore::new(2));
        let mut reserved = try_take_slots(&slots, 2, 2);
        let mut rest = reserved.as_mut().and_then(|p| p.split(2));
        assert_eq!(reserved.as_ref().map(|p| p.num_permits()), Some(0));
        assert!(take_one(&mut reserved).is_none(), "a permit of no slots");
        assert_eq!(take_one(&mut rest).map(|p| p.num_permits()), Some(1));
    }

    #[tokio::test]
    async fn take_slots_waits_for_the_minimum_then_takes_what_is_free() {
        let slots = Arc::new(Semaphore::new(5));
        let held = try_take_slots(&slots, 4, 4).expect("four");
        assert!(try_take_slots(&slots, 2, 3).is_none());
        drop(held);
        let permit = take_slots(&slots, 2, 3).await.expect("open");
        assert_eq!(permit.num_permits(), 3);
    }
}
