//! A webhook receiver for the tests that verifies each request with the
//! `standardwebhooks` package from PyPI (an implementation of the scheme
//! independent of Curio's), started as a child process; see
//! `webhook_receiver.py` for the paths that fail, stall or answer 410.

use serde_json::Value;

use crate::python_peer::PythonPeer;

const RECEIVER: &str = include_str!("webhook_receiver.py");

/// A running receiver, stopped (by its PID) when dropped.
pub struct WebhookReceiver {
    pub port: u16,
    peer: PythonPeer,
}

impl WebhookReceiver {
    /// Starts the receiver on a free port of 127.0.0.1. Needs
    /// `standardwebhooks` (`make test` installs it).
    pub async fn start() -> WebhookReceiver {
        let peer = PythonPeer::start(
            "webhooks",
            RECEIVER,
            &[],
            "python3 -m pip install standardwebhooks==1.3.0",
        )
        .await;
        WebhookReceiver {
            port: peer.port,
            peer,
        }
    }

    /// The URL of `path` on the receiver.
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// Tells the receiver the secret to verify with.
    pub async fn set_secret(&self, secret: &str) {
        let r = crate::http_client::builder()
            .build()
            .expect("a client")
            .put(self.url("/_secret"))
            .body(secret.to_owned())
            .send()
            .await
            .expect("the receiver answers");
        assert!(r.status().is_success());
    }

    /// Every request received so far, in order: `{path, verified, error,
    /// headers, body, attempt}`.
    pub async fn received(&self) -> Vec<Value> {
        self.peer
            .kept(".json")
            .await
            .into_iter()
            .map(|bytes| serde_json::from_slice(&bytes).expect("JSON"))
            .collect()
    }
}
