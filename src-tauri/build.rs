//! Reads the root `tauri.conf.json` (the config lives at the workspace root, beside the
//! `ui/` and `icons/` folders it names).

fn main() {
    tauri_build::try_build(tauri_build::Attributes::new().config_path("../tauri.conf.json"))
        .expect("the Tauri build step failed; see the message above");
}
