//! The server's package, `picup-server_<version>_<arch>.deb` (`cargo xtask bundle`; here
//! packaged from the debug build by the same code, its path in `PICUP_TEST_SERVER_DEB`).
//! Unpacked into a throwaway root: Debian's lintian finds no errors, systemd verifies
//! its units and rates the sandboxes "OK" or better, the config is a conffile that keeps
//! the server on this computer, and the packaged program serves with it and adds the
//! first account the way the install message says. The daily backup timer ships off:
//! the postinst leaves it disabled, the unit's own command refuses in plain words until
//! `/etc/picup/backup.env` names a directory, and backs up the running server once it does.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::{env, fs};

use anyhow::{Context, Result, bail, ensure};
use picup_testkit::programs::declared;
use picup_testkit::server::Server;
use picup_testkit::{program, stdout_of, succeed};

const UNIT_DIR: &str = "lib/systemd/system";
const UNIT: &str = "lib/systemd/system/picup-server.service";
const BACKUP_UNIT: &str = "lib/systemd/system/picup-server-backup.service";
const BACKUP_TIMER: &str = "lib/systemd/system/picup-server-backup.timer";
const BACKUP_ENV: &str = "etc/picup/backup.env";

#[test]
fn the_server_package_installs_a_sandboxed_service() -> Result<()> {
    let deb = PathBuf::from(env::var_os("PICUP_TEST_SERVER_DEB").context(
        "PICUP_TEST_SERVER_DEB is not set: run the tests with `cargo xtask test`, which \
         packages the server",
    )?);
    let root = tempfile::tempdir()?;
    let control = root.path().join("DEBIAN");
    succeed(program("dpkg-deb").arg("-x").arg(&deb).arg(root.path()))?;
    succeed(program("dpkg-deb").arg("-e").arg(&deb).arg(&control))?;

    // Debian's own policy checker.
    let lint = program("lintian")
        .args(["--allow-root", "--fail-on", "error"])
        .arg(&deb)
        .output()
        .context("running lintian (cargo xtask deps installs it)")?;
    let tags = String::from_utf8_lossy(&lint.stdout);
    println!("lintian:\n{tags}");
    ensure!(
        lint.status.success() && !tags.lines().any(|line| line.starts_with("E: ")),
        "lintian finds errors in the server package:\n{tags}{}",
        String::from_utf8_lossy(&lint.stderr)
    );

    let fields = stdout_of(
        program("dpkg-deb")
            .arg("--field")
            .arg(&deb)
            .args(["Package", "Version", "Depends"]),
    )?;
    ensure!(
        fields.contains("Package: picup-server")
            && fields.contains(&format!("Version: {}", env!("CARGO_PKG_VERSION")))
            && fields.contains("libc6")
            && fields.contains("systemd"),
        "{fields}"
    );

    // The program runs from where the package puts it.
    let binary = root.path().join("usr/bin/picup-server");
    let help = stdout_of(Command::new(&binary).arg("--help"))?;
    ensure!(help.contains("serve") && help.contains("user"), "{help}");

    // The settings survive upgrades (a conffile) and keep the server on this computer.
    let conffiles = fs::read_to_string(control.join("conffiles"))?;
    ensure!(
        conffiles.lines().collect::<Vec<_>>()
            == ["/etc/picup/config.toml", "/etc/picup/backup.env"],
        "{conffiles}"
    );
    let config = root.path().join("etc/picup/config.toml");
    let settings = fs::read_to_string(&config)?;
    // No listen, public_url or domain set: the default, 127.0.0.1:8080, applies.
    let is_set = |key: &str| settings.lines().any(|l| l.starts_with(&format!("{key} =")));
    ensure!(
        settings.contains("\n# listen = \"127.0.0.1:8080\"\n")
            && settings.contains("\n# domain = ")
            && settings.contains("# public_url = ")
            && !["listen", "public_url", "domain"].into_iter().any(is_set)
            && settings.contains("/var/lib/picup"),
        "the shipped config listens on loopback until a domain or public_url is set:\n{settings}"
    );

    // The unit runs the embedded server (worker in-process) as its own user, sandboxed.
    let unit_path = root.path().join(UNIT);
    let unit = fs::read_to_string(&unit_path)?;
    for line in [
        "ExecStart=/usr/bin/picup-server --config /etc/picup/config.toml --data /var/lib/picup \
         serve --embedded",
        "User=picup",
        "StateDirectory=picup",
        "ConfigurationDirectory=picup",
        "Restart=on-failure",
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "ProtectHome=yes",
        "PrivateTmp=yes",
        "CapabilityBoundingSet=CAP_NET_BIND_SERVICE",
        "SystemCallFilter=@system-service",
        "UMask=0077",
        "WantedBy=multi-user.target",
    ] {
        ensure!(unit.lines().any(|l| l == line), "the unit lacks {line}");
    }
    let sysusers = fs::read_to_string(root.path().join("usr/lib/sysusers.d/picup-server.conf"))?;
    ensure!(sysusers.contains("u picup "), "{sysusers}");

    // The daily backup: a timer that catches up on missed days, spread over the night,
    // starting a one-shot backup as picup, sandboxed, into the directory backup.env names.
    let timer = fs::read_to_string(root.path().join(BACKUP_TIMER))?;
    for line in ["Persistent=true", "WantedBy=timers.target"] {
        ensure!(timer.lines().any(|l| l == line), "the timer lacks {line}");
    }
    for key in ["OnCalendar=", "RandomizedDelaySec="] {
        ensure!(
            timer.lines().any(|l| l.starts_with(key)),
            "the timer lacks {key}"
        );
    }
    let backup_unit_path = root.path().join(BACKUP_UNIT);
    let backup_unit = fs::read_to_string(&backup_unit_path)?;
    for line in [
        "Type=oneshot",
        "User=picup",
        "EnvironmentFile=/etc/picup/backup.env",
        "StateDirectory=picup",
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "ProtectHome=yes",
        "PrivateTmp=yes",
        "UMask=0077",
    ] {
        ensure!(
            backup_unit.lines().any(|l| l == line),
            "the backup unit lacks {line}"
        );
    }
    let backup_env = fs::read_to_string(root.path().join(BACKUP_ENV))?;
    ensure!(
        backup_env.lines().any(|l| l == "PICUP_BACKUP_TO=")
            && backup_env.contains("sudo systemctl enable --now picup-server-backup.timer"),
        "backup.env ships naming no directory and says how to switch the backup on:\n\
         {backup_env}"
    );

    // systemd's own check, with ExecStart pointing into the unpacked root so that it
    // also proves the program is there and executable.
    let checked = tempfile::tempdir()?;
    let mut relocated = Vec::new();
    for name in [
        "picup-server.service",
        "picup-server-backup.service",
        "picup-server-backup.timer",
    ] {
        let text = fs::read_to_string(root.path().join(UNIT_DIR).join(name))?;
        let path = checked.path().join(name);
        fs::write(
            &path,
            text.replace(
                "ExecStart=/usr/bin/picup-server",
                &format!("ExecStart={}", binary.display()),
            ),
        )?;
        relocated.push(path);
    }
    let verify = program("systemd-analyze")
        .arg("verify")
        .args(&relocated)
        .output()?;
    let complaints = String::from_utf8_lossy(&verify.stderr);
    ensure!(
        verify.status.success() && complaints.trim().is_empty(),
        "systemd-analyze verify: {complaints}{}",
        String::from_utf8_lossy(&verify.stdout)
    );

    for path in [&unit_path, &backup_unit_path] {
        let (exposure, rating) = security_exposure(path)?;
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        println!("systemd-analyze security {name}: exposure {exposure} {rating}");
        ensure!(
            exposure < 5.0 && ["OK", "SAFE", "PERFECT"].contains(&rating.as_str()),
            "{name}'s sandbox rates {exposure} {rating}; it must be OK or better"
        );
    }

    // The packaged program serves with the shipped config, refuses to answer beyond
    // this computer without public_url, adds an account as the message says, and is
    // backed up by the backup unit's own command once backup.env names a directory.
    serves_with_the_shipped_config(&binary, &config, &backup_unit, &backup_env)?;

    let postinst = fs::read_to_string(control.join("postinst"))?;
    for needed in [
        "deb-systemd-helper enable 'picup-server.service'",
        "deb-systemd-invoke $_dh_action 'picup-server.service'",
        "systemd-sysusers picup-server.conf",
        "sudo -u picup picup-server --config /etc/picup/config.toml --data /var/lib/picup \
         user add",
    ] {
        ensure!(postinst.contains(needed), "the postinst lacks {needed}");
    }
    postinst_leaves_the_backup_timer_off(&control.join("postinst"))?;
    Ok(())
}

/// Runs the postinst as a first install and as an upgrade, with every program it calls
/// replaced by a stub that writes down how it was called: the server's unit is enabled,
/// the backup timer neither enabled nor started unless the operator had enabled it.
fn postinst_leaves_the_backup_timer_off(postinst: &Path) -> Result<()> {
    let stubs = tempfile::tempdir()?;
    let log = stubs.path().join("calls");
    // deb-systemd-helper says the timer was installed before only when told to.
    let stub = r#"#!/bin/sh
echo "${0##*/} $*" >> "$STUB_LOG"
if [ "${0##*/} $1" = "deb-systemd-helper debian-installed" ]; then
    [ "$STUB_INSTALLED" = yes ]
fi
"#;
    for name in [
        "systemd-sysusers",
        "chown",
        "chmod",
        "deb-systemd-helper",
        "deb-systemd-invoke",
        "systemctl",
    ] {
        let path = stubs.path().join(name);
        fs::write(&path, stub)?;
        fs::set_permissions(&path, fs::Permissions::from_mode(0o755))?;
    }
    // The install message is printed with cat; nothing else from the system is on PATH.
    declared("cat");
    std::os::unix::fs::symlink("/bin/cat", stubs.path().join("cat"))?;

    let run = |args: &[&str], installed: &str| -> Result<String> {
        let _ = fs::remove_file(&log);
        succeed(
            program("/bin/sh")
                .arg(postinst)
                .args(args)
                .env_clear()
                .env("PATH", stubs.path())
                .env("STUB_LOG", &log)
                .env("STUB_INSTALLED", installed),
        )?;
        Ok(fs::read_to_string(&log)?)
    };
    let first = run(&["configure"], "no")?;
    ensure!(
        first.contains("deb-systemd-helper enable picup-server.service"),
        "a first install enables the server:\n{first}"
    );
    let timer_switched_on = |calls: &str| {
        calls.lines().any(|call| {
            call.contains("picup-server-backup")
                && (call.contains(" enable ")
                    || call.contains(" start ")
                    || call.contains("restart"))
        })
    };
    ensure!(
        !timer_switched_on(&first),
        "a first install switches the backup timer on:\n{first}"
    );
    let upgrade = run(&["configure", "0.0.9"], "yes")?;
    ensure!(
        upgrade.contains("deb-systemd-helper enable picup-server-backup.timer"),
        "an upgrade keeps the operator's enabled timer:\n{upgrade}"
    );
    Ok(())
}

/// The number and word of `systemd-analyze security --offline=true`'s last line,
/// "→ Overall exposure level for picup-server.service: 1.6 OK 🙂".
fn security_exposure(unit: &Path) -> Result<(f64, String)> {
    let report = stdout_of(
        program("systemd-analyze")
            .args(["security", "--offline=true", "--no-pager"])
            .arg(unit),
    )?;
    let overall = report
        .lines()
        .find_map(|line| line.split_once("Overall exposure level for "))
        .and_then(|(_, rest)| rest.split_once(": "))
        .map(|(_, score)| score.split_whitespace().collect::<Vec<_>>())
        .with_context(|| format!("no overall exposure in:\n{report}"))?;
    let [number, rating, ..] = overall.as_slice() else {
        bail!("an exposure without a rating: {overall:?}");
    };
    Ok((number.parse()?, (*rating).to_owned()))
}

fn serves_with_the_shipped_config(
    binary: &Path,
    config: &Path,
    backup_unit: &str,
    backup_env: &str,
) -> Result<()> {
    let folder = tempfile::tempdir()?;
    let server = Server::embedded_in(binary, &folder.path().join("data"), folder.path())
        .with_env("PICUP_CONFIG", config.display().to_string())
        .with_env("PICUP_S3_LISTEN", "127.0.0.1:0");

    let refused = server
        .command(&["serve", "--embedded", "--listen", "0.0.0.0:0"])
        .output()?;
    let said = String::from_utf8_lossy(&refused.stderr);
    ensure!(
        !refused.status.success() && said.contains("public_url"),
        "serving beyond this computer without public_url: {said}"
    );

    let running = server.serve("packaged")?;
    let address = running.url.trim_start_matches("http://");
    let mut connection = TcpStream::connect(address)?;
    connection.write_all(b"GET /healthz HTTP/1.0\r\n\r\n")?;
    let mut answer = String::new();
    connection.read_to_string(&mut answer)?;
    ensure!(answer.starts_with("HTTP/1.0 200"), "GET /healthz: {answer}");

    let added = server.cli(&["user", "add", "first@example.org"], None)?;
    ensure!(
        added.status.success(),
        "user add: {}",
        String::from_utf8_lossy(&added.stderr)
    );
    let listed = server.cli(&["user", "list"], None)?;
    ensure!(
        String::from_utf8_lossy(&listed.stdout).contains("first@example.org"),
        "the account is listed"
    );

    // The backup unit's ExecStart, as systemd runs it with backup.env as shipped: a
    // refusal that says what to set, then a backup once a directory is named.
    let target = folder.path().join("backup");
    fs::create_dir(&target)?;
    let shipped = backup_env
        .lines()
        .find_map(|line| line.strip_prefix("PICUP_BACKUP_TO="))
        .context("backup.env sets no PICUP_BACKUP_TO")?;
    let backup_as_the_unit_does = |to: &str| -> Result<std::process::Output> {
        let exec = backup_unit
            .lines()
            .find_map(|line| line.strip_prefix("ExecStart="))
            .context("the backup unit has no ExecStart")?;
        let mut words = exec.split_whitespace().map(|word| match word {
            "/usr/bin/picup-server" => binary.display().to_string(),
            "/etc/picup/config.toml" => config.display().to_string(),
            "/var/lib/picup" => server.data().display().to_string(),
            // ${…} is one argument in systemd, even when empty.
            "${PICUP_BACKUP_TO}" => to.to_owned(),
            other => other.to_owned(),
        });
        let first = words.next().context("an empty ExecStart")?;
        Ok(program(first)
            .args(words)
            .env("PICUP_S3_LISTEN", "127.0.0.1:0")
            .output()?)
    };
    let refused = backup_as_the_unit_does(shipped)?;
    let said = String::from_utf8_lossy(&refused.stderr);
    ensure!(
        !refused.status.success()
            && said.contains("no backup directory is named")
            && said.contains("PICUP_BACKUP_TO in /etc/picup/backup.env"),
        "the backup unit with backup.env as shipped: {said}"
    );
    ensure!(
        fs::read_dir(&target)?.next().is_none(),
        "nothing is written before a directory is named"
    );
    let backed_up = backup_as_the_unit_does(&target.display().to_string())?;
    ensure!(
        backed_up.status.success() && target.join("manifest.json").is_file(),
        "the backup unit with a directory named: {}",
        String::from_utf8_lossy(&backed_up.stderr)
    );
    Ok(())
}
