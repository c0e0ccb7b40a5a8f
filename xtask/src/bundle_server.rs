//! The server's Debian package, `picup-server_<version>_<arch>.deb`, built beside the
//! desktop's by `cargo xtask bundle` (and from the debug build by `cargo xtask test`, for
//! `tests/tests/package_server_deb.rs`), with the same `dpkg-deb` code as `bundle.rs`.
//!
//! The package holds:
//! - `/usr/bin/picup-server`, stripped as `dh_strip` would;
//! - the systemd unit `/lib/systemd/system/picup-server.service` (a sandboxed
//!   `serve --embedded` as the user `picup`) and the `sysusers.d` entry that makes that
//!   user; the units and the maintainer scripts are files in `sync-server/packaging/`;
//! - beside it, `picup-server-backup.timer` and the `backup` it starts daily,
//!   `picup-server-backup.service`, into the directory named in `/etc/picup/backup.env`;
//! - `/etc/picup/config.toml`, a conffile: `sync-server/config.example.toml` under a
//!   header for the installed service (it listens on this computer only as shipped);
//! - `/etc/picup/backup.env`, a conffile that names no backup directory as shipped;
//! - maintainer scripts that enable and start the server's unit the Debian way
//!   (`deb-systemd-helper`, `deb-systemd-invoke`), leave the backup timer off, and say
//!   how to add the first account.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, ensure};

use crate::bundle::{self, Compression};
use crate::{root, run_step};

/// The Debian package's name, the same as the program's.
pub const PACKAGE: &str = "picup-server";

/// Where Debian 12 packages put system units (the /usr move came after it).
const UNIT_DIR: &str = "lib/systemd/system";

/// Beyond the libraries: `systemd-sysusers` makes the service's user in the postinst.
const DEPENDS: &[&str] = &["systemd"];
/// Without ffmpeg the worker still runs, but videos the family adds get no thumbnail.
const RECOMMENDS: &str = "ffmpeg";

/// The systemd units, from `sync-server/packaging/` into [`UNIT_DIR`].
const UNITS: &[&str] = &[
    "picup-server.service",
    "picup-server-backup.service",
    "picup-server-backup.timer",
];

/// The settings an operator edits, kept over upgrades: the server's config (made by
/// [`installed_config`]) and the backup timer's target (`sync-server/packaging/backup.env`).
const CONFFILES: &[&str] = &["/etc/picup/config.toml", "/etc/picup/backup.env"];

/// Packages `picup-server` from `binaries` into `<out>/deb/`, returning the `.deb`'s path.
pub fn build_deb(binaries: &Path, out: &Path, compression: Compression) -> Result<PathBuf> {
    let version = bundle::app_version()?;
    let architecture = bundle::command_output(Command::new("dpkg").arg("--print-architecture"))?;
    let name = format!("{PACKAGE}_{version}_{architecture}");
    let out = out.join("deb");
    let staging = out.join(&name);
    if staging.exists() {
        fs::remove_dir_all(&staging).with_context(|| format!("clearing {}", staging.display()))?;
    }
    let packaging = root().join("sync-server/packaging");

    let bin = staging.join("usr/bin");
    fs::create_dir_all(&bin)?;
    let from = binaries.join(PACKAGE);
    ensure!(
        from.is_file(),
        "{} is not built; build it first",
        from.display()
    );
    let binary = bin.join(PACKAGE);
    fs::copy(&from, &binary).with_context(|| format!("copying {}", from.display()))?;
    run_step(
        "Stripping picup-server",
        Command::new("strip")
            .args([
                "--strip-unneeded",
                "--remove-section=.comment",
                "--remove-section=.note",
            ])
            .arg(&binary),
    )?;

    let units = staging.join(UNIT_DIR);
    fs::create_dir_all(&units)?;
    for unit in UNITS {
        copy(&packaging, unit, &units)?;
    }
    let sysusers = staging.join("usr/lib/sysusers.d");
    fs::create_dir_all(&sysusers)?;
    fs::copy(
        packaging.join("picup-server.sysusers"),
        sysusers.join("picup-server.conf"),
    )?;

    let etc = staging.join("etc/picup");
    fs::create_dir_all(&etc)?;
    fs::write(etc.join("config.toml"), installed_config(&packaging)?)?;
    copy(&packaging, "backup.env", &etc)?;

    // Why the program carries its own libjpeg-turbo, said where lintian reads it.
    let overrides = staging.join("usr/share/lintian/overrides");
    fs::create_dir_all(&overrides)?;
    fs::copy(packaging.join("lintian-overrides"), overrides.join(PACKAGE))?;

    let doc = staging.join(format!("usr/share/doc/{PACKAGE}"));
    fs::create_dir_all(&doc)?;
    fs::write(doc.join("copyright"), bundle::copyright())?;
    write_changelog(&doc.join("changelog.gz"), &version)?;

    let mut depends = bundle::library_depends(PACKAGE, &binary, &out)?;
    depends.extend(DEPENDS.iter().map(|name| name.to_string()));
    let control = staging.join("DEBIAN");
    fs::create_dir_all(&control)?;
    fs::write(
        control.join("control"),
        control_file(&version, &architecture, &depends.join(", "), &staging)?,
    )?;
    let conffiles: String = CONFFILES.iter().map(|file| format!("{file}\n")).collect();
    fs::write(control.join("conffiles"), conffiles)?;
    for script in ["postinst", "prerm", "postrm"] {
        copy(&packaging, script, &control)?;
    }
    bundle::set_modes(&staging)?;
    // Maintainer scripts are programs.
    for script in ["postinst", "prerm", "postrm"] {
        set_mode(&control.join(script), 0o755)?;
    }

    let deb = out.join(format!("{name}.deb"));
    bundle::pack(&staging, &deb, compression)?;
    Ok(deb)
}

/// The example config under a header that explains the installed service. The example's
/// own opening paragraph (how to run the server by hand) is left out.
fn installed_config(packaging: &Path) -> Result<String> {
    let example_path = root().join("sync-server/config.example.toml");
    let example = fs::read_to_string(&example_path)
        .with_context(|| format!("reading {}", example_path.display()))?;
    let (_, settings) = example
        .split_once("\n\n")
        .context("config.example.toml has no blank line after its opening paragraph")?;
    let header = fs::read_to_string(packaging.join("config-header.toml"))?;
    Ok(format!("{header}{settings}"))
}

/// A native package's changelog, which Debian policy wants in every package.
fn write_changelog(path: &Path, version: &str) -> Result<()> {
    let plain = path.with_extension("");
    fs::write(
        &plain,
        format!(
            "{PACKAGE} ({version}) unstable; urgency=medium\n\n  \
             * Release {version}; see https://picup.org for what changed.\n\n \
             -- The Pic-up developers <dev@picup.org>  Thu, 01 Jan 2026 00:00:00 +0000\n"
        ),
    )?;
    // -n: no name or time in the header, so the same input packs to the same bytes.
    run_step(
        "Compressing the changelog",
        Command::new("gzip").args(["-9", "-n", "-f"]).arg(&plain),
    )
}

fn control_file(
    version: &str,
    architecture: &str,
    depends: &str,
    staging: &Path,
) -> Result<String> {
    let installed_kib = bundle::disk_usage(staging)?.div_ceil(1024);
    Ok(format!(
        "Package: {PACKAGE}\n\
         Version: {version}\n\
         Architecture: {architecture}\n\
         Maintainer: The Pic-up developers <dev@picup.org>\n\
         Installed-Size: {installed_kib}\n\
         Depends: {depends}\n\
         Recommends: {RECOMMENDS}\n\
         Section: net\n\
         Priority: optional\n\
         Homepage: https://picup.org\n\
         Description: Family cloud for Pic-up photo albums\n \
         The sync server of Pic-up, the easiest photo and video album for a\n \
         family: it keeps the originals the desktop app uploads, and serves the\n \
         album pages that share links open in any browser.\n \
         .\n \
         This package runs it as a sandboxed systemd service on one machine, with\n \
         the database and the photos in /var/lib/picup.\n"
    ))
}

fn copy(from_dir: &Path, name: &str, to_dir: &Path) -> Result<()> {
    let from = from_dir.join(name);
    fs::copy(&from, to_dir.join(name)).with_context(|| format!("copying {}", from.display()))?;
    Ok(())
}

fn set_mode(path: &Path, mode: u32) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(mode))?;
    Ok(())
}
