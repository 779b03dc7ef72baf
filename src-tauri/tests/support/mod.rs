//! The sandbox the command-line tests run the real binary in.

#![allow(dead_code)]

use std::fs;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use whisperrr_testkit::{clip, model_path};

/// A private home folder and a folder of inputs, removed after the test.
pub struct Sandbox {
    pub root: tempfile::TempDir,
}

impl Sandbox {
    pub fn new() -> Self {
        let root = tempfile::tempdir().unwrap();
        fs::create_dir(root.path().join("home")).unwrap();
        fs::create_dir(root.path().join("work")).unwrap();
        Self { root }
    }

    pub fn work(&self) -> PathBuf {
        self.root.path().join("work")
    }

    /// Copies fixture clip `name` into the work folder as `as_name`.
    pub fn add_clip(&self, name: &str, as_name: &str) -> PathBuf {
        let path = self.work().join(as_name);
        fs::copy(clip(name), &path).unwrap();
        path
    }

    pub fn add_file(&self, name: &str, contents: &[u8]) -> PathBuf {
        let path = self.work().join(name);
        fs::write(&path, contents).unwrap();
        path
    }

    /// `whisperrr` with HOME and the XDG folders inside the sandbox.
    pub fn whisperrr(&self) -> Command {
        let home = self.root.path().join("home");
        let mut command = Command::new(env!("CARGO_BIN_EXE_whisperrr"));
        command
            .current_dir(self.work())
            .env("HOME", &home)
            .env("XDG_DATA_HOME", home.join("data"))
            .env("XDG_CONFIG_HOME", home.join("config"))
            .env("XDG_CACHE_HOME", home.join("cache"))
            // No test reaches the real model host: a test that fetches sets its own server.
            .env("WHISPERRR_MODEL_HOST_URL", closed_url())
            .env_remove("RUST_LOG")
            .stdin(Stdio::null());
        command
    }

    /// `whisperrr transcribe` with the test model and one thread.
    pub fn transcribe(&self, args: &[&str]) -> Output {
        let model = model_path("tiny.en");
        self.whisperrr()
            .arg("transcribe")
            .args(["--model", model.to_str().unwrap(), "--threads", "1"])
            .args(args)
            .output()
            .unwrap()
    }

    pub fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(self.work())
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }
}


/// Returns a URL on a closed port of 127.0.0.1, where every connection is refused.
pub fn closed_url() -> String {
    let addr = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    format!("http://{addr}/models")
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}
