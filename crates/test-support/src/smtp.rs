//! A real SMTP server for the tests: Python's `aiosmtpd` (PyPI), started
//! as a child process with a handler that keeps every accepted message as
//! a file per recipient and refuses (`reject…`, 550) or defers (`defer…`,
//! 451 twice) some recipients by their local part (see `smtp_peer.py`).

use std::time::Duration;

use crate::python_peer::PythonPeer;

const PEER: &str = include_str!("smtp_peer.py");

/// A running SMTP server, stopped (by its PID) when dropped.
pub struct SmtpPeer {
    pub port: u16,
    peer: PythonPeer,
}

/// A message as the server received it.
#[derive(Debug, Clone)]
pub struct Received {
    /// The envelope's recipient.
    pub to: String,
    /// The message as sent (headers and body).
    pub raw: Vec<u8>,
}

impl SmtpPeer {
    /// Starts the server on a free port of 127.0.0.1. Needs `aiosmtpd`
    /// (`make test` installs it).
    pub async fn start() -> SmtpPeer {
        Self::start_slow(Duration::ZERO).await
    }

    /// The same server taking `delay` over each message, as a busy relay.
    pub async fn start_slow(delay: Duration) -> SmtpPeer {
        Self::start_with(&[delay.as_millis().to_string()]).await
    }

    /// The same server noting each message's recipient and `Message-ID`
    /// instead of keeping it (see [`SmtpPeer::logged`]): for loads too large
    /// to keep.
    pub async fn start_logging() -> SmtpPeer {
        Self::start_with(&["0".to_owned(), "log".to_owned()]).await
    }

    async fn start_with(args: &[String]) -> SmtpPeer {
        let peer =
            PythonPeer::start("smtp", PEER, args, "python3 -m pip install aiosmtpd==1.4.6").await;
        SmtpPeer {
            port: peer.port,
            peer,
        }
    }

    /// What a [`SmtpPeer::start_logging`] server accepted so far: the
    /// recipient and `Message-ID` of each message, in the order received.
    pub async fn logged(&self) -> Vec<(String, String)> {
        let text = tokio::fs::read_to_string(self.peer.kept.join("received.log"))
            .await
            .unwrap_or_default();
        text.lines()
            .filter_map(|l| l.split_once('\t'))
            .map(|(to, id)| (to.to_owned(), id.to_owned()))
            .collect()
    }

    /// `smtp://127.0.0.1:{port}`: plain SMTP, as a local relay speaks it.
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Every message accepted so far, in the order received.
    pub async fn received(&self) -> Vec<Received> {
        self.peer
            .kept(".eml")
            .await
            .into_iter()
            .map(|bytes| {
                let text = String::from_utf8_lossy(&bytes);
                let (first, rest) = text.split_once("\r\n").unwrap_or_default();
                Received {
                    to: first.trim_start_matches("X-Envelope-To: ").to_owned(),
                    raw: rest.as_bytes().to_vec(),
                }
            })
            .collect()
    }

    /// Waits until at least `n` messages arrived (or `within` passed);
    /// what arrived.
    pub async fn wait_for(&self, n: usize, within: Duration) -> Vec<Received> {
        let start = std::time::Instant::now();
        loop {
            let got = self.received().await;
            if got.len() >= n || start.elapsed() > within {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}
