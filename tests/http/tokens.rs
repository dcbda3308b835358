//! Token abuse over HTTP, and the sliding refresh.

use integration_tests::{SECRET, spawn_app};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::Method;
use serde_json::{Value, json};
use test_support::backend_tests;

fn sign(claims: &Value, alg: Algorithm, secret: &str) -> String {
    service::token_crypto::install();
    jsonwebtoken::encode(
        &Header::new(alg),
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

backend_tests! {
    async fn abused_tokens_get_401_problem_json_and_due_tokens_are_refreshed(backend: Backend) {
        let app = spawn_app(backend).await;
        let org = app.org("Org").await;
        let (id, token) = app.user("m@x.test", entity::enums::UserRole::Member, Some(org)).await;
        let now = chrono::Utc::now().timestamp();
        let claims = |iat: i64, exp: i64| json!({"sub": id.to_string(), "email": "m@x.test", "org_id": org, "role": "member", "iat": iat, "exp": exp});
        let parts: Vec<&str> = token.split('.').collect();
        let forged_payload = sign(&json!({"sub": "1", "email": "m@x.test", "org_id": org, "role": "platform_admin", "iat": now, "exp": now + 3600}), Algorithm::HS256, "x").split('.').nth(1).unwrap().to_owned();
        let none_header = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0";
        let cases: Vec<(&str, Option<String>)> = vec![
            ("missing header", None),
            ("wrong scheme", Some(format!("Basic {token}"))),
            ("garbage", Some("Bearer garbage".into())),
            ("tampered payload", Some(format!("Bearer {}.{}.{}", parts[0], forged_payload, parts[2]))),
            ("alg none", Some(format!("Bearer {none_header}.{}.", parts[1]))),
            ("HS512", Some(format!("Bearer {}", sign(&claims(now, now + 3600), Algorithm::HS512, SECRET)))),
            ("expired", Some(format!("Bearer {}", sign(&claims(now - 7200, now - 60), Algorithm::HS256, SECRET)))),
            ("other secret", Some(format!("Bearer {}", sign(&claims(now, now + 3600), Algorithm::HS256, "another-secret")))),
            ("published demo secret", Some(format!("Bearer {}", sign(&claims(now, now + 3600), Algorithm::HS256, "curio-demo-secret-change-me-0123456789abcdef")))),
        ];
        for (name, header) in cases {
            let mut req = app.client.get(format!("{}/api/v1/auth/me", app.address));
            if let Some(h) = header {
                req = req.header("Authorization", h);
            }
            let r = req.send().await.unwrap();
            assert_eq!(r.status(), 401, "{name}");
            assert_eq!(r.headers()["www-authenticate"], "Bearer", "{name}");
            assert_eq!(r.headers()["content-type"], "application/problem+json", "{name}");
            assert!(r.headers().contains_key("x-request-id"));
            let body: Value = r.json().await.unwrap();
            assert_eq!(body["status"], 401);
            assert!(body["detail"].is_string());
        }
        // Fresh token: not yet due, then due (81 % of the lifetime passed).
        let r = app.request(Method::GET, "/api/v1/auth/me", Some(&token), None).await;
        assert!(!r.headers().contains_key("x-new-token"));
        let old = sign(&claims(now - 2920, now + 680), Algorithm::HS256, SECRET);
        let r = app.request(Method::GET, "/api/v1/auth/me", Some(&old), None).await;
        assert_eq!(r.status(), 200);
        let fresh = r.headers()["x-new-token"].to_str().unwrap().to_owned();
        let r = app.request(Method::GET, "/api/v1/auth/me", Some(&fresh), None).await;
        assert_eq!(r.status(), 200);
        assert!(!r.headers().contains_key("x-new-token"));
        app.stop().await;
    }
}

backend_tests! {
    async fn repeated_failed_logins_get_429_with_retry_after(backend: Backend) {
        let app = spawn_app(backend).await;
        let org = app.org("Org").await;
        app.user("m@x.test", entity::enums::UserRole::Member, Some(org)).await;
        let attempts = (0..8).map(|_| app.request(Method::POST, "/api/v1/auth/login", None, Some(json!({"email": "m@x.test", "password": "wrong password"}))));
        let statuses: Vec<u16> = futures::future::join_all(attempts).await.iter().map(|r| r.status().as_u16()).collect();
        assert_eq!(statuses.iter().filter(|s| **s == 401).count(), 5, "{statuses:?}");
        assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 3, "{statuses:?}");
        let r = app.request(Method::POST, "/api/v1/auth/login", None, Some(json!({"email": "m@x.test", "password": integration_tests::PASSWORD}))).await;
        assert_eq!(r.status(), 429);
        assert!(r.headers()["retry-after"].to_str().unwrap().parse::<u64>().unwrap() >= 1);
        app.stop().await;
    }
}
