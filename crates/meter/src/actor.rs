//! Who runs a command, as an invoice's events record it: `METER_ACTOR`, else the user of the
//! operating system.

/// `METER_ACTOR` when set (a service account naming the person behind it, say), else the user
/// this process runs as (`USER`, `LOGNAME`, else its uid looked up in `/etc/passwd`), else
/// `uid N`.
pub fn actor() -> String {
    let var = |name: &str| std::env::var(name).ok().map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
    if let Some(name) = var("METER_ACTOR").or_else(|| var("USER")).or_else(|| var("LOGNAME")) {
        return name;
    }
    match uid() {
        Some(uid) => user_of(uid).unwrap_or_else(|| format!("uid {uid}")),
        None => "unknown".into(),
    }
}

/// The real uid of this process, from `/proc/self/status` (Linux).
fn uid() -> Option<u32> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find_map(|l| l.strip_prefix("Uid:"))?;
    line.split_whitespace().next()?.parse().ok()
}

/// The name of the user with this uid in `/etc/passwd`.
fn user_of(uid: u32) -> Option<String> {
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|l| {
        let mut fields = l.split(':');
        let name = fields.next()?;
        (fields.nth(1)?.parse::<u32>().ok()? == uid).then(|| name.to_owned())
    })
}
