// Hide the console window of release builds on Windows.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

/// WebKitGTK settings that keep the window's memory down (measured with
/// scripts/measure-desktop.sh, see docs/desktop/README.md). A forms window
/// needs neither GPU compositing nor a JavaScript JIT. Each is applied only
/// when the user has not set the variable: `WEBKIT_DISABLE_COMPOSITING_MODE=0
/// WEBKIT_DISABLE_DMABUF_RENDERER=0 JSC_useJIT=true` restores WebKit's defaults.
#[cfg(target_os = "linux")]
const WEBKIT_ENV: [(&str, &str); 3] = [
    // No accelerated compositing: the web process paints into shared memory
    // instead of GL layers (−80 MB for the web process).
    ("WEBKIT_DISABLE_COMPOSITING_MODE", "1"),
    // No DMA-BUF renderer in the app process (−4 MB); also the usual cure for
    // blank windows on some GPU drivers.
    ("WEBKIT_DISABLE_DMABUF_RENDERER", "1"),
    // JavaScriptCore interprets only: −10 MB at start, −40 MB after every view
    // has been opened; the window's work is DOM and layout, not hot JS loops.
    ("JSC_useJIT", "false"),
];

fn main() {
    #[cfg(target_os = "linux")]
    for (key, value) in WEBKIT_ENV {
        if std::env::var_os(key).is_none() {
            // SAFETY: nothing else runs yet (no threads before Tauri starts), and
            // the WebKit processes inherit the environment when they are spawned.
            unsafe { std::env::set_var(key, value) };
        }
    }
    yichuang_desktop::run();
}
