//! Worker threads of our own for blocking work a Promise waits on (CPU
//! scaling, CUDA stream syncs): never napi's tokio workers, whose few
//! threads every other future needs, and never libuv's four. Started at
//! the first job, one per core (2 to 8).

use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use napi::bindgen_prelude::*;

use crate::entry::{guarded_stage, spawn_thread, Outcome};
use crate::error::Code;

type Job = Box<dyn FnOnce() + Send>;

fn sender() -> Outcome<Sender<Job>> {
    static SENDER: OnceLock<std::result::Result<Mutex<Sender<Job>>, String>> = OnceLock::new();
    let started = SENDER.get_or_init(|| {
        let (tx, rx) = channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        let count = std::thread::available_parallelism().map_or(2, |n| n.get().clamp(2, 8));
        let mut started = 0;
        let mut last_error = String::new();
        for _ in 0..count {
            let rx = Arc::clone(&rx);
            match spawn_thread("proj-worker", move || serve(&rx)) {
                Ok(_) => started += 1,
                Err(e) => last_error = e.reason.clone(),
            }
        }
        if started == 0 {
            Err(last_error)
        } else {
            Ok(Mutex::new(tx))
        }
    });
    match started {
        Ok(tx) => Ok(tx.lock().unwrap_or_else(PoisonError::into_inner).clone()),
        Err(reason) => Err(Error::new(Code("ERR_PROJ_RESOURCES"), reason.clone())),
    }
}

fn serve(jobs: &Mutex<Receiver<Job>>) {
    loop {
        let job = jobs.lock().unwrap_or_else(PoisonError::into_inner).recv();
        match job {
            Ok(job) => job(),
            Err(_) => return,
        }
    }
}

/// Runs `work` on a worker thread; resolves with its outcome (a panic in
/// it is `ERR_PROJ_INTERNAL`).
pub async fn run<T: Send + 'static>(
    name: &'static str,
    work: impl FnOnce() -> Outcome<T> + Send + 'static,
) -> Outcome<T> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let job: Job = Box::new(move || {
        let _ = tx.send(guarded_stage(name, "work", work));
    });
    sender()?.send(job).map_err(|_| {
        Error::new(
            Code("ERR_PROJ_RESOURCES"),
            format!("{name}: the worker threads are gone"),
        )
    })?;
    rx.await.unwrap_or_else(|_| {
        Err(Error::new(
            Code("ERR_PROJ_INTERNAL"),
            format!("{name}: its worker ended without an answer"),
        ))
    })
}
