//! The API-variant quirks, the `poison` fault and the `reads`/`writes` counters, each checked
//! side by side with the default sandbox, through the whole router (middleware included).

use std::sync::Arc;

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::http::{Method, Request, StatusCode, header};
use serde_json::{Value, json};
use tower::ServiceExt;

use super::state::Shared;
use super::{Faults, Quirks, SandboxConfig, router};

/// A sandbox without a socket: the router, its state and a live access token.
struct Sb {
    shared: Arc<Shared>,
    app: Router,
    token: String,
}

impl Sb {
    fn with(config: SandboxConfig) -> Sb {
        let shared = Arc::new(Shared::new(config, "http://127.0.0.1:1".into()));
        let token = shared.tokens().issue_access(shared.config.token_ttl);
        Sb {
            app: router::build(shared.clone()),
            shared,
            token,
        }
    }

    /// A sandbox with the comma-separated `quirks` ("" = the default sandbox).
    fn new(quirks: &str) -> Sb {
        Sb::with(SandboxConfig {
            quirks: Quirks::parse(quirks).unwrap(),
            ..SandboxConfig::default()
        })
    }

    async fn send(&self, request: Request<Body>) -> (StatusCode, Value) {
        let response = self.app.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let bytes = to_bytes(response.into_body(), usize::MAX).await.unwrap();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
        };
        (status, body)
    }

    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let builder = Request::builder().method(method).uri(path).header(
            header::AUTHORIZATION,
            format!("Nxsys-oauthtoken {}", self.token),
        );
        let request = match body {
            Some(body) => builder
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(body.to_string())),
            None => builder.body(Body::empty()),
        };
        self.send(request.unwrap()).await
    }

    async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, None).await
    }

    async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, Some(body)).await
    }

    async fn put(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::PUT, path, Some(body)).await
    }

    /// A form POST without a token (OAuth endpoints).
    async fn form(&self, path: &str, form: &str) -> (StatusCode, Value) {
        let request = Request::post(path)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(form.to_string()))
            .unwrap();
        self.send(request).await
    }

    /// A UK candidate; returns its id.
    async fn uk(&self, agency_ref: &str) -> String {
        let (status, body) = self.post("/nxsys/candidates", uk_body(agency_ref)).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let (_, list) = self.get("/nxsys/candidates?size=100").await;
        let items = list["items"].as_array().unwrap();
        items.last().unwrap()["id"].as_str().unwrap().to_string()
    }

    /// A timesheet of one line on PR-1 (rate 12.50 × 10 units); returns its id.
    async fn timesheet(&self, worker: &str, period: i64) -> String {
        let (status, body) = self
            .post(
                "/nxsys/time-sheets",
                ts_body(worker, period, json!("12.50"), json!("10")),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["data"]["id"].as_str().unwrap().to_string()
    }
}

fn uk_body(agency_ref: &str) -> Value {
    json!({
        "generalSetting": {
            "agencyRef": agency_ref, "forename": "Michael", "surname": "Smith",
            "NINumber": "QQ123456C", "country": "GB", "email": "michael@example.com",
            "payFrequency": "WEEKLY",
            "pensionSetting": {"scheme": "NEST"}
        },
        "bankSetting": {"bankName": "HSBC", "accountNumber": "12345678", "sortCode": "123456"},
        "payrollSetting": {"paymentModel": "PAYEE", "taxCode": "1257L"}
    })
}

fn ie_body(agency_ref: &str, pps: Option<&str>) -> Value {
    let mut body = json!({
        "generalSetting": {"agencyRef": agency_ref, "forename": "Aoife", "surname": "Byrne",
                           "eircode": "D02 Y006"},
        "bankSetting": {"IBANReference": "IE29AIBK93115212345678", "country": "IE"},
        "payrollSetting": {"paymentModel": "PAYEE", "cisStatus": "GROSS"}
    });
    if let Some(pps) = pps {
        body["generalSetting"]["PPSNumber"] = json!(pps);
    }
    body
}

fn ts_body(worker: &str, period: i64, rate: Value, units: Value) -> Value {
    json!({
        "subcontractorRef": worker, "taxYear": 2025, "taxPeriodConfig": period,
        "rates": [{"rateId": "PR-1", "rate": rate, "units": units, "vatID": "VC-1"}]
    })
}

fn rate_body(code: &str) -> Value {
    json!({
        "code": code, "description": "Overtime", "type": "RATE", "units": "HOURLY",
        "hoursPerUnit": 1, "raiseInvoice": true, "includeNICalculation": true,
        "defaultVATCode": "VC-1"
    })
}

fn field(body: &Value) -> &str {
    body["error"]["details"]["field"].as_str().unwrap_or("")
}

fn total(list: &Value) -> u64 {
    list["meta"]["totalDocs"].as_u64().unwrap()
}

// ---------------------------------------------------------------- filters

#[tokio::test]
async fn filters_ignored_answers_whole_collections_paged() {
    for (quirks, ignored) in [("", false), ("filters-ignored", true)] {
        let sb = Sb::with(SandboxConfig {
            quirks: Quirks::parse(quirks).unwrap(),
            seed_payslips: 3,
            ..SandboxConfig::default()
        });
        // One seeded worker (SR-1) with 3 payslips, then three more UK workers and one Irish.
        let a = sb.uk("AR-1").await;
        sb.uk("AR-2").await;
        sb.uk("AR-3").await;
        sb.post(
            "/nxsys/candidates/ireland",
            ie_body("IE-1", Some("1234567T")),
        )
        .await;
        sb.post("/nxsys/payment-rate", rate_body("PROT")).await;
        sb.timesheet(&a, 1).await;
        sb.timesheet(&a, 2).await;
        let expect = |filtered: u64, all: u64| if ignored { all } else { filtered };

        let (status, list) = sb.get("/nxsys/candidates?agencyRef=AR-2").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(total(&list), expect(1, 4), "{quirks}");
        let (_, list) = sb.get("/nxsys/candidates?search=nobody").await;
        assert_eq!(total(&list), expect(0, 4));
        let (_, list) = sb.get("/nxsys/candidates/ireland?agencyRef=none").await;
        assert_eq!(total(&list), expect(0, 1));
        let (_, list) = sb.get("/nxsys/payment-rate?code=PR100").await;
        assert_eq!(total(&list), expect(1, 3));
        let (_, list) = sb.get("/nxsys/vat-code?VATCode=S").await;
        assert_eq!(total(&list), expect(1, 4));
        let (_, list) = sb.get("/nxsys/time-sheets?taxPeriod=2").await;
        assert_eq!(total(&list), expect(1, 2));
        let (_, list) = sb.get(&format!("/nxsys/payslips?candidateIds={a}")).await;
        assert_eq!(total(&list), expect(2, 5));
        // A bad filter value is not even read under the quirk.
        let (status, _) = sb.get("/nxsys/payslips?taxYear=abc").await;
        assert_eq!(
            status,
            expect_status(ignored, StatusCode::OK, StatusCode::BAD_REQUEST)
        );
        // page and size still count.
        let (_, list) = sb
            .get("/nxsys/candidates?agencyRef=AR-2&size=2&page=2")
            .await;
        let items = list["items"].as_array().unwrap();
        assert_eq!(items.len(), expect(0, 2) as usize);
        if ignored {
            assert_eq!(items[0]["agencyRef"], "AR-2");
            assert_eq!(list["meta"]["totalPages"], 2);
        }
        let (status, list) = sb.get("/nxsys/payment-rate?size=101").await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{list}");
    }
}

fn expect_status(quirk: bool, with: StatusCode, without: StatusCode) -> StatusCode {
    if quirk { with } else { without }
}

#[tokio::test]
async fn filters_rejected_names_the_parameter_and_keeps_published_ones() {
    let default = Sb::new("");
    let strict = Sb::new("filters-rejected");
    for sb in [&default, &strict] {
        let a = sb.uk("AR-1").await;
        sb.timesheet(&a, 1).await;
    }
    let unpublished = [
        ("/nxsys/candidates?agencyRef=AR-1", "agencyRef"),
        ("/nxsys/candidates?page=1&NINumber=QQ123456C", "NINumber"),
        ("/nxsys/candidates/ireland?PPSNumber=1234567T", "PPSNumber"),
        ("/nxsys/vat-code?VATCode=S", "VATCode"),
        ("/nxsys/payment-rate?status=ACTIVE", "status"),
        (
            "/nxsys/time-sheets?subcontractorRef=SR-1",
            "subcontractorRef",
        ),
        ("/nxsys/time-sheets?size=5&taxYear=2025", "taxYear"),
        ("/nxsys/payslips?candidateIds=SR-1", "candidateIds"),
        ("/nxsys/payslips?taxYear=2025", "taxYear"),
    ];
    for (path, name) in unpublished {
        assert_eq!(default.get(path).await.0, StatusCode::OK, "{path}");
        let (status, body) = strict.get(path).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}");
        assert_eq!(body["error"]["code"], "invalid_parameter");
        assert_eq!(field(&body), name);
        assert_eq!(
            body["error"]["message"],
            format!("property {name} should not exist")
        );
    }
    // Published parameters keep working, implemented or not.
    let (status, list) = strict.get("/nxsys/payment-rate?code=PR101").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(total(&list), 1);
    assert_eq!(list["data"][0]["code"], "PR101");
    let (status, list) = strict
        .get("/nxsys/payment-rate?sortType=ASC&sortField=code&raiseInvoice=true&isStatutory=false&ignoreCodes=x")
        .await;
    assert_eq!((status, total(&list)), (StatusCode::OK, 2));
    let (status, list) = strict.get("/nxsys/time-sheets?search=nobody").await;
    assert_eq!((status, total(&list)), (StatusCode::OK, 0));
    let (status, list) = strict
        .get("/nxsys/time-sheets?search=smith&bactchFrom=1&bactchTo=2&payFrequency=WEEKLY&paymentModel=PAYEE&sortType=DESC")
        .await;
    assert_eq!((status, total(&list)), (StatusCode::OK, 1));
    for path in [
        "/nxsys/candidates?page=1&size=5",
        "/nxsys/vat-code?size=2",
        "/nxsys/payslips?page=1",
    ] {
        assert_eq!(strict.get(path).await.0, StatusCode::OK, "{path}");
    }
}

// ---------------------------------------------------------------- timesheets

#[tokio::test]
async fn no_line_echo_answers_plain_payment_rates_and_keeps_totals() {
    let default = Sb::new("");
    let plain = Sb::new("no-line-echo");
    let mut answers = Vec::new();
    for sb in [&default, &plain] {
        let a = sb.uk("AR-1").await;
        let (status, created) = sb
            .post(
                "/nxsys/time-sheets",
                ts_body(&a, 1, json!("12.50"), json!("10")),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED);
        let id = created["data"]["id"].as_str().unwrap().to_string();
        let (_, got) = sb.get(&format!("/nxsys/time-sheets/{id}")).await;
        let (_, list) = sb.get("/nxsys/time-sheets").await;
        let lines = json!([{"rateId": "PR-1", "rate": 20, "units": 2, "vatID": "VC-2"}]);
        let (status, updated) = sb
            .put(&format!("/nxsys/time-sheets/{id}"), json!({"rates": lines}))
            .await;
        assert_eq!(status, StatusCode::CREATED);
        answers.push([
            created["data"].clone(),
            got["data"].clone(),
            list["data"][0].clone(),
            updated["data"][0].clone(),
        ]);
    }
    let (echoed, plain) = (&answers[0], &answers[1]);
    let (_, rate) = Sb::new("").get("/nxsys/payment-rate/PR-1").await;
    for (i, (e, p)) in echoed.iter().zip(plain).enumerate() {
        let (e_line, p_line) = (&e["rates"][0], &p["rates"][0]);
        // Default: the payment rate plus the line's values.
        assert_eq!(e_line["code"], "PR100");
        assert!(
            e_line["rate"].is_string() && e_line["vatID"].is_string(),
            "{e_line}"
        );
        // Quirk: exactly the payment rate as GET /payment-rate/PR-1 answers it.
        let mut expected = rate["data"].clone();
        let mut got = p_line.clone();
        for v in [&mut expected, &mut got] {
            v.as_object_mut().unwrap().remove("updatedAt");
        }
        assert_eq!(got, expected, "answer {i}");
        for key in ["rate", "vatID", "rateId"] {
            assert!(p_line.get(key).is_none(), "answer {i} has {key}");
        }
        assert_eq!(
            p_line["units"], "HOURLY",
            "the rate's own units, not the line's"
        );
        // Totals stay, the same as the default's.
        for key in ["totalNet", "totalVat", "totalPrices", "outstanding"] {
            assert_eq!(e[key], p[key], "{key} of answer {i}");
        }
    }
    assert_eq!(plain[0]["totalNet"], 125.0);
    assert_eq!(plain[0]["totalVat"], 25.0);
    assert_eq!(plain[3]["totalNet"], 40.0);
    assert_eq!(plain[3]["totalVat"], 2.0);
}

#[tokio::test]
async fn numbers_only_and_strings_only_refuse_the_other_form() {
    let either = Sb::new("");
    let numbers = Sb::new("numbers-only");
    let strings = Sb::new("strings-only");
    let as_strings = || (json!("12.50"), json!("10"));
    let as_numbers = || (json!(12.5), json!(10));
    for (sb, name) in [
        (&either, "default"),
        (&numbers, "numbers"),
        (&strings, "strings"),
    ] {
        let a = sb.uk("AR-1").await;
        let try_ts = |(rate, units): (Value, Value), period| {
            sb.post("/nxsys/time-sheets", ts_body(&a, period, rate, units))
        };
        let (s_status, s_body) = try_ts(as_strings(), 1).await;
        let (n_status, n_body) = try_ts(as_numbers(), 2).await;
        let (mixed_status, mixed) = try_ts((json!(12.5), json!("10")), 3).await;
        match name {
            "default" => {
                assert_eq!(s_status, StatusCode::CREATED);
                assert_eq!(n_status, StatusCode::CREATED);
                assert_eq!(mixed_status, StatusCode::CREATED);
                assert_eq!(s_body["data"]["totalNet"], n_body["data"]["totalNet"]);
            }
            "numbers" => {
                assert_eq!(n_status, StatusCode::CREATED);
                assert_eq!(s_status, StatusCode::BAD_REQUEST);
                assert_eq!(field(&s_body), "rates[0].rate");
                assert_eq!(s_body["error"]["code"], "invalid_request");
                assert_eq!(mixed_status, StatusCode::BAD_REQUEST);
                assert_eq!(field(&mixed), "rates[0].units");
            }
            _ => {
                assert_eq!(s_status, StatusCode::CREATED);
                assert_eq!(n_status, StatusCode::BAD_REQUEST);
                assert_eq!(field(&n_body), "rates[0].rate");
                assert_eq!(mixed_status, StatusCode::BAD_REQUEST);
                assert_eq!(field(&mixed), "rates[0].rate");
            }
        }
        // The update body, and the payment rate's hoursPerUnit, follow the same rule.
        let ts = sb.get("/nxsys/time-sheets").await.1["data"][0]["id"]
            .as_str()
            .unwrap()
            .to_string();
        let ts_path = format!("/nxsys/time-sheets/{ts}");
        let put = |rate: Value, units: Value| {
            sb.put(
                &ts_path,
                json!({"rates": [{"rateId": "PR-1", "rate": rate, "units": units}]}),
            )
        };
        let (put_n, _) = put(json!(10), json!(10)).await;
        let (put_s, put_s_body) = put(json!("10"), json!("10")).await;
        let mut rate = rate_body("PRS");
        rate["hoursPerUnit"] = json!("8");
        let (rate_s, rate_s_body) = sb.post("/nxsys/payment-rate", rate.clone()).await;
        rate["code"] = json!("PRN");
        rate["hoursPerUnit"] = json!(8);
        let (rate_n, rate_n_body) = sb.post("/nxsys/payment-rate", rate).await;
        let expected = match name {
            "default" => [
                StatusCode::CREATED,
                StatusCode::CREATED,
                StatusCode::CREATED,
                StatusCode::CREATED,
            ],
            "numbers" => [
                StatusCode::CREATED,
                StatusCode::BAD_REQUEST,
                StatusCode::BAD_REQUEST,
                StatusCode::CREATED,
            ],
            _ => [
                StatusCode::BAD_REQUEST,
                StatusCode::CREATED,
                StatusCode::CREATED,
                StatusCode::BAD_REQUEST,
            ],
        };
        assert_eq!([put_n, put_s, rate_s, rate_n], expected, "{name}");
        if name == "numbers" {
            assert_eq!(field(&put_s_body), "rates[0].rate");
            assert_eq!(field(&rate_s_body), "hoursPerUnit");
        }
        if name == "strings" {
            assert_eq!(field(&rate_n_body), "hoursPerUnit");
        }
    }
}

// ---------------------------------------------------------------- errors

#[tokio::test]
async fn validation_500_turns_validation_errors_only() {
    let default = Sb::new("");
    let loud = Sb::new("validation-500,default-rates-locked");
    let mut bodies = Vec::new();
    for sb in [&default, &loud] {
        let mut bad_enum = uk_body("AR-1");
        bad_enum["generalSetting"]["payFrequency"] = json!("DAILY");
        let answers = [
            sb.post("/nxsys/candidates", json!({"generalSetting": {}}))
                .await,
            sb.post("/nxsys/candidates", bad_enum).await,
            sb.get("/nxsys/candidates?page=0").await,
            sb.get("/nxsys/time-sheets/TS-x").await,
            sb.call(Method::POST, "/nxsys/time-sheets", None).await,
        ];
        bodies.push(answers);
    }
    let expected_default = [400, 422, 400, 400, 400];
    for (i, ((d_status, d_body), (l_status, l_body))) in
        bodies[0].iter().zip(&bodies[1]).enumerate()
    {
        assert_eq!(d_status.as_u16(), expected_default[i], "{i}: {d_body}");
        assert_eq!(l_status.as_u16(), 500, "{i}: {l_body}");
        // The same envelope: code, message and field.
        assert_eq!(d_body, l_body, "{i}");
    }
    // Not validation: 401, 404, 409, and the default-rates rule, stay as they are.
    let (status, _) = loud.get("/nxsys/time-sheets/TS-99").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    loud.post("/nxsys/payment-rate", rate_body("PRX")).await;
    let (status, body) = loud.post("/nxsys/payment-rate", rate_body("PRX")).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let (status, body) = loud
        .put("/nxsys/payment-rate/PR-1", json!({"description": "Mine"}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let request = Request::get("/nxsys/vat-code").body(Body::empty()).unwrap();
    assert_eq!(loud.send(request).await.0, StatusCode::UNAUTHORIZED);
    // OAuth is not an API route: its 400s stay.
    let (status, body) = loud.form("/nxsys/oauth/token", "grantType=password").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
}

// ---------------------------------------------------------------- candidates

#[tokio::test]
async fn flat_get_puts_the_sections_at_the_top_level() {
    let nested = Sb::new("");
    let flat = Sb::new("flat-get");
    let mut answers = Vec::new();
    for sb in [&nested, &flat] {
        let id = sb.uk("AR-1").await;
        let (_, got) = sb.get(&format!("/nxsys/candidates/{id}")).await;
        let (_, put) = sb
            .put(
                &format!("/nxsys/candidates/{id}"),
                json!({"generalSetting": {"surname": "Jones"}}),
            )
            .await;
        let (status, ie) = sb
            .post("/nxsys/candidates/ireland", ie_body("IE-1", None))
            .await;
        assert_eq!(status, StatusCode::CREATED);
        let ie_id = ie["data"]["id"].as_str().unwrap().to_string();
        let (_, ie_got) = sb.get(&format!("/nxsys/candidates/ireland/{ie_id}")).await;
        answers.push([
            got["data"].clone(),
            put["data"].clone(),
            ie_got["data"].clone(),
        ]);
    }
    let [got, put, _] = &answers[0];
    assert_eq!(got["generalSetting"]["forename"], "Michael");
    assert_eq!(put["generalSetting"]["surname"], "Jones");
    assert!(got.get("forename").is_none());

    let [got, put, ie] = &answers[1];
    for v in [got, put, ie] {
        for section in ["generalSetting", "bankSetting", "payrollSetting"] {
            assert!(v.get(section).is_none(), "{section} in {v}");
        }
        for key in ["id", "incrementId", "status", "createdAt", "updatedAt"] {
            assert!(v.get(key).is_some(), "{key} missing from {v}");
        }
    }
    assert_eq!(got["id"], "SR-1");
    assert_eq!(got["forename"], "Michael");
    assert_eq!(got["NINumber"], "QQ123456C");
    assert_eq!(got["bankName"], "HSBC");
    assert_eq!(got["paymentModel"], "PAYEE");
    assert_eq!(got["taxCode"], "1257L");
    assert_eq!(got["status"], "ACTIVE");
    assert_eq!(got["pensionSetting"]["scheme"], "NEST");
    assert_eq!(put["surname"], "Jones");
    assert_eq!(put["forename"], "Michael");
    // Ireland: no address country was given, so the bank's shows (the address's would win).
    assert_eq!(ie["country"], "IE");
    assert_eq!(ie["eircode"], "D02 Y006");
    assert_eq!(ie["cisStatus"], "GROSS");
    assert_eq!(ie["IBANReference"], "IE29AIBK93115212345678");
}

#[tokio::test]
async fn put_replaces_drops_what_the_body_leaves_out() {
    let merging = Sb::new("");
    let replacing = Sb::new("put-replaces");
    let whole =
        json!({"generalSetting": {"agencyRef": "AR-1", "forename": "Mike", "surname": "Smith"}});
    let partial = json!({"generalSetting": {"forename": "Mike"}});
    let mut answers = Vec::new();
    for sb in [&merging, &replacing] {
        let id = sb.uk("AR-1").await;
        let path = format!("/nxsys/candidates/{id}");
        let partial_answer = sb.put(&path, partial.clone()).await;
        let whole_answer = sb.put(&path, whole.clone()).await;
        let stored = sb.get(&path).await.1["data"].clone();
        let rate_partial = sb
            .put(
                "/nxsys/payment-rate/PR-1",
                json!({"description": "Hourly rate"}),
            )
            .await;
        let rate_whole = sb
            .put(
                "/nxsys/payment-rate/PR-1",
                json!({"description": "Hourly rate", "type": "RATE", "units": "HOURLY"}),
            )
            .await;
        let rate = sb.get("/nxsys/payment-rate/PR-1").await.1["data"].clone();
        answers.push((
            partial_answer,
            whole_answer,
            stored,
            rate_partial,
            rate_whole,
            rate,
        ));
    }
    let (partial_m, whole_m, stored_m, rate_partial_m, rate_whole_m, rate_m) = &answers[0];
    assert_eq!(partial_m.0, StatusCode::OK);
    assert_eq!(whole_m.0, StatusCode::OK);
    assert_eq!(stored_m["generalSetting"]["forename"], "Mike");
    assert_eq!(stored_m["generalSetting"]["email"], "michael@example.com");
    assert_eq!(stored_m["bankSetting"]["bankName"], "HSBC");
    assert_eq!(
        (rate_partial_m.0, rate_whole_m.0),
        (StatusCode::OK, StatusCode::OK)
    );
    assert_eq!(rate_m["raiseInvoice"], true);
    assert_eq!(rate_m["hoursPerUnit"], "1");
    assert_eq!(rate_m["defaultVATCode"]["id"], "VC-1");

    let (partial_r, whole_r, stored_r, rate_partial_r, rate_whole_r, rate_r) = &answers[1];
    assert_eq!(partial_r.0, StatusCode::BAD_REQUEST, "{}", partial_r.1);
    assert_eq!(field(&partial_r.1), "generalSetting.agencyRef");
    assert_eq!(whole_r.0, StatusCode::OK);
    assert_eq!(stored_r["generalSetting"], whole["generalSetting"]);
    assert!(stored_r.get("bankSetting").is_none(), "{stored_r}");
    assert!(stored_r.get("payrollSetting").is_none());
    assert_eq!(rate_partial_r.0, StatusCode::BAD_REQUEST);
    assert_eq!(field(&rate_partial_r.1), "type");
    assert_eq!(rate_whole_r.0, StatusCode::OK, "{}", rate_whole_r.1);
    assert_eq!(rate_r["code"], "PR100");
    assert_eq!(rate_r["description"], "Hourly rate");
    assert_eq!(rate_r["raiseInvoice"], false);
    assert_eq!(rate_r["includeNICalculation"], false);
    assert!(rate_r["defaultVATCode"].is_null());
    assert_eq!(rate_r["createdAt"], rate_m["createdAt"]);
}

#[tokio::test]
async fn no_pps_refuses_pps_fields_and_lists_none() {
    let default = Sb::new("");
    let strict = Sb::new("no-pps");
    let (status, body) = default
        .post(
            "/nxsys/candidates/ireland",
            ie_body("IE-1", Some("1234567T")),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (_, list) = default.get("/nxsys/candidates/ireland").await;
    assert_eq!(list["items"][0]["PPSNumber"], "1234567T");

    let (status, body) = strict
        .post(
            "/nxsys/candidates/ireland",
            ie_body("IE-1", Some("1234567T")),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["code"], "invalid_request");
    assert_eq!(
        body["error"]["message"],
        "property generalSetting.PPSNumber should not exist"
    );
    assert_eq!(field(&body), "generalSetting.PPSNumber");
    assert_eq!(strict.shared.stats().candidates_ie, 0);
    let (status, created) = strict
        .post("/nxsys/candidates/ireland", ie_body("IE-1", None))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let id = created["data"]["id"].as_str().unwrap();
    let mut other = ie_body("IE-1", None);
    other["payrollSetting"]["ppsn"] = json!("1234567T");
    let (status, body) = strict
        .put(&format!("/nxsys/candidates/ireland/{id}"), other)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(field(&body), "payrollSetting.ppsn");
    let (_, list) = strict.get("/nxsys/candidates/ireland").await;
    assert_eq!(total(&list), 1);
    assert!(list["items"][0].get("PPSNumber").is_none(), "{list}");
    // UK bodies are not concerned.
    assert_eq!(
        strict.post("/nxsys/candidates", uk_body("AR-1")).await.0,
        StatusCode::CREATED
    );
}

// ---------------------------------------------------------------- payslips and pay codes

#[tokio::test]
async fn payslip_no_worker_id_keeps_the_name_only() {
    for (quirks, with_id) in [("", true), ("payslip-no-worker-id", false)] {
        let sb = Sb::with(SandboxConfig {
            quirks: Quirks::parse(quirks).unwrap(),
            seed_payslips: 2,
            ..SandboxConfig::default()
        });
        let a = sb.uk("AR-1").await;
        sb.timesheet(&a, 1).await;
        for path in ["/nxsys/payslips", "/nxsys/payslips?candidateIds=SR-1"] {
            let (status, list) = sb.get(path).await;
            assert_eq!(status, StatusCode::OK);
            let items = list["items"].as_array().unwrap();
            assert!(!items.is_empty());
            for item in items {
                assert_eq!(item.get("subcontractorId").is_some(), with_id, "{item}");
                assert!(
                    item["subcontractorName"]
                        .as_str()
                        .is_some_and(|s| !s.is_empty())
                );
            }
        }
        let (_, list) = sb.get("/nxsys/payslips").await;
        assert_eq!(list["items"][2]["subcontractorName"], "Michael Smith");
    }
}

#[tokio::test]
async fn default_rates_locked_refuses_pr100_and_pr101_only() {
    let open = Sb::new("");
    let locked = Sb::new("default-rates-locked");
    let change = json!({"description": "Changed"});
    for id in ["PR-1", "PR-2"] {
        let path = format!("/nxsys/payment-rate/{id}");
        let (status, body) = open.put(&path, change.clone()).await;
        assert_eq!(
            (status, &body["data"]["description"]),
            (StatusCode::OK, &json!("Changed"))
        );
        let (status, body) = locked.put(&path, change.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(body["error"]["code"], "invalid_request");
        assert_eq!(
            body["error"]["message"],
            "default payment rates cannot be altered"
        );
        let (_, stored) = locked.get(&path).await;
        assert_ne!(stored["data"]["description"], "Changed");
    }
    let (status, _) = locked.post("/nxsys/payment-rate", rate_body("PROT")).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, body) = locked.put("/nxsys/payment-rate/PR-3", change).await;
    assert_eq!(
        (status, &body["data"]["description"]),
        (StatusCode::OK, &json!("Changed"))
    );
}

// ---------------------------------------------------------------- OAuth

#[tokio::test]
async fn exact_redirect_accepts_only_the_registered_uri() {
    let registered = "https://app.example.com/oauth/callback";
    let loose = Sb::new("");
    let exact = Sb::with(SandboxConfig {
        quirks: Quirks::parse("exact-redirect").unwrap(),
        redirect_uri: registered.into(),
        ..SandboxConfig::default()
    });
    assert_eq!(
        SandboxConfig::default().redirect_uri,
        "http://127.0.0.1:8765/callback"
    );
    let creds = |sb: &Sb| {
        let t = sb.shared.tokens();
        (t.client.id.clone(), t.client.secret.clone())
    };
    let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    let grant_url = |sb: &Sb, redirect: &str| {
        let (id, secret) = creds(sb);
        format!(
            "/nxsys/oauth/grant-token-url?clientId={id}&clientSecret={secret}&redirectUri={}",
            enc(redirect)
        )
    };
    let loopback = "http://127.0.0.1:5555/cb";
    assert_eq!(
        loose.get(&grant_url(&loose, loopback)).await.0,
        StatusCode::OK
    );
    assert_eq!(
        loose.get(&grant_url(&loose, registered)).await.0,
        StatusCode::BAD_REQUEST
    );
    for other in [
        loopback,
        "http://app.example.com/oauth/callback",
        "https://app.example.com:8443/oauth/callback",
        "https://app.example.com/oauth/callback/",
        "https://app.example.com/oauth",
    ] {
        let (status, body) = exact.get(&grant_url(&exact, other)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{other}");
        assert_eq!(body["error"]["code"], "invalid_request");
        assert_eq!(
            body["error"]["message"],
            "redirectUri does not match a registered redirect URI"
        );
    }
    let (status, body) = exact.get(&grant_url(&exact, registered)).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // The portal page and its Approve form.
    let (id, secret) = creds(&exact);
    let page = |redirect: &str| {
        format!(
            "/oauth/authorize?responseType=code&clientId={id}&redirectUri={}&state=s1",
            enc(redirect)
        )
    };
    let (status, html) = exact.get(&page(loopback)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        html.as_str()
            .unwrap()
            .contains("does not match a registered redirect URI")
    );
    assert_eq!(exact.get(&page(registered)).await.0, StatusCode::OK);
    let approve = |redirect: &str| {
        format!(
            "responseType=code&clientId={id}&redirectUri={}&state=s1",
            enc(redirect)
        )
    };
    assert_eq!(
        exact
            .form("/oauth/authorize/approve", &approve(loopback))
            .await
            .0,
        StatusCode::BAD_REQUEST
    );
    let request = Request::post("/oauth/authorize/approve")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(approve(registered)))
        .unwrap();
    let response = exact.app.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::FOUND);
    let location = response.headers()[header::LOCATION]
        .to_str()
        .unwrap()
        .to_string();
    assert!(location.starts_with(registered), "{location}");
    let code = url::Url::parse(&location)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "code")
        .unwrap()
        .1
        .into_owned();
    let exchange = |redirect: &str| {
        format!(
            "grantType=authorization_code&code={code}&redirectUri={}&clientId={id}&clientSecret={secret}",
            enc(redirect)
        )
    };
    let (status, body) = exact.form("/nxsys/oauth/token", &exchange(loopback)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body["error"]["message"],
        "redirectUri does not match a registered redirect URI"
    );
    let (status, body) = exact
        .form("/nxsys/oauth/token", &exchange(registered))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert!(body["accessToken"].is_string());
}

// ---------------------------------------------------------------- poison

#[tokio::test]
async fn poison_refuses_matching_writes_every_time_and_applies_nothing() {
    let sb = Sb::with(SandboxConfig {
        faults: Faults::parse("poison=AR-0042").unwrap(),
        ..SandboxConfig::default()
    });
    for _ in 0..3 {
        let (status, body) = sb.post("/nxsys/candidates", uk_body("AR-0042")).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(body["error"]["code"], "internal_error");
    }
    assert_eq!(sb.shared.stats().candidates, 0);
    assert_eq!(sb.shared.stats().faults_injected, 3);
    let id = sb.uk("AR-0043").await;
    // Reads naming the text are not writes.
    assert_eq!(
        sb.get("/nxsys/candidates?agencyRef=AR-0042").await.0,
        StatusCode::OK
    );
    // A PUT carrying it is refused too, and the record is left alone.
    let mut body = uk_body("AR-0042");
    body["generalSetting"]["surname"] = json!("Changed");
    let (status, _) = sb.put(&format!("/nxsys/candidates/{id}"), body).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    let (_, stored) = sb.get(&format!("/nxsys/candidates/{id}")).await;
    assert_eq!(stored["data"]["generalSetting"]["surname"], "Smith");

    // Set through the admin endpoint: the spec form, several texts, shown by GET.
    let admin = |body: Value| {
        Request::post("/_sandbox/faults")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))
            .unwrap()
    };
    let (status, shown) = sb
        .send(admin(json!({"spec": "poison=AR-0050,poison=TS-EVIL"})))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(shown["poison"], json!(["AR-0050", "TS-EVIL"]));
    let (_, got) = sb
        .send(
            Request::get("/_sandbox/faults")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(got, shown);
    assert_eq!(
        sb.post("/nxsys/candidates", uk_body("AR-0050")).await.0,
        StatusCode::INTERNAL_SERVER_ERROR
    );
    // AR-0042 is no longer poisoned.
    assert_eq!(
        sb.post("/nxsys/candidates", uk_body("AR-0042")).await.0,
        StatusCode::CREATED
    );
    // The JSON form, with a probability beside it.
    let (status, shown) = sb
        .send(admin(json!({"poison": ["AR-0060"], "status429": 0})))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(shown["poison"], json!(["AR-0060"]));
    assert_eq!(sb.shared.faults().poison, vec!["AR-0060".to_string()]);
    assert_eq!(
        sb.post("/nxsys/candidates", uk_body("AR-0060")).await.0,
        StatusCode::INTERNAL_SERVER_ERROR
    );
    let (status, body) = sb.send(admin(json!({"poison": 5}))).await;
    assert_eq!((status, field(&body)), (StatusCode::BAD_REQUEST, "poison"));
    let (status, body) = sb.send(admin(json!({"spec": "poison="}))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("poison needs a text")
    );
    let (_, shown) = sb.send(admin(json!({}))).await;
    assert_eq!(shown["poison"], json!([]));
}

// ---------------------------------------------------------------- counters

#[tokio::test]
async fn reads_and_writes_count_api_requests_outside_oauth() {
    let sb = Sb::new("");
    sb.get("/nxsys/vat-code").await;
    sb.get("/nxsys/payment-rate?code=PR100").await;
    let id = sb.uk("AR-1").await; // one write, one read
    sb.post("/nxsys/candidates", json!({"bad": true})).await; // refused write
    sb.put(
        &format!("/nxsys/candidates/{id}"),
        json!({"generalSetting": {"surname": "X"}}),
    )
    .await;
    sb.get("/nxsys/candidates/SR-99").await; // 404 read
    let unauthenticated = Request::get("/nxsys/vat-code").body(Body::empty()).unwrap();
    assert_eq!(sb.send(unauthenticated).await.0, StatusCode::UNAUTHORIZED);
    // Not counted: OAuth, the portal page, admin endpoints.
    sb.form("/nxsys/oauth/token", "grantType=refresh_token")
        .await;
    sb.get("/nxsys/oauth/grant-token-url").await;
    sb.get("/oauth/authorize").await;
    sb.send(Request::get("/_sandbox/stats").body(Body::empty()).unwrap())
        .await;
    let stats = sb.shared.stats();
    assert_eq!((stats.reads, stats.writes), (5, 3), "{stats:?}");
    assert_eq!(stats.requests, 10);
    assert_eq!(stats.unauthorized, 1);
    sb.shared.reset();
    let stats = sb.shared.stats();
    assert_eq!((stats.reads, stats.writes, stats.requests), (0, 0, 0));
}

// ---------------------------------------------------------------- scale and combinations

#[tokio::test]
async fn ten_thousand_seeded_timesheets_list_in_a_hundred_pages() {
    let sb = Sb::new("filters-ignored");
    let started = std::time::Instant::now();
    let worker = sb.shared.seed_timesheets(10_000, 2025);
    assert_eq!(worker, "SR-1");
    let stats = sb.shared.stats();
    assert_eq!(
        (
            stats.timesheets,
            stats.payslips,
            stats.candidates,
            stats.duplicate_timesheets
        ),
        (10_000, 10_000, 1, 0)
    );
    assert_eq!((stats.reads, stats.writes), (0, 0));
    let mut seen = std::collections::HashSet::new();
    for page in 1..=100 {
        let (status, list) = sb
            .get(&format!(
                "/nxsys/time-sheets?page={page}&size=100&taxYear=1999&subcontractorRef=SR-7"
            ))
            .await;
        assert_eq!(status, StatusCode::OK);
        let items = list["data"].as_array().unwrap();
        assert_eq!(items.len(), 100, "page {page}");
        assert_eq!(total(&list), 10_000);
        for item in items {
            assert!(seen.insert(item["id"].as_str().unwrap().to_string()));
        }
    }
    assert_eq!(seen.len(), 10_000);
    let (_, past) = sb.get("/nxsys/time-sheets?page=101&size=100").await;
    assert_eq!(past["data"].as_array().unwrap().len(), 0);
    assert_eq!(sb.shared.stats().reads, 101);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(60),
        "{:?}",
        started.elapsed()
    );
    // A second call reuses the worker; the default filter still narrows.
    assert_eq!(sb.shared.seed_timesheets(2, 2026), "SR-1");
    let narrow = Sb::new("");
    narrow.shared.seed_timesheets(104, 2025);
    let (_, list) = narrow.get("/nxsys/time-sheets?taxPeriod=3").await;
    assert_eq!(total(&list), 2);
    let (_, ts) = narrow.get("/nxsys/time-sheets/TS-104").await;
    assert_eq!(ts["data"]["totalNet"], 25.0);
    assert_eq!(ts["data"]["taxPeriod"], 52);
}

#[tokio::test]
async fn quirks_combine() {
    let sb = Sb::new("filters-ignored,no-line-echo,flat-get,payslip-no-worker-id");
    let a = sb.uk("AR-1").await;
    sb.uk("AR-2").await;
    sb.timesheet(&a, 1).await;
    let (_, list) = sb.get("/nxsys/candidates?agencyRef=AR-1").await;
    assert_eq!(total(&list), 2);
    let (_, got) = sb.get(&format!("/nxsys/candidates/{a}")).await;
    assert_eq!(got["data"]["agencyRef"], "AR-1");
    let (_, list) = sb.get("/nxsys/time-sheets?taxPeriod=9").await;
    assert_eq!(total(&list), 1);
    assert!(list["data"][0]["rates"][0].get("rate").is_none());
    let (_, slips) = sb.get("/nxsys/payslips").await;
    assert!(slips["items"][0].get("subcontractorId").is_none());
}
