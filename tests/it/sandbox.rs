//! The sandbox over real HTTP on loopback: OAuth, every endpoint, pagination, validation, the
//! rate limit, faults, quirks, stats, and the `sandbox` command itself.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use nxsys_sandbox::{Faults, Quirks, SandboxConfig, SandboxHandle};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// A started sandbox plus an HTTP client and a live access token.
struct Env {
    sb: SandboxHandle,
    http: reqwest::Client,
    token: String,
}

impl Env {
    async fn start(config: SandboxConfig) -> Env {
        let sb = nxsys_sandbox::start(config).await.expect("sandbox starts");
        let token = sb.access_token();
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Env { sb, http, token }
    }

    async fn default() -> Env {
        Env::start(SandboxConfig::default()).await
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.sb.base_url)
    }

    /// An authenticated API call; returns status, headers and the JSON body (Null if empty).
    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let (status, _, body) = self.call_full(method, path, body).await;
        (status, body)
    }

    async fn call_full(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, reqwest::header::HeaderMap, Value) {
        let mut req = self
            .http
            .request(method, self.url(path))
            .header("Authorization", format!("Nxsys-oauthtoken {}", self.token));
        if let Some(body) = body {
            req = req.json(&body);
        }
        let resp = req.send().await.expect("request answered");
        let status = resp.status();
        let headers = resp.headers().clone();
        let text = resp.text().await.unwrap();
        let json = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"))
        };
        (status, headers, json)
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

    /// Create a UK candidate and return its SR id (found back by Agency Ref).
    async fn candidate(&self, agency_ref: &str, frequency: &str) -> String {
        let (status, body) = self
            .post("/nxsys/candidates", uk_candidate(agency_ref, frequency))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        assert_eq!(body, Value::Null, "UK create answers no body");
        let (_, list) = self
            .get(&format!("/nxsys/candidates?agencyRef={agency_ref}"))
            .await;
        list["items"][0]["id"].as_str().unwrap().to_string()
    }

    async fn stats(&self) -> Value {
        let resp = self
            .http
            .get(self.url("/_sandbox/stats"))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        resp.json().await.unwrap()
    }
}

fn uk_candidate(agency_ref: &str, frequency: &str) -> Value {
    json!({
        "generalSetting": {
            "agencyRef": agency_ref, "title": "MR", "gender": "MALE", "forename": "Michael",
            "surname": "Smith", "DOB": "1990-05-15", "NINumber": "QQ123456C",
            "address": ["1 High St"], "postCode": "SW1A 1AA", "country": "GB",
            "email": "michael@example.com", "payFrequency": frequency,
            "pensionSetting": {"scheme": "NEST", "optInDate": "2019-08-24T14:15:22Z", "ejhDate": "2024-02-01"}
        },
        "bankSetting": {"bankName": "HSBC", "accountNumber": "12345678", "sortCode": "123456"},
        "payrollSetting": {"paymentModel": "PAYEE", "taxCode": "1257L"}
    })
}

fn error_field(body: &Value) -> &str {
    body["error"]["details"]["field"].as_str().unwrap_or("")
}

// ---------------------------------------------------------------- OAuth

#[tokio::test]
async fn oauth_flow_end_to_end() {
    let env = Env::default().await;
    let redirect = "http://127.0.0.1:9/callback";
    let resp = env
        .http
        .get(env.url("/nxsys/oauth/grant-token-url"))
        .query(&[
            ("clientId", env.sb.client_id.as_str()),
            ("clientSecret", env.sb.client_secret.as_str()),
            ("redirectUri", redirect),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let url = resp.json::<Value>().await.unwrap()["url"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        url.starts_with(&format!("{}/oauth/authorize?", env.sb.base_url)),
        "{url}"
    );
    assert!(url.contains("response_type=code"));

    // The browser opens the page (with a state appended) and sees the client's name.
    let page = env
        .http
        .get(format!("{url}&state=xyz-1"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("nxsys-etl (sandbox)") && html.contains("Approve"),
        "{html}"
    );

    // An unknown client or a redirect off this machine gets an error page, never a redirect.
    let bad = env
        .http
        .get(env.url(
            "/oauth/authorize?responseType=code&clientId=NXSYS.X&redirectUri=http://127.0.0.1:9/cb",
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    assert!(bad.text().await.unwrap().contains("NXSYS.X"));
    let off_machine = [
        ("responseType", "code"),
        ("clientId", env.sb.client_id.as_str()),
        ("redirectUri", "https://evil.example/cb"),
    ];
    let bad = env
        .http
        .post(env.url("/oauth/authorize/approve"))
        .form(&off_machine)
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);

    // Pressing Approve posts the form and is redirected to the callback.
    let form = [
        ("responseType", "code"),
        ("clientId", env.sb.client_id.as_str()),
        ("redirectUri", redirect),
        ("state", "xyz-1"),
    ];
    let approved = env
        .http
        .post(env.url("/oauth/authorize/approve"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(approved.status(), StatusCode::FOUND);
    let location = url::Url::parse(approved.headers()["location"].to_str().unwrap()).unwrap();
    assert!(location.as_str().starts_with(redirect));
    let pairs: std::collections::HashMap<_, _> = location.query_pairs().into_owned().collect();
    assert_eq!(pairs["state"], "xyz-1");
    let code = pairs["code"].clone();
    assert!(code.len() == 32 && code.chars().all(|c| c.is_ascii_hexdigit()));

    let exchange = |code: String, secret: String| {
        let http = env.http.clone();
        let url = env.url("/nxsys/oauth/token");
        let id = env.sb.client_id.clone();
        async move {
            let resp = http
                .post(url)
                .form(&[
                    ("grantType", "authorization_code"),
                    ("code", code.as_str()),
                    ("redirectUri", redirect),
                    ("clientId", id.as_str()),
                    ("clientSecret", secret.as_str()),
                ])
                .send()
                .await
                .unwrap();
            (resp.status(), resp.json::<Value>().await.unwrap())
        }
    };
    // Wrong secret: invalid_client, and the code is not consumed by that.
    let (status, body) = exchange(code.clone(), "0".repeat(48)).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_client"))
    );
    let (status, tokens) = exchange(code.clone(), env.sb.client_secret.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{tokens}");
    assert_eq!(tokens["tokenType"], "Nxsys-oauthtoken");
    assert_eq!(tokens["expiresIn"], 3600);
    // A used code is refused.
    let (status, body) = exchange(code, env.sb.client_secret.clone()).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );

    // The access token works.
    let resp = env
        .http
        .get(env.url("/nxsys/vat-code"))
        .header(
            "Authorization",
            format!(
                "Nxsys-oauthtoken {}",
                tokens["accessToken"].as_str().unwrap()
            ),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);

    // Missing fields → invalid_request.
    let resp = env
        .http
        .post(env.url("/nxsys/oauth/token"))
        .form(&[("clientId", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        resp.json::<Value>().await.unwrap()["error"]["code"],
        "invalid_request"
    );
}

async fn refresh(env: &Env, refresh_token: &str) -> (StatusCode, Value) {
    let resp = env
        .http
        .post(env.url("/nxsys/oauth/token"))
        .form(&[
            ("grantType", "refresh_token"),
            ("refreshToken", refresh_token),
            ("clientId", env.sb.client_id.as_str()),
            ("clientSecret", env.sb.client_secret.as_str()),
        ])
        .send()
        .await
        .unwrap();
    (resp.status(), resp.json().await.unwrap())
}

#[tokio::test]
async fn refresh_tokens_rotate() {
    let env = Env::default().await;
    let (status, first) = refresh(&env, &env.sb.refresh_token).await;
    assert_eq!(status, StatusCode::CREATED);
    let new_refresh = first["refreshToken"].as_str().unwrap();
    assert_ne!(new_refresh, env.sb.refresh_token);
    // The old refresh token stopped working once the new one was issued.
    let (status, body) = refresh(&env, &env.sb.refresh_token).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );
    let (status, _) = refresh(&env, new_refresh).await;
    assert_eq!(status, StatusCode::CREATED);
}

#[tokio::test]
async fn expired_access_token_is_refused() {
    let env = Env::start(SandboxConfig {
        token_ttl: Duration::from_secs(600),
        ..Default::default()
    })
    .await;
    let (status, tokens) = refresh(&env, &env.sb.refresh_token).await;
    assert_eq!(
        (status, tokens["expiresIn"].as_u64()),
        (StatusCode::CREATED, Some(600))
    );
    let token = tokens["accessToken"].as_str().unwrap();
    let call = || {
        env.http
            .get(env.url("/nxsys/vat-code"))
            .header("Authorization", format!("Nxsys-oauthtoken {token}"))
            .send()
    };
    assert_eq!(call().await.unwrap().status(), StatusCode::OK);
    // Its lifetime passes (the admin call rather than ten minutes of waiting).
    let resp = env
        .http
        .post(env.url("/_sandbox/tokens/expire"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let resp = call().await.unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        resp.json::<Value>().await.unwrap()["error"]["code"],
        "invalid_credentials"
    );
}

#[tokio::test]
async fn authorization_header_schemes_and_bearer_only_quirk() {
    let env = Env::default().await;
    let get = |auth: Option<String>| {
        let mut req = env.http.get(env.url("/nxsys/vat-code"));
        if let Some(a) = auth {
            req = req.header("Authorization", a);
        }
        req.send()
    };
    let resp = get(None).await.unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        resp.json::<Value>().await.unwrap()["error"]["code"],
        "missing_credentials"
    );
    assert_eq!(
        get(Some(format!("Bearer {}", env.token)))
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        get(Some("Nxsys-oauthtoken nope".into()))
            .await
            .unwrap()
            .status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(env.sb.stats().unauthorized, 2);

    let strict = Env::start(SandboxConfig {
        quirks: Quirks {
            bearer_only: true,
            ..Default::default()
        },
        ..Default::default()
    })
    .await;
    let (status, body) = strict.get("/nxsys/vat-code").await; // sends Nxsys-oauthtoken
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Bearer")
    );
    let resp = strict
        .http
        .get(strict.url("/nxsys/vat-code"))
        .header("Authorization", format!("Bearer {}", strict.token))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
}

// ---------------------------------------------------------------- candidates

#[tokio::test]
async fn uk_candidates_create_list_get_update() {
    let env = Env::default().await;
    let id = env.candidate("AG-001", "WEEKLY").await;
    env.candidate("AG-002", "MONTHLY").await;
    assert!(id.starts_with("SR-"));

    let (status, list) = env.get("/nxsys/candidates").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["totalDocs"], 2);
    let item = &list["items"][0];
    assert_eq!(item["fullName"], "Michael Smith");
    assert_eq!(item["NINumber"], "QQ123456C");
    assert_eq!(item["agencyRef"], "AG-001");
    assert!(item["systemId"].as_str().unwrap().starts_with("ST-"));
    let (_, by_ni) = env.get("/nxsys/candidates?NINumber=qq123456c").await;
    assert_eq!(by_ni["totalDocs"], 2);
    let (_, by_search) = env.get("/nxsys/candidates?search=ag-002").await;
    assert_eq!(by_search["totalDocs"], 1);

    let (status, one) = env.get(&format!("/nxsys/candidates/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(one["data"]["id"], id.as_str());
    assert_eq!(one["data"]["generalSetting"]["DOB"], "1990-05-15");
    assert_eq!(one["data"]["payrollSetting"]["taxCode"], "1257L");

    // PUT merges nested objects key by key.
    let (status, updated) = env
        .put(&format!("/nxsys/candidates/{id}"), json!({"bankSetting": {"sortCode": "12-34-56"}, "generalSetting": {"department": "Finance"}}))
        .await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_eq!(updated["data"]["bankSetting"]["sortCode"], "12-34-56");
    assert_eq!(updated["data"]["bankSetting"]["bankName"], "HSBC");
    assert_eq!(updated["data"]["generalSetting"]["forename"], "Michael");

    let (status, body) = env.get("/nxsys/candidates/SR-999").await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("resource_not_found"))
    );
    let (status, body) = env.get("/nxsys/candidates/12").await;
    assert_eq!(
        (status, error_field(&body)),
        (StatusCode::BAD_REQUEST, "id")
    );
    assert_eq!(body["error"]["details"]["expected_format"], "SR-999999999");
    assert_eq!(env.sb.stats().candidates, 2);
}

#[tokio::test]
async fn ireland_candidates() {
    let env = Env::default().await;
    let body = json!({
        "generalSetting": {"agencyRef": "1234567890", "forename": "Aoife", "surname": "Byrne",
                           "PPSNumber": "1234567T", "eircode": "D02 Y006", "shareCodeVerified": null},
        "bankSetting": {"IBANReference": "IE29AIBK93115212345678", "isInternalAccount": false, "country": "IE"},
        "payrollSetting": {"paymentModel": "PAYEE", "cisStatus": "GROSS"}
    });
    let (status, created) = env.post("/nxsys/candidates/ireland", body).await;
    assert_eq!(status, StatusCode::CREATED);
    let id = created["data"]["id"].as_str().unwrap().to_string();
    assert_eq!(created["data"]["generalSetting"]["PPSNumber"], "1234567T");
    let (_, list) = env
        .get("/nxsys/candidates/ireland?PPSNumber=1234567T")
        .await;
    assert_eq!(list["items"][0]["id"], id.as_str());
    let (_, uk) = env.get("/nxsys/candidates").await;
    assert_eq!(uk["totalDocs"], 0);
    assert_eq!(
        env.get(&format!("/nxsys/candidates/{id}")).await.0,
        StatusCode::NOT_FOUND
    );
    let (status, one) = env.get(&format!("/nxsys/candidates/ireland/{id}")).await;
    assert_eq!(
        (status, &one["data"]["generalSetting"]["eircode"]),
        (StatusCode::OK, &json!("D02 Y006"))
    );
    let (status, up) = env
        .put(
            &format!("/nxsys/candidates/ireland/{id}"),
            json!({"generalSetting": {"surname": "Ní Bhriain"}}),
        )
        .await;
    assert_eq!(
        (status, &up["data"]["generalSetting"]["surname"]),
        (StatusCode::OK, &json!("Ní Bhriain"))
    );
    // A UK-only field is not accepted on an Ireland body.
    let (status, body) = env
        .post("/nxsys/candidates/ireland", json!({"generalSetting": {"agencyRef": "x", "forename": "a", "surname": "b", "NINumber": "QQ123456C"}}))
        .await;
    assert_eq!(
        (status, error_field(&body)),
        (StatusCode::BAD_REQUEST, "generalSetting.NINumber")
    );
    let stats = env.sb.stats();
    assert_eq!((stats.candidates, stats.candidates_ie), (0, 1));
}

#[tokio::test]
async fn candidate_validation_names_the_field() {
    let env = Env::default().await;
    let cases: Vec<(Value, StatusCode, &str)> = vec![
        (
            json!({"generalSetting": {"agencyRef": "A", "surname": "S"}}),
            StatusCode::BAD_REQUEST,
            "generalSetting.forename",
        ),
        (
            json!({"bankSetting": {}}),
            StatusCode::BAD_REQUEST,
            "generalSetting",
        ),
        (
            json!({"generalSetting": {"agencyRef": "A", "forename": "F", "surname": "S", "NINumber": "QQ12345C"}}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "generalSetting.NINumber",
        ),
        (
            json!({"generalSetting": {"agencyRef": "A", "forename": "F", "surname": "S", "DOB": "15/05/1990"}}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "generalSetting.DOB",
        ),
        (
            json!({"generalSetting": {"agencyRef": "A", "forename": "F", "surname": "S", "title": "Mr"}}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "generalSetting.title",
        ),
        (
            json!({"generalSetting": {"agencyRef": "A", "forename": "F", "surname": "S", "annualSalary": "lots"}}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "generalSetting.annualSalary",
        ),
        (
            json!({"generalSetting": {"agencyRef": "A", "forename": "F", "surname": "S", "address": "1 High St"}}),
            StatusCode::BAD_REQUEST,
            "generalSetting.address",
        ),
        (
            json!({"generalSetting": {"agencyRef": "A", "forename": "F", "surname": "S", "NiNumber": "QQ123456C"}}),
            StatusCode::BAD_REQUEST,
            "generalSetting.NiNumber",
        ),
        (
            json!({"generalSetting": {"agencyRef": "A", "forename": "F", "surname": "S", "pensionSetting": {"optInDate": "soon"}}}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "generalSetting.pensionSetting.optInDate",
        ),
        (
            json!({"generalSetting": {"agencyRef": "A", "forename": "F", "surname": "S"}, "bankSetting": {"sortCode": "12345"}}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "bankSetting.sortCode",
        ),
        (
            json!({"generalSetting": {"agencyRef": "A", "forename": "F", "surname": "S"}, "payrollSetting": {"paymentModel": "PAYE"}}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "payrollSetting.paymentModel",
        ),
    ];
    for (body, want_status, want_field) in cases {
        let (status, answer) = env.post("/nxsys/candidates", body.clone()).await;
        assert_eq!(
            (status, error_field(&answer)),
            (want_status, want_field),
            "{body} → {answer}"
        );
        assert!(!answer["error"]["message"].as_str().unwrap().is_empty());
    }
    // Malformed JSON.
    let resp = env
        .http
        .post(env.url("/nxsys/candidates"))
        .header("Authorization", format!("Nxsys-oauthtoken {}", env.token))
        .header("Content-Type", "application/json")
        .body("{\"generalSetting\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        resp.json::<Value>().await.unwrap()["error"]["code"],
        "invalid_request"
    );
    assert_eq!(env.sb.stats().candidates, 0, "nothing invalid was stored");
}

#[tokio::test]
async fn duplicate_candidates_are_counted_or_refused() {
    let env = Env::default().await;
    env.candidate("DUP-1", "WEEKLY").await;
    let (status, _) = env
        .post("/nxsys/candidates", uk_candidate("DUP-1", "WEEKLY"))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let stats = env.sb.stats();
    assert_eq!((stats.candidates, stats.duplicate_candidates), (2, 1));

    let strict = Env::start(SandboxConfig {
        quirks: Quirks {
            reject_duplicate_candidates: true,
            ..Default::default()
        },
        ..Default::default()
    })
    .await;
    strict.candidate("DUP-1", "WEEKLY").await;
    let (status, body) = strict
        .post("/nxsys/candidates", uk_candidate("DUP-1", "WEEKLY"))
        .await;
    assert_eq!(
        (status, error_field(&body)),
        (StatusCode::CONFLICT, "generalSetting.agencyRef")
    );
    let stats = strict.sb.stats();
    assert_eq!((stats.candidates, stats.duplicate_candidates), (1, 0));
}

// ---------------------------------------------------------------- VAT codes, payment rates

#[tokio::test]
async fn vat_codes_are_seeded() {
    let env = Env::default().await;
    let (status, body) = env.get("/nxsys/vat-code").await;
    assert_eq!(status, StatusCode::OK);
    let codes: Vec<(&str, &str)> = body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["VATCode"].as_str().unwrap(),
                v["VATRate"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        codes,
        vec![("S", "20%"), ("R", "5%"), ("Z", "0%"), ("E", "0%")]
    );
    assert_eq!(body["data"][0]["id"], "VC-1");
    assert!(body["data"][0]["companyParentId"].is_string());
}

#[tokio::test]
async fn payment_rates_crud_and_rules() {
    let env = Env::default().await;
    let (_, seeded) = env.get("/nxsys/payment-rate").await;
    let codes: Vec<_> = seeded["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["code"].clone())
        .collect();
    assert_eq!(codes, vec![json!("PR100"), json!("PR101")]);
    assert_eq!(seeded["data"][1]["hoursPerUnit"], "8");
    assert_eq!(seeded["data"][0]["defaultVATCode"]["id"], "VC-1");

    let body = json!({"code": "PR001", "description": "Standard Hourly Rate", "type": "RATE", "units": "HOURLY",
                      "hoursPerUnit": 1, "status": "ACTIVE", "displayOnPayslip": true, "defaultVATCode": "VC-2",
                      "includeNICalculation": true});
    let (status, created) = env.post("/nxsys/payment-rate", body.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let rate = &created["data"];
    let id = rate["id"].as_str().unwrap().to_string();
    assert_eq!(
        (
            rate["hoursPerUnit"].as_str(),
            rate["defaultVATCode"]["VATCode"].as_str()
        ),
        (Some("1"), Some("R"))
    );
    assert!(rate["defaultVATCode"].get("companyParentId").is_none());
    assert_eq!(rate["includeNICalculation"], true);
    assert_eq!(rate["includeTaxCalculation"], false);

    let (status, dup) = env
        .post(
            "/nxsys/payment-rate",
            json!({"code": "pr001", "description": "x", "type": "RATE", "units": "DAILY"}),
        )
        .await;
    assert_eq!((status, error_field(&dup)), (StatusCode::CONFLICT, "code"));
    let (status, bad_vat) = env.post("/nxsys/payment-rate", json!({"code": "PR002", "description": "x", "type": "RATE", "units": "DAILY", "defaultVATCode": "VC-99"})).await;
    assert_eq!(
        (status, error_field(&bad_vat)),
        (StatusCode::BAD_REQUEST, "defaultVATCode")
    );
    let (status, missing) = env
        .post(
            "/nxsys/payment-rate",
            json!({"code": "PR003", "description": "x", "type": "RATE"}),
        )
        .await;
    assert_eq!(
        (status, error_field(&missing)),
        (StatusCode::BAD_REQUEST, "units")
    );
    let (status, bad_units) = env
        .post(
            "/nxsys/payment-rate",
            json!({"code": "PR004", "description": "x", "type": "RATE", "units": "YEARLY"}),
        )
        .await;
    assert_eq!(
        (status, error_field(&bad_units)),
        (StatusCode::UNPROCESSABLE_ENTITY, "units")
    );
    let (status, negative) = env
        .post(
            "/nxsys/payment-rate",
            json!({"code": "PR005", "description": "x", "type": "RATE", "units": "DAILY", "hoursPerUnit": "-1"}),
        )
        .await;
    assert_eq!(
        (status, error_field(&negative)),
        (StatusCode::UNPROCESSABLE_ENTITY, "hoursPerUnit")
    );

    let (status, updated) = env
        .put(
            &format!("/nxsys/payment-rate/{id}"),
            json!({"description": "Hourly (day shift)", "hoursPerUnit": "8", "code": "PR001"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_eq!(
        (
            updated["data"]["description"].as_str(),
            updated["data"]["hoursPerUnit"].as_str()
        ),
        (Some("Hourly (day shift)"), Some("8"))
    );
    let (status, body) = env
        .put(
            &format!("/nxsys/payment-rate/{id}"),
            json!({"code": "PR999"}),
        )
        .await;
    assert_eq!(
        (status, error_field(&body)),
        (StatusCode::BAD_REQUEST, "code")
    );
    assert_eq!(
        env.put("/nxsys/payment-rate/PR-999", json!({"description": "x"}))
            .await
            .0,
        StatusCode::NOT_FOUND
    );

    let (status, one) = env.get(&format!("/nxsys/payment-rate/{id}")).await;
    assert_eq!(
        (status, one["data"]["code"].as_str()),
        (StatusCode::OK, Some("PR001"))
    );
    let (_, by_code) = env.get("/nxsys/payment-rate?code=pr001").await;
    assert_eq!(by_code["totalDocs"], 1);
    assert_eq!(env.sb.stats().payment_rates, 3);
}

// ---------------------------------------------------------------- timesheets and payslips

fn timesheet(worker: &str, lines: Value) -> Value {
    json!({"subcontractorRef": worker, "assignmentRef": null, "startDate": "2025-04-07", "endDate": "2025-04-11",
           "rates": lines, "monthConfig": null, "taxYear": 2025, "taxPeriodConfig": 1})
}

#[tokio::test]
async fn timesheets_totals_lines_and_payslips() {
    let env = Env::default().await;
    let worker = env.candidate("TS-W1", "WEEKLY").await;
    let lines = json!([
        {"rateId": "PR-1", "rate": "20.00", "units": "37.5", "vatID": "VC-1"},
        {"rateId": "PR-2", "rate": 250, "units": 1, "vatID": "VC-3"}
    ]);
    let (status, created) = env
        .post("/nxsys/time-sheets", timesheet(&worker, lines))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let ts = &created["data"];
    let id = ts["id"].as_str().unwrap().to_string();
    // net 750 + 250 = 1000; VAT 20 % of 750 only.
    assert_eq!(
        (
            ts["totalNet"].as_f64(),
            ts["totalVat"].as_f64(),
            ts["totalPrices"].as_f64()
        ),
        (Some(1000.0), Some(150.0), Some(1150.0))
    );
    assert_eq!(ts["approveStatus"], "PENDING");
    assert_eq!(ts["subcontractorRef"]["id"], worker.as_str());
    assert_eq!(ts["rates"][0]["code"], "PR100");
    assert_eq!(
        (
            ts["rates"][0]["rate"].as_str(),
            ts["rates"][0]["units"].as_str(),
            ts["rates"][0]["vatID"].as_str()
        ),
        (Some("20.00"), Some("37.5"), Some("VC-1"))
    );
    assert_eq!(ts["rates"][1]["vatID"], "VC-3");

    // The payslip: weekly £1,000 → net 648.08 (hand-worked in payroll.rs).
    let (_, slips) = env
        .get(&format!("/nxsys/payslips?candidateIds={worker}"))
        .await;
    assert_eq!(slips["totalDocs"], 1);
    let slip = &slips["items"][0];
    assert_eq!(slip["timesheetId"], id.as_str());
    assert_eq!(
        (
            slip["timesheetValue"].as_str(),
            slip["gross"].as_str(),
            slip["net"].as_str()
        ),
        (Some("1000.00"), Some("846.42"), Some("648.08"))
    );
    assert_eq!(slip["margin"], 15.0);
    assert_eq!(
        (
            slip["taxYear"].as_i64(),
            slip["taxPeriod"].as_i64(),
            slip["payDate"].as_str()
        ),
        (Some(2025), Some(1), Some("2025-04-12"))
    );
    assert_eq!(slip["subcontractorName"], "Michael Smith");

    // Update: 201 with an array; the payslip follows.
    let (status, updated) = env
        .put(
            &format!("/nxsys/time-sheets/{id}"),
            json!({"rates": [{"rateId": "PR-1", "rate": 10, "units": 10, "vatID": "VC-1"}]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{updated}");
    assert_eq!(updated["data"][0]["totalNet"], 100.0);
    assert_eq!(updated["data"][0]["totalVat"], 20.0);
    let (_, slips) = env
        .get(&format!(
            "/nxsys/payslips?candidateIds={worker}&taxYear=2025&taxPeriod=1"
        ))
        .await;
    assert_eq!(
        (
            slips["totalDocs"].as_u64(),
            slips["items"][0]["timesheetValue"].as_str()
        ),
        (Some(1), Some("100.00"))
    );

    let (status, one) = env.get(&format!("/nxsys/time-sheets/{id}")).await;
    assert_eq!(
        (status, one["data"]["totalNet"].as_f64()),
        (StatusCode::OK, Some(100.0))
    );
    let (_, list) = env
        .get(&format!(
            "/nxsys/time-sheets?subcontractorRef={worker}&taxYear=2025&taxPeriod=1"
        ))
        .await;
    assert_eq!(list["totalDocs"], 1);
    let (_, none) = env
        .get(&format!(
            "/nxsys/time-sheets?subcontractorRef={worker}&taxPeriod=2"
        ))
        .await;
    assert_eq!(none["totalDocs"], 0);
    assert_eq!(
        env.put("/nxsys/time-sheets/TS-99", json!({"taxPeriodConfig": 2}))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    let stats = env.sb.stats();
    assert_eq!((stats.timesheets, stats.payslips), (1, 1));
}

#[tokio::test]
async fn timesheet_references_and_values_are_checked() {
    let env = Env::default().await;
    let worker = env.candidate("TS-W2", "MONTHLY").await;
    let line = |rate_id: &str, vat: &str| json!({"rateId": rate_id, "rate": "10", "units": "1", "vatID": vat});
    let cases: Vec<(Value, StatusCode, &str)> = vec![
        (
            timesheet("SR-999", json!([line("PR-1", "VC-1")])),
            StatusCode::BAD_REQUEST,
            "subcontractorRef",
        ),
        (
            timesheet(
                &worker,
                json!([line("PR-1", "VC-1"), line("PR-77", "VC-1")]),
            ),
            StatusCode::BAD_REQUEST,
            "rates[1].rateId",
        ),
        (
            timesheet(&worker, json!([line("PR-1", "VC-9")])),
            StatusCode::BAD_REQUEST,
            "rates[0].vatID",
        ),
        (
            timesheet(&worker, json!([{"rateId": "PR-1", "units": "1"}])),
            StatusCode::BAD_REQUEST,
            "rates[0].rate",
        ),
        (
            timesheet(&worker, json!([])),
            StatusCode::UNPROCESSABLE_ENTITY,
            "rates",
        ),
        (
            timesheet(
                &worker,
                json!([{"rateId": "PR-1", "rate": "79228162514264337593543950335", "units": 10}]),
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
            "rates[0].rate",
        ),
        (
            timesheet(
                &worker,
                json!([{"rateId": "PR-1", "rate": 10, "units": 1e300}]),
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
            "rates[0].units",
        ),
        (
            json!({"subcontractorRef": worker, "rates": [line("PR-1", "VC-1")], "taxPeriodConfig": 1}),
            StatusCode::BAD_REQUEST,
            "taxYear",
        ),
    ];
    for (body, want_status, want_field) in cases {
        let (status, answer) = env.post("/nxsys/time-sheets", body.clone()).await;
        assert_eq!(
            (status, error_field(&answer)),
            (want_status, want_field),
            "{body} → {answer}"
        );
    }
    // Period 13 does not exist for a monthly worker.
    let mut body = timesheet(&worker, json!([line("PR-1", "VC-1")]));
    body["taxPeriodConfig"] = json!(13);
    let (status, answer) = env.post("/nxsys/time-sheets", body).await;
    assert_eq!(
        (status, error_field(&answer)),
        (StatusCode::UNPROCESSABLE_ENTITY, "taxPeriodConfig")
    );
    let mut body = timesheet(&worker, json!([line("PR-1", "VC-1")]));
    body["endDate"] = json!("2025-04-01");
    let (status, answer) = env.post("/nxsys/time-sheets", body).await;
    assert_eq!(
        (status, error_field(&answer)),
        (StatusCode::UNPROCESSABLE_ENTITY, "endDate")
    );
    assert_eq!(env.sb.stats().timesheets, 0);
}

#[tokio::test]
async fn duplicate_timesheets_are_counted() {
    let env = Env::default().await;
    let worker = env.candidate("TS-W3", "WEEKLY").await;
    let lines = json!([{"rateId": "PR-1", "rate": "12.5", "units": "8", "vatID": "VC-1"}]);
    assert_eq!(
        env.post("/nxsys/time-sheets", timesheet(&worker, lines.clone()))
            .await
            .0,
        StatusCode::CREATED
    );
    // Same content, numbers written differently: still a duplicate.
    let same = json!([{"rateId": "PR-1", "rate": 12.50, "units": 8, "vatID": "VC-1"}]);
    assert_eq!(
        env.post("/nxsys/time-sheets", timesheet(&worker, same))
            .await
            .0,
        StatusCode::CREATED
    );
    // Another period is not.
    let mut other = timesheet(&worker, lines);
    other["taxPeriodConfig"] = json!(2);
    assert_eq!(
        env.post("/nxsys/time-sheets", other).await.0,
        StatusCode::CREATED
    );
    let stats = env.stats().await;
    assert_eq!(
        (
            stats["timesheets"].as_u64(),
            stats["duplicate_timesheets"].as_u64()
        ),
        (Some(3), Some(1))
    );
    assert_eq!(stats["payslips"], 3);
}

#[tokio::test]
async fn seeded_payslips_page_and_filter() {
    let env = Env::start(SandboxConfig {
        seed_payslips: 1000,
        ..Default::default()
    })
    .await;
    assert_eq!(env.sb.stats().payslips, 1000);
    let (_, first) = env.get("/nxsys/payslips?size=100").await;
    assert_eq!(
        (
            first["totalDocs"].as_u64(),
            first["items"].as_array().unwrap().len()
        ),
        (Some(1000), 100)
    );
    assert_eq!(first["meta"]["totalPages"], 10);
    let (_, last) = env.get("/nxsys/payslips?size=100&page=10").await;
    assert_eq!(last["items"][99]["id"], "PL-1000");
    let (_, week) = env
        .get("/nxsys/payslips?taxYear=2025&taxPeriod=3&size=100")
        .await;
    // 1000 payslips = 19 full years of 52 weeks + 12 weeks: 20 workers have week 3.
    assert_eq!(week["totalDocs"], 20);
    let (_, range) = env
        .get("/nxsys/payslips?taxPeriod=1-2&paymentModel=PAYEE&payFrequency=WEEKLY")
        .await;
    assert_eq!(range["totalDocs"], 40);
    let worker = first["items"][0]["subcontractorId"]
        .as_str()
        .unwrap()
        .to_string();
    let (_, mine) = env
        .get(&format!(
            "/nxsys/payslips?candidateIds={worker},SR-2&size=100"
        ))
        .await;
    assert_eq!(mine["totalDocs"], 104);
    let (status, body) = env.get("/nxsys/payslips?candidateIds=bob").await;
    assert_eq!(
        (status, error_field(&body)),
        (StatusCode::BAD_REQUEST, "candidateIds")
    );
    // A repeated filter sees new and changed payslips at once.
    let (_, before) = env.get("/nxsys/payslips?taxYear=2025&size=1").await;
    assert_eq!(before["totalDocs"], 1000);
    let worker = env.candidate("NEW-1", "WEEKLY").await;
    let lines = json!([{"rateId": "PR-1", "rate": "10", "units": "10", "vatID": "VC-1"}]);
    let (_, ts) = env
        .post("/nxsys/time-sheets", timesheet(&worker, lines))
        .await;
    let (_, after) = env.get("/nxsys/payslips?taxYear=2025&size=1").await;
    assert_eq!(after["totalDocs"], 1001);
    let id = ts["data"]["id"].as_str().unwrap();
    let (status, _) = env
        .put(
            &format!("/nxsys/time-sheets/{id}"),
            json!({"taxYear": 2026}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, moved) = env.get("/nxsys/payslips?taxYear=2025&size=1").await;
    assert_eq!(moved["totalDocs"], 1000);
    let (_, next_year) = env.get("/nxsys/payslips?taxYear=2026").await;
    assert_eq!(next_year["items"][0]["subcontractorId"], worker.as_str());
}

#[tokio::test]
async fn a_hundred_thousand_payslips_seed_and_page() {
    let started = Instant::now();
    let env = Env::start(SandboxConfig {
        seed_payslips: 100_000,
        ..Default::default()
    })
    .await;
    println!("seeded 100,000 payslips in {:?}", started.elapsed());
    let (_, last) = env.get("/nxsys/payslips?size=100&page=1000").await;
    assert_eq!(last["totalDocs"], 100_000);
    assert_eq!(last["items"].as_array().unwrap().len(), 100);
    assert_eq!(last["items"][99]["id"], "PL-100000");
    let (_, past) = env.get("/nxsys/payslips?size=100&page=1001").await;
    assert_eq!(past["items"].as_array().unwrap().len(), 0);
}

// ---------------------------------------------------------------- pagination and quirks

#[tokio::test]
async fn pagination_edges() {
    let env = Env::default().await;
    for i in 0..5 {
        let (status, _) = env.post("/nxsys/payment-rate", json!({"code": format!("P{i}"), "description": "x", "type": "RATE", "units": "DAILY"})).await;
        assert_eq!(status, StatusCode::CREATED);
    }
    let (_, page3) = env.get("/nxsys/payment-rate?size=3&page=3").await;
    assert_eq!(page3["data"].as_array().unwrap().len(), 1);
    assert_eq!(
        page3["meta"],
        json!({"totalDocs": 7, "page": 3, "size": 3, "totalPages": 3})
    );
    assert_eq!(page3["totalDocs"], 7);
    let (status, past) = env.get("/nxsys/payment-rate?size=3&page=4").await;
    assert_eq!(
        (status, past["data"].as_array().unwrap().len()),
        (StatusCode::OK, 0)
    );
    let (_, all) = env.get("/nxsys/payment-rate?size=100").await;
    let ids: Vec<u64> = all["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["incrementId"].as_u64().unwrap())
        .collect();
    assert!(
        ids.windows(2).all(|w| w[0] < w[1]),
        "ordered by incrementId: {ids:?}"
    );
    for (query, field) in [
        ("size=101", "size"),
        ("page=0", "page"),
        ("page=x", "page"),
        ("size=0", "size"),
    ] {
        let (status, body) = env.get(&format!("/nxsys/candidates?{query}")).await;
        assert_eq!(
            (status, error_field(&body)),
            (StatusCode::BAD_REQUEST, field),
            "{query}"
        );
    }
    let (status, _) = env.get("/nxsys/time-sheets?size=100").await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn nest_errors_and_meta_pagination_quirks() {
    let env = Env::start(SandboxConfig {
        quirks: Quirks {
            nest_errors: true,
            meta_pagination: true,
            ..Default::default()
        },
        ..Default::default()
    })
    .await;
    let (status, body) = env
        .post(
            "/nxsys/candidates",
            json!({"generalSetting": {"agencyRef": "A", "surname": "S"}}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["statusCode"], 400);
    assert_eq!(body["error"], "Bad Request");
    assert!(
        body["message"][0]
            .as_str()
            .unwrap()
            .contains("generalSetting.forename")
    );
    let (_, list) = env.get("/nxsys/vat-code").await;
    assert!(list.get("totalDocs").is_none());
    assert_eq!(list["meta"]["totalDocs"], 4);
    let resp = env
        .http
        .get(env.url("/nxsys/vat-code"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.json::<Value>().await.unwrap()["statusCode"], 401);
}

// ---------------------------------------------------------------- rate limit and faults

#[tokio::test]
async fn rate_limit_matches_bucket_arithmetic() {
    let rate = 3u64;
    let env = Env::start(SandboxConfig {
        rate_limit: Some(rate as u32),
        ..Default::default()
    })
    .await;
    let sent = 30u64;
    let started = Instant::now();
    let mut refused = 0u64;
    for _ in 0..sent {
        let (status, headers, body) = env.call_full(Method::GET, "/nxsys/vat-code", None).await;
        if status == StatusCode::TOO_MANY_REQUESTS {
            refused += 1;
            let wait: u64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
            assert!(wait >= 1);
            assert_eq!(body["error"]["code"], "rate_limit_exceeded");
        } else {
            assert_eq!(status, StatusCode::OK);
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    let accepted = sent - refused;
    // A full bucket of `rate`, plus at most `rate` per second elapsed (and one for rounding).
    assert!(accepted >= rate, "accepted {accepted}");
    let most = rate + (elapsed * rate as f64).ceil() as u64 + 1;
    assert!(
        accepted <= most,
        "accepted {accepted} > {most} after {elapsed:.2}s"
    );
    let stats = env.sb.stats();
    assert_eq!((stats.requests, stats.rate_limited), (sent, refused));
    // Admin endpoints are neither limited nor counted.
    for _ in 0..10 {
        env.stats().await;
    }
    assert_eq!(env.sb.stats().requests, sent);
}

#[tokio::test]
async fn injected_500_and_429_apply_nothing() {
    let env = Env::default().await;
    env.sb.set_faults(Faults {
        status500: 1.0,
        ..Default::default()
    });
    let (status, body) = env
        .post("/nxsys/candidates", uk_candidate("F-1", "WEEKLY"))
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::INTERNAL_SERVER_ERROR, Some("internal_error"))
    );
    // OAuth is never faulted.
    assert_eq!(
        refresh(&env, &env.sb.refresh_token).await.0,
        StatusCode::CREATED
    );

    let resp = env
        .http
        .post(env.url("/_sandbox/faults"))
        .json(&json!({"status429": 1.0}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let (status, headers, _) = env
        .call_full(
            Method::POST,
            "/nxsys/candidates",
            Some(uk_candidate("F-1", "WEEKLY")),
        )
        .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(headers.contains_key("retry-after"));
    let stats = env.sb.stats();
    assert_eq!(
        (stats.candidates, stats.faults_injected, stats.rate_limited),
        (0, 2, 0)
    );
}

#[tokio::test]
async fn drop_after_commit_applies_the_write_and_sends_no_answer() {
    let env = Env::default().await;
    let resp = env
        .http
        .post(env.url("/_sandbox/faults"))
        .json(&json!({"spec": "drop_after_commit=1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let result = env
        .http
        .post(env.url("/nxsys/candidates"))
        .header("Authorization", format!("Nxsys-oauthtoken {}", env.token))
        .json(&uk_candidate("DROP-1", "WEEKLY"))
        .send()
        .await;
    let error = result.expect_err("no HTTP answer at all");
    assert!(error.status().is_none(), "{error:?}");
    let stats = env.sb.stats();
    assert_eq!(
        (
            stats.candidates,
            stats.dropped_after_commit,
            stats.faults_injected
        ),
        (1, 1, 1)
    );
    // Reads are answered; a rejected write is answered too (nothing was committed).
    let (status, list) = env.get("/nxsys/candidates?agencyRef=DROP-1").await;
    assert_eq!(
        (status, list["totalDocs"].as_u64()),
        (StatusCode::OK, Some(1))
    );
    let (status, _) = env.post("/nxsys/candidates", json!({})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    env.sb.set_faults(Faults::default());
    assert_eq!(
        env.post("/nxsys/candidates", uk_candidate("DROP-2", "WEEKLY"))
            .await
            .0,
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn reset_and_admin_errors() {
    let env = Env::default().await;
    env.candidate("R-1", "WEEKLY").await;
    let resp = env
        .http
        .post(env.url("/_sandbox/reset"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    let stats = env.stats().await;
    assert_eq!(
        (
            stats["candidates"].as_u64(),
            stats["requests"].as_u64(),
            stats["payment_rates"].as_u64()
        ),
        (Some(0), Some(0), Some(2))
    );
    // Tokens survive a reset.
    assert_eq!(env.get("/nxsys/candidates").await.0, StatusCode::OK);
    let resp = env
        .http
        .post(env.url("/_sandbox/faults"))
        .json(&json!({"status503": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let resp = env
        .http
        .get(env.url("/nxsys/nothing-here"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    env.sb.shutdown().await;
}

#[tokio::test]
async fn listens_on_loopback_only() {
    let config = SandboxConfig {
        addr: "0.0.0.0:0".parse().unwrap(),
        ..Default::default()
    };
    let error = nxsys_sandbox::start(config).await.expect_err("refused");
    assert!(error.to_string().contains("loopback"), "{error}");
}

// ---------------------------------------------------------------- the command

/// `nxsys-etl sandbox --json --addr 127.0.0.1:0 ARGS…` started, and the JSON of its first line.
async fn sandbox_command(args: &[&str]) -> (std::process::Child, Value) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_nxsys-etl"))
        .args(["sandbox", "--json", "--addr", "127.0.0.1:0"])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("binary runs");
    let stdout = child.stdout.take().unwrap();
    let line = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).map(|_| line)
    })
    .await
    .unwrap()
    .unwrap();
    let facts: Value =
        serde_json::from_str(&line).unwrap_or_else(|_| panic!("first line is JSON: {line}"));
    (child, facts)
}

/// The token answer of the sandbox command's refresh token (`facts` as it printed them).
async fn command_tokens(http: &reqwest::Client, base: &str, facts: &Value) -> Value {
    http.post(format!("{base}/nxsys/oauth/token"))
        .form(&[
            ("grantType", "refresh_token"),
            ("refreshToken", facts["refresh_token"].as_str().unwrap()),
            ("clientId", facts["client_id"].as_str().unwrap()),
            ("clientSecret", facts["client_secret"].as_str().unwrap()),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn sandbox_command_prints_json_and_serves() {
    let (mut child, facts) = sandbox_command(&["--quirks", "meta-pagination"]).await;
    let base = facts["base_url"].as_str().unwrap();
    assert!(base.starts_with("http://127.0.0.1:"));
    assert!(facts["client_id"].as_str().unwrap().starts_with("NXSYS."));
    let http = reqwest::Client::new();
    let tokens = command_tokens(&http, base, &facts).await;
    let list: Value = http
        .get(format!("{base}/nxsys/payment-rate"))
        .header(
            "Authorization",
            format!(
                "Nxsys-oauthtoken {}",
                tokens["accessToken"].as_str().unwrap()
            ),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["meta"]["totalDocs"], 2);
    child.kill().unwrap();
    child.wait().unwrap();
}

#[tokio::test]
async fn sandbox_command_takes_api_variants_and_poison() {
    let (mut child, facts) = sandbox_command(&[
        "--quirks",
        "filters-ignored,no_line_echo,flat-get",
        "--faults",
        "poison=AR-0042,poison=AR-0043",
    ])
    .await;
    let base = facts["base_url"].as_str().unwrap();
    let http = reqwest::Client::new();
    let faults: Value = http
        .get(format!("{base}/_sandbox/faults"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(faults["poison"], json!(["AR-0042", "AR-0043"]));
    let tokens = command_tokens(&http, base, &facts).await;
    let auth = format!(
        "Nxsys-oauthtoken {}",
        tokens["accessToken"].as_str().unwrap()
    );
    // filters-ignored: the code filter is not applied.
    let list: Value = http
        .get(format!("{base}/nxsys/payment-rate?code=PR100"))
        .header("Authorization", &auth)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["meta"]["totalDocs"], 2);
    // poison: the write naming AR-0042 is a 500.
    let resp = http
        .post(format!("{base}/nxsys/candidates"))
        .header("Authorization", &auth)
        .json(&uk_candidate("AR-0042", "WEEKLY"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let stats: Value = http
        .get(format!("{base}/_sandbox/stats"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (
            stats["candidates"].as_u64(),
            stats["reads"].as_u64(),
            stats["writes"].as_u64()
        ),
        (Some(0), Some(1), Some(1))
    );
    child.kill().unwrap();
    child.wait().unwrap();

    let out = Command::new(env!("CARGO_BIN_EXE_nxsys-etl"))
        .args([
            "sandbox",
            "--addr",
            "127.0.0.1:0",
            "--quirks",
            "flat-get,flatter",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("flatter") && stderr.contains("payslip-no-worker-id"),
        "{stderr}"
    );
}

#[tokio::test]
async fn sandbox_command_banner_names_the_url_and_credentials() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_nxsys-etl"))
        .args(["sandbox", "--addr", "127.0.0.1:0", "--token-ttl", "60"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("binary runs");
    let stdout = child.stdout.take().unwrap();
    let lines = tokio::task::spawn_blocking(move || {
        BufReader::new(stdout)
            .lines()
            .take(14)
            .collect::<Result<Vec<_>, _>>()
    })
    .await
    .unwrap()
    .unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    let banner = lines.join("\n");
    assert!(
        banner.starts_with("Nxsys sandbox listening on http://127.0.0.1:"),
        "{banner}"
    );
    assert!(
        banner.contains("export NXSYS_CLIENT_ID='NXSYS."),
        "{banner}"
    );
    assert!(banner.contains("export NXSYS_REFRESH_TOKEN="), "{banner}");
}

#[tokio::test]
async fn bad_options_are_usage_errors() {
    let out = Command::new(env!("CARGO_BIN_EXE_nxsys-etl"))
        .args([
            "sandbox",
            "--addr",
            "127.0.0.1:0",
            "--faults",
            "status500=0.1,boom=1",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("boom=1"), "{stderr}");
}
