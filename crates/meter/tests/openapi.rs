//! The API's OpenAPI document checked against the running server by schemathesis (a bounded
//! run): no 5xx on any generated input, and every answer's status, content type and body as the
//! document says, on both backends.

mod common;

use common::server::{new_token, Server};
use common::tools::test_tools;
use common::*;

on_both_backends! {
    the_running_api_keeps_to_its_openapi_document,
}

fn the_running_api_keeps_to_its_openapi_document(backend: Backend) {
    let tools = test_tools();
    let env = Env::seeded_on(backend);
    let calls = [
        Cdr::domestic("c1", "acme", "2026-10-03T10:00:00Z", 125),
        Cdr::international("c2", "acme", "2026-10-04T11:00:00Z", 61),
        Cdr::domestic("c3", "globex", "2026-10-06T13:00:00Z", 40),
    ];
    env.import_ok("cdrs", "cdrs.csv", &cdrs_csv(&calls));
    env.meter(&["invoice", "create", "--customer", "acme", "--from", "2026-10-01", "--to", "2026-10-31"]).assert_ok();
    let server = Server::start(&env, &["--no-scheduler"], &[]);
    let token = new_token(&env, "admin");
    // Every operation the document names is tested.
    let (_, document) = server.get("/api/v1/openapi.json");
    let operations: usize = document["paths"]
        .as_object()
        .expect("the document's paths")
        .values()
        .map(|item| item.as_object().map_or(0, |methods| methods.len()))
        .sum();
    let out = std::process::Command::new(tools.join("venv/bin/schemathesis"))
        .args(["run", &format!("{}/api/v1/openapi.json", server.base)])
        .args(["--header", &format!("Authorization: Bearer {token}")])
        .args([
            "--checks",
            "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance",
        ])
        .args(["--phases", "examples,coverage,fuzzing", "--max-examples", "25", "--workers", "2", "--seed", "16"])
        .args(["--no-color"])
        .env("SCHEMATHESIS_HOOKS", "")
        .current_dir(env.path(""))
        .stdin(std::process::Stdio::null())
        .output()
        .expect("running schemathesis");
    let report = String::from_utf8_lossy(&out.stdout);
    let ended = server.stop();
    assert!(out.status.success(), "schemathesis found failures:\n{report}\n{}", String::from_utf8_lossy(&out.stderr));
    let tested = format!("Tested: {operations}");
    assert!(report.contains(&tested), "schemathesis did not test every operation ({tested}):\n{report}");
    assert_eq!(ended.run.code, 0, "meter serve:\n{}", ended.run.dump());
}
