//! The name of the person at this terminal, recorded as `local:<name>` on tty approvals.

/// `$USER`, else `$LOGNAME` (set by login(1) and cron where `$USER` may not be), else the OS
/// account name of this process, else `unknown`.
pub fn name() -> String {
    crate::env::var("USER")
        .or_else(|| crate::env::var("LOGNAME"))
        .or_else(os_user_name)
        .unwrap_or_else(|| "unknown".to_string())
}

/// The account name of the real user id, from the system's user database (NSS, so LDAP and
/// systemd-homed users resolve too).
#[cfg(unix)]
fn os_user_name() -> Option<String> {
    use std::ffi::CStr;
    let mut buf = vec![0 as libc::c_char; 4096];
    // SAFETY: zeroed passwd is a valid out-parameter; getpwuid_r only writes into `pwd` and
    // `buf` (whose length it is given) and sets `result` to null or to `&pwd`.
    unsafe {
        let mut pwd: libc::passwd = std::mem::zeroed();
        let mut result: *mut libc::passwd = std::ptr::null_mut();
        let rc = libc::getpwuid_r(
            libc::getuid(),
            &mut pwd,
            buf.as_mut_ptr(),
            buf.len(),
            &mut result,
        );
        if rc != 0 || result.is_null() || pwd.pw_name.is_null() {
            return None;
        }
        let name = CStr::from_ptr(pwd.pw_name).to_string_lossy().into_owned();
        (!name.is_empty()).then_some(name)
    }
}

#[cfg(windows)]
fn os_user_name() -> Option<String> {
    crate::env::var("USERNAME")
}

#[cfg(not(any(unix, windows)))]
fn os_user_name() -> Option<String> {
    None
}
