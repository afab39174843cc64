//! Platform URLs that would carry a source's credentials unencrypted across a network.

use std::fmt;
use url::{Host, Url};

/// A platform URL that is plain http to a host other than this machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cleartext {
    pub url: String,
    pub host: String,
}

impl fmt::Display for Cleartext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} is plain http to {}, which is not this machine: the source's secrets and tokens would cross the \
             network unencrypted",
            self.url, self.host
        )
    }
}

/// Why saving `url` would send the source's secrets and tokens unencrypted over a network: it is
/// plain http to a host other than this machine (127.0.0.0/8, ::1, localhost). `None` for https,
/// for this machine, and for a URL the client refuses anyway.
pub fn cleartext(url: &str) -> Option<Cleartext> {
    let parsed = Url::parse(url.trim()).ok()?;
    if parsed.scheme() != "http" {
        return None;
    }
    let this_machine = match parsed.host()? {
        Host::Domain(name) => name.trim_end_matches('.').eq_ignore_ascii_case("localhost"),
        Host::Ipv4(ip) => ip.is_loopback(),
        Host::Ipv6(ip) => ip.is_loopback() || ip.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback()),
    };
    let host = parsed.host_str().unwrap_or_default();
    (!this_machine).then(|| Cleartext { url: url.trim().to_owned(), host: host.to_owned() })
}

#[cfg(test)]
mod tests {
    use super::cleartext;

    #[test]
    fn plain_http_is_cleartext_unless_to_this_machine() {
        for url in [
            "http://pbx.example.net",
            "HTTP://pbx.example.net/ns-api/",
            "http://10.0.0.5:8080",
            "http://192.168.1.2",
            "http://localhost.example.com",
            "http://[2001:db8::1]",
            "http://128.0.0.1",
        ] {
            let why = cleartext(url).unwrap_or_else(|| panic!("{url} is cleartext"));
            assert!(why.to_string().contains("plain http"), "{why}");
        }
        for url in [
            "https://pbx.example.net",
            "http://127.0.0.1:8080",
            "http://127.255.0.9/",
            "http://localhost",
            "http://LocalHost.:80",
            "http://[::1]:8080",
            "http://[::ffff:127.0.0.1]",
            "not a url",
            "ftp://pbx.example.net",
        ] {
            assert_eq!(cleartext(url), None, "{url}");
        }
    }
}
