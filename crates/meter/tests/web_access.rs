//! Who may use each page: every route of the web application (read from its source, so that a
//! new route cannot be left out) refuses a signed-out request by sending it to sign in, refuses a
//! role that may not use it with 403, and refuses a form without its CSRF token with 403, while
//! the role that may use it gets through. Real HTTP against the real binary; the guard does not
//! depend on the backend, which the pages' own tests cover on both.

mod common;

use common::server::{Browser, Page, Server};
use common::web::Serving;
use common::*;
use std::collections::BTreeSet;

/// What needs no session: the sign-in page and the stylesheet.
const OPEN: [&str; 2] = ["/sign-in", "/static/app.css"];

/// A route of the pages: its method and path as the router declares it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Route {
    method: &'static str,
    path: String,
}

/// What a route needs: a role's rule as billing states it (admin: settings; billing: every
/// form; viewer: reading).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Needs {
    Read,
    Bill,
    Admin,
}

impl Route {
    fn needs(&self) -> Needs {
        if self.path.starts_with("/settings") {
            Needs::Admin
        } else if (self.method == "POST" && self.path != "/sign-out") || self.path.ends_with("/delete") {
            // A deletion's confirmation is the first step of its form.
            Needs::Bill
        } else {
            Needs::Read
        }
    }
}

/// Every `.route("PATH", get(..).post(..))` of the pages' source files.
fn declared_routes() -> Vec<Route> {
    let mut dirs = vec![std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/web/pages")];
    let mut sources = Vec::new();
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("the pages' sources") {
            let path = entry.expect("a source").path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                sources.push(std::fs::read_to_string(&path).expect("a page's source"));
            }
        }
    }
    let mut routes = BTreeSet::new();
    for source in sources {
        for declared in source.split(".route(").skip(1) {
            let Some(path) = declared.trim_start().strip_prefix('"').and_then(|p| p.split('"').next()) else {
                continue;
            };
            // The handlers: up to the next route or the router's end.
            let handlers = declared.split("\n}").next().unwrap_or_default();
            for (call, method) in [("get(", "GET"), ("post(", "POST"), ("delete(", "DELETE")] {
                if handlers.contains(call) && !OPEN.contains(&path) && path != "/" {
                    routes.insert(Route { method, path: path.to_owned() });
                }
            }
        }
    }
    routes.into_iter().collect()
}

/// The data every route can be asked about: customers, a subscription, a draft invoice, a job (a
/// cycle run's).
struct World {
    env: Env,
    draft: String,
    job: String,
}

fn world() -> World {
    let env = Env::seeded_on(Backend::Sqlite);
    let calls = [Cdr::domestic("c1", "acme", "2026-10-03T14:00:00Z", 125)];
    env.import_ok("cdrs", "cdrs.csv", &cdrs_csv(&calls));
    let draft = env.create_ok("acme", "2026-10-01", "2026-10-31")["id"].as_str().expect("an id").to_owned();
    env.import_ok(
        "subscriptions",
        "subscriptions.csv",
        "id,customer,start,description,unit_price\nseats,acme,2026-09-01,Seats,5\n",
    );
    env.meter(&["cycle", "run", "--date", "2026-11-15"]).assert_ok();
    let jobs = env.meter(&["jobs", "list", "--format", "json"]).json();
    let job = jobs["jobs"][0]["id"].to_string();
    World { env, draft, job }
}

impl World {
    /// A route's path with its parameters filled in with what exists.
    fn fill(&self, path: &str) -> String {
        let mut filled = Vec::new();
        let mut previous = "";
        for part in path.split('/') {
            let value = match (previous, part) {
                (_, p) if !p.starts_with('{') => p.to_owned(),
                ("invoices", _) => self.draft.clone(),
                ("jobs", _) => self.job.clone(),
                ("customers", _) => "acme".to_owned(),
                ("plans", _) => "basic".to_owned(),
                ("subscriptions", _) => "seats".to_owned(),
                ("lines", _) => "1".to_owned(),
                (_, p) => p.trim_matches(['{', '}']).to_owned(),
            };
            filled.push(value);
            previous = part;
        }
        let filled = filled.join("/");
        // What a route needs in its query.
        match path.rsplit('/').next() {
            Some("document") => format!("{filled}?format=html"),
            _ => filled,
        }
    }
}

fn ask(who: &Browser, route: &Route, path: &str, with_token: bool) -> Page {
    match route.method {
        "GET" => who.get(path),
        "POST" => who.post(path, &[], with_token),
        other => panic!("the pages have no {other} route"),
    }
}

#[test]
fn every_page_route_refuses_the_signed_out_the_roles_that_may_not_and_forms_without_their_token() {
    let routes = declared_routes();
    let paths: BTreeSet<&str> = routes.iter().map(|r| r.path.as_str()).collect();
    for known in [
        "/customers",
        "/rates",
        "/plans",
        "/settings",
        "/billing",
        "/calls",
        "/jobs",
        "/invoices",
        "/invoices/{id}/finalize",
        "/sign-out",
    ] {
        assert!(paths.contains(known), "the routes read from the source hold {known}: {paths:?}");
    }
    let world = world();
    let server = Serving::new(Server::start(&world.env, &["--no-scheduler"], &[]));
    let admin = server.sign_in(&world.env, "admin@example.com", "admin");
    let billing = server.sign_in(&world.env, "bill@example.com", "billing");
    let viewer = server.sign_in(&world.env, "view@example.com", "viewer");
    let mut problems = Vec::new();
    for route in &routes {
        let path = world.fill(&route.path);
        let what = format!("{} {path}", route.method);

        // Signed out: to the sign-in page, coming back here after.
        let anonymous = match route.method {
            "GET" => server.anonymous(&path),
            _ => server.anonymous_post(&path),
        };
        let back = anonymous.location.as_deref().unwrap_or_default();
        if anonymous.status != 303 || !back.starts_with("/sign-in?next=") {
            problems.push(format!("{what} signed out: {} to {back:?}", anonymous.status));
        }

        // Each role: refused with 403 when it may not, through the guard when it may.
        for (role, who) in [("admin", &admin), ("billing", &billing), ("viewer", &viewer)] {
            if route.path == "/sign-out" {
                continue;
            }
            let may = match route.needs() {
                Needs::Read => true,
                Needs::Bill => role != "viewer",
                Needs::Admin => role == "admin",
            };
            // A form that may be sent is not sent: it would change what the next routes ask about
            // (the pages' own tests send them).
            if may && route.method != "GET" {
                continue;
            }
            let page = ask(who, route, &path, true);
            match (may, page.status) {
                (false, 403) => {}
                (false, s) => problems.push(format!("{what} as {role}: {s}, not 403")),
                (true, 403 | 401) => problems.push(format!("{what} as {role}: refused {}", page.status)),
                (true, 200) => {}
                (true, s) => problems.push(format!("{what} as {role}: {s}, not 200")),
            }
        }

        // A form without its token is refused, whoever sends it.
        if route.method == "POST" {
            let forged = ask(&admin, route, &path, false);
            if forged.status != 403 || !forged.body.contains("Form refused") {
                problems.push(format!("{what} without its CSRF token: {}", forged.status));
            }
        }
    }
    // The draft is still a draft: no refused form changed it.
    let draft = world.env.show(&world.draft);
    assert!(problems.is_empty(), "{} routes checked:\n{}", routes.len(), problems.join("\n"));
    assert_eq!(draft["status"], "draft", "{draft:#}");
}
