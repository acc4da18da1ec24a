//! Who may talk to the server over HTTP and WebSocket. Evaluating code is
//! remote code execution, so a browser request must come from the served
//! origin (`Origin` header), and on a loopback bind the `Host` header must
//! name this machine (against DNS rebinding). Clients that send no `Origin`
//! (curl, editors, tests) are not browsers and are let through.

use std::net::IpAddr;

use axum::http::HeaderValue;

#[derive(Debug, Clone)]
pub struct Access {
    http_port: u16,
    /// Host names that mean this server.
    hosts: Vec<String>,
    /// Extra origins allowed exactly (`--allow-origin`).
    origins: Vec<String>,
    /// Bound to every interface: the Host header cannot be checked.
    any_host: bool,
}

impl Access {
    pub fn new(bind: IpAddr, http_port: u16, extra_origins: &[String]) -> Self {
        let mut hosts = vec![
            "localhost".to_string(),
            "127.0.0.1".to_string(),
            "[::1]".to_string(),
        ];
        if !bind.is_unspecified() && !bind.is_loopback() {
            hosts.push(match bind {
                IpAddr::V4(v4) => v4.to_string(),
                IpAddr::V6(v6) => format!("[{v6}]"),
            });
        }
        let origins: Vec<String> = extra_origins
            .iter()
            .map(|o| o.trim_end_matches('/').to_string())
            .collect();
        for origin in &origins {
            if let Some((host, _)) = split_origin(origin) {
                hosts.push(host.to_string());
            }
        }
        Self {
            http_port,
            hosts,
            origins,
            any_host: bind.is_unspecified(),
        }
    }

    pub fn origin_allowed(&self, origin: Option<&HeaderValue>) -> bool {
        let Some(origin) = origin else {
            return true;
        };
        let Ok(origin) = origin.to_str() else {
            return false;
        };
        if self.origins.iter().any(|allowed| allowed == origin) {
            return true;
        }
        match split_origin(origin) {
            Some((host, port)) => {
                port == Some(self.http_port) && self.hosts.iter().any(|h| h == host)
            }
            None => false,
        }
    }

    pub fn host_allowed(&self, host: Option<&HeaderValue>) -> bool {
        if self.any_host {
            return true;
        }
        let Some(host) = host.and_then(|h| h.to_str().ok()) else {
            return false;
        };
        let name = host_name(host);
        self.hosts.iter().any(|allowed| allowed == name)
    }
}

/// `http://host:port` into host and port; only plain http origins.
fn split_origin(origin: &str) -> Option<(&str, Option<u16>)> {
    let rest = origin.strip_prefix("http://")?;
    let name = host_name(rest);
    let port = rest[name.len()..]
        .strip_prefix(':')
        .map(|p| p.parse().ok())
        .unwrap_or(Some(80));
    Some((name, port))
}

/// The host part of `host[:port]`, brackets kept for IPv6.
fn host_name(host_and_port: &str) -> &str {
    if host_and_port.starts_with('[') {
        return match host_and_port.find(']') {
            Some(end) => &host_and_port[..=end],
            None => host_and_port,
        };
    }
    host_and_port.split(':').next().unwrap_or(host_and_port)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(text: &str) -> HeaderValue {
        HeaderValue::from_str(text).unwrap()
    }

    #[test]
    fn loopback_origins_on_the_http_port_pass() {
        let access = Access::new("127.0.0.1".parse().unwrap(), 8080, &[]);
        assert!(access.origin_allowed(Some(&header("http://127.0.0.1:8080"))));
        assert!(access.origin_allowed(Some(&header("http://localhost:8080"))));
        assert!(access.origin_allowed(None));
        assert!(!access.origin_allowed(Some(&header("http://localhost:9999"))));
        assert!(!access.origin_allowed(Some(&header("http://evil.example:8080"))));
        assert!(!access.origin_allowed(Some(&header("null"))));
    }

    #[test]
    fn host_header_must_name_this_machine() {
        let access = Access::new("127.0.0.1".parse().unwrap(), 8080, &[]);
        assert!(access.host_allowed(Some(&header("127.0.0.1:8080"))));
        assert!(access.host_allowed(Some(&header("[::1]:8080"))));
        assert!(!access.host_allowed(Some(&header("rebound.example:8080"))));
        assert!(!access.host_allowed(None));
    }

    #[test]
    fn extra_origins_are_allowed_exactly() {
        let access = Access::new(
            "0.0.0.0".parse().unwrap(),
            8080,
            &["http://devbox:8080/".to_string()],
        );
        assert!(access.origin_allowed(Some(&header("http://devbox:8080"))));
        assert!(access.host_allowed(Some(&header("anything:8080"))));
    }
}
