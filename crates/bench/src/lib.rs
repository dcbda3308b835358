//! Benchmark tooling for Curio: the load generator behind `make bench`,
//! driving the mock OpenAI-compatible server of `test-support`.

pub mod checks;
pub mod load;
/// The mock OpenAI-compatible server lives with the test harness.
pub use test_support::mock_llm as mock;
pub mod procstat;
pub mod profile;
pub mod report;
