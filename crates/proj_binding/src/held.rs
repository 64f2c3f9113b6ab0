//! A JS callback (a threadsafe function) held while its native object is
//! open, and let go when it closes.

use std::sync::{Arc, Mutex, PoisonError};

use napi::bindgen_prelude::{JsValuesTupleIntoVec, Status, Unknown};
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};

/// A JS callback held while its decoder (or encoder) is open. At close it is let go:
/// with nothing else holding its threadsafe function, napi releases it and
/// a Node process with nothing left to do can exit (it was kept alive until
/// the decoder object was garbage-collected).
pub struct Held<F>(Arc<Mutex<Option<Arc<F>>>>);

impl<F> Clone for Held<F> {
    fn clone(&self) -> Self {
        Self(Arc::clone(&self.0))
    }
}

impl<F> std::fmt::Debug for Held<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Held")
    }
}

impl<F> Held<F> {
    pub fn new(callback: F) -> Self {
        Self(Arc::new(Mutex::new(Some(Arc::new(callback)))))
    }

    /// The callback, unless it was let go.
    pub fn get(&self) -> Option<Arc<F>> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Lets the callback go; returns it for a last call.
    pub fn let_go(&self) -> Option<Arc<F>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).take()
    }
}

/// An output callback: values go to JS in order, on the JS thread.
pub type OutputTsfn<T> = ThreadsafeFunction<T, Unknown<'static>, T, Status, false>;

impl<T: 'static + JsValuesTupleIntoVec> Held<OutputTsfn<T>> {
    /// Sends `value` to JS; one that cannot be (the callback let go, or
    /// napi refusing) is logged, never dropped silently. `what` names the
    /// sender in the log (`decoder`, `encoder`).
    pub fn deliver(&self, value: T, what: &str) {
        let Some(callback) = self.get() else {
            tracing::warn!("{what} output came after it closed; dropped");
            return;
        };
        let status = callback.call(value, ThreadsafeFunctionCallMode::NonBlocking);
        if status != Status::Ok {
            tracing::warn!(?status, "{what} output could not be delivered to JS");
        }
    }

    /// Sends `last` (after every earlier value, on the same threadsafe
    /// function, so it arrives last) and lets the callback go.
    pub fn close_with(&self, last: T) {
        if let Some(callback) = self.let_go() {
            callback.call(last, ThreadsafeFunctionCallMode::NonBlocking);
        }
    }
}
