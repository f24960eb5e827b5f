//! The per-node parameter cache: answers from memory while fresh (`ttl`), answers stale
//! values while one background refresh runs, and keeps the last good values when a refresh
//! fails (logging that once, until a refresh succeeds again). A burst of calls therefore
//! reaches the provider once per path per `ttl`, not once per call. A path's first fetch
//! is single-flight for that path only, and the cache holds at most `MAX_PATHS` paths,
//! dropping the one used longest ago.

use super::{Param, ParamsError, ParamsProvider, check_path};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long fetched parameters are served without asking the provider again.
pub const DEFAULT_TTL: Duration = Duration::from_secs(60);

/// The most paths the cache holds; a new one past them drops the one used longest ago.
pub const MAX_PATHS: usize = 1024;

/// A provider with a cache in front.
pub struct CachedParams {
    provider: Arc<dyn ParamsProvider>,
    ttl: Duration,
    entries: Mutex<HashMap<String, Entry>>,
    /// One gate per path being fetched for the first time, so concurrent first calls for
    /// a path fetch once, and a slow path holds up no other.
    first_fetches: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

struct Entry {
    params: Arc<Vec<Param>>,
    fetched: Instant,
    used: Instant,
    refreshing: bool,
    failing: bool,
}

impl CachedParams {
    /// A cache of `provider`'s answers, fresh for `ttl`.
    pub fn new(provider: Arc<dyn ParamsProvider>, ttl: Duration) -> Arc<CachedParams> {
        Arc::new(CachedParams {
            provider,
            ttl,
            entries: Mutex::default(),
            first_fetches: Mutex::default(),
        })
    }

    /// What the provider is, for logs.
    pub fn describe(&self) -> String {
        self.provider.describe()
    }

    /// The parameters under `path`.
    pub async fn get(self: &Arc<Self>, path: &str) -> Result<Arc<Vec<Param>>, ParamsError> {
        check_path(path)?;
        if let Some(params) = self.cached(path) {
            return Ok(params);
        }
        let gate = self
            .first_fetches
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(path.to_owned())
            .or_default()
            .clone();
        let _one = gate.lock().await;
        if let Some(params) = self.cached(path) {
            return Ok(params);
        }
        let fetched = self.provider.get_by_path(path).await;
        self.first_fetches
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(path);
        let params = Arc::new(fetched.map_err(|e| self.failed(path, e))?);
        let now = Instant::now();
        let entry = Entry {
            params: params.clone(),
            fetched: now,
            used: now,
            refreshing: false,
            failing: false,
        };
        let mut entries = self.lock();
        if entries.len() >= MAX_PATHS
            && let Some(oldest) = entries
                .iter()
                .min_by_key(|(_, e)| e.used)
                .map(|(p, _)| p.clone())
        {
            entries.remove(&oldest);
        }
        entries.insert(path.to_owned(), entry);
        Ok(params)
    }

    /// How many paths the cache holds.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether the cache holds no path.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The cached answer, starting a background refresh when it is stale.
    fn cached(self: &Arc<Self>, path: &str) -> Option<Arc<Vec<Param>>> {
        let mut entries = self.lock();
        let entry = entries.get_mut(path)?;
        entry.used = Instant::now();
        if entry.fetched.elapsed() >= self.ttl && !entry.refreshing {
            entry.refreshing = true;
            let (this, path) = (self.clone(), path.to_owned());
            tokio::spawn(async move { this.refresh(path).await });
        }
        Some(entry.params.clone())
    }

    async fn refresh(self: Arc<Self>, path: String) {
        let result = self.provider.get_by_path(&path).await;
        let mut entries = self.lock();
        let Some(entry) = entries.get_mut(&path) else {
            return;
        };
        entry.refreshing = false;
        match result {
            Ok(params) => {
                if entry.failing {
                    tracing::info!(
                        path,
                        provider = self.provider.describe(),
                        "parameters refresh again"
                    );
                }
                *entry = Entry {
                    params: Arc::new(params),
                    fetched: Instant::now(),
                    used: entry.used,
                    refreshing: false,
                    failing: false,
                };
            }
            Err(e) => {
                if !entry.failing {
                    tracing::warn!(path, provider = self.provider.describe(), error = %e, "refreshing parameters failed; serving the last good values");
                }
                entry.failing = true;
                entry.fetched = Instant::now();
            }
        }
    }

    fn failed(&self, path: &str, e: ParamsError) -> ParamsError {
        ParamsError(format!(
            "get-params {path:?} from the {}: {e}",
            self.provider.describe()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::super::LocalStore;
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn stale_values_are_served_while_refreshing_and_kept_when_a_refresh_fails() {
        let dir = std::env::temp_dir().join(format!("ion-params-cache-{}", std::process::id()));
        let store = LocalStore::new(dir.join("params.edn"));
        store.put("/app/k", "one", false).unwrap();
        let cache = CachedParams::new(Arc::new(store.clone()), Duration::ZERO);
        assert_eq!(cache.get("/app").await.unwrap()[0].value, "one");

        // The provider breaks: every call still answers the last good value.
        std::fs::write(store.file(), "{:broken").unwrap();
        for _ in 0..3 {
            assert_eq!(cache.get("/app").await.unwrap()[0].value, "one");
        }
        // It mends with a new value: a later call sees it once a refresh has run.
        store.put("/app/k", "two", false).unwrap_or_else(|_| {
            std::fs::write(store.file(), "{\"/app/k\" {:value \"two\"}}").unwrap();
        });
        let deadline = Instant::now() + Duration::from_secs(10);
        while cache.get("/app").await.unwrap()[0].value != "two" {
            assert!(Instant::now() < deadline, "the mended value never arrived");
            tokio::task::yield_now().await;
        }
        // A path never fetched fails plainly, naming the provider.
        std::fs::write(store.file(), "{:broken").unwrap();
        let err = cache.get("/other").await.unwrap_err();
        assert!(
            err.0
                .starts_with("get-params \"/other\" from the local store"),
            "{err}"
        );
        let _ = std::fs::remove_dir_all(dir);
    }

    /// A provider that answers every path with one parameter, holding `/slow` until told.
    struct Gated {
        calls: std::sync::atomic::AtomicUsize,
        release: tokio::sync::Semaphore,
    }

    impl ParamsProvider for Gated {
        fn get_by_path<'a>(&'a self, path: &'a str) -> super::super::ParamsFuture<'a> {
            Box::pin(async move {
                self.calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                if path == "/slow" {
                    drop(self.release.acquire().await);
                }
                Ok(vec![Param {
                    name: format!("{path}/k"),
                    value: path.to_owned(),
                    secure: false,
                }])
            })
        }

        fn describe(&self) -> String {
            "gated test provider".into()
        }
    }

    /// Hardening round 2, item 5: a first fetch holds up only calls for its own path, and
    /// the cache stays bounded however many paths are asked for.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn first_fetches_are_single_flight_per_path_and_the_cache_is_bounded() {
        let provider = Arc::new(Gated {
            calls: Default::default(),
            release: tokio::sync::Semaphore::new(0),
        });
        let cache = CachedParams::new(provider.clone(), Duration::from_secs(3600));
        let slow: Vec<_> = (0..8)
            .map(|_| {
                let cache = cache.clone();
                tokio::spawn(async move { cache.get("/slow").await })
            })
            .collect();
        while provider.calls.load(std::sync::atomic::Ordering::SeqCst) == 0 {
            tokio::task::yield_now().await;
        }
        // While /slow is being fetched, other paths answer.
        for i in 0..20_000 {
            let path = format!("/p{i}");
            assert_eq!(cache.get(&path).await.unwrap()[0].value, path);
        }
        assert!(slow.iter().all(|t| !t.is_finished()));
        provider.release.add_permits(1);
        for t in slow {
            assert_eq!(t.await.unwrap().unwrap()[0].value, "/slow");
        }
        let calls = provider.calls.load(std::sync::atomic::Ordering::SeqCst);
        assert_eq!(calls, 20_001, "eight first calls for /slow fetched it once");
        assert_eq!(cache.len(), MAX_PATHS);
        // The paths used last are the ones kept.
        assert_eq!(cache.get("/p19999").await.unwrap()[0].value, "/p19999");
        assert_eq!(
            provider.calls.load(std::sync::atomic::Ordering::SeqCst),
            calls
        );
    }
}
