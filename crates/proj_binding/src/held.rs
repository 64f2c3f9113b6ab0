//! A JS callback (a threadsafe function) held while its native object is
//! open, and let go when it closes.

use std::sync::{Arc, Mutex, PoisonError};

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
