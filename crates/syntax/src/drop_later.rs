//! Freeing a 5,000-step tree or step graph takes milliseconds. The database frees the old
//! results of a query when an edit starts a new revision, which is on the path from a
//! keystroke to new diagnostics; handing the big values to a background thread takes that
//! off the path (and onto the second core). Exporters hand over their documents the same
//! way once the text is written. It lives here, in the bottom layer, so that every crate
//! that frees big values uses the one thread.

use std::sync::mpsc::{channel, Sender};
use std::sync::OnceLock;

type Garbage = Box<dyn Send>;

static DROPPER: OnceLock<Option<Sender<Garbage>>> = OnceLock::new();

/// Drops `value` on the background thread, or right here if that thread cannot start.
pub fn drop_later<T: Send + 'static>(value: T) {
    let dropper = DROPPER.get_or_init(|| {
        let (sender, receiver) = channel::<Garbage>();
        std::thread::Builder::new()
            .name("mlforge-drop".into())
            .spawn(move || receiver.into_iter().for_each(drop))
            .ok()?;
        Some(sender)
    });
    match dropper {
        Some(sender) => {
            // A send fails only if the thread is gone; the value then comes back to be
            // dropped here.
            if let Err(returned) = sender.send(Box::new(value)) {
                drop(returned);
            }
        }
        None => drop(value),
    }
}
