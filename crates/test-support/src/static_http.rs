//! A plain HTTP server on 127.0.0.1 answering fixed bodies by path (a feed
//! publisher, a webhook-free web site), counting the requests per path.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use actix_web::dev::ServerHandle;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};

/// A file it serves: path, content type, body.
pub type File = (&'static str, &'static str, String);

#[derive(Default)]
struct State {
    files: HashMap<String, (String, String)>,
    requests: Mutex<HashMap<String, usize>>,
}

pub struct StaticHttp {
    port: u16,
    state: Arc<State>,
    handle: ServerHandle,
}

impl StaticHttp {
    pub async fn start(files: Vec<File>) -> std::io::Result<StaticHttp> {
        let state = Arc::new(State {
            files: files
                .into_iter()
                .map(|(path, ty, body)| (path.to_owned(), (ty.to_owned(), body)))
                .collect(),
            ..State::default()
        });
        let data = web::Data::from(state.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .default_service(web::to(answer))
        })
        .workers(1)
        .disable_signals()
        .bind(("127.0.0.1", 0))?;
        let port = server.addrs()[0].port();
        let server = server.run();
        let handle = server.handle();
        tokio::spawn(server);
        Ok(StaticHttp {
            port,
            state,
            handle,
        })
    }

    /// The URL of `path` (which starts with `/`).
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// Requests of `path` so far.
    pub fn requests(&self, path: &str) -> usize {
        self.state
            .requests
            .lock()
            .expect("requests")
            .get(path)
            .copied()
            .unwrap_or(0)
    }

    pub async fn stop(self) {
        self.handle.stop(false).await;
    }
}

async fn answer(state: web::Data<State>, req: HttpRequest) -> HttpResponse {
    let path = req.path().to_owned();
    *state
        .requests
        .lock()
        .expect("requests")
        .entry(path.clone())
        .or_default() += 1;
    match state.files.get(&path) {
        Some((ty, body)) => HttpResponse::Ok()
            .content_type(ty.as_str())
            .body(body.clone()),
        None => HttpResponse::NotFound().finish(),
    }
}
