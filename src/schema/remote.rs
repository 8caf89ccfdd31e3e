//! Remote schema locations (`--schema-location https://…`): fetch a schema once per URL, with a
//! timeout and a size cap, and keep it in an on-disk cache so that later runs need no network.
//! Only used when such a location is configured explicitly; nothing else in the tool goes online.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use sha2::{Digest, Sha256};

/// Largest schema accepted (kubeconform's biggest standalone schemas are a few MB).
pub const MAX_SCHEMA_BYTES: u64 = 16 << 20;
/// Longest a whole request (connect, redirects, body) may take.
pub const TIMEOUT: Duration = Duration::from_secs(30);
/// Longest the connection may take to open.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// What fetching one URL gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fetched {
    /// The schema text (JSON), from the cache or the server.
    Found(Arc<Vec<u8>>),
    /// The server answered 404: the location has no schema for this kind (the next location is
    /// tried, as kubeconform does).
    NotFound,
    /// Anything else: the message says what went wrong.
    Failed(String),
}

/// The schemas cache directory: `$TOLLGATE_CACHE_DIR/schemas`, else
/// `$XDG_CACHE_HOME/tollgate/schemas`, else `~/.cache/tollgate/schemas` (`None`: no cache).
pub fn cache_dir_from(env: impl Fn(&str) -> Option<String>) -> Option<PathBuf> {
    let set = |k: &str| env(k).filter(|v| !v.is_empty()).map(PathBuf::from);
    if let Some(d) = set("TOLLGATE_CACHE_DIR") {
        return Some(d.join("schemas"));
    }
    if let Some(d) = set("XDG_CACHE_HOME") {
        return Some(d.join("tollgate").join("schemas"));
    }
    set("HOME").map(|h| h.join(".cache").join("tollgate").join("schemas"))
}

/// The cache file of a URL: its SHA-256, so any URL gives a safe file name.
pub fn cache_file(dir: &Path, url: &str) -> PathBuf {
    let hash = Sha256::digest(url.as_bytes());
    let hex: String = hash.iter().map(|b| format!("{b:02x}")).collect();
    dir.join(format!("{hex}.json"))
}

/// Fetches schemas over HTTP(S), each URL once per run, through the on-disk cache.
pub struct Fetcher {
    agent: OnceLock<ureq::Agent>,
    cache_dir: Option<PathBuf>,
    /// What each URL gave in this run.
    seen: Mutex<HashMap<String, Fetched>>,
    /// Hosts that could not be reached in this run, with the error: later URLs on the same host
    /// fail at once instead of waiting for the timeout again.
    down: Mutex<HashMap<String, String>>,
}

impl std::fmt::Debug for Fetcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fetcher").field("cache_dir", &self.cache_dir).finish()
    }
}

impl Fetcher {
    /// A fetcher caching under `cache_dir` (`None`: no disk cache).
    pub fn new(cache_dir: Option<PathBuf>) -> Fetcher {
        Fetcher {
            agent: OnceLock::new(),
            cache_dir,
            seen: Mutex::new(HashMap::new()),
            down: Mutex::new(HashMap::new()),
        }
    }

    /// A fetcher caching where the environment says ([`cache_dir_from`]).
    pub fn from_env() -> Fetcher {
        Fetcher::new(cache_dir_from(|k| std::env::var(k).ok()))
    }

    fn agent(&self) -> &ureq::Agent {
        self.agent.get_or_init(|| {
            ureq::Agent::config_builder()
                .timeout_global(Some(TIMEOUT))
                .timeout_connect(Some(CONNECT_TIMEOUT))
                .http_status_as_error(false)
                .user_agent(concat!("tollgate/", env!("CARGO_PKG_VERSION")))
                .build()
                .new_agent()
        })
    }

    /// The schema at `url`: from this run's memory, the disk cache, or the server (then cached).
    pub fn fetch(&self, url: &str) -> Fetched {
        if let Some(f) = self.seen.lock().ok().and_then(|s| s.get(url).cloned()) {
            return f;
        }
        let got = self.fetch_uncached(url);
        if let Ok(mut s) = self.seen.lock() {
            s.insert(url.to_string(), got.clone());
        }
        got
    }

    fn fetch_uncached(&self, url: &str) -> Fetched {
        let cached = self.cache_dir.as_ref().map(|d| cache_file(d, url));
        if let Some(p) = &cached {
            if let Ok(bytes) = std::fs::read(p) {
                if serde_json::from_slice::<serde::de::IgnoredAny>(&bytes).is_ok() {
                    return Fetched::Found(Arc::new(bytes));
                }
            }
        }
        let host = host_of(url);
        if let Some(e) = self.down.lock().ok().and_then(|d| d.get(&host).cloned()) {
            return Fetched::Failed(e);
        }
        match self.get(url) {
            Ok(Some(bytes)) => {
                if let Err(e) = serde_json::from_slice::<serde::de::IgnoredAny>(&bytes) {
                    return Fetched::Failed(format!("the response is not JSON ({e})"));
                }
                if let Some(p) = &cached {
                    // Best effort: a cache that cannot be written only costs a fetch next time.
                    let _ = write_atomically(p, &bytes);
                }
                Fetched::Found(Arc::new(bytes))
            }
            Ok(None) => Fetched::NotFound,
            Err((msg, unreachable)) => {
                if unreachable {
                    if let Ok(mut d) = self.down.lock() {
                        d.insert(host, msg.clone());
                    }
                }
                Fetched::Failed(msg)
            }
        }
    }

    /// GET `url`: the body (`None` on 404), or the error and whether the host is unreachable.
    fn get(&self, url: &str) -> Result<Option<Vec<u8>>, (String, bool)> {
        let resp = match self.agent().get(url).call() {
            Ok(r) => r,
            Err(e) => {
                let unreachable = matches!(
                    e,
                    ureq::Error::Io(_)
                        | ureq::Error::Timeout(_)
                        | ureq::Error::HostNotFound
                        | ureq::Error::ConnectionFailed
                );
                return Err((describe(&e), unreachable));
            }
        };
        let status = resp.status().as_u16();
        if status == 404 {
            return Ok(None);
        }
        if !(200..300).contains(&status) {
            return Err((format!("the server answered HTTP {status}"), false));
        }
        let mut body = resp.into_body();
        match body.with_config().limit(MAX_SCHEMA_BYTES).read_to_vec() {
            Ok(b) => Ok(Some(b)),
            Err(ureq::Error::BodyExceedsLimit(n)) => {
                Err((format!("the schema is larger than the {n}-byte cap"), false))
            }
            Err(e) => Err((describe(&e), false)),
        }
    }
}

/// `scheme://host:port` of a URL (the key of unreachable hosts).
fn host_of(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let host = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    format!("{}://{host}", scheme.to_ascii_lowercase())
}

fn describe(e: &ureq::Error) -> String {
    match e {
        ureq::Error::Io(io) => match io.kind() {
            std::io::ErrorKind::ConnectionRefused => "connection refused".to_string(),
            _ => io.to_string(),
        },
        ureq::Error::Timeout(t) => format!("timed out ({t})"),
        ureq::Error::HostNotFound => "host not found".to_string(),
        other => other.to_string(),
    }
}

fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    drop(f);
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_dirs() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string())
        };
        assert_eq!(
            cache_dir_from(env(&[("TOLLGATE_CACHE_DIR", "/c"), ("XDG_CACHE_HOME", "/x"), ("HOME", "/h")])),
            Some(PathBuf::from("/c/schemas"))
        );
        assert_eq!(
            cache_dir_from(env(&[("TOLLGATE_CACHE_DIR", ""), ("XDG_CACHE_HOME", "/x"), ("HOME", "/h")])),
            Some(PathBuf::from("/x/tollgate/schemas"))
        );
        assert_eq!(cache_dir_from(env(&[("HOME", "/h")])), Some(PathBuf::from("/h/.cache/tollgate/schemas")));
        assert_eq!(cache_dir_from(env(&[])), None);
        let a = cache_file(Path::new("/c"), "https://e.x/a.json");
        assert_ne!(a, cache_file(Path::new("/c"), "https://e.x/b.json"));
        assert_eq!(a.extension().and_then(|x| x.to_str()), Some("json"));
        assert_eq!(host_of("https://Example.com:8443/a/b.json?x"), "https://Example.com:8443");
    }
}
