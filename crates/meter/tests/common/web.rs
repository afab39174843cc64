//! What the tests of the web pages share: `meter serve` on a free port, a member of staff
//! signed in with a role (the session's cookie and its CSRF token), pages asked for without
//! following redirects, forms posted, and the cells of a page's tables read back.

use super::{Env, Spawned};
use std::time::{Duration, Instant};

/// A running `meter serve` (without the scheduler) over an [`Env`]'s database.
pub struct WebServer {
    /// Killed when the server is dropped.
    process: Option<Spawned>,
    pub base: String,
    runtime: tokio::runtime::Runtime,
    client: reqwest::Client,
}

/// An answer: status, body, and where a redirect goes.
#[derive(Debug)]
pub struct Page {
    pub status: u16,
    pub body: String,
    pub location: Option<String>,
}

impl Page {
    /// Whether the body holds `text` as the page shows it (HTML-escaped).
    pub fn has(&self, text: &str) -> bool {
        self.body.contains(&escape(text))
    }

    /// The rows of the page's tables' bodies, each cell's text (tags left out, entities read).
    pub fn rows(&self) -> Vec<Vec<String>> {
        rows(&self.body)
    }
}

/// A signed-in member of staff: the session's cookie and the CSRF token its forms carry.
pub struct Staff<'a> {
    server: &'a WebServer,
    cookie: String,
    pub csrf: String,
}

impl WebServer {
    /// Starts `meter serve --no-scheduler` on a free port of 127.0.0.1 and waits until it answers.
    pub fn start(env: &Env) -> WebServer {
        let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port();
        let listen = format!("127.0.0.1:{port}");
        let process = env.spawn(&["serve", "--listen", &listen, "--no-scheduler"]);
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
        let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("a client");
        let mut server = WebServer { process: Some(process), base: format!("http://{listen}"), runtime, client };
        let started = Instant::now();
        while server.send(server.client.get(format!("{}/sign-in", server.base))).is_none() {
            assert!(server.process.as_mut().is_some_and(Spawned::is_running), "meter serve ended before answering");
            assert!(started.elapsed() < Duration::from_secs(30), "meter serve did not answer within 30 s");
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }

    fn send(&self, request: reqwest::RequestBuilder) -> Option<(Page, Vec<String>)> {
        self.runtime.block_on(async {
            let r = request.send().await.ok()?;
            let header = |name| r.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
            let location = header(reqwest::header::LOCATION);
            let cookies = r
                .headers()
                .get_all(reqwest::header::SET_COOKIE)
                .iter()
                .filter_map(|v| v.to_str().ok().map(str::to_owned))
                .collect();
            let status = r.status().as_u16();
            Some((Page { status, body: r.text().await.ok()?, location }, cookies))
        })
    }

    /// Adds a user with `role` (`meter users add`) and signs it in through the sign-in form.
    #[track_caller]
    pub fn sign_in(&self, env: &Env, email: &str, role: &str) -> Staff<'_> {
        let password = "a long enough password";
        env.meter_with_env(&["users", "add", email, "--role", role], &[("METER_USER_PASSWORD", password)]).assert_ok();
        let (form, cookies) = self.send(self.client.get(format!("{}/sign-in", self.base))).expect("the sign-in page");
        let token = cookie(&cookies, "meter_sign_in").expect("the sign-in form's cookie");
        let csrf = field(&form.body, "_csrf").expect("the sign-in form's _csrf");
        let post = self
            .client
            .post(format!("{}/sign-in", self.base))
            .header(reqwest::header::COOKIE, format!("meter_sign_in={token}"))
            .form(&[("_csrf", csrf.as_str()), ("email", email), ("password", password), ("next", "/invoices")]);
        let (signed, cookies) = self.send(post).expect("an answer to the sign-in");
        assert_eq!(signed.status, 303, "signing in as {email}: {}", signed.body);
        let session = cookie(&cookies, "meter_session").expect("the session's cookie");
        let mut staff = Staff { server: self, cookie: format!("meter_session={session}"), csrf: String::new() };
        let any = staff.get("/invoices");
        staff.csrf = field(&any.body, "_csrf").expect("the session's CSRF token on a page");
        staff
    }
}

impl Drop for WebServer {
    fn drop(&mut self) {
        if let Some(p) = self.process.take() {
            p.kill();
        }
    }
}

impl Staff<'_> {
    /// GET `path` with the session.
    #[track_caller]
    pub fn get(&self, path: &str) -> Page {
        let s = self.server;
        let r = s.client.get(format!("{}{path}", s.base)).header(reqwest::header::COOKIE, &self.cookie);
        s.send(r).unwrap_or_else(|| panic!("GET {path}: no answer")).0
    }

    /// POSTs a form with the session's CSRF token.
    #[track_caller]
    pub fn post(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        let mut all = vec![("_csrf", self.csrf.as_str())];
        all.extend_from_slice(fields);
        self.post_as_is(path, &all)
    }

    /// POSTs a form as given (without adding the CSRF token).
    #[track_caller]
    pub fn post_as_is(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        let s = self.server;
        let r = s.client.post(format!("{}{path}", s.base)).header(reqwest::header::COOKIE, &self.cookie).form(fields);
        s.send(r).unwrap_or_else(|| panic!("POST {path}: no answer")).0
    }
}

/// The value of cookie `name` among Set-Cookie headers.
fn cookie(set: &[String], name: &str) -> Option<String> {
    set.iter().find_map(|c| c.split(';').next()?.trim().strip_prefix(&format!("{name}=")).map(str::to_owned))
}

/// The value of the first input named `name` on a page.
pub fn field(html: &str, name: &str) -> Option<String> {
    let at = html.find(&format!("name=\"{name}\""))?;
    let input = &html[html[..at].rfind('<')?..];
    let input = &input[..input.find('>')?];
    let value = input.split("value=\"").nth(1)?;
    Some(unescape(&value[..value.find('"')?]))
}

/// Text as maud escapes it.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn unescape(text: &str) -> String {
    text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&#39;", "'").replace("&amp;", "&")
}

/// The text of some HTML: tags left out, runs of white space made one space, entities read.
pub fn text(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    unescape(&out.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// The rows of every table body of a page (a cell: a `<td>` or `<th>`), as text.
pub fn rows(html: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    for body in html.split("<tbody>").skip(1) {
        let body = &body[..body.find("</tbody>").unwrap_or(body.len())];
        for row in body.split("<tr").skip(1) {
            let mut cells = Vec::new();
            let mut rest = row;
            while let Some(start) = [rest.find("<td"), rest.find("<th")].into_iter().flatten().min() {
                let after = &rest[start + 3..];
                let open = after.find('>').map_or(after.len(), |i| i + 1);
                let close =
                    [after.find("</td>"), after.find("</th>")].into_iter().flatten().min().unwrap_or(after.len());
                cells.push(text(&after[open.min(close)..close]));
                rest = &after[close..];
            }
            rows.push(cells);
        }
    }
    rows
}
