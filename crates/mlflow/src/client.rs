//! A small blocking client for MLflow's REST API: JSON in and out, credentials from
//! MLflow's own environment variables, a time limit on every request, and errors that say
//! what went wrong in words a user can act on.

use std::fmt;
use std::time::Duration;

use base64::Engine;
use serde_json::Value;

/// How long connecting may take: an unreachable server is reported quickly.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long one request may take in all: a mirror must never hang a run, but a busy
/// server may take a few seconds for a batch of 1000 metrics.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Credentials, as MLflow's own client reads them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Auth {
    None,
    /// `MLFLOW_TRACKING_TOKEN`.
    Bearer(String),
    /// `MLFLOW_TRACKING_USERNAME` and `MLFLOW_TRACKING_PASSWORD`.
    Basic {
        user: String,
        password: String,
    },
}

impl Auth {
    /// From the process environment.
    pub fn from_env() -> Auth {
        Auth::from_vars(|name| std::env::var(name).ok())
    }

    /// From variables looked up by `var`. A user name and password win over a token, as
    /// in MLflow's Python client; empty values count as unset.
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Auth {
        let set = |name: &str| var(name).filter(|v| !v.is_empty());
        match (
            set("MLFLOW_TRACKING_USERNAME"),
            set("MLFLOW_TRACKING_PASSWORD"),
        ) {
            (Some(user), Some(password)) => Auth::Basic { user, password },
            _ => match set("MLFLOW_TRACKING_TOKEN") {
                Some(token) => Auth::Bearer(token),
                None => Auth::None,
            },
        }
    }

    fn header(&self) -> Option<String> {
        match self {
            Auth::None => None,
            Auth::Bearer(token) => Some(format!("Bearer {token}")),
            Auth::Basic { user, password } => Some(format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
            )),
        }
    }
}

/// Why a mirror failed.
#[derive(Debug)]
pub enum MirrorError {
    /// The tracking URI is not an http(s) URL.
    BadUri(String),
    /// No connection, or no answer in time.
    Unreachable { uri: String, reason: String },
    /// The server answered with an error status.
    Http {
        uri: String,
        endpoint: String,
        status: u16,
        /// MLflow's `error_code` and `message`, when the body holds them.
        code: Option<String>,
        message: String,
    },
    /// The server answered, but not as MLflow does.
    BadResponse {
        uri: String,
        endpoint: String,
        detail: String,
    },
    /// The experiment exists but was deleted.
    ExperimentDeleted(String),
    /// Reading the run from the lineage store failed.
    Store(mlforge_store::StoreError),
    /// There is no such mlforge run.
    NoSuchRun(i64),
    /// The mlforge run has not ended.
    StillRunning(i64),
}

impl fmt::Display for MirrorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MirrorError::BadUri(uri) => write!(
                f,
                "`{uri}` is not an MLflow tracking server URL: give its http:// or https:// \
                 address, like http://127.0.0.1:5000"
            ),
            MirrorError::Unreachable { uri, reason } => write!(
                f,
                "could not reach the MLflow tracking server at {uri}: {reason}; is `mlflow server` running?"
            ),
            MirrorError::Http {
                uri,
                endpoint,
                status,
                code,
                message,
            } => {
                write!(f, "the MLflow server at {uri} refused {endpoint} (HTTP {status}")?;
                match code {
                    Some(code) => write!(f, ", {code}): {message}")?,
                    None => write!(f, "): {message}")?,
                }
                if matches!(status, 401 | 403) {
                    write!(
                        f,
                        "; set MLFLOW_TRACKING_TOKEN, or MLFLOW_TRACKING_USERNAME and \
                         MLFLOW_TRACKING_PASSWORD, to credentials the server accepts"
                    )?;
                } else if *status == 404 && code.is_none() {
                    write!(
                        f,
                        "; is {uri} the tracking server's root address (without /api/…)?"
                    )?;
                }
                Ok(())
            }
            MirrorError::BadResponse {
                uri,
                endpoint,
                detail,
            } => write!(
                f,
                "the server at {uri} answered {endpoint} with something other than MLflow's \
                 JSON ({detail}); is it an MLflow tracking server?"
            ),
            MirrorError::ExperimentDeleted(name) => write!(
                f,
                "the MLflow experiment `{name}` was deleted; restore it in MLflow or choose \
                 another name with --mlflow-experiment"
            ),
            MirrorError::Store(e) => write!(f, "cannot read the run from the lineage store: {e}"),
            MirrorError::NoSuchRun(id) => {
                write!(f, "there is no run {id}; `mlforge runs` lists them")
            }
            MirrorError::StillRunning(id) => write!(
                f,
                "run {id} is still running; mirror it once it has finished"
            ),
        }
    }
}

impl std::error::Error for MirrorError {}

impl From<mlforge_store::StoreError> for MirrorError {
    fn from(e: mlforge_store::StoreError) -> Self {
        MirrorError::Store(e)
    }
}

/// A connection to one tracking server.
pub struct Client {
    /// The server's root URL, without a trailing slash.
    base: String,
    agent: ureq::Agent,
    auth: Option<String>,
}

/// The tracking URI without trailing slashes, if it is an http(s) URL with a host.
pub fn normalize_uri(uri: &str) -> Result<String, MirrorError> {
    let trimmed = uri.trim().trim_end_matches('/');
    let rest = trimmed
        .strip_prefix("http://")
        .or_else(|| trimmed.strip_prefix("https://"));
    match rest {
        Some(host) if !host.is_empty() && !host.starts_with('/') => Ok(trimmed.to_string()),
        _ => Err(MirrorError::BadUri(uri.to_string())),
    }
}

/// The reason in an unreachable-server message, from a transport error.
fn transport_reason(error: &ureq::Error) -> String {
    match error {
        ureq::Error::Io(e) => match e.kind() {
            std::io::ErrorKind::ConnectionRefused => "connection refused".into(),
            std::io::ErrorKind::ConnectionReset => "the connection was reset".into(),
            std::io::ErrorKind::TimedOut => {
                format!("no answer within {} s", REQUEST_TIMEOUT.as_secs())
            }
            _ => e.to_string(),
        },
        ureq::Error::Timeout(ureq::Timeout::Connect | ureq::Timeout::Resolve) => {
            format!("no connection within {} s", CONNECT_TIMEOUT.as_secs())
        }
        ureq::Error::Timeout(_) => format!("no answer within {} s", REQUEST_TIMEOUT.as_secs()),
        ureq::Error::HostNotFound => "the host name was not found".into(),
        ureq::Error::ConnectionFailed => "the connection failed".into(),
        ureq::Error::Tls(detail) => format!("TLS failed: {detail}"),
        other => other.to_string(),
    }
}

/// MLflow's `error_code` and `message` from an error body, else the body's first line.
fn error_parts(body: &str) -> (Option<String>, String) {
    if let Ok(Value::Object(o)) = serde_json::from_str::<Value>(body) {
        let code = o
            .get("error_code")
            .and_then(Value::as_str)
            .map(str::to_string);
        if let Some(message) = o.get("message").and_then(Value::as_str) {
            return (code, message.to_string());
        }
        if code.is_some() {
            return (code, "(no message)".into());
        }
    }
    // A proxy's or another web server's error page: its markup says nothing useful.
    if body.trim_start().starts_with('<') {
        return (None, "an HTML page, not MLflow's JSON".into());
    }
    let first = body.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let mut line: String = first.trim().chars().take(200).collect();
    if line.is_empty() {
        line = "(empty answer)".into();
    }
    (None, line)
}

impl Client {
    pub fn new(uri: &str, auth: &Auth) -> Result<Client, MirrorError> {
        let base = normalize_uri(uri)?;
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_connect(Some(CONNECT_TIMEOUT))
            .timeout_global(Some(REQUEST_TIMEOUT))
            // Error statuses carry MLflow's error_code and message in the body: read it.
            .http_status_as_error(false)
            .build()
            .into();
        Ok(Client {
            base,
            agent,
            auth: auth.header(),
        })
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    /// `GET /api/2.0/mlflow/<endpoint>?<query>`.
    pub fn get(&self, endpoint: &str, query: &[(&str, &str)]) -> Result<Value, MirrorError> {
        let mut request = self.agent.get(self.url(endpoint));
        for (name, value) in query {
            request = request.query(*name, *value);
        }
        if let Some(auth) = &self.auth {
            request = request.header("Authorization", auth);
        }
        self.answer(endpoint, request.call())
    }

    /// `POST /api/2.0/mlflow/<endpoint>` with a JSON body.
    pub fn post(&self, endpoint: &str, body: &Value) -> Result<Value, MirrorError> {
        let mut request = self
            .agent
            .post(self.url(endpoint))
            .header("Content-Type", "application/json");
        if let Some(auth) = &self.auth {
            request = request.header("Authorization", auth);
        }
        self.answer(endpoint, request.send(body.to_string()))
    }

    /// `PUT /api/2.0/mlflow-artifacts/artifacts/<path>`: uploads a file through the
    /// server's artifact proxy.
    pub fn put_artifact(&self, path: &str, bytes: &[u8]) -> Result<(), MirrorError> {
        let endpoint = format!("mlflow-artifacts/artifacts/{path}");
        let mut request = self
            .agent
            .put(format!("{}/api/2.0/{endpoint}", self.base))
            .header("Content-Type", "application/octet-stream");
        if let Some(auth) = &self.auth {
            request = request.header("Authorization", auth);
        }
        self.answer(&endpoint, request.send(bytes)).map(|_| ())
    }

    fn url(&self, endpoint: &str) -> String {
        format!("{}/api/2.0/mlflow/{endpoint}", self.base)
    }

    /// The JSON of a successful answer, or the error.
    fn answer(
        &self,
        endpoint: &str,
        result: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    ) -> Result<Value, MirrorError> {
        let mut response = result.map_err(|e| MirrorError::Unreachable {
            uri: self.base.clone(),
            reason: transport_reason(&e),
        })?;
        let status = response.status().as_u16();
        let body = response
            .body_mut()
            .read_to_string()
            .map_err(|e| MirrorError::Unreachable {
                uri: self.base.clone(),
                reason: format!(
                    "the answer to {endpoint} broke off: {}",
                    transport_reason(&e)
                ),
            })?;
        if !(200..300).contains(&status) {
            let (code, message) = error_parts(&body);
            return Err(MirrorError::Http {
                uri: self.base.clone(),
                endpoint: endpoint.to_string(),
                status,
                code,
                message,
            });
        }
        // The artifact proxy answers an upload with an empty body or `{}`.
        if body.trim().is_empty() {
            return Ok(Value::Object(Default::default()));
        }
        serde_json::from_str(&body).map_err(|e| MirrorError::BadResponse {
            uri: self.base.clone(),
            endpoint: endpoint.to_string(),
            detail: format!("not JSON: {e}"),
        })
    }

    /// An error for an answer that lacks what MLflow always sends.
    pub fn missing(&self, endpoint: &str, what: &str) -> MirrorError {
        MirrorError::BadResponse {
            uri: self.base.clone(),
            endpoint: endpoint.to_string(),
            detail: format!("no {what}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_follow_mlflow_precedence() {
        let vars = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, v)| v.to_string())
            }
        };
        assert_eq!(Auth::from_vars(vars(&[])), Auth::None);
        assert_eq!(
            Auth::from_vars(vars(&[("MLFLOW_TRACKING_TOKEN", "t")])),
            Auth::Bearer("t".into())
        );
        let both = Auth::from_vars(vars(&[
            ("MLFLOW_TRACKING_TOKEN", "t"),
            ("MLFLOW_TRACKING_USERNAME", "ann"),
            ("MLFLOW_TRACKING_PASSWORD", "pw"),
        ]));
        assert_eq!(both.header().as_deref(), Some("Basic YW5uOnB3"));
        // A user name alone is not enough for basic auth.
        assert_eq!(
            Auth::from_vars(vars(&[
                ("MLFLOW_TRACKING_USERNAME", "ann"),
                ("MLFLOW_TRACKING_TOKEN", "")
            ])),
            Auth::None
        );
    }

    #[test]
    fn uris_are_checked_and_trimmed() {
        assert_eq!(
            normalize_uri("http://127.0.0.1:5000/").unwrap(),
            "http://127.0.0.1:5000"
        );
        assert_eq!(
            normalize_uri("https://mlflow.example.com").unwrap(),
            "https://mlflow.example.com"
        );
        for bad in [
            "file:./mlruns",
            "databricks",
            "127.0.0.1:5000",
            "http://",
            "http:///x",
        ] {
            let e = normalize_uri(bad).unwrap_err().to_string();
            assert!(e.contains("http:// or https://"), "{bad}: {e}");
        }
    }

    #[test]
    fn error_bodies_give_mlflow_code_and_message() {
        let (code, message) = error_parts(
            r#"{"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "No experiment 'x'"}"#,
        );
        assert_eq!(code.as_deref(), Some("RESOURCE_DOES_NOT_EXIST"));
        assert_eq!(message, "No experiment 'x'");
        assert_eq!(
            error_parts("<html>\n<h1>Bad Gateway</h1>"),
            (None, "an HTML page, not MLflow's JSON".to_string())
        );
        assert_eq!(
            error_parts("upstream timed out\nmore"),
            (None, "upstream timed out".to_string())
        );
        assert_eq!(error_parts(""), (None, "(empty answer)".to_string()));
    }

    #[test]
    fn a_closed_port_is_reported_as_unreachable() {
        // Bind then drop a listener: the port is very likely closed afterwards.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .unwrap();
        let client = Client::new(&format!("http://127.0.0.1:{port}"), &Auth::None).unwrap();
        let e = client
            .get("experiments/get-by-name", &[("experiment_name", "x")])
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            format!(
                "could not reach the MLflow tracking server at http://127.0.0.1:{port}: \
                 connection refused; is `mlflow server` running?"
            )
        );
    }
}
