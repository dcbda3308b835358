//! A peer the tests start from a Python package of PyPI (an SMTP server,
//! a webhook verifier): its script written to a folder of its own, run on
//! a free port of 127.0.0.1 until it prints `ready`, killed by PID when
//! dropped; what it keeps are files in that folder.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// A running peer.
pub struct PythonPeer {
    pub port: u16,
    /// Where the peer keeps what it received (`<folder>/kept`).
    pub kept: PathBuf,
    dir: PathBuf,
    child: Child,
}

impl PythonPeer {
    /// Runs `script` as `python3 script PORT KEPT_DIR args…`; `install`
    /// says what to install when it does not start.
    pub async fn start(name: &str, script: &str, args: &[String], install: &str) -> PythonPeer {
        let dir = std::env::temp_dir().join(format!(
            "curio-{name}-{}-{}",
            std::process::id(),
            &uuid::Uuid::new_v4().simple().to_string()[..8]
        ));
        tokio::fs::create_dir_all(&dir)
            .await
            .expect("the peer's folder");
        let path = dir.join(format!("{name}.py"));
        tokio::fs::write(&path, script)
            .await
            .expect("the peer's script");
        let port = {
            let probe = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
            probe.local_addr().expect("its address").port()
        };
        let kept = dir.join("kept");
        let mut child = Command::new("python3")
            .arg(&path)
            .arg(port.to_string())
            .arg(&kept)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("python3 runs the peer");
        let stdout = child.stdout.take().expect("its stdout");
        let mut lines = BufReader::new(stdout).lines();
        match tokio::time::timeout(Duration::from_secs(30), lines.next_line()).await {
            Ok(Ok(Some(line))) if line == "ready" => {}
            other => {
                panic!("the {name} peer did not start ({other:?}); is it installed? {install}")
            }
        }
        PythonPeer {
            port,
            kept,
            dir,
            child,
        }
    }

    /// The files the peer kept with this extension, in name order.
    pub async fn kept(&self, extension: &str) -> Vec<Vec<u8>> {
        let mut names = Vec::new();
        let Ok(mut entries) = tokio::fs::read_dir(&self.kept).await else {
            return Vec::new();
        };
        while let Ok(Some(e)) = entries.next_entry().await {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.ends_with(extension) {
                names.push(name);
            }
        }
        names.sort();
        let mut out = Vec::new();
        for name in names {
            out.push(
                tokio::fs::read(self.kept.join(&name))
                    .await
                    .expect("a kept file"),
            );
        }
        out
    }
}

impl Drop for PythonPeer {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
