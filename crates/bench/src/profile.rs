//! `perf` profiles of curio under a scenario: recorded while the load runs,
//! turned into a flame graph (inferno) and a table of the 20 symbols with
//! the most CPU once the bench is over, so that rendering them does not
//! load the machine during later scenarios.

// A CLI's profiling step: it starts `perf`, waits for it and writes files,
// all outside any measured load.
#![allow(clippy::disallowed_methods)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use anyhow::{Context, bail};

/// Where `make profile` installs inferno's `inferno-collapse-perf` and
/// `inferno-flamegraph`.
const TOOLS: &str = "target/tools/bin";

/// The scenarios worth a profile: S1 at and past the knee, and the reads.
pub fn wanted(scenario: &str) -> bool {
    ["S1 summarize c=128", "S1 summarize c=256", "S2 ", "S3 "]
        .iter()
        .any(|p| scenario.starts_with(p))
}

/// A `perf record` attached to curio.
pub struct Recording {
    child: Child,
    recorded: Recorded,
}

/// A finished recording, to render.
pub struct Recorded {
    pub scenario: String,
    /// A file-name-safe form of the scenario.
    pub slug: String,
    data: PathBuf,
}

/// Starts sampling `pid` (199 Hz, DWARF call graphs: release builds keep
/// no frame pointers) until [`Recording::stop`].
pub fn start(pid: u32, scenario: &str) -> anyhow::Result<Recording> {
    let slug: String = scenario
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect::<String>()
        .split('-')
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    std::fs::create_dir_all("target/bench")?;
    let data = PathBuf::from(format!("target/bench/perf-{slug}.data"));
    let child = Command::new("perf")
        .args(["record", "-q", "-F", "199", "--call-graph", "dwarf,65528"])
        .args(["-p", &pid.to_string(), "-o"])
        .arg(&data)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .context("start perf (Debian: linux-perf)")?;
    Ok(Recording {
        child,
        recorded: Recorded {
            scenario: scenario.to_owned(),
            slug,
            data,
        },
    })
}

impl Recording {
    /// Stops sampling (SIGINT, as perf expects) and waits for the file.
    pub fn stop(mut self) -> anyhow::Result<Recorded> {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-INT", &pid]).status()?;
        let status = self.child.wait()?;
        if !self.recorded.data.exists() {
            bail!("perf record exited with {status} and wrote nothing");
        }
        Ok(self.recorded)
    }
}

impl Recorded {
    /// Writes `<stem>-<slug>.svg` (flame graph) and returns the top-20
    /// symbols by CPU of their own (not their callees') as markdown rows.
    pub fn render(&self, stem: &str) -> anyhow::Result<String> {
        let svg = format!("{stem}-{}.svg", self.slug);
        let collapse = Path::new(TOOLS).join("inferno-collapse-perf");
        let flamegraph = Path::new(TOOLS).join("inferno-flamegraph");
        if collapse.exists() && flamegraph.exists() {
            let folded = self.data.with_extension("folded");
            let script = format!(
                "perf script --no-inline -i {data} 2>/dev/null | {collapse} > {folded}",
                data = self.data.display(),
                collapse = collapse.display(),
                folded = folded.display(),
            );
            let status = Command::new("sh").args(["-c", &script]).status()?;
            let stacks = std::fs::metadata(&folded).map_or(0, |m| m.len());
            if !status.success() || stacks == 0 {
                bail!(
                    "collapsing {} gave no stacks ({status})",
                    self.data.display()
                );
            }
            let svg_file = std::fs::File::create(&svg)?;
            let status = Command::new(flamegraph)
                .args(["--title", &self.scenario])
                .arg(&folded)
                .stdout(svg_file)
                .status()?;
            if !status.success() {
                bail!("rendering {svg} failed: {status}");
            }
        } else {
            eprintln!("no flame graph: {TOOLS} lacks inferno (`make profile` installs it)");
        }
        let report = Command::new("perf")
            .args([
                "report",
                "--no-inline",
                "--stdio",
                "--no-children",
                "-g",
                "none",
            ])
            .args(["--sort", "dso,symbol", "--percent-limit", "0.1", "-i"])
            .arg(&self.data)
            .stderr(Stdio::null())
            .output()
            .context("perf report")?;
        let text = String::from_utf8_lossy(&report.stdout);
        let rows: Vec<String> = text
            .lines()
            .filter(|l| l.trim_start().starts_with(|c: char| c.is_ascii_digit()))
            .take(20)
            .map(|l| {
                let mut parts = l.split_whitespace();
                let share = parts.next().unwrap_or_default();
                let dso = parts.next().unwrap_or_default();
                // "[.]" user space or "[k]" kernel, then the symbol; some
                // perf builds pad the row with "-" placeholder columns.
                let mut symbol: Vec<&str> = parts.skip(1).collect();
                while symbol.len() > 1 && symbol.last() == Some(&"-") {
                    symbol.pop();
                }
                format!(
                    "| {share} | {dso} | `{}` |",
                    symbol.join(" ").replace('|', "\\|")
                )
            })
            .collect();
        Ok(format!(
            "#### {} — [flame graph]({})\n\n| self | object | symbol |\n|---:|---|---|\n{}\n",
            self.scenario,
            Path::new(&svg)
                .file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_default(),
            rows.join("\n")
        ))
    }
}
