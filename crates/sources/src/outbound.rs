//! The one HTTP client requests to sources and to webhook targets go
//! through. A URL names a host, the host resolves to addresses, and
//! an address may be this machine or a private network behind it: every
//! address a request would reach is checked, the literal ones before the
//! request and the resolved ones by the resolver, so that no name can
//! point it inward.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::header::HeaderMap;
use url::Url;

/// What outbound requests may do.
#[derive(Debug, Clone)]
pub struct Policy {
    /// Whether loopback, private and link-local targets may be reached
    /// (tests and on-premises sources); off by default.
    pub allow_private: bool,
    /// Time for a whole request, answer included.
    pub timeout: Duration,
    /// Bytes of an answer at most.
    pub max_bytes: usize,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            allow_private: false,
            timeout: Duration::from_secs(30),
            max_bytes: 32 * 1024 * 1024,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum OutboundError {
    #[error("{0} is not a public address")]
    Refused(String),
    #[error("only http and https URLs are fetched: {0}")]
    Scheme(String),
    #[error("the answer is larger than {0} bytes")]
    TooLarge(usize),
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    #[error("{0}")]
    Transport(String),
}

/// An answer, read whole within the policy's bounds.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

/// An HTTP client that keeps to [`Policy`].
#[derive(Clone)]
pub struct Outbound {
    client: reqwest::Client,
    policy: Policy,
}

impl Outbound {
    pub fn new(policy: Policy) -> Result<Self, OutboundError> {
        // reqwest comes without a crypto provider (see the workspace
        // manifest): TLS uses the process default, ring. Installing it
        // twice is a no-op.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            // A redirect could lead anywhere, private addresses included.
            .redirect(reqwest::redirect::Policy::none())
            // A proxy from the environment would reach what the resolver
            // refuses.
            .no_proxy()
            .timeout(policy.timeout)
            .connect_timeout(policy.timeout.min(Duration::from_secs(10)))
            .dns_resolver(Arc::new(PublicResolver {
                allow_private: policy.allow_private,
            }))
            .user_agent(concat!("curio/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| OutboundError::Transport(e.to_string()))?;
        Ok(Self { client, policy })
    }

    /// GET `url`, the answer read whole (at most `max_bytes`).
    pub async fn get(&self, url: &Url) -> Result<Answer, OutboundError> {
        self.check_literal(url)?;
        self.read(self.client.get(url.clone())).await
    }

    /// POST `body` (as `content_type`) to `url` with `headers`, the answer
    /// read whole (at most `max_bytes`).
    pub async fn post(
        &self,
        url: &Url,
        content_type: &str,
        headers: &[(&str, String)],
        body: Vec<u8>,
    ) -> Result<Answer, OutboundError> {
        self.check_literal(url)?;
        let mut request = self
            .client
            .post(url.clone())
            .header(reqwest::header::CONTENT_TYPE, content_type);
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        self.read(request.body(body)).await
    }

    async fn read(&self, request: reqwest::RequestBuilder) -> Result<Answer, OutboundError> {
        let timeout = self.policy.timeout;
        let read = async {
            let mut response = request.send().await.map_err(|e| transport(e, timeout))?;
            let status = response.status().as_u16();
            let headers = response.headers().clone();
            if response
                .content_length()
                .is_some_and(|n| n > self.policy.max_bytes as u64)
            {
                return Err(OutboundError::TooLarge(self.policy.max_bytes));
            }
            let mut body = Vec::new();
            while let Some(chunk) = response.chunk().await.map_err(|e| transport(e, timeout))? {
                if body.len() + chunk.len() > self.policy.max_bytes {
                    return Err(OutboundError::TooLarge(self.policy.max_bytes));
                }
                body.extend_from_slice(&chunk);
            }
            Ok(Answer {
                status,
                headers,
                body,
            })
        };
        // reqwest's timeout covers the body too; this one also covers a
        // body that trickles in under it chunk by chunk.
        tokio::time::timeout(timeout, read)
            .await
            .map_err(|_| OutboundError::Timeout(timeout))?
    }

    fn check_literal(&self, url: &Url) -> Result<(), OutboundError> {
        check_literal(url, self.policy.allow_private)
    }
}

/// Whether a request to `url` may be tried: an http(s) URL whose host, if
/// it is an address, is a public one (unless `allow_private`). A URL whose
/// host is an address is checked here, as no resolver sees it; a name is
/// checked where it resolves, at each request.
pub fn check_literal(url: &Url, allow_private: bool) -> Result<(), OutboundError> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(OutboundError::Scheme(url.scheme().to_owned()));
    }
    let ip = match url.host() {
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip),
        _ => return Ok(()),
    };
    if allow_private || is_public(ip) {
        Ok(())
    } else {
        Err(OutboundError::Refused(ip.to_string()))
    }
}

fn transport(e: reqwest::Error, timeout: Duration) -> OutboundError {
    if e.is_timeout() {
        return OutboundError::Timeout(timeout);
    }
    // The resolver's refusal comes back wrapped: keep its words.
    let mut source: Option<&dyn std::error::Error> = Some(&e);
    while let Some(s) = source {
        if let Some(refused) = s.downcast_ref::<Refused>() {
            return OutboundError::Refused(refused.0.clone());
        }
        source = s.source();
    }
    OutboundError::Transport(e.to_string())
}

#[derive(Debug)]
struct Refused(String);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} resolves to no public address", self.0)
    }
}

impl std::error::Error for Refused {}

/// The system resolver (on the blocking pool, as tokio's `lookup_host`
/// runs it), keeping only public addresses unless private ones are allowed.
struct PublicResolver {
    allow_private: bool,
}

impl Resolve for PublicResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_private = self.allow_private;
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|a| allow_private || is_public(a.ip()))
                .collect();
            if found.is_empty() {
                return Err(Box::new(Refused(host)) as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(found.into_iter()) as Addrs)
        })
    }
}

/// Whether `ip` is reachable on the public internet: not this machine,
/// not a private, shared, link-local, documentation or multicast range.
pub fn is_public(ip: IpAddr) -> bool {
    match ip.to_canonical() {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_documentation()
        || ip.is_multicast()
        // 0.0.0.0/8, shared address space (100.64.0.0/10), IETF protocol
        // assignments (192.0.0.0/24), benchmarking (198.18.0.0/15) and
        // reserved (240.0.0.0/4).
        || a == 0
        || (a == 100 && (64..128).contains(&b))
        || (a == 192 && b == 0 && ip.octets()[2] == 0)
        || (a == 198 && (18..20).contains(&b))
        || a >= 240)
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        // Unique local (fc00::/7), link-local (fe80::/10), documentation
        // (2001:db8::/32), and NAT64 (64:ff9b::/96), which can reach
        // IPv4's private ranges.
        || (first & 0xfe00) == 0xfc00
        || (first & 0xffc0) == 0xfe80
        || (first == 0x2001 && ip.segments()[1] == 0x0db8)
        || (first == 0x0064 && ip.segments()[1] == 0xff9b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_public_addresses_are_public() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "::",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "64:ff9b::a00:1",
        ] {
            assert!(!is_public(private.parse().unwrap()), "{private}");
        }
        for public in ["130.14.29.110", "8.8.8.8", "2607:f220:41e:4290::110"] {
            assert!(is_public(public.parse().unwrap()), "{public}");
        }
    }
}
