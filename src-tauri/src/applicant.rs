//! The applicant-facing window (办事人评价屏): full screen on a second
//! display when there is one, else a locked full-screen applicant mode over
//! the clerk's window. It cannot be closed while its request waits: it hides
//! itself only after an answer, the timeout or the clerk's password (the
//! engine's `screen_request` is then empty).

use tauri::{AppHandle, Emitter, Manager, Runtime, WebviewUrl, WebviewWindowBuilder, WindowEvent};

/// The label of the applicant window; only it may answer.
pub const APPLICANT_WINDOW: &str = "applicant";

/// Sent to the applicant window when it is shown again: it asks the engine
/// only while shown, so a hidden screen does not keep the clerk's session
/// from its idle lock.
pub const SHOWN_EVENT: &str = "applicant-shown";

/// Shows the applicant window, making it on first use. Errors are reported,
/// not raised: the request is recorded either way, and times out to 默认.
pub fn show<R: Runtime>(app: &AppHandle<R>) {
    if let Some(w) = app.get_webview_window(APPLICANT_WINDOW) {
        let _ = w.show();
        let _ = w.set_fullscreen(true);
        let _ = w.set_focus();
        let _ = app.emit_to(APPLICANT_WINDOW, SHOWN_EVENT, ());
        return;
    }
    let second = second_monitor(app);
    let mut b =
        WebviewWindowBuilder::new(app, APPLICANT_WINDOW, WebviewUrl::App("index.html".into()))
            .title("办事人评价")
            .decorations(false)
            .closable(false);
    match &second {
        Some((x, y)) => b = b.position(*x, *y),
        // One screen: the applicant mode covers the clerk's window.
        None => b = b.always_on_top(true),
    }
    match b.build() {
        Ok(w) => {
            let _ = w.set_fullscreen(true);
            // Alt+F4 and the window manager's close do nothing: leaving is
            // by answer, timeout or the clerk's password.
            w.on_window_event(|e| {
                if let WindowEvent::CloseRequested { api, .. } = e {
                    api.prevent_close();
                }
            });
        }
        Err(e) => eprintln!("yichuang-desktop: 评价屏无法打开：{e}"),
    }
}

/// The top-left corner (logical) of a display other than the main window's.
/// Asked through the main window, which knows the displays it can reach.
fn second_monitor<R: Runtime>(app: &AppHandle<R>) -> Option<(f64, f64)> {
    let main = app.get_webview_window("main")?;
    let here = main.current_monitor().ok().flatten();
    let monitors = main.available_monitors().ok()?;
    if monitors.len() < 2 {
        return None;
    }
    let other = monitors
        .iter()
        .find(|m| here.as_ref().is_none_or(|h| h.position() != m.position()))?;
    let p = other.position().to_logical::<f64>(other.scale_factor());
    Some((p.x, p.y))
}

/// Hides the applicant window (after its request closed).
pub fn hide<R: Runtime>(app: &AppHandle<R>) {
    if let Some(w) = app.get_webview_window(APPLICANT_WINDOW) {
        let _ = w.set_fullscreen(false);
        let _ = w.hide();
    }
}
