//! The server's package, `picup-server_<version>_<arch>.deb` (`cargo xtask bundle`; here
//! packaged from the debug build by the same code, its path in `PICUP_TEST_SERVER_DEB`).
//! Unpacked into a throwaway root: Debian's lintian finds no errors, systemd verifies
//! its unit and rates the sandbox "OK" or better, the config is a conffile that keeps
//! the server on this computer, and the packaged program serves with it and adds the
//! first account the way the install message says.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::{env, fs};

use anyhow::{Context, Result, bail, ensure};
use picup_testkit::server::Server;
use picup_testkit::{program, stdout_of, succeed};

const UNIT: &str = "lib/systemd/system/picup-server.service";

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
        conffiles.lines().collect::<Vec<_>>() == ["/etc/picup/config.toml"],
        "{conffiles}"
    );
    let config = root.path().join("etc/picup/config.toml");
    let settings = fs::read_to_string(&config)?;
    // No listen, public_url or domain set: the default, 127.0.0.1:8080, applies.
    let is_set = |key: &str| settings.lines().any(|l| l.starts_with(&format!("{key} =")));
    ensure!(
        settings.contains("\n# listen = \"127.0.0.1:8080\"\n")
            && settings.contains("# public_url = ")
            && !["listen", "public_url", "domain"].into_iter().any(is_set)
            && settings.contains("/var/lib/picup"),
        "the shipped config listens on loopback until public_url is set:\n{settings}"
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

    // systemd's own check, with ExecStart pointing into the unpacked root so that it
    // also proves the program is there and executable.
    let checked = tempfile::tempdir()?;
    let relocated = checked.path().join("picup-server.service");
    fs::write(
        &relocated,
        unit.replace(
            "ExecStart=/usr/bin/picup-server",
            &format!("ExecStart={}", binary.display()),
        ),
    )?;
    let verify = program("systemd-analyze")
        .arg("verify")
        .arg(&relocated)
        .output()?;
    let complaints = String::from_utf8_lossy(&verify.stderr);
    ensure!(
        verify.status.success() && complaints.trim().is_empty(),
        "systemd-analyze verify: {complaints}{}",
        String::from_utf8_lossy(&verify.stdout)
    );

    let (exposure, rating) = security_exposure(&unit_path)?;
    println!("systemd-analyze security: exposure {exposure} {rating}");
    ensure!(
        exposure < 5.0 && ["OK", "SAFE", "PERFECT"].contains(&rating.as_str()),
        "the sandbox rates {exposure} {rating}; it must be OK or better"
    );

    // The packaged program serves with the shipped config, refuses to answer beyond
    // this computer without public_url, and adds an account as the message says.
    serves_with_the_shipped_config(&binary, &config)?;

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

fn serves_with_the_shipped_config(binary: &Path, config: &Path) -> Result<()> {
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
    Ok(())
}
