//! HTTP clients for tests and the load generator. They speak plain HTTP to
//! 127.0.0.1, yet reqwest in this workspace is built without a TLS crypto
//! provider of its own (the service installs ring, see the workspace
//! manifest) and refuses to build a client until one is installed; these
//! install the same one first.

/// A client builder, the process's crypto provider installed.
pub fn builder() -> reqwest::ClientBuilder {
    // Installing it twice is a no-op.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
}

/// A client with reqwest's defaults.
pub fn client() -> reqwest::Client {
    builder()
        .build()
        .expect("an HTTP client with default settings")
}
