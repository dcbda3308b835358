//! What Curio publishes, as bytes: a report rendered for people
//! ([`digest`]: HTML with inline styles, and plain text) and feeds of
//! reports ([`feed`]: Atom 1.0, JSON Feed 1.1).
//!
//! The service decides what a reader may see and hands over values that
//! hold only that; nothing here reads a database or decides access.

pub mod digest;
pub mod feed;
