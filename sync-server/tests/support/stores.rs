//! The real database and object store of the scale-out installation, started by the
//! tests themselves: a throwaway PostgreSQL cluster on 127.0.0.1 and SeaweedFS's
//! `weed mini` (a real distributed S3 store).

use std::path::PathBuf;
use std::process::Command;

use picup_testkit::{Process, free_port, program};
use serde_json::json;
use tempfile::TempDir;

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// A PostgreSQL cluster in a temporary directory, stopped on drop.
pub struct Postgres {
    dir: TempDir,
    bin: PathBuf,
    pub port: u16,
}

impl Postgres {
    pub fn start() -> Postgres {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .ok()
            .and_then(|versions| {
                versions
                    .filter_map(Result::ok)
                    .map(|v| v.path().join("bin"))
                    .filter(|bin| bin.join("initdb").exists())
                    .max()
            })
            .expect("PostgreSQL is not installed: run the tests with `cargo xtask test`, which installs it");
        // They run by path inside `su` or `sh` below, out of `program`'s sight.
        for inside in ["initdb", "pg_ctl"] {
            picup_testkit::programs::declared(inside);
        }
        let dir = tempfile::Builder::new()
            .prefix("picup-pg")
            .tempdir()
            .unwrap();
        let port = free_port();
        if is_root() {
            // initdb refuses to run as root; the cluster belongs to the postgres user.
            run_ok(
                program("chown")
                    .args(["-R", "postgres:postgres"])
                    .arg(dir.path()),
            );
        }
        let data = dir.path().join("data");
        let as_postgres = |command: String| {
            if is_root() {
                let mut su = program("su");
                su.args(["postgres", "-s", "/bin/sh", "-c", &command]);
                su
            } else {
                let mut sh = program("sh");
                sh.args(["-c", &command]);
                sh
            }
        };
        run_ok(&mut as_postgres(format!(
            "{}/initdb -D {} -U postgres -A trust --no-sync -E UTF8 --locale=C >/dev/null",
            bin.display(),
            data.display()
        )));
        run_ok(&mut as_postgres(format!(
            "{bin}/pg_ctl -D {data} -l {dir}/log -w -o \"-h 127.0.0.1 -p {port} -k {dir} \
             -c fsync=off -c synchronous_commit=off -c full_page_writes=off \
             -c max_connections=200\" start >/dev/null",
            bin = bin.display(),
            data = data.display(),
            dir = dir.path().display(),
        )));
        Postgres { dir, bin, port }
    }

    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let command = format!(
            "{}/pg_ctl -D {}/data -m immediate stop >/dev/null 2>&1",
            self.bin.display(),
            self.dir.path().display()
        );
        let _ = if is_root() {
            program("su")
                .args(["postgres", "-s", "/bin/sh", "-c", &command])
                .status()
        } else {
            program("sh").args(["-c", &command]).status()
        };
    }
}

fn run_ok(command: &mut Command) {
    if let Err(failure) = picup_testkit::succeed(command) {
        panic!("{failure:#}");
    }
}

/// SeaweedFS's all-in-one `weed mini`, answering S3 with real signature checks.
pub struct Seaweed {
    process: Process,
    _dir: TempDir,
    pub endpoint: String,
    pub access_key: String,
    pub secret_key: String,
}

impl Seaweed {
    pub fn start() -> Seaweed {
        let weed = std::env::var_os("PICUP_TEST_WEED")
            .map(PathBuf::from)
            .filter(|p| p.exists())
            .expect("SeaweedFS is not installed: run the tests with `cargo xtask test`, which installs it");
        let dir = tempfile::Builder::new()
            .prefix("picup-weed")
            .tempdir()
            .unwrap();
        let access_key = "picup-test".to_owned();
        let secret_key = picup_server::ids::random_token();
        let identities = json!({"identities": [{
            "name": "picup",
            "credentials": [{"accessKey": access_key, "secretKey": secret_key}],
            "actions": ["Admin", "Read", "Write", "List", "Tagging"],
        }]});
        let config = dir.path().join("identities.json");
        std::fs::write(&config, identities.to_string()).unwrap();
        let data = dir.path().join("data");
        std::fs::create_dir_all(&data).unwrap();
        let s3_port = free_port();
        let mut command = program(weed);
        command
            .arg("mini")
            .arg(format!("-dir={}", data.display()))
            .args([
                "-ip=127.0.0.1",
                "-ip.bind=127.0.0.1",
                "-admin.ui=false",
                "-webdav=false",
            ])
            .arg("-master.telemetry=false")
            .arg(format!("-s3.config={}", config.display()))
            .arg(format!("-s3.port={s3_port}"));
        for flag in [
            "master.port",
            "master.port.grpc",
            "volume.port",
            "volume.port.grpc",
            "filer.port",
            "filer.port.grpc",
            "s3.port.grpc",
            "admin.port",
            "admin.port.grpc",
            "webdav.port",
            "s3.port.iceberg",
            "s3.port.lance",
        ] {
            command.arg(format!("-{flag}={}", free_port()));
        }
        command.current_dir(dir.path());
        let process =
            Process::start_logging_all("weed", &mut command, &dir.path().join("weed.log"))
                .expect("weed starts");
        Seaweed {
            process,
            _dir: dir,
            endpoint: format!("http://127.0.0.1:{s3_port}"),
            access_key,
            secret_key,
        }
    }

    pub fn log(&self) -> String {
        self.process.log()
    }
}
