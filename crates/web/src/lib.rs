//! The phongthu web server: server-rendered Vietnamese pages and the JSON API under `/api/v1`.
//!
//! Layout of this crate:
//! * [`AppState`] holds the [`Store`] and the settings; every handler gets it by axum's `State`.
//! * `session.rs` turns the session cookie (pages) or the bearer token (API) into an
//!   [`phongthu_store::Actor`]; handlers only ever reach data through `store.scoped(&actor)`, so
//!   the unit scope is enforced by the store, below this crate.
//! * `csrf.rs` checks the token of every form post.
//! * `pages/` renders the HTML pages with askama templates (`templates/`), `api.rs` the JSON API
//!   and its OpenAPI document, `assets.rs` the embedded CSS and JS.
//! * `error.rs` maps every failure to a Vietnamese message and the right HTTP status.
//!
//! Nothing here makes an external request: styles, scripts and icons are compiled into the binary,
//! and the Content-Security-Policy header forbids anything else.

mod api;
mod assets;
mod catch_panic;
mod csrf;
mod deadline;
mod error;
mod flight;
mod forms;
mod jobs;
mod pages;
mod read_audit;
mod session;
mod throttle;

use axum::http::{header, HeaderValue};
use axum::middleware::from_fn_with_state;
use axum::Router;
use phongthu_domain::territory::Territory;
use phongthu_store::Store;
use std::sync::Arc;

pub use error::AppError;
pub use pages::citizens::citizen_import_template_xlsx;

/// Settings of the web layer.
#[derive(Debug, Clone, Default)]
pub struct WebSettings {
    /// Mark cookies `Secure` (set when served over HTTPS, directly or behind a proxy).
    pub secure_cookies: bool,
    /// Show a banner saying this is demo data.
    pub demo_banner: bool,
}

/// Shared state of the server.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    settings: WebSettings,
    territory: &'static Territory,
    throttle: throttle::Throttle,
    jobs: pages::citizens::Jobs,
    readers: pages::reading::Readers,
    militia_rejects: pages::militia_import::Rejects,
    work_cache: pages::home::WorkCache,
    doc_jobs: pages::doc_jobs::DocJobs,
}

impl AppState {
    pub fn new(store: Store, settings: WebSettings) -> AppState {
        AppState {
            inner: Arc::new(Inner {
                store,
                settings,
                territory: Territory::bundled(),
                throttle: Default::default(),
                jobs: Default::default(),
                readers: Default::default(),
                militia_rejects: Default::default(),
                work_cache: pages::home::work_cache(),
                doc_jobs: Default::default(),
            }),
        }
    }

    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    pub fn settings(&self) -> &WebSettings {
        &self.inner.settings
    }

    pub fn territory(&self) -> &'static Territory {
        self.inner.territory
    }

    pub(crate) fn throttle(&self) -> &throttle::Throttle {
        &self.inner.throttle
    }

    pub(crate) fn jobs(&self) -> &pages::citizens::Jobs {
        &self.inner.jobs
    }

    pub(crate) fn readers(&self) -> &pages::reading::Readers {
        &self.inner.readers
    }

    pub(crate) fn militia_rejects(&self) -> &pages::militia_import::Rejects {
        &self.inner.militia_rejects
    }

    pub(crate) fn work_cache(&self) -> &pages::home::WorkCache {
        &self.inner.work_cache
    }

    pub(crate) fn doc_jobs(&self) -> &pages::doc_jobs::DocJobs {
        &self.inner.doc_jobs
    }
}

/// The Content-Security-Policy of every response: only this server's own scripts, styles and
/// images; no frames; forms post only here.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     font-src 'self'; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'";

/// The whole application: pages, API, assets, with the security headers.
pub fn router(state: AppState) -> Router {
    // A read-only API token is refused on any request but a read before any route is matched.
    let api = api::routes().layer(from_fn_with_state(state.clone(), session::refuse_read_only_writes));
    harden(
        Router::new()
            .merge(pages::routes())
            .nest("/api/v1", api)
            .merge(assets::routes())
            .fallback(error::not_found)
            .with_state(state.clone())
            .layer(axum::middleware::from_fn_with_state(state, read_audit::audit_files)),
    )
}

/// The layers every response passes through: the request deadline, the catch-panic net, the
/// security headers. Public so that a test can put a route of its own (one that panics) under
/// exactly the production layers.
pub fn harden(app: Router) -> Router {
    app.layer(axum::middleware::from_fn(|req, next| {
        deadline::enforce(deadline::REQUEST_DEADLINE, req, next)
    }))
    // A panic anywhere below answers the Vietnamese 500 page (with the security headers).
    .layer(axum::middleware::from_fn(catch_panic::catch))
    .layer(axum::middleware::map_response(security_headers))
}

/// The message a request that panicked answers with (see the router's catch-panic layer).
pub use catch_panic::PANIC_MESSAGE;

async fn security_headers(mut res: axum::response::Response) -> axum::response::Response {
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}

/// Serves the application on a bound listener until Ctrl-C or SIGTERM. At the signal, the
/// documents being read are stopped at once (their OCR programs killed) so that the open
/// requests, which then end, are all that the shutdown waits for.
pub async fn serve(listener: tokio::net::TcpListener, state: AppState) -> std::io::Result<()> {
    let app = router(state.clone()).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            shutdown_signal().await;
            state.readers().shut_down();
        })
        .await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("Đang dừng máy chủ…");
}
