//! The mock OpenAI-compatible server as a process:
//! `mock-llm [--port 8090] [--latency-ms 250] [--failure-rate 0.01] [--workers 2]`.

use std::time::Duration;

use test_support::mock_llm::{MockConfig, MockLlm};

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let mut config = MockConfig::default();
    let mut port = 8090;
    let args: Vec<String> = std::env::args().skip(1).collect();
    for pair in args.chunks(2) {
        let value = pair.get(1).map(String::as_str).unwrap_or_default();
        let bad = |_| std::io::Error::other(format!("bad value for {}: {value}", pair[0]));
        match pair[0].as_str() {
            "--port" => port = value.parse().map_err(bad)?,
            "--latency-ms" => config.latency = Duration::from_millis(value.parse().map_err(bad)?),
            "--failure-rate" => {
                config.failure_rate = value
                    .parse()
                    .map_err(|_| std::io::Error::other("bad --failure-rate"))?
            }
            "--workers" => config.workers = value.parse().map_err(bad)?,
            other => return Err(std::io::Error::other(format!("unknown option {other}"))),
        }
    }
    let mock = MockLlm::start_on(config, port).await?;
    println!("mock LLM listening on {}", mock.base_url());
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
    mock.stop().await;
    Ok(())
}
