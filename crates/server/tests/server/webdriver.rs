#![allow(dead_code)]
//! A minimal synchronous W3C WebDriver client for the browser tests (DESIGN.md §7).
//!
//! [`Browser::start`] runs `chromedriver` (path from `CHROMEDRIVER`, default
//! `/usr/bin/chromedriver`) on a free loopback port and opens a session in headless
//! Chromium (binary from `CHROMIUM`, default `/usr/bin/chromium`) with a fresh profile in a
//! temporary directory. Dropping the [`Browser`] ends the session, stops chromedriver and
//! removes the directory. `scripts/test.sh` installs both and exports the two variables.
//!
//! Every call returns `Result<_, String>`; a WebDriver error reads `"<error>: <message>"`.
//! Waiting is done by polling the DOM every 50 ms up to a deadline, never by fixed sleeps.
//!
//! ```ignore
//! let b = Browser::start()?;
//! b.goto(&format!("{base}/login"))?;
//! let email = b.wait_for("input[name=email]", Duration::from_secs(5))?;
//! b.send_keys(&email, "ada@example.com")?;
//! b.click(&b.find("button[type=submit]")?)?;
//! b.wait_for_text("h1", "Projects", Duration::from_secs(5))?;
//! ```

use std::fs;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::{Value, json};

/// The key under which W3C WebDriver identifies an element in JSON.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";
/// Interval between polls of the DOM in the `wait_*` helpers.
const POLL: Duration = Duration::from_millis(50);
/// How long chromedriver may take to report ready after it was spawned.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(30);
/// Upper bound for any single WebDriver HTTP call (page loads included).
const CALL_TIMEOUT: Duration = Duration::from_secs(90);
/// Largest response body read (page sources and screenshots can be large).
const MAX_BODY: u64 = 64 * 1024 * 1024;

/// A WebDriver element reference, valid while its page is loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Element(pub String);

impl Element {
    /// The JSON form WebDriver expects, e.g. as an argument to [`Browser::execute`].
    pub fn to_json(&self) -> Value {
        json!({ ELEMENT_KEY: self.0 })
    }

    fn from_json(value: &Value) -> Result<Self, String> {
        value
            .get(ELEMENT_KEY)
            .and_then(Value::as_str)
            .map(|id| Element(id.to_owned()))
            .ok_or_else(|| format!("not a WebDriver element: {value}"))
    }
}

/// The chromedriver child process and the temporary directory it and Chromium use.
/// Dropped after the session has been deleted (fields drop after `Browser::drop`).
struct Driver {
    child: Child,
    dir: PathBuf,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// One headless Chromium session driven over WebDriver.
pub struct Browser {
    agent: ureq::Agent,
    /// `http://127.0.0.1:PORT/session/ID`
    session_url: String,
    driver: Driver,
}

impl Browser {
    /// Starts chromedriver and a headless Chromium session (1280×900 window).
    pub fn start() -> Result<Self, String> {
        let chromedriver =
            std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into());
        let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());

        let dir = unique_temp_dir()?;
        let port = free_port()?;
        let log_path = dir.join("chromedriver.log");
        let child = Command::new(&chromedriver)
            .arg(format!("--port={port}"))
            .arg(format!("--log-path={}", log_path.display()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| {
                let _ = fs::remove_dir_all(&dir);
                format!("cannot start {chromedriver}: {e}")
            })?;
        let mut driver = Driver { child, dir };

        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .proxy(None)
            .timeout_global(Some(CALL_TIMEOUT))
            .build()
            .new_agent();
        let base = format!("http://127.0.0.1:{port}");

        wait_until_ready(&agent, &base, &mut driver.child)
            .map_err(|e| format!("{e}{}", log_tail(&log_path)))?;

        let profile = driver.dir.join("profile");
        let caps = json!({
            "capabilities": {
                "alwaysMatch": {
                    "browserName": "chrome",
                    "pageLoadStrategy": "normal",
                    "timeouts": { "implicit": 0, "pageLoad": 30_000, "script": 30_000 },
                    "goog:chromeOptions": {
                        "binary": chromium,
                        "args": [
                            "--headless=new",
                            "--no-sandbox",
                            "--disable-gpu",
                            "--disable-dev-shm-usage",
                            "--disable-background-networking",
                            "--disable-component-update",
                            "--disable-sync",
                            "--no-first-run",
                            "--window-size=1280,900",
                            format!("--user-data-dir={}", profile.display()),
                        ],
                    },
                },
            },
        });
        let value = send(&agent, Method::Post, &format!("{base}/session"), Some(caps))
            .map_err(|e| format!("cannot create session: {e}{}", log_tail(&log_path)))?;
        let id = value
            .get("sessionId")
            .and_then(Value::as_str)
            .ok_or_else(|| format!("no sessionId in new-session reply: {value}"))?;

        Ok(Browser {
            agent,
            session_url: format!("{base}/session/{id}"),
            driver,
        })
    }

    /// Navigates to `url` and waits for the page load to complete.
    pub fn goto(&self, url: &str) -> Result<(), String> {
        self.post("/url", json!({ "url": url })).map(drop)
    }

    /// The URL of the current page.
    pub fn current_url(&self) -> Result<String, String> {
        as_string(self.get("/url")?)
    }

    /// The `<title>` of the current page.
    pub fn title(&self) -> Result<String, String> {
        as_string(self.get("/title")?)
    }

    /// The first element matching a CSS selector (error `no such element` if none).
    pub fn find(&self, css: &str) -> Result<Element, String> {
        let value = self.post("/element", by_css(css))?;
        Element::from_json(&value)
    }

    /// All elements matching a CSS selector, in document order (possibly none).
    pub fn find_all(&self, css: &str) -> Result<Vec<Element>, String> {
        elements(self.post("/elements", by_css(css))?)
    }

    /// The first element matching a CSS selector inside `parent`.
    pub fn find_in(&self, parent: &Element, css: &str) -> Result<Element, String> {
        let value = self.post(&format!("/element/{}/element", parent.0), by_css(css))?;
        Element::from_json(&value)
    }

    /// All elements matching a CSS selector inside `parent`.
    pub fn find_all_in(&self, parent: &Element, css: &str) -> Result<Vec<Element>, String> {
        elements(self.post(&format!("/element/{}/elements", parent.0), by_css(css))?)
    }

    /// Clicks an element (scrolling it into view first, as a user would).
    pub fn click(&self, el: &Element) -> Result<(), String> {
        self.post(&format!("/element/{}/click", el.0), json!({}))
            .map(drop)
    }

    /// Types `text` into an element, appending to what it holds.
    pub fn send_keys(&self, el: &Element, text: &str) -> Result<(), String> {
        self.post(&format!("/element/{}/value", el.0), json!({ "text": text }))
            .map(drop)
    }

    /// Empties an input or textarea.
    pub fn clear(&self, el: &Element) -> Result<(), String> {
        self.post(&format!("/element/{}/clear", el.0), json!({}))
            .map(drop)
    }

    /// The rendered (visible) text of an element.
    pub fn text(&self, el: &Element) -> Result<String, String> {
        as_string(self.get(&format!("/element/{}/text", el.0))?)
    }

    /// An HTML attribute as written in the markup; `None` when absent.
    pub fn attr(&self, el: &Element, name: &str) -> Result<Option<String>, String> {
        optional_string(self.get(&format!("/element/{}/attribute/{name}", el.0))?)
    }

    /// A DOM property, e.g. `value` (what an input holds now) or `checked`.
    pub fn property(&self, el: &Element, name: &str) -> Result<Value, String> {
        self.get(&format!("/element/{}/property/{name}", el.0))
    }

    /// The serialized DOM of the current page.
    pub fn page_source(&self) -> Result<String, String> {
        as_string(self.get("/source")?)
    }

    /// Runs a synchronous script (`return …;` gives the result); pass elements with
    /// [`Element::to_json`].
    pub fn execute(&self, script: &str, args: Vec<Value>) -> Result<Value, String> {
        self.post("/execute/sync", json!({ "script": script, "args": args }))
    }

    /// Polls every 50 ms until an element matches `css`, or fails after `timeout`.
    pub fn wait_for(&self, css: &str, timeout: Duration) -> Result<Element, String> {
        self.poll(timeout, || self.find(css))
            .map_err(|last| format!("timed out after {timeout:?} waiting for `{css}`: {last}"))
    }

    /// Polls until an element matching `css` has visible text containing `needle`.
    pub fn wait_for_text(
        &self,
        css: &str,
        needle: &str,
        timeout: Duration,
    ) -> Result<Element, String> {
        self.poll(timeout, || {
            for el in self.find_all(css)? {
                if self.text(&el)?.contains(needle) {
                    return Ok(el);
                }
            }
            Err(format!("no `{css}` contains the text {needle:?}"))
        })
        .map_err(|last| format!("timed out after {timeout:?}: {last}"))
    }

    /// Polls until no element matches `css` any more.
    pub fn wait_for_absent(&self, css: &str, timeout: Duration) -> Result<(), String> {
        self.poll(timeout, || match self.find_all(css)?.len() {
            0 => Ok(()),
            n => Err(format!("{n} element(s) still match `{css}`")),
        })
        .map_err(|last| format!("timed out after {timeout:?}: {last}"))
    }

    /// Chooses the `<option>` whose value is `value` in the `<select>` matching
    /// `select_css`, by clicking it as a user would.
    pub fn select_option(&self, select_css: &str, value: &str) -> Result<(), String> {
        let select = self.find(select_css)?;
        for option in self.find_all_in(&select, "option")? {
            if self.property(&option, "value")?.as_str() == Some(value) {
                self.click(&option)?;
                return match self.property(&select, "value")?.as_str() {
                    Some(v) if v == value => Ok(()),
                    other => Err(format!(
                        "`{select_css}` holds {other:?} after choosing {value:?}"
                    )),
                };
            }
        }
        Err(format!("`{select_css}` has no option with value {value:?}"))
    }

    /// Drags with the mouse as a user would: presses the left button at the centre of `el`
    /// (which must be in the viewport), moves by `dx`, `dy` CSS pixels in `steps` moves, and
    /// releases. Pointer events reach the page as from a real mouse.
    pub fn drag_by(&self, el: &Element, dx: i64, dy: i64, steps: i64) -> Result<(), String> {
        let steps = steps.max(1);
        let mut actions = vec![
            json!({"type": "pointerMove", "duration": 0, "origin": el.to_json(), "x": 0, "y": 0}),
            json!({"type": "pointerDown", "button": 0}),
        ];
        let (mut x, mut y) = (0, 0);
        for i in 1..=steps {
            let (nx, ny) = (dx * i / steps, dy * i / steps);
            let (mx, my) = (nx - x, ny - y);
            actions.push(json!({"type": "pointerMove", "duration": 20, "origin": "pointer", "x": mx, "y": my}));
            (x, y) = (nx, ny);
        }
        actions.push(json!({"type": "pointerUp", "button": 0}));
        let body = json!({"actions": [{
            "type": "pointer", "id": "mouse", "parameters": {"pointerType": "mouse"},
            "actions": actions,
        }]});
        self.post("/actions", body)?;
        self.release_actions()
    }

    /// Presses and releases each key in turn on whatever has the focus; keys are characters
    /// or WebDriver key codes such as `"\u{E014}"` (arrow right) and `"\u{E007}"` (Enter).
    pub fn press_keys(&self, keys: &[&str]) -> Result<(), String> {
        let actions: Vec<Value> = keys
            .iter()
            .flat_map(|k| {
                [
                    json!({"type": "keyDown", "value": k}),
                    json!({"type": "keyUp", "value": k}),
                ]
            })
            .collect();
        let body = json!({"actions": [{"type": "key", "id": "keyboard", "actions": actions}]});
        self.post("/actions", body)?;
        self.release_actions()
    }

    /// Releases any key or button an action sequence left down.
    fn release_actions(&self) -> Result<(), String> {
        send(
            &self.agent,
            Method::Delete,
            &format!("{}/actions", self.session_url),
            None,
        )
        .map(drop)
    }

    /// The current page's cookies as a `Cookie` request header (`name=value; …`), to ask the
    /// server for a page as this browser's session outside the browser.
    pub fn cookie_header(&self) -> Result<String, String> {
        let cookies = self.get("/cookie")?;
        Ok(cookies
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|c| Some(format!("{}={}", c["name"].as_str()?, c["value"].as_str()?)))
            .collect::<Vec<_>>()
            .join("; "))
    }

    /// Saves a PNG screenshot of the viewport to `path`.
    pub fn screenshot_png(&self, path: impl AsRef<Path>) -> Result<(), String> {
        let encoded = as_string(self.get("/screenshot")?)?;
        let png = base64::engine::general_purpose::STANDARD
            .decode(encoded.as_bytes())
            .map_err(|e| format!("screenshot is not base64: {e}"))?;
        let path = path.as_ref();
        fs::write(path, png).map_err(|e| format!("cannot write {}: {e}", path.display()))
    }

    /// Resizes the browser window (outer size, in CSS pixels).
    pub fn set_window_size(&self, width: u32, height: u32) -> Result<(), String> {
        self.post("/window/rect", json!({ "width": width, "height": height }))
            .map(drop)
    }

    /// Calls `attempt` every 50 ms until it succeeds or `timeout` passes; the error is
    /// the last attempt's.
    fn poll<T>(
        &self,
        timeout: Duration,
        mut attempt: impl FnMut() -> Result<T, String>,
    ) -> Result<T, String> {
        let deadline = Instant::now() + timeout;
        loop {
            match attempt() {
                Ok(found) => return Ok(found),
                Err(e) if Instant::now() >= deadline => return Err(e),
                Err(_) => std::thread::sleep(POLL),
            }
        }
    }

    fn get(&self, path: &str) -> Result<Value, String> {
        send(
            &self.agent,
            Method::Get,
            &format!("{}{path}", self.session_url),
            None,
        )
    }

    fn post(&self, path: &str, body: Value) -> Result<Value, String> {
        send(
            &self.agent,
            Method::Post,
            &format!("{}{path}", self.session_url),
            Some(body),
        )
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // Quits Chromium; `driver` is dropped next and stops chromedriver.
        let _ = send(&self.agent, Method::Delete, &self.session_url, None);
    }
}

enum Method {
    Get,
    Post,
    Delete,
}

/// Sends one WebDriver command and returns the reply's `value`.
fn send(
    agent: &ureq::Agent,
    method: Method,
    url: &str,
    body: Option<Value>,
) -> Result<Value, String> {
    let result = match method {
        Method::Get => agent.get(url).call(),
        Method::Delete => agent.delete(url).call(),
        Method::Post => agent.post(url).send_json(body.unwrap_or_else(|| json!({}))),
    };
    let mut response = result.map_err(|e| format!("{url}: {e}"))?;
    let status = response.status();
    let bytes = response
        .body_mut()
        .with_config()
        .limit(MAX_BODY)
        .read_to_vec()
        .map_err(|e| format!("{url}: reading reply: {e}"))?;
    let reply: Value = serde_json::from_slice(&bytes).map_err(|e| {
        format!(
            "{url}: HTTP {status}, not JSON ({e}): {}",
            String::from_utf8_lossy(&bytes)
        )
    })?;
    let value = reply.get("value").cloned().unwrap_or(Value::Null);
    if let Some(error) = value.get("error").and_then(Value::as_str) {
        let message = value.get("message").and_then(Value::as_str).unwrap_or("");
        return Err(format!("{error}: {message}"));
    }
    if !status.is_success() {
        return Err(format!("{url}: HTTP {status}: {reply}"));
    }
    Ok(value)
}

/// Polls chromedriver's `/status` until it reports ready, the process exits, or
/// [`STARTUP_TIMEOUT`] passes.
fn wait_until_ready(agent: &ureq::Agent, base: &str, child: &mut Child) -> Result<(), String> {
    let deadline = Instant::now() + STARTUP_TIMEOUT;
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!("chromedriver exited during start-up ({status})"));
        }
        let ready = send(agent, Method::Get, &format!("{base}/status"), None);
        match ready {
            Ok(v) if v.get("ready").and_then(Value::as_bool) == Some(true) => return Ok(()),
            Ok(v) if Instant::now() >= deadline => {
                return Err(format!(
                    "chromedriver not ready after {STARTUP_TIMEOUT:?}: {v}"
                ));
            }
            Err(e) if Instant::now() >= deadline => {
                return Err(format!(
                    "chromedriver not ready after {STARTUP_TIMEOUT:?}: {e}"
                ));
            }
            _ => std::thread::sleep(POLL),
        }
    }
}

fn by_css(css: &str) -> Value {
    json!({ "using": "css selector", "value": css })
}

fn elements(value: Value) -> Result<Vec<Element>, String> {
    match value {
        Value::Array(items) => items.iter().map(Element::from_json).collect(),
        other => Err(format!("expected a list of elements, got {other}")),
    }
}

fn as_string(value: Value) -> Result<String, String> {
    match value {
        Value::String(s) => Ok(s),
        other => Err(format!("expected a string, got {other}")),
    }
}

fn optional_string(value: Value) -> Result<Option<String>, String> {
    match value {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s)),
        other => Ok(Some(other.to_string())),
    }
}

/// A port on 127.0.0.1 that was free a moment ago.
fn free_port() -> Result<u16, String> {
    let listener = TcpListener::bind(("127.0.0.1", 0)).map_err(|e| format!("bind: {e}"))?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| format!("local_addr: {e}"))
}

/// A new, empty directory under the system temp dir, unique to this process and call.
fn unique_temp_dir() -> Result<PathBuf, String> {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!(
        "formula-webdriver-{}-{n}-{nanos}",
        std::process::id()
    ));
    fs::create_dir(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    Ok(dir)
}

/// The end of chromedriver's log, to explain a failed start.
fn log_tail(path: &Path) -> String {
    let Ok(log) = fs::read_to_string(path) else {
        return String::new();
    };
    let start = log.len().saturating_sub(2000);
    let start = (start..log.len())
        .find(|&i| log.is_char_boundary(i))
        .unwrap_or(log.len());
    format!("\n--- chromedriver log (tail) ---\n{}", &log[start..])
}
