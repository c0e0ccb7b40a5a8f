//! The owner's e-mail of what the family did, switched from the real `picup` command
//! line against the real embedded sync server: `picup cloud family-digest on` and `off`
//! say in words what the cloud now does, and a cloud without e-mail (no `smtp_url`)
//! refuses to switch it on, saying why.

use anyhow::{Result, ensure};
use picup_testkit::PASSWORD;
use picup_testkit::keyring::PrivateKeyring;
use picup_tests::cloud::{Picup, sync_server};

const EMAIL: &str = "family@example.org";

#[test]
fn the_family_digest_is_switched_from_the_command_line() -> Result<()> {
    let work = tempfile::Builder::new().prefix("picup-digest-").tempdir()?;
    let keyring = PrivateKeyring::start()?;

    // Nothing is sent here: the server only needs to know it can send e-mail.
    let server = sync_server(None, &[("PICUP_SMTP_URL", "smtp://127.0.0.1:2")])?;
    server.add_account(EMAIL, "1GB")?;
    let parent = Picup::new(&work.path().join("laptop"), &keyring);
    parent.connect(server.url(), EMAIL, PASSWORD)?;
    let on = parent.run(&["cloud", "family-digest", "on"], None)?;
    ensure!(
        on.contains("will e-mail you when the family adds photos or writes comments"),
        "{on}"
    );
    let off = parent.run(&["cloud", "family-digest", "off"], None)?;
    ensure!(off.contains("will no longer e-mail you"), "{off}");
    drop(server);

    let plain = sync_server(None, &[])?;
    plain.add_account(EMAIL, "1GB")?;
    let other = Picup::new(&work.path().join("desktop"), &keyring);
    other.connect(plain.url(), EMAIL, PASSWORD)?;
    let refused = other.command(&["cloud", "family-digest", "on"]).output()?;
    let said = String::from_utf8_lossy(&refused.stderr);
    ensure!(!refused.status.success(), "refused");
    ensure!(said.contains("does not send e-mail"), "{said}");
    Ok(())
}
