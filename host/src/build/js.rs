//! Building a JavaScript app: the JS SDK's `ion-build` (in the app's
//! `node_modules/@ion-host/sdk`, put there by `npm install`) bundles `app.js` with the SDK
//! (esbuild) and componentizes it with componentize-js against the WIT contract, for world
//! `ion-app`.

use super::run;
use anyhow::{Result, bail};
use std::path::Path;
use std::process::Command;

/// How a JavaScript app is built, as a revision's manifest records it.
pub const RECIPE: &str = "ion-build (@ion-host/sdk, componentize-js)";

const HINT: &str = "the app's package.json must depend on @ion-host/sdk (e.g. \"file:../../sdk/js\"); run `npm install` in the app folder";

/// Builds the JavaScript app in `app_dir` into `out`.
pub fn build(app_dir: &Path, out: &Path) -> Result<()> {
    let app_dir = &std::path::absolute(app_dir)?;
    let out = &std::path::absolute(out)?;
    let builder = app_dir.join("node_modules/@ion-host/sdk/bin/ion-build.js");
    if !builder.exists() {
        let mut npm = Command::new("npm");
        npm.args(["install", "--no-audit", "--no-fund"])
            .current_dir(app_dir);
        run(
            npm,
            &format!("{}: installing the app's packages", app_dir.display()),
            HINT,
        )?;
    }
    sdk_tools(app_dir)?;
    let mut command = Command::new("node");
    command
        .arg(&builder)
        .arg("--wit")
        .arg(super::wit::dir()?)
        .arg("--app")
        .arg(app_dir)
        .arg("--out")
        .arg(out)
        .current_dir(app_dir);
    run(
        command,
        &format!("{}: building the JavaScript app", app_dir.display()),
        HINT,
    )
}

/// Makes sure the SDK's own build tools (esbuild, componentize-js) resolve from where the
/// SDK really is: an SDK linked with `file:` keeps them in its own `node_modules`, which
/// the app's `npm install` does not fill. Runs the SDK's `install.sh` when it has one.
fn sdk_tools(app_dir: &Path) -> Result<()> {
    let link = app_dir.join("node_modules/@ion-host/sdk");
    let sdk = std::fs::canonicalize(&link).unwrap_or(link);
    let resolves = |sdk: &Path| {
        sdk.ancestors()
            .any(|d| d.join("node_modules/esbuild/package.json").exists())
    };
    if resolves(&sdk) {
        return Ok(());
    }
    let install = sdk.join("install.sh");
    let missing = format!(
        "{}: the JavaScript SDK at {} has not installed its build tools (esbuild is in no node_modules it can see)",
        app_dir.display(),
        sdk.display()
    );
    if !install.exists() {
        bail!("{missing}; run `npm install` in {}", sdk.display());
    }
    let mut command = Command::new("bash");
    command.arg(&install).current_dir(&sdk);
    run(
        command,
        &format!("{missing}; installing them"),
        &format!("run {} by hand to see why", install.display()),
    )?;
    if !resolves(&sdk) {
        bail!("{missing}, even after {} ran", install.display());
    }
    Ok(())
}
