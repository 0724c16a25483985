//! `annot hook install`: the pre-commit hook.

use crate::edit::{self};
use crate::workspace::WorkspaceError;
use std::fs;
use std::path::{Path, PathBuf};

/// What `annot hook install` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HookInstall {
    Installed(PathBuf),
    Replaced(PathBuf),
    AlreadyInstalled(PathBuf),
}

/// Marks a hook file as ours, so a second install knows it may replace it.
const HOOK_MARKER: &str = "written by `annot hook install`";

/// `annot hook install`: a git pre-commit hook that runs
/// `annot validate --staged` for this workspace. Refuses to replace a hook
/// it did not write unless `force`.
pub fn hook_install(root: &Path, force: bool) -> Result<HookInstall, WorkspaceError> {
    let git = crate::history::Git::open(root)?
        .ok_or_else(|| crate::history::HistoryError::NoRepository(root.display().to_string()))?;
    let dir = git.hooks_dir()?;
    let path = dir.join("pre-commit");
    let io = |source| WorkspaceError::Io {
        path: path.display().to_string(),
        source,
    };
    let annot = std::env::current_exe()
        .ok()
        .and_then(|p| p.canonicalize().ok())
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| "annot".to_string());
    let script = format!(
        "#!/bin/sh\n\
         # annot pre-commit hook, {HOOK_MARKER}: checks the staged annotations,\n\
         # sources and vocabulary before each commit. Skip it once with\n\
         # `git commit --no-verify`; remove this file to turn it off.\n\
         annot={}\n\
         if [ ! -x \"$annot\" ]; then annot=annot; fi\n\
         \"$annot\" -C {} validate --staged\n\
         status=$?\n\
         if [ \"$status\" -ne 0 ]; then\n\
         \x20 echo \"annot: commit stopped. Fix the findings above and \\`git add\\` the files, or skip this check once with \\`git commit --no-verify\\`.\" >&2\n\
         fi\n\
         exit \"$status\"\n",
        shell_quote(&annot),
        shell_quote(git.workspace_dir())
    );
    let existing = match fs::read(&path) {
        Ok(bytes) => Some(bytes),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => None,
        Err(err) => return Err(io(err)),
    };
    let outcome = match &existing {
        Some(bytes) if bytes == script.as_bytes() => {
            return Ok(HookInstall::AlreadyInstalled(path))
        }
        Some(bytes) if !force && !String::from_utf8_lossy(bytes).contains(HOOK_MARKER) => {
            return Err(WorkspaceError::HookExists {
                path: path.display().to_string(),
            })
        }
        Some(_) => HookInstall::Replaced(path.clone()),
        None => HookInstall::Installed(path.clone()),
    };
    fs::create_dir_all(&dir).map_err(io)?;
    match &existing {
        Some(bytes) => edit::write_atomic(&path, bytes, script.as_bytes()).map_err(|err| {
            WorkspaceError::Io {
                path: path.display().to_string(),
                source: std::io::Error::other(err.to_string()),
            }
        })?,
        None => fs::write(&path, &script).map_err(io)?,
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).map_err(io)?;
    }
    Ok(outcome)
}

/// Quotes a string for a POSIX shell.
fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}
