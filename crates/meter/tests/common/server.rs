//! `meter serve` in a test: started on a free port of 127.0.0.1, asked over real HTTP with an
//! API token, stopped by SIGTERM.

use super::{Ended, Env, Spawned};
use serde_json::{json, Value};
use std::time::Duration;

/// A running `meter serve` and a client of it.
pub struct Server {
    process: Spawned,
    pub base: String,
    runtime: tokio::runtime::Runtime,
    client: reqwest::Client,
    /// The API token every request carries (`Authorization: Bearer`), if any.
    token: Option<String>,
}

impl Server {
    /// Starts `meter serve` on a free port of 127.0.0.1 and waits until it answers.
    pub fn start(env: &Env, args: &[&str], vars: &[(&str, &str)]) -> Server {
        let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port();
        let listen = format!("127.0.0.1:{port}");
        let mut all = vec!["serve", "--listen", &listen];
        all.extend_from_slice(args);
        let process = env.spawn_with_env(&all, vars);
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
        let token = Some(new_token(env, "billing"));
        let mut server =
            Server { base: format!("http://{listen}"), process, runtime, client: reqwest::Client::new(), token };
        let started = std::time::Instant::now();
        while server.try_get("/api/v1/openapi.json").is_none() {
            assert!(server.process.is_running(), "meter serve ended before answering");
            assert!(started.elapsed() < Duration::from_secs(30), "meter serve did not answer within 30 s");
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }

    fn request(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Option<(u16, Value)> {
        self.runtime.block_on(async {
            let mut r = self.client.request(method, format!("{}{path}", self.base));
            if let Some(token) = &self.token {
                r = r.bearer_auth(token);
            }
            if let Some(body) = body {
                r = r.json(&body);
            }
            let r = r.send().await.ok()?;
            Some((r.status().as_u16(), r.json().await.unwrap_or(Value::Null)))
        })
    }

    pub fn try_get(&self, path: &str) -> Option<(u16, Value)> {
        self.request(reqwest::Method::GET, path, None)
    }

    #[track_caller]
    pub fn get(&self, path: &str) -> (u16, Value) {
        self.try_get(path).unwrap_or_else(|| panic!("GET {path}: no answer"))
    }

    #[track_caller]
    pub fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.request(reqwest::Method::POST, path, Some(body)).unwrap_or_else(|| panic!("POST {path}: no answer"))
    }

    /// The same server asked with another token (`None`: without one).
    pub fn with_token(&self, token: Option<&str>) -> Asking<'_> {
        Asking { server: self, token: token.map(str::to_owned) }
    }

    /// SIGTERM, then how the server ended.
    pub fn stop(self) -> Ended {
        self.process.signal("TERM");
        // `wait`'s limit counts from the start of the process.
        let limit = self.process.started.elapsed() + Duration::from_secs(30);
        self.process.wait(limit)
    }
}

/// The server asked with another token.
pub struct Asking<'a> {
    server: &'a Server,
    token: Option<String>,
}

impl Asking<'_> {
    /// The status of `method path` (a JSON body for the others than GET).
    pub fn status(&self, method: reqwest::Method, path: &str) -> (u16, Value) {
        let s = self.server;
        s.runtime.block_on(async {
            let mut r = s.client.request(method.clone(), format!("{}{path}", s.base));
            if let Some(token) = &self.token {
                r = r.bearer_auth(token);
            }
            if method != reqwest::Method::GET {
                r = r.json(&json!({"customer": "acme", "from": "2026-10-01", "to": "2026-10-31"}));
            }
            let r = r.send().await.expect("an answer");
            (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
        })
    }
}

/// `meter tokens create --role ROLE`: the token alone on stdout.
pub fn new_token(env: &Env, role: &str) -> String {
    let run = env.meter(&["tokens", "create", "--role", role, "--name", &format!("{role} robot")]);
    run.assert_ok();
    run.stdout.trim().to_owned()
}

/// A member of staff signed in to a server's pages: the session cookie every request carries.
pub struct Browser<'a> {
    server: &'a Server,
    cookie: String,
}

/// A page as the server answered it.
pub struct Page {
    pub status: u16,
    /// Where a redirect goes.
    pub location: Option<String>,
    /// The cookies it sets, `NAME=VALUE` each.
    pub cookies: Vec<String>,
    pub body: String,
}

impl Page {
    /// The value of the cookie `name` it sets.
    pub fn cookie(&self, name: &str) -> Option<&str> {
        self.cookies.iter().find_map(|c| c.strip_prefix(name)?.strip_prefix('='))
    }
}

impl Server {
    /// `GET path` without a session.
    pub fn anonymous(&self, path: &str) -> Page {
        self.page(reqwest::Method::GET, path, None, None)
    }

    /// `POST path` without a session (an empty form).
    pub fn anonymous_post(&self, path: &str) -> Page {
        self.page(reqwest::Method::POST, path, None, Some(&[]))
    }

    fn page(&self, method: reqwest::Method, path: &str, cookie: Option<&str>, form: Option<&[(&str, &str)]>) -> Page {
        self.runtime.block_on(async {
            let client =
                reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("a client");
            let mut r = client.request(method, format!("{}{path}", self.base));
            if let Some(cookie) = cookie {
                r = r.header("Cookie", cookie);
            }
            if let Some(form) = form {
                r = r.form(form);
            }
            let r = r.send().await.expect("an answer");
            let location = r.headers().get("location").and_then(|l| l.to_str().ok()).map(str::to_owned);
            let cookies = r.headers().get_all("set-cookie").iter().filter_map(|v| v.to_str().ok());
            let cookies = cookies.map(|c| c.split(';').next().unwrap_or_default().to_owned()).collect();
            let status = r.status().as_u16();
            Page { status, location, cookies, body: r.text().await.unwrap_or_default() }
        })
    }

    /// Adds a user of `role` and signs in through the sign-in form.
    pub fn sign_in(&self, env: &Env, email: &str, role: &str) -> Browser<'_> {
        let password = "a long enough password";
        env.meter_with_env(&["users", "add", email, "--role", role], &[("METER_USER_PASSWORD", password)]).assert_ok();
        let signed = self.try_sign_in(email, password);
        assert_eq!(signed.status, 303, "signing in as {email}:\n{}", signed.body);
        let session = signed.cookie("meter_session").expect("a session cookie");
        Browser { server: self, cookie: format!("meter_session={session}") }
    }

    /// Signs in through the sign-in form as an existing user: the form's answer (303 and a
    /// session cookie when it worked).
    pub fn try_sign_in(&self, email: &str, password: &str) -> Page {
        let form = self.anonymous("/sign-in");
        let sign_in = form.cookie("meter_sign_in").expect("the sign-in form's cookie");
        let csrf = field(&form.body, "_csrf").expect("the sign-in form's token");
        let fields = [("_csrf", csrf.as_str()), ("email", email), ("password", password), ("next", "/")];
        self.page(reqwest::Method::POST, "/sign-in", Some(&format!("meter_sign_in={sign_in}")), Some(&fields))
    }
}

/// The value of the form field `name` in a page (`name="…" value="…"`).
pub fn field(html: &str, name: &str) -> Option<String> {
    let at = html.find(&format!("name=\"{name}\""))?;
    let rest = &html[at..];
    let value = rest.find("value=\"")? + "value=\"".len();
    Some(rest[value..].split('"').next()?.to_owned())
}

/// A file as the server sent it.
pub struct Download {
    pub status: u16,
    pub content_type: String,
    /// The Content-Disposition header.
    pub disposition: String,
    pub bytes: Vec<u8>,
}

impl Server {
    /// `GET path` with `headers`, the answer's bytes as they came.
    fn download(&self, path: &str, headers: &[(&str, &str)]) -> Download {
        self.runtime.block_on(async {
            let mut r = self.client.get(format!("{}{path}", self.base));
            for (k, v) in headers {
                r = r.header(*k, *v);
            }
            let r = r.send().await.expect("an answer");
            let header =
                |name: &str| r.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
            let (content_type, disposition) = (header("content-type"), header("content-disposition"));
            let status = r.status().as_u16();
            Download { status, content_type, disposition, bytes: r.bytes().await.expect("the body").to_vec() }
        })
    }
}

impl Asking<'_> {
    /// `GET path` with this token, the answer's bytes as they came.
    pub fn download(&self, path: &str) -> Download {
        let bearer = self.token.as_ref().map(|t| format!("Bearer {t}"));
        let headers: Vec<(&str, &str)> = bearer.iter().map(|b| ("Authorization", b.as_str())).collect();
        self.server.download(path, &headers)
    }
}

impl Browser<'_> {
    /// `GET path` in this session, the answer's bytes as they came.
    pub fn download(&self, path: &str) -> Download {
        self.server.download(path, &[("Cookie", &self.cookie)])
    }

    pub fn get(&self, path: &str) -> Page {
        self.server.page(reqwest::Method::GET, path, Some(&self.cookie), None)
    }

    /// Posts a form as the page's own (its CSRF token added), or without the token.
    pub fn post(&self, path: &str, form: &[(&str, &str)], with_token: bool) -> Page {
        let token = field(&self.get("/calls").body, "_csrf").expect("a page's CSRF token");
        let mut fields = form.to_vec();
        if with_token {
            fields.push(("_csrf", &token));
        }
        self.server.page(reqwest::Method::POST, path, Some(&self.cookie), Some(&fields))
    }
}

impl Browser<'_> {
    /// Uploads `bytes` as the file `field` (named `file_name`) of a multipart form to `path`,
    /// the page's CSRF token in the query (`?_csrf=`) as the upload forms carry it, or without it.
    pub fn upload(&self, path: &str, field: &str, file_name: &str, bytes: &[u8], with_token: bool) -> Page {
        self.multipart(path, &[(field, Some(file_name), bytes)], with_token)
    }

    /// Posts a multipart form to `path`: each part `(name, file name if a file, bytes)`, the
    /// page's CSRF token in the query or not.
    pub fn multipart(&self, path: &str, parts: &[(&str, Option<&str>, &[u8])], with_token: bool) -> Page {
        let token = field_value(&self.get("/calls").body, "_csrf").expect("a page's CSRF token");
        let path = if with_token { format!("{path}?_csrf={token}") } else { path.to_owned() };
        let boundary = "meter-test-boundary-7f3a";
        let mut body = Vec::new();
        for (name, file_name, bytes) in parts {
            let file = file_name.map(|f| format!("; filename=\"{f}\"")).unwrap_or_default();
            let head = format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"{file}\r\n\r\n");
            body.extend_from_slice(head.as_bytes());
            body.extend_from_slice(bytes);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        let server = self.server;
        server.runtime.block_on(async {
            let client =
                reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("a client");
            let r = client
                .post(format!("{}{path}", server.base))
                .header("Cookie", &self.cookie)
                .header("Content-Type", format!("multipart/form-data; boundary={boundary}"))
                .body(body)
                .send()
                .await
                .expect("an answer");
            let location = r.headers().get("location").and_then(|l| l.to_str().ok()).map(str::to_owned);
            let status = r.status().as_u16();
            Page { status, location, cookies: Vec::new(), body: r.text().await.unwrap_or_default() }
        })
    }
}

/// [`field`], by another name where a parameter is called `field`.
fn field_value(html: &str, name: &str) -> Option<String> {
    field(html, name)
}
