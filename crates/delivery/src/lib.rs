//! How reports leave Curio, as bytes on the wire.
//!
//! [`Mailer`] sends a [`Mail`] through an SMTP relay (lettre: STARTTLS or
//! implicit TLS, authentication, a connection pool) or, with no relay
//! configured, writes it as an `.eml` file named by its delivery, so that a
//! repeat overwrites the same file. Every message carries the Message-ID
//! its caller gives (the same for every attempt of one delivery, so that a
//! repeat after a crash is recognisable as the same message) and, when
//! given, the RFC 8058 one-click unsubscribe headers.

pub mod webhook;

use std::path::PathBuf;
use std::time::Duration;

use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

/// One message to one recipient.
#[derive(Debug, Clone)]
pub struct Mail {
    /// `Name <address>` or a bare address.
    pub from: String,
    pub to: String,
    pub subject: String,
    /// Without angle brackets: `delivery-42.7@curio.example`.
    pub message_id: String,
    pub text: String,
    pub html: String,
    /// The one-click unsubscribe URL (`https://…`), for `List-Unsubscribe`
    /// and `List-Unsubscribe-Post`.
    pub unsubscribe_url: Option<String>,
    /// The name the `.eml` file takes when no relay is configured.
    pub file_stem: String,
}

/// Why a message was not sent.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// Worth trying again later: a 4xx reply, a refused or dropped
    /// connection, a timeout.
    #[error("{0}")]
    Transient(String),
    /// Trying again will not help: a 5xx reply, an address or message the
    /// relay or Curio refuses.
    #[error("{0}")]
    Permanent(String),
}

/// Where mail goes.
#[derive(Clone)]
pub enum Mailer {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Files(PathBuf),
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            // The URL may hold a password: it is not shown.
            Mailer::Smtp(_) => f.write_str("Mailer::Smtp"),
            Mailer::Files(dir) => write!(f, "Mailer::Files({})", dir.display()),
        }
    }
}

impl Mailer {
    /// A relay from its URL (`smtp://host:25`, `smtp://user:pass@host:587?tls=required`
    /// for STARTTLS, `smtps://user:pass@host:465` for implicit TLS), each
    /// command answered within `timeout`, keeping up to `connections` open
    /// between messages (one per message sent at once: a connection not
    /// kept costs a handshake and an EHLO per message).
    pub fn smtp(url: &str, timeout: Duration, connections: usize) -> Result<Self, String> {
        let pool = lettre::transport::smtp::PoolConfig::new()
            .max_size(u32::try_from(connections.max(1)).unwrap_or(u32::MAX));
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| format!("not an SMTP URL: {e}"))?
            .timeout(Some(timeout))
            .pool_config(pool)
            .build();
        Ok(Mailer::Smtp(transport))
    }

    /// `.eml` files in `dir` (created when needed).
    pub fn files(dir: impl Into<PathBuf>) -> Self {
        Mailer::Files(dir.into())
    }

    /// Sends the message (or writes its file).
    pub async fn send(&self, mail: &Mail) -> Result<(), SendError> {
        let message = message(mail)?;
        match self {
            Mailer::Smtp(transport) => transport.send(message).await.map(|_| ()).map_err(|e| {
                if e.is_permanent() {
                    SendError::Permanent(format!("the relay refused the message: {e}"))
                } else {
                    SendError::Transient(format!("the relay did not take the message: {e}"))
                }
            }),
            Mailer::Files(dir) => {
                let stem: String = mail
                    .file_stem
                    .chars()
                    .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
                    .collect();
                let io = |e: std::io::Error| {
                    SendError::Transient(format!("writing the .eml file failed: {e}"))
                };
                tokio::fs::create_dir_all(dir).await.map_err(io)?;
                // Written whole under a temporary name, then renamed: a
                // reader never sees half a message.
                let path = dir.join(format!("{stem}.eml"));
                let partial = dir.join(format!(".{stem}.eml.partial"));
                tokio::fs::write(&partial, message.formatted())
                    .await
                    .map_err(io)?;
                tokio::fs::rename(&partial, &path).await.map_err(io)
            }
        }
    }
}

/// Whether `address` is a mailbox a message can be sent from or to
/// (`Name <user@host>` or `user@host`); why not otherwise.
pub fn check_mailbox(address: &str) -> Result<(), String> {
    address
        .parse::<Mailbox>()
        .map(|_| ())
        .map_err(|e| format!("`{address}` is not a mail address: {e}"))
}

/// The MIME message: multipart/alternative, plain text first, then HTML.
pub fn message(mail: &Mail) -> Result<Message, SendError> {
    let refuse =
        |what: &str, e: &dyn std::fmt::Display| SendError::Permanent(format!("{what}: {e}"));
    let from: Mailbox = mail
        .from
        .parse()
        .map_err(|e| refuse("the sender's address", &e))?;
    let to: Mailbox = mail
        .to
        .parse()
        .map_err(|e| refuse("the recipient's address", &e))?;
    let mut message = Message::builder()
        .from(from)
        .to(to)
        .subject(mail.subject.clone())
        .message_id(Some(format!("<{}>", mail.message_id)))
        .date_now()
        .multipart(MultiPart::alternative_plain_html(
            mail.text.clone(),
            mail.html.clone(),
        ))
        .map_err(|e| refuse("the message", &e))?;
    if let Some(url) = &mail.unsubscribe_url {
        let headers = message.headers_mut();
        headers.insert_raw(HeaderValue::new(
            HeaderName::new_from_ascii_str("List-Unsubscribe"),
            format!("<{url}>"),
        ));
        headers.insert_raw(HeaderValue::new(
            HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
            "List-Unsubscribe=One-Click".to_owned(),
        ));
    }
    Ok(message)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mail() -> Mail {
        Mail {
            from: "Curio <curio@example.org>".into(),
            to: "Jörg Müller <jorg@example.org>".into(),
            subject: "Oncology — Week 1".into(),
            message_id: "delivery-1.3@curio.example".into(),
            text: "Plain".into(),
            html: "<p>HTML</p>".into(),
            unsubscribe_url: Some("https://curio.example/api/v1/unsubscribe?token=abc".into()),
            file_stem: "delivery-1".into(),
        }
    }

    #[test]
    fn the_message_has_both_parts_its_id_and_the_one_click_headers() {
        let text = String::from_utf8(message(&mail()).unwrap().formatted()).unwrap();
        assert!(
            text.contains("Message-ID: <delivery-1.3@curio.example>"),
            "{text}"
        );
        assert!(
            text.contains("List-Unsubscribe: <https://curio.example/api/v1/unsubscribe?token=abc>"),
            "{text}"
        );
        assert!(
            text.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"),
            "{text}"
        );
        assert!(text.contains("multipart/alternative"), "{text}");
        assert!(
            text.contains("text/plain") && text.contains("text/html"),
            "{text}"
        );
    }

    #[test]
    fn a_bad_address_is_a_permanent_failure() {
        let mut m = mail();
        m.to = "not an address".into();
        assert!(matches!(message(&m), Err(SendError::Permanent(_))));
    }

    #[tokio::test]
    async fn without_a_relay_the_message_is_a_file_named_by_its_delivery() {
        let dir = std::env::temp_dir().join(format!("curio-outbox-{}", std::process::id()));
        let mailer = Mailer::files(&dir);
        mailer.send(&mail()).await.unwrap();
        mailer.send(&mail()).await.unwrap();
        let mut names = Vec::new();
        let mut entries = tokio::fs::read_dir(&dir).await.unwrap();
        while let Some(e) = entries.next_entry().await.unwrap() {
            names.push(e.file_name().to_string_lossy().into_owned());
        }
        assert_eq!(
            names,
            ["delivery-1.eml"],
            "a repeat overwrites the same file"
        );
        tokio::fs::remove_dir_all(&dir).await.unwrap();
    }
}
