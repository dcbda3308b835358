//! Where articles come from, below the service: the bytes of each source's
//! protocol, and one outbound HTTP client every source goes through.
//!
//! - [`outbound`]: HTTP GET that refuses loopback, private and link-local
//!   targets (unless configured), follows no redirect, and bounds each
//!   answer in size and time.
//! - [`pubmed`]: NCBI E-utilities, `esearch` with a history server and
//!   `efetch` of PubMed XML in pages, kept to NCBI's request rate.
//! - [`feed`]: RSS, Atom and JSON Feed entries as records (feed-rs).

pub mod feed;
pub mod outbound;
pub mod pubmed;
