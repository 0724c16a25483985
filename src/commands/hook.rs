//! `annot hook install` and `annot hook uninstall`: the pre-commit hook.
//! One hook serves every workspace of a repository: it checks each
//! workspace that was installed into it, in turn.

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
    /// annot's hook was there for other workspaces of the repository; it
    /// now checks this one too. All the workspaces it checks, as written
    /// in the hook (relative to the top of the working tree).
    Added {
        path: PathBuf,
        workspaces: Vec<String>,
    },
}

/// What `annot hook uninstall` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HookUninstall {
    /// The hook checked only this workspace; the file is gone.
    Removed(PathBuf),
    /// The hook still checks these other workspaces.
    Kept {
        path: PathBuf,
        workspaces: Vec<String>,
    },
    /// There is no pre-commit hook, or annot's hook does not check this
    /// workspace (it checks these).
    NotInstalled {
        path: PathBuf,
        workspaces: Vec<String>,
    },
}

/// Marks a hook file as ours, so a second install knows it may replace it.
const HOOK_MARKER: &str = "written by `annot hook install`";

/// The repository's pre-commit hook path and this workspace's folder in
/// it, as the hook names it.
fn locate(root: &Path) -> Result<(PathBuf, String), WorkspaceError> {
    let git = crate::history::Git::open(root)?
        .ok_or_else(|| crate::history::HistoryError::NoRepository(root.display().to_string()))?;
    Ok((
        git.hooks_dir()?.join("pre-commit"),
        git.workspace_dir().to_string(),
    ))
}

fn read_hook(path: &Path) -> Result<Option<Vec<u8>>, WorkspaceError> {
    match fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(WorkspaceError::Io {
            path: path.display().to_string(),
            source,
        }),
    }
}

fn is_ours(bytes: &[u8]) -> bool {
    String::from_utf8_lossy(bytes).contains(HOOK_MARKER)
}

/// `annot hook install`: a git pre-commit hook that runs
/// `annot validate --staged` for this workspace, and for the other
/// workspaces annot's hook already checks. Refuses to replace a hook it did
/// not write unless `force`.
pub fn hook_install(root: &Path, force: bool) -> Result<HookInstall, WorkspaceError> {
    let (path, workspace) = locate(root)?;
    let existing = read_hook(&path)?;
    let mut workspaces = match &existing {
        Some(bytes) if is_ours(bytes) => workspaces_in(&String::from_utf8_lossy(bytes)),
        Some(_) if !force => {
            return Err(WorkspaceError::HookExists {
                path: path.display().to_string(),
            })
        }
        _ => Vec::new(),
    };
    let known = workspaces.contains(&workspace);
    if !known {
        workspaces.push(workspace);
    }
    let script = script(&current_exe(), &workspaces);
    let outcome = match &existing {
        Some(bytes) if bytes == script.as_bytes() => {
            return Ok(HookInstall::AlreadyInstalled(path))
        }
        Some(bytes) if is_ours(bytes) && !known => HookInstall::Added {
            path: path.clone(),
            workspaces: workspaces.clone(),
        },
        Some(_) => HookInstall::Replaced(path.clone()),
        None => HookInstall::Installed(path.clone()),
    };
    write_hook(&path, existing.as_deref(), &script)?;
    Ok(outcome)
}

/// `annot hook uninstall`: takes this workspace out of annot's pre-commit
/// hook, and removes the hook when no workspace is left. A hook annot did
/// not write is left alone (an error).
pub fn hook_uninstall(root: &Path) -> Result<HookUninstall, WorkspaceError> {
    let (path, workspace) = locate(root)?;
    let Some(existing) = read_hook(&path)? else {
        return Ok(HookUninstall::NotInstalled {
            path,
            workspaces: Vec::new(),
        });
    };
    if !is_ours(&existing) {
        return Err(WorkspaceError::ForeignHook {
            path: path.display().to_string(),
        });
    }
    let mut workspaces = workspaces_in(&String::from_utf8_lossy(&existing));
    if !workspaces.contains(&workspace) {
        return Ok(HookUninstall::NotInstalled { path, workspaces });
    }
    workspaces.retain(|w| *w != workspace);
    if workspaces.is_empty() {
        fs::remove_file(&path).map_err(|source| WorkspaceError::Write {
            path: path.display().to_string(),
            source,
        })?;
        return Ok(HookUninstall::Removed(path));
    }
    write_hook(&path, Some(&existing), &script(&current_exe(), &workspaces))?;
    Ok(HookUninstall::Kept { path, workspaces })
}

/// The path of the running annot, which the hook calls.
pub(super) fn current_exe() -> String {
    std::env::current_exe()
        .ok()
        .and_then(|p| p.canonicalize().ok())
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| "annot".to_string())
}

fn write_hook(path: &Path, existing: Option<&[u8]>, script: &str) -> Result<(), WorkspaceError> {
    let write = |source| WorkspaceError::Write {
        path: path.display().to_string(),
        source,
    };
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).map_err(write)?;
    }
    match existing {
        Some(bytes) => edit::write_atomic(path, bytes, script.as_bytes())?,
        None => fs::write(path, script).map_err(write)?,
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(path, fs::Permissions::from_mode(0o755)).map_err(write)?;
    }
    Ok(())
}

/// The line of the hook that checks one workspace.
fn check_line(workspace: &str) -> String {
    format!(
        "\"$annot\" -C {} validate --staged || status=$?\n",
        shell_quote(workspace)
    )
}

/// The hook: finds annot (the binary that installed it, else `annot` on
/// PATH, saying so), checks each workspace, and stops the commit when any
/// check fails or annot cannot be found (docs/hooks.md says why).
fn script(annot: &str, workspaces: &[String]) -> String {
    let checks: String = workspaces.iter().map(|w| check_line(w)).collect();
    format!(
        "#!/bin/sh\n\
         # annot pre-commit hook, {HOOK_MARKER}: checks the staged annotations,\n\
         # sources and vocabulary before each commit. Skip it once with\n\
         # `git commit --no-verify`; `annot hook uninstall` removes it.\n\
         annot={}\n\
         if [ ! -x \"$annot\" ]; then\n\
         \x20 if command -v annot >/dev/null 2>&1; then\n\
         \x20   echo \"annot: $annot is gone; the pre-commit hook uses the annot on PATH ($(command -v annot)). Run \\`annot hook install\\` again to record it.\" >&2\n\
         \x20   annot=annot\n\
         \x20 else\n\
         \x20   echo \"annot: commit stopped: the pre-commit hook cannot find annot ($annot is gone and there is no annot on PATH), so the annotations were not checked. Install annot and run \\`annot hook install\\` again, or commit once without the check with \\`git commit --no-verify\\`.\" >&2\n\
         \x20   exit 1\n\
         \x20 fi\n\
         fi\n\
         status=0\n\
         {checks}\
         if [ \"$status\" -ne 0 ]; then\n\
         \x20 echo \"annot: commit stopped. Fix the findings above and \\`git add\\` the files, or skip this check once with \\`git commit --no-verify\\`.\" >&2\n\
         fi\n\
         exit \"$status\"\n",
        shell_quote(annot),
    )
}

/// The workspaces an annot hook checks, in its order: the `-C` folder of
/// each `"$annot" -C '…' validate --staged` line (this version's and the
/// one before it, which checked a single workspace).
fn workspaces_in(script: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for line in script.lines() {
        let Some(rest) = line.trim().strip_prefix("\"$annot\" -C ") else {
            continue;
        };
        let Some(end) = rest.find(" validate --staged") else {
            continue;
        };
        if let Some(dir) = shell_unquote(&rest[..end]) {
            if !out.contains(&dir) {
                out.push(dir);
            }
        }
    }
    out
}

/// Quotes a string for a POSIX shell.
pub(super) fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// Reads back what [`shell_quote`] wrote.
fn shell_unquote(s: &str) -> Option<String> {
    let inner = s.strip_prefix('\'')?.strip_suffix('\'')?;
    // Every `'` inside must be part of a `'\''` (an escaped quote).
    let escaped = "'\\''";
    (!inner.replace(escaped, "").contains('\'')).then(|| inner.replace(escaped, "'"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_workspaces_of_a_hook_read_back() {
        let dirs = vec![".".to_string(), "it's here".to_string(), "b c".to_string()];
        assert_eq!(workspaces_in(&script("/bin/annot", &dirs)), dirs);
        // The hook of the version before, for one workspace.
        let old = "annot='/x'\n\"$annot\" -C 'sub' validate --staged\nstatus=$?\n";
        assert_eq!(workspaces_in(old), vec!["sub".to_string()]);
    }
}
