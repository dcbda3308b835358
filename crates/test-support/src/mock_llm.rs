//! A mock OpenAI-compatible server: `POST /v1/chat/completions` with
//! configurable latency, failures, token counts and misbehaviour, recording
//! every request it receives (prompts, timing, concurrency).
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! let mock = test_support::mock_llm::MockLlm::start(test_support::mock_llm::MockConfig::default()).await?;
//! println!("point the client at {}", mock.base_url());
//! # Ok(()) }
//! ```

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::dev::ServerHandle;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use serde_json::{Value, json};

/// How the mock answers by default.
#[derive(Debug, Clone)]
pub struct MockConfig {
    pub latency: Duration,
    pub prompt_tokens: u32,
    pub completion_tokens: u32,
    /// Probability of an HTTP 500 for any request.
    pub failure_rate: f64,
    /// Worker threads of the mock's HTTP server.
    pub workers: usize,
    /// The model the mock says it served, as a gateway names the model
    /// behind an alias (`None`: the one asked for).
    pub served_model: Option<String>,
}

impl Default for MockConfig {
    fn default() -> Self {
        Self {
            latency: Duration::from_millis(10),
            prompt_tokens: 120,
            completion_tokens: 40,
            failure_rate: 0.0,
            workers: 1,
            served_model: None,
        }
    }
}

/// A special answer for requests whose user message contains `matches`.
#[derive(Debug, Clone)]
pub struct Rule {
    pub matches: String,
    pub action: Action,
    /// How many matching requests the rule applies to (`None`: all).
    pub times: Option<u32>,
}

/// What a rule does.
#[derive(Debug, Clone)]
pub enum Action {
    /// Answer with this status and an OpenAI error body.
    Status {
        status: u16,
        retry_after: Option<u64>,
    },
    /// Answer normally after this long (longer than a client timeout: a timeout).
    Delay(Duration),
    /// Answer 200 with a body that is not JSON.
    Malformed,
    /// Answer 200 with an empty completion.
    Empty,
    /// Start a 200 answer and drop the connection mid-body.
    Drop,
    /// Answer 200 with this completion text (a screening's JSON).
    Answer(String),
}

/// A request the mock received.
#[derive(Debug, Clone)]
pub struct Received {
    /// The id the mock gave this request: its `x-request-id` header and, on
    /// a completion, the completion's `id`.
    pub id: String,
    pub model: String,
    pub system: String,
    pub user: String,
    pub at: Instant,
}

#[derive(Default)]
struct State {
    rules: Mutex<Vec<Rule>>,
    received: Mutex<Vec<Received>>,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
    /// Requests numbered since the start, for their ids.
    sequence: std::sync::atomic::AtomicU64,
    config: Mutex<Option<MockConfig>>,
    /// While set, requests are recorded and then wait for `released`: a
    /// test can let every request of a burst arrive before any run ends.
    held: std::sync::atomic::AtomicBool,
    released: tokio::sync::Notify,
}

/// A running mock server; stopped when dropped or by [`MockLlm::stop`].
pub struct MockLlm {
    port: u16,
    state: Arc<State>,
    handle: ServerHandle,
}

impl MockLlm {
    /// Starts the mock on 127.0.0.1 on an ephemeral port.
    pub async fn start(config: MockConfig) -> std::io::Result<MockLlm> {
        Self::start_on(config, 0).await
    }

    /// Starts the mock on 127.0.0.1:`port`.
    pub async fn start_on(config: MockConfig, port: u16) -> std::io::Result<MockLlm> {
        let state = Arc::new(State::default());
        let workers = config.workers.max(1);
        *state.config.lock().expect("mock config") = Some(config);
        let data = web::Data::from(state.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .app_data(web::JsonConfig::default().limit(16 * 1024 * 1024))
                .route("/v1/chat/completions", web::post().to(chat_completions))
                .route("/chat/completions", web::post().to(chat_completions))
                .route("/stats", web::get().to(stats))
        })
        .workers(workers)
        .backlog(4096)
        .max_connection_rate(4096)
        .disable_signals()
        .bind(("127.0.0.1", port))?;
        let port = server.addrs()[0].port();
        let server = server.run();
        let handle = server.handle();
        tokio::spawn(server);
        Ok(MockLlm {
            port,
            state,
            handle,
        })
    }

    /// The OpenAI-style base URL (`http://127.0.0.1:PORT/v1`).
    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}/v1", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Adds a rule; rules are tried in order.
    pub fn add_rule(&self, rule: Rule) {
        self.state.rules.lock().expect("rules").push(rule);
    }

    /// Removes every rule (the mock becomes healthy).
    pub fn clear_rules(&self) {
        self.state.rules.lock().expect("rules").clear();
    }

    /// Changes the default latency.
    pub fn set_latency(&self, latency: Duration) {
        if let Some(c) = self.state.config.lock().expect("mock config").as_mut() {
            c.latency = latency;
        }
    }

    /// Holds every answer from now on until [`MockLlm::release`].
    pub fn hold(&self) {
        self.state.held.store(true, Ordering::SeqCst);
    }

    /// Lets held and later requests be answered.
    pub fn release(&self) {
        self.state.held.store(false, Ordering::SeqCst);
        self.state.released.notify_waiters();
    }

    /// Requests received so far.
    pub fn received(&self) -> Vec<Received> {
        self.state.received.lock().expect("received").clone()
    }

    /// Number of requests received so far.
    pub fn count(&self) -> usize {
        self.state.received.lock().expect("received").len()
    }

    /// The most requests in progress at once so far.
    pub fn max_in_flight(&self) -> usize {
        self.state.max_in_flight.load(Ordering::SeqCst)
    }

    /// Forgets received requests and the concurrency high-water mark.
    pub fn reset(&self) {
        self.state.received.lock().expect("received").clear();
        self.state.max_in_flight.store(0, Ordering::SeqCst);
    }

    /// Stops the server.
    pub async fn stop(self) {
        self.handle.stop(false).await;
    }
}

impl Drop for MockLlm {
    fn drop(&mut self) {
        let handle = self.handle.clone();
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(async move { handle.stop(false).await });
        }
    }
}

struct InFlight<'a>(&'a State);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

// Long on purpose: the mock's whole behaviour per request (rules, latency,
// failures, answer) in the order it applies them.
async fn chat_completions(
    state: web::Data<State>,
    body: web::Json<Value>,
    _req: HttpRequest,
) -> HttpResponse {
    let now = state.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    state.max_in_flight.fetch_max(now, Ordering::SeqCst);
    let _guard = InFlight(&state);
    let config = state
        .config
        .lock()
        .expect("mock config")
        .clone()
        .unwrap_or_default();
    let message = |role: &str| {
        body["messages"]
            .as_array()
            .and_then(|m| m.iter().find(|m| m["role"] == role))
            .and_then(|m| m["content"].as_str())
            .unwrap_or_default()
            .to_owned()
    };
    let (system, user) = (message("system"), message("user"));
    let model = body["model"].as_str().unwrap_or("mock").to_owned();
    let id = format!(
        "chatcmpl-mock-{}",
        state.sequence.fetch_add(1, Ordering::SeqCst) + 1
    );
    {
        let mut received = state.received.lock().expect("received");
        // Long benchmark runs keep counting without keeping every prompt.
        let keep = received.len() < 100_000;
        received.push(Received {
            id: id.clone(),
            model: model.clone(),
            system: if keep { system } else { String::new() },
            user: if keep { user.clone() } else { String::new() },
            at: Instant::now(),
        });
    }
    let action = {
        let mut rules = state.rules.lock().expect("rules");
        let mut chosen = None;
        for rule in rules.iter_mut() {
            if user.contains(&rule.matches) && rule.times.is_none_or(|t| t > 0) {
                if let Some(t) = rule.times.as_mut() {
                    *t -= 1;
                }
                chosen = Some(rule.action.clone());
                break;
            }
        }
        chosen
    };
    loop {
        // Created before the flag is read, so that a release between the
        // two still wakes it.
        let released = state.released.notified();
        if !state.held.load(Ordering::SeqCst) {
            break;
        }
        released.await;
    }
    let latency = match &action {
        Some(Action::Delay(d)) => *d,
        _ => config.latency,
    };
    tokio::time::sleep(latency).await;
    let random_failure = config.failure_rate > 0.0 && rand::random::<f64>() < config.failure_rate;
    let served = config.served_model.clone().unwrap_or(model);
    let mut answer = match action {
        Some(Action::Status {
            status,
            retry_after,
        }) => error(status, retry_after),
        _ if random_failure => error(500, None),
        Some(Action::Malformed) => HttpResponse::Ok()
            .content_type("application/json")
            .body("{not json"),
        Some(Action::Empty) => completion(&id, &served, "", &config),
        Some(Action::Answer(text)) => completion(&id, &served, &text, &config),
        Some(Action::Drop) => HttpResponse::Ok()
            .content_type("application/json")
            .streaming(futures::stream::iter([
                Ok(actix_web::web::Bytes::from_static(b"{\"id\": \"chatcmpl-")),
                Err(std::io::Error::other("connection dropped by the mock")),
            ])),
        _ => {
            // A deterministic "summary": the first sentence of the last
            // paragraph of the prompt, so tests can tell answers apart.
            let text = user
                .rsplit("\n\n")
                .next()
                .and_then(|p| p.split(". ").next())
                .unwrap_or("Summary")
                .chars()
                .take(300)
                .collect::<String>();
            completion(&id, &served, &format!("Summary: {text}"), &config)
        }
    };
    // As OpenAI does, every answer names the request.
    if let Ok(value) = actix_web::http::header::HeaderValue::from_str(&id) {
        answer.headers_mut().insert(
            actix_web::http::header::HeaderName::from_static("x-request-id"),
            value,
        );
    }
    answer
}

async fn stats(state: web::Data<State>) -> HttpResponse {
    HttpResponse::Ok().json(json!({
        "requests": state.received.lock().expect("received").len(),
        "max_in_flight": state.max_in_flight.load(Ordering::SeqCst),
    }))
}

fn completion(id: &str, model: &str, text: &str, config: &MockConfig) -> HttpResponse {
    HttpResponse::Ok().json(json!({
        "id": id,
        "object": "chat.completion",
        "created": 1_700_000_000u32,
        "model": model,
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": text},
            "finish_reason": "stop"
        }],
        "usage": {
            "prompt_tokens": config.prompt_tokens,
            "completion_tokens": config.completion_tokens,
            "total_tokens": config.prompt_tokens + config.completion_tokens
        }
    }))
}

fn error(status: u16, retry_after: Option<u64>) -> HttpResponse {
    let code = actix_web::http::StatusCode::from_u16(status)
        .unwrap_or(actix_web::http::StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = HttpResponse::build(code);
    if let Some(secs) = retry_after {
        response.insert_header(("Retry-After", secs.to_string()));
    }
    response.json(json!({"error": {"message": format!("mock error {status}"), "type": "mock_error", "param": null, "code": null}}))
}
