//! Benchmark tooling for Curio: a mock OpenAI-compatible server (also used by
//! the test suites of other crates) and the load generator behind
//! `make bench`.

pub mod load;
pub mod mock;
pub mod procstat;
pub mod report;
