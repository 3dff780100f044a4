//! The console's built UI (`county/console/dist`, made by `npm run build`
//! in `county/console/`), embedded in the binary so the county's package is
//! one file and the console needs no network. A build without the UI
//! (a fresh clone, `cargo test`) still compiles and serves a page saying so.

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

#[derive(rust_embed::RustEmbed)]
#[folder = "console/dist"]
#[allow_missing = true]
struct Dist;

const NOT_BUILT: &str = "<!doctype html><html lang=\"zh-CN\"><meta charset=\"utf-8\"><title>县级监管控制台</title>\
<body style=\"font-family:sans-serif;margin:3em\"><h1>控制台界面尚未构建</h1>\
<p>本服务器程序构建时没有包含控制台界面。请在源码目录运行 <code>scripts/build-console.sh</code> 后重新构建 <code>yichuang-county</code>。</p></body></html>";

/// Whether the UI was built into this binary.
pub fn built() -> bool {
    Dist::get("index.html").is_some()
}

/// `path` below `/console/` ("" is the page itself).
pub fn serve(path: &str) -> Response {
    let path = if path.is_empty() { "index.html" } else { path };
    let Some(file) = Dist::get(path) else {
        if path == "index.html" {
            return (
                StatusCode::OK,
                [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
                NOT_BUILT,
            )
                .into_response();
        }
        return (StatusCode::NOT_FOUND, "未找到").into_response();
    };
    let mime = file.metadata.mimetype().to_owned();
    // Vite names its bundles by content hash: they never change; the page
    // itself is always asked for again.
    let cache = if path.starts_with("assets/") {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let mut r = Response::new(Body::from(file.data.into_owned()));
    if let Ok(v) = HeaderValue::from_str(&mime) {
        r.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_is_served_built_or_not_and_unknown_files_are_404() {
        let page = serve("");
        assert_eq!(page.status(), StatusCode::OK);
        let ct = page.headers().get(header::CONTENT_TYPE).unwrap();
        assert!(ct.to_str().unwrap().starts_with("text/html"));
        assert_eq!(
            serve("assets/no-such-file.js").status(),
            StatusCode::NOT_FOUND
        );
        assert_eq!(serve("../Cargo.toml").status(), StatusCode::NOT_FOUND);
    }
}
