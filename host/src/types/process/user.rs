//! The `user` parameter: a user name resolved with `getpwnam_r` and
//! `getgrouplist` when the config is read, so that an unknown user, or a
//! switch the host may not make, is refused at that key.

use std::ffi::{CStr, CString};
use std::fmt;
use std::io;

use serde::Deserialize;

/// A user the command runs as: its name, uid, primary gid and
/// supplementary groups, from the user database.
///
/// Read from a string (`user = "www-data"`). Refused when the user does
/// not exist, or when switching to it needs root and the host is not root
/// (running as the host's own user needs nothing).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct User {
    name: String,
    uid: libc::uid_t,
    gid: libc::gid_t,
    groups: Vec<libc::gid_t>,
    home: String,
}

impl User {
    /// Looks `name` up in the user database.
    ///
    /// # Errors
    ///
    /// A message naming the user when it is unknown, when the lookup
    /// fails, or when the host is not root and `name` is not its own user.
    pub fn resolve(name: &str) -> Result<User, String> {
        let user = lookup(name)?;
        // SAFETY: geteuid has no preconditions and cannot fail.
        let euid = unsafe { libc::geteuid() };
        if euid != 0 && user.uid != euid {
            return Err(format!(
                "user {name:?}: running a command as another user needs root, \
                 and the host runs as uid {euid}"
            ));
        }
        Ok(user)
    }

    /// The user's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The user's id.
    pub fn uid(&self) -> u32 {
        self.uid
    }

    /// The user's primary group id.
    pub fn gid(&self) -> u32 {
        self.gid
    }

    /// The user's groups (`getgrouplist`: the primary group and the
    /// supplementary ones).
    pub fn groups(&self) -> &[u32] {
        &self.groups
    }

    /// The user's home folder (`HOME` for the command, unless `env` sets it).
    pub fn home(&self) -> &str {
        &self.home
    }

    /// Whether starting a command as this user means switching ids: the
    /// host is root (and then it always sets the ids and groups).
    pub(crate) fn switches(&self) -> bool {
        // SAFETY: geteuid has no preconditions and cannot fail.
        unsafe { libc::geteuid() == 0 }
    }
}

impl TryFrom<String> for User {
    type Error = String;
    fn try_from(name: String) -> Result<User, String> {
        User::resolve(&name)
    }
}

impl fmt::Display for User {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (uid {}, gid {})", self.name, self.uid, self.gid)
    }
}

/// `getpwnam_r`, then `getgrouplist`, growing the buffers on `ERANGE`.
fn lookup(name: &str) -> Result<User, String> {
    if name.is_empty() {
        return Err("user: an empty name".to_owned());
    }
    let c_name = CString::new(name).map_err(|_| format!("user {name:?}: a NUL in the name"))?;
    let mut buf: Vec<libc::c_char> = vec![0; 1024];
    // SAFETY: an all-zero passwd (null pointers, zero ids) is a valid value;
    // getpwnam_r overwrites it.
    let mut pwd: libc::passwd = unsafe { std::mem::zeroed() };
    let mut found: *mut libc::passwd = std::ptr::null_mut();
    loop {
        // SAFETY: every pointer is valid for the call: c_name is a C string,
        // pwd and found are locals, buf is a live buffer of buf.len() bytes
        // that pwd's strings will point into (kept alive below).
        let r = unsafe {
            libc::getpwnam_r(
                c_name.as_ptr(),
                &mut pwd,
                buf.as_mut_ptr(),
                buf.len(),
                &mut found,
            )
        };
        match r {
            0 => break,
            libc::ERANGE if buf.len() < 1 << 20 => buf.resize(buf.len() * 2, 0),
            e => {
                let e = io::Error::from_raw_os_error(e);
                return Err(format!("user {name:?}: cannot read the user database: {e}"));
            }
        }
    }
    if found.is_null() {
        return Err(format!("user {name:?}: no such user"));
    }
    let home = if pwd.pw_dir.is_null() {
        String::from("/")
    } else {
        // SAFETY: getpwnam_r succeeded, so pw_dir points to a C string
        // inside buf, which is still alive.
        unsafe { CStr::from_ptr(pwd.pw_dir) }
            .to_string_lossy()
            .into_owned()
    };
    let groups = group_list(&c_name, pwd.pw_gid).map_err(|e| format!("user {name:?}: {e}"))?;
    Ok(User {
        name: name.to_owned(),
        uid: pwd.pw_uid,
        gid: pwd.pw_gid,
        groups,
        home,
    })
}

fn group_list(name: &CStr, gid: libc::gid_t) -> Result<Vec<libc::gid_t>, String> {
    let mut groups: Vec<libc::gid_t> = vec![0; 32];
    for _ in 0..8 {
        let mut n = libc::c_int::try_from(groups.len()).unwrap_or(libc::c_int::MAX);
        // SAFETY: name is a C string; groups is a live buffer of n entries
        // and n a local; getgrouplist writes at most n entries and sets n.
        let r = unsafe { libc::getgrouplist(name.as_ptr(), gid, groups.as_mut_ptr(), &mut n) };
        let n = usize::try_from(n).unwrap_or(0);
        if r >= 0 {
            groups.truncate(n);
            return Ok(groups);
        }
        // Too small: n is the size needed (or unchanged on old glibc).
        groups.resize(n.max(groups.len() * 2), 0);
    }
    Err("cannot read the user's groups".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hosts_own_user_resolves() {
        // SAFETY: no preconditions.
        let uid = unsafe { libc::geteuid() };
        // root exists on every Linux system; as another user, look up that one.
        let me = if uid == 0 {
            "root".to_owned()
        } else {
            std::env::var("USER").unwrap_or_else(|_| "root".to_owned())
        };
        if let Ok(u) = User::resolve(&me) {
            assert_eq!(u.uid(), uid);
            assert!(u.groups().contains(&u.gid()), "{u:?}");
        }
    }

    #[test]
    fn an_unknown_user_is_named_in_the_error() {
        let e = User::resolve("no-such-user-clusworker").unwrap_err();
        assert!(e.contains("\"no-such-user-clusworker\""), "{e}");
        assert!(e.contains("no such user"), "{e}");
        assert!(User::resolve("").is_err());
    }
}
