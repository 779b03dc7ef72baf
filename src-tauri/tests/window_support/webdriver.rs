//! A minimal W3C WebDriver client over HTTP, enough to drive the app's webview through
//! WebKitWebDriver: sessions, scripts, element clicks and page reloads.

use std::time::Duration;

use serde_json::{json, Value};

/// The W3C key under which an element reference travels.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

/// One WebDriver session. Delete it with [`Session::delete`]; WebKitWebDriver allows only
/// one at a time.
pub struct Session {
    base: String,
    id: String,
    agent: ureq::Agent,
}

impl Session {
    /// Starts the app at `binary` through the WebKitWebDriver listening on `port`.
    pub fn start(port: u16, binary: &str) -> Result<Self, String> {
        let base = format!("http://127.0.0.1:{port}");
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(Duration::from_secs(120)))
            .http_status_as_error(false)
            .build()
            .into();
        let capabilities = json!({
            "capabilities": {
                "alwaysMatch": {
                    "webkitgtk:browserOptions": { "binary": binary, "args": [] }
                }
            }
        });
        let value = request(&agent, "POST", &format!("{base}/session"), Some(capabilities))?;
        let id = value["sessionId"].as_str().ok_or_else(|| format!("no session id in {value}"))?.to_string();
        Ok(Self { base, id, agent })
    }

    fn url(&self, path: &str) -> String {
        format!("{}/session/{}{path}", self.base, self.id)
    }

    fn post(&self, path: &str, body: Value) -> Result<Value, String> {
        request(&self.agent, "POST", &self.url(path), Some(body))
    }

    /// Runs `script` as a function body with `args` and returns its result.
    pub fn execute(&self, script: &str, args: Value) -> Result<Value, String> {
        self.post("/execute/sync", json!({ "script": script, "args": args }))
    }

    /// Runs `script` as an async function body; it must call its last argument with the
    /// result.
    pub fn execute_async(&self, script: &str, args: Value) -> Result<Value, String> {
        self.post("/execute/async", json!({ "script": script, "args": args }))
    }

    /// Clicks the element `selector` finds first, as a user would. The page redraws some
    /// lists from events, so an element replaced between finding and clicking it is found
    /// again, a few times at most.
    pub fn click(&self, selector: &str) -> Result<(), String> {
        let mut attempts = 0;
        loop {
            let found = self.post("/element", json!({ "using": "css selector", "value": selector }))?;
            let element = found[ELEMENT_KEY].as_str().ok_or_else(|| format!("no element for '{selector}': {found}"))?;
            match self.post(&format!("/element/{element}/click"), json!({})) {
                Err(error) if error.contains("stale element reference") && attempts < 5 => {
                    attempts += 1;
                    std::thread::sleep(Duration::from_millis(100));
                }
                result => return result.map(|_| ()),
            }
        }
    }

    pub fn refresh(&self) -> Result<(), String> {
        self.post("/refresh", json!({}))?;
        Ok(())
    }

    pub fn delete(&self) -> Result<(), String> {
        request(&self.agent, "DELETE", &self.url(""), None).map(|_| ())
    }
}

/// Sends one WebDriver request and returns the `value` of its response, or the
/// WebDriver error as text.
fn request(agent: &ureq::Agent, method: &str, url: &str, body: Option<Value>) -> Result<Value, String> {
    let response = match (method, body) {
        ("POST", Some(body)) => agent.post(url).header("Content-Type", "application/json").send(body.to_string()),
        ("DELETE", _) => agent.delete(url).call(),
        ("GET", _) => agent.get(url).call(),
        _ => return Err(format!("unsupported request {method} {url}")),
    };
    let mut response = response.map_err(|error| format!("{method} {url}: {error}"))?;
    let status = response.status().as_u16();
    let text = response.body_mut().read_to_string().map_err(|error| format!("{method} {url}: {error}"))?;
    let parsed: Value = serde_json::from_str(&text).map_err(|error| format!("{method} {url}: {error}: {text}"))?;

    if status >= 400 {
        return Err(format!("{method} {url}: HTTP {status}: {}", parsed["value"]));
    }
    Ok(parsed["value"].clone())
}

/// Returns true once the WebKitWebDriver at `port` responds to a status request.
pub fn is_ready(port: u16) -> bool {
    let agent: ureq::Agent =
        ureq::Agent::config_builder().timeout_global(Some(Duration::from_secs(2))).build().into();
    agent.get(&format!("http://127.0.0.1:{port}/status")).call().is_ok()
}

impl Session {
    /// Presses and releases `key` (a character or a WebDriver key code such as Tab,
    /// `\u{E004}`) on the element that has focus.
    pub fn press_key(&self, key: &str) -> Result<(), String> {
        let actions = json!({
            "actions": [{
                "type": "key",
                "id": "keyboard",
                "actions": [{ "type": "keyDown", "value": key }, { "type": "keyUp", "value": key }]
            }]
        });
        self.post("/actions", actions)?;
        Ok(())
    }
}
