//! A bounded pool. `acquire` waits for a free item (blocking with a timeout,
//! or as a future); `try_acquire` fails at once with `PoolExhausted`. Items
//! go back when their [`Pooled`] guard drops, on any thread.

use std::future::Future;
use std::ops::{Deref, DerefMut};
use std::pin::Pin;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use crate::{BuffersError, Result};

#[derive(Debug)]
pub struct Pool<T> {
    shared: Arc<Shared<T>>,
}

impl<T> Clone for Pool<T> {
    fn clone(&self) -> Self {
        Self {
            shared: Arc::clone(&self.shared),
        }
    }
}

#[derive(Debug)]
struct Shared<T> {
    state: Mutex<State<T>>,
    returned: Condvar,
    capacity: usize,
}

#[derive(Debug)]
struct State<T> {
    free: Vec<T>,
    wakers: Vec<Waker>,
}

/// An item out of its pool; it goes back when this drops.
#[derive(Debug)]
pub struct Pooled<T> {
    item: Option<T>,
    shared: Arc<Shared<T>>,
}

impl<T> Pool<T> {
    /// A pool holding `items`.
    pub fn new(items: Vec<T>) -> Self {
        let capacity = items.len();
        Self {
            shared: Arc::new(Shared {
                state: Mutex::new(State {
                    free: items,
                    wakers: Vec::new(),
                }),
                returned: Condvar::new(),
                capacity,
            }),
        }
    }

    pub fn capacity(&self) -> usize {
        self.shared.capacity
    }

    /// Items not in use now.
    pub fn available(&self) -> usize {
        self.shared.lock().free.len()
    }

    fn take(&self, state: &mut State<T>) -> Option<Pooled<T>> {
        state.free.pop().map(|item| Pooled {
            item: Some(item),
            shared: Arc::clone(&self.shared),
        })
    }

    pub fn try_acquire(&self) -> Result<Pooled<T>> {
        let mut state = self.shared.lock();
        self.take(&mut state).ok_or(BuffersError::PoolExhausted {
            capacity: self.shared.capacity,
        })
    }

    /// Waits up to `timeout` for a free item.
    pub fn acquire_timeout(&self, timeout: Duration) -> Result<Pooled<T>> {
        let deadline = Instant::now() + timeout;
        let mut state = self.shared.lock();
        loop {
            if let Some(item) = self.take(&mut state) {
                return Ok(item);
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(BuffersError::AcquireTimeout {
                    ms: u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX),
                    capacity: self.shared.capacity,
                });
            }
            state = self
                .shared
                .returned
                .wait_timeout(state, left)
                .map_or_else(|e| e.into_inner().0, |(g, _)| g);
        }
    }

    /// Resolves with a free item, waiting as long as it takes.
    pub fn acquire(&self) -> Acquire<T> {
        Acquire { pool: self.clone() }
    }
}

impl<T> Shared<T> {
    fn lock(&self) -> MutexGuard<'_, State<T>> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The future of [`Pool::acquire`].
#[derive(Debug)]
pub struct Acquire<T> {
    pool: Pool<T>,
}

impl<T> Future for Acquire<T> {
    type Output = Pooled<T>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut state = self.pool.shared.lock();
        match self.pool.take(&mut state) {
            Some(item) => Poll::Ready(item),
            None => {
                if !state.wakers.iter().any(|w| w.will_wake(cx.waker())) {
                    state.wakers.push(cx.waker().clone());
                }
                Poll::Pending
            }
        }
    }
}

impl<T> Deref for Pooled<T> {
    type Target = T;
    fn deref(&self) -> &T {
        // `item` is only `None` inside `drop`.
        #[allow(clippy::unwrap_used)]
        self.item.as_ref().unwrap()
    }
}

impl<T> DerefMut for Pooled<T> {
    fn deref_mut(&mut self) -> &mut T {
        #[allow(clippy::unwrap_used)]
        self.item.as_mut().unwrap()
    }
}

impl<T> Drop for Pooled<T> {
    fn drop(&mut self) {
        let Some(item) = self.item.take() else { return };
        let wakers = {
            let mut state = self.shared.lock();
            state.free.push(item);
            // Wake every waiter: one that was dropped must not strand the rest.
            std::mem::take(&mut state.wakers)
        };
        self.shared.returned.notify_one();
        wakers.into_iter().for_each(Waker::wake);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_and_returns_on_drop() -> Result<()> {
        let pool = Pool::new(vec![1, 2]);
        let a = pool.try_acquire()?;
        let b = pool.try_acquire()?;
        assert_eq!(
            pool.try_acquire().err(),
            Some(BuffersError::PoolExhausted { capacity: 2 })
        );
        assert!(matches!(
            pool.acquire_timeout(Duration::from_millis(20)),
            Err(BuffersError::AcquireTimeout { .. })
        ));
        let waiter = {
            let pool = pool.clone();
            std::thread::spawn(move || pool.acquire_timeout(Duration::from_secs(5)).map(|p| *p))
        };
        std::thread::sleep(Duration::from_millis(20));
        drop(a);
        assert!(waiter
            .join()
            .map_err(|_| BuffersError::PoolExhausted { capacity: 0 })?
            .is_ok());
        drop(b);
        assert_eq!(pool.available(), 2);
        Ok(())
    }
}
