//! A bounded pool. `acquire` waits for a free item (blocking with a timeout,
//! or as a future); `try_acquire` fails at once with `PoolExhausted`. Items
//! go back when their [`Pooled`] guard drops, on any thread.
//!
//! Waiters are served first come, first served: a returned item is handed
//! to the oldest waiter, never to a newcomer. At most [`MAX_WAITERS`] wait
//! at once (more is `QueueFull`). A waiter that gives up (its future
//! dropped, its timeout passed) leaves the queue and never takes an item
//! afterwards; one handed to it meanwhile goes on to the next waiter.
//!
//! A pool can also start empty and be filled from another thread
//! ([`Pool::filling`], [`Filler`]): its items arrive one by one and go to
//! waiters in turn. Should the filling fail before a single item arrived,
//! every waiter, and every later caller, gets that error instead of a wait
//! that could never end.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::ops::{Deref, DerefMut};
use std::pin::Pin;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, Weak};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use crate::{BuffersError, Result};

/// Waiters one pool queues at most: a caller that never releases its
/// buffers must not grow memory without bound.
pub const MAX_WAITERS: usize = 1024;

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
struct Ticket {
    id: u64,
    /// A future's waker; `None` for a thread waiting on the condvar.
    waker: Option<Waker>,
}

#[derive(Debug)]
struct State<T> {
    free: Vec<T>,
    /// Oldest first.
    waiters: VecDeque<Ticket>,
    /// Items handed to a waiter that has not picked them up yet.
    granted: HashMap<u64, T>,
    next_ticket: u64,
    /// Why the pool has no item and never will (its filling failed before
    /// the first one).
    failure: Option<BuffersError>,
}

impl<T> State<T> {
    /// Hands `item` to the oldest waiter, or puts it back; returns the
    /// waker to wake once the lock is released.
    fn give(&mut self, item: T) -> Option<Waker> {
        match self.waiters.pop_front() {
            Some(ticket) => {
                self.granted.insert(ticket.id, item);
                ticket.waker
            }
            None => {
                self.free.push(item);
                None
            }
        }
    }

    /// A new ticket at the back of the queue, or `QueueFull`.
    fn enqueue(&mut self, waker: Option<Waker>, capacity: usize) -> Result<u64> {
        if self.waiters.len() >= MAX_WAITERS {
            return Err(BuffersError::QueueFull {
                waiting: self.waiters.len(),
                capacity,
            });
        }
        let id = self.next_ticket;
        self.next_ticket += 1;
        self.waiters.push_back(Ticket { id, waker });
        Ok(id)
    }

    /// Leaves the queue; an item already handed over goes to the next
    /// waiter. Returns the waker to wake.
    fn withdraw(&mut self, id: u64) -> Option<Waker> {
        self.waiters.retain(|t| t.id != id);
        self.granted.remove(&id).and_then(|item| self.give(item))
    }

    /// An item for a newcomer: only if nobody is waiting before it.
    fn take_free(&mut self) -> Option<T> {
        if self.waiters.is_empty() {
            self.free.pop()
        } else {
            None
        }
    }

    /// The error of a pool that will never have an item.
    fn dead(&self) -> Option<BuffersError> {
        self.failure.clone()
    }

    /// Every waiter's waker, to wake them all (each then finds its outcome).
    fn all_wakers(&mut self) -> Vec<Waker> {
        self.waiters
            .iter_mut()
            .filter_map(|t| t.waker.take())
            .collect()
    }
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
        Self::with(items, capacity)
    }

    /// An empty pool of `capacity` items that `Filler` fills from another
    /// thread; it holds only a weak reference, so a pool dropped while it
    /// fills stops the filling.
    pub fn filling(capacity: usize) -> (Self, Filler<T>) {
        let pool = Self::with(Vec::with_capacity(capacity), capacity);
        let filler = Filler {
            shared: Arc::downgrade(&pool.shared),
            arrived: 0,
        };
        (pool, filler)
    }

    fn with(free: Vec<T>, capacity: usize) -> Self {
        Self {
            shared: Arc::new(Shared {
                state: Mutex::new(State {
                    free,
                    waiters: VecDeque::new(),
                    granted: HashMap::new(),
                    next_ticket: 0,
                    failure: None,
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

    /// Callers waiting for an item now.
    pub fn waiting(&self) -> usize {
        self.shared.lock().waiters.len()
    }

    fn pooled(&self, item: T) -> Pooled<T> {
        Pooled {
            item: Some(item),
            shared: Arc::clone(&self.shared),
        }
    }

    pub fn try_acquire(&self) -> Result<Pooled<T>> {
        let mut state = self.shared.lock();
        match state.take_free() {
            Some(item) => {
                drop(state);
                Ok(self.pooled(item))
            }
            None => Err(state.dead().unwrap_or(BuffersError::PoolExhausted {
                capacity: self.shared.capacity,
            })),
        }
    }

    /// Waits up to `timeout` for a free item, in turn.
    pub fn acquire_timeout(&self, timeout: Duration) -> Result<Pooled<T>> {
        let deadline = Instant::now() + timeout;
        let mut state = self.shared.lock();
        if let Some(item) = state.take_free() {
            return Ok(self.pooled(item));
        }
        if let Some(e) = state.dead() {
            return Err(e);
        }
        let id = state.enqueue(None, self.shared.capacity)?;
        loop {
            if let Some(item) = state.granted.remove(&id) {
                return Ok(self.pooled(item));
            }
            if let Some(e) = state.dead() {
                state.withdraw(id);
                return Err(e);
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                let waker = state.withdraw(id);
                drop(state);
                self.shared.wake(waker);
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

    /// Resolves with a free item, in turn, waiting as long as it takes (or
    /// `QueueFull`). The turn is taken here, when the future is made, not
    /// when it is first polled: callers are served in the order they asked.
    /// Dropping the future leaves the queue.
    pub fn acquire(&self) -> Acquire<T> {
        let mut state = self.shared.lock();
        let (ticket, early) = match state.take_free() {
            Some(item) => (None, Some(Ok(item))),
            None => match state
                .dead()
                .map_or_else(|| state.enqueue(None, self.shared.capacity), Err)
            {
                Ok(id) => (Some(id), None),
                Err(e) => (None, Some(Err(e))),
            },
        };
        drop(state);
        Acquire {
            pool: self.clone(),
            ticket,
            early,
        }
    }
}

impl<T> Shared<T> {
    fn lock(&self) -> MutexGuard<'_, State<T>> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Wakes whoever was handed an item (a task, or the waiting threads).
    fn wake(&self, waker: Option<Waker>) {
        match waker {
            Some(waker) => waker.wake(),
            None => self.returned.notify_all(),
        }
    }
}

/// The future of [`Pool::acquire`].
#[derive(Debug)]
pub struct Acquire<T> {
    pool: Pool<T>,
    /// Its place in the queue while it waits.
    ticket: Option<u64>,
    /// The outcome known when it was made (a free item, or `QueueFull`).
    early: Option<Result<T>>,
}

// Nothing in it is pinned structurally: the item is moved out, never polled.
impl<T> Unpin for Acquire<T> {}

impl<T> Future for Acquire<T> {
    type Output = Result<Pooled<T>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let pool = self.pool.clone();
        if let Some(early) = self.early.take() {
            return Poll::Ready(early.map(|item| pool.pooled(item)));
        }
        let Some(id) = self.ticket else {
            return Poll::Ready(Err(BuffersError::BatchState {
                state: "polled after it completed",
            }));
        };
        let mut state = pool.shared.lock();
        if let Some(item) = state.granted.remove(&id) {
            drop(state);
            self.ticket = None;
            return Poll::Ready(Ok(pool.pooled(item)));
        }
        if let Some(e) = state.dead() {
            state.withdraw(id);
            self.ticket = None;
            return Poll::Ready(Err(e));
        }
        if let Some(ticket) = state.waiters.iter_mut().find(|t| t.id == id) {
            if !ticket
                .waker
                .as_ref()
                .is_some_and(|w| w.will_wake(cx.waker()))
            {
                ticket.waker = Some(cx.waker().clone());
            }
        }
        Poll::Pending
    }
}

impl<T> Drop for Acquire<T> {
    /// A waiter that gives up leaves the queue; an item already handed to
    /// it goes on to the next waiter.
    fn drop(&mut self) {
        if let Some(id) = self.ticket.take() {
            let waker = self.pool.shared.lock().withdraw(id);
            self.pool.shared.wake(waker);
        }
        // An item it got at once but never handed out goes back.
        if let Some(Ok(item)) = self.early.take() {
            drop(self.pool.pooled(item));
        }
    }
}

/// Fills a [`Pool::filling`] pool from another thread.
#[derive(Debug)]
pub struct Filler<T> {
    shared: Weak<Shared<T>>,
    arrived: usize,
}

impl<T> Filler<T> {
    /// Whether the pool is still wanted (not dropped) and not yet full.
    pub fn wanted(&self) -> bool {
        self.shared
            .upgrade()
            .is_some_and(|s| self.arrived < s.capacity)
    }

    /// Adds one item (to the oldest waiter, if any).
    pub fn arrive(&mut self, item: T) {
        let Some(shared) = self.shared.upgrade() else {
            return;
        };
        self.arrived += 1;
        let waker = shared.lock().give(item);
        shared.wake(waker);
    }

    /// The filling failed: with no item yet, every waiter and later caller
    /// gets `error`; otherwise the pool goes on with what arrived.
    pub fn fail(self, error: BuffersError) {
        let Some(shared) = self.shared.upgrade() else {
            return;
        };
        if self.arrived > 0 {
            return;
        }
        let wakers = {
            let mut state = shared.lock();
            state.failure = Some(error);
            state.all_wakers()
        };
        wakers.into_iter().for_each(Waker::wake);
        shared.returned.notify_all();
    }
}

impl<T> Deref for Pooled<T> {
    type Target = T;
    fn deref(&self) -> &T {
        // `item` is only `None` inside `drop`.
        #[expect(clippy::unwrap_used, reason = "`item` is only `None` inside `drop`")]
        self.item.as_ref().unwrap()
    }
}

impl<T> DerefMut for Pooled<T> {
    fn deref_mut(&mut self) -> &mut T {
        #[expect(clippy::unwrap_used, reason = "`item` is only `None` inside `drop`")]
        self.item.as_mut().unwrap()
    }
}

impl<T> Drop for Pooled<T> {
    fn drop(&mut self) {
        let Some(item) = self.item.take() else { return };
        let waker = self.shared.lock().give(item);
        self.shared.wake(waker);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::task::Wake;

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
        assert_eq!(pool.waiting(), 0, "a timed-out waiter left the queue");
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

    /// Wakes by raising a flag.
    struct Flag(AtomicBool);
    impl Wake for Flag {
        fn wake(self: Arc<Self>) {
            self.0.store(true, Ordering::SeqCst);
        }
    }

    fn poll<T>(future: &mut Acquire<T>, flag: &Arc<Flag>) -> Poll<Result<Pooled<T>>> {
        let waker = Waker::from(Arc::clone(flag));
        Pin::new(future).poll(&mut Context::from_waker(&waker))
    }

    /// A pool filled elsewhere hands its items to waiters in turn as they
    /// arrive, and the filler stops when the pool is dropped.
    #[test]
    fn a_filling_pool_serves_waiters_as_items_arrive() -> Result<()> {
        let (pool, mut filler) = Pool::filling(2);
        assert_eq!(
            pool.try_acquire().err(),
            Some(BuffersError::PoolExhausted { capacity: 2 })
        );
        let flags = [0, 1].map(|_| Arc::new(Flag(AtomicBool::new(false))));
        let mut first = pool.acquire();
        let mut second = pool.acquire();
        assert!(poll(&mut first, &flags[0]).is_pending());
        assert!(poll(&mut second, &flags[1]).is_pending());
        assert!(filler.wanted());
        filler.arrive(10);
        assert!(flags[0].0.load(Ordering::SeqCst) && !flags[1].0.load(Ordering::SeqCst));
        let Poll::Ready(got) = poll(&mut first, &flags[0]) else {
            panic!("the first waiter was not served");
        };
        let held = got?;
        assert_eq!(*held, 10);
        filler.arrive(20);
        let Poll::Ready(got) = poll(&mut second, &flags[1]) else {
            panic!("the second waiter was not served");
        };
        assert_eq!(*got?, 20);
        drop(held);
        assert!(!filler.wanted(), "full");
        let (pool, filler) = Pool::<u8>::filling(2);
        drop(pool);
        assert!(!filler.wanted(), "a dropped pool is not filled");
        Ok(())
    }

    /// A filling that fails before any item gives every waiter (thread or
    /// future) and every later caller its error, never a wait without end.
    #[test]
    fn a_failed_filling_is_every_waiters_error() {
        let (pool, filler) = Pool::<u8>::filling(2);
        let flag = Arc::new(Flag(AtomicBool::new(false)));
        let mut future = pool.acquire();
        assert!(poll(&mut future, &flag).is_pending());
        let thread = {
            let pool = pool.clone();
            std::thread::spawn(move || pool.acquire_timeout(Duration::from_secs(30)).map(|p| *p))
        };
        std::thread::sleep(Duration::from_millis(20));
        let error = BuffersError::Cuda {
            operation: "alloc",
            reason: "out of memory".into(),
        };
        filler.fail(error.clone());
        assert!(flag.0.load(Ordering::SeqCst), "the future was woken");
        assert!(matches!(poll(&mut future, &flag), Poll::Ready(Err(e)) if e == error));
        assert_eq!(thread.join().ok(), Some(Err(error.clone())));
        assert_eq!(pool.try_acquire().err(), Some(error.clone()));
        assert_eq!(
            pool.acquire_timeout(Duration::from_secs(1)).err(),
            Some(error)
        );
        assert_eq!(pool.waiting(), 0);
    }

    /// Twenty futures waiting on a pool of one are served in the order
    /// they asked, one per returned item (before, the first came 10th).
    #[test]
    fn waiters_are_served_in_order() -> Result<()> {
        let pool = Pool::new(vec![0]);
        let mut held = pool.try_acquire()?;
        let flags: Vec<_> = (0..20)
            .map(|_| Arc::new(Flag(AtomicBool::new(false))))
            .collect();
        let mut waiters: Vec<_> = (0..20).map(|_| pool.acquire()).collect();
        for (w, f) in waiters.iter_mut().zip(&flags) {
            assert!(poll(w, f).is_pending());
        }
        assert_eq!(pool.waiting(), 20);
        for i in 0..20 {
            *held = i;
            drop(held);
            // Only the oldest waiter was woken and holds the item.
            assert!(flags[i].0.load(Ordering::SeqCst), "waiter {i} woken");
            for later in &flags[i + 1..] {
                assert!(!later.0.load(Ordering::SeqCst));
            }
            for (j, w) in waiters.iter_mut().enumerate().skip(i + 1) {
                assert!(poll(w, &flags[j]).is_pending(), "waiter {j} waits its turn");
            }
            held = match poll(&mut waiters[i], &flags[i]) {
                Poll::Ready(item) => item?,
                Poll::Pending => return Err(BuffersError::PoolExhausted { capacity: i }),
            };
            assert_eq!(*held, i, "the item passed from waiter to waiter");
        }
        Ok(())
    }

    /// A waiter that gives up never takes an item: one handed to it before
    /// it gave up goes on to the next waiter.
    #[test]
    fn a_waiter_that_gives_up_takes_nothing() -> Result<()> {
        let pool = Pool::new(vec![7]);
        let held = pool.try_acquire()?;
        let (f1, f2) = (
            Arc::new(Flag(AtomicBool::new(false))),
            Arc::new(Flag(AtomicBool::new(false))),
        );
        let (mut first, mut second) = (pool.acquire(), pool.acquire());
        assert!(poll(&mut first, &f1).is_pending());
        assert!(poll(&mut second, &f2).is_pending());
        drop(held); // handed to `first`
        drop(first); // which gives up: on to `second`
        assert!(f2.0.load(Ordering::SeqCst));
        assert!(matches!(poll(&mut second, &f2), Poll::Ready(Ok(_))));
        assert_eq!(pool.waiting(), 0);
        Ok(())
    }

    #[test]
    fn waiters_are_bounded() -> Result<()> {
        let pool = Pool::new(vec![()]);
        let _held = pool.try_acquire()?;
        let flag = Arc::new(Flag(AtomicBool::new(false)));
        let mut waiters: Vec<_> = (0..MAX_WAITERS).map(|_| pool.acquire()).collect();
        for w in &mut waiters {
            assert!(poll(w, &flag).is_pending());
        }
        let mut one_more = pool.acquire();
        assert!(matches!(
            poll(&mut one_more, &flag),
            Poll::Ready(Err(BuffersError::QueueFull { .. }))
        ));
        assert!(matches!(
            pool.acquire_timeout(Duration::from_millis(1)),
            Err(BuffersError::QueueFull { .. })
        ));
        drop(waiters);
        assert_eq!(pool.waiting(), 0);
        Ok(())
    }
}
