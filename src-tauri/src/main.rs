// Hide the console window of release builds on Windows.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

/// WebKitGTK settings that keep the window's memory down (measured with
/// scripts/measure-desktop.sh, see docs/desktop/README.md). A forms window
/// needs neither GPU compositing nor a JavaScript JIT. Each is applied only
/// when the user has not set the variable: `WEBKIT_DISABLE_COMPOSITING_MODE=0
/// WEBKIT_DISABLE_DMABUF_RENDERER=0 JSC_useJIT=true` restores WebKit's defaults.
#[cfg(target_os = "linux")]
const WEBKIT_ENV: [(&str, &str); 5] = [
    // No accelerated compositing: the web process paints into shared memory
    // instead of GL layers (−80 MB for the web process).
    ("WEBKIT_DISABLE_COMPOSITING_MODE", "1"),
    // No DMA-BUF renderer in the app process (−4 MB); also the usual cure for
    // blank windows on some GPU drivers.
    ("WEBKIT_DISABLE_DMABUF_RENDERER", "1"),
    // JavaScriptCore interprets only: −10 MB at start, −40 MB after every view
    // has been opened; the window's work is DOM and layout, not hot JS loops.
    ("JSC_useJIT", "false"),
    // WebKit's network process allocates with glibc's malloc: fixed
    // thresholds there too (see `return_freed_memory`).
    ("MALLOC_MMAP_THRESHOLD_", "131072"),
    ("MALLOC_TRIM_THRESHOLD_", "131072"),
];

/// glibc's malloc raises its mmap threshold (up to 32 MB) each time a large
/// block is freed; blocks of that size then come from the heap and, freed,
/// stay with the process. The log-in's argon2 (19 MiB), each notice's page
/// images and PDF pass through: the app process kept ~35 MB it no longer
/// used after the first case (scripts/measure-workday.sh,
/// docs/benchmarks.md). Fixed thresholds keep large blocks mapped (given
/// back when freed) and give the heap's free top back.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn return_freed_memory() {
    // Set by hand, glibc has read it already: leave it so.
    if std::env::var_os("MALLOC_MMAP_THRESHOLD_").is_some() {
        return;
    }
    for (param, value) in [
        (libc::M_MMAP_THRESHOLD, 128 * 1024),
        (libc::M_TRIM_THRESHOLD, 128 * 1024),
    ] {
        // SAFETY: mallopt only sets allocator parameters; no thread runs yet.
        if unsafe { libc::mallopt(param, value) } != 1 {
            eprintln!("yichuang-desktop: mallopt({param}) refused");
        }
    }
}

fn main() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    return_freed_memory();
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
