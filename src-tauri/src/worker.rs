//! A named background thread the window owns (sync, scheduled backup): started
//! once, joined when its task stops, a panic reported rather than propagated
//! into the window's shutdown.

use std::sync::{Mutex, PoisonError};
use std::thread::JoinHandle;

pub struct Worker {
    name: &'static str,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl Worker {
    pub fn spawn(
        name: &'static str,
        run: impl FnOnce() + Send + 'static,
    ) -> std::io::Result<Worker> {
        let thread = std::thread::Builder::new().name(name.into()).spawn(run)?;
        Ok(Worker {
            name,
            thread: Mutex::new(Some(thread)),
        })
    }

    /// Waits for the thread (the caller has told it to stop); a second call
    /// returns at once.
    pub fn join(&self) {
        let handle = self
            .thread
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(h) = handle
            && h.join().is_err()
        {
            eprintln!("yichuang-desktop: thread {} panicked", self.name);
        }
    }
}
