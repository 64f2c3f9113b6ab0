//! An ordered job queue served by one thread, started when a job arrives
//! and ended after a while with nothing to do (a pool has one per source,
//! and sources come and go).

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use napi::bindgen_prelude::*;

use crate::entry::{guarded_stage, promise, spawn_thread, Outcome};
use crate::error::Code;

type Job = Box<dyn FnOnce() + Send>;

/// Jobs waiting beyond this are refused: a caller that never awaits its
/// submits would otherwise grow memory without bound.
pub const MAX_QUEUED: usize = 4096;
/// A thread with nothing to do for this long ends.
const IDLE: Duration = Duration::from_secs(30);

#[derive(Default)]
struct State {
    jobs: VecDeque<Job>,
    closed: bool,
    running: bool,
    thread: Option<JoinHandle<()>>,
}

#[derive(Default)]
struct Shared {
    state: Mutex<State>,
    ready: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn serve(&self) {
        loop {
            let job = {
                let mut state = self.lock();
                loop {
                    if let Some(job) = state.jobs.pop_front() {
                        break job;
                    }
                    if state.closed {
                        state.running = false;
                        return;
                    }
                    let (next, timeout) = self
                        .ready
                        .wait_timeout(state, IDLE)
                        .unwrap_or_else(PoisonError::into_inner);
                    state = next;
                    if timeout.timed_out() && state.jobs.is_empty() {
                        state.running = false;
                        return;
                    }
                }
            };
            // Jobs come from `queued`, which runs them guarded: a panic in
            // one cannot take later jobs with it.
            job();
        }
    }
}

pub struct Queue {
    name: String,
    shared: Arc<Shared>,
}

impl std::fmt::Debug for Queue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Queue")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl Queue {
    pub fn new(name: String) -> Self {
        Self {
            name,
            shared: Arc::default(),
        }
    }

    /// Queues a job behind the earlier ones.
    pub fn push(&self, job: Job) -> std::result::Result<(), Error<Code>> {
        let mut state = self.shared.lock();
        if state.closed {
            return Err(Error::new(
                Code("ERR_PROJ_SHUT_DOWN"),
                "the decoder is shut down",
            ));
        }
        if state.jobs.len() >= MAX_QUEUED {
            return Err(Error::new(
                Code("ERR_PROJ_QUEUE_FULL"),
                format!(
                    "{MAX_QUEUED} calls are already waiting: await submit() before submitting more"
                ),
            ));
        }
        state.jobs.push_back(job);
        if state.running {
            self.shared.ready.notify_one();
            return Ok(());
        }
        let shared = self.shared.clone();
        let thread = spawn_thread(&self.name, move || shared.serve());
        match thread {
            Ok(thread) => {
                state.running = true;
                // The previous thread has ended (it cleared `running`).
                if let Some(old) = state.thread.replace(thread) {
                    drop(old);
                }
                Ok(())
            }
            Err(e) => {
                state.jobs.pop_back();
                Err(e)
            }
        }
    }

    /// Refuses new jobs; the queued ones still run.
    pub fn close(&self) {
        self.shared.lock().closed = true;
        self.shared.ready.notify_all();
    }

    /// Closes, and returns a wait (for another thread) until every queued
    /// job has run.
    pub fn waiter(&self) -> impl FnOnce() + Send + 'static {
        self.close();
        let thread = self.shared.lock().thread.take();
        move || {
            if let Some(thread) = thread {
                if thread.thread().id() != std::thread::current().id() {
                    let _ = thread.join();
                }
            }
        }
    }

    /// Closes and waits until every queued job has run.
    pub fn finish(&self) {
        self.close();
        let thread = self.shared.lock().thread.take();
        if let Some(thread) = thread {
            // Never join from the queue's own thread.
            if thread.thread().id() != std::thread::current().id() {
                let _ = thread.join();
            }
        }
    }
}

impl Drop for Queue {
    fn drop(&mut self) {
        self.close();
    }
}

/// Queues `call` and settles a Promise with its outcome; a panic in it is
/// `ERR_PROJ_INTERNAL` (never `gone()`'s error), and later calls still run.
/// A call the queue drops unrun (closed meanwhile) rejects with `gone()`.
pub fn queued<'env>(
    env: &'env Env,
    name: &'static str,
    queue: &Queue,
    call: impl FnOnce() -> Outcome<()> + Send + 'static,
    gone: fn() -> Error<Code>,
) -> Outcome<PromiseRaw<'env, ()>> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    queue.push(Box::new(move || {
        let _ = tx.send(guarded_stage(name, "job", call));
    }))?;
    promise(
        env,
        name,
        async move { rx.await.unwrap_or_else(|_| Err(gone())) },
        Ok,
    )
}
